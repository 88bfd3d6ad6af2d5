/*
 * fake_target.h - a synthetic target for analyzer unit tests: threads and
 * frames set by the test, 64 bytes of code readable at code_base, symbols
 * from a Dwfl with no modules (the tests name frames in the report itself).
 * Header-only (static inline): each test is one file.
 */
#ifndef COREKIT_FAKE_TARGET_H
#define COREKIT_FAKE_TARGET_H

#include <stdlib.h>
#include <string.h>

#include "target.h"

enum { FAKE_MAXT = 8, FAKE_MAXF = 8 };

struct fake_target {
	struct target base;
	struct target_ops ops;
	struct target_thread th[FAKE_MAXT];
	struct target_task task[FAKE_MAXT];
	struct target_frame fr[FAKE_MAXT][FAKE_MAXF];
	size_t nfr[FAKE_MAXT];
	size_t n;
	bool fail_unwind[FAKE_MAXT];
	struct target_process proc;
	uint64_t code_base;
	unsigned char code[64];
	Dwfl *dwfl;
	struct sym_resolver *syms;
	struct sym_config cfg;
};

static inline struct ck_error *fake_read(struct target *t, uint64_t addr, void *buf, size_t len)
{
	struct fake_target *f = (struct fake_target *)t;
	if (addr < f->code_base || addr - f->code_base + len > sizeof(f->code))
		return ck_error_create(CK_ERR_FAULT, "fake: 0x%llx not mapped", (unsigned long long)addr);
	memcpy(buf, f->code + (addr - f->code_base), len);
	return NULL;
}
static inline size_t fake_nthreads(struct target *t) { return ((struct fake_target *)t)->n; }
static inline const struct target_thread *fake_thread(struct target *t, size_t i)
{
	return &((struct fake_target *)t)->th[i];
}
static inline struct sym_resolver *fake_symbols(struct target *t) { return ((struct fake_target *)t)->syms; }
static inline const struct target_process *fake_process(struct target *t)
{
	return &((struct fake_target *)t)->proc;
}
static inline void fake_destroy(struct target *t) { (void)t; }

static inline struct ck_error *fake_unwind(struct target *t, size_t i, size_t max, struct target_frame **frames,
					   size_t *n, bool *incomplete)
{
	struct fake_target *f = (struct fake_target *)t;
	if (f->fail_unwind[i])
		return ck_error_create(CK_ERR_INPUT, "fake: no stack for thread %zu", i);
	size_t k = f->nfr[i] < max ? f->nfr[i] : max;
	if (!(*frames = malloc((k ? k : 1) * sizeof(**frames))))
		return &ck_enomem;
	memcpy(*frames, f->fr[i], k * sizeof(**frames));
	*n = k;
	*incomplete = k < f->nfr[i];
	return NULL;
}

/* A process core (with process facts) or a kernel image (without). */
static inline void fake_target_init(struct fake_target *f, enum target_kind kind, uint64_t code_base)
{
	memset(f, 0, sizeof(*f));
	f->ops = (struct target_ops){
		.name = "fake", .kind = kind, .read = fake_read, .nthreads = fake_nthreads,
		.thread = fake_thread, .unwind = fake_unwind, .symbols = fake_symbols,
		.process = kind == TARGET_PROCESS_CORE ? fake_process : NULL, .destroy = fake_destroy,
	};
	f->base.ops = &f->ops;
	f->base.path = "fake";
	f->code_base = code_base;
	sym_config_init(&f->cfg, NULL);
	f->dwfl = dwfl_begin(&f->cfg.callbacks);
	dwfl_report_begin(f->dwfl);
	dwfl_report_end(f->dwfl, NULL, NULL);
	sym_resolver_create(f->dwfl, &f->syms);
}

static inline void fake_target_fini(struct fake_target *f)
{
	sym_resolver_destroy(f->syms);
	dwfl_end(f->dwfl);
	sym_config_deinit(&f->cfg);
}

#endif
