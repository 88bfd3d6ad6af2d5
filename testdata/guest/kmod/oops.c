// SPDX-License-Identifier: GPL-2.0
/*
 * oops=1: kthread dl_oops, bound to CPU 1 (CPU 0 on a 1-CPU guest), waits (S)
 * until /proc/deadlock_ctl says "oops", then dl_oops_fn() writes through a
 * NULL pointer.  With panic_on_oops=1 the kernel panics on that CPU.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/module.h>

#include "dl.h"

static bool oops;
module_param(oops, bool, 0444);
MODULE_PARM_DESC(oops, "dl_oops dereferences NULL when /proc/deadlock_ctl says oops");

static DECLARE_COMPLETION(oops_go);
/* volatile: the compiler must really load it and really store through it */
static int *volatile dl_null;

static noinline void dl_oops_fn(void)
{
	dl_truth("oops_running_cpu=%d", raw_smp_processor_id());
	*dl_null = 0xdead;
}

static int dl_oops(void *unused)
{
	while (wait_for_completion_interruptible(&oops_go))
		;
	dl_oops_fn();
	return 0;
}

void dl_oops_go(void)
{
	if (oops)
		complete(&oops_go);
}

int dl_oops_init(bool *armed)
{
	struct task_struct *t;
	int cpu = cpu_online(1) ? 1 : 0;

	if (!oops)
		return 0;
	t = dl_start(dl_oops, NULL, "dl_oops", cpu);
	if (!t)
		return -ENOMEM;
	dl_truth("oops_pid=%d oops_task=%px oops_cpu=%d oops_func=dl_oops_fn oops_addr=0",
		 task_pid_nr(t), t, cpu);
	*armed = true;
	return 0;
}
