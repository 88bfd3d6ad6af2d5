/* kernel_tasks.c - walk a guest kernel's tasks, bounded and loop-safe. */
#include "kernel_tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	TASK_REPORT = 0x7f,		/* INTERRUPTIBLE..PARKED, plus EXIT_* */
	TASK_IDLE_BITS = 0x402,		/* TASK_UNINTERRUPTIBLE | TASK_NOLOAD */
	TASK_RTLOCK_WAIT = 0x1000,
	TASK_REPORT_IDLE = 0x80,
	MAX_TASK_STRUCT = 64 * 1024,	/* a task_struct larger than this is a broken type */
};

char ktask_state_letter(uint32_t state)
{
	static const char letters[] = "RSDTtXZPI";
	uint32_t s = state & TASK_REPORT;
	if ((state & TASK_IDLE_BITS) == TASK_IDLE_BITS)
		s = TASK_REPORT_IDLE;
	if (state & TASK_RTLOCK_WAIT)
		s = 2;	/* an RT-lock wait is reported as D, as the kernel does */
	int idx = 0;
	while (s) {	/* fls() */
		idx++;
		s >>= 1;
	}
	return idx < (int)sizeof(letters) - 1 ? letters[idx] : '?';
}

/* A member of the task_struct in b (n bytes); 0 if absent or outside it (the types come from guest memory too). */
static uint64_t get(const uint8_t *b, uint64_t n, uint64_t off, int size)
{
	uint64_t v = 0;
	if (off == KL_ABSENT || off > n || n - off < (uint64_t)size)
		return 0;
	for (int i = size - 1; i >= 0; i--)
		v = v << 8 | b[off + (uint64_t)i];
	return v;
}

/* Open-addressed set of task addresses (power-of-two capacity). */
struct seen {
	uint64_t *slot;
	size_t cap, n;
};

static int seen_add(struct seen *s, uint64_t a)	/* 1 added, 0 present, -1 no memory */
{
	if (2 * (s->n + 1) > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		uint64_t *ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return -1;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->slot[i])
				continue;
			size_t j = (size_t)(s->slot[i] >> 4) & (ncap - 1);
			while (ns[j])
				j = (j + 1) & (ncap - 1);
			ns[j] = s->slot[i];
		}
		free(s->slot);
		s->slot = ns;
		s->cap = ncap;
	}
	size_t j = (size_t)(a >> 4) & (s->cap - 1);
	while (s->slot[j]) {
		if (s->slot[j] == a)
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	s->slot[j] = a;
	s->n++;
	return 1;
}

struct walk {
	const struct ck_memory *mem;
	const struct kernel_layout *l;
	struct ktask_list *tl;
	struct seen seen;
	uint8_t *buf;			/* one task_struct */
};

/* At most 64 warnings: a badly broken list says enough with that many. */
#define warn(tl, ...) ((tl)->warnings.n >= 64 ? NULL : strlist_addf(&(tl)->warnings, __VA_ARGS__))

/* Keep a soft error as a warning; pass up only system errors. */
static struct ck_error *soften(struct ktask_list *tl, struct ck_error *err, const char *what)
{
	if (!err)
		return NULL;
	if (err->kind == CK_ERR_SYSTEM)
		return err;
	struct ck_error *w = warn(tl, "%s: %s", what, err->msg);
	ck_error_destroy(err);
	return w;
}

/* Read the task at addr and append it (unless seen).  *added says whether it was new and read. */
static struct ck_error *add_task(struct walk *w, uint64_t addr, bool idle, bool *added)
{
	*added = false;
	int r = seen_add(&w->seen, addr);
	if (r < 0)
		return &ck_enomem;
	if (r == 0)
		return NULL;
	const struct kernel_layout *l = w->l;
	struct ck_error *err = ck_mem_read(w->mem, addr, w->buf, l->task_size);
	if (err)
		return soften(w->tl, err, "reading a task_struct");
	struct ktask_list *tl = w->tl;
	if (tl->n == tl->cap) {
		size_t ncap = tl->cap ? tl->cap * 2 : 256;
		struct ktask *nt = realloc(tl->tasks, ncap * sizeof(*nt));
		if (!nt)
			return &ck_enomem;
		tl->tasks = nt;
		tl->cap = ncap;
	}
	struct ktask *t = &tl->tasks[tl->n];
	memset(t, 0, sizeof(*t));
	const uint8_t *b = w->buf;
	t->addr = addr;
	t->pid = (int32_t)get(b, l->task_size, l->task_pid, 4);
	t->tgid = (int32_t)get(b, l->task_size, l->task_tgid, 4);
	size_t cl = l->task_comm_len < sizeof(t->comm) ? (size_t)l->task_comm_len : sizeof(t->comm) - 1;
	if (l->task_comm > l->task_size || l->task_size - l->task_comm < cl)
		cl = 0;
	memcpy(t->comm, b + l->task_comm, cl);
	t->comm[cl] = 0;
	t->raw_state = (uint32_t)get(b, l->task_size, l->task_state, 4);
	t->state = t->raw_state | (uint32_t)get(b, l->task_size, l->task_exit_state, 4);
	t->state_letter = ktask_state_letter(t->state);
	t->flags = (uint32_t)get(b, l->task_size, l->task_flags, 4);
	t->cpu = (int)(uint32_t)get(b, l->task_size, l->task_cpu, 4);
	t->stack = get(b, l->task_size, l->task_stack, 8);
	t->thread_sp = get(b, l->task_size, l->task_thread_sp, 8);
	t->last_arrival_ns = get(b, l->task_size, l->task_last_arrival, 8);
	t->last_switch_time = get(b, l->task_size, l->task_last_switch_time, 8);
	t->last_switch_count = get(b, l->task_size, l->task_last_switch_count, 8);
	t->has_hung_fields = l->task_last_switch_time != KL_ABSENT && l->task_last_switch_count != KL_ABSENT &&
			     l->task_nvcsw != KL_ABSENT && l->task_nivcsw != KL_ABSENT;
	t->nvcsw = get(b, l->task_size, l->task_nvcsw, 8);
	t->nivcsw = get(b, l->task_size, l->task_nivcsw, 8);
	t->idle = idle;
	t->since_ran_ns = -1;
	tl->n++;
	*added = true;
	return NULL;
}

/*
 * The threads of leader's group: signal->thread_head, linked through each
 * task's thread_node.  Every thread must belong to the same signal_struct;
 * a list that leads elsewhere, or back to a task seen before, is cut there
 * with a warning.
 */
static struct ck_error *walk_threads(struct walk *w, uint64_t leader, int64_t leader_pid)
{
	const struct kernel_layout *l = w->l;
	uint64_t sig = 0, head, next;
	struct ck_error *err = ck_mem_read_u64(w->mem, leader + l->task_signal, &sig);
	if (err)
		return soften(w->tl, err, "reading task->signal");
	if (!sig)
		return NULL;	/* an exiting task */
	head = sig + l->signal_thread_head;
	if ((err = ck_mem_read_u64(w->mem, head, &next)))
		return soften(w->tl, err, "reading signal->thread_head");
	bool leader_seen = false;
	for (size_t i = 0; next != head && i < KTASKS_MAX; i++) {
		uint64_t task = next - l->task_thread_node, tsig = 0;
		if ((err = ck_mem_read_u64(w->mem, task + l->task_signal, &tsig)))
			return soften(w->tl, err, "walking a thread list");
		if (tsig != sig)
			return warn(w->tl, "the thread list of pid %lld leads to task 0x%llx of another thread group: "
				    "cut there", (long long)leader_pid, (unsigned long long)task);
		bool added = false;
		if (task == leader) {
			if (leader_seen)
				return warn(w->tl, "the thread list of pid %lld loops: cut there", (long long)leader_pid);
			leader_seen = true;
		} else {
			size_t nw = w->tl->warnings.n;
			if ((err = add_task(w, task, false, &added)))
				return err;
			if (!added)
				return w->tl->warnings.n != nw ? NULL	/* unreadable: already said */
				       : warn(w->tl, "the thread list of pid %lld loops back to task 0x%llx: cut there",
					      (long long)leader_pid, (unsigned long long)task);
		}
		if ((err = ck_mem_read_u64(w->mem, next, &next)))
			return soften(w->tl, err, "walking a thread list");
	}
	return NULL;
}

/* Thread-group leaders on init_task.tasks, each with its threads.  Problems are warnings. */
static struct ck_error *walk_groups(struct walk *w, uint64_t init_task)
{
	const struct kernel_layout *l = w->l;
	struct ktask_list *tl = w->tl;
	uint64_t head = init_task + l->task_tasks, next;
	struct ck_error *err = ck_mem_read_u64(w->mem, head, &next);
	if (err)
		return soften(tl, err, "reading init_task.tasks");
	for (size_t i = 0; next != head; i++) {
		if (i == KTASKS_MAX)
			return warn(tl, "more than %d tasks: the list is cut there", KTASKS_MAX);
		uint64_t leader = next - l->task_tasks;
		bool added;
		size_t before = tl->n, nw = tl->warnings.n;
		if ((err = add_task(w, leader, false, &added)))
			return err;
		if (!added)	/* unreadable (already said), or seen before: leaders appear once */
			return tl->warnings.n != nw ? NULL
			       : warn(tl, "the task list loops back to task 0x%llx: cut there", (unsigned long long)leader);
		if ((err = walk_threads(w, leader, tl->tasks[before].pid)))
			return err;
		if ((err = ck_mem_read_u64(w->mem, next, &next)))
			return soften(tl, err, "walking the task list");
	}
	return NULL;
}

static struct ck_error *read_cpus(struct walk *w, const struct ktask_symbols *sym, size_t ncpus)
{
	struct ktask_list *tl = w->tl;
	const struct kernel_layout *l = w->l;
	if (!(tl->cpus = calloc(ncpus ? ncpus : 1, sizeof(*tl->cpus))))
		return &ck_enomem;
	tl->ncpus = ncpus;
	for (size_t c = 0; c < ncpus; c++) {
		struct kcpu *k = &tl->cpus[c];
		uint64_t off = 0;
		struct ck_error *err = ck_mem_read_u64(w->mem, sym->per_cpu_offset + 8 * c, &off);
		if (!err) {
			k->rq = sym->runqueues + off;
			if (!(err = ck_mem_read_u64(w->mem, k->rq + l->rq_curr, &k->curr)) &&
			    !(err = ck_mem_read_u64(w->mem, k->rq + l->rq_idle, &k->idle)))
				err = ck_mem_read_u64(w->mem, k->rq + l->rq_clock, &k->clock_ns);
		}
		if ((err = soften(tl, err, "reading the run queue of a CPU")))
			return err;
	}
	return NULL;
}

struct ck_error *ktasks_read(const struct ck_memory *mem, const struct kernel_layout *l,
			     const struct ktask_symbols *sym, size_t ncpus, struct ktask_list *ret)
{
	struct ktask_list tl = { 0 };
	struct walk w = { mem, l, &tl, { 0 }, NULL };
	struct ck_error *err = NULL;
	if (!l->task_size || l->task_size > MAX_TASK_STRUCT)
		return ck_error_create(CK_ERR_INPUT, "struct task_struct of %llu bytes", (unsigned long long)l->task_size);
	if (!(w.buf = malloc(l->task_size)))
		return &ck_enomem;
	if ((err = read_cpus(&w, sym, ncpus)))
		goto out;
	/* The idle tasks first (pid 0, one per CPU), as ps and crash list them. */
	for (size_t c = 0; c < tl.ncpus; c++) {
		bool added;
		uint64_t idle = tl.cpus[c].idle ? tl.cpus[c].idle : (c == 0 ? sym->init_task : 0);
		if (idle && (err = add_task(&w, idle, true, &added)))
			goto out;
	}
	if (!tl.ncpus) {
		bool added;
		if ((err = add_task(&w, sym->init_task, true, &added)))
			goto out;
	}
	if ((err = walk_groups(&w, sym->init_task)))
		goto out;
	/* Which task runs on which CPU, and how long ago the others ran. */
	for (size_t i = 0; i < tl.n; i++) {
		struct ktask *t = &tl.tasks[i];
		for (size_t c = 0; c < tl.ncpus; c++)
			if (tl.cpus[c].curr == t->addr) {
				t->on_cpu = true;
				t->cpu = (int)c;
			}
		if (t->on_cpu)
			t->since_ran_ns = 0;
		else if (t->cpu >= 0 && (size_t)t->cpu < tl.ncpus && t->last_arrival_ns &&
			 tl.cpus[t->cpu].clock_ns >= t->last_arrival_ns)
			t->since_ran_ns = (int64_t)(tl.cpus[t->cpu].clock_ns - t->last_arrival_ns);
	}
out:
	free(w.buf);
	free(w.seen.slot);
	if (err) {
		ktasks_free(&tl);
		return err;
	}
	*ret = tl;
	return NULL;
}

void ktasks_free(struct ktask_list *tl)
{
	free(tl->tasks);
	free(tl->cpus);
	strlist_free(&tl->warnings);
	memset(tl, 0, sizeof(*tl));
}
