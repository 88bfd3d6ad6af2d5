/*
 * test_machine_backend.c - MEM_RUN_BACKEND runs of struct machine with a
 * synthetic backend (byte at pa = pa * 7 + 3): machine_read_phys across a
 * file run, a backend run and a zero run; holes and backend faults are
 * CK_ERR_FAULT, backend input errors pass up unchanged; machine_stream_run
 * hands backend bytes to the callback; the machine destroys its backend once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine.h"
#include "unit.h"

struct fake {
	int *destroyed;
	uint64_t bad_pa;	/* reading this byte is CK_ERR_INPUT */
	uint64_t gap_pa;	/* reading this byte is CK_ERR_FAULT (excluded inside a run) */
	size_t reads;
};

static uint8_t val(uint64_t pa)
{
	return (uint8_t)(pa * 7 + 3);
}

static struct ck_error *fake_read(void *arg, uint64_t pa, void *buf, size_t len)
{
	struct fake *f = arg;
	f->reads++;
	for (size_t i = 0; i < len; i++) {
		if (pa + i == f->bad_pa)
			return ck_error_at("fake.kdump", 0x1234, "broken page");
		if (pa + i == f->gap_pa)
			return ck_error_create(CK_ERR_FAULT, "excluded");
		((uint8_t *)buf)[i] = val(pa + i);
	}
	return NULL;
}

static void fake_destroy(void *arg)
{
	struct fake *f = arg;
	(*f->destroyed)++;
	free(f);
}

static const struct machine_backend_ops fake_ops = { "fake", fake_read, fake_destroy };

struct sum {
	uint64_t bytes, mismatches, next;
};

static struct ck_error *sum_chunk(void *arg, uint64_t pa, const uint8_t *buf, size_t n)
{
	struct sum *s = arg;
	s->mismatches += pa != s->next || !buf;
	for (size_t i = 0; buf && i < n; i++)
		s->mismatches += buf[i] != val(pa + i);
	s->bytes += n;
	s->next = pa + n;
	return NULL;
}

int main(void)
{
	struct unit u = { 0 };
	char tmpl[] = "/tmp/test_machine_backend.XXXXXX";
	int tfd = mkstemp(tmpl);
	uint8_t page[4096];
	for (int i = 0; i < 4096; i++)
		page[i] = 0xab;
	int wrote = tfd >= 0 && write(tfd, page, sizeof(page)) == (ssize_t)sizeof(page);
	if (tfd >= 0)
		close(tfd);

	int destroyed = 0, bidx = -1, fidx = -1;
	struct machine m;
	machine_init(&m);
	struct fake *f = calloc(1, sizeof(*f));
	f->destroyed = &destroyed;
	f->bad_pa = 0x30000 + 100;
	f->gap_pa = UINT64_MAX;
	UNIT_BEGIN(&u, "backend_runs_build");
	CHECK(&u, wrote && !machine_add_file(&m, tmpl, &fidx));
	CHECK(&u, !machine_add_backend(&m, &fake_ops, f, &bidx) && bidx == 0);
	CHECK(&u, !machine_add_run(&m, 0x10000, 0x10000, MEM_RUN_BACKEND, bidx, 0));
	CHECK(&u, !machine_add_run(&m, 0xf000, 0x1000, MEM_RUN_FILE, fidx, 0));
	CHECK(&u, !machine_add_run(&m, 0x20000, 0x1000, MEM_RUN_ZERO, -1, 0));
	CHECK(&u, !machine_add_run(&m, 0x30000, 0x1000, MEM_RUN_BACKEND, bidx, 0));
	CHECK(&u, !machine_finish_runs(&m) && m.nruns == 4);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "backend_read_across_kinds");
	static uint8_t buf[0x12000];
	struct ck_error *err = machine_read_phys(&m, 0xf000, buf, sizeof(buf));
	CHECK(&u, !err);
	int ok = 1;
	for (uint64_t pa = 0xf000; pa < 0x21000; pa++) {
		uint8_t want = pa < 0x10000 ? 0xab : pa < 0x20000 ? val(pa) : 0;
		ok &= buf[pa - 0xf000] == want;
	}
	CHECK(&u, ok);
	ck_error_destroy(err);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "backend_errors");
	err = machine_read_phys(&m, 0x21000, buf, 1);		/* hole after the zero run */
	CHECK(&u, err && err->kind == CK_ERR_FAULT);
	ck_error_destroy(err);
	err = machine_read_phys(&m, 0x1f000, buf, 0x3000);	/* backend, zero, then the hole */
	CHECK(&u, err && err->kind == CK_ERR_FAULT);
	ck_error_destroy(err);
	err = machine_read_phys(&m, 0x30000, buf, 0x1000);	/* the backend's broken byte */
	CHECK(&u, err && err->kind == CK_ERR_INPUT && strstr(err->msg, "fake.kdump: offset 0x1234"));
	ck_error_destroy(err);
	f->gap_pa = 0x18000;
	err = machine_read_phys(&m, 0x17ff0, buf, 0x20);
	CHECK(&u, err && err->kind == CK_ERR_FAULT);
	ck_error_destroy(err);
	f->gap_pa = UINT64_MAX;
	UNIT_END(&u);

	UNIT_BEGIN(&u, "backend_stream_run");
	struct sum s = { 0, 0, 0x10000 };
	const struct mem_run *r = machine_find_run(&m, 0x10000);
	CHECK(&u, r && r->kind == MEM_RUN_BACKEND);
	size_t before = f->reads;
	err = r ? machine_stream_run(&m, r, buf, 0x3000, sum_chunk, &s) : NULL;
	CHECK(&u, !err && s.bytes == 0x10000 && s.mismatches == 0 && f->reads - before == 6);
	ck_error_destroy(err);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "backend_bad_index_refused");
	struct machine m2;
	machine_init(&m2);
	CHECK(&u, !machine_add_run(&m2, 0, 0x1000, MEM_RUN_BACKEND, 3, 0));
	err = machine_finish_runs(&m2);
	CHECK(&u, err && err->kind == CK_ERR_INPUT);
	ck_error_destroy(err);
	machine_deinit(&m2);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "backend_destroyed_once");
	machine_deinit(&m);
	CHECK(&u, destroyed == 1);
	UNIT_END(&u);
	unlink(tmpl);
	return UNIT_EXIT(&u);
}
