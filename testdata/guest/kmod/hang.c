// SPDX-License-Identifier: GPL-2.0
/*
 * The hang scenarios of deadlock.ko, one parameter each (shape hang sets all).
 * Every one prints its ground truth as DLTRUTH lines.
 *
 *   sem        dl_sem_wait: down(&dl_sem), count 0, nobody ups it: D for ever.
 *              dl_comp_wait: wait_for_completion(&dl_comp), never completed: D.
 *              dl_wq_wait: wait_event(dl_wq, ...) on a wait queue nobody wakes: D.
 *   cycle      dl_cyc1 holds cyc_m1, wants cyc_m2; dl_cyc2 holds cyc_m2, wants
 *              cyc_rwsem (down_write); dl_cyc3 holds cyc_rwsem (down_read),
 *              wants cyc_m1: a 3-task cycle, all D.
 *   sleeper    dl_slp_hold takes slp_mutex, then sleeps interruptibly for ever
 *              (S, not hung itself); dl_slp_w0..2 queue on slp_mutex: D.
 *   userblock  dl_uhold takes user_mutex, then waits on user_never (D); a user
 *              process reading /proc/dl_block blocks on user_mutex in read(): D.
 *   shortd     dl_shortd: msleep(50) in a loop: D most of the time, never long.
 *   rt         dl_rt_hold takes rt_lock (an rt_mutex, the PI lock behind
 *              futex PI) and sleeps in S; dl_rt_wait blocks in rt_mutex_lock: D.
 *              It also holds its own task_struct's perf_event_mutex (unused
 *              by a kthread), and dl_tm_wait blocks on it: a lock inside a
 *              task, named by its member.
 *   spin       dl_spin_hold (CPU 1) takes dl_spin and spins without releasing
 *              it; dl_spin_wait (CPU 2) spins in spin_lock(&dl_spin).  Both
 *              wait (S) until /proc/deadlock_ctl says "spin", because two
 *              spinning CPUs stall much of the rest; needs >= 3 CPUs.  The
 *              soft-lockup watchdog reports both CPUs.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/rtmutex.h>
#include <linux/rwsem.h>
#include <linux/semaphore.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "dl.h"

static bool sem, cycle, sleeper, userblock, shortd, rt, spin;
module_param(sem, bool, 0444);
MODULE_PARM_DESC(sem, "a semaphore, a completion and a wait queue waited on for ever");
module_param(cycle, bool, 0444);
MODULE_PARM_DESC(cycle, "3-task cycle over two mutexes and an rwsem");
module_param(sleeper, bool, 0444);
MODULE_PARM_DESC(sleeper, "3 tasks blocked on a mutex whose holder sleeps in S");
module_param(userblock, bool, 0444);
MODULE_PARM_DESC(userblock, "/proc/dl_block: read() blocks on a mutex held by a D kthread");
module_param(shortd, bool, 0444);
MODULE_PARM_DESC(shortd, "a kthread in short D sleeps only (not hung)");
module_param(rt, bool, 0444);
MODULE_PARM_DESC(rt, "a task blocked on an rt_mutex whose holder sleeps in S");
module_param(spin, bool, 0444);
MODULE_PARM_DESC(spin, "spinlock holder and waiter spinning on CPUs 1 and 2 (started by /proc/deadlock_ctl)");

#define SHORTD_MS 50
#define SPIN_HOLD_CPU 1
#define SPIN_WAIT_CPU 2

/* ---- sem: a semaphore and a completion nobody signals ---- */
static struct semaphore dl_sem;
static DECLARE_COMPLETION(dl_comp);

static int dl_sem_wait(void *unused)
{
	down(&dl_sem);
	return 0;
}

static int dl_comp_wait(void *unused)
{
	wait_for_completion(&dl_comp);
	return 0;
}

static DECLARE_WAIT_QUEUE_HEAD(dl_wq);
static bool dl_wq_done;

static int dl_wq_wait(void *unused)
{
	wait_event(dl_wq, READ_ONCE(dl_wq_done));	/* TASK_UNINTERRUPTIBLE, never woken */
	return 0;
}

static int start_sem(void)
{
	struct task_struct *s, *c, *q;

	sema_init(&dl_sem, 0);
	s = dl_start(dl_sem_wait, NULL, "dl_sem_wait", -1);
	c = dl_start(dl_comp_wait, NULL, "dl_comp_wait", -1);
	q = dl_start(dl_wq_wait, NULL, "dl_wq_wait", -1);
	if (!s || !c || !q)
		return -ENOMEM;
	dl_truth("waitq=%px waitq_waiter_pid=%d waitq_waiter_task=%px", &dl_wq, task_pid_nr(q), q);
	dl_truth("sem=%px sem_waiter_pid=%d sem_waiter_task=%px", &dl_sem, task_pid_nr(s), s);
	dl_truth("comp=%px comp_waiter_pid=%d comp_waiter_task=%px", &dl_comp, task_pid_nr(c), c);
	return 0;
}

/* ---- cycle: m1 -> m2 -> rwsem -> m1 ---- */
static DEFINE_MUTEX(cyc_m1);
static DEFINE_MUTEX(cyc_m2);
static DECLARE_RWSEM(cyc_rwsem);
static struct completion cyc_first[3];	/* complete_all: member i holds its first lock */

static void cyc_wait_all(int me)
{
	int i;

	complete_all(&cyc_first[me]);
	for (i = 0; i < 3; i++)
		wait_for_completion(&cyc_first[i]);
}

static int dl_cyc1(void *unused)
{
	mutex_lock(&cyc_m1);
	cyc_wait_all(0);
	mutex_lock(&cyc_m2);
	return 0;
}

static int dl_cyc2(void *unused)
{
	mutex_lock(&cyc_m2);
	cyc_wait_all(1);
	down_write(&cyc_rwsem);
	return 0;
}

static int dl_cyc3(void *unused)
{
	down_read(&cyc_rwsem);
	cyc_wait_all(2);
	mutex_lock(&cyc_m1);
	return 0;
}

static int start_cycle(void)
{
	struct task_struct *t[3];
	int i;

	for (i = 0; i < 3; i++)
		init_completion(&cyc_first[i]);
	t[0] = dl_start(dl_cyc1, NULL, "dl_cyc1", -1);
	t[1] = dl_start(dl_cyc2, NULL, "dl_cyc2", -1);
	t[2] = dl_start(dl_cyc3, NULL, "dl_cyc3", -1);
	if (!t[0] || !t[1] || !t[2])
		return -ENOMEM;
	dl_truth("cyc_m1=%px cyc_m2=%px cyc_rwsem=%px", &cyc_m1, &cyc_m2, &cyc_rwsem);
	dl_truth("cyc1_pid=%d cyc1_task=%px cyc1_holds=%px cyc1_wants=%px cyc1_wants_mode=mutex",
		 task_pid_nr(t[0]), t[0], &cyc_m1, &cyc_m2);
	dl_truth("cyc2_pid=%d cyc2_task=%px cyc2_holds=%px cyc2_wants=%px cyc2_wants_mode=write",
		 task_pid_nr(t[1]), t[1], &cyc_m2, &cyc_rwsem);
	dl_truth("cyc3_pid=%d cyc3_task=%px cyc3_holds=%px cyc3_holds_mode=read cyc3_wants=%px cyc3_wants_mode=mutex",
		 task_pid_nr(t[2]), t[2], &cyc_rwsem, &cyc_m1);
	return 0;
}

/* ---- sleeper: waiters queued behind a holder in S ---- */
static DEFINE_MUTEX(slp_mutex);
static DECLARE_COMPLETION(slp_taken);

static int dl_slp_hold(void *unused)
{
	mutex_lock(&slp_mutex);
	complete_all(&slp_taken);
	while (!kthread_should_stop())
		msleep_interruptible(3600 * 1000);
	return 0;
}

static int dl_slp_wait(void *unused)
{
	wait_for_completion(&slp_taken);
	mutex_lock(&slp_mutex);
	return 0;
}

static int start_sleeper(void)
{
	struct task_struct *h, *w[3];
	char name[16];
	int i;

	h = dl_start(dl_slp_hold, NULL, "dl_slp_hold", -1);
	if (!h)
		return -ENOMEM;
	wait_for_completion(&slp_taken);	/* waiters queue in a known order */
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "dl_slp_w%d", i);
		w[i] = dl_start(dl_slp_wait, NULL, name, -1);
		if (!w[i])
			return -ENOMEM;
		msleep(50);
	}
	dl_truth("slp_mutex=%px slp_holder_pid=%d slp_holder_task=%px slp_holder_state=S",
		 &slp_mutex, task_pid_nr(h), h);
	dl_truth("slp_waiter_pids=%d,%d,%d slp_waiter_tasks=%px,%px,%px",
		 task_pid_nr(w[0]), task_pid_nr(w[1]), task_pid_nr(w[2]), w[0], w[1], w[2]);
	return 0;
}

/* ---- userblock: a user read() behind a D kthread ---- */
static DEFINE_MUTEX(user_mutex);
static DECLARE_COMPLETION(user_taken);
static DECLARE_COMPLETION(user_never);

static int dl_uhold(void *unused)
{
	mutex_lock(&user_mutex);
	complete_all(&user_taken);
	wait_for_completion(&user_never);
	return 0;
}

static ssize_t dl_block_read(struct file *file, char __user *buf, size_t len, loff_t *pos)
{
	dl_truth("user_reader_pid=%d user_reader_comm=%s user_reader_task=%px",
		 task_pid_nr(current), current->comm, current);
	mutex_lock(&user_mutex);
	mutex_unlock(&user_mutex);
	return 0;
}

static const struct proc_ops dl_block_ops = {
	.proc_read = dl_block_read,
	.proc_lseek = noop_llseek,
};

static int start_userblock(void)
{
	struct task_struct *h = dl_start(dl_uhold, NULL, "dl_uhold", -1);

	if (!h)
		return -ENOMEM;
	wait_for_completion(&user_taken);	/* a reader started after insmod blocks */
	if (!proc_create("dl_block", 0444, NULL, &dl_block_ops))
		return -ENOMEM;
	dl_truth("user_file=/proc/dl_block user_mutex=%px user_never=%px user_holder_pid=%d user_holder_task=%px",
		 &user_mutex, &user_never, task_pid_nr(h), h);
	return 0;
}

/* ---- shortd: D, but only ever for SHORTD_MS ---- */
static int dl_shortd(void *unused)
{
	while (!kthread_should_stop())
		msleep(SHORTD_MS);
	return 0;
}

static int start_shortd(void)
{
	struct task_struct *t = dl_start(dl_shortd, NULL, "dl_shortd", -1);

	if (!t)
		return -ENOMEM;
	dl_truth("shortd_pid=%d shortd_task=%px shortd_sleep_ms=%d", task_pid_nr(t), t, SHORTD_MS);
	return 0;
}

/* ---- rt: an rt_mutex waiter behind a holder in S ---- */
static DEFINE_RT_MUTEX(rt_lock);
static DECLARE_COMPLETION(rt_taken);

static int dl_rt_hold(void *unused)
{
	rt_mutex_lock(&rt_lock);
	mutex_lock(&current->perf_event_mutex);
	complete_all(&rt_taken);
	while (!kthread_should_stop())
		msleep_interruptible(3600 * 1000);
	return 0;
}

static int dl_rt_wait(void *unused)
{
	wait_for_completion(&rt_taken);
	rt_mutex_lock(&rt_lock);
	return 0;
}

static int dl_tm_wait(void *holder)
{
	struct task_struct *h = holder;

	mutex_lock(&h->perf_event_mutex);
	return 0;
}

static int start_rt(void)
{
	struct task_struct *h = dl_start(dl_rt_hold, NULL, "dl_rt_hold", -1), *w, *tm;

	if (!h)
		return -ENOMEM;
	get_task_struct(h);	/* dl_tm_wait keeps a pointer into it */
	wait_for_completion(&rt_taken);
	w = dl_start(dl_rt_wait, NULL, "dl_rt_wait", -1);
	tm = dl_start(dl_tm_wait, h, "dl_tm_wait", -1);
	if (!w || !tm)
		return -ENOMEM;
	dl_truth("rt_lock=%px rt_holder_pid=%d rt_holder_task=%px rt_waiter_pid=%d rt_waiter_task=%px",
		 &rt_lock, task_pid_nr(h), h, task_pid_nr(w), w);
	dl_truth("tm_mutex=%px tm_holder_pid=%d tm_waiter_pid=%d tm_waiter_task=%px",
		 &h->perf_event_mutex, task_pid_nr(h), task_pid_nr(tm), tm);
	return 0;
}

/* ---- spin: a spinlock held by a spinning CPU, another CPU spinning on it ---- */
static DEFINE_SPINLOCK(dl_spin);
static DECLARE_COMPLETION(spin_go);
static DECLARE_COMPLETION(spin_held);

static void spin_wait_go(void)
{
	/* interruptible: S while armed, so the hung-task detector ignores it */
	while (wait_for_completion_interruptible(&spin_go))
		;
}

static int dl_spin_hold(void *unused)
{
	spin_wait_go();
	spin_lock(&dl_spin);
	complete(&spin_held);
	dl_truth("spin_holder_spinning_cpu=%d", raw_smp_processor_id());
	for (;;)
		cpu_relax();		/* never unlocks, never schedules */
	return 0;
}

static int dl_spin_wait(void *unused)
{
	spin_wait_go();
	wait_for_completion(&spin_held);
	dl_truth("spin_waiter_spinning_cpu=%d", raw_smp_processor_id());
	spin_lock(&dl_spin);		/* spins for ever */
	spin_unlock(&dl_spin);
	return 0;
}

static int start_spin(void)
{
	struct task_struct *h, *w;

	if (!cpu_online(SPIN_HOLD_CPU) || !cpu_online(SPIN_WAIT_CPU)) {
		pr_warn("deadlock: spin needs CPUs %d and %d online, not started\n",
			SPIN_HOLD_CPU, SPIN_WAIT_CPU);
		return -ENODEV;
	}
	h = dl_start(dl_spin_hold, NULL, "dl_spin_hold", SPIN_HOLD_CPU);
	w = dl_start(dl_spin_wait, NULL, "dl_spin_wait", SPIN_WAIT_CPU);
	if (!h || !w)
		return -ENOMEM;
	dl_truth("spin_lock=%px spin_holder_pid=%d spin_holder_task=%px spin_holder_cpu=%d",
		 &dl_spin, task_pid_nr(h), h, SPIN_HOLD_CPU);
	dl_truth("spin_waiter_pid=%d spin_waiter_task=%px spin_waiter_cpu=%d",
		 task_pid_nr(w), w, SPIN_WAIT_CPU);
	return 0;
}

void dl_hang_spin_go(void)
{
	if (spin)
		complete_all(&spin_go);
}

int dl_hang_init(bool *armed)
{
	int err = 0;

	if (sem)
		err = start_sem();
	if (!err && cycle)
		err = start_cycle();
	if (!err && sleeper)
		err = start_sleeper();
	if (!err && userblock)
		err = start_userblock();
	if (!err && shortd)
		err = start_shortd();
	if (!err && rt)
		err = start_rt();
	if (!err && spin)
		err = start_spin();
	if (!err && spin)
		*armed = true;
	return err;
}
