/*
 * an_kpanic.c - the Panic/Oops verdict for kernel images: which task on which
 * CPU, why (kpanic_reason.h), the faulting instruction with the registers of
 * the exception frame and a disassembly window, and one "panic" finding.
 *
 * The panicking CPU comes from an_kernel.c (panic_cpu), the Oops text from
 * an_klog.c's events.  The exception frame is the struct pt_regs the ORC
 * unwinder crossed just above an asm_exc_* entry on the crashing task's stack
 * (target_frame.regs_addr); its registers are read through the target's
 * memory with struct pt_regs' layout from ktypes.  With oops=panic the task
 * that oopsed is the one that panicked, on the same CPU.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "disasm.h"
#include "kpanic_reason.h"
#include "ktypes.h"
#include "target_kernel.h"

enum { PT_REGS_MAX = 512 };	/* sizeof(struct pt_regs) is 168 on x86-64; bound what ktypes says */

/* struct pt_regs members as the report names them, in the kernel's Oops order. */
static const struct {
	const char *member, *name;
} pt_regs_members[] = {
	{ "ip", "rip" }, { "ax", "rax" }, { "bx", "rbx" }, { "cx", "rcx" }, { "dx", "rdx" },
	{ "si", "rsi" }, { "di", "rdi" }, { "bp", "rbp" }, { "sp", "rsp" }, { "r8", "r8" },
	{ "r9", "r9" }, { "r10", "r10" }, { "r11", "r11" }, { "r12", "r12" }, { "r13", "r13" },
	{ "r14", "r14" }, { "r15", "r15" }, { "flags", "rflags" }, { "cs", "cs" }, { "ss", "ss" },
	{ "orig_ax", "orig_rax" },
};
#define NMEMBERS (sizeof(pt_regs_members) / sizeof(pt_regs_members[0]))

/* The panic message without the kernel's "Kernel panic - not syncing: " prefix, NULL if none. */
static const char *panic_text(const struct rpt_kernel *k)
{
	const char *m = k->panic_message;
	static const char prefix[] = "Kernel panic - not syncing: ";
	if (m && strncmp(m, prefix, sizeof(prefix) - 1) == 0)
		m += sizeof(prefix) - 1;
	return m;
}

/* The thread on CPU cpu (rpt_kernel.cpus), -1 if unknown. */
static long cpu_thread(const struct report *r, int cpu)
{
	for (size_t i = 0; i < r->kernel.ncpus; i++)
		if (r->kernel.cpus[i].cpu == cpu)
			return r->kernel.cpus[i].thread;
	return -1;
}

/* The Oops that brought the kernel down: with a panic, the one of the panicking task
 * (the first: later ones are often its consequences); without, the first one. */
static const struct rpt_event *find_oops(const struct report *r, long ti, int cpu)
{
	for (size_t i = 0; i < r->nevents; i++) {
		const struct rpt_event *e = &r->events[i];
		if (!kpanic_event_is_oops(e->kind, e->summary))
			continue;
		if (!r->kernel.panicked)
			return e;
		if (ti >= 0 && e->pid >= 0 ? e->pid == r->threads[ti].tid : e->cpu >= 0 && e->cpu == cpu)
			return e;
	}
	return NULL;
}

/* The task an Oops without a panic names: the one on its CPU with its pid, else by pid. */
static long oops_thread(const struct report *r, const struct rpt_event *e)
{
	long ti = e->cpu >= 0 ? cpu_thread(r, e->cpu) : -1;
	if (ti >= 0 && r->threads[ti].tid == e->pid)
		return ti;
	return e->pid > 0 ? report_thread_by_tid(r, e->pid) : -1;
}

/* Where the exception frame is: the innermost frame whose registers came from a
 * full pt_regs crossed from an asm_exc_* entry.  *fi indexes th->frames. */
struct exc_frame {
	bool found;
	size_t fi;
	uint64_t regs_addr, pc;
	const char *entry;		/* the entry function's name (borrowed from the report) */
};

static struct ck_error *find_exception(struct target *t, const struct analyzer_options *opt, size_t ti,
				       const struct rpt_thread *th, struct exc_frame *x)
{
	*x = (struct exc_frame){ 0 };
	const struct target_thread *tt = t->ops->thread(t, ti);
	if (!tt || tt->tid != th->tid || !th->nframes)
		return NULL;
	struct target_frame *f = NULL;
	size_t n = 0;
	bool incomplete;
	size_t max = opt && opt->max_frames ? opt->max_frames : 256;
	struct ck_error *err = t->ops->unwind(t, ti, max, &f, &n, &incomplete);
	if (err && err->kind != CK_ERR_SYSTEM) {
		ck_error_destroy(err);	/* the backtrace analyzer already reported this task's unwind */
		return NULL;
	}
	if (err)
		return err;
	/* the backtrace analyzer made one report frame per target frame: check it still matches */
	for (size_t k = 1; k < n && k < th->nframes; k++) {
		const char *callee = th->frames[k - 1].function;
		if (th->frames[k].pc != f[k].pc || th->frames[k - 1].pc != f[k - 1].pc)
			break;
		if (f[k].regs_addr && !f[k].regs_partial && callee && strncmp(callee, "asm_exc_", 8) == 0) {
			*x = (struct exc_frame){ true, k, f[k].regs_addr, f[k].pc, callee };
			break;
		}
	}
	free(f);
	return NULL;
}

/* The exception frame's registers into c->regs (room left for cr2), all or none. */
static struct ck_error *read_pt_regs(struct target *t, uint64_t addr, struct rpt_crash *c)
{
	struct ktypes *ty = target_kernel_types(t);
	if (!ty)
		return ck_error_create(CK_ERR_INPUT, "no kernel types for struct pt_regs");
	uint64_t size;
	struct ck_error *err = ktypes_sizeof(ty, "pt_regs", &size);
	if (err)
		return err;
	if (size == 0 || size > PT_REGS_MAX)
		return ck_error_create(CK_ERR_INPUT, "struct pt_regs of %llu bytes", (unsigned long long)size);
	uint8_t buf[PT_REGS_MAX];
	if ((err = t->ops->read(t, addr, buf, (size_t)size)))
		return err;
	struct rpt_reg regs[NMEMBERS];
	for (size_t i = 0; i < NMEMBERS; i++) {
		uint64_t off, msize;
		if ((err = ktypes_offsetof(ty, "pt_regs", pt_regs_members[i].member, &off)) ||
		    (err = ktypes_member_size(ty, "pt_regs", pt_regs_members[i].member, &msize)))
			return err;
		if (msize > 8)
			msize = 8;
		if (off > size || msize > size - off)
			return ck_error_create(CK_ERR_INPUT, "pt_regs.%s outside the struct", pt_regs_members[i].member);
		uint64_t v = 0;
		for (size_t b = 0; b < msize; b++)	/* little-endian, any member width (cs is u16 since 6.9) */
			v |= (uint64_t)buf[off + b] << (8 * b);
		regs[i] = (struct rpt_reg){ pt_regs_members[i].name, v };
	}
	if (!(c->regs = calloc(NMEMBERS + 1, sizeof(*c->regs))))
		return &ck_enomem;
	memcpy(c->regs, regs, sizeof(regs));
	c->nregs = NMEMBERS;
	return NULL;
}

/* Soft trouble (a fault, missing types) becomes a report warning. */
static struct ck_error *soften(struct report *r, struct ck_error *err, const char *what, uint64_t addr)
{
	if (!err || err->kind == CK_ERR_SYSTEM)
		return err;
	struct ck_error *w = report_warn(r, "panic: %s at 0x%llx not read: %s", what, (unsigned long long)addr, err->msg);
	ck_error_destroy(err);
	return w;
}

static struct ck_error *fill_crash(struct target *t, const struct analyzer_options *opt, struct report *r,
				   size_t ti, const struct rpt_event *oops, struct kpanic_reason *why, char **where)
{
	struct rpt_crash *c = &r->crash;
	struct rpt_thread *th = &r->threads[ti];
	struct exc_frame x;
	struct ck_error *err = find_exception(t, opt, ti, th, &x);
	if (err)
		return err;
	kpanic_classify(oops ? oops->summary : NULL, x.entry, panic_text(&r->kernel), why);
	c->present = true;
	c->thread = ti;
	c->kind = why->kind;
	th->crashed = true;
	if (!x.found)
		return NULL;	/* a panic() call, or the Oops left no frame on this stack */
	const struct rpt_frame *fr = &th->frames[x.fi];
	c->pc = x.pc;
	if ((err = soften(r, read_pt_regs(t, x.regs_addr, c), "exception frame (struct pt_regs)", x.regs_addr)))
		return err;
	for (size_t i = 0; i < c->nregs; i++)
		if (strcmp(c->regs[i].name, "rip") == 0)
			c->pc = c->regs[i].value;
	/* the fault address of a page fault is CR2: the kernel printed it */
	bool pf = strcmp(why->kind, "null-deref") == 0 || strcmp(why->kind, "invalid-access") == 0;
	if (c->regs && why->has_addr && pf)
		c->regs[c->nregs++] = (struct rpt_reg){ "cr2", why->addr };
	uint64_t fstart = fr->pc == c->pc && fr->has_function_offset ? fr->pc - fr->function_offset : 0;
	if ((err = disasm_window(t, c->pc, fstart, opt, c)))
		return err;
	if (fr->function) {
		bool mod = fr->module && strcmp(fr->module, "vmlinux") != 0;
		if (asprintf(where, " in %s%s%s%s", fr->function, mod ? " [" : "", mod ? fr->module : "", mod ? "]" : "") < 0) {
			*where = NULL;
			return &ck_enomem;
		}
	}
	return NULL;
}

static struct ck_error *kpanic_run(struct target *t, const struct analyzer_options *opt, struct report *r)
{
	const struct rpt_kernel *k = &r->kernel;
	if (!k->present || r->crash.present)
		return NULL;
	int cpu = k->panicked ? k->panic_cpu : -1;
	long ti = k->panicked ? cpu_thread(r, cpu) : -1;
	if (ti >= (long)r->nthreads)
		ti = -1;
	const struct rpt_event *oops = find_oops(r, ti, cpu);
	if (!k->panicked && !oops)
		return NULL;
	if (!k->panicked) {
		cpu = oops->cpu;
		ti = oops_thread(r, oops);
	}
	struct kpanic_reason why;
	char *where = NULL;
	struct ck_error *err = NULL;
	if (ti >= 0)
		err = fill_crash(t, opt, r, (size_t)ti, oops, &why, &where);
	else
		kpanic_classify(oops ? oops->summary : NULL, NULL, panic_text(k), &why);
	if (err) {
		free(where);
		return err;
	}
	struct rpt_crash *c = &r->crash;
	if (c->present && asprintf(&c->reason, "%s%s", why.text, where ? where : "") < 0) {
		c->reason = NULL;
		free(where);
		return &ck_enomem;
	}
	char cpubuf[24] = "", task[160] = "";
	if (cpu >= 0)
		snprintf(cpubuf, sizeof(cpubuf), "CPU %d: ", cpu);
	if (ti >= 0)
		snprintf(task, sizeof(task), ", pid %lld \"%s\"", (long long)r->threads[ti].tid,
			 r->threads[ti].name ? r->threads[ti].name : "?");
	else if (oops && oops->pid >= 0)
		snprintf(task, sizeof(task), ", pid %lld (task not found)", (long long)oops->pid);
	const char *pmsg = panic_text(k) ? panic_text(k) : "?";
	bool oops_is_panic = strcmp(why.kind, "panic") == 0;	/* no Oops: the reason is the panic message */
	struct rpt_finding *fd;
	if (k->panicked && !oops_is_panic)
		fd = report_add_finding(r, "panic", "%s%s%s%s; panic: %s", cpubuf, why.text, where ? where : "", task,
					pmsg);
	else if (k->panicked)
		fd = report_add_finding(r, "panic", "%s%s%s", cpubuf, why.text, task);
	else
		fd = report_add_finding(r, "panic", "%sOops (no panic): %s%s%s", cpubuf, why.text, where ? where : "", task);
	free(where);
	if (!fd)
		return &ck_enomem;
	return ti >= 0 ? report_finding_add_thread(fd, (size_t)ti) : NULL;
}

const struct analyzer analyzer_kpanic = {
	.name = "panic",
	.summary = "kernel panic/Oops: the CPU and task, the reason, the exception frame's registers and code",
	.targets = TARGET_KERNEL_IMAGE,
	.run = kpanic_run,
};
