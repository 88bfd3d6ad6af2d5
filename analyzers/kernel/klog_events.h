/*
 * klog_events.h - the kernel's own warnings in kernel log text, one parser
 * for every place the text comes from: the printk ring read from memory
 * (klog.h), dmesg files, syslog/journal lines, serial consoles, crash's
 * `log` output.
 *
 * Each input line may carry, in this order, any of: junk before the
 * timestamp (editor line numbers, terminal escapes), a syslog prefix
 * ("Nov 30 02:39:42 host kernel: "), a "[ seconds.micros]" or dmesg -T
 * "[Thu Mar 25 00:50:20 2021]" timestamp, a "[  T123]"/"[  C1]" caller
 * field, a "<6>" level.  What remains is the kernel's text.
 *
 * Headers recognised (kind strings are exact and stable):
 *   hung-task    INFO: task COMM:PID blocked for more than N seconds.
 *   soft-lockup  [NMI ]watchdog: BUG: soft lockup - CPU#N stuck for Ns! [COMM:PID]
 *   hard-lockup  [NMI ]watchdog: Watchdog detected hard LOCKUP on cpu N
 *   rcu-stall    rcu: INFO: rcu_sched self-detected stall on CPU /
 *                rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
 *   oops         Oops: ... / BUG: unable to handle ... / BUG: kernel NULL pointer
 *                dereference ... / general protection fault ...
 *                (a BUG: line and the Oops: line just after it are one event)
 *   bug          kernel BUG at FILE:LINE! / any other "BUG: ..."
 *   warning      WARNING: CPU: N PID: P at FILE:LINE FUNC / WARNING: at FILE:LINE
 *   panic        Kernel panic - not syncing: MSG
 *                PANIC: "MSG" of crash's `sys` (an Oops MSG gives oops)
 * The lines after a header up to the next header (at most
 * KLOG_EVENT_MAX_BLOCK lines) fill in the details: "CPU: N PID: P Comm: C",
 * the first "RIP:" line, the first "Call Trace:".
 */
#ifndef COREKIT_KLOG_EVENTS_H
#define COREKIT_KLOG_EVENTS_H

#include <stddef.h>

#include "error.h"
#include "klog.h"

enum {
	KLOG_EVENT_MAX_FRAMES = 8,
	KLOG_EVENT_MAX_BLOCK = 400,	/* lines after a header searched for its details */
	KLOG_EVENT_MAX_EVENTS = 100000,	/* more are dropped and counted in `dropped` */
};

/* Absent fields: NULL strings, -1 integers, NAN doubles. */
struct klog_event {
	const char *kind;	/* static: "hung-task", "soft-lockup", ... */
	long line_no;		/* 1-based line of the header in the input */
	char *text;		/* the header line as given (no line end) */
	char *time;		/* timestamp as printed: "123.456789" or "Thu Mar 25 00:50:20 2021" */
	double uptime_s;	/* seconds since boot when the time is one */
	long pid;
	char *comm;		/* may contain spaces and colons: "kworker/u8:1", "CPU 0/KVM" */
	int cpu;
	double duration_s;	/* hung-task, soft-lockup: the N of the header */
	char *address;		/* faulting address as printed (oops) */
	char *ip;		/* "func+0x1a/0x40" of the first RIP: line */
	char *module;		/* the RIP's "[mod]", else the first reliable frame's "[mod]" */
	char *summary;		/* one line: the header text without timestamp or prefixes */
	char *frames[KLOG_EVENT_MAX_FRAMES];	/* function names of the Call Trace, "? " entries skipped */
	size_t nframes;
};

struct klog_events {
	struct klog_event *ev;
	size_t n;
	size_t dropped;		/* events past KLOG_EVENT_MAX_EVENTS */
};

/* Parse len bytes of text ('\n'-separated lines; "\r\n" is fine). */
struct ck_error *klog_events_parse(const char *text, size_t len, struct klog_events **ret);

/*
 * Parse the ring's records, each line of a record given its record's
 * "[%5lu.%06lu] " prefix as a serial console prints it; line_no counts those lines.
 */
struct ck_error *klog_events_from_klog(const struct klog *log, struct klog_events **ret);

void klog_events_destroy(struct klog_events *e);	/* NULL is fine */

#endif
