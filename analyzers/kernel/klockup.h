/*
 * klockup.h - the decisions behind the lockup verdict (an_klockup.c), pure
 * functions so they are testable on real log text without a guest:
 *   - is a function one of the kernel's spinlock slow paths;
 *   - is a 32-bit value a held qspinlock / a taken qrwlock (validates a
 *     candidate lock address found in registers);
 *   - what the lockup watchdogs logged for each CPU (soft lockup: "BUG: soft
 *     lockup - CPU#N stuck for Xs! [COMM:PID]"; hard lockup: "Watchdog
 *     detected hard LOCKUP on cpu N", or "Kernel panic - not syncing: Hard
 *     LOCKUP" with the CPU of its "CPU: N PID: P" line).
 */
#ifndef COREKIT_KLOCKUP_H
#define COREKIT_KLOCKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum klockup_spin {
	KLOCKUP_NOT_SPIN = 0,
	KLOCKUP_SPINLOCK,	/* queued spinlock (qspinlock) slow path or raw entry */
	KLOCKUP_RWLOCK,		/* queued rwlock (qrwlock) slow path */
};

/* What kind of spin function fn (a kallsyms or DWARF name, raw or normalised) is. */
enum klockup_spin klockup_spin_function(const char *fn);

/*
 * A held qspinlock as the kernel writes it: locked byte _Q_LOCKED_VAL (1)
 * or _Q_SLOW_VAL (3, paravirt), pending byte 0 or 1, tail index < 4 and
 * tail CPU (stored + 1) at most ncpus.
 */
bool klockup_qspinlock_held(uint32_t val, size_t ncpus);
/* A qrwlock's cnts that someone holds: writer byte 0 or _QW_LOCKED (0xff), nonzero readers or writer. */
bool klockup_qrwlock_held(uint32_t cnts);

/* The watchdog's reports for one CPU. */
struct klockup_log {
	bool soft, hard;
	int64_t pid;		/* task named in the latest soft-lockup report, -1 unknown */
	const char *comm;	/* its comm, borrowed from the event; NULL unknown */
	double report_s;	/* uptime of the latest soft-lockup report, NAN unknown */
	double stuck_s;		/* its "stuck for Xs", NAN unknown */
	double hard_s;		/* uptime of the latest hard-lockup report, NAN unknown */
};

void klockup_log_init(struct klockup_log *log, size_t ncpus);
/*
 * Fold one kernel-log event (klog_events.h kinds) into log[0..ncpus):
 * "soft-lockup" and "hard-lockup" events, and "panic" events whose summary
 * names a hard lockup.  Events without a CPU in range are ignored.
 */
void klockup_log_note(struct klockup_log *log, size_t ncpus, const char *kind, const char *summary, int cpu,
		      int64_t pid, const char *comm, double uptime_s, double duration_s);

/*
 * How long a CPU the watchdog reported has been stuck by a snapshot taken
 * at uptime now_s: at least X + (now - t) for a report of "stuck for Xs" at
 * t; NAN when the report has no time or now is unknown or before it.
 */
double klockup_stuck_since_report(const struct klockup_log *log, double now_s);

#endif
