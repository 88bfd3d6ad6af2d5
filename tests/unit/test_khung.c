/*
 * test_khung.c - the decisions behind the hung and lockup verdicts:
 *   - HZ inference from jiffies and uptime (khung_infer_hz), on the kernel's
 *     own INITIAL_JIFFIES for each HZ, on the values of the real hang guests
 *     (HZ 250), and the tie at 300 s of uptime that tick_nsec breaks;
 *   - the hung-task rule (khung_check) with the kernel's TASK_* bits: D is
 *     checked, TASK_KILLABLE / TASK_IDLE / frozen are not, a moved switch
 *     count resets the clock, exactly timeout*HZ is hung (time_is_after_jiffies),
 *     wrap-around of jiffies, a record in the future;
 *   - spinlock slow-path names and qspinlock/qrwlock validation;
 *   - what the lockup watchdogs said per CPU, from real log text
 *     (testdata/log-samples: soft lockups lnx-04 and lnx-10, the hard-lockup
 *     panic lnx-07) and the kernel's own hard-lockup message format.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khung.h"
#include "klockup.h"
#include "klog_events.h"
#include "test_log_samples.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct klog_events *parse_file(const char *root, const char *name)
{
	return log_sample_events(root, name);
}

static void note_all(struct klockup_log *log, size_t ncpus, const struct klog_events *ev)
{
	klockup_log_init(log, ncpus);
	for (size_t i = 0; ev && i < ev->n; i++) {
		const struct klog_event *e = &ev->ev[i];
		klockup_log_note(log, ncpus, e->kind, e->summary, e->cpu, e->pid, e->comm, e->uptime_s, e->duration_s);
	}
}

static enum khung_why check(uint32_t state, uint64_t nv, uint64_t niv, uint64_t lsc, uint64_t lst, uint64_t jiffies,
			    uint64_t timeout_j, uint64_t *blocked, bool *has)
{
	struct khung_task t = { state, nv, niv, lsc, lst };
	return khung_check(&t, jiffies, timeout_j, blocked, has);
}

int main(void)
{
	struct unit u = { 0 };
	const char *root = getenv("COREKIT_ROOT");
	root = root ? root : ".";

	UNIT_BEGIN(&u, "khung_initial_jiffies");
	CHECK(&u, khung_initial_jiffies(250) == 4294892296ull);	/* (unsigned int)(-75000) */
	CHECK(&u, khung_initial_jiffies(1000) == 4294667296ull);
	CHECK(&u, khung_initial_jiffies(100) == 4294937296ull);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "khung_infer_hz_each");
	static const unsigned hzs[] = { 100, 250, 300, 1000 };
	for (size_t i = 0; i < N(hzs); i++)
		for (double up = 10; up < 1e7; up *= 1.37) {
			if (up > 200 && up < 400)
				continue;	/* every HZ reaches 2^32 at 300 s: see below */
			uint64_t j = khung_initial_jiffies(hzs[i]) + (uint64_t)(up * hzs[i]);
			CHECK(&u, khung_infer_hz(j, up, 0) == hzs[i]);
			/* jiffies and rq->clock lag each other a little (NOHZ idle): still found */
			CHECK(&u, khung_infer_hz(j + hzs[i] / 2, up, 0) == hzs[i]);
		}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "khung_infer_hz_real_guests");
	/* jiffies_64, the uptime an_kernel.c computed from rq->clock, tick_nsec: the hang guests */
	CHECK(&u, khung_infer_hz(4294897255ull, 20.090051, 4000000) == 250);	/* 6.1.0-57 */
	CHECK(&u, khung_infer_hz(4294897216ull, 20.056014, 4000000) == 250);	/* 6.12.95 */
	CHECK(&u, khung_infer_hz(4294897255ull, 20.090051, 0) == 250);	/* uptime alone decides */
	UNIT_END(&u);

	UNIT_BEGIN(&u, "khung_infer_hz_300s_tie");
	/* jiffies == 2^32 at 300 s whatever HZ is: only tick_nsec can tell */
	const uint64_t j300 = 1ull << 32;
	CHECK(&u, khung_infer_hz(j300, 300.0, 0) == 0);
	CHECK(&u, khung_infer_hz(j300, 300.0, 4000000) == 250);
	CHECK(&u, khung_infer_hz(j300, 300.0, 3333333) == 300);
	CHECK(&u, khung_infer_hz(j300, 300.0, 1000000 + 400) == 1000);	/* NTP-adjusted */
	CHECK(&u, khung_infer_hz(j300, 300.0, 1234567) == 0);		/* no HZ of ours */
	/* tick_nsec never overrides a clear uptime fit... */
	CHECK(&u, khung_infer_hz(khung_initial_jiffies(250) + 250 * 20, 20.0, 1000000) == 250);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "khung_infer_hz_refuses_to_guess");
	CHECK(&u, khung_infer_hz(khung_initial_jiffies(250) + 500, NAN, 4000000) == 0);
	CHECK(&u, khung_infer_hz(khung_initial_jiffies(250) + 500, -1, 4000000) == 0);
	/* ...nor names an HZ whose jiffies do not fit the uptime (a stopped clock, a wrong symbol) */
	CHECK(&u, khung_infer_hz(khung_initial_jiffies(250) + 250 * 100, 1000.0, 4000000) == 0);
	CHECK(&u, khung_infer_hz(12345, 1000.0, 0) == 0);
	UNIT_END(&u);

	uint64_t b;
	bool has;
	const uint64_t to = 5 * 250, now = 1000000;
	UNIT_BEGIN(&u, "khung_rule_d_hung");
	CHECK(&u, check(0x2, 10, 2, 12, now - to - 1, now, to, &b, &has) == KHUNG_HUNG && has && b == to + 1);
	/* exactly timeout*HZ: time_is_after_jiffies() is false, so hung */
	CHECK(&u, check(0x2, 10, 2, 12, now - to, now, to, &b, &has) == KHUNG_HUNG);
	CHECK(&u, check(0x2, 10, 2, 12, now - to + 1, now, to, &b, &has) == KHUNG_NOT_YET && has && b == to - 1);
	/* TASK_UNINTERRUPTIBLE | TASK_FREEZABLE (0x2000) is still checked by the kernel */
	CHECK(&u, check(0x2002, 10, 2, 12, 0, now, to, &b, &has) == KHUNG_HUNG);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "khung_rule_skipped_states");
	CHECK(&u, check(0x1, 10, 2, 12, 0, now, to, &b, &has) == KHUNG_NOT_CHECKED && !has);	/* S */
	CHECK(&u, check(0x0, 10, 2, 12, 0, now, to, &b, &has) == KHUNG_NOT_CHECKED);		/* R */
	CHECK(&u, check(0x102, 10, 2, 12, 0, now, to, &b, &has) == KHUNG_NOT_CHECKED);	/* TASK_KILLABLE */
	CHECK(&u, check(0x402, 10, 2, 12, 0, now, to, &b, &has) == KHUNG_NOT_CHECKED);	/* TASK_IDLE */
	CHECK(&u, check(0x8002, 10, 2, 12, 0, now, to, &b, &has) == KHUNG_NOT_CHECKED);	/* frozen */
	CHECK(&u, check(0x8000, 10, 2, 12, 0, now, to, &b, &has) == KHUNG_NOT_CHECKED);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "khung_rule_switches");
	/* never switched: a fresh task the kernel skips */
	CHECK(&u, check(0x2, 0, 0, 0, 0, now, to, &b, &has) == KHUNG_NEVER_SWITCHED && !has);
	/* short D sleeps: the count moved since the detector's record */
	CHECK(&u, check(0x2, 500, 3, 480, 0, now, to, &b, &has) == KHUNG_SWITCHED && !has);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "khung_rule_jiffies_wrap");
	/* 32-bit-looking INITIAL_JIFFIES is far from 2^64, but the arithmetic must be modular */
	CHECK(&u, check(0x2, 1, 1, 2, UINT64_MAX - 10, 2000, to, &b, &has) == KHUNG_HUNG && b == 2011);
	/* a record after now (torn or corrupt): not hung, no time */
	CHECK(&u, check(0x2, 1, 1, 2, now + 5, now, to, &b, &has) == KHUNG_NOT_YET && !has);
	/* a timeout so large it cannot elapse */
	CHECK(&u, check(0x2, 1, 1, 2, 0, now, UINT64_MAX, &b, &has) == KHUNG_NOT_YET);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klockup_spin_functions");
	CHECK(&u, klockup_spin_function("native_queued_spin_lock_slowpath") == KLOCKUP_SPINLOCK);
	CHECK(&u, klockup_spin_function("__pv_queued_spin_lock_slowpath") == KLOCKUP_SPINLOCK);
	CHECK(&u, klockup_spin_function("queued_spin_lock_slowpath") == KLOCKUP_SPINLOCK);
	CHECK(&u, klockup_spin_function("_raw_spin_lock_irqsave") == KLOCKUP_SPINLOCK);
	CHECK(&u, klockup_spin_function("native_queued_spin_lock_slowpath.part.0") == KLOCKUP_SPINLOCK);
	CHECK(&u, klockup_spin_function("queued_write_lock_slowpath") == KLOCKUP_RWLOCK);
	CHECK(&u, klockup_spin_function("queued_read_lock_slowpath") == KLOCKUP_RWLOCK);
	CHECK(&u, klockup_spin_function("_raw_spin_unlock_irqrestore") == KLOCKUP_NOT_SPIN);
	CHECK(&u, klockup_spin_function("_raw_spin_trylock") == KLOCKUP_NOT_SPIN);
	CHECK(&u, klockup_spin_function("dl_spin_hold") == KLOCKUP_NOT_SPIN);
	CHECK(&u, klockup_spin_function(NULL) == KLOCKUP_NOT_SPIN);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klockup_qspinlock_values");
	CHECK(&u, klockup_qspinlock_held(0x1, 3));		/* locked, nobody queued (virt_spin_lock) */
	CHECK(&u, klockup_qspinlock_held(0x101, 3));		/* locked + pending */
	CHECK(&u, klockup_qspinlock_held(0x1 | (3u << 18), 3));	/* CPU 2 queued */
	CHECK(&u, klockup_qspinlock_held(0x3, 3));		/* _Q_SLOW_VAL (paravirt) */
	CHECK(&u, !klockup_qspinlock_held(0x0, 3));		/* free */
	CHECK(&u, !klockup_qspinlock_held(0x100, 3));		/* pending only: not held */
	CHECK(&u, !klockup_qspinlock_held(0x1 | (5u << 18), 3));	/* a CPU that does not exist */
	CHECK(&u, !klockup_qspinlock_held(0xffffffffu, 64));	/* a pointer or -1, not a lock */
	CHECK(&u, !klockup_qspinlock_held(0xc0480001u, 3));
	CHECK(&u, klockup_qrwlock_held(0xff));			/* writer */
	CHECK(&u, klockup_qrwlock_held(3u << 9));		/* three readers */
	CHECK(&u, !klockup_qrwlock_held(0));
	CHECK(&u, !klockup_qrwlock_held(0x101));
	UNIT_END(&u);

	struct klockup_log lg[4];
	UNIT_BEGIN(&u, "klockup_log_lnx04_soft");
	struct klog_events *ev = parse_file(root, "lnx-04-soft-lockup-vmware-guest-regs.log");
	note_all(lg, N(lg), ev);
	CHECK(&u, ev && lg[1].soft && !lg[1].hard && lg[1].pid == 12 && lg[1].stuck_s == 41 &&
		  lg[1].comm && strcmp(lg[1].comm, "migration/1") == 0 &&
		  fabs(lg[1].report_s - 48.090228) < 1e-6);
	CHECK(&u, !lg[0].soft && !lg[2].soft && !lg[3].soft);
	/* snapshot 10 s after the report: stuck for at least 51 s */
	CHECK(&u, fabs(klockup_stuck_since_report(&lg[1], 58.090228) - 51) < 1e-6);
	CHECK(&u, isnan(klockup_stuck_since_report(&lg[1], NAN)));
	CHECK(&u, isnan(klockup_stuck_since_report(&lg[1], 40.0)));	/* before the report */
	CHECK(&u, isnan(klockup_stuck_since_report(&lg[0], 58.0)));
	klog_events_destroy(ev);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klockup_log_lnx10_soft_dmesg_T");
	ev = parse_file(root, "lnx-10-rcu-stall-plus-soft-lockup-dmesg-T.log");
	note_all(lg, N(lg), ev);
	/* dmesg -T has no uptime: reported, but the time since the report is unknown */
	CHECK(&u, ev && lg[1].soft && lg[1].stuck_s == 2471 && isnan(lg[1].report_s));
	CHECK(&u, isnan(klockup_stuck_since_report(&lg[1], 100.0)));
	CHECK(&u, !lg[0].soft && !lg[0].hard && !lg[2].soft);
	klog_events_destroy(ev);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klockup_log_lnx07_hard_panic");
	ev = parse_file(root, "lnx-07-hard-lockup-panic-el7.log");
	note_all(lg, N(lg), ev);
	CHECK(&u, ev && lg[0].hard && !lg[0].soft && !lg[1].hard && !lg[2].hard);
	klog_events_destroy(ev);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klockup_log_hard_lockup_message");
	/* kernel/watchdog_perf.c: pr_emerg("Watchdog detected hard LOCKUP on cpu %d\n", ...) with pr_fmt "NMI watchdog: " */
	static const char hard[] = "[  100.000001] NMI watchdog: Watchdog detected hard LOCKUP on cpu 3\n";
	ev = NULL;
	ck_error_destroy(klog_events_parse(hard, strlen(hard), &ev));
	note_all(lg, N(lg), ev);
	CHECK(&u, ev && lg[3].hard && !lg[3].soft && !lg[0].hard);
	/* a CPU outside the machine is ignored, not written past the array */
	note_all(lg, 2, ev);
	CHECK(&u, !lg[0].hard && !lg[1].hard);
	klog_events_destroy(ev);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klockup_log_negative_hung_task_only");
	ev = parse_file(root, "lnx-01-hung-task-jbd2-vmware-scsi-abort.log");
	note_all(lg, N(lg), ev);
	CHECK(&u, ev && ev->n > 0);
	for (size_t c = 0; c < N(lg); c++)
		CHECK(&u, !lg[c].soft && !lg[c].hard);
	klog_events_destroy(ev);
	UNIT_END(&u);

	return UNIT_EXIT(&u);
}
