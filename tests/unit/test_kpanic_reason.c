/*
 * test_kpanic_reason.c - kpanic_classify() on the Oops events klog_events
 * finds in real kernel logs (testdata/log-samples, the facts each header
 * states), on the kernel's own printk formats for the kinds the samples lack
 * (arch/x86/mm/fault.c show_fault_oops(), arch/x86/kernel/traps.c,
 * lib/bug.c, 6.1 and 6.10+ "Oops: " prefixes), on the exception-entry
 * fallback, and on non-fatal "BUG:" lines that must not count as an Oops.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "klog_events.h"
#include "kpanic_reason.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The first Oops event of a sample file, classified. */
static int sample(const char *root, const char *name, struct kpanic_reason *out)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/testdata/log-samples/%s", root, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	struct klog_events *ev = NULL;
	struct ck_error *err = klog_events_parse(buf, n, &ev);
	int found = 0;
	for (size_t i = 0; !err && i < ev->n && !found; i++)
		if (kpanic_event_is_oops(ev->ev[i].kind, ev->ev[i].summary)) {
			kpanic_classify(ev->ev[i].summary, NULL, "Fatal exception", out);
			found = 1;
		}
	ck_error_destroy(err);
	klog_events_destroy(ev);
	return found;
}

static int is(const struct kpanic_reason *r, const char *kind, const char *text)
{
	if (r->kind && !strcmp(r->kind, kind) && !strcmp(r->text, text))
		return 1;
	printf("# got %s \"%s\", want %s \"%s\"\n", r->kind ? r->kind : "(null)", r->text, kind, text);
	return 0;
}

int main(void)
{
	struct unit u = { 0 };
	const char *root = getenv("COREKIT_ROOT");
	if (!root)
		root = ".";
	struct kpanic_reason r;

	UNIT_BEGIN(&u, "kpanic_reason_lnx12_null_deref_6_10");
	CHECK(&u, sample(root, "lnx-12-oops-null-deref-vmnet-host.log", &r));
	CHECK(&u, is(&r, "null-deref", "kernel NULL pointer dereference, address 0x0"));
	CHECK(&u, r.has_addr && r.addr == 0);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kpanic_reason_lnx14_null_deref_offset");
	CHECK(&u, sample(root, "lnx-14-oops-null-deref-syslog-prefix.log", &r));
	CHECK(&u, is(&r, "null-deref", "kernel NULL pointer dereference, address 0x8"));
	CHECK(&u, r.has_addr && r.addr == 8);
	UNIT_END(&u);

	/* Summaries as klog_events builds them from the kernel's formats. */
	static const struct {
		const char *summary, *kind, *text;
		int has_addr;
		uint64_t addr;
	} cases[] = {
		{ "BUG: unable to handle page fault for address: ffffc90000a3f000; Oops: 0000 [#1] PREEMPT SMP NOPTI",
		  "invalid-access", "unable to handle page fault for address 0xffffc90000a3f000", 1, 0xffffc90000a3f000ULL },
		{ "BUG: unable to handle kernel paging request at ffffffffc0a01000",
		  "invalid-access", "unable to handle page fault for address 0xffffffffc0a01000", 1, 0xffffffffc0a01000ULL },
		{ "general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] SMP PTI",
		  "general-protection", "general protection fault, probably for non-canonical address 0xdead000000000100",
		  1, 0xdead000000000100ULL },
		{ "Oops: general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] SMP",
		  "general-protection", "general protection fault, probably for non-canonical address 0xdffffc0000000001",
		  1, 0xdffffc0000000001ULL },
		{ "general protection fault: 0000 [#1] SMP NOPTI", "general-protection", "general protection fault", 0, 0 },
		{ "kernel BUG at mm/slub.c:123!", "bug", "kernel BUG at mm/slub.c:123", 0, 0 },
		{ "kernel BUG at fs/ext4/inode.c:2720!; Oops: invalid opcode: 0000 [#1] PREEMPT SMP NOPTI",
		  "bug", "kernel BUG at fs/ext4/inode.c:2720", 0, 0 },
		{ "Oops: invalid opcode: 0000 [#1] PREEMPT SMP NOPTI", "illegal-instruction", "invalid opcode", 0, 0 },
		{ "Oops: divide error: 0000 [#1] PREEMPT SMP NOPTI", "arithmetic", "divide error", 0, 0 },
		{ "BUG: stack guard page was hit at 00000000b1d5ab4b (stack is 00000000c2d3a0f8..00000000d0c1e3a3)",
		  "stack-overflow", "kernel stack overflow (stack guard page hit)", 1, 0xb1d5ab4bULL },
		{ "Oops: 0002 [#1] SMP", "oops", "Oops: 0002 [#1] SMP", 0, 0 },
	};
	UNIT_BEGIN(&u, "kpanic_reason_kernel_formats");
	for (size_t i = 0; i < N(cases); i++) {
		kpanic_classify(cases[i].summary, "asm_exc_page_fault", "Fatal exception", &r);
		CHECK(&u, is(&r, cases[i].kind, cases[i].text));
		CHECK(&u, r.has_addr == cases[i].has_addr && r.addr == cases[i].addr);
	}
	UNIT_END(&u);

	/* No log (ring unreadable): the exception entry the unwinder crossed, then the panic message. */
	UNIT_BEGIN(&u, "kpanic_reason_fallbacks");
	kpanic_classify(NULL, "asm_exc_page_fault", NULL, &r);
	CHECK(&u, is(&r, "invalid-access", "page fault") && !r.has_addr);
	kpanic_classify(NULL, "asm_exc_general_protection", "Fatal exception", &r);
	CHECK(&u, is(&r, "general-protection", "general protection fault"));
	kpanic_classify(NULL, "asm_exc_invalid_op", NULL, &r);
	CHECK(&u, is(&r, "illegal-instruction", "invalid opcode"));
	kpanic_classify(NULL, "asm_exc_control_protection", NULL, &r);
	CHECK(&u, is(&r, "exception", "exception control_protection"));
	kpanic_classify(NULL, "asm_sysvec_reboot", "hung_task: blocked tasks", &r);
	CHECK(&u, is(&r, "panic", "kernel panic: hung_task: blocked tasks"));
	kpanic_classify(NULL, NULL, NULL, &r);
	CHECK(&u, is(&r, "panic", "kernel panic"));
	kpanic_classify("", NULL, "sysrq triggered crash", &r);
	CHECK(&u, is(&r, "panic", "kernel panic: sysrq triggered crash"));
	UNIT_END(&u);

	/* Which events are an Oops by themselves. */
	UNIT_BEGIN(&u, "kpanic_reason_fatal_events");
	CHECK(&u, kpanic_event_is_oops("oops", "Oops: 0002 [#1] SMP"));
	CHECK(&u, kpanic_event_is_oops("bug", "kernel BUG at mm/slub.c:123!"));
	CHECK(&u, !kpanic_event_is_oops("bug", "BUG: scheduling while atomic: a.out/4242/0x00000002"));
	CHECK(&u, !kpanic_event_is_oops("bug", NULL));
	CHECK(&u, !kpanic_event_is_oops("warning", "WARNING: CPU: 1 PID: 77 at drivers/foo/bar.c:123"));
	CHECK(&u, !kpanic_event_is_oops("soft-lockup", "BUG: soft lockup - CPU#1 stuck for 41s!"));
	CHECK(&u, !kpanic_event_is_oops(NULL, NULL));
	UNIT_END(&u);
	return UNIT_EXIT(&u);
}
