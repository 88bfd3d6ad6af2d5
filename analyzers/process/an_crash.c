/*
 * an_crash.c - for the thread that took the fatal signal: the faulting
 * instruction with a disassembly window (capstone), its registers, and the
 * likely cause (NULL dereference, stack overflow, abort/assert, ...).
 */
#include "analyzer.h"
#include "disasm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	NULL_PAGE_LIMIT = 64 * 1024,	/* faults below this are NULL (+ offset) dereferences */
	STACK_SLACK = 64 * 1024,	/* fault this close below rsp: stack overflow */
	ABORT_MSG_MAX = 1024,
};

/* Compared normalised: "__GI_raise", "raise@GLIBC_2.2.5" and
 * "raise.constprop.0" are all "raise". */
static bool name_in(const char *fn, const char *const *names, size_t nn)
{
	char buf[128];
	sym_normalize_name(fn, buf, sizeof(buf));
	for (size_t k = 0; k < nn; k++)
		if (strcmp(buf, names[k]) == 0)
			return true;
	return false;
}

/* Matched on every name a frame has: its inline sub-frames, its DWARF name
 * and its ELF symbol (a static executable's libc copies have no DWARF). */
static bool frame_is(const struct rpt_frame *fr, const char *const *names, size_t nn)
{
	for (size_t i = 0; i <= fr->ninlines; i++) {
		const char *fn = i < fr->ninlines ? fr->inlines[i].function : fr->function;
		if (fn && name_in(fn, names, nn))
			return true;
	}
	return fr->symbol_name && name_in(fr->symbol_name, names, nn);
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const assert_names[] = { "assert_fail", "assert_fail_base", "assert_perror_fail",
					    "libc_assert_fail", "malloc_assert" };
static const char *const abort_names[] = { "abort" };
/* raising a signal at oneself, innermost first in libc's own order */
static const char *const raise_names[] = { "raise", "gsignal", "pthread_kill", "kill", "tgkill" };
/* libc's way from abort()/assert()/raise() to the signal; the report names the
 * caller above it (matched by name, so a static executable's copies count too). */
static const char *const plumbing_names[] = {
	"pthread_kill_implementation", "pthread_kill_internal", "pthread_kill", "raise", "gsignal",
	"abort", "assert_fail", "assert_fail_base", "assert_perror_fail", "libc_assert_fail",
	"malloc_assert", "libc_message", "libc_message_impl", "libc_fatal", "malloc_printerr",
	"fortify_fail", "chk_fail", "stack_chk_fail", "tgkill", "kill",
};
static const char *const trampoline_names[] = { "restore_rt" };

/* How many frames from the top are libc plumbing (at most 16). */
static size_t plumbing_depth(const struct rpt_thread *th)
{
	size_t f = 0;
	while (f < th->nframes && f < 16 && frame_is(&th->frames[f], plumbing_names, NELEM(plumbing_names)))
		f++;
	return f;
}

/* Is one of names among the top `depth` frames? */
static bool named_in_top(const struct rpt_thread *th, size_t depth, const char *const *names, size_t nn)
{
	for (size_t f = 0; f < depth && f < th->nframes; f++)
		if (frame_is(&th->frames[f], names, nn))
			return true;
	return false;
}

static bool in_libc_module(const struct rpt_frame *fr)
{
	const char *m = fr->module;
	return m && (strncmp(m, "libc.so", 7) == 0 || strncmp(m, "ld-linux", 8) == 0);
}

/* Innermost frame that is neither abort/assert/raise plumbing nor inside
 * libc/ld.so: where the program was.  A signal trampoline right above the
 * plumbing means a signal handler raised it: *in_handler is set and the
 * place the handler interrupted is named.  Malloc'd. */
static char *crash_site(const struct rpt_thread *th, bool *in_handler)
{
	*in_handler = false;
	if (!th->nframes)
		return strdup("an unknown function");
	size_t f = plumbing_depth(th);
	if (f >= th->nframes)
		f = th->nframes - 1;
	if (f && f + 1 < th->nframes && frame_is(&th->frames[f], trampoline_names, NELEM(trampoline_names))) {
		*in_handler = true;
		f++;
		while (f + 1 < th->nframes && frame_is(&th->frames[f], plumbing_names, NELEM(plumbing_names)))
			f++;
	}
	for (; f + 1 < th->nframes; f++)
		if (!in_libc_module(&th->frames[f]) || frame_is(&th->frames[f], trampoline_names, NELEM(trampoline_names)))
			break;
	return rpt_frame_describe(&th->frames[f]);
}

/* Recursion depth: the most frequent PC among the frames, for overflow hints. */
static size_t max_repeat(const struct rpt_thread *th)
{
	size_t best = 0;
	for (size_t i = 0; i < th->nframes && i < 64; i++) {
		size_t c = 0;
		for (size_t j = 0; j < th->nframes; j++)
			c += th->frames[j].pc == th->frames[i].pc;
		if (c > best)
			best = c;
	}
	return best;
}

/* glibc keeps the assert/abort message in __abort_msg (struct { u32 size; char msg[]; } *). */
static char *abort_message(struct target *t)
{
	uint64_t sym = sym_find_symbol(t->ops->symbols(t), "__abort_msg");
	uint64_t p;
	if (!sym)
		return NULL;
	struct ck_error *err = t->ops->read(t, sym, &p, sizeof(p));
	if (err || !p) {
		ck_error_destroy(err);
		return NULL;
	}
	char buf[ABORT_MSG_MAX];
	size_t got = 0;
	/* read in small steps: the message page may end early */
	while (got < sizeof(buf) - 1) {
		size_t step = sizeof(buf) - 1 - got < 64 ? sizeof(buf) - 1 - got : 64;
		if ((err = t->ops->read(t, p + 4 + got, buf + got, step))) {
			ck_error_destroy(err);
			break;
		}
		if (memchr(buf + got, 0, step)) {
			got += step;
			break;
		}
		got += step;
	}
	buf[got] = 0;
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return n ? strdup(buf) : NULL;
}

static const char *const reg_names[X86_NGPR] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static struct ck_error *crash_run(struct target *t, const struct analyzer_options *opt,
				  struct report *r)
{
	long ci = -1;
	for (size_t i = 0; i < r->nthreads; i++)
		if (r->threads[i].crashed) {
			ci = (long)i;
			break;
		}
	if (ci < 0)
		return NULL;
	const struct target_thread *tt = NULL;
	for (size_t i = 0; i < t->ops->nthreads(t); i++)
		if (t->ops->thread(t, i)->tid == r->threads[ci].tid)
			tt = t->ops->thread(t, i);
	if (!tt)
		return NULL;
	const struct rpt_thread *th = &r->threads[ci];
	struct rpt_crash *c = &r->crash;
	c->present = true;
	c->thread = (size_t)ci;
	c->pc = tt->regs.rip;

	c->regs = calloc(X86_NGPR + 4, sizeof(*c->regs));
	if (!c->regs)
		return &ck_enomem;
	c->regs[c->nregs++] = (struct rpt_reg){ "rip", tt->regs.rip };
	for (int i = 0; i < X86_NGPR; i++)
		c->regs[c->nregs++] = (struct rpt_reg){ reg_names[i], tt->regs.gpr[i] };
	c->regs[c->nregs++] = (struct rpt_reg){ "rflags", tt->regs.rflags };
	c->regs[c->nregs++] = (struct rpt_reg){ "fs_base", tt->regs.seg_base[X86_FS] };

	const struct rpt_process *rp = &r->process;
	int sig = rp->signo ? rp->signo : tt->signo;
	uint64_t addr = rp->si_addr;
	uint64_t rsp = tt->regs.gpr[X86_RSP];
	/* si_code <= 0: a process sent the signal (kill, tgkill, sigqueue); > 0: the CPU or kernel raised it */
	bool sent = rp->has_code && rp->si_code <= 0;
	bool from_outside = sent && rp->sender_pid > 0 && rp->sender_pid != rp->pid;
	bool in_handler;
	char *where = crash_site(th, &in_handler);
	if (!where)
		return &ck_enomem;
	/* what the top of the stack shows: libc's plumbing frames, any module */
	size_t depth = plumbing_depth(th);
	/* raise()/kill()/pthread_kill() at the top, and siginfo (if any) agrees it was sent */
	bool raised = named_in_top(th, depth, raise_names, NELEM(raise_names)) && (!rp->has_code || sent) &&
		      !named_in_top(th, depth, abort_names, NELEM(abort_names)) &&
		      !named_in_top(th, depth, assert_names, NELEM(assert_names));
	const char *sn = signal_name(sig);
	char sigbuf[32];
	if (!sn) {
		snprintf(sigbuf, sizeof(sigbuf), "signal %d", sig);
		sn = sigbuf;
	}
	int n = 0;
	if (from_outside) {
		/* kill -ABRT from a watchdog is not abort(): say who sent it */
		c->kind = "signal";
		n = asprintf(&c->reason, "killed by %s sent by pid %lld, while in %s", sn,
			     (long long)rp->sender_pid, where);
	} else if (raised) {
		/* raise()/kill()/pthread_kill() of its own: name the outermost one the stack shows */
		const char *fn = "raise";
		for (size_t k = 0; k < NELEM(raise_names); k++)
			for (size_t f = 0; f < depth; f++)
				if (frame_is(&th->frames[f], &raise_names[k], 1))
					fn = raise_names[k];
		c->kind = "raise";
		n = in_handler ? asprintf(&c->reason, "%s(%s) called from a signal handler, which interrupted %s",
					  fn, sn, where)
			       : asprintf(&c->reason, "%s(%s) called from %s", fn, sn, where);
	} else if ((sig == LSIG_SEGV || sig == LSIG_BUS) && !rp->has_addr && !sent) {
		/* no NT_SIGINFO: what the signal was is known (NT_PRSTATUS), where it faulted is not */
		c->kind = sig == LSIG_BUS ? "bus-error" : "invalid-access";
		n = asprintf(&c->reason, "%s in %s; the fault address is unknown: the core has no siginfo",
			     sig == LSIG_BUS ? "bus error" : "memory access fault", where);
	} else if ((sig == LSIG_SEGV || sig == LSIG_BUS) && rp->has_addr) {
		bool accerr = rp->has_code && rp->si_code == 2;
		if (addr < NULL_PAGE_LIMIT) {
			c->kind = "null-deref";
			n = asprintf(&c->reason, "NULL pointer dereference (address 0x%llx) in %s",
				     (unsigned long long)addr, where);
		} else if ((addr < rsp && rsp - addr <= STACK_SLACK) || (addr >= rsp && addr - rsp < 4096) ||
			   max_repeat(th) > 64) {
			c->kind = "stack-overflow";
			n = asprintf(&c->reason, "stack overflow (fault at 0x%llx, rsp 0x%llx) in %s",
				     (unsigned long long)addr, (unsigned long long)rsp, where);
		} else if (sig == LSIG_BUS) {
			c->kind = "bus-error";
			n = asprintf(&c->reason, "bus error at 0x%llx in %s", (unsigned long long)addr, where);
		} else {
			c->kind = "invalid-access";
			n = asprintf(&c->reason, "%s at 0x%llx in %s",
				     accerr ? "access to protected memory" : "access to unmapped memory",
				     (unsigned long long)addr, where);
		}
	} else if (named_in_top(th, depth, assert_names, NELEM(assert_names))) {
		/* the message is shown once, on its own (rpt_crash.assertion) */
		c->assertion = abort_message(t);
		c->kind = "assert";
		n = asprintf(&c->reason, "assertion failed in %s", where);
	} else if (named_in_top(th, depth, abort_names, NELEM(abort_names))) {
		c->assertion = abort_message(t);
		c->kind = "abort";
		n = asprintf(&c->reason, "abort() called from %s", where);
	} else if (sig == LSIG_FPE) {
		c->kind = "arithmetic";
		n = asprintf(&c->reason, "arithmetic exception (%s) in %s",
			     rp->has_code && rp->si_code == 1 ? "integer divide by zero" : "FPE", where);
	} else if (sig == LSIG_ILL) {
		c->kind = "illegal-instruction";
		n = asprintf(&c->reason, "illegal instruction in %s", where);
	} else {
		/* a signal no frame explains (a raw tgkill syscall, an unnamed libc) */
		c->kind = "signal";
		n = asprintf(&c->reason, "killed by %s (%d)%s in %s", sn, sig,
			     sent && rp->sender_pid > 0 ? ", sent by the process itself," : "", where);
	}
	free(where);
	if (n < 0) {
		c->reason = NULL;
		return &ck_enomem;
	}
	/* A window around a syscall in pthread_kill or pause says nothing: only
	 * an instruction that faulted (or an unknown cause) gets one. */
	bool faulted = !sent && strcmp(c->kind, "abort") != 0 && strcmp(c->kind, "assert") != 0 &&
		       strcmp(c->kind, "raise") != 0;
	if (th->nframes && faulted) {
		const struct rpt_frame *f0 = &th->frames[0];
		struct ck_error *err = disasm_window(t, f0->pc, f0->has_function_offset ? f0->pc - f0->function_offset : 0,
						     opt, c);
		if (err)
			return err;
	}
	struct rpt_finding *fd = from_outside
		? report_add_finding(r, "crash", "thread %lld %s", (long long)th->tid, c->reason)
		: report_add_finding(r, "crash", "thread %lld crashed: %s - %s", (long long)th->tid, c->reason, sn);
	return fd ? report_finding_add_thread(fd, c->thread) : &ck_enomem;
}

const struct analyzer analyzer_crash = {
	.name = "crash",
	.summary = "crashing thread: faulting instruction, disassembly, registers, likely cause",
	.targets = TARGET_PROCESS_CORE,
	.run = crash_run,
};
