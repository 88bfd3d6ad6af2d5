/*
 * test_analyzer_kpanic.c - the panic analyzer's decisions on a synthetic
 * kernel-image target (ops table here, no kernel types behind it), the cases
 * the real guests do not show: an exception frame whose pt_regs cannot be
 * read (a warning and no registers, never made-up values), a panic() call
 * with no exception frame, an interrupt's pt_regs that is not the fault, a
 * non-fatal "BUG:" line and a healthy kernel (no verdict at all).
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "report.h"
#include "fake_target.h"
#include "target.h"
#include "unit.h"

#define CODE 0xffffffffc0000000ULL
enum { MAXF = FAKE_MAXF };

/* Task 0: pid 96 on CPU 1 with the given stack (names set after the backtrace);
 * task 1: pid 1 on CPU 0.  Code at CODE: nop; nop; mov dword [rax], 0xdead; ret. */
static const char *const stack_names[MAXF] = { "delay_tsc", "panic", "oops_end", "exc_page_fault",
					       "asm_exc_page_fault", "dl_oops_fn", "dl_oops", "kthread" };
static void setup(struct fake_target *f, struct report *r, const uint64_t regs_addr, const char *entry)
{
	fake_target_init(f, TARGET_KERNEL_IMAGE, CODE);
	f->n = 2;
	static const unsigned char code[] = { 0x90, 0x90, 0xc7, 0x00, 0xad, 0xde, 0x00, 0x00, 0xc3 };
	memset(f->code, 0xcc, sizeof(f->code));
	memcpy(f->code, code, sizeof(code));
	for (int i = 0; i < 2; i++) {
		f->task[i] = (struct target_task){ .addr = 0xffff888000001000ULL * (uint64_t)(i + 1), .cpu = 1 - i,
						   .on_cpu = true, .state = 'R', .since_ran_ns = 0 };
		f->th[i] = (struct target_thread){ .tid = i ? 1 : 96, .name = i ? "init" : "dl_oops", .syscall_nr = -1,
						   .task = &f->task[i] };
	}
	for (size_t k = 0; k < MAXF; k++)
		f->fr[0][k] = (struct target_frame){ .pc = k == 5 ? CODE + 2 : 0xffffffff81000000ULL + k * 0x100,
						     .activation = k == 0 || k == 5, .trust = TRUST_ORC };
	f->fr[0][5].regs_addr = regs_addr;
	f->nfr[0] = MAXF;
	f->fr[1][0] = (struct target_frame){ .pc = 0xffffffff81000000ULL, .activation = true };
	f->nfr[1] = 1;

	report_init(r);
	struct analyzer_options opt = { 256, 8, 4 };
	analyzer_backtrace.run(&f->base, &opt, r);
	for (size_t k = 0; k < MAXF && k < r->threads[0].nframes; k++) {
		struct rpt_frame *fr = &r->threads[0].frames[k];
		free(fr->function);
		fr->function = strdup(k == 4 && entry ? entry : stack_names[k]);
		if (k == 5) {
			fr->has_function_offset = true;
			fr->function_offset = 2;
			free(fr->module);
			fr->module = strdup("deadlock");
		}
	}
	r->kernel.present = true;
	r->kernel.panic_cpu = -1;
	r->kernel.cpus = calloc(2, sizeof(*r->kernel.cpus));
	r->kernel.ncpus = 2;
	r->kernel.cpus[0] = (struct rpt_cpu){ .cpu = 0, .task = f->task[1].addr, .thread = 1 };
	r->kernel.cpus[1] = (struct rpt_cpu){ .cpu = 1, .task = f->task[0].addr, .thread = 0 };
}

static void panicked(struct report *r, const char *msg)
{
	r->kernel.panicked = true;
	r->kernel.panic_cpu = 1;
	r->kernel.panic_message = strdup(msg);
}

static void event(struct report *r, const char *kind, const char *summary, int64_t pid, int cpu)
{
	r->events = realloc(r->events, (r->nevents + 1) * sizeof(*r->events));
	r->events[r->nevents++] = (struct rpt_event){ .kind = kind, .line_no = -1, .offset = -1, .summary = strdup(summary),
						      .pid = pid, .cpu = cpu };
}

static void teardown(struct fake_target *f, struct report *r)
{
	report_deinit(r);
	fake_target_fini(f);
}

static const struct rpt_finding *panic_finding(const struct report *r)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (strcmp(r->findings[i].kind, "panic") == 0)
			return &r->findings[i];
	return NULL;
}

static bool warned(const struct report *r, const char *what)
{
	for (size_t i = 0; i < r->nwarnings; i++)
		if (strstr(r->warnings[i], what))
			return true;
	return false;
}

int main(void)
{
	struct unit u = { 0 };
	struct fake_target f;
	struct report r;
	struct analyzer_options opt = { 256, 8, 4 };
	const struct rpt_finding *fd;

	/* The Oops's pt_regs is there but cannot be read (no kernel types here): the verdict
	 * stands on the log and the unwinder's pc, the registers are absent and a warning says why. */
	UNIT_BEGIN(&u, "kpanic_regs_unreadable_warns");
	setup(&f, &r, 0xffffc90000003f58ULL, NULL);
	panicked(&r, "Kernel panic - not syncing: Fatal exception");
	event(&r, "oops", "BUG: kernel NULL pointer dereference, address: 0000000000000000; Oops: 0002 [#1] SMP", 96, 1);
	CHECK(&u, analyzer_kpanic.run(&f.base, &opt, &r) == NULL);
	CHECK(&u, r.crash.present && r.crash.thread == 0 && r.threads[0].crashed);
	CHECK(&u, r.crash.kind && strcmp(r.crash.kind, "null-deref") == 0);
	CHECK(&u, r.crash.reason && strcmp(r.crash.reason,
					   "kernel NULL pointer dereference, address 0x0 in dl_oops_fn [deadlock]") == 0);
	CHECK(&u, r.crash.pc == CODE + 2 && r.crash.nregs == 0 && warned(&r, "pt_regs"));
	CHECK(&u, r.crash.instruction && strcmp(r.crash.instruction, "mov dword ptr [rax], 0xdead") == 0);
	CHECK(&u, r.crash.ndisasm >= 2 && r.crash.disasm[2].is_pc && r.crash.disasm[0].addr == CODE);
	CHECK(&u, (fd = panic_finding(&r)) && fd->nthreads == 1 && fd->threads[0] == 0);
	CHECK(&u, fd && strcmp(fd->summary, "CPU 1: kernel NULL pointer dereference, address 0x0 in dl_oops_fn "
				       "[deadlock], pid 96 \"dl_oops\"; panic: Fatal exception") == 0);
	teardown(&f, &r);
	UNIT_END(&u);

	/* panic() called directly (hung_task_panic): no exception frame, no pc, no window. */
	UNIT_BEGIN(&u, "kpanic_panic_call_no_exception");
	setup(&f, &r, 0, NULL);
	panicked(&r, "Kernel panic - not syncing: hung_task: blocked tasks");
	event(&r, "bug", "BUG: scheduling while atomic: a.out/4242/0x00000002", 96, 1);
	CHECK(&u, analyzer_kpanic.run(&f.base, &opt, &r) == NULL);
	CHECK(&u, r.crash.present && strcmp(r.crash.kind, "panic") == 0);
	CHECK(&u, r.crash.reason && strcmp(r.crash.reason, "kernel panic: hung_task: blocked tasks") == 0);
	CHECK(&u, r.crash.pc == 0 && r.crash.ndisasm == 0 && r.crash.nregs == 0 && !r.crash.instruction);
	CHECK(&u, (fd = panic_finding(&r)) &&
		  strcmp(fd->summary, "CPU 1: kernel panic: hung_task: blocked tasks, pid 96 \"dl_oops\"") == 0);
	teardown(&f, &r);
	UNIT_END(&u);

	/* A pt_regs below an interrupt entry is not the fault: no faulting instruction. */
	UNIT_BEGIN(&u, "kpanic_irq_regs_not_the_fault");
	setup(&f, &r, 0xffffc90000003f58ULL, "asm_sysvec_apic_timer_interrupt");
	panicked(&r, "Kernel panic - not syncing: softlockup: hung tasks");
	CHECK(&u, analyzer_kpanic.run(&f.base, &opt, &r) == NULL);
	CHECK(&u, r.crash.present && r.crash.pc == 0 && r.crash.ndisasm == 0 && strcmp(r.crash.kind, "panic") == 0);
	CHECK(&u, !warned(&r, "pt_regs"));
	teardown(&f, &r);
	UNIT_END(&u);

	/* Oops without a panic (oops=0): the task the event names, and the finding says so. */
	UNIT_BEGIN(&u, "kpanic_oops_without_panic");
	setup(&f, &r, 0xffffc90000003f58ULL, NULL);
	event(&r, "bug", "kernel BUG at mm/slub.c:123!", 96, 1);
	CHECK(&u, analyzer_kpanic.run(&f.base, &opt, &r) == NULL);
	CHECK(&u, r.crash.present && r.crash.thread == 0 && strcmp(r.crash.kind, "bug") == 0);
	CHECK(&u, (fd = panic_finding(&r)) && strstr(fd->summary, "Oops (no panic): kernel BUG at mm/slub.c:123"));
	teardown(&f, &r);
	UNIT_END(&u);

	/* Healthy, or only non-fatal BUG:/WARNING lines: no crash, no finding. */
	UNIT_BEGIN(&u, "kpanic_no_verdict");
	setup(&f, &r, 0xffffc90000003f58ULL, NULL);
	event(&r, "bug", "BUG: scheduling while atomic: a.out/4242/0x00000002", 96, 1);
	event(&r, "warning", "WARNING: CPU: 1 PID: 96 at drivers/foo/bar.c:123 foo+0x5/0x10", 96, 1);
	CHECK(&u, analyzer_kpanic.run(&f.base, &opt, &r) == NULL);
	CHECK(&u, !r.crash.present && !panic_finding(&r) && !r.threads[0].crashed);
	teardown(&f, &r);
	UNIT_END(&u);
	return UNIT_EXIT(&u);
}
