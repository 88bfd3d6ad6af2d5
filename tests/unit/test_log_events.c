/*
 * test_log_events.c - the log line parsers on the tricky lines: "+"
 * continuation lines (G3 "W003+", G4 "In(05)+"), comms with spaces and
 * colons, undated lines after dated ones, file order that is not time order,
 * the verdict rules (VMX exit 0, soft CPU reset, toolbox-dnd timeouts, a PSOD's
 * "Saved backtrace from: pcpu N"), content sniffing (logs vs other text),
 * year-less dates in time order, signatures of log findings.
 * Lines are in the formats of the public samples (testdata/log-samples) or,
 * where no sample shows a line, built from the fact sheet's documented
 * wording (VMX exit, saved backtrace, vob core dump): those are marked.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log_events.h"
#include "log_report.h"
#include "unit.h"

static struct log_file *parse(const char *text, enum log_format fmt)
{
	struct log_file *f = NULL;
	struct ck_error *err = log_parse("t.log", text, strlen(text), fmt, &f);
	if (err) {
		printf("# parse: %s\n", err->msg);
		ck_error_destroy(err);
		return NULL;
	}
	return f;
}

static int streq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* The report of one text, for the verdict and timeline cases. */
static int report_of(const char *text, struct report *r)
{
	struct log_file *f = parse(text, LOG_FMT_NONE);
	report_init(r);
	r->target_kind = "log";
	struct ck_error *err = f ? log_report_add(r, &f, 1) : &ck_enomem;
	log_file_destroy(f);
	return err == NULL;
}

static int has_finding(const struct report *r, const char *kind)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (!strcmp(r->findings[i].kind, kind))
			return 1;
	return 0;
}

int main(void)
{
	struct unit u = { 0 };
	struct log_file *f;
	struct report r;

	UNIT_BEGIN(&u, "g3_continuation_line_carries_its_thread");
	f = parse("2021-11-15T00:23:51+01:00[+0.000]| mks| W003: \n"
		  "2021-11-15T00:23:51+01:00[+0.000]| mks| W003+ A core file is available in \"/vm/core\"\n",
		  LOG_FMT_NONE);
	CHECK(&u, f && f->format == LOG_FMT_VMX && f->n == 1);
	CHECK(&u, f && f->n == 1 && streq(f->ev[0].kind, "core-dump") && f->ev[0].line_no == 2 &&
		  streq(f->ev[0].thread, "mks") && streq(f->ev[0].core_file, "/vm/core") &&
		  streq(f->ev[0].time_utc, "2021-11-14T23:23:51.000Z"));
	log_file_destroy(f);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "g4_continuation_and_opid_column");
	f = parse("2023-06-03T02:05:50.305Z In(05) vmx - Log for VMware ESX pid=2115351 version=8.0.1 build=build-21495797 option=Release\n"
		  "2023-12-05T17:42:40.666Z In(05) vcpu-0 vim-cmd-09-a45d CPU reset: soft (mode 2)\n"
		  "2023-12-05T17:42:40.667Z In(05)+ vcpu-0 - Tools: Tools heartbeat timeout.\n", LOG_FMT_NONE);
	CHECK(&u, f && f->n == 2 && streq(f->product, "VMware ESX") && streq(f->version, "8.0.1"));
	CHECK(&u, f && f->n == 2 && streq(f->ev[0].kind, "cpu-reset") && streq(f->ev[0].thread, "vcpu-0") &&
		  f->ev[0].cpu == 0 && streq(f->ev[0].summary, "CPU reset: soft (mode 2)"));
	CHECK(&u, f && f->n == 2 && streq(f->ev[1].kind, "tools-heartbeat") && f->ev[1].line_no == 3);
	log_file_destroy(f);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "workstation17_no_opid_column");
	f = parse("2023-01-01T00:00:00.000Z In(05) vcpu-1 CPU reset: soft (mode 0)\n", LOG_FMT_NONE);
	CHECK(&u, f && f->n == 1 && streq(f->ev[0].thread, "vcpu-1") && streq(f->ev[0].summary, "CPU reset: soft (mode 0)"));
	log_file_destroy(f);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "comms_with_spaces_and_colons");
	f = parse("[  120.000001] INFO: task C2 CompilerThre:1582 blocked for more than 120 seconds.\n"
		  "[  121.000001] INFO: task kworker/u8:1:11 blocked for more than 120 seconds.\n"
		  "[  122.000001] watchdog: BUG: soft lockup - CPU#3 stuck for 22s! [CPU 0/KVM:31664]\n",
		  LOG_FMT_NONE);
	CHECK(&u, f && f->format == LOG_FMT_KERNEL && f->n == 3);
	CHECK(&u, f && f->n == 3 && streq(f->ev[0].comm, "C2 CompilerThre") && f->ev[0].pid == 1582);
	CHECK(&u, f && f->n == 3 && streq(f->ev[1].comm, "kworker/u8:1") && f->ev[1].pid == 11);
	CHECK(&u, f && f->n == 3 && streq(f->ev[2].comm, "CPU 0/KVM") && f->ev[2].pid == 31664 && f->ev[2].cpu == 3);
	log_file_destroy(f);
	/* a PSOD world name with a colon and a blank (constructed on the fact sheet's form) */
	f = parse("2020-10-07T13:07:09.954Z cpu2:2099)#PF Exception 14 in world 2099:vmx-vcpu-0:my vm IP 0x4200 addr 0x8\n",
		  LOG_FMT_NONE);
	CHECK(&u, f && f->n == 1 && streq(f->ev[0].kind, "psod") && f->ev[0].world == 2099 &&
		  streq(f->ev[0].comm, "vmx-vcpu-0:my vm") && streq(f->ev[0].ip, "0x4200") && streq(f->ev[0].address, "0x8"));
	log_file_destroy(f);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "undated_lines_follow_the_dated_line_before");
	/* file order is not time order: line 1 is later than line 2 (vmx-15's header quirk) */
	CHECK(&u, report_of("2017-04-06T17:23:15.000Z| vcpu-0| I125: Checkpoint_Unstun: vm stopped for 500000 us\n"
			    "2017-04-06T17:23:14.000Z| vcpu-0| I125: CPU reset: soft (mode 0)\n"
			    "vcpu-0| E105: PANIC: MXUserAllocSerialNumber: too many locks!\n"
			    "2017-04-06T17:23:14.500Z| vmx| I125: Tools: Tools heartbeat timeout.\n", &r));
	CHECK(&u, r.nevents == 4 && streq(r.events[0].kind, "cpu-reset") &&
		  streq(r.events[1].kind, "vmx-crash") && r.events[1].time == NULL &&
		  streq(r.events[2].kind, "tools-heartbeat") && streq(r.events[3].kind, "stun"));
	report_deinit(&r);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "vmx_exit_0_is_normal_nonzero_is_a_crash");
	/* KB 432796's line (fact sheet 2.6) */
	CHECK(&u, report_of("2024-01-01T00:00:00.000Z Wa(03) vmx - VMX has left the building: 0.\n", &r));
	CHECK(&u, r.nevents == 1 && r.events[0].exit_code == 0 && r.nfindings == 0);
	report_deinit(&r);
	CHECK(&u, report_of("2024-01-01T00:00:00.000Z Wa(03) vmx - VMX has left the building: 1.\n", &r));
	CHECK(&u, r.nevents == 1 && r.events[0].exit_code == 1 && has_finding(&r, "crash"));
	report_deinit(&r);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "toolbox_dnd_timeouts_alone_are_not_a_problem");
	CHECK(&u, report_of("2024-01-01T00:00:00.000Z| vmx| I125: GuestRpcSendTimedOut: message to toolbox-dnd timed out.\n"
			    "2024-01-01T00:00:09.000Z| vmx| I125: GuestRpcSendTimedOut: message to toolbox-dnd timed out.\n"
			    "2024-01-01T00:00:10.000Z| vcpu-0| I125: CPU reset: soft (mode 0)\n", &r));
	CHECK(&u, r.nevents == 3 && r.nfindings == 0 && streq(r.events[0].channel, "toolbox-dnd") && !r.events[0].problem);
	report_deinit(&r);
	CHECK(&u, report_of("2024-01-01T00:00:00.000Z| vmx| I125: GuestRpcSendTimedOut: message to toolbox-dnd timed out.\n"
			    "2024-01-01T00:00:01.000Z| vmx| I125: GuestRpcSendTimedOut: message to toolbox timed out.\n", &r));
	CHECK(&u, r.nfindings == 1 && has_finding(&r, "tools") && !r.events[0].problem && r.events[1].problem);
	report_deinit(&r);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "psod_saved_backtrace_belongs_to_its_pcpu");
	/* constructed on the fact sheet's PSOD anatomy (no public excerpt shows a saved backtrace) */
	f = parse("2020-01-01T00:00:00.000Z cpu3:1000)@BlueScreen: Spin count exceeded - possible deadlock with PCPU 5\n"
		  "2020-01-01T00:00:00.000Z cpu3:1000)Code start: 0x418000000000 VMK uptime: 0:00:10:00.000\n"
		  "2020-01-01T00:00:00.000Z cpu3:1000)0x4100c0e4fd08:[0x418000000010]Panic@vmkernel#nover+0x10 stack: 0x0\n"
		  "2020-01-01T00:00:00.000Z cpu3:1000)Saved backtrace from: pcpu 5 SpinLock spin out NMI\n"
		  "2020-01-01T00:00:00.000Z cpu3:1000)0x4100c0e4fe08:[0x418000000020]SpinLockHeld@vmkernel#nover+0x20 stack: 0x0\n",
		  LOG_FMT_NONE);
	CHECK(&u, f && f->format == LOG_FMT_VMKERNEL && f->n == 2);
	CHECK(&u, f && f->n == 2 && f->ev[0].cpu == 3 && f->ev[0].nframes == 1 && streq(f->ev[0].frames[0], "Panic") &&
		  fabs(f->ev[0].uptime_s - 600.0) < 1e-9);
	CHECK(&u, f && f->n == 2 && streq(f->ev[1].kind, "psod") && f->ev[1].cpu == 5 && f->ev[1].nframes == 1 &&
		  streq(f->ev[1].frames[0], "SpinLockHeld"));
	log_file_destroy(f);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "vobd_core_dumped");
	/* vobd's form as the fact sheet quotes it (1.1) */
	f = parse("2017-09-15T06:30:26.427Z: [UserWorldCorrelator] 2587541270us: [vob.uw.core.dumped] /bin/vpxa(36578) "
		  "/var/core/vpxa-worker-zdump.000\n", LOG_FMT_NONE);
	CHECK(&u, f && f->format == LOG_FMT_HOSTD && f->n == 1 && streq(f->ev[0].kind, "userworld-dump") &&
		  streq(f->ev[0].comm, "/bin/vpxa") && f->ev[0].pid == 36578 &&
		  streq(f->ev[0].core_file, "/var/core/vpxa-worker-zdump.000"));
	log_file_destroy(f);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "crash_sys_panic_line");
	f = parse("      KERNEL: /usr/lib/debug/boot/vmlinux-6.1.0-57-amd64\n    NODENAME: debian\n"
		  "     RELEASE: 6.1.0-57-amd64\n       PANIC: \"Oops: 0002 [#1] PREEMPT SMP NOPTI\" (check log for details)\n",
		  LOG_FMT_NONE);
	CHECK(&u, f && f->format == LOG_FMT_KERNEL && streq(f->kernel, "6.1.0-57-amd64") && streq(f->host, "debian"));
	CHECK(&u, f && f->n == 1 && streq(f->ev[0].kind, "oops") && streq(f->ev[0].summary, "Oops: 0002 [#1] PREEMPT SMP NOPTI"));
	log_file_destroy(f);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "facts_never_from_annotations");
	f = parse("# NOTE: Log for VMware ESX pid=1 version=9.9.9 build=build-1 option=Release\n"
		  "2016-07-29T19:26:56.292Z| vmx| I120: GuestRpcSendTimedOut: message to toolbox timed out.\n", LOG_FMT_NONE);
	CHECK(&u, f && f->n == 1 && !f->product && !f->version && !f->build);
	log_file_destroy(f);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "sniff_rejects_other_text");
	const char *prose = "This README quotes one line:\n2016-07-29T19:26:56.292Z| vmx| I120: x\nand then\nsays more\nthings\n";
	CHECK(&u, log_sniff(prose, strlen(prose)) == LOG_FMT_NONE);
	CHECK(&u, log_sniff("\x7f" "ELF\x02\x01\x01\0\0\0", 10) == LOG_FMT_NONE);
	CHECK(&u, log_sniff("", 0) == LOG_FMT_NONE);
	const char *g1 = "Aug 22 11:49:11.333: vmx| Log for VMware Workstation pid=1 version=6.0.0 build=build-45731 option=Release\n";
	CHECK(&u, log_sniff(g1, strlen(g1)) == LOG_FMT_VMX);
	const char *esx4 = "0:01:39:57.763 cpu1:4553)Code start: 0x41800be00000 VMK uptime: 0:01:39:57.763\n";
	CHECK(&u, log_sniff(esx4, strlen(esx4)) == LOG_FMT_VMKERNEL);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "yearless_dates_take_the_year_of_a_dated_line");
	/* vmx-12's old line form, over New Year; the G2 line (vmx-17's form) is the file's only
	 * year, written after the year-less lines: they are placed back from it */
	CHECK(&u, report_of("Dec 31 23:59:58.100: vmx| Log for VMware Workstation pid=1 version=6.0.0 build=build-45731 option=Release\n"
			    "Jan 01 00:00:01.000: vmx| Tools: Tools heartbeat timeout.\n"
			    "Dec 31 23:59:59.100: vcpu-0| CPU reset: soft (mode 0)\n"
			    "2021-01-01T00:00:02.000| vmx| Checkpoint_Unstun: vm stopped for 3000000 us\n", &r));
	CHECK(&u, r.nevents == 3 && streq(r.events[0].kind, "cpu-reset") && streq(r.events[1].kind, "tools-heartbeat") &&
		  streq(r.events[2].kind, "stun"));
	CHECK(&u, r.nevents == 3 && !r.events[0].time_utc && !r.events[1].time_utc && streq(r.events[0].time, "Dec 31 23:59:59.100"));
	report_deinit(&r);
	/* the dated line first: the year-less lines after it follow on, past New Year */
	f = parse("2020-12-31T23:59:00.000| vmx| PowerOn\n"
		  "Dec 31 23:59:59.100: vcpu-0| CPU reset: soft (mode 0)\n"
		  "Jan 01 00:00:01.000: vmx| Tools: Tools heartbeat timeout.\n", LOG_FMT_NONE);
	CHECK(&u, f && f->n == 3 && f->ev[1].key_kind == LOG_KEY_LOCAL && f->ev[2].key_kind == LOG_KEY_LOCAL &&
		  f->ev[2].key_ms - f->ev[1].key_ms == 1900 && f->ev[1].key_ms - f->ev[0].key_ms == 59100);
	log_file_destroy(f);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "yearless_dates_without_any_year_keep_file_order");
	/* lnx-14's syslog prefix form over New Year, no dated line anywhere: file order, no time_utc */
	CHECK(&u, report_of("Dec 31 23:59:58 host kernel: watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [migration/1:12]\n"
			    "Jan  1 00:00:03 host kernel: INFO: task jbd2/sda3-8:373 blocked for more than 120 seconds.\n", &r));
	CHECK(&u, r.nevents == 2 && streq(r.events[0].kind, "soft-lockup") && streq(r.events[1].kind, "hung-task") &&
		  !r.events[0].time_utc && !r.events[1].time_utc && streq(r.events[1].time, "Jan  1 00:00:03"));
	report_deinit(&r);
	CHECK(&u, report_of("Jan 01 00:00:01.000: vmx| Tools: Tools heartbeat timeout.\n"
			    "Dec 31 23:59:59.100: vcpu-0| CPU reset: soft (mode 0)\n", &r));
	CHECK(&u, r.nevents == 2 && streq(r.events[0].kind, "tools-heartbeat") && streq(r.events[1].kind, "cpu-reset"));
	report_deinit(&r);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "log_signature_same_problem_other_times_and_pids");
	/* lnx-01's hung task (its real lines) and the same report two days later, other pid and
	 * trace addresses, reported twice: one signature; a different task: another */
	struct report r2, r3;
	CHECK(&u, report_of("[1984687.769162] INFO: task jbd2/sda3-8:373 blocked for more than 120 seconds.\n"
			    "[1984687.775158] Call Trace:\n[1984687.775679]  __schedule+0x282/0x870\n"
			    "[1984687.776374]  schedule+0x46/0xb0\n"
			    "[1984687.777013]  jbd2_journal_commit_transaction+0x320/0x1ad0\n", &r));
	CHECK(&u, report_of("[  172800.000001] INFO: task jbd2/sda3-8:9021 blocked for more than 120 seconds.\n"
			    "[  172800.000002] Call Trace:\n[  172800.000003]  __schedule+0x2a2/0x880\n"
			    "[  172800.000004]  schedule+0x46/0xb0\n"
			    "[  172800.000005]  jbd2_journal_commit_transaction+0x331/0x1ad0\n"
			    "[  172920.000001] INFO: task jbd2/sda3-8:9021 blocked for more than 120 seconds.\n"
			    "[  172920.000002] Call Trace:\n[  172920.000003]  __schedule+0x2a2/0x880\n"
			    "[  172920.000004]  schedule+0x46/0xb0\n"
			    "[  172920.000005]  jbd2_journal_commit_transaction+0x331/0x1ad0\n", &r2));
	CHECK(&u, report_of("[1984687.769162] INFO: task systemd-journal:470 blocked for more than 120 seconds.\n"
			    "[1984687.775158] Call Trace:\n[1984687.775679]  __schedule+0x282/0x870\n"
			    "[1984687.776374]  schedule+0x46/0xb0\n[1984687.777013]  jbd2_log_wait_commit+0xac/0x120\n", &r3));
	CHECK(&u, r.nfindings == 1 && r2.nfindings == 1 && r3.nfindings == 1 && r.findings[0].signature.present &&
		  r2.findings[0].signature.present && r3.findings[0].signature.present);
	CHECK(&u, r.nfindings == 1 && r2.nfindings == 1 && streq(r.findings[0].signature.hash, r2.findings[0].signature.hash) &&
		  streq(r.findings[0].signature.kind, "hung"));
	CHECK(&u, r.nfindings == 1 && r3.nfindings == 1 && !streq(r.findings[0].signature.hash, r3.findings[0].signature.hash));
	CHECK(&u, r.nfindings == 1 && r.findings[0].signature.nframes == 1 &&
		  streq(r.findings[0].signature.frames[0], "hung-task comm=jbd2/sda3-# frames=schedule|schedule|"
			"jbd2_journal_commit_transaction what=task jbd2/sda3-#:# blocked for more than # seconds."));
	report_deinit(&r);
	report_deinit(&r2);
	report_deinit(&r3);
	/* a PSOD (vmk-05's exception line form) in another world, at another address and time */
	CHECK(&u, report_of("2020-10-07T13:07:09.954Z cpu36:1001599386)@BlueScreen: #PF Exception 14 in world 1001599386:fdsAIO "
			    "IP 0x420017c7c1d2 addr 0xe8\n", &r));
	CHECK(&u, report_of("2021-03-01T01:02:03.004Z cpu2:2099)@BlueScreen: #PF Exception 14 in world 2099:fdsAIO "
			    "IP 0x420011111111 addr 0xf0\n", &r2));
	CHECK(&u, r.nfindings == 1 && r2.nfindings == 1 && streq(r.findings[0].kind, "panic") &&
		  streq(r.findings[0].signature.hash, r2.findings[0].signature.hash));
	report_deinit(&r);
	report_deinit(&r2);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "crlf_and_long_lines");
	char *big = malloc(200000);
	if (big) {
		strcpy(big, "2024-01-01T00:00:00.000Z| vcpu-0| I125: CPU reset: soft (mode 0)\r\n");
		size_t n = strlen(big);
		memset(big + n, 'x', 150000);
		strcpy(big + n + 150000, "\r\nvcpu-0| E105: PANIC: y\r\n");
		f = parse(big, LOG_FMT_VMX);
		CHECK(&u, f && f->n == 2 && streq(f->ev[0].summary, "CPU reset: soft (mode 0)") && f->ev[1].line_no == 3);
		log_file_destroy(f);
		free(big);
	}
	UNIT_END(&u);
	return UNIT_EXIT(&u);
}
