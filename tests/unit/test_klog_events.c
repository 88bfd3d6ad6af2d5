/*
 * test_klog_events.c - klog_events_parse() on real kernel log excerpts from
 * public issues (testdata/log-samples/lnx-*.log, unchanged copies): the
 * expectations below are the facts a reader sees in each file (kind, line,
 * time, pid, comm, CPU, duration, address, RIP, module, first frames).
 * Then the kinds no sample shows (hard lockup, WARNING, kernel BUG, general
 * protection fault, self-detected stall) on lines in the kernel's own
 * printk formats, the prefix variants (caller id, "<level>", CRLF), and
 * lines that must give no event.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "klog_events.h"
#include "test_log_samples.h"
#include "unit.h"

struct want {
	const char *kind;
	long line_no;
	const char *time;
	double uptime;		/* NAN = none */
	long pid;
	const char *comm;
	int cpu;
	double duration;	/* NAN = none */
	const char *address, *ip, *module, *summary;
	const char *frames[KLOG_EVENT_MAX_FRAMES + 1];	/* NULL-terminated */
};

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int dbl_eq(double a, double b)
{
	return (isnan(a) && isnan(b)) || fabs(a - b) < 1e-6;
}

/* Compare one event; print the first differing field. */
static int event_is(const struct klog_event *e, const struct want *w)
{
	const char *bad = NULL;
	if (!str_eq(e->kind, w->kind))
		bad = "kind";
	else if (e->line_no != w->line_no)
		bad = "line_no";
	else if (!str_eq(e->time, w->time) || !dbl_eq(e->uptime_s, w->uptime))
		bad = "time";
	else if (e->pid != w->pid || !str_eq(e->comm, w->comm))
		bad = "pid/comm";
	else if (e->cpu != w->cpu)
		bad = "cpu";
	else if (!dbl_eq(e->duration_s, w->duration))
		bad = "duration";
	else if (!str_eq(e->address, w->address))
		bad = "address";
	else if (!str_eq(e->ip, w->ip) || !str_eq(e->module, w->module))
		bad = "ip/module";
	else if (!str_eq(e->summary, w->summary))
		bad = "summary";
	size_t nf = 0;
	while (w->frames[nf])
		nf++;
	if (!bad && e->nframes != nf)
		bad = "nframes";
	for (size_t i = 0; !bad && i < nf; i++)
		if (!str_eq(e->frames[i], w->frames[i]))
			bad = "frames";
	if (bad)
		printf("# %s line %ld: %s differs (kind=%s time=%s pid=%ld comm=%s cpu=%d dur=%g addr=%s ip=%s mod=%s "
		       "nframes=%zu frame0=%s summary=%s)\n", w->kind, w->line_no, bad, e->kind,
		       e->time ? e->time : "-", e->pid, e->comm ? e->comm : "-", e->cpu, e->duration_s,
		       e->address ? e->address : "-", e->ip ? e->ip : "-", e->module ? e->module : "-", e->nframes,
		       e->nframes ? e->frames[0] : "-", e->summary ? e->summary : "-");
	return !bad;
}

static int events_are(const struct klog_events *ev, const struct want *w, size_t n)
{
	if (!ev || ev->n != n) {
		printf("# %zu events, want %zu\n", ev ? ev->n : 0, n);
		for (size_t i = 0; ev && i < ev->n; i++)
			printf("#   %s line %ld: %s\n", ev->ev[i].kind, ev->ev[i].line_no, ev->ev[i].summary);
		return 0;
	}
	int ok = 1;
	for (size_t i = 0; i < n; i++)
		ok &= event_is(&ev->ev[i], &w[i]);
	return ok;
}

static struct klog_events *parse_file(const char *root, const char *name)
{
	return log_sample_events(root, name);
}

static struct klog_events *parse_str(const char *s)
{
	struct klog_events *ev = NULL;
	struct ck_error *err = klog_events_parse(s, strlen(s), &ev);
	ck_error_destroy(err);
	return ev;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
	struct unit u = { 0 };
	const char *root = getenv("COREKIT_ROOT");
	root = root ? root : ".";
	struct klog_events *ev;

	UNIT_BEGIN(&u, "klog_events_lnx01_hung_task_dmesg");
	static const struct want w01[] = {
		{ "hung-task", 4, "1984687.769162", 1984687.769162, 373, "jbd2/sda3-8", -1, 120, NULL, NULL, NULL,
		  "task jbd2/sda3-8:373 blocked for more than 120 seconds.",
		  /* the SCSI line inside the trace and the "? " entries are skipped */
		  { "__schedule", "schedule", "jbd2_journal_commit_transaction", "kjournald2", "kthread",
		    "ret_from_fork", NULL } },
		{ "hung-task", 24, "1984687.786808", 1984687.786808, 470, "systemd-journal", -1, 120, NULL, NULL, NULL,
		  "task systemd-journal:470 blocked for more than 120 seconds.", { NULL } },
	};
	ev = parse_file(root, "lnx-01-hung-task-jbd2-vmware-scsi-abort.log");
	CHECK(&u, events_are(ev, w01, N(w01)));
	klog_events_destroy(ev);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_events_lnx04_soft_lockup_old_rip");
	static const struct want w04[] = {
		{ "soft-lockup", 3, "48.090228", 48.090228, 12, "migration/1", 1, 41, NULL, "multi_cpu_stop+0x3c/0xc0",
		  NULL, "BUG: soft lockup - CPU#1 stuck for 41s! [migration/1:12]", { NULL } },
	};
	ev = parse_file(root, "lnx-04-soft-lockup-vmware-guest-regs.log");
	CHECK(&u, events_are(ev, w04, N(w04)));
	klog_events_destroy(ev);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_events_lnx07_panic_hard_lockup_line_numbers");
	static const struct want w07[] = {
		{ "panic", 3, "46223316.649832", 46223316.649832, 282859, "dockerd-current", 0, NAN, NULL, NULL, NULL,
		  "Kernel panic - not syncing: Hard LOCKUP",
		  { "dump_stack", "panic", "nmi_panic", "watchdog_overflow_callback", NULL } },
	};
	ev = parse_file(root, "lnx-07-hard-lockup-panic-el7.log");
	CHECK(&u, events_are(ev, w07, N(w07)));
	klog_events_destroy(ev);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_events_lnx09_rcu_stall");
	static const struct want w09[] = {
		{ "rcu-stall", 3, "553.456118", 553.456118, -1, NULL, 0, NAN, NULL, NULL, NULL,
		  "INFO: rcu_sched detected stalls on CPUs/tasks:", { "__schedule", "schedule", "schedule_timeout", NULL } },
	};
	ev = parse_file(root, "lnx-09-rcu-stall-sched-kthread-starved.log");
	CHECK(&u, events_are(ev, w09, N(w09)));
	klog_events_destroy(ev);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_events_lnx10_dmesg_T_rcu_and_soft_lockup");
	static const struct want w10[] = {
		{ "rcu-stall", 3, "Thu Mar 25 00:50:20 2021", NAN, -1, NULL, 9, NAN, NULL, NULL, NULL,
		  "INFO: rcu_sched detected stalls on CPUs/tasks:", { NULL } },
		{ "soft-lockup", 8, "Thu Mar 25 00:50:20 2021", NAN, 31664, "CPU 0/KVM", 1, 2471, NULL, NULL, NULL,
		  "BUG: soft lockup - CPU#1 stuck for 2471s! [CPU 0/KVM:31664]", { NULL } },
	};
	ev = parse_file(root, "lnx-10-rcu-stall-plus-soft-lockup-dmesg-T.log");
	CHECK(&u, events_are(ev, w10, N(w10)));
	klog_events_destroy(ev);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_events_lnx12_oops_module_rip");
	static const struct want w12[] = {
		{ "oops", 3, "1425.644145", 1425.644145, 9533, "vmx-vcpu-0", 7, NAN, "0000000000000000",
		  "VNetBridgeReceiveFromVNet+0x112/0x470", "vmnet",
		  "BUG: kernel NULL pointer dereference, address: 0000000000000000; Oops: Oops: 0000 [#2] PREEMPT SMP NOPTI",
		  { NULL } },
	};
	ev = parse_file(root, "lnx-12-oops-null-deref-vmnet-host.log");
	CHECK(&u, events_are(ev, w12, N(w12)));
	klog_events_destroy(ev);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_events_lnx14_oops_syslog_prefix");
	static const struct want w14[] = {
		{ "oops", 3, NULL, NAN, 1065141, "CPU 7/KVM", 21, NAN, "0000000000000008",
		  "handle_removed_tdp_mmu_page+0x88/0x280", "kvm",
		  "BUG: kernel NULL pointer dereference, address: 0000000000000008; Oops: 0002 [#1] SMP NOPTI", { NULL } },
	};
	ev = parse_file(root, "lnx-14-oops-null-deref-syslog-prefix.log");
	CHECK(&u, events_are(ev, w14, N(w14)));
	klog_events_destroy(ev);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_events_lnx15_panic");
	static const struct want w15[] = {
		{ "panic", 3, "5.390622", 5.390622, -1, NULL, -1, NAN, NULL, NULL, NULL,
		  "Kernel panic - not syncing: Fatal exception", { NULL } },
	};
	ev = parse_file(root, "lnx-15-panic-fatal-exception-kaslr-reboot.log");
	CHECK(&u, events_are(ev, w15, N(w15)));
	klog_events_destroy(ev);
	UNIT_END(&u);

	/* Kinds the samples lack, in the kernel's printk formats (kernel/watchdog*.c, kernel/panic.c __warn(),
	 * lib/bug.c, arch/x86/kernel/traps.c, kernel/rcu/tree_stall.h). */
	UNIT_BEGIN(&u, "klog_events_kernel_formats");
	static const char text[] =
		"[  100.000001] NMI watchdog: Watchdog detected hard LOCKUP on cpu 3\r\n"
		"[  100.000002] Modules linked in: foo(O)\r\n"
		"[    5.123456] WARNING: CPU: 1 PID: 77 at drivers/foo/bar.c:123 foo_probe+0x5/0x10 [foo]\n"
		"[    5.123457] Modules linked in: foo(O)\n"
		"[    5.123458] CPU: 1 PID: 77 Comm: kworker/u8:1 Not tainted 6.1.0 #1\n"
		"[    5.123459] RIP: 0010:foo_probe+0x5/0x10 [foo]\n"
		"[    5.123460] Call Trace:\n"
		"[    5.123461]  <TASK>\n"
		"[    5.123462]  ? __warn+0x7d/0xc0\n"
		"[    5.123463]  foo_probe+0x5/0x10 [foo]\n"
		"[    5.123464]  really_probe+0x1/0x2\n"
		"[    5.123465]  </TASK>\n"
		"[    5.123466]  not_a_frame+0x1/0x2\n"
		"[    5.123467] ---[ end trace 0000000000000000 ]---\n"
		"[    7.000000] kernel BUG at mm/slub.c:123!\n"
		"[    7.000001] invalid opcode: 0000 [#1] PREEMPT SMP NOPTI\n"
		"[    7.000002] CPU: 0 PID: 1 Comm: swapper/0 Tainted: G        W 6.1.0 #1\n"
		"[    8.000000] general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP PTI\n"
		"[    9.000000] rcu: INFO: rcu_preempt self-detected stall on CPU\n"
		"[    9.000001] rcu: \t2-....: (5249 ticks this GP) idle=a4c/1/0x4000000000000000\n"
		"[   12.000001][  T123] INFO: task kworker/u8:1:11 blocked for more than 122 seconds.\n"
		"[   10.961679] <3>INFO: task dl ab:x:92 blocked for more than 5 seconds.\n"
		"Nov 30 02:39:42 host kernel: [ 1234.500000] BUG: scheduling while atomic: a.out/4242/0x00000002\n";
	static const struct want wk[] = {
		{ "hard-lockup", 1, "100.000001", 100.000001, -1, NULL, 3, NAN, NULL, NULL, NULL,
		  "Watchdog detected hard LOCKUP on cpu 3", { NULL } },
		{ "warning", 3, "5.123456", 5.123456, 77, "kworker/u8:1", 1, NAN, NULL, "foo_probe+0x5/0x10", "foo",
		  "WARNING: CPU: 1 PID: 77 at drivers/foo/bar.c:123 foo_probe+0x5/0x10 [foo]",
		  { "foo_probe", "really_probe", NULL } },
		{ "bug", 15, "7.000000", 7.0, 1, "swapper/0", 0, NAN, NULL, NULL, NULL, "kernel BUG at mm/slub.c:123!",
		  { NULL } },
		{ "oops", 18, "8.000000", 8.0, -1, NULL, -1, NAN, "0xdead000000000100", NULL, NULL,
		  "general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP PTI",
		  { NULL } },
		{ "rcu-stall", 19, "9.000000", 9.0, -1, NULL, 2, NAN, NULL, NULL, NULL,
		  "INFO: rcu_preempt self-detected stall on CPU", { NULL } },
		{ "hung-task", 21, "12.000001", 12.000001, 11, "kworker/u8:1", -1, 122, NULL, NULL, NULL,
		  "task kworker/u8:1:11 blocked for more than 122 seconds.", { NULL } },
		{ "hung-task", 22, "10.961679", 10.961679, 92, "dl ab:x", -1, 5, NULL, NULL, NULL,
		  "task dl ab:x:92 blocked for more than 5 seconds.", { NULL } },
		{ "bug", 23, "1234.500000", 1234.5, -1, NULL, -1, NAN, NULL, NULL, NULL,
		  "BUG: scheduling while atomic: a.out/4242/0x00000002", { NULL } },
	};
	ev = parse_str(text);
	CHECK(&u, events_are(ev, wk, N(wk)));
	klog_events_destroy(ev);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "klog_events_none_in_healthy_text");
	static const char healthy[] =
		"[    0.000000] Linux version 6.1.0-57-amd64 (debian-kernel@lists.debian.org)\n"
		"[    0.000000] Kernel command line: BOOT_IMAGE=/vmlinuz root=/dev/sda1 panic=10\n"
		"[   33.000000] traps: a.out[1234] general protection fault ip:401000 sp:7ffd error:0 in a.out[400000+1000]\n"
		"[   34.000000] a.out[1235]: segfault at 0 ip 0000000000401000 sp 00007ffd error 4 in a.out[401000+1000]\n"
		"[   35.000000] ACPI BIOS Error (bug): Could not resolve symbol [\\_SB.PCI0], AE_NOT_FOUND\n"
		"[   36.000000] ---[ end Kernel panic - not syncing: Fatal exception ]---\n"
		"[   37.000000] Call Trace:\n"
		"[   38.000000]  dump_stack+0x1/0x2\n"
		"Nov 30 02:39:42 host kernel: usb 1-1: new high-speed USB device number 2\n"
		"\n\n[ 1.0] short\n[\n";
	ev = parse_str(healthy);
	CHECK(&u, ev && ev->n == 0 && ev->dropped == 0);
	klog_events_destroy(ev);
	ev = parse_str("");
	CHECK(&u, ev && ev->n == 0);
	klog_events_destroy(ev);
	UNIT_END(&u);

	/* Every sample cut and scribbled on: no crash (ASan build), events stay bounded. */
	UNIT_BEGIN(&u, "klog_events_mutated_samples");
	static const char *const samples[] = {
		"lnx-01-hung-task-jbd2-vmware-scsi-abort.log", "lnx-04-soft-lockup-vmware-guest-regs.log",
		"lnx-07-hard-lockup-panic-el7.log", "lnx-09-rcu-stall-sched-kthread-starved.log",
		"lnx-10-rcu-stall-plus-soft-lockup-dmesg-T.log", "lnx-12-oops-null-deref-vmnet-host.log",
		"lnx-14-oops-null-deref-syslog-prefix.log", "lnx-15-panic-fatal-exception-kaslr-reboot.log",
	};
	static char orig[1 << 16], buf[1 << 16];
	uint64_t x = 0x2545f4914f6cdd1dULL;
	int sane = 1;
	for (size_t i = 0; i < N(samples); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/testdata/log-samples/%s", root, samples[i]);
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(orig, 1, sizeof(orig), f) : 0;
		if (f)
			fclose(f);
		CHECK(&u, n > 0);
		for (int round = 0; n && round < 400; round++) {
			memcpy(buf, orig, n);
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			size_t len = round % 4 == 0 ? x % (n + 1) : n;	/* cut anywhere */
			for (int k = 0; k < round % 23; k++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				static const char alphabet[] = " :[]<>?+x0123456789\n\t\r\0";
				buf[x % n] = (k & 1) ? (char)(x >> 40) : alphabet[(x >> 24) % (sizeof(alphabet) - 1)];
			}
			struct klog_events *e = NULL;
			struct ck_error *err = klog_events_parse(buf, len, &e);
			if (err || !e)
				sane = 0;
			for (size_t j = 0; e && j < e->n; j++)
				if (!e->ev[j].kind || !e->ev[j].text || !e->ev[j].summary ||
				    e->ev[j].nframes > KLOG_EVENT_MAX_FRAMES || e->ev[j].line_no < 1)
					sane = 0;
			ck_error_destroy(err);
			klog_events_destroy(e);
		}
	}
	CHECK(&u, sane);
	UNIT_END(&u);

	return UNIT_EXIT(&u);
}
