/*
 * test_analyzer_locks.c - the locks and signature analyzers against a fake
 * target: a second implementation of the target ops table (synthetic memory,
 * threads and registers) dropped in without touching the analyzers.  Cases:
 * ABBA, 3-way cycle, self-deadlock, two independent cycles, a chain into a
 * cycle, rwlock writer (candidate offsets), join edge closing a cycle, a
 * condvar wait, and waits recognised without any symbols.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "report.h"
#include "target.h"
#include "unit.h"

enum { MEM_BASE = 0x10000, MEM_SIZE = 0x1000, MAXT = 16 };

struct fake {
	struct target base;
	unsigned char mem[MEM_SIZE];
	struct target_thread th[MAXT];
	size_t n;
};

static struct ck_error *f_read(struct target *t, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = (struct fake *)t;
	if (addr < MEM_BASE || addr - MEM_BASE + len > MEM_SIZE)
		return ck_error_create(CK_ERR_FAULT, "fake: 0x%llx not mapped", (unsigned long long)addr);
	memcpy(buf, f->mem + (addr - MEM_BASE), len);
	return NULL;
}
static size_t f_nthreads(struct target *t) { return ((struct fake *)t)->n; }
static const struct target_thread *f_thread(struct target *t, size_t i) { return &((struct fake *)t)->th[i]; }
static void f_destroy(struct target *t) { (void)t; }

static const struct target_ops fake_ops = {
	.name = "fake", .kind = TARGET_KERNEL_IMAGE, .read = f_read, .nthreads = f_nthreads,
	.thread = f_thread, .destroy = f_destroy,
};

static void put32(struct fake *f, uint64_t addr, int32_t v)
{
	memcpy(f->mem + (addr - MEM_BASE), &v, 4);
}

/* A thread; if fn != NULL it sleeps in futex(addr, op) under function fn. */
static void add(struct fake *f, struct report *r, int64_t tid, const char *fn, uint64_t addr, int op, int64_t expect)
{
	struct target_thread *t = &f->th[f->n++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->syscall_nr = fn || addr ? 202 : -1;
	t->regs.gpr[X86_RDI] = addr;
	t->regs.gpr[X86_RSI] = (uint64_t)op | 128;
	t->regs.gpr[X86_RDX] = (uint64_t)expect;
	r->threads = realloc(r->threads, (r->nthreads + 1) * sizeof(*r->threads));
	struct rpt_thread *rt = &r->threads[r->nthreads++];
	memset(rt, 0, sizeof(*rt));
	rt->tid = tid;
	rt->group = -1;
	rt->frames = calloc(2, sizeof(*rt->frames));
	rt->frames[0].function = strdup(fn ? fn : "__libc_pause");
	rt->frames[0].module = strdup("libc.so.6");
	rt->frames[1].function = strdup("worker");
	rt->frames[1].module = strdup("prog");
	rt->frames[1].file = strdup("prog.c");
	rt->frames[1].line = 10 + (int)tid % 7;
	rt->nframes = 2;
}

static void setup(struct fake *f, struct report *r)
{
	memset(f, 0, sizeof(*f));
	f->base.ops = &fake_ops;
	f->base.path = "fake";
	report_init(r);
}

static struct ck_error *run(struct fake *f, struct report *r)
{
	struct ck_error *err = analyzer_locks.run(&f->base, NULL, r);
	if (!err)
		err = analyzer_signature.run(&f->base, NULL, r);
	return err;
}

static bool cycle_is(const struct report *r, size_t c, const int64_t *tids, size_t n)
{
	if (c >= r->ncycles || r->cycles[c].n != n)
		return false;
	for (size_t k = 0; k < n; k++)
		if (r->threads[r->waits[r->cycles[c].waits[k]].thread].tid != tids[k])
			return false;
	return true;
}

static size_t count_findings(const struct report *r, const char *kind)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nfindings; i++)
		n += strcmp(r->findings[i].kind, kind) == 0;
	return n;
}

enum { M1 = MEM_BASE + 0x100, M2 = MEM_BASE + 0x140, M3 = MEM_BASE + 0x180, RW = MEM_BASE + 0x200,
       TIDW = MEM_BASE + 0x300, CV = MEM_BASE + 0x400 };

static void test_abba(struct unit *u)
{
	struct fake f;
	struct report r;
	UNIT_BEGIN(u, "locks abba");
	setup(&f, &r);
	put32(&f, M1, 2); put32(&f, M1 + 8, 101);
	put32(&f, M2, 2); put32(&f, M2 + 8, 102);
	add(&f, &r, 101, "pthread_mutex_lock@@GLIBC_2.2.5", M2, 0, 2);
	add(&f, &r, 102, "___pthread_mutex_lock", M1, 0, 2);
	add(&f, &r, 103, NULL, 0, 0, 0);
	CHECK(u, run(&f, &r) == NULL);
	int64_t want[] = { 101, 102 };
	CHECK(u, r.ncycles == 1 && cycle_is(&r, 0, want, 2));
	CHECK(u, r.nwaits == 2 && r.waits[0].object == M2 && r.waits[0].owner_tid == 102);
	CHECK(u, r.waits[0].kind == LOCK_MUTEX && r.waits[0].in_cycle);
	CHECK(u, count_findings(&r, "deadlock") == 1 && count_findings(&r, "blocked") == 0);
	CHECK(u, r.threads[0].state && strstr(r.threads[0].state, "DEADLOCK"));
	CHECK(u, r.waits[0].frame && strstr(r.waits[0].frame, "worker (prog.c:"));
	CHECK(u, r.signature.present && strcmp(r.signature.kind, "deadlock") == 0 && strlen(r.signature.hash) == 16);
	/* same stacks in another order hash the same */
	char *h1 = strdup(r.signature.hash);
	report_deinit(&r);
	setup(&f, &r);
	put32(&f, M1, 2); put32(&f, M1 + 8, 101);
	put32(&f, M2, 2); put32(&f, M2 + 8, 102);
	add(&f, &r, 102, "___pthread_mutex_lock", M1, 0, 2);
	add(&f, &r, 101, "pthread_mutex_lock@@GLIBC_2.2.5", M2, 0, 2);
	CHECK(u, run(&f, &r) == NULL);
	CHECK(u, r.signature.present && strcmp(r.signature.hash, h1) == 0);
	free(h1);
	report_deinit(&r);
	UNIT_END(u);
}

static void test_three_and_chain(struct unit *u)
{
	struct fake f;
	struct report r;
	UNIT_BEGIN(u, "locks 3-cycle with a waiter chained into it");
	setup(&f, &r);
	put32(&f, M1, 2); put32(&f, M2, 2); put32(&f, M3, 2);	/* locked, contended */
	put32(&f, M1 + 8, 11); put32(&f, M2 + 8, 12); put32(&f, M3 + 8, 13);
	add(&f, &r, 14, "pthread_mutex_lock", M1, 0, 2);	/* chain: 14 -> 11 */
	add(&f, &r, 13, "pthread_mutex_lock", M1, 0, 2);
	add(&f, &r, 11, "pthread_mutex_lock", M2, 0, 2);
	add(&f, &r, 12, "pthread_mutex_lock", M3, 0, 2);
	CHECK(u, run(&f, &r) == NULL);
	int64_t want[] = { 13, 11, 12 };	/* starts at the lowest thread index in the cycle */
	CHECK(u, r.ncycles == 1 && cycle_is(&r, 0, want, 3));
	CHECK(u, !r.waits[0].in_cycle && r.waits[0].owner_tid == 11);
	CHECK(u, r.threads[0].state && strstr(r.threads[0].state, "held by thread 11 (which is itself blocked"));
	report_deinit(&r);
	UNIT_END(u);
}

static void test_self_and_two_cycles(struct unit *u)
{
	struct fake f;
	struct report r;
	UNIT_BEGIN(u, "locks self-deadlock and two independent cycles");
	setup(&f, &r);
	put32(&f, M1, 2); put32(&f, M2, 2); put32(&f, M3, 2);
	put32(&f, M1 + 8, 21);				/* 21 re-locks its own mutex */
	put32(&f, M2 + 8, 22); put32(&f, M3 + 8, 23);	/* 22 <-> 23 */
	add(&f, &r, 21, "pthread_mutex_lock", M1, 0, 2);
	add(&f, &r, 22, "pthread_mutex_lock", M3, 0, 2);
	add(&f, &r, 23, "pthread_mutex_lock", M2, 0, 2);
	CHECK(u, run(&f, &r) == NULL);
	int64_t a[] = { 21 }, b[] = { 22, 23 };
	CHECK(u, r.ncycles == 2 && cycle_is(&r, 0, a, 1) && cycle_is(&r, 1, b, 2));
	CHECK(u, count_findings(&r, "deadlock") == 2);
	report_deinit(&r);
	UNIT_END(u);
}

static void test_rwlock_join_cond(struct unit *u)
{
	struct fake f;
	struct report r;
	UNIT_BEGIN(u, "locks rwlock writer, join cycle, condvar");
	setup(&f, &r);
	put32(&f, RW + 24, 31);			/* __cur_writer */
	put32(&f, TIDW, 34);			/* pd->tid of thread 34 */
	put32(&f, M1, 2); put32(&f, M1 + 8, 33);
	add(&f, &r, 31, NULL, 0, 0, 0);						/* writer, sleeping */
	add(&f, &r, 32, "__pthread_rwlock_rdlock_full64", RW + 8, 9, 3);	/* reader on __wrphase_futex */
	add(&f, &r, 33, "__pthread_clockjoin_ex", TIDW, 0, 34);			/* joins 34 */
	add(&f, &r, 34, "pthread_mutex_lock", M1, 0, 2);			/* needs 33's mutex */
	add(&f, &r, 35, "__pthread_cond_wait", CV + 8, 9, 0);
	CHECK(u, run(&f, &r) == NULL);
	CHECK(u, r.nwaits == 4);
	CHECK(u, r.waits[0].kind == LOCK_RWLOCK && r.waits[0].object == RW && r.waits[0].owner_tid == 31);
	CHECK(u, r.waits[1].kind == LOCK_JOIN && r.waits[1].owner_tid == 34 && r.waits[1].in_cycle);
	int64_t want[] = { 33, 34 };
	CHECK(u, r.ncycles == 1 && cycle_is(&r, 0, want, 2));
	CHECK(u, r.waits[3].kind == LOCK_CONDVAR && r.waits[3].owner < 0 && !r.waits[3].in_cycle);
	CHECK(u, count_findings(&r, "blocked") == 1);
	CHECK(u, r.threads[1].state && strstr(r.threads[1].state, "rwlock") && strstr(r.threads[1].state, "thread 31"));
	report_deinit(&r);
	UNIT_END(u);
}

static void test_no_symbols(struct unit *u)
{
	struct fake f;
	struct report r;
	UNIT_BEGIN(u, "locks recognised from memory without symbols");
	setup(&f, &r);
	put32(&f, M1, 2); put32(&f, M1 + 8, 42);
	put32(&f, TIDW, 41);
	add(&f, &r, 41, "??", M1, 0, 2);
	add(&f, &r, 42, "??", TIDW, 0, 41);
	free(r.threads[0].frames[0].function); r.threads[0].frames[0].function = NULL;
	free(r.threads[1].frames[0].function); r.threads[1].frames[0].function = NULL;
	CHECK(u, run(&f, &r) == NULL);
	CHECK(u, r.nwaits == 2 && r.waits[0].kind == LOCK_MUTEX && r.waits[1].kind == LOCK_JOIN);
	CHECK(u, r.ncycles == 1);
	report_deinit(&r);
	UNIT_END(u);
}

static void test_not_a_mutex(struct unit *u)
{
	struct fake f;
	struct report r;
	UNIT_BEGIN(u, "locks futex word that is not a mutex");
	setup(&f, &r);
	put32(&f, M1, 0); put32(&f, M1 + 8, 123456);	/* a private word with garbage after it */
	add(&f, &r, 61, "__pthread_mutex_lock_full", M1, 0, 0);
	CHECK(u, run(&f, &r) == NULL);
	CHECK(u, r.nwaits == 1 && r.waits[0].kind == LOCK_FUTEX && r.waits[0].owner < 0);
	CHECK(u, r.threads[0].state && !strstr(r.threads[0].state, "123456"));
	report_deinit(&r);
	UNIT_END(u);
}

static void test_unreadable(struct unit *u)
{
	struct fake f;
	struct report r;
	UNIT_BEGIN(u, "locks futex address outside memory");
	setup(&f, &r);
	add(&f, &r, 51, "pthread_mutex_lock", 0xdead0000, 0, 2);
	CHECK(u, run(&f, &r) == NULL);
	CHECK(u, r.nwaits == 1 && r.waits[0].owner < 0 && r.ncycles == 0);
	report_deinit(&r);
	UNIT_END(u);
}

int main(void)
{
	struct unit u = { 0 };
	test_abba(&u);
	test_three_and_chain(&u);
	test_self_and_two_cycles(&u);
	test_rwlock_join_cond(&u);
	test_no_symbols(&u);
	test_not_a_mutex(&u);
	test_unreadable(&u);
	return UNIT_EXIT(&u);
}
