/*
 * an_klocks.c - what every blocked task of a guest kernel waits for, and who
 * holds it: mutexes, rw_semaphores, semaphores, completions and wait queues.
 *
 * Without DWARF: the task's frames (kallsyms names) say which primitive it
 * sleeps in; the waiter record that primitive keeps on the task's own stack
 * (struct mutex_waiter, rwsem_waiter, semaphore_waiter, swait_queue,
 * wait_queue_entry - their layouts from BTF or DWARF through ktypes) holds
 * the task pointer and is linked into the object's wait list.  A stack word
 * equal to the task's address is a candidate; it is accepted only when its
 * list is a well-formed ring (every next->prev points back) that returns to
 * it within a bound and contains exactly one node that is not a waiter of a
 * known task: the list head inside the object.  So a corrupt record gives a
 * warning and no edge, never a false verdict.
 *
 * Owners, where the kernel records one (kernel/locking, 5.3+):
 *   mutex   owner = mutex.owner & ~0x7 (MUTEX_FLAGS)
 *   rwsem   count bit 0 (RWSEM_WRITER_LOCKED): owner & ~0x3 is the writer;
 *           otherwise readers hold it (count >> 8 of them) and owner, when
 *           bit 0 (RWSEM_READER_OWNED) is set, names the last reader that
 *           took it - a hint only: it may have released the lock since
 *   rt_mutex  owner & ~0x1 (RT_MUTEX_HAS_WAITERS); its waiters are an rbtree,
 *           so the waiter comes from task->pi_blocked_on (rt_waiter())
 *   others  no owner exists: nobody holds a semaphore or a completion
 * vCPUs the lockup analyzer found spinning on a known spinlock get a
 * "spinlock" wait without an owner (qspinlock records none).
 * The graph (cycles, chains) is waitgraph.c's, shared with pthread locks.
 */
#include "analyzer.h"
#include "klockup.h"
#include "target_kernel.h"
#include "waitgraph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kwait {
	KW_NONE, KW_MUTEX, KW_RWSEM_READ, KW_RWSEM_WRITE, KW_SEM, KW_COMPLETION, KW_WAITQUEUE, KW_RTMUTEX,
	KW_COUNT
};

enum {
	SCAN_FRAMES = 16,		/* lock functions sit right under schedule() */
	RING_MAX = 4096,		/* waiters on one object we are willing to walk */
	STACK_DEFAULT = 16384,		/* x86-64 THREAD_SIZE without KASAN */
	STACK_MAX = 65536,
	MUTEX_FLAGS = 0x7,
	RWSEM_WRITER_LOCKED = 0x1,
	RWSEM_READER_OWNED = 0x1,
	RWSEM_OWNER_FLAGS = 0x3,
	RWSEM_READER_SHIFT = 8,
};

struct name_rule {
	const char *name;
	bool prefix;
	enum kwait kind;
};

/* Normalised names (sym_normalize_name: no leading underscores, no .constprop). */
static const struct name_rule rules[] = {
	{ "mutex_lock", true, KW_MUTEX }, { "ww_mutex_lock", true, KW_MUTEX },
	{ "rwsem_down_read_slowpath", false, KW_RWSEM_READ }, { "down_read", true, KW_RWSEM_READ },
	{ "rwsem_down_write_slowpath", false, KW_RWSEM_WRITE }, { "down_write", true, KW_RWSEM_WRITE },
	{ "down", false, KW_SEM }, { "down_common", false, KW_SEM }, { "down_interruptible", false, KW_SEM },
	{ "down_killable", false, KW_SEM }, { "down_timeout", false, KW_SEM },
	{ "wait_for_common", false, KW_COMPLETION }, { "do_wait_for_common", false, KW_COMPLETION },
	{ "wait_for_common_io", false, KW_COMPLETION }, { "wait_for_completion", true, KW_COMPLETION },
	{ "rt_mutex_slowlock", true, KW_RTMUTEX }, { "rt_mutex_lock", true, KW_RTMUTEX },
	{ "rt_mutex_schedule", false, KW_RTMUTEX }, { "rtlock_slowlock", true, KW_RTMUTEX },
};

static const enum lock_kind kind_lock[KW_COUNT] = {
	[KW_MUTEX] = LOCK_MUTEX, [KW_RWSEM_READ] = LOCK_RWSEM, [KW_RWSEM_WRITE] = LOCK_RWSEM,
	[KW_SEM] = LOCK_SEMAPHORE, [KW_COMPLETION] = LOCK_COMPLETION, [KW_WAITQUEUE] = LOCK_WAITQUEUE,
	[KW_RTMUTEX] = LOCK_RT_MUTEX,
};

/* Where each primitive keeps its waiter and its list head (ktypes names). */
static const struct {
	const char *waiter, *w_list, *w_task, *object, *o_list;
} shapes[KW_COUNT] = {
	[KW_MUTEX] = { "mutex_waiter", "list", "task", "mutex", "wait_list" },
	[KW_RWSEM_READ] = { "rwsem_waiter", "list", "task", "rw_semaphore", "wait_list" },
	[KW_RWSEM_WRITE] = { "rwsem_waiter", "list", "task", "rw_semaphore", "wait_list" },
	[KW_SEM] = { "semaphore_waiter", "list", "task", "semaphore", "wait_list" },
	[KW_COMPLETION] = { "swait_queue", "task_list", "task", "completion", "wait.task_list" },
	[KW_WAITQUEUE] = { "wait_queue_entry", "entry", "private", "wait_queue_head", "head" },
	[KW_RTMUTEX] = { "rt_mutex_waiter", NULL, "task", "rt_mutex_base", NULL },	/* an rbtree: rt_waiter() */
};

struct layout {
	int state;			/* 0 not looked up, 1 usable, -1 types missing */
	uint64_t w_list, w_task, o_list;
};

struct task_ref {
	uint64_t addr;
	size_t idx;
};

struct klocks {
	struct target *t;
	struct report *r;
	struct ktypes *types;
	struct kallsyms *ks;
	struct layout lay[KW_COUNT];
	uint64_t mutex_owner, rwsem_owner, rwsem_count, sem_count;
	int rt_state;			/* rt_mutex offsets: 0 not looked up, 1 usable, -1 missing */
	uint64_t rt_blocked_on, rt_w_task, rt_w_lock, rt_w_node, rt_owner, rt_root, rb_right, rb_left;
	bool have_owner_offs;
	uint64_t stack_size;
	struct task_ref *tasks;		/* sorted by addr */
	size_t ntasks;
	uint64_t *stackbuf;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct task_ref *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static long task_index(const struct klocks *k, uint64_t addr)
{
	struct task_ref key = { addr, 0 };
	const struct task_ref *hit = bsearch(&key, k->tasks, k->ntasks, sizeof(key), ref_cmp);
	return hit ? (long)hit->idx : -1;
}

static bool read_u64(struct klocks *k, uint64_t addr, uint64_t *v)
{
	struct ck_error *err = k->t->ops->read(k->t, addr, v, sizeof(*v));
	if (err) {
		ck_error_destroy(err);
		return false;
	}
	return true;
}

static bool rt_offsets(struct klocks *k);

static const struct layout *layout_of(struct klocks *k, enum kwait kind)
{
	struct layout *l = &k->lay[kind];
	if (l->state)
		return l->state > 0 ? l : NULL;
	l->state = -1;
	struct ck_error *err = NULL;
	if (!shapes[kind].w_list || !k->types || (err = ktypes_offsetof(k->types, shapes[kind].waiter, shapes[kind].w_list, &l->w_list)) ||
	    (err = ktypes_offsetof(k->types, shapes[kind].waiter, shapes[kind].w_task, &l->w_task)) ||
	    (err = ktypes_offsetof(k->types, shapes[kind].object, shapes[kind].o_list, &l->o_list))) {
		ck_error_destroy(err);
		return NULL;
	}
	l->state = 1;
	return l;
}

static enum kwait classify_name(const char *name)
{
	char buf[128];
	if (!name)
		return KW_NONE;
	sym_normalize_name(name, buf, sizeof(buf));
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		size_t n = strlen(rules[i].name);
		if (rules[i].prefix ? strncmp(buf, rules[i].name, n) == 0 : strcmp(buf, rules[i].name) == 0)
			return rules[i].kind;
	}
	return KW_NONE;
}

/* The scheduler's frames under a wait_event() (a macro: its caller is the waiter). */
static bool is_sleep_plumbing(const char *name)
{
	char buf[128];
	if (!name)
		return false;
	sym_normalize_name(name, buf, sizeof(buf));
	return strncmp(buf, "schedule", 8) == 0 || strncmp(buf, "io_schedule", 11) == 0 ||
	       strcmp(buf, "context_switch") == 0 || strcmp(buf, "wait_woken") == 0 ||
	       strcmp(buf, "freezable_schedule") == 0;
}

/* The primitive a task sleeps in, from its innermost frames; *at is the
 * physical frame of the outermost lock function (its caller is "where"). */
static enum kwait classify_frames(const struct rpt_thread *th, size_t *at)
{
	enum kwait found = KW_NONE;
	for (size_t f = 0; f < th->nframes && f < SCAN_FRAMES; f++) {
		const struct rpt_frame *fr = &th->frames[f];
		enum kwait c = classify_name(fr->function);
		for (size_t i = 0; i < fr->ninlines && c == KW_NONE; i++)
			c = classify_name(fr->inlines[i].function);
		if (c != KW_NONE) {
			if (found == KW_NONE)
				found = c;
			*at = f;
		} else if (found != KW_NONE) {
			break;			/* first frame outside the lock code */
		}
	}
	return found;
}

/*
 * Is there a waiter of this kind at waiter address w?  Walk its ring: every
 * node's next->prev must point back, the ring must close within RING_MAX,
 * and exactly one node must not be a waiter of a known task (the head).
 */
static bool ring_head(struct klocks *k, const struct layout *l, uint64_t w, uint64_t *head)
{
	uint64_t start = w + l->w_list, node = start, found = 0;
	size_t heads = 0;
	for (size_t step = 0; step < RING_MAX; step++) {
		uint64_t next, back, task;
		if (!read_u64(k, node, &next) || !read_u64(k, next + 8, &back) || back != node)
			return false;
		node = next;
		if (node == start)
			break;
		if (!read_u64(k, node - l->w_list + l->w_task, &task) || task_index(k, task) < 0) {
			if (heads++)
				return false;
			found = node;
		}
	}
	if (node != start || heads != 1)
		return false;
	*head = found;
	return true;
}

/* The object a task waits on: the waiter record on its stack, validated. */
static bool find_object(struct klocks *k, const struct ktask *kt, const struct layout *l, uint64_t *object,
			uint64_t *waiter)
{
	uint64_t lo = kt->stack, hi = kt->stack + k->stack_size;
	if (kt->thread_sp > lo && kt->thread_sp < hi)
		lo = kt->thread_sp & ~7ULL;
	size_t n = (size_t)((hi - lo) / 8);
	struct ck_error *err = k->t->ops->read(k->t, lo, k->stackbuf, n * 8);
	if (err) {
		ck_error_destroy(err);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t head;
		uint64_t slot = lo + i * 8;
		if (k->stackbuf[i] != kt->addr || slot < l->w_task)
			continue;
		uint64_t w = slot - l->w_task;
		if (w < lo || ring_head(k, l, w, &head) == false)
			continue;
		*object = head - l->o_list;
		*waiter = w;
		return true;
	}
	return false;
}

/* The function and place a task waits at: the caller of the lock code. */
static char *where_waits(const struct rpt_thread *th, size_t at)
{
	size_t f = at + 1 < th->nframes ? at + 1 : at;
	if (f >= th->nframes)
		return strdup("?");
	const struct rpt_frame *fr = &th->frames[f];
	const char *fn = rpt_frame_top_name(fr);
	const char *file = fr->ninlines ? fr->inlines[0].file : fr->file;
	int line = fr->ninlines ? fr->inlines[0].line : fr->line;
	const char *base = file ? strrchr(file, '/') : NULL;
	base = base ? base + 1 : file;
	char off[32] = "";
	if (!fr->ninlines && fr->has_function_offset)
		snprintf(off, sizeof(off), "+0x%llx", (unsigned long long)fr->function_offset);
	char *s = NULL;
	int n;
	if (fn && base && line)
		n = asprintf(&s, "%s%s (%s:%d)%s%s%s", fn, off, base, line, fr->module ? " [" : "",
			     fr->module ? fr->module : "", fr->module ? "]" : "");
	else if (fn)
		n = asprintf(&s, "%s%s%s%s%s", fn, off, fr->module ? " [" : "", fr->module ? fr->module : "",
			     fr->module ? "]" : "");
	else
		n = asprintf(&s, "0x%llx", (unsigned long long)fr->pc);
	return n < 0 ? NULL : s;
}

/* "task_struct.perf_event_mutex of pid 42 "bash"" for a lock inside a known
 * task: the type information names the member, so the name is certain. */
static struct ck_error *task_member_name(struct klocks *k, uint64_t addr, char **ret)
{
	uint64_t size;
	struct ck_error *err;
	if (!k->types || !k->ntasks || addr < k->tasks[0].addr)
		return NULL;
	if ((err = ktypes_sizeof(k->types, "task_struct", &size))) {
		ck_error_destroy(err);
		return NULL;
	}
	size_t lo = 0, hi = k->ntasks;		/* the last task at or below addr */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (k->tasks[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	const struct task_ref *tr = &k->tasks[lo];
	char member[128];
	if (addr - tr->addr >= size)
		return NULL;
	if ((err = ktypes_member_at(k->types, "task_struct", addr - tr->addr, member, sizeof(member)))) {
		ck_error_destroy(err);
		return NULL;
	}
	const struct rpt_thread *th = &k->r->threads[tr->idx];
	if (asprintf(ret, "task_struct.%s of pid %lld \"%s\"", member, (long long)th->tid,
		     th->name ? th->name : "?") < 0) {
		*ret = NULL;
		return &ck_enomem;
	}
	return NULL;
}

/* "lock_a [deadlock]" / "jiffies_lock" / "cyc_m1+8 [deadlock]" for a static object. */
static struct ck_error *object_name(struct klocks *k, uint64_t addr, char **ret)
{
	struct ksym s;
	*ret = NULL;
	if (!k->ks || !kallsyms_lookup(k->ks, addr, &s) || !s.name || (s.size && s.offset >= s.size) ||
	    (!s.size && s.offset) || strchr("tTwW", s.type))
		return task_member_name(k, addr, ret);
	int n = asprintf(ret, "%s%s%.0llu%s%s%s", s.name, s.offset ? "+" : "", (unsigned long long)s.offset,
			 s.module ? " [" : "", s.module ? s.module : "", s.module ? "]" : "");
	if (n < 0) {
		*ret = NULL;
		return &ck_enomem;
	}
	return NULL;
}

static void owner_offsets(struct klocks *k)
{
	if (k->have_owner_offs || !k->types)
		return;
	struct ck_error *err = NULL;
	if ((err = ktypes_offsetof(k->types, "mutex", "owner", &k->mutex_owner)) ||
	    (err = ktypes_offsetof(k->types, "rw_semaphore", "owner", &k->rwsem_owner)) ||
	    (err = ktypes_offsetof(k->types, "rw_semaphore", "count", &k->rwsem_count)) ||
	    (err = ktypes_offsetof(k->types, "semaphore", "count", &k->sem_count))) {
		ck_error_destroy(err);
		return;
	}
	k->have_owner_offs = true;
}

/* Fill w's owner from the object; *readers gets the reader count of a read-held rwsem. */
static void find_owner(struct klocks *k, enum kwait kind, struct rpt_wait *w, uint64_t *readers)
{
	uint64_t v, count;
	w->owner = -1;
	w->owner_tid = 0;			/* nobody holds it, unless found below */
	*readers = 0;
	owner_offsets(k);
	if (!k->have_owner_offs && kind != KW_RTMUTEX)
		return;
	uint64_t holder = 0;
	switch (kind) {
	case KW_MUTEX:
		if (!read_u64(k, w->object + k->mutex_owner, &v)) {
			w->owner_tid = -1;
			return;
		}
		holder = v & ~(uint64_t)MUTEX_FLAGS;
		break;
	case KW_RWSEM_READ:
	case KW_RWSEM_WRITE:
		if (!read_u64(k, w->object + k->rwsem_owner, &v) || !read_u64(k, w->object + k->rwsem_count, &count)) {
			w->owner_tid = -1;
			return;
		}
		if (count & RWSEM_WRITER_LOCKED) {
			holder = v & ~(uint64_t)RWSEM_OWNER_FLAGS;
		} else if (count >> RWSEM_READER_SHIFT) {
			*readers = (count >> RWSEM_READER_SHIFT) & 0xffffffffffffULL;
			if (v & RWSEM_READER_OWNED) {
				holder = v & ~(uint64_t)RWSEM_OWNER_FLAGS;
				w->owner_hint = true;
			}
		}
		break;
	case KW_RTMUTEX:
		if (!rt_offsets(k) || !read_u64(k, w->object + k->rt_owner, &v)) {
			w->owner_tid = -1;
			return;
		}
		holder = v & ~1ULL;	/* RT_MUTEX_HAS_WAITERS */
		break;
	default:
		return;
	}
	if (!holder)
		return;
	long oi = task_index(k, holder);
	w->owner = oi;
	w->owner_tid = oi >= 0 ? k->r->threads[oi].tid : -1;
	w->owner_task = holder;
}

/* rt_mutex waiters sit in an rbtree, not a list: the task's pi_blocked_on
 * names its waiter, which must be on its stack, point back at the task and
 * be a node of its lock's waiter tree (a bounded walk). */
static bool rt_offsets(struct klocks *k)
{
	if (k->rt_state)
		return k->rt_state > 0;
	k->rt_state = -1;
	struct ck_error *err = NULL;
	int has = 0;
	if (!k->types || (err = ktypes_has_member(k->types, "rt_mutex_waiter", "tree_entry", &has)))
		goto out;
	if ((err = ktypes_offsetof(k->types, "task_struct", "pi_blocked_on", &k->rt_blocked_on)) ||
	    (err = ktypes_offsetof(k->types, "rt_mutex_waiter", "task", &k->rt_w_task)) ||
	    (err = ktypes_offsetof(k->types, "rt_mutex_waiter", "lock", &k->rt_w_lock)) ||
	    (err = ktypes_offsetof(k->types, "rt_mutex_waiter", has ? "tree_entry" : "tree.entry", &k->rt_w_node)) ||
	    (err = ktypes_offsetof(k->types, "rt_mutex_base", "owner", &k->rt_owner)) ||
	    (err = ktypes_offsetof(k->types, "rt_mutex_base", "waiters.rb_root.rb_node", &k->rt_root)) ||
	    (err = ktypes_offsetof(k->types, "rb_node", "rb_right", &k->rb_right)) ||
	    (err = ktypes_offsetof(k->types, "rb_node", "rb_left", &k->rb_left)))
		goto out;
	k->rt_state = 1;
out:
	ck_error_destroy(err);
	return k->rt_state > 0;
}

static bool rb_contains(struct klocks *k, uint64_t root, uint64_t want)
{
	uint64_t stack[64], node;
	size_t sp = 0, seen = 0;
	if (root)
		stack[sp++] = root;
	while (sp && seen++ < RING_MAX) {
		node = stack[--sp];
		if (node == want)
			return true;
		uint64_t l, r;
		if (!read_u64(k, node + k->rb_left, &l) || !read_u64(k, node + k->rb_right, &r))
			return false;
		if (l && sp < 64)
			stack[sp++] = l;
		if (r && sp < 64)
			stack[sp++] = r;
	}
	return false;
}

static bool rt_waiter(struct klocks *k, const struct ktask *kt, uint64_t *object, uint64_t *waiter)
{
	uint64_t w, task, lock, root;
	if (!rt_offsets(k) || !read_u64(k, kt->addr + k->rt_blocked_on, &w) || w < kt->stack ||
	    w >= kt->stack + k->stack_size || !read_u64(k, w + k->rt_w_task, &task) || task != kt->addr ||
	    !read_u64(k, w + k->rt_w_lock, &lock) || !lock || !read_u64(k, lock + k->rt_root, &root) ||
	    !rb_contains(k, root, w + k->rt_w_node))
		return false;
	*object = lock;
	*waiter = w;
	return true;
}

static struct ck_error *add_wait(struct klocks *k, size_t ti, const struct ktask *kt)
{
	struct report *r = k->r;
	const struct rpt_thread *th = &r->threads[ti];
	size_t at = 0;
	enum kwait kind = classify_frames(th, &at);
	/* mutexes and rwsems in any sleep (the _interruptible variants sleep in
	 * S); other waits only in D: an S task on a completion or queue is idle */
	if (kind != KW_NONE && kind != KW_MUTEX && kind != KW_RWSEM_READ && kind != KW_RWSEM_WRITE &&
	    kind != KW_RTMUTEX && th->task.state != 'D')
		return NULL;
	if (kind == KW_NONE) {
		if (th->task.state != 'D')
			return NULL;
		kind = KW_WAITQUEUE;		/* a D sleeper in no lock code: try a wait queue */
		at = 0;
		while (at + 1 < th->nframes && is_sleep_plumbing(th->frames[at].function))
			at++;
		at = at ? at - 1 : 0;		/* the last plumbing frame: its caller waits */
	}
	const struct layout *l = kind == KW_RTMUTEX ? NULL : layout_of(k, kind);
	uint64_t object = 0, waiter = 0;
	bool found = kind == KW_RTMUTEX ? rt_waiter(k, kt, &object, &waiter)
					: l && find_object(k, kt, l, &object, &waiter);
	if (!found) {
		if (kind == KW_WAITQUEUE)
			return NULL;		/* msleep, I/O and other sleeps without a queue */
		return report_warn(r, "pid %lld \"%s\" sleeps in %s code, but no valid waiter record (struct %s) was "
				   "found on its stack%s; its wait is not in the lock graph", (long long)th->tid,
				   th->name ? th->name : "?", lock_kind_name(kind_lock[kind]), shapes[kind].waiter,
				   l || (kind == KW_RTMUTEX && k->rt_state > 0) ? "" : " (no type information for it)");
	}
	struct rpt_wait *w = report_add_wait(r);
	if (!w)
		return &ck_enomem;
	w->thread = ti;
	w->kind = kind_lock[kind];
	w->mode = kind == KW_RWSEM_READ ? "read" : kind == KW_RWSEM_WRITE ? "write" : NULL;
	w->object = object;
	w->waiter = waiter;
	uint64_t readers;
	find_owner(k, kind, w, &readers);
	w->readers = readers;
	struct ck_error *err = object_name(k, object, &w->object_name);
	if (err)
		return err;
	if (!(w->frame = where_waits(th, at)))
		return &ck_enomem;
	return NULL;
}

/* "pid 105 "dl_cyc2"" */
static const char *who(const struct report *r, size_t ti, char *buf, size_t cap)
{
	snprintf(buf, cap, "pid %lld \"%s\"", (long long)r->threads[ti].tid,
		 r->threads[ti].name ? r->threads[ti].name : "?");
	return buf;
}

/* "mutex 0xffffffffc0483080 <lock_a [deadlock]>", "rwsem (write) 0x..." */
static const char *object_label(const struct rpt_wait *w, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s%s 0x%llx%s%s%s", lock_kind_name(w->kind), w->mode ? " (" : "", w->mode ? w->mode : "",
		 w->mode ? ")" : "", (unsigned long long)w->object, w->object_name ? " <" : "",
		 w->object_name ? w->object_name : "", w->object_name ? ">" : "");
	return buf;
}

/* What the holder at thread index h is doing: "sleeping (S) in msleep_interruptible". */
static char *holder_doing(const struct report *r, const struct waitgraph *g, size_t h)
{
	const struct rpt_thread *th = &r->threads[h];
	char *s = NULL, ob[256];
	int n;
	if (g->wait_of[h] >= 0) {
		const struct rpt_wait *w = &r->waits[g->wait_of[h]];
		n = asprintf(&s, "itself waiting for %s", object_label(w, ob, sizeof(ob)));
		return n < 0 ? NULL : s;
	}
	if (th->task.on_cpu) {
		n = asprintf(&s, "running on CPU %d", th->task.cpu);
		return n < 0 ? NULL : s;
	}
	/* the first frame that is not the scheduler's */
	const char *at = NULL;
	for (size_t f = 0; f < th->nframes && !at; f++) {
		const char *fn = th->frames[f].function;
		if (fn && !strstr(fn, "schedule"))
			at = fn;
	}
	const char *what = th->task.state == 'S' ? "sleeping (S)" : th->task.state == 'D' ? "blocked (D)"
			   : th->task.state == 'R' ? "runnable (R)" : "in state";
	if (th->task.state != 'S' && th->task.state != 'D' && th->task.state != 'R')
		n = asprintf(&s, "in state %c%s%s", th->task.state ? th->task.state : '?', at ? " in " : "",
			     at ? at : "");
	else
		n = asprintf(&s, "%s%s%s", what, at ? " in " : "", at ? at : "");
	return n < 0 ? NULL : s;
}

static char *state_line(const struct report *r, const struct waitgraph *g, const struct rpt_wait *w)
{
	char ob[256], hb[128], *s = NULL;
	int n;
	object_label(w, ob, sizeof(ob));
	const char *hold = w->owner >= 0 ? who(r, (size_t)w->owner, hb, sizeof(hb)) : NULL;
	if (w->kind == LOCK_SPINLOCK)
		n = asprintf(&s, "spinning on CPU %d on %s; a qspinlock records no owner", r->threads[w->thread].task.cpu, ob);
	else if (w->in_cycle && w->owner_hint)
		n = asprintf(&s, "DEADLOCKED: waits for %s held by readers; the last reader to take it was %s", ob, hold);
	else if (w->in_cycle)
		n = asprintf(&s, "DEADLOCKED: waits for %s held by %s", ob, hold);
	else if (w->owner >= 0) {
		char *d = holder_doing(r, g, (size_t)w->owner);
		if (!d)
			return NULL;
		if (w->owner_hint)
			n = asprintf(&s, "blocked on %s held by %llu reader%s; the last reader to take it was %s "
				     "(which is %s; it may have released it since)", ob, (unsigned long long)w->readers,
				     w->readers == 1 ? "" : "s", hold, d);
		else
			n = asprintf(&s, "blocked on %s held by %s (which is %s)", ob, hold, d);
		free(d);
	} else if (w->readers)
		n = asprintf(&s, "blocked on %s held by %llu reader%s (the kernel did not record which)", ob,
			     (unsigned long long)w->readers, w->readers == 1 ? "" : "s");
	else if (w->owner_task)
		n = asprintf(&s, "blocked on %s held by task 0x%llx, which is not in the task list", ob,
			     (unsigned long long)w->owner_task);
	else if (w->owner_tid < 0)
		n = asprintf(&s, "blocked on %s; its owner could not be read", ob);
	else if (w->kind == LOCK_MUTEX || w->kind == LOCK_RWSEM || w->kind == LOCK_RT_MUTEX)
		n = asprintf(&s, "waits for %s, which records no owner now (being handed over?)", ob);
	else
		n = asprintf(&s, "waits on %s: nobody holds it; the waker is unknown", ob);
	return n < 0 ? NULL : s;
}

/* Append "pid, pid, ..." of the threads in v (at most 16) to a finding summary. */
static int pid_list(const struct report *r, const size_t *v, size_t n, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && i < 16 && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%lld", i ? ", " : "", (long long)r->threads[v[i]].tid);
	if (n > 16 && len < cap)
		len += (size_t)snprintf(buf + len, cap - len, ", ... (%zu more)", n - 16);
	return (int)len;
}

static struct ck_error *cycle_finding(struct report *r, size_t c)
{
	const struct rpt_cycle *cy = &r->cycles[c];
	size_t cap = 512 * cy->n + 64, len = 0;
	char *s = malloc(cap);
	if (!s)
		return &ck_enomem;
	bool hint = false;
	len += (size_t)snprintf(s, cap, "%zu tasks in a cycle:", cy->n);
	for (size_t k = 0; k < cy->n && len < cap; k++) {
		const struct rpt_wait *w = &r->waits[cy->waits[k]];
		char wb[128], hb[128], ob[256];
		hint |= w->owner_hint;
		len += (size_t)snprintf(s + len, cap - len, "%s %s waits for %s held by %s%s (at %s)", k ? ";" : "",
					who(r, w->thread, wb, sizeof(wb)), object_label(w, ob, sizeof(ob)),
					w->owner_hint ? "readers, last taken by " : "",
					who(r, (size_t)w->owner, hb, sizeof(hb)), w->frame);
	}
	if (hint && len < cap)
		snprintf(s + len, cap - len, " (an rwsem's reader is the kernel's hint, the last reader to take it)");
	struct rpt_finding *fd = report_add_finding(r, "deadlock", "%s", s);
	free(s);
	if (!fd)
		return &ck_enomem;
	struct ck_error *err = NULL;
	for (size_t k = 0; k < cy->n && !err; k++)
		err = report_finding_add_thread(fd, r->waits[cy->waits[k]].thread);
	return err;
}

/* Waiters whose chain ends at root holder h (root >= 0) or runs into cycle c. */
static struct ck_error *chain_finding(struct report *r, const struct waitgraph *g, long root, long cyc)
{
	size_t *v = malloc(r->nthreads * sizeof(*v)), n = 0;
	if (!v)
		return &ck_enomem;
	for (size_t i = 0; i < r->nthreads; i++) {
		if (g->wait_of[i] < 0 || r->waits[g->wait_of[i]].in_cycle)
			continue;
		if ((root >= 0 && g->root[i] == root) || (cyc >= 0 && g->cycle[i] == cyc))
			v[n++] = i;
	}
	struct ck_error *err = NULL;
	if (n) {
		char pids[512], hb[128], *d = NULL;
		pid_list(r, v, n, pids, sizeof(pids));
		struct rpt_finding *fd;
		if (root >= 0) {
			if (!(d = holder_doing(r, g, (size_t)root))) {
				free(v);
				return &ck_enomem;
			}
			fd = report_add_finding(r, "blocked", "%zu task%s wait%s behind %s, which is %s: pid%s %s", n,
						n == 1 ? "" : "s", n == 1 ? "s" : "", who(r, (size_t)root, hb, sizeof(hb)),
						d, n == 1 ? "" : "s", pids);
		} else {
			fd = report_add_finding(r, "blocked", "%zu task%s wait%s behind deadlock cycle %ld: pid%s %s", n,
						n == 1 ? "" : "s", n == 1 ? "s" : "", cyc + 1, n == 1 ? "" : "s", pids);
		}
		free(d);
		if (!fd)
			err = &ck_enomem;
		if (!err && root >= 0)
			err = report_finding_add_thread(fd, (size_t)root);
		for (size_t i = 0; i < n && !err; i++)
			err = report_finding_add_thread(fd, v[i]);
	}
	free(v);
	return err;
}

static struct ck_error *verdicts(struct report *r)
{
	struct waitgraph g;
	struct ck_error *err = waitgraph_build(r, &g);
	if (err)
		return err;
	for (size_t k = 0; k < r->nwaits && !err; k++) {
		struct rpt_wait *w = &r->waits[k];
		char *s = state_line(r, &g, w);
		if (!s) {
			err = &ck_enomem;
			break;
		}
		free(r->threads[w->thread].state);
		r->threads[w->thread].state = s;
	}
	for (size_t c = 0; c < r->ncycles && !err; c++)
		err = cycle_finding(r, c);
	for (size_t c = 0; c < r->ncycles && !err; c++)
		err = chain_finding(r, &g, -1, (long)c);
	/* each root holder once, in thread order */
	bool *is_root = calloc(r->nthreads ? r->nthreads : 1, sizeof(*is_root));
	if (!is_root && !err)
		err = &ck_enomem;
	for (size_t j = 0; j < r->nthreads && is_root; j++)
		if (g.root[j] >= 0 && (size_t)g.root[j] < r->nthreads)
			is_root[g.root[j]] = true;
	for (size_t i = 0; i < r->nthreads && !err; i++)
		if (is_root[i])
			err = chain_finding(r, &g, (long)i, -1);
	free(is_root);
	waitgraph_free(&g);
	return err;
}

/* A vCPU the lockup analyzer found spinning on a known lock waits for it too;
 * a qspinlock records no owner, so the wait has no edge. */
static struct ck_error *spin_waits(struct report *r)
{
	for (size_t c = 0; c < r->kernel.ncpus; c++) {
		const struct rpt_cpu *rc = &r->kernel.cpus[c];
		if (!rc->lockup || !rc->spinning || !rc->spinlock || rc->thread < 0 || (size_t)rc->thread >= r->nthreads)
			continue;
		const struct rpt_thread *th = &r->threads[rc->thread];
		struct rpt_wait *w = report_add_wait(r);
		if (!w)
			return &ck_enomem;
		w->thread = (size_t)rc->thread;
		w->kind = LOCK_SPINLOCK;
		w->object = rc->spinlock;
		w->owner = -1;
		w->owner_tid = -1;
		if (rc->spinlock_name && !(w->object_name = strdup(rc->spinlock_name)))
			return &ck_enomem;
		/* where: the first frame that is not spin-lock machinery */
		size_t at = 0;
		while (at + 1 < th->nframes && klockup_spin_function(th->frames[at].function) != KLOCKUP_NOT_SPIN)
			at++;
		if (!(w->frame = where_waits(th, at ? at - 1 : 0)))
			return &ck_enomem;
	}
	return NULL;
}

static struct ck_error *klocks_run(struct target *t, const struct analyzer_options *opt, struct report *r)
{
	(void)opt;
	const struct ktask_list *tl = target_kernel_tasks(t);
	if (!tl || !r->nthreads)
		return NULL;
	struct klocks k = { .t = t, .r = r, .types = target_kernel_types(t), .ks = target_kernel_kallsyms(t),
			    .stack_size = STACK_DEFAULT };
	uint64_t tu;
	struct ck_error *err = NULL;
	if (k.types && !(err = ktypes_sizeof(k.types, "thread_union", &tu)) && tu >= 4096 && tu <= STACK_MAX &&
	    !(tu & 4095))
		k.stack_size = tu;
	ck_error_destroy(err);
	err = NULL;
	k.tasks = malloc(r->nthreads * sizeof(*k.tasks));
	k.stackbuf = malloc(k.stack_size);
	if (!k.tasks || !k.stackbuf) {
		err = &ck_enomem;
		goto out;
	}
	for (size_t i = 0; i < r->nthreads; i++)
		if (r->threads[i].task.present)
			k.tasks[k.ntasks++] = (struct task_ref){ r->threads[i].task.addr, i };
	qsort(k.tasks, k.ntasks, sizeof(*k.tasks), ref_cmp);

	/* ktask by address, for the stack bounds (same tasks, maybe another order) */
	for (size_t j = 0; j < tl->n && !err; j++) {
		const struct ktask *kt = &tl->tasks[j];
		long ti = task_index(&k, kt->addr);
		if (ti < 0 || kt->on_cpu || kt->idle || !kt->stack)
			continue;
		err = add_wait(&k, (size_t)ti, kt);
	}
	if (!err)
		err = spin_waits(r);
	if (!err)
		err = verdicts(r);
out:
	free(k.tasks);
	free(k.stackbuf);
	return err;
}

const struct analyzer analyzer_klocks = {
	.name = "klocks",
	.summary = "kernel mutex/rwsem/semaphore/completion waits from the waiter records on task stacks; "
		   "deadlock cycles and chains",
	.targets = TARGET_KERNEL_IMAGE,
	.run = klocks_run,
};
