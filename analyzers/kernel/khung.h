/*
 * khung.h - the kernel's hung-task rule (kernel/hung_task.c, Linux 6.1 and
 * 6.12: check_hung_uninterruptible_tasks + check_hung_task, task_is_hung in
 * later kernels) applied to a snapshot, and the HZ a kernel runs at inferred
 * from its jiffies and uptime.  Pure functions on numbers read elsewhere,
 * so the decisions are testable without a guest.
 *
 * The rule: __state has TASK_UNINTERRUPTIBLE and none of TASK_WAKEKILL
 * (killable), TASK_NOLOAD (idle) or TASK_FROZEN; nvcsw + nivcsw is nonzero
 * and equal to last_switch_count (the detector has seen it not move since
 * it recorded last_switch_time); and jiffies - last_switch_time >=
 * timeout * HZ (time_is_after_jiffies() is false).  last_switch_time is the
 * jiffies of the detector's check that first saw the current count, so the
 * time blocked it gives is a lower bound (by up to one check interval).
 */
#ifndef COREKIT_KHUNG_H
#define COREKIT_KHUNG_H

#include <stdbool.h>
#include <stdint.h>

enum {
	KHUNG_TASK_UNINTERRUPTIBLE = 0x0002,
	KHUNG_TASK_WAKEKILL = 0x0100,
	KHUNG_TASK_NOLOAD = 0x0400,
	KHUNG_TASK_FROZEN = 0x8000,
};

enum khung_why {
	KHUNG_HUNG,		/* the kernel's rule holds now */
	KHUNG_NOT_CHECKED,	/* not a state the detector checks (not D, killable, idle, frozen) */
	KHUNG_NEVER_SWITCHED,	/* switch count 0: a fresh task, skipped by the kernel */
	KHUNG_SWITCHED,		/* the count moved since the detector last looked */
	KHUNG_NOT_YET,		/* blocked, but for less than the timeout */
};

struct khung_task {
	uint32_t state;		/* task->__state */
	uint64_t nvcsw, nivcsw, last_switch_count, last_switch_time;
};

/*
 * Apply the rule at `jiffies` with the timeout in jiffies.  *blocked_jiffies
 * gets jiffies - last_switch_time when the detector's record is current
 * (KHUNG_HUNG, KHUNG_NOT_YET with a time not in the future); *has_blocked
 * says whether it was set.
 */
enum khung_why khung_check(const struct khung_task *t, uint64_t jiffies, uint64_t timeout_jiffies,
			   uint64_t *blocked_jiffies, bool *has_blocked);

/* The kernel's INITIAL_JIFFIES for this HZ: (unsigned long)(unsigned int)(-300 * HZ). */
uint64_t khung_initial_jiffies(unsigned hz);

/*
 * The HZ among 100, 250, 300 and 1000 whose (jiffies - INITIAL_JIFFIES) / HZ
 * matches uptime_s (within max(1 s, 3 %)).  Every HZ's jiffies reach 2^32 at
 * 300 s of uptime, so near there several fit: then tick_nsec (the kernel's
 * NTP-adjusted nanoseconds per tick, ~1e9 / HZ; 0 if unknown) decides among
 * them.  0 when none fits or the fit stays ambiguous: the caller says so
 * rather than guess.
 */
unsigned khung_infer_hz(uint64_t jiffies, double uptime_s, uint64_t tick_nsec);

#endif
