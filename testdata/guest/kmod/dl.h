/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by the files of deadlock.ko (see abba.c for the module overview). */
#ifndef DL_H
#define DL_H

#include <linux/sched.h>

/*
 * Ground truth goes to the console as "DLTRUTH key=value ..." lines; guest.sh
 * copies every key=value into the guest's info file.
 */
#define dl_truth(fmt, ...) pr_info("DLTRUTH " fmt "\n", ##__VA_ARGS__)

/* kthread_run, bound to @cpu when cpu >= 0; NULL on failure. */
struct task_struct *dl_start(int (*fn)(void *), void *arg, const char *name, int cpu);

/* The *_init set *armed when /proc/deadlock_ctl has something to start. */
int dl_hang_init(bool *armed);	/* hang.c: the scenarios its params enable */
void dl_hang_spin_go(void);	/* start the spinlock pair (last: it eats 2 CPUs) */
int dl_oops_init(bool *armed);	/* oops.c */
void dl_oops_go(void);
int dl_ctl_init(void);		/* ctl.c: /proc/deadlock_ctl */

#endif
