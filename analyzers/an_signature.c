/*
 * an_signature.c - a stable signature per finding, for grouping reports of
 * the same bug.  Each finding names its threads (rpt_finding.threads):
 *   crash, panic, lockup   the first thread's top 5 function names after the
 *                          plumbing: signal/abort/assert calls at the top of
 *                          a process stack; for a kernel, everything up to the
 *                          exception entry (asm_exc_*, panic, oops_end, die)
 *                          or the spin-lock slow path
 *   deadlock, hung, blocked the sorted stacks (function names) of all its threads
 * The hash is 64-bit FNV-1a over the kind and the names joined by '|' (stacks
 * by '\n'), printed as 16 hex digits.  Names are normalised (no leading
 * underscores, no @VERSION, no .constprop/.isra suffixes) so aliases hash
 * alike.  Every stack is hashed from its physical frames' ELF symbols,
 * demangled (kernel: kallsyms names): inline frames and DWARF's names exist
 * only with debug info, and the hash must not change with the debuginfo at hand.
 * The report's own signature is its main finding's: crash or panic, else
 * deadlock, lockup, hung (a list of blocked waits alone has none).  Log
 * findings come with their own (log_report.h); only the report's is set here.
 */
#include "analyzer.h"
#include "klockup.h"
#include "signature.h"

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

/* Kernel frames up to (and including) the last of these are the report's machinery. */
static const char *const kernel_entry[] = {
	"panic", "oops_end", "die", "die_addr", "do_trap", "do_error_trap", "handle_bug",
	"page_fault_oops", "kernelmode_fixup_or_oops", "bad_area_nosemaphore", "do_user_addr_fault",
	"handle_page_fault", "exc_page_fault", "exc_general_protection", "exc_invalid_op",
	"nmi_panic", "watchdog_timer_fn", "BUG", "warn_slowpath_fmt", "report_bug",
};

static bool in_list(const char *norm, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(norm, v[i]) == 0)
			return true;
	return false;
}

static bool is_plumbing(const char *norm)
{
	if (strncmp(norm, "GI_", 3) == 0)	/* __GI_* internal aliases */
		return true;
	for (size_t i = 0; i < sizeof(plumbing) / sizeof(plumbing[0]); i++)
		if (strcmp(norm, plumbing[i]) == 0)
			return true;
	return false;
}

/* Normalised names of a thread's physical frames, innermost first: their ELF
 * symbols demangled (a kernel's kallsyms names), never DWARF's names or
 * inline sub-frames, so a stack hashes alike with and without debug info. */
static struct ck_error *thread_names(const struct rpt_thread *th, char ***out, size_t *n)
{
	char **v = calloc(th->nframes ? th->nframes : 1, sizeof(*v));
	if (!v)
		return &ck_enomem;
	size_t k = 0;
	for (size_t f = 0; f < th->nframes; f++) {
		const struct rpt_frame *fr = &th->frames[f];
		char buf[512];
		if (fr->symbol_name)
			sym_normalize_name(fr->symbol_name, buf, sizeof(buf));
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

/* Where the interesting frames of a crash/panic/lockup stack start. */
static size_t skip_plumbing(const char *kind, char **names, size_t n, bool kernel)
{
	size_t i = 0;
	if (!kernel) {
		while (i < n && is_plumbing(names[i]))
			i++;
		return i;
	}
	if (strcmp(kind, "lockup") == 0) {
		while (i < n && klockup_spin_function(names[i]) != KLOCKUP_NOT_SPIN)
			i++;
		return i;
	}
	/* the frame after the last exception entry, panic or oops plumbing */
	for (size_t k = 0; k < n; k++)
		if (strncmp(names[k], "asm_exc_", 8) == 0 || strncmp(names[k], "asm_sysvec_", 11) == 0 ||
		    in_list(names[k], kernel_entry, sizeof(kernel_entry) / sizeof(kernel_entry[0])))
			i = k + 1;
	return i < n ? i : 0;
}

static struct ck_error *top_signature(const struct report *r, const struct rpt_finding *fd,
				      struct rpt_signature *s)
{
	const struct rpt_thread *th = &r->threads[fd->threads[0]];
	char **names;
	size_t n;
	struct ck_error *err = thread_names(th, &names, &n);
	if (err)
		return err;
	size_t i = skip_plumbing(fd->kind, names, n, th->task.present);
	s->frames = calloc(SIG_FRAMES, sizeof(*s->frames));
	if (!s->frames) {
		free_names(names, n);
		return &ck_enomem;
	}
	uint64_t h = sig_fnv1a(SIG_FNV_BASIS, fd->kind);
	for (; i < n && s->nframes < SIG_FRAMES; i++) {
		h = sig_fnv1a(h, "|");
		h = sig_fnv1a(h, names[i]);
		s->frames[s->nframes++] = names[i];
		names[i] = NULL;
	}
	free_names(names, n);
	/* never a signature built from nothing: frames without a symbol ("libc.so.6+?") do not count */
	bool named = false;
	for (size_t k = 0; k < s->nframes; k++) {
		size_t len = strlen(s->frames[k]);
		named |= !(len >= 2 && strcmp(s->frames[k] + len - 2, "+?") == 0);
	}
	if (!named) {
		free_names(s->frames, s->nframes);
		s->frames = NULL;
		s->nframes = 0;
		return NULL;
	}
	s->present = true;
	s->kind = fd->kind;
	return sig_set_hash(s, h);
}

static struct ck_error *set_signature(const struct report *r, const struct rpt_finding *fd,
				      struct rpt_signature *s)
{
	size_t nt = fd->nthreads;
	char **stacks = calloc(nt, sizeof(*stacks));
	if (!stacks)
		return &ck_enomem;
	size_t ns = 0;
	struct ck_error *err = NULL;
	for (size_t k = 0; k < nt && !err; k++) {
		const struct rpt_thread *th = &r->threads[fd->threads[k]];
		char **names;
		size_t n;
		if ((err = thread_names(th, &names, &n)))
			break;
		if (!n) {
			free(names);
			continue;
		}
		size_t len = 1;
		for (size_t i = 0; i < n; i++)
			len += strlen(names[i]) + 1;
		char *st = malloc(len);
		if (!st) {
			free_names(names, n);
			err = &ck_enomem;
			break;
		}
		st[0] = 0;
		for (size_t i = 0; i < n; i++) {
			if (i)
				strcat(st, "|");
			strcat(st, names[i]);
		}
		free_names(names, n);
		stacks[ns++] = st;
	}
	if (err) {
		free_names(stacks, ns);
		return err;
	}
	return sig_from_set(s, fd->kind, stacks, ns);
}

static struct ck_error *copy_signature(const struct rpt_signature *from, struct rpt_signature *to)
{
	*to = (struct rpt_signature){ .present = true, .kind = from->kind };
	if (!(to->hash = strdup(from->hash)) || !(to->frames = calloc(from->nframes + 1, sizeof(char *))))
		return &ck_enomem;
	for (size_t i = 0; i < from->nframes; i++) {
		if (!(to->frames[i] = strdup(from->frames[i])))
			return &ck_enomem;
		to->nframes++;
	}
	return NULL;
}

static struct ck_error *signature_run(struct target *t, const struct analyzer_options *opt,
				      struct report *r)
{
	(void)t;
	(void)opt;
	for (size_t i = 0; i < r->nfindings; i++) {
		struct rpt_finding *fd = &r->findings[i];
		if (!fd->nthreads || fd->signature.present)
			continue;
		bool bad = false;
		for (size_t k = 0; k < fd->nthreads; k++)
			bad |= fd->threads[k] >= r->nthreads;
		if (bad)
			continue;
		bool top = strcmp(fd->kind, "crash") == 0 || strcmp(fd->kind, "panic") == 0 ||
			   strcmp(fd->kind, "lockup") == 0;
		struct ck_error *err = top ? top_signature(r, fd, &fd->signature)
					   : set_signature(r, fd, &fd->signature);
		if (err)
			return err;
	}
	static const char *const rank[] = { "crash", "panic", "deadlock", "lockup", "hung" };
	for (size_t k = 0; k < sizeof(rank) / sizeof(rank[0]) && !r->signature.present; k++)
		for (size_t i = 0; i < r->nfindings; i++)
			if (r->findings[i].signature.present && strcmp(r->findings[i].kind, rank[k]) == 0)
				return copy_signature(&r->findings[i].signature, &r->signature);
	return NULL;
}

const struct analyzer analyzer_signature = {
	.name = "signature",
	.summary = "a stable hash per finding: the crashing stack (plumbing skipped), the deadlocked or hung stacks",
	.targets = TARGET_PROCESS_CORE | TARGET_KERNEL_IMAGE | TARGET_LOG | TARGET_ZDUMP,
	.run = signature_run,
};
