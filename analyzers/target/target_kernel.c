/*
 * target_kernel.c - the Linux kernel target: a machine image whose RAM holds
 * a Linux kernel, read from the image alone.
 *
 *   memory   the kernel's own page tables (kernel_memory.h)
 *   symbols  the kernel's kallsyms tables and each module's symbols
 *   types    the kernel's BTF in memory (__start_BTF..__stop_BTF)
 *   threads  every task (kernel_tasks.h): pid, comm, state, CPU
 *   unwind   the kernel's ORC tables (vmlinux and modules); a task running on
 *            a vCPU starts from that vCPU's registers, the others from the
 *            switch frame saved at task->thread.sp
 * Analyzers see it through the same ops as a process core (target.h).
 */
#include "target_kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kallsyms.h"
#include "kernel_debuginfo.h"
#include "kernel_layout.h"
#include "kernel_memory.h"
#include "kernel_tasks.h"
#include "ktypes.h"
#include "orc.h"
#include "strlist.h"
#include "vmcoreinfo.h"

enum { PF_KTHREAD = 0x00200000 };

struct kernel_target {
	struct target base;
	char *path;
	struct machine m;
	struct linux_kernel k;
	struct kernel_memory km;
	struct ck_memory mem;
	struct kallsyms *ks;
	struct ktypes *types;
	struct kernel_layout layout;
	struct ktask_list tl;
	struct target_task *tasks;	/* one per tl.tasks entry */
	struct target_thread *threads;
	size_t nthreads;
	struct orc_unwinder *orc;
	uint64_t text_start, text_end;	/* vmlinux _stext.._etext, for module names */
	struct sym_resolver *syms;
	struct kernel_debuginfo dbg;	/* vmlinux DWARF for file:line and inlines, if found */
	struct strlist warnings;	/* what could not be read, one line each */
};

#define KT(t) ((struct kernel_target *)(t))

static struct ck_error *kt_read(struct target *t, uint64_t addr, void *buf, size_t len)
{
	return kernel_memory_read(&KT(t)->km, addr, buf, len);
}

static size_t kt_nthreads(struct target *t)
{
	return KT(t)->nthreads;
}

static const struct target_thread *kt_thread(struct target *t, size_t i)
{
	return i < KT(t)->nthreads ? &KT(t)->threads[i] : NULL;
}

static struct ck_error *kt_unwind(struct target *t, size_t i, size_t max, struct target_frame **frames,
				  size_t *n, bool *incomplete)
{
	struct kernel_target *kt = KT(t);
	if (i >= kt->nthreads || !max)
		return ck_error_create(CK_ERR_USAGE, "no task %zu", i);
	const struct ktask *task = &kt->tl.tasks[i];
	struct target_task *tt = &kt->tasks[i];
	struct orc_frame_state st;
	struct ck_error *err;
	bool from_regs = task->on_cpu && task->cpu >= 0 && (size_t)task->cpu < kt->m.ncpus &&
			 x86_regs_has(&kt->m.cpus[task->cpu], REG_RIP);
	if (from_regs && (kt->m.cpus[task->cpu].sel[X86_CS] & 3)) {
		/* The vCPU runs this task in user mode: no kernel stack to show, only where it is. */
		tt->has_user_regs = true;
		tt->user_regs = kt->m.cpus[task->cpu];
		*frames = NULL;
		*n = 0;
		*incomplete = false;
		return NULL;
	}
	if (from_regs) {
		/* The vCPU may be on an IRQ or exception stack: no bounds, the unwinder follows switches. */
		orc_state_from_regs(&kt->m.cpus[task->cpu], 0, 0, &st);
	} else {
		uint64_t lo = task->stack, hi = task->stack ? task->stack + kt->layout.thread_size : 0;
		if ((err = orc_state_from_switch_frame(kt->orc, task->thread_sp, lo, hi, &st)))
			return err;	/* a fault: the caller records it as this task's unwind error */
	}
	struct target_frame *f = calloc(max, sizeof(*f));
	if (!f)
		return &ck_enomem;
	size_t k = 0;
	f[k].pc = st.ip;
	f[k].activation = from_regs || st.signal;
	f[k].trust = from_regs ? TRUST_CONTEXT : TRUST_ORC;
	k++;
	bool done = false;
	while (k < max) {
		struct orc_step r;
		if ((err = orc_step(kt->orc, &st, &r))) {
			free(f);
			return err;
		}
		if (r.kind == ORC_STEP_END) {
			done = true;
			break;
		}
		if (r.kind == ORC_STEP_STOP)
			break;
		if (r.kind == ORC_STEP_USER) {
			tt->has_user_regs = true;
			tt->user_regs = st.regs;
			kt->threads[i].syscall_nr = r.partial ? -1 : (int64_t)r.orig_ax;
			done = true;
			break;
		}
		f[k].pc = st.ip;
		f[k].activation = r.kind == ORC_STEP_REGS || st.signal;
		f[k].trust = r.kind == ORC_STEP_FP ? TRUST_FRAME_POINTER : TRUST_ORC;
		if (r.kind == ORC_STEP_REGS) {
			f[k].regs_addr = r.addr;
			f[k].regs_partial = r.partial;
		}
		k++;
	}
	*frames = f;
	*n = k;
	*incomplete = !done;
	return NULL;
}

static struct sym_resolver *kt_symbols(struct target *t)
{
	return KT(t)->syms;
}

/* kallsyms as the symbol source: function, and the module (vmlinux or a kernel module). */
static bool kallsyms_fallback(void *arg, uint64_t addr, struct sym_fallback_answer *out)
{
	struct kernel_target *kt = arg;
	struct ksym s;
	if (!kallsyms_lookup(kt->ks, addr, &s))
		return false;
	if (s.size == 0 && addr != s.start)
		return false;	/* past the last symbol of its range: not inside it */
	out->function = s.name;
	out->function_start = s.start;
	if (!s.module) {
		out->module = "vmlinux";
		out->module_start = kt->text_start;
		out->module_end = kt->text_end;
		return true;
	}
	out->module = s.module;
	for (size_t i = 0; i < kallsyms_nmodules(kt->ks); i++) {
		const struct kmodule_info *mi = kallsyms_module(kt->ks, i);
		if (strcmp(mi->name, s.module) == 0) {
			out->module_start = mi->text_base;
			out->module_end = mi->text_base + mi->text_size;
			break;
		}
	}
	return true;
}

static struct ck_error *kt_warnings(struct target *t, const char *const **list, size_t *n)
{
	*list = (const char *const *)KT(t)->warnings.s;
	*n = KT(t)->warnings.n;
	return NULL;
}

static void kt_destroy(struct target *t)
{
	struct kernel_target *kt = KT(t);
	if (!kt)
		return;
	sym_resolver_destroy(kt->syms);
	kernel_debuginfo_close(&kt->dbg);
	orc_unwinder_destroy(kt->orc);
	free(kt->threads);
	free(kt->tasks);
	ktasks_free(&kt->tl);
	ktypes_destroy(kt->types);
	kallsyms_destroy(kt->ks);
	machine_deinit(&kt->m);
	strlist_free(&kt->warnings);
	free(kt->path);
	free(kt);
}

static const struct target_ops kernel_ops = {
	.name = "Linux kernel image",
	.kind = TARGET_KERNEL_IMAGE,
	.read = kt_read,
	.nthreads = kt_nthreads,
	.thread = kt_thread,
	.unwind = kt_unwind,
	.symbols = kt_symbols,
	.process = NULL,
	.destroy = kt_destroy,
	.warnings = kt_warnings,
};

static struct ck_error *need_symbol(struct kernel_target *kt, const char *name, uint64_t *addr)
{
	if (kallsyms_address(kt->ks, name, addr))
		return NULL;
	return ck_error_create(CK_ERR_INPUT, "%s: the kernel's symbol table has no '%s'", kt->path, name);
}

/* ORC for vmlinux and every module that has it. */
static struct ck_error *load_orc(struct kernel_target *kt)
{
	uint64_t ip0, ip1, o0, o1, t0, t1;
	struct ck_error *err;
	if ((err = need_symbol(kt, "__start_orc_unwind_ip", &ip0)) ||
	    (err = need_symbol(kt, "__stop_orc_unwind_ip", &ip1)) ||
	    (err = need_symbol(kt, "__start_orc_unwind", &o0)) ||
	    (err = need_symbol(kt, "__stop_orc_unwind", &o1)) || (err = need_symbol(kt, "_stext", &t0)))
		return err;
	if (!kallsyms_address(kt->ks, "_einittext", &t1) && (err = need_symbol(kt, "_etext", &t1)))
		return err;
	if ((err = orc_unwinder_create(&kt->mem, orc_format_for_release(kt->k.osrelease), &kt->orc)) ||
	    (err = orc_add_vmlinux(kt->orc, ip0, ip1, o0, o1, t0, t1)))
		return err;
	for (size_t i = 0; i < kallsyms_nmodules(kt->ks); i++) {
		const struct kmodule_info *mi = kallsyms_module(kt->ks, i);
		if (!mi->orc_unwind_ip || !mi->orc_unwind || !mi->num_orcs)
			continue;
		err = orc_add_table(kt->orc, mi->orc_unwind_ip, mi->orc_unwind, mi->num_orcs, mi->text_base,
				    mi->text_base + mi->text_size);
		if (err && err->kind == CK_ERR_SYSTEM)
			return err;
		if (err) {
			struct ck_error *w = strlist_addf(&kt->warnings, "module %s: no ORC unwinding: %s", mi->name, err->msg);
			ck_error_destroy(err);
			if (w)
				return w;
		}
	}
	return NULL;
}

static struct ck_error *load_modules(struct kernel_target *kt)
{
	uint64_t head;
	if (!kt->layout.module_ok || !kallsyms_address(kt->ks, "modules", &head))
		return strlist_addf(&kt->warnings, "kernel modules not read: no module layout or 'modules' symbol");
	struct kallsyms_warnings w = { 0 };
	struct ck_error *err = kallsyms_add_modules(kt->ks, &kt->mem, head, &kt->layout.module, &w);
	for (size_t i = 0; !err && i < w.n; i++)
		err = strlist_addf(&kt->warnings, "%s", w.msgs[i]);
	kallsyms_warnings_free(&w);
	return err;
}

struct ck_error *target_kernel_create(struct machine *m, const struct linux_kernel *k, const char *path,
				      const struct target_core_options *opt, struct target **ret)
{
	(void)opt;
	struct kernel_target *kt = calloc(1, sizeof(*kt));
	if (!kt)
		return &ck_enomem;
	kt->base.ops = &kernel_ops;
	kt->m = *m;			/* the machine is ours from here on */
	machine_init(m);
	kt->k = *k;
	struct ck_error *err = NULL;
	if (!(kt->path = strdup(path))) {
		err = &ck_enomem;
		goto fail;
	}
	kt->base.path = kt->path;
	kernel_memory_init(&kt->km, &kt->m, &kt->k);
	kt->mem = kernel_memory_reader(&kt->km);
	const char *vi = kt->m.meta.vmcoreinfo;
	if (!vi) {
		err = ck_error_create(CK_ERR_INPUT, "%s: no VMCOREINFO for the guest kernel", path);
		goto fail;
	}
	if ((err = kallsyms_load(&kt->mem, vi, kt->m.meta.vmcoreinfo_len, &kt->ks)))
		goto fail;
	if (!kallsyms_address(kt->ks, "_stext", &kt->text_start))
		kt->text_start = 0;
	if (!kallsyms_address(kt->ks, "_etext", &kt->text_end))
		kt->text_end = 0;
	uint64_t b0, b1;
	if ((err = need_symbol(kt, "__start_BTF", &b0)) || (err = need_symbol(kt, "__stop_BTF", &b1)) ||
	    (err = ktypes_open_btf_memory(&kt->mem, b0, b1, &kt->types)) ||
	    (err = kernel_layout_init(&kt->layout, kt->types)))
		goto fail;
	if ((err = load_modules(kt)) || (err = load_orc(kt)))
		goto fail;
	struct ktask_symbols ts;
	if ((err = need_symbol(kt, "init_task", &ts.init_task)) ||
	    (err = need_symbol(kt, "runqueues", &ts.runqueues)) ||
	    (err = need_symbol(kt, "__per_cpu_offset", &ts.per_cpu_offset)) ||
	    (err = ktasks_read(&kt->mem, &kt->layout, &ts, kt->m.ncpus, &kt->tl)))
		goto fail;
	for (size_t i = 0; i < kt->tl.warnings.n; i++)
		if ((err = strlist_addf(&kt->warnings, "%s", kt->tl.warnings.s[i])))
			goto fail;
	size_t n = kt->tl.n;
	kt->tasks = calloc(n ? n : 1, sizeof(*kt->tasks));
	kt->threads = calloc(n ? n : 1, sizeof(*kt->threads));
	if (!kt->tasks || !kt->threads) {
		err = &ck_enomem;
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ktask *s = &kt->tl.tasks[i];
		struct target_task *tt = &kt->tasks[i];
		tt->addr = s->addr;
		tt->tgid = s->tgid;
		tt->state = s->state_letter;
		tt->cpu = s->cpu;
		tt->on_cpu = s->on_cpu;
		tt->idle = s->idle;
		tt->kthread = (s->flags & PF_KTHREAD) != 0;
		tt->since_ran_ns = s->since_ran_ns;
		tt->kstate = s->raw_state;
		tt->has_hung_fields = s->has_hung_fields;
		tt->last_switch_time = s->last_switch_time;
		tt->last_switch_count = s->last_switch_count;
		tt->nvcsw = s->nvcsw;
		tt->nivcsw = s->nivcsw;
		struct target_thread *th = &kt->threads[i];
		th->tid = s->pid;
		th->name = s->comm;
		th->syscall_nr = -1;
		th->task = tt;
		if (s->on_cpu && s->cpu >= 0 && (size_t)s->cpu < kt->m.ncpus)
			th->regs = kt->m.cpus[s->cpu];
	}
	kt->nthreads = n;
	/* DWARF adds file:line and inline frames; names, types and stacks stay the guest's own. */
	if (!opt || !opt->no_debuginfo) {
		size_t blen = 0;
		const char *bid = vmcoreinfo_get(vi, kt->m.meta.vmcoreinfo_len, "BUILD-ID", &blen);
		char *build_id = bid && blen ? strndup(bid, blen) : NULL;
		if (bid && blen && !build_id) {
			err = &ck_enomem;
			goto fail;
		}
		uint64_t lo = 0, hi = 0;
		if (!kallsyms_address(kt->ks, "_text", &lo) || !kallsyms_address(kt->ks, "_end", &hi))
			lo = hi = 0;
		err = kernel_debuginfo_open(&kt->dbg, &kt->k, build_id, opt ? opt->vmlinux : NULL,
					    opt ? &opt->sym : NULL, lo, hi);
		free(build_id);
		if (!err)
			err = kernel_debuginfo_add_modules(&kt->dbg, &kt->mem, kt->types, kt->ks, kt->k.osrelease,
							   opt ? opt->sym.debug_dir : NULL);
		if (err)
			goto fail;
		for (size_t i = 0; i < kt->dbg.warnings.n; i++)
			if ((err = strlist_addf(&kt->warnings, "%s", kt->dbg.warnings.s[i])))
				goto fail;
	}
	if ((err = sym_resolver_create(kt->dbg.dwfl, &kt->syms)))
		goto fail;
	sym_resolver_set_fallback(kt->syms, &(struct sym_fallback){ kallsyms_fallback, kt, true });
	sym_resolver_set_cu_index(kt->syms, kt->dbg.vmlinux_mod, kt->dbg.cus, kt->dbg.cus_bias);
	*ret = &kt->base;
	return NULL;
fail:
	/* The caller keeps its machine (for a vCPU-only view): give it back. */
	*m = kt->m;
	machine_init(&kt->m);
	kt_destroy(&kt->base);
	return err;
}

/* t's kernel target, through a composite target (a bundle) to its image; NULL if none. */
static struct kernel_target *kt_of(struct target *t)
{
	t = target_image(t);
	return t && t->ops == &kernel_ops ? KT(t) : NULL;
}

const struct linux_kernel *target_kernel_info(struct target *t, const struct machine **m)
{
	struct kernel_target *kt = kt_of(t);
	if (!kt)
		return NULL;
	if (m)
		*m = &kt->m;
	return &kt->k;
}

const struct ktask_list *target_kernel_tasks(struct target *t)
{
	struct kernel_target *kt = kt_of(t);
	return kt ? &kt->tl : NULL;
}

const struct ck_memory *target_kernel_memory(struct target *t)
{
	struct kernel_target *kt = kt_of(t);
	return kt ? &kt->mem : NULL;
}

struct kallsyms *target_kernel_kallsyms(struct target *t)
{
	struct kernel_target *kt = kt_of(t);
	return kt ? kt->ks : NULL;
}

struct ktypes *target_kernel_types(struct target *t)
{
	struct kernel_target *kt = kt_of(t);
	return kt ? kt->types : NULL;
}

const char *target_kernel_vmlinux(struct target *t)
{
	struct kernel_target *kt = kt_of(t);
	return kt && kt->dbg.vmlinux ? (kt->dbg.vmlinux_ud.path ? kt->dbg.vmlinux_ud.path : "debuginfod") : NULL;
}
