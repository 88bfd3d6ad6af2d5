/*
 * target_machine.c - the machine-image target: a whole VM at one instant
 * (struct machine: physical memory + vCPUs), as read by the format table
 * (machine_open: .vmss, debug.guest, ELF vmcores).
 *
 * A machine image with a Linux kernel in it becomes the kernel target
 * (target_kernel.c) at open.  What stays here is the fallback for images
 * without an analysable kernel: "threads" are the vCPUs (tid = vCPU number),
 * memory reads are virtual addresses translated through vCPU 0's page tables
 * (physical when paging is off), each vCPU has only its context frame, and
 * the one warning says why there is no more.
 */
#include "target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "linux_kernel.h"
#include "target_kernel.h"
#include "kernel_memory.h"

enum { CR0_PG = 1u << 31, CR4_LA57 = 1u << 12 };

struct machine_target {
	struct target base;
	char *path;
	char *why_no_kernel;		/* the one warning of this target */
	struct machine m;
	bool m_open;
	struct target_thread *threads;
	size_t nthreads;
	bool paging;
	struct kernel_memory vm;	/* through vCPU 0's page tables, when paging is on */
	struct sym_config cfg;
	Dwfl *dwfl;
	struct sym_resolver *syms;
};

#define MT(t) ((struct machine_target *)(t))

static struct ck_error *mt_read(struct target *t, uint64_t addr, void *buf, size_t len)
{
	struct machine_target *mt = MT(t);
	return mt->paging ? kernel_memory_read(&mt->vm, addr, buf, len) : machine_read_phys(&mt->m, addr, buf, len);
}

static size_t mt_nthreads(struct target *t)
{
	return MT(t)->nthreads;
}

static const struct target_thread *mt_thread(struct target *t, size_t i)
{
	return i < MT(t)->nthreads ? &MT(t)->threads[i] : NULL;
}

static struct ck_error *mt_unwind(struct target *t, size_t i, size_t max, struct target_frame **frames,
				  size_t *n, bool *incomplete)
{
	struct machine_target *mt = MT(t);
	if (i >= mt->nthreads || !max)
		return ck_error_create(CK_ERR_USAGE, "no vCPU %zu", i);
	if (!x86_regs_has(&mt->threads[i].regs, REG_RIP))
		return ck_error_create(CK_ERR_INPUT, "%s: vCPU %zu has no rip", mt->path, i);
	*frames = malloc(sizeof(**frames));
	if (!*frames)
		return &ck_enomem;
	memset(*frames, 0, sizeof(**frames));
	(*frames)[0].pc = mt->threads[i].regs.rip;
	(*frames)[0].activation = true;
	(*frames)[0].trust = TRUST_CONTEXT;
	*n = 1;
	*incomplete = true;	/* no kernel unwinder yet */
	return NULL;
}

static struct sym_resolver *mt_symbols(struct target *t)
{
	return MT(t)->syms;
}

static struct ck_error *mt_warnings(struct target *t, const char *const **list, size_t *n)
{
	struct machine_target *mt = MT(t);
	*list = (const char *const *)&mt->why_no_kernel;
	*n = mt->why_no_kernel ? 1 : 0;
	return NULL;
}

static void mt_destroy(struct target *t)
{
	struct machine_target *mt = MT(t);
	if (!mt)
		return;
	free(mt->why_no_kernel);
	sym_resolver_destroy(mt->syms);
	if (mt->dwfl)
		dwfl_end(mt->dwfl);
	sym_config_deinit(&mt->cfg);
	if (mt->m_open)
		machine_deinit(&mt->m);
	free(mt->threads);
	free(mt->path);
	free(mt);
}

static const struct target_ops machine_ops = {
	.name = "machine image",
	.kind = TARGET_KERNEL_IMAGE,
	.read = mt_read,
	.nthreads = mt_nthreads,
	.thread = mt_thread,
	.unwind = mt_unwind,
	.symbols = mt_symbols,
	.process = NULL,
	.destroy = mt_destroy,
	.warnings = mt_warnings,
};

struct ck_error *target_machine_open(const char *path, const struct target_core_options *opt,
				     struct target **ret)
{
	struct machine_target *mt = calloc(1, sizeof(*mt));
	if (!mt)
		return &ck_enomem;
	mt->base.ops = &machine_ops;
	struct ck_error *err = NULL;
	if (!(mt->path = strdup(opt && opt->name ? opt->name : path))) {
		err = &ck_enomem;
		goto fail;
	}
	mt->base.path = mt->path;
	machine_init(&mt->m);
	mt->m_open = true;
	if ((err = machine_open(path, opt ? opt->companion : NULL, &mt->m, NULL)) ||
	    (err = machine_rename_file(&mt->m, path, mt->path)) ||
	    (opt && opt->companion && opt->companion_name &&
	     (err = machine_rename_file(&mt->m, opt->companion, opt->companion_name))))
		goto fail;
	if (!mt->m.ncpus) {
		err = ck_error_create(CK_ERR_INPUT, "%s: no vCPU state in the image", mt->path);
		goto fail;
	}
	/* A Linux kernel in RAM: the kernel target takes the machine over. */
	struct linux_kernel k;
	if ((err = linux_kernel_detect(&mt->m, &k)))
		goto fail;
	if (k.found) {
		struct target *kt = NULL;
		err = target_kernel_create(&mt->m, &k, mt->path, opt, &kt);
		if (!err) {
			mt_destroy(&mt->base);
			*ret = kt;
			return NULL;
		}
		if (err->kind == CK_ERR_SYSTEM)
			goto fail;
		/* The kernel's own tables are unusable: say why and show the vCPUs. */
		int n = asprintf(&mt->why_no_kernel, "Linux %s found, but not analysed: %s", k.osrelease, err->msg);
		ck_error_destroy(err);
		err = NULL;
		if (n < 0) {
			mt->why_no_kernel = NULL;
			err = &ck_enomem;
			goto fail;
		}
	} else if (!(mt->why_no_kernel = strdup("no Linux kernel found in guest memory: "
						     "only vCPU registers are shown"))) {
		err = &ck_enomem;
		goto fail;
	}
	mt->threads = calloc(mt->m.ncpus, sizeof(*mt->threads));
	if (!mt->threads) {
		err = &ck_enomem;
		goto fail;
	}
	for (size_t i = 0; i < mt->m.ncpus; i++) {
		mt->threads[i].tid = (int64_t)i;
		mt->threads[i].regs = mt->m.cpus[i];
		mt->threads[i].syscall_nr = -1;
	}
	mt->nthreads = mt->m.ncpus;
	const struct x86_regs *c0 = &mt->m.cpus[0];
	if (x86_regs_has(c0, REG_CR0) && (c0->cr[0] & CR0_PG) && x86_regs_has(c0, REG_CR0 + 3)) {
		int levels = x86_regs_has(c0, REG_CR0 + 4) && (c0->cr[4] & CR4_LA57) ? 5 : 4;
		kernel_memory_init_root(&mt->vm, &mt->m, c0->cr[3], levels);
		mt->paging = true;
	}
	/* No kernel modules are reported yet: every PC resolves to "no module". */
	if ((err = sym_config_init(&mt->cfg, opt ? &opt->sym : NULL)))
		goto fail;
	if (!(mt->dwfl = dwfl_begin(&mt->cfg.callbacks))) {
		err = sym_dwfl_error(CK_ERR_SYSTEM, "dwfl_begin");
		goto fail;
	}
	dwfl_report_begin(mt->dwfl);
	dwfl_report_end(mt->dwfl, NULL, NULL);
	if ((err = sym_resolver_create(mt->dwfl, &mt->syms)))
		goto fail;
	*ret = &mt->base;
	return NULL;
fail:
	mt_destroy(&mt->base);
	return err;
}
