/* test_paging.c - the x86-64 page-table walker on synthetic page tables. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "x86_paging.h"

/* A small physical memory: MEM bytes at PA 0; reads outside are an INPUT error. */
enum { MEM = 64 << 20 };

struct phys {
	uint8_t *b;
	int reads;
};

static struct ck_error *phys_read(void *arg, uint64_t pa, void *buf, size_t len)
{
	struct phys *p = arg;
	p->reads++;
	if (pa >= MEM || len > MEM - pa)
		return ck_error_create(CK_ERR_FAULT, "guest-physical address 0x%" PRIx64 " is not in memory", pa);
	memcpy(buf, p->b + pa, len);
	return NULL;
}

static void set_entry(struct phys *p, uint64_t table, unsigned idx, uint64_t val)
{
	memcpy(p->b + table + idx * 8, &val, 8);
}

static unsigned ix(uint64_t va, int shift)
{
	return (unsigned)(va >> shift) & 511;
}

/* Map va -> pa with a page of size (4K, 2M, 1G) in a 4- or 5-level tree rooted at root. */
static void map(struct phys *p, uint64_t root, int levels, uint64_t va, uint64_t pa, uint64_t size,
		uint64_t *next_table, uint64_t extra)
{
	uint64_t table = root;
	int leaf = size == X86_PAGE_1G ? 30 : size == X86_PAGE_2M ? 21 : 12;
	for (int shift = levels == 5 ? 48 : 39; shift > leaf; shift -= 9) {
		uint64_t e;
		memcpy(&e, p->b + table + ix(va, shift) * 8, 8);
		if (!(e & 1)) {
			e = *next_table | 0x63;
			*next_table += 4096;
			set_entry(p, table, ix(va, shift), e);
		}
		table = e & 0x000ffffffffff000ULL;
	}
	set_entry(p, table, ix(va, leaf), pa | 0x63 | (leaf > 12 ? 0x80 : 0) | extra);
}

static int has(const struct ck_error *e, const char *s)
{
	return e && e->msg && strstr(e->msg, s);
}

int main(void)
{
	struct unit u = { 0 };
	struct phys ph = { calloc(1, MEM), 0 };
	if (!ph.b)
		return 1;
	uint64_t next = 0x100000;	/* page-table pages from 1 MiB */
	const uint64_t root4 = 0x10000, root5 = 0x20000;
	struct x86_pager p4 = { phys_read, &ph, root4, 4, 0 };
	struct x86_pager p5 = { phys_read, &ph, root5, 5, 0 };
	struct x86_xlat x;
	struct ck_error *err;

	const uint64_t va4k = 0xffffffff81234000ULL, va2m = 0xffffffff81400000ULL;
	const uint64_t va1g = 0xffff888000000000ULL;
	map(&ph, root4, 4, va4k, 0x2345000, X86_PAGE_4K, &next, 0);
	map(&ph, root4, 4, va2m, 0x2600000, X86_PAGE_2M, &next, 1ULL << 63 /* NX */);
	map(&ph, root4, 4, va1g, 0x0, X86_PAGE_1G, &next, 0);
	map(&ph, root4, 4, va1g + X86_PAGE_1G, 0x40000000, X86_PAGE_1G, &next, 0);

	UNIT_BEGIN(&u, "paging_4k");
	err = x86_translate(&p4, va4k + 0x123, &x);
	CHECK(&u, !err && x.pa == 0x2345123 && x.page_size == X86_PAGE_4K);
	ck_error_destroy(err);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "paging_2m_nx_dropped");
	err = x86_translate(&p4, va2m + 0x1abcde, &x);
	CHECK(&u, !err && x.pa == 0x27abcde && x.page_size == X86_PAGE_2M);
	ck_error_destroy(err);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "paging_1g");
	err = x86_translate(&p4, va1g + 0x3456789, &x);
	CHECK(&u, !err && x.pa == 0x3456789 && x.page_size == X86_PAGE_1G);
	ck_error_destroy(err);
	err = x86_translate(&p4, va1g + X86_PAGE_1G + 5, &x);
	CHECK(&u, !err && x.pa == 0x40000005);
	ck_error_destroy(err);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "paging_not_present_names_address");
	err = x86_translate(&p4, 0xffffffff90000000ULL, &x);
	CHECK(&u, err && err->kind == CK_ERR_FAULT);
	CHECK(&u, has(err, "0xffffffff90000000") && has(err, "not present") && has(err, "PDE"));
	ck_error_destroy(err);
	err = x86_translate(&p4, 0x00007f0000000000ULL, &x);
	CHECK(&u, has(err, "PML4E") && has(err, "not present"));
	ck_error_destroy(err);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "paging_noncanonical");
	err = x86_translate(&p4, 0x0000800000000000ULL, &x);
	CHECK(&u, err && err->kind == CK_ERR_FAULT && has(err, "canonical"));
	ck_error_destroy(err);
	CHECK(&u, x86_va_canonical(0xffff800000000000ULL, 4));
	CHECK(&u, !x86_va_canonical(0xff00000000000000ULL, 4));
	CHECK(&u, x86_va_canonical(0xff00000000000000ULL, 5));
	CHECK(&u, !x86_va_canonical(0xfe00000000000000ULL, 5));
	UNIT_END(&u);

	UNIT_BEGIN(&u, "paging_reserved_ps_in_pml4");
	{
		uint64_t saved;
		unsigned i = ix(va1g, 39);
		memcpy(&saved, ph.b + root4 + i * 8, 8);
		set_entry(&ph, root4, i, saved | 0x80);
		err = x86_translate(&p4, va1g, &x);
		CHECK(&u, err && has(err, "reserved PS"));
		ck_error_destroy(err);
		set_entry(&ph, root4, i, saved);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "paging_table_outside_memory");
	{
		uint64_t bad_root = 0x30000;
		set_entry(&ph, bad_root, ix(va4k, 39), 0x7ff0000000ULL | 0x63);
		struct x86_pager pb = { phys_read, &ph, bad_root, 4, 0 };
		err = x86_translate(&pb, va4k, &x);
		CHECK(&u, err && err->kind == CK_ERR_FAULT && has(err, "not in memory") && has(err, "PDPTE"));
		ck_error_destroy(err);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "paging_ignore_mask_sme");
	{
		const uint64_t c_bit = 1ULL << 47, va = 0xffffffff82000000ULL;
		map(&ph, root4, 4, va, 0x3000000 | c_bit, X86_PAGE_2M, &next, 0);
		struct x86_pager ps = p4;
		ps.ignore_mask = c_bit;
		err = x86_translate(&ps, va + 8, &x);
		CHECK(&u, !err && x.pa == 0x3000008);
		ck_error_destroy(err);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "paging_5level");
	{
		const uint64_t va = 0xff11000000201000ULL;	/* a 57-bit kernel address */
		map(&ph, root5, 5, va, 0x1234000, X86_PAGE_4K, &next, 0);
		map(&ph, root5, 5, 0xff11000040000000ULL, 0x40000000, X86_PAGE_1G, &next, 0);
		err = x86_translate(&p5, va + 0x10, &x);
		CHECK(&u, !err && x.pa == 0x1234010);
		ck_error_destroy(err);
		err = x86_translate(&p5, 0xff11000040000010ULL, &x);
		CHECK(&u, !err && x.pa == 0x40000010 && x.page_size == X86_PAGE_1G);
		ck_error_destroy(err);
		err = x86_translate(&p4, va, &x);	/* not canonical with 4 levels */
		CHECK(&u, err && has(err, "canonical"));
		ck_error_destroy(err);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "paging_find_lowest_mapping_of_pa0");
	{
		uint64_t va = 1;
		/* A decoy higher up (vmalloc-like, 4K pages) also maps PA 0. */
		map(&ph, root4, 4, 0xffffc90000000000ULL, 0x0, X86_PAGE_4K, &next, 0);
		err = x86_find_lowest_mapping(&p4, 0xffff800000000000ULL, X86_START_KERNEL_MAP, 0, &va);
		CHECK(&u, !err && va == va1g);
		ck_error_destroy(err);
		err = x86_find_lowest_mapping(&p4, va1g + 1, X86_START_KERNEL_MAP, 0, &va);
		CHECK(&u, !err && va == 0xffffc90000000000ULL);
		ck_error_destroy(err);
		err = x86_find_lowest_mapping(&p4, 0xffff800000000000ULL, X86_START_KERNEL_MAP, 0x12345000, &va);
		CHECK(&u, !err && va == 0);
		ck_error_destroy(err);
		/* 5-level: the 1 GiB page mapped above. */
		err = x86_find_lowest_mapping(&p5, 0xff00000000000000ULL, X86_START_KERNEL_MAP, 0x40000000, &va);
		CHECK(&u, !err && va == 0xff11000040000000ULL);
		ck_error_destroy(err);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "paging_machine_pager_masks_cr3_flags");
	{
		struct machine m;
		machine_init(&m);
		struct x86_pager pm;
		x86_pager_init_machine(&pm, &m, 0x8000000001104fffULL, 4);
		CHECK(&u, pm.root == 0x1104000 && pm.levels == 4);
		x86_pager_init_machine(&pm, &m, 0x1104000, 5);
		CHECK(&u, pm.levels == 5);
		err = x86_translate(&pm, va4k, &x);	/* no memory at all */
		CHECK(&u, err && err->kind == CK_ERR_FAULT && has(err, "not in memory"));
		ck_error_destroy(err);
		machine_deinit(&m);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "paging_cached_pager_agrees");
	{
		/* The same tables as machine memory (a file): the cached pager must
		 * translate exactly as the buffer pager does, with far fewer reads. */
		char path[] = "/tmp/test_paging.XXXXXX";
		int fd = mkstemp(path);
		CHECK(&u, fd >= 0 && write(fd, ph.b, MEM) == MEM);
		close(fd);
		struct machine m;
		machine_init(&m);
		int file = -1;
		CHECK(&u, !machine_add_file(&m, path, &file));
		CHECK(&u, !machine_add_run(&m, 0, MEM, MEM_RUN_FILE, file, 0) && !machine_finish_runs(&m));
		unlink(path);
		struct x86_table_cache *cache = malloc(sizeof(*cache));
		struct x86_pager pc;
		x86_pager_init_cached(&pc, cache, &m, root4, 4);
		const uint64_t vas[] = { va4k + 0x123, va2m + 0x1abcde, va1g + 0x3456789, va1g + X86_PAGE_1G + 5,
					 va4k + X86_PAGE_4K, 0xffffffff81235000ULL };
		for (int round = 0; round < 3; round++)
			for (size_t i = 0; i < sizeof(vas) / sizeof(vas[0]); i++) {
				struct x86_xlat a, b;
				struct ck_error *ea = x86_translate(&p4, vas[i], &a);
				struct ck_error *eb = x86_translate(&pc, vas[i], &b);
				CHECK(&u, !ea == !eb);
				CHECK(&u, ea || (a.pa == b.pa && a.page_size == b.page_size));
				CHECK(&u, !ea || (ea->kind == eb->kind && strcmp(ea->msg, eb->msg) == 0));
				ck_error_destroy(ea);
				ck_error_destroy(eb);
			}
		free(cache);
		machine_deinit(&m);
	}
	UNIT_END(&u);

	free(ph.b);
	return UNIT_EXIT(&u);
}
