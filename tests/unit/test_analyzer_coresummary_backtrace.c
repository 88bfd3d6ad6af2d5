/*
 * test_analyzer_backtrace.c - the process, backtrace, crash and signature
 * analyzers and the runner on a synthetic target (ops table implemented
 * here, symbols from a Dwfl with no modules): grouping of identical stacks,
 * per-frame trust passed through, unwind errors, crash classification
 * (NULL dereference, stack overflow, assert, other signals), disassembly
 * from target memory, signature plumbing skipping, --disable.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "report.h"
#include "fake_target.h"
#include "target.h"
#include "unit.h"

enum { MAXT = FAKE_MAXT, MAXF = FAKE_MAXF, CODE = 0x400000 };

static void setup(struct fake_target *f)
{
	fake_target_init(f, TARGET_PROCESS_CORE, CODE);
	f->proc.pid = 100;
	f->proc.si_pid = -1;
	/* mov eax, [rax+0x10]; ret; nops */
	static const unsigned char code[] = { 0x90, 0x90, 0x8b, 0x40, 0x10, 0xc3 };
	memset(f->code, 0x90, sizeof(f->code));
	memcpy(f->code, code, sizeof(code));
}

static void teardown(struct fake_target *f)
{
	fake_target_fini(f);
}

static void thread(struct fake_target *f, int64_t tid, const uint64_t *pcs, size_t n)
{
	size_t i = f->n++;
	f->th[i].tid = tid;
	f->th[i].syscall_nr = -1;
	f->th[i].regs.rip = pcs[0];
	f->th[i].regs.gpr[X86_RSP] = 0x7ffff000;
	for (size_t k = 0; k < n; k++)
		f->fr[i][k] = (struct target_frame){ .pc = pcs[k], .activation = k == 0,
			.trust = k == 0 ? TRUST_CONTEXT : k == 1 ? TRUST_CFI : TRUST_FRAME_POINTER };
	f->nfr[i] = n;
}

/* Give frame k of thread i a name (no DWARF here: set after the backtrace ran). */
/* A frame named as if by its ELF symbol (what signatures hash) and no DWARF. */
static void name(struct report *r, size_t i, size_t k, const char *fn)
{
	struct rpt_frame *f = &r->threads[i].frames[k];
	free(f->function);
	free(f->symbol);
	free(f->symbol_name);
	f->function = strdup(fn);
	f->symbol = strdup(fn);
	f->symbol_name = strdup(fn);
}

static void test_grouping(struct unit *u)
{
	struct fake_target f;
	struct report r;
	struct analyzer_options opt = { 256, 8, 4 };
	UNIT_BEGIN(u, "backtrace grouping and trust");
	setup(&f);
	uint64_t a[] = { CODE + 2, 0x401000, 0x402000 }, b[] = { CODE + 3, 0x401000 };
	thread(&f, 10, a, 3);
	thread(&f, 11, b, 2);
	thread(&f, 12, a, 3);
	thread(&f, 13, a, 3);
	thread(&f, 14, b, 1);
	f.fail_unwind[4] = false;
	thread(&f, 15, a, 3);
	f.fail_unwind[5] = true;
	report_init(&r);
	CHECK(u, analyzers_run(&f.base, &opt, "crash,locks,signature", &r) == NULL);
	CHECK(u, r.nthreads == 6 && r.ngroups == 4);
	CHECK(u, r.groups[0].n == 3 && r.groups[0].threads[0] == 0 && r.groups[0].threads[1] == 2 &&
		 r.groups[0].threads[2] == 3);
	CHECK(u, r.threads[2].group == 0 && r.threads[1].group == 1 && r.threads[4].group == 2);
	CHECK(u, r.threads[0].frames[0].trust == TRUST_CONTEXT && r.threads[0].frames[1].trust == TRUST_CFI &&
		 r.threads[0].frames[2].trust == TRUST_FRAME_POINTER);
	CHECK(u, r.threads[5].nframes == 0 && r.threads[5].unwind_error && strstr(r.threads[5].unwind_error, "no stack"));
	CHECK(u, !r.threads[0].frames[0].module && !r.threads[0].frames[0].function);
	CHECK(u, r.process.present && r.process.pid == 100 && r.nmodules == 0);
	CHECK(u, !r.crash.present && !r.signature.present);
	report_deinit(&r);
	/* max frames caps and marks incomplete */
	report_init(&r);
	opt.max_frames = 2;
	CHECK(u, analyzer_backtrace.run(&f.base, &opt, &r) == NULL);
	CHECK(u, r.threads[0].nframes == 2 && r.threads[0].incomplete && !r.threads[1].incomplete);
	report_deinit(&r);
	teardown(&f);
	UNIT_END(u);
}

static struct ck_error *crash_case(struct fake_target *f, struct report *r, int sig, int code, uint64_t addr,
				   const char *const *names, size_t nn)
{
	f->proc.has_siginfo = true;
	f->proc.si_signo = sig;
	f->proc.si_code = code;
	f->proc.si_addr = addr;
	f->proc.cursig = sig;
	f->th[0].signo = sig;
	f->th[0].crashed = true;
	report_init(r);
	struct analyzer_options opt = { 256, 8, 4 };
	struct ck_error *err = analyzer_process.run(&f->base, &opt, r);
	if (!err)
		err = analyzer_backtrace.run(&f->base, &opt, r);
	for (size_t k = 0; !err && k < nn && k < r->threads[0].nframes; k++)
		name(r, 0, k, names[k]);
	if (!err)
		err = analyzer_crash.run(&f->base, &opt, r);
	if (!err)
		err = analyzer_signature.run(&f->base, &opt, r);
	return err;
}

static void test_crash(struct unit *u)
{
	struct fake_target f;
	struct report r;
	uint64_t pcs[] = { CODE + 2, 0x401000, 0x402000, 0x403000, 0x404000, 0x405000, 0x406000, 0x407000 };

	UNIT_BEGIN(u, "crash NULL dereference with disassembly");
	setup(&f);
	thread(&f, 20, pcs, 3);
	const char *const n1[] = { "get_value", "compute", "main" };
	CHECK(u, crash_case(&f, &r, 11, 1, 0x10, n1, 3) == NULL);
	CHECK(u, r.crash.present && strcmp(r.crash.kind, "null-deref") == 0);
	CHECK(u, r.crash.reason && strstr(r.crash.reason, "0x10"));
	CHECK(u, r.crash.instruction && strcmp(r.crash.instruction, "mov eax, dword ptr [rax + 0x10]") == 0);
	bool pc_marked = false;
	for (size_t i = 0; i < r.crash.ndisasm; i++)
		pc_marked |= r.crash.disasm[i].is_pc && r.crash.disasm[i].addr == CODE + 2;
	CHECK(u, pc_marked && r.crash.nregs >= 17 && strcmp(r.crash.regs[0].name, "rip") == 0);
	CHECK(u, r.signature.present && r.signature.nframes == 3 && strcmp(r.signature.frames[0], "get_value") == 0);
	CHECK(u, r.nfindings == 1 && strcmp(r.findings[0].kind, "crash") == 0);
	report_deinit(&r);
	teardown(&f);
	UNIT_END(u);

	UNIT_BEGIN(u, "crash stack overflow");
	setup(&f);
	thread(&f, 21, pcs, 3);
	CHECK(u, crash_case(&f, &r, 11, 1, 0x7fffeff8, n1, 3) == NULL);
	CHECK(u, r.crash.present && strcmp(r.crash.kind, "stack-overflow") == 0);
	report_deinit(&r);
	teardown(&f);
	UNIT_END(u);

	UNIT_BEGIN(u, "crash assert, signature skips plumbing");
	setup(&f);
	thread(&f, 22, pcs, 8);
	const char *const n2[] = { "__pthread_kill_implementation", "__GI_raise", "abort", "__assert_fail_base",
				   "__assert_fail", "check", "run", "main" };
	CHECK(u, crash_case(&f, &r, 6, -6, 0, n2, 8) == NULL);
	CHECK(u, r.crash.present && strcmp(r.crash.kind, "assert") == 0);
	CHECK(u, r.signature.present && r.signature.nframes == 3 && strcmp(r.signature.frames[0], "check") == 0 &&
		 strcmp(r.signature.frames[2], "main") == 0);
	CHECK(u, !r.process.has_addr);
	char *h = strdup(r.signature.hash);
	report_deinit(&r);
	/* the same stack at other addresses has the same signature */
	uint64_t other[] = { CODE + 3, 0x501000, 0x502000, 0x503000, 0x504000, 0x505000, 0x506000, 0x507000 };
	for (int k = 0; k < 8; k++)
		f.fr[0][k].pc = other[k];
	CHECK(u, crash_case(&f, &r, 6, -6, 0, n2, 8) == NULL);
	CHECK(u, r.signature.present && h && strcmp(r.signature.hash, h) == 0);
	free(h);
	report_deinit(&r);
	teardown(&f);
	UNIT_END(u);

	UNIT_BEGIN(u, "crash plain abort and other signals");
	setup(&f);
	thread(&f, 23, pcs, 3);
	const char *const n3[] = { "raise", "abort", "main" };
	CHECK(u, crash_case(&f, &r, 6, -6, 0, n3, 3) == NULL);
	CHECK(u, r.crash.present && strcmp(r.crash.kind, "abort") == 0);
	report_deinit(&r);
	CHECK(u, crash_case(&f, &r, 8, 1, CODE + 2, n1, 3) == NULL);
	CHECK(u, r.crash.present && strcmp(r.crash.kind, "arithmetic") == 0 && strstr(r.crash.reason, "divide"));
	report_deinit(&r);
	CHECK(u, crash_case(&f, &r, 11, 1, 0x12345678, n1, 3) == NULL);
	CHECK(u, r.crash.present && strcmp(r.crash.kind, "invalid-access") == 0);
	report_deinit(&r);
	CHECK(u, crash_case(&f, &r, 9, 0, 0, n1, 3) == NULL);
	CHECK(u, r.crash.present && strcmp(r.crash.kind, "signal") == 0 && strstr(r.crash.reason, "SIGKILL"));
	report_deinit(&r);
	teardown(&f);
	UNIT_END(u);

	UNIT_BEGIN(u, "crash SIGABRT sent by another process is not abort()");
	setup(&f);
	thread(&f, 24, pcs, 3);
	const char *const n4[] = { "__libc_pause", "wait_for_work", "main" };
	f.proc.si_pid = 555;	/* SI_USER from pid 555; the process is pid 100 */
	CHECK(u, crash_case(&f, &r, 6, 0, 0, n4, 3) == NULL);
	CHECK(u, r.crash.present && strcmp(r.crash.kind, "signal") == 0 &&
		 strstr(r.crash.reason, "killed by SIGABRT sent by pid 555") && !strstr(r.crash.reason, "abort"));
	CHECK(u, r.crash.ndisasm == 0 && !r.crash.instruction);
	CHECK(u, r.nfindings == 1 && strcmp(r.findings[0].kind, "crash") == 0);
	report_deinit(&r);
	/* tgkill from another process, even with abort() in the stack: still sent from outside */
	const char *const n5[] = { "__pthread_kill_implementation", "abort", "main" };
	CHECK(u, crash_case(&f, &r, 6, -6, 0, n5, 3) == NULL);
	CHECK(u, r.crash.present && strcmp(r.crash.kind, "signal") == 0 && strstr(r.crash.reason, "pid 555"));
	report_deinit(&r);
	/* raised by the process itself without abort(): a signal, not abort() */
	f.proc.si_pid = 100;
	CHECK(u, crash_case(&f, &r, 6, -6, 0, n4, 3) == NULL);
	CHECK(u, r.crash.present && strcmp(r.crash.kind, "signal") == 0 &&
		 strstr(r.crash.reason, "sent by the process itself"));
	report_deinit(&r);
	/* static executable: abort and raise are named but no module is libc */
	const char *const n6[] = { "raise", "abort.cold", "give_up" };
	CHECK(u, crash_case(&f, &r, 6, -6, 0, n6, 3) == NULL);
	CHECK(u, r.crash.present && strcmp(r.crash.kind, "abort") == 0 && strstr(r.crash.reason, "give_up") &&
		 r.crash.ndisasm == 0);
	report_deinit(&r);
	teardown(&f);
	UNIT_END(u);
}

int main(void)
{
	struct unit u = { 0 };
	test_grouping(&u);
	test_crash(&u);
	return UNIT_EXIT(&u);
}
