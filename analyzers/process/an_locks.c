/*
 * an_locks.c - pthread wait-for graph from registers and the glibc object
 * layout, without libc debug information.
 *
 * A thread sleeping in futex(2) (orig_rax 202, a FUTEX_WAIT* or FUTEX_LOCK_PI*
 * op in rsi) waits on the futex word at rdi.  Which object that word belongs
 * to is told by the function names in the top frames (pthread_mutex_lock,
 * pthread_rwlock_rdlock, pthread_join, pthread_cond_wait, ...), or - when
 * there are no symbols - by what the memory looks like.  The owner comes from
 * the glibc x86-64 layout (analysis-tools.md section 4a):
 *   mutex   __owner (TID) at +8; PI/robust mutexes also keep the TID in __lock
 *   rwlock  __cur_writer (TID) at +24; readers wait on __wrphase_futex (+8),
 *           writers on __writers_futex (+12) or +8; read owners are not recorded
 *   join    the futex word is the target's `tid` field, its value the TID
 * The cycles come from the shared wait-for graph (waitgraph.h).
 */
#include "analyzer.h"
#include "waitgraph.h"

#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
	SYS_FUTEX_NR = 202,
	FUTEX_CMD_MASK = 0x7f,		/* drop FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME */
	FUTEX_WAIT_OP = 0, FUTEX_LOCK_PI_OP = 6, FUTEX_WAIT_BITSET_OP = 9,
	FUTEX_WAIT_REQUEUE_PI_OP = 11, FUTEX_LOCK_PI2_OP = 13,
	FUTEX_TID_MASK = 0x3fffffff,
	SCAN_FRAMES = 12,		/* how deep to look for the blocking pthread call */
	RWLOCK_READER_SHIFT = 3,
	MUTEX_KIND_PI = 32,		/* PTHREAD_MUTEX_PRIO_INHERIT_NP in __kind */
};

enum wait_class { W_NONE, W_MUTEX, W_RDLOCK, W_WRLOCK, W_JOIN, W_COND, W_SEM, W_FUTEX };

struct name_rule {
	const char *needle;
	enum wait_class cls;
};

/* Matched against normalised names (no leading underscores, no @VERSION). */
static const struct name_rule rules[] = {
	{ "pthread_cond_wait", W_COND }, { "pthread_cond_timedwait", W_COND },
	{ "pthread_cond_clockwait", W_COND }, { "condvar_", W_COND },
	{ "pthread_rwlock_rdlock", W_RDLOCK }, { "pthread_rwlock_timedrdlock", W_RDLOCK },
	{ "pthread_rwlock_clockrdlock", W_RDLOCK },
	{ "pthread_rwlock_wrlock", W_WRLOCK }, { "pthread_rwlock_timedwrlock", W_WRLOCK },
	{ "pthread_rwlock_clockwrlock", W_WRLOCK },
	{ "lll_lock_wait_private", W_FUTEX },
	{ "lll_lock_wait", W_MUTEX }, { "pthread_mutex_lock", W_MUTEX },
	{ "pthread_mutex_timedlock", W_MUTEX }, { "pthread_mutex_clocklock", W_MUTEX },
	{ "pthread_mutex_lock_full", W_MUTEX }, { "pthread_mutex_cond_lock", W_MUTEX },
	{ "pthread_join", W_JOIN }, { "pthread_clockjoin", W_JOIN }, { "pthread_timedjoin", W_JOIN },
	{ "pthread_tryjoin", W_JOIN },
	{ "sem_wait", W_SEM }, { "sem_timedwait", W_SEM }, { "sem_clockwait", W_SEM },
};

static enum lock_kind class_kind(enum wait_class c)
{
	switch (c) {
	case W_MUTEX: return LOCK_MUTEX;
	case W_RDLOCK: case W_WRLOCK: return LOCK_RWLOCK;
	case W_JOIN: return LOCK_JOIN;
	case W_COND: return LOCK_CONDVAR;
	case W_SEM: return LOCK_SEMAPHORE;
	default: return LOCK_FUTEX;
	}
}

static enum wait_class classify_name(const char *name)
{
	char buf[128];
	sym_normalize_name(name, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		size_t n = strlen(rules[i].needle);
		/* prefix match: "pthread_mutex_lock" also covers "..._lock64" */
		if (strncmp(buf, rules[i].needle, n) == 0)
			return rules[i].cls;
	}
	return W_NONE;
}

/* First class found scanning from the innermost frame (inlines first); *at is
 * the physical frame index that matched. */
static enum wait_class classify_frames(const struct rpt_thread *th, size_t *at, const char **name)
{
	for (size_t f = 0; f < th->nframes && f < SCAN_FRAMES; f++) {
		const struct rpt_frame *fr = &th->frames[f];
		for (size_t i = 0; i < fr->ninlines; i++) {
			enum wait_class c = classify_name(fr->inlines[i].function);
			if (c != W_NONE) {
				*at = f;
				*name = fr->inlines[i].function;
				return c;
			}
		}
		enum wait_class c = classify_name(fr->function);
		if (c != W_NONE) {
			*at = f;
			*name = fr->function;
			return c;
		}
	}
	return W_NONE;
}

struct tid_idx {
	int64_t tid;
	size_t idx;
};

static int tid_cmp(const void *a, const void *b)
{
	const struct tid_idx *x = a, *y = b;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static long find_tid(const struct tid_idx *tab, size_t n, int64_t tid)
{
	struct tid_idx key = { tid, 0 };
	const struct tid_idx *hit = bsearch(&key, tab, n, sizeof(*tab), tid_cmp);
	return hit ? (long)hit->idx : -1;
}

static bool read_i32(struct target *t, uint64_t addr, int32_t *v)
{
	struct ck_error *err = t->ops->read(t, addr, v, sizeof(*v));
	if (err) {
		ck_error_destroy(err);
		return false;
	}
	return true;
}

static bool is_system_module(const char *m)
{
	return m && (strncmp(m, "libc.so", 7) == 0 || strncmp(m, "libc-", 5) == 0 ||
		     strncmp(m, "libpthread", 10) == 0 || strncmp(m, "ld-linux", 8) == 0);
}

/* "lock_pair (abba.c:23) in pthread_mutex_lock": the first frame outside libc
 * at or below the matched pthread call, and the call itself. */
static char *wait_frame(const struct rpt_thread *th, size_t at, const char *call)
{
	size_t f = at;
	while (f < th->nframes && is_system_module(th->frames[f].module))
		f++;
	if (f >= th->nframes)
		f = at < th->nframes ? at : 0;
	if (!th->nframes)
		return strdup("?");
	char *where = rpt_frame_describe(&th->frames[f]);
	if (!where)
		return NULL;
	if (!call || f == at)
		return where;
	char *s = NULL;
	int n = asprintf(&s, "%s in %s", where, call);
	free(where);
	return n < 0 ? NULL : s;
}

enum { OBJ_LABEL = 192 };

/* "0x55d0c0a3a0c0 <ledger>" as gdb prints a data address, or just the address. */
static const char *obj_label(const struct rpt_wait *w, char buf[OBJ_LABEL])
{
	snprintf(buf, OBJ_LABEL, "0x%llx%s%s%s", (unsigned long long)w->object, w->object_name ? " <" : "",
		 w->object_name ? w->object_name : "", w->object_name ? ">" : "");
	return buf;
}

/* What a thread is doing, for "held by T (which is ...)". */
static char *doing(const struct report *r, size_t ti, const long *wait_of)
{
	const struct rpt_thread *th = &r->threads[ti];
	char *s = NULL;
	int n;
	if (wait_of[ti] >= 0) {
		const struct rpt_wait *w = &r->waits[wait_of[ti]];
		char ob[OBJ_LABEL];
		if (w->owner_tid > 0)
			n = asprintf(&s, "itself blocked on %s %s held by thread %lld", lock_kind_name(w->kind), obj_label(w, ob),
				     (long long)w->owner_tid);
		else
			n = asprintf(&s, "itself waiting on %s %s", lock_kind_name(w->kind), obj_label(w, ob));
		return n < 0 ? NULL : s;
	}
	if (!th->nframes)
		return strdup("in an unknown place");
	size_t f = 0;
	while (f < th->nframes && is_system_module(th->frames[f].module))
		f++;
	char *top = rpt_frame_describe(&th->frames[0]);
	char *user = f < th->nframes && f ? rpt_frame_describe(&th->frames[f]) : NULL;
	if (!top) {
		free(user);
		return NULL;
	}
	if (user)
		n = asprintf(&s, "in %s, called from %s", top, user);
	else
		n = asprintf(&s, "in %s", top);
	free(top);
	free(user);
	return n < 0 ? NULL : s;
}

/* Find the rwlock base for a futex word: the candidate whose __cur_writer
 * names a thread of the process wins. */
static void resolve_rwlock(struct target *t, const struct tid_idx *tab, size_t n,
			   enum wait_class c, uint64_t futex, struct rpt_wait *w)
{
	static const uint64_t rd_offs[] = { 8, 0, 12 }, wr_offs[] = { 12, 8, 0 };
	const uint64_t *offs = c == W_RDLOCK ? rd_offs : wr_offs;
	w->object = futex - offs[0];
	w->owner_tid = -1;
	for (int i = 0; i < 3; i++) {
		int32_t writer;
		if (futex < offs[i] || !read_i32(t, futex - offs[i] + 24, &writer))
			continue;
		if (writer > 0 && find_tid(tab, n, writer) >= 0) {
			w->object = futex - offs[i];
			w->owner_tid = writer;
			w->owner = find_tid(tab, n, writer);
			return;
		}
	}
	/* No writer: the lock is held by readers, whose TIDs glibc does not
	 * record.  Find the base whose fields look like a read-locked rwlock:
	 * a reader count in __readers >> 3, no __cur_writer, small __shared
	 * and __flags. */
	static const uint64_t any_offs[] = { 8, 12, 0 };
	for (int i = 0; i < 3; i++) {
		uint64_t base = futex - any_offs[i];
		int32_t readers, writer, shared, flags;
		if (futex < any_offs[i] || !read_i32(t, base, &readers) || !read_i32(t, base + 24, &writer) ||
		    !read_i32(t, base + 28, &shared) || !read_i32(t, base + 48, &flags))
			continue;
		if (writer == 0 && ((uint32_t)readers >> RWLOCK_READER_SHIFT) > 0 && (uint32_t)shared <= 1 &&
		    (uint32_t)flags <= 2) {
			w->object = base;
			w->owner_tid = 0;
			return;
		}
	}
}

/* Does p look like a pthread mutex held by a thread of the process?
 * *owner gets the holder's TID. */
static bool mutex_at(struct target *t, const struct tid_idx *tab, size_t n, uint64_t p, int32_t *owner)
{
	int32_t word, own, kind;
	if (!read_i32(t, p, &word) || !read_i32(t, p + 8, &own) || !read_i32(t, p + 16, &kind))
		return false;
	if (own <= 0 || find_tid(tab, n, own) < 0)
		return false;
	*owner = own;
	if (kind & MUTEX_KIND_PI)
		return (word & FUTEX_TID_MASK) == own;
	return word == 1 || word == 2 || (word & FUTEX_TID_MASK) == own;	/* robust: TID in __lock */
}

/*
 * The futex word is not the mutex (glibc blocks forever on a private word
 * when the kernel reports a PI deadlock, EDEADLK): look for the mutex among
 * the callee-saved registers the unwinder recovered in the frames up to the
 * pthread call, and accept only a value that has a mutex's shape.
 */
static bool mutex_from_registers(struct target *t, size_t ti, size_t upto, const struct tid_idx *tab,
				 size_t n, uint64_t *obj, int32_t *owner)
{
	struct target_frame *frames = NULL;
	size_t nf = 0;
	bool incomplete, found = false;
	struct ck_error *err = t->ops->unwind ? t->ops->unwind(t, ti, upto + 2, &frames, &nf, &incomplete) : NULL;
	if (err) {
		ck_error_destroy(err);
		return false;
	}
	/* Frames from the pthread call inwards, then its caller; a mutex held
	 * by another thread wins over one the waiter holds itself (its own
	 * earlier lock is usually still in a register). */
	int64_t self = t->ops->thread(t, ti)->tid;
	for (int pass = 0; pass < 2 && !found; pass++) {
		for (size_t step = 0; step < nf && !found; step++) {
			size_t f = step <= upto ? upto - step : step;
			if (f >= nf)
				continue;
			for (int k = 0; k < FRAME_NSAVED && !found; k++) {
				int32_t own;
				uint64_t p = frames[f].saved[k];
				if (!(frames[f].saved_valid >> k & 1) || p <= 4096 || !mutex_at(t, tab, n, p, &own))
					continue;
				if (pass == 0 && own == self)
					continue;
				*obj = p;
				*owner = own;
				found = true;
			}
		}
	}
	free(frames);
	return found;
}

static struct ck_error *add_state(struct rpt_thread *th, char *s)
{
	if (!s)
		return &ck_enomem;
	free(th->state);
	th->state = s;
	return NULL;
}

static struct ck_error *locks_run(struct target *t, const struct analyzer_options *opt,
				  struct report *r)
{
	(void)opt;
	size_t n = r->nthreads;
	if (!n)
		return NULL;
	struct tid_idx *tab = malloc(n * sizeof(*tab));
	long *wait_of = malloc(n * sizeof(*wait_of));
	struct waitgraph g = { 0 };
	struct ck_error *err = NULL;
	if (!tab || !wait_of) {
		err = &ck_enomem;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		tab[i] = (struct tid_idx){ r->threads[i].tid, i };
		wait_of[i] = -1;
	}
	qsort(tab, n, sizeof(*tab), tid_cmp);

	/* 1. one wait record per thread sleeping in a futex wait */
	for (size_t i = 0; i < n && i < t->ops->nthreads(t); i++) {
		const struct target_thread *tt = t->ops->thread(t, i);
		if (tt->syscall_nr != SYS_FUTEX_NR)
			continue;
		int op = (int)(tt->regs.gpr[X86_RSI] & FUTEX_CMD_MASK);
		bool pi = op == FUTEX_LOCK_PI_OP || op == FUTEX_LOCK_PI2_OP;
		if (op != FUTEX_WAIT_OP && op != FUTEX_WAIT_BITSET_OP && op != FUTEX_WAIT_REQUEUE_PI_OP && !pi)
			continue;
		uint64_t futex = tt->regs.gpr[X86_RDI];
		const struct rpt_thread *th = &r->threads[i];
		size_t at = 0;
		const char *call = NULL;
		enum wait_class c = classify_frames(th, &at, &call);
		int32_t word = 0, at8 = 0;
		bool have_word = read_i32(t, futex, &word);
		bool have8 = read_i32(t, futex + 8, &at8);
		if (c == W_NONE) {
			/* No symbols: recognise the object by its contents. */
			int32_t expect = (int32_t)tt->regs.gpr[X86_RDX];
			if (have_word && word > 0 && word == expect && find_tid(tab, n, word) >= 0 &&
			    op != FUTEX_WAIT_BITSET_OP)
				c = W_JOIN;
			else if (have_word && have8 && (word == 1 || word == 2) && at8 > 0 &&
				 find_tid(tab, n, at8) >= 0)
				c = W_MUTEX;
			else if (pi)
				c = W_MUTEX;
			else
				c = W_FUTEX;
		}
		struct rpt_wait *w = report_add_wait(r);
		if (!w) {
			err = &ck_enomem;
			goto out;
		}
		w->thread = i;
		w->kind = class_kind(c);
		w->futex = futex;
		w->object = futex;
		w->owner_tid = -1;
		switch (c) {
		case W_MUTEX: {
			int32_t own;
			uint64_t obj;
			if (pi && have_word) {
				w->owner_tid = word & FUTEX_TID_MASK;
			} else if (mutex_at(t, tab, n, futex, &own)) {
				w->owner_tid = own;
			} else if (mutex_from_registers(t, i, at, tab, n, &obj, &own)) {
				w->object = obj;
				w->owner_tid = own;
			} else if (have_word && (word == 1 || word == 2) && have8 && at8 > 0) {
				w->owner_tid = at8;	/* a holder that has exited */
			} else {
				w->kind = LOCK_FUTEX;	/* not recognisable as a mutex */
			}
			break;
		}
		case W_RDLOCK:
		case W_WRLOCK:
			resolve_rwlock(t, tab, n, c, futex, w);
			break;
		case W_JOIN:
			if (have_word)
				w->owner_tid = word;
			break;
		default:
			break;
		}
		if (w->owner_tid > 0 && w->owner < 0)
			w->owner = find_tid(tab, n, w->owner_tid);
		if (!(w->frame = wait_frame(th, at, call))) {
			err = &ck_enomem;
			goto out;
		}
		wait_of[i] = (long)(r->nwaits - 1);
	}

	/* 2. cycles (waitgraph.c); wait_of from here on is the graph's */
	if ((err = waitgraph_build(r, &g)))
		goto out;
	free(wait_of);
	wait_of = g.wait_of;
	g.wait_of = NULL;

	/* 3. objects named as gdb names them, per-thread state lines and findings */
	struct sym_resolver *syms = t->ops->symbols ? t->ops->symbols(t) : NULL;
	/* hundreds of threads wait on one mutex: each address is named once
	 * (the symbol search is linear), then copied from the wait that has it */
	enum { NAMED = 64 };
	size_t named[NAMED];
	for (size_t h = 0; h < NAMED; h++)
		named[h] = SIZE_MAX;
	for (size_t k = 0; k < r->nwaits && syms; k++) {
		struct rpt_wait *w = &r->waits[k];
		if (!w->object || w->kind == LOCK_JOIN)
			continue;
		size_t h = (size_t)(w->object >> 3) % NAMED;
		const struct rpt_wait *p = named[h] != SIZE_MAX ? &r->waits[named[h]] : NULL;
		if (p && p->object == w->object) {
			if (p->object_name && !(w->object_name = strdup(p->object_name))) {
				err = &ck_enomem;
				goto out;
			}
		} else if ((err = sym_data_name(syms, w->object, &w->object_name))) {
			goto out;
		} else {
			named[h] = k;
		}
	}
	for (size_t c = 0; c < r->ncycles; c++) {
		const struct rpt_cycle *cy = &r->cycles[c];
		size_t cap = 256 * cy->n + 64, len = 0;
		char *s = malloc(cap);
		if (!s) {
			err = &ck_enomem;
			goto out;
		}
		len += (size_t)snprintf(s, cap, cy->n == 1 ? "a thread waits for itself:" : "%zu threads in a cycle:", cy->n);
		for (size_t k = 0; k < cy->n && len < cap; k++) {
			const struct rpt_wait *w = &r->waits[cy->waits[k]];
			char ob[OBJ_LABEL];
			len += (size_t)snprintf(s + len, cap - len, "%s thread %lld waits for %s %s held by thread %lld (at %s)",
						k ? ";" : "", (long long)r->threads[w->thread].tid, lock_kind_name(w->kind),
						obj_label(w, ob), (long long)w->owner_tid, w->frame);
		}
		struct rpt_finding *fd = report_add_finding(r, "deadlock", "%s", s);
		free(s);
		if (!fd) {
			err = &ck_enomem;
			goto out;
		}
		for (size_t k = 0; k < cy->n && !err; k++)
			err = report_finding_add_thread(fd, r->waits[cy->waits[k]].thread);
		if (err)
			goto out;
	}
	for (size_t k = 0; k < r->nwaits; k++) {
		struct rpt_wait *w = &r->waits[k];
		struct rpt_thread *th = &r->threads[w->thread];
		char *s = NULL, ob[OBJ_LABEL];
		int m;
		obj_label(w, ob);
		if (w->in_cycle) {
			m = asprintf(&s, "DEADLOCKED: waits for %s %s held by thread %lld", lock_kind_name(w->kind), ob,
				     (long long)w->owner_tid);
		} else if (w->owner >= 0) {
			char *d = doing(r, (size_t)w->owner, wait_of);
			if (!d) {
				err = &ck_enomem;
				goto out;
			}
			if (w->kind == LOCK_JOIN)
				m = asprintf(&s, "joining thread %lld (which is %s)", (long long)w->owner_tid, d);
			else
				m = asprintf(&s, "blocked on %s %s held by thread %lld (which is %s)", lock_kind_name(w->kind), ob,
					     (long long)w->owner_tid, d);
			free(d);
		} else if (w->kind == LOCK_CONDVAR) {
			if (w->object == w->futex)
				m = asprintf(&s, "waiting on condition variable (futex %s)", ob);
			else
				m = asprintf(&s, "waiting on condition variable (futex 0x%llx)",
					     (unsigned long long)w->futex);
		} else if (w->kind == LOCK_RWLOCK && w->owner_tid == 0) {
			m = asprintf(&s, "blocked on rwlock %s held by readers", ob);
		} else if (w->owner_tid > 0) {
			m = asprintf(&s, "blocked on %s %s held by thread %lld, which is not in the core",
				     lock_kind_name(w->kind), ob, (long long)w->owner_tid);
		} else {
			m = asprintf(&s, "waiting on %s %s", lock_kind_name(w->kind), ob);
		}
		if (m < 0 || (err = add_state(th, s)))
			goto out;
	}
	/* writers (and readers) stuck behind read owners */
	for (size_t k = 0; k < r->nwaits; k++) {
		const struct rpt_wait *w = &r->waits[k];
		if (w->kind != LOCK_RWLOCK || w->owner_tid != 0)
			continue;
		bool first = true;
		size_t count = 0;
		for (size_t j = 0; j < r->nwaits; j++)
			if (r->waits[j].kind == LOCK_RWLOCK && r->waits[j].owner_tid == 0 &&
			    r->waits[j].object == w->object) {
				first &= j >= k;
				count++;
			}
		char ob[OBJ_LABEL];
		if (first && !report_add_finding(r, "blocked", "%zu thread%s blocked on rwlock %s held by readers "
						 "(glibc does not record which)", count, count == 1 ? "" : "s",
						 obj_label(w, ob))) {
			err = &ck_enomem;
			goto out;
		}
	}
	/* blocked-but-not-deadlocked summary: waiters per held object */
	for (size_t k = 0; k < r->nwaits; k++) {
		const struct rpt_wait *w = &r->waits[k];
		if (w->in_cycle || w->owner < 0 || w->kind == LOCK_JOIN)
			continue;
		bool first = true;
		size_t count = 0;
		for (size_t j = 0; j < r->nwaits; j++) {
			const struct rpt_wait *o = &r->waits[j];
			if (o->in_cycle || o->owner < 0 || o->object != w->object)
				continue;
			if (j < k)
				first = false;
			count++;
		}
		if (!first)
			continue;
		char *d = doing(r, (size_t)w->owner, wait_of);
		if (!d) {
			err = &ck_enomem;
			goto out;
		}
		char ob[OBJ_LABEL];
		bool ok = report_add_finding(r, "blocked", "%zu thread%s blocked on %s %s held by thread %lld (which is %s)",
					     count, count == 1 ? "" : "s", lock_kind_name(w->kind), obj_label(w, ob),
					     (long long)w->owner_tid, d) != NULL;
		free(d);
		if (!ok) {
			err = &ck_enomem;
			goto out;
		}
	}
out:
	free(tab);
	free(wait_of);
	waitgraph_free(&g);
	return err;
}

const struct analyzer analyzer_locks = {
	.name = "locks",
	.summary = "pthread mutex/rwlock/join wait-for graph from futex registers; deadlock cycles",
	.targets = TARGET_PROCESS_CORE,
	.run = locks_run,
};
