/*
 * x86_paging.h - x86-64 virtual-to-physical translation by walking a guest's
 * 4-level or 5-level page tables.
 *
 * The walker does no I/O of its own: it reads page-table entries through a
 * callback (x86_pager.read), so it works over a struct machine
 * (x86_pager_init_machine) or over an in-memory image in tests.
 *
 * A translation that hits a non-present entry, a reserved large-page bit or
 * a non-canonical address is a CK_ERR_FAULT error naming the virtual address,
 * the level, the entry and where it was read; errors from the read callback
 * are passed up unchanged (a table in a memory hole is CK_ERR_FAULT, an I/O
 * failure CK_ERR_SYSTEM), so callers probing "is this mapped?" treat
 * CK_ERR_FAULT as "no" and pass anything else up.
 */
#ifndef COREKIT_X86_PAGING_H
#define COREKIT_X86_PAGING_H

#include <stdint.h>

#include "error.h"
#include "machine.h"

/* Read len bytes of guest-physical memory at pa; NULL on success. */
typedef struct ck_error *x86_phys_read_fn(void *arg, uint64_t pa, void *buf, size_t len);

struct x86_pager {
	x86_phys_read_fn *read;
	void *arg;
	uint64_t root;		/* physical address of the top-level table */
	int levels;		/* 4 (PML4) or 5 (PML5, CR4.LA57) */
	uint64_t ignore_mask;	/* entry bits that are not address (e.g. the SME C-bit) */
};

enum {
	X86_PAGE_4K = 1 << 12,
	X86_PAGE_2M = 1 << 21,
	X86_PAGE_1G = 1 << 30,
};

/* Start of the kernel image mapping (__START_KERNEL_map). */
#define X86_START_KERNEL_MAP 0xffffffff80000000ULL

struct x86_xlat {
	uint64_t pa;		/* physical address of va */
	uint64_t page_size;	/* size of the mapping page: 4 KiB, 2 MiB or 1 GiB */
};

/* Pager over m's physical memory; root is a CR3 value (PCID/flag bits are dropped). */
void x86_pager_init_machine(struct x86_pager *p, const struct machine *m, uint64_t cr3, int levels);

/*
 * A few page-table pages kept in memory, for callers that translate many
 * neighbouring addresses (walking the kernel image page by page): their walks
 * share the upper tables, so most entry reads need no I/O.  Caller-owned; one
 * per pager, never shared between threads.
 */
enum { X86_TABLE_CACHE_SLOTS = 8 };
struct x86_table_cache {
	const struct machine *m;
	uint64_t tag[X86_TABLE_CACHE_SLOTS];	/* table page PA + 1; 0 = empty slot */
	unsigned next;				/* round-robin victim */
	uint8_t page[X86_TABLE_CACHE_SLOTS][X86_PAGE_4K];
};

/* Like x86_pager_init_machine, reading table pages through cache (zeroed by this call). */
void x86_pager_init_cached(struct x86_pager *p, struct x86_table_cache *cache, const struct machine *m,
			   uint64_t cr3, int levels);

/* Translate va; on success *ret holds the physical address and page size. */
struct ck_error *x86_translate(const struct x86_pager *p, uint64_t va, struct x86_xlat *ret);

/* Is va canonical for this paging depth (48 or 57 bits)? */
int x86_va_canonical(uint64_t va, int levels);

/*
 * Walk the top-level entries of the kernel half (and their children) down to
 * 1 GiB granules, and report the lowest 1 GiB-aligned virtual address in
 * [lo, hi) that maps physical address pa_want.  *va_ret is 0 if none.
 */
struct ck_error *x86_find_lowest_mapping(const struct x86_pager *p, uint64_t lo, uint64_t hi,
					 uint64_t pa_want, uint64_t *va_ret);

#endif
