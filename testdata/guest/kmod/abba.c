// SPDX-License-Identifier: GPL-2.0
/*
 * deadlock.ko - corekit test-data module: hangs kernel threads on purpose so
 * that a guest memory image has a known set of blocked tasks.
 *
 * Always (this file):
 *   dl_ab      takes lock_a, waits, takes lock_b   } ABBA: both end up in
 *   dl_ba      takes lock_b, waits, takes lock_a   } D state for ever
 *   dl_writer  down_write(dl_rwsem) and keeps it; sleeps interruptibly
 *              (S).  With writer_blocks=1 it then also tries lock_a and
 *              blocks (D), chaining the rwsem into the ABBA cycle.
 *   dl_reader  down_read(dl_rwsem) after the writer got it: D for ever.
 * With parameters: the hang scenarios of hang.c (sem, cycle, sleeper,
 * userblock, shortd, spin) and the Oops of oops.c (oops); ctl.c's
 * /proc/deadlock_ctl starts the ones that must come last.
 *
 * Never load this anywhere but a throw-away test VM.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/sched.h>

#include "dl.h"

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

struct task_struct *dl_start(int (*fn)(void *), void *arg, const char *name, int cpu)
{
	struct task_struct *t = kthread_create(fn, arg, "%s", name);

	if (IS_ERR(t))
		return NULL;
	if (cpu >= 0)
		kthread_bind(t, cpu);
	wake_up_process(t);
	return t;
}

static int __init deadlock_init(void)
{
	struct task_struct *ab, *ba, *wr, *rd;
	bool hang_armed = false, oops_armed = false;
	int err;

	ab = dl_start(dl_ab, NULL, "dl_ab", -1);
	ba = dl_start(dl_ba, NULL, "dl_ba", -1);
	wr = dl_start(dl_writer, NULL, "dl_writer", -1);
	rd = dl_start(dl_reader, NULL, "dl_reader", -1);
	if (!ab || !ba || !wr || !rd)
		return -ENOMEM;
	pr_info("deadlock: lock_a=%px lock_b=%px dl_rwsem=%px writer_blocks=%d\n",
		&lock_a, &lock_b, &dl_rwsem, writer_blocks);
	pr_info("deadlock: dl_ab pid=%d task=%px dl_ba pid=%d task=%px\n",
		task_pid_nr(ab), ab, task_pid_nr(ba), ba);
	pr_info("deadlock: dl_writer pid=%d task=%px dl_reader pid=%d task=%px\n",
		task_pid_nr(wr), wr, task_pid_nr(rd), rd);
	/* The threads above never finish, so a failure below leaves the module loaded. */
	err = dl_hang_init(&hang_armed);
	if (!err)
		err = dl_oops_init(&oops_armed);
	if (!err && (hang_armed || oops_armed))
		err = dl_ctl_init();
	if (err)
		pr_err("deadlock: scenario set-up failed: %d\n", err);
	return 0;
}
module_init(deadlock_init);
/* No module_exit: the threads never finish, so the module must stay. */

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("corekit test data: ABBA mutex deadlock, blocked rwsem reader, hang and Oops scenarios");
