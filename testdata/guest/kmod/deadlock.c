// SPDX-License-Identifier: GPL-2.0
/*
 * deadlock.ko - corekit test-data module: hangs kernel threads on purpose so
 * that a guest memory image has a known set of blocked tasks.
 *
 *   dl_ab      takes lock_a, waits, takes lock_b   } ABBA: both end up in
 *   dl_ba      takes lock_b, waits, takes lock_a   } D state for ever
 *   dl_writer  down_write(dl_rwsem) and keeps it; sleeps interruptibly
 *              (S).  With writer_blocks=1 it then also tries lock_a and
 *              blocks (D), chaining the rwsem into the ABBA cycle.
 *   dl_reader  down_read(dl_rwsem) after the writer got it: D for ever.
 *
 * Never load this anywhere but a throw-away test VM.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/sched.h>

static bool writer_blocks;
module_param(writer_blocks, bool, 0444);
MODULE_PARM_DESC(writer_blocks, "dl_writer also blocks on lock_a while holding dl_rwsem");

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);
static DECLARE_RWSEM(dl_rwsem);
static DECLARE_COMPLETION(rwsem_taken);

/* Take first, give the partner time to take its own first lock, take second. */
static void take_two(struct mutex *first, struct mutex *second)
{
	mutex_lock(first);
	msleep(300);
	mutex_lock(second);		/* the partner holds it: blocks for ever */
}

static int dl_ab(void *unused)
{
	take_two(&lock_a, &lock_b);
	return 0;
}

static int dl_ba(void *unused)
{
	take_two(&lock_b, &lock_a);
	return 0;
}

static int dl_writer(void *unused)
{
	down_write(&dl_rwsem);
	complete(&rwsem_taken);
	if (writer_blocks) {
		msleep(1500);		/* dl_ab owns lock_a by now */
		mutex_lock(&lock_a);
	}
	while (!kthread_should_stop())
		msleep_interruptible(3600 * 1000);
	return 0;
}

static int dl_reader(void *unused)
{
	wait_for_completion(&rwsem_taken);
	down_read(&dl_rwsem);		/* the writer never lets go */
	return 0;
}

static struct task_struct *start(int (*fn)(void *), const char *name)
{
	struct task_struct *t = kthread_run(fn, NULL, "%s", name);

	return IS_ERR(t) ? NULL : t;
}

static int __init deadlock_init(void)
{
	struct task_struct *ab, *ba, *wr, *rd;

	ab = start(dl_ab, "dl_ab");
	ba = start(dl_ba, "dl_ba");
	wr = start(dl_writer, "dl_writer");
	rd = start(dl_reader, "dl_reader");
	if (!ab || !ba || !wr || !rd)
		return -ENOMEM;
	pr_info("deadlock: lock_a=%px lock_b=%px dl_rwsem=%px writer_blocks=%d\n",
		&lock_a, &lock_b, &dl_rwsem, writer_blocks);
	pr_info("deadlock: dl_ab pid=%d task=%px dl_ba pid=%d task=%px\n",
		task_pid_nr(ab), ab, task_pid_nr(ba), ba);
	pr_info("deadlock: dl_writer pid=%d task=%px dl_reader pid=%d task=%px\n",
		task_pid_nr(wr), wr, task_pid_nr(rd), rd);
	return 0;
}
module_init(deadlock_init);
/* No module_exit: the threads never finish, so the module must stay. */

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("corekit test data: ABBA mutex deadlock and a blocked rwsem reader");
