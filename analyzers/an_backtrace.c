/* an_backtrace.c - every thread's frames (with inline sub-frames) and
 * grouping of identical stacks. */
#include "analyzer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static const char *base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

static struct ck_error *fill_frame(struct rpt_frame *f, const struct target_frame *tf,
				   const struct sym_info *si)
{
	f->pc = tf->pc;
	f->trust = tf->trust;
	bool oom = false;
	if (si->module) {
		f->module = dup_or_null(base_name(si->module->name));
		f->module_offset = si->module_offset;
		oom |= si->module->name && !f->module;
	}
	if (si->function) {
		f->function = strdup(si->function);
		oom |= !f->function;
		f->has_function_offset = si->function_start != 0;
		f->function_offset = si->function_offset;
	}
	f->symbol = dup_or_null(si->symbol);
	f->symbol_name = dup_or_null(si->symbol_name);
	oom |= (si->symbol && !f->symbol) || (si->symbol_name && !f->symbol_name);
	f->file = dup_or_null(si->file);
	oom |= si->file && !f->file;
	f->line = si->line;
	if (si->ninlines) {
		f->inlines = calloc(si->ninlines, sizeof(*f->inlines));
		if (!f->inlines)
			return &ck_enomem;
		f->ninlines = si->ninlines;
		for (size_t i = 0; i < si->ninlines; i++) {
			f->inlines[i].function = dup_or_null(si->inlines[i].function);
			f->inlines[i].file = dup_or_null(si->inlines[i].file);
			f->inlines[i].line = si->inlines[i].line;
			oom |= (si->inlines[i].function && !f->inlines[i].function) ||
			       (si->inlines[i].file && !f->inlines[i].file);
		}
	}
	return oom ? &ck_enomem : NULL;
}

static uint64_t stack_hash(const struct rpt_thread *t)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < t->nframes; i++) {
		h ^= t->frames[i].pc;
		h *= 1099511628211ULL;
	}
	return h ^ t->nframes;
}

static bool same_stack(const struct rpt_thread *a, const struct rpt_thread *b)
{
	if (a->nframes != b->nframes || !a->nframes)
		return false;
	for (size_t i = 0; i < a->nframes; i++)
		if (a->frames[i].pc != b->frames[i].pc)
			return false;
	return true;
}

struct keyed {
	uint64_t hash;
	size_t idx;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Group threads with identical PC sequences; groups ordered by first member. */
static struct ck_error *group_threads(struct report *r)
{
	size_t n = r->nthreads;
	struct keyed *k = calloc(n ? n : 1, sizeof(*k));
	r->groups = calloc(n ? n : 1, sizeof(*r->groups));
	if (!k || !r->groups) {
		free(k);
		return &ck_enomem;
	}
	for (size_t i = 0; i < n; i++) {
		k[i].hash = stack_hash(&r->threads[i]);
		k[i].idx = i;
		r->threads[i].group = -1;
	}
	qsort(k, n, sizeof(*k), keyed_cmp);
	/* Within a run of equal hashes, members are in thread order; assign
	 * each thread to the group of the first earlier thread with the same stack. */
	size_t *count = calloc(n ? n : 1, sizeof(*count));	/* per leader thread */
	long *leader = malloc((n ? n : 1) * sizeof(*leader));
	if (!count || !leader) {
		free(k);
		free(count);
		free(leader);
		return &ck_enomem;
	}
	for (size_t a = 0; a < n;) {
		size_t b = a;
		while (b < n && k[b].hash == k[a].hash)
			b++;
		for (size_t i = a; i < b; i++) {
			leader[k[i].idx] = (long)k[i].idx;
			for (size_t j = a; j < i; j++)
				if (leader[k[j].idx] == (long)k[j].idx &&
				    same_stack(&r->threads[k[j].idx], &r->threads[k[i].idx])) {
					leader[k[i].idx] = (long)k[j].idx;
					break;
				}
			count[leader[k[i].idx]]++;
		}
		a = b;
	}
	/* Groups in order of their leader thread. */
	long *gid = malloc((n ? n : 1) * sizeof(*gid));
	if (!gid) {
		free(k);
		free(count);
		free(leader);
		return &ck_enomem;
	}
	struct ck_error *err = NULL;
	for (size_t i = 0; i < n && !err; i++) {
		if (leader[i] != (long)i)
			continue;
		struct rpt_group *g = &r->groups[r->ngroups];
		g->threads = malloc(count[i] * sizeof(size_t));
		if (!g->threads) {
			err = &ck_enomem;
			break;
		}
		gid[i] = (long)r->ngroups++;
	}
	for (size_t i = 0; i < n && !err; i++) {
		long g = gid[leader[i]];
		r->threads[i].group = g;
		r->groups[g].threads[r->groups[g].n++] = i;
	}
	free(gid);
	free(k);
	free(count);
	free(leader);
	return err;
}

/* A kernel task's facts, for the renderers. */
static void copy_task(struct rpt_thread *rt, const struct target_thread *tt)
{
	const struct target_task *k = tt->task;
	if (!k)
		return;
	rt->task = (struct rpt_task){
		.present = true, .addr = k->addr, .tgid = k->tgid, .state = k->state, .cpu = k->cpu,
		.on_cpu = k->on_cpu, .idle = k->idle, .kthread = k->kthread, .since_ran_ns = k->since_ran_ns,
		.has_user_regs = k->has_user_regs, .syscall_nr = tt->syscall_nr,
	};
	if (k->has_user_regs) {
		rt->task.user_rip = k->user_regs.rip;
		rt->task.user_rsp = k->user_regs.gpr[X86_RSP];
	}
}

static struct ck_error *backtrace_run(struct target *t, const struct analyzer_options *opt,
				      struct report *r)
{
	size_t n = t->ops->nthreads(t);
	struct sym_resolver *syms = t->ops->symbols(t);
	r->threads = calloc(n ? n : 1, sizeof(*r->threads));
	if (!r->threads)
		return &ck_enomem;
	size_t max = opt && opt->max_frames ? opt->max_frames : 256;
	for (size_t i = 0; i < n; i++) {
		const struct target_thread *tt = t->ops->thread(t, i);
		struct rpt_thread *rt = &r->threads[r->nthreads++];
		rt->tid = tt->tid;
		rt->crashed = tt->crashed;
		rt->group = -1;
		if (tt->name && !(rt->name = strdup(tt->name)))
			return &ck_enomem;
		struct target_frame *frames = NULL;
		size_t nf = 0;
		bool incomplete = false;
		struct ck_error *err = t->ops->unwind(t, i, max, &frames, &nf, &incomplete);
		copy_task(rt, tt);	/* after the unwind: it finds the user-mode registers */
		if (err) {
			if (err->kind == CK_ERR_SYSTEM)
				return err;
			rt->incomplete = true;		/* no frame at all: nothing is complete */
			rt->unwind_error = strdup(err->msg);
			ck_error_destroy(err);
			if (!rt->unwind_error)
				return &ck_enomem;
			continue;
		}
		rt->incomplete = incomplete;
		if (incomplete) {
			/* say why, always: a stack cut short must never read as complete */
			const char *why = t->ops->unwind_stop ? t->ops->unwind_stop(t, i) : NULL;
			char buf[96];
			if (!why) {
				if (nf >= max)
					snprintf(buf, sizeof(buf), "stopped at the limit of %zu frames", max);
				else
					snprintf(buf, sizeof(buf), "no caller found for frame #%zu", nf ? nf - 1 : 0);
				why = buf;
			}
			if (!(rt->unwind_error = strdup(why))) {
				free(frames);
				return &ck_enomem;
			}
		}
		rt->frames = calloc(nf ? nf : 1, sizeof(*rt->frames));
		if (!rt->frames) {
			free(frames);
			return &ck_enomem;
		}
		for (size_t f = 0; f < nf; f++) {
			const struct sym_info *si;
			err = sym_lookup(syms, frames[f].pc, frames[f].activation, &si);
			if (!err)
				err = fill_frame(&rt->frames[rt->nframes++], &frames[f], si);
			if (err) {
				free(frames);
				return err;
			}
		}
		free(frames);
	}
	return group_threads(r);
}

const struct analyzer analyzer_backtrace = {
	.name = "backtrace",
	.summary = "all threads' frames (CFI, frame-pointer fallback, inlines), identical stacks grouped",
	.targets = TARGET_PROCESS_CORE | TARGET_KERNEL_IMAGE,
	.run = backtrace_run,
};
