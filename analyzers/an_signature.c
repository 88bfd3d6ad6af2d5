/*
 * an_signature.c - a stable signature for grouping reports of the same bug.
 *   crash:    the crashing thread's top 5 function names after skipping the
 *             signal/abort/assert plumbing at the top of the stack
 *   deadlock: the sorted stacks (function names) of the threads in the cycles
 * The hash is 64-bit FNV-1a over the names joined by '|' (stacks by '\n'),
 * printed as 16 hex digits.  Names are normalised (no leading underscores,
 * no @VERSION, no .constprop/.isra suffixes) so aliases hash alike.
 */
#include "analyzer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SIG_FRAMES = 5 };

static const char *const plumbing[] = {
	"raise", "abort", "assert_fail", "assert_fail_base", "assert_perror_fail", "libc_assert_fail",
	"pthread_kill", "pthread_kill_implementation", "pthread_kill_internal", "gsignal",
	"restore_rt", "libc_message", "libc_fatal", "fortify_fail", "stack_chk_fail", "chk_fail",
	"malloc_assert", "malloc_printerr", "libc_signal_restore_set", "kill", "tgkill",
};

static bool is_plumbing(const char *norm)
{
	if (strncmp(norm, "GI_", 3) == 0)	/* __GI_* internal aliases */
		return true;
	for (size_t i = 0; i < sizeof(plumbing) / sizeof(plumbing[0]); i++)
		if (strcmp(norm, plumbing[i]) == 0)
			return true;
	return false;
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Normalised names of a thread, inline sub-frames included, innermost first. */
static struct ck_error *thread_names(const struct rpt_thread *th, char ***out, size_t *n)
{
	size_t cap = 0;
	for (size_t f = 0; f < th->nframes; f++)
		cap += th->frames[f].ninlines + 1;
	char **v = calloc(cap ? cap : 1, sizeof(*v));
	if (!v)
		return &ck_enomem;
	size_t k = 0;
	for (size_t f = 0; f < th->nframes; f++) {
		const struct rpt_frame *fr = &th->frames[f];
		for (size_t i = 0; i <= fr->ninlines; i++) {
			const char *fn = i < fr->ninlines ? fr->inlines[i].function : fr->function;
			char buf[256];
			if (fn)
				sym_normalize_name(fn, buf, sizeof(buf));
			else
				snprintf(buf, sizeof(buf), "%s+?", fr->module ? fr->module : "?");
			if (!(v[k] = strdup(buf))) {
				for (size_t j = 0; j < k; j++)
					free(v[j]);
				free(v);
				return &ck_enomem;
			}
			k++;
		}
	}
	*out = v;
	*n = k;
	return NULL;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct ck_error *set_hash(struct rpt_signature *s, uint64_t h)
{
	if (asprintf(&s->hash, "%016llx", (unsigned long long)h) < 0) {
		s->hash = NULL;
		return &ck_enomem;
	}
	return NULL;
}

static struct ck_error *crash_signature(struct report *r)
{
	const struct rpt_thread *th = &r->threads[r->crash.thread];
	char **names;
	size_t n;
	struct ck_error *err = thread_names(th, &names, &n);
	if (err)
		return err;
	size_t i = 0;
	while (i < n && is_plumbing(names[i]))
		i++;
	struct rpt_signature *s = &r->signature;
	s->frames = calloc(SIG_FRAMES, sizeof(*s->frames));
	if (!s->frames) {
		free_names(names, n);
		return &ck_enomem;
	}
	uint64_t h = 1469598103934665603ULL;
	h = fnv1a(h, "crash");
	for (; i < n && s->nframes < SIG_FRAMES; i++) {
		h = fnv1a(h, "|");
		h = fnv1a(h, names[i]);
		s->frames[s->nframes++] = names[i];
		names[i] = NULL;
	}
	free_names(names, n);
	s->present = true;
	s->kind = "crash";
	return set_hash(s, h);
}

static struct ck_error *deadlock_signature(struct report *r)
{
	size_t total = 0;
	for (size_t c = 0; c < r->ncycles; c++)
		total += r->cycles[c].n;
	char **stacks = calloc(total, sizeof(*stacks));
	if (!stacks)
		return &ck_enomem;
	size_t ns = 0;
	struct ck_error *err = NULL;
	for (size_t c = 0; c < r->ncycles && !err; c++)
		for (size_t k = 0; k < r->cycles[c].n && !err; k++) {
			const struct rpt_thread *th = &r->threads[r->waits[r->cycles[c].waits[k]].thread];
			char **names;
			size_t n;
			if ((err = thread_names(th, &names, &n)))
				break;
			size_t len = 1;
			for (size_t i = 0; i < n; i++)
				len += strlen(names[i]) + 1;
			char *s = malloc(len);
			if (!s) {
				free_names(names, n);
				err = &ck_enomem;
				break;
			}
			s[0] = 0;
			for (size_t i = 0; i < n; i++) {
				if (i)
					strcat(s, "|");
				strcat(s, names[i]);
			}
			free_names(names, n);
			stacks[ns++] = s;
		}
	if (!err) {
		qsort(stacks, ns, sizeof(*stacks), str_cmp);
		uint64_t h = fnv1a(1469598103934665603ULL, "deadlock");
		for (size_t i = 0; i < ns; i++) {
			h = fnv1a(h, "\n");
			h = fnv1a(h, stacks[i]);
		}
		r->signature.present = true;
		r->signature.kind = "deadlock";
		r->signature.frames = stacks;
		r->signature.nframes = ns;
		return set_hash(&r->signature, h);
	}
	free_names(stacks, ns);
	return err;
}

static struct ck_error *signature_run(struct target *t, const struct analyzer_options *opt,
				      struct report *r)
{
	(void)t;
	(void)opt;
	if (r->crash.present && r->crash.thread < r->nthreads)
		return crash_signature(r);
	if (r->ncycles)
		return deadlock_signature(r);
	return NULL;
}

const struct analyzer analyzer_signature = {
	.name = "signature",
	.summary = "stable hash of the crashing stack (plumbing skipped) or of the deadlocked stacks",
	.targets = TARGET_PROCESS_CORE | TARGET_KERNEL_IMAGE,
	.run = signature_run,
};
