/* klockup.c - lockup decisions (klockup.h). */
#include "klockup.h"

#include <math.h>
#include <string.h>

#include "symbols.h"

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

enum klockup_spin klockup_spin_function(const char *fn)
{
	if (!fn)
		return KLOCKUP_NOT_SPIN;
	/* Normalised (sym_normalize_name): "__pv_..." and "pv_..." alike, GCC
	 * clones ("....part.0") are the same function; prefixes also take the
	 * _irqsave, _bh, _irq entries. */
	char name[128];
	sym_normalize_name(fn, name, sizeof(name));
	static const char *const spin[] = {
		"native_queued_spin_lock_slowpath", "queued_spin_lock_slowpath", "pv_queued_spin_lock_slowpath",
		"virt_spin_lock", "raw_spin_lock", "do_raw_spin_lock", NULL,
	};
	static const char *const rw[] = { "queued_read_lock_slowpath", "queued_write_lock_slowpath",
					  "raw_read_lock", "raw_write_lock", NULL };
	for (size_t i = 0; spin[i]; i++)
		if (has_prefix(name, spin[i]))
			return KLOCKUP_SPINLOCK;
	for (size_t i = 0; rw[i]; i++)
		if (has_prefix(name, rw[i]))
			return KLOCKUP_RWLOCK;
	return KLOCKUP_NOT_SPIN;
}

bool klockup_qspinlock_held(uint32_t val, size_t ncpus)
{
	uint32_t locked = val & 0xff, pending = (val >> 8) & 0xff, tail_cpu = val >> 18;
	if (locked != 1 && locked != 3)
		return false;
	if (pending > 1)
		return false;
	return tail_cpu <= ncpus;	/* 0: no queue; else the last queued CPU + 1 (idx in bits 16-17) */
}

bool klockup_qrwlock_held(uint32_t cnts)
{
	uint32_t wlocked = cnts & 0xff;
	return (wlocked == 0 || wlocked == 0xff) && (wlocked == 0xff || cnts >> 9);
}

void klockup_log_init(struct klockup_log *log, size_t ncpus)
{
	for (size_t i = 0; i < ncpus; i++)
		log[i] = (struct klockup_log){ .pid = -1, .report_s = NAN, .stuck_s = NAN, .hard_s = NAN };
}

void klockup_log_note(struct klockup_log *log, size_t ncpus, const char *kind, const char *summary, int cpu,
		      int64_t pid, const char *comm, double uptime_s, double duration_s)
{
	if (!kind || cpu < 0 || (size_t)cpu >= ncpus)
		return;
	struct klockup_log *l = &log[cpu];
	if (strcmp(kind, "soft-lockup") == 0) {
		/* The latest report describes the stall still going on (its X grows). */
		l->soft = true;
		l->pid = pid;
		l->comm = comm;
		l->report_s = uptime_s;
		l->stuck_s = duration_s;
	} else if (strcmp(kind, "hard-lockup") == 0 ||
		   (strcmp(kind, "panic") == 0 && summary && strstr(summary, "Hard LOCKUP"))) {
		/* A hard-lockup panic is raised by the NMI on the locked CPU itself: its "CPU: N" line. */
		l->hard = true;
		l->hard_s = uptime_s;
	}
}

double klockup_stuck_since_report(const struct klockup_log *log, double now_s)
{
	if (!log->soft || isnan(log->report_s) || isnan(log->stuck_s) || isnan(now_s) || now_s < log->report_s)
		return NAN;
	return log->stuck_s + (now_s - log->report_s);
}
