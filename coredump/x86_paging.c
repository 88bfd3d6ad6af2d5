/* x86_paging.c - x86-64 4/5-level page-table walker over a physical-read callback. */
#include "x86_paging.h"

#include <inttypes.h>
#include <string.h>

enum {
	PTE_PRESENT = 1 << 0,
	PTE_PS = 1 << 7,	/* large page at PDPT (1 GiB) and PD (2 MiB) level */
	PT_ENTRIES = 512,
};

/* Physical-address bits of an entry (bits 12..51); NX and software bits are dropped. */
static const uint64_t PTE_ADDR_MASK = 0x000ffffffffff000ULL;

static struct ck_error *machine_reader(void *arg, uint64_t pa, void *buf, size_t len)
{
	const struct machine *m = arg;
	return machine_read_phys(m, pa, buf, len);
}

static struct ck_error *cached_reader(void *arg, uint64_t pa, void *buf, size_t len)
{
	struct x86_table_cache *c = arg;
	uint64_t page = pa & ~(uint64_t)(X86_PAGE_4K - 1);
	if (pa - page + len > X86_PAGE_4K)
		return machine_read_phys(c->m, pa, buf, len);
	for (unsigned i = 0; i < X86_TABLE_CACHE_SLOTS; i++)
		if (c->tag[i] == page + 1) {
			memcpy(buf, c->page[i] + (pa - page), len);
			return NULL;
		}
	unsigned v = c->next++ % X86_TABLE_CACHE_SLOTS;
	struct ck_error *err = machine_read_phys(c->m, page, c->page[v], X86_PAGE_4K);
	if (err) {
		/* A table page that is only partly in memory: read just the entry. */
		c->tag[v] = 0;
		ck_error_destroy(err);
		return machine_read_phys(c->m, pa, buf, len);
	}
	c->tag[v] = page + 1;
	memcpy(buf, c->page[v] + (pa - page), len);
	return NULL;
}

void x86_pager_init_cached(struct x86_pager *p, struct x86_table_cache *cache, const struct machine *m,
			   uint64_t cr3, int levels)
{
	x86_pager_init_machine(p, m, cr3, levels);
	memset(cache->tag, 0, sizeof(cache->tag));
	cache->next = 0;
	cache->m = m;
	p->read = cached_reader;
	p->arg = cache;
}

void x86_pager_init_machine(struct x86_pager *p, const struct machine *m, uint64_t cr3, int levels)
{
	p->read = machine_reader;
	p->arg = (void *)m;	/* only ever read through machine_reader's const pointer */
	p->root = cr3 & PTE_ADDR_MASK;
	p->levels = levels == 5 ? 5 : 4;
	p->ignore_mask = 0;
}

static int top_shift(int levels)
{
	return levels == 5 ? 48 : 39;
}

static const char *entry_name(int shift)
{
	switch (shift) {
	case 48: return "PML5E";
	case 39: return "PML4E";
	case 30: return "PDPTE";
	case 21: return "PDE";
	default: return "PTE";
	}
}

int x86_va_canonical(uint64_t va, int levels)
{
	int bits = levels == 5 ? 57 : 48;
	uint64_t top = va >> (bits - 1);	/* the sign bit and everything above it */
	return top == 0 || top == (UINT64_MAX >> (bits - 1));
}

static uint64_t sign_extend(uint64_t va, int levels)
{
	int unused = levels == 5 ? 7 : 16;
	return (uint64_t)((int64_t)(va << unused) >> unused);
}

static struct ck_error *read_entry(const struct x86_pager *p, uint64_t table, unsigned idx,
				   int shift, uint64_t va, uint64_t *e_ret)
{
	uint8_t raw[8];
	uint64_t at = table + (uint64_t)idx * 8;
	struct ck_error *err = p->read(p->arg, at, raw, sizeof(raw));
	if (err)
		return ck_error_prefix(err, "page-table walk for 0x%" PRIx64 ": reading %s %u at 0x%" PRIx64,
				       va, entry_name(shift), idx, at);
	uint64_t e = 0;
	for (int i = 7; i >= 0; i--)
		e = e << 8 | raw[i];
	*e_ret = e;
	return NULL;
}

struct ck_error *x86_translate(const struct x86_pager *p, uint64_t va, struct x86_xlat *ret)
{
	if (!x86_va_canonical(va, p->levels))
		return ck_error_create(CK_ERR_FAULT, "page-table walk for 0x%" PRIx64
				       ": not a canonical %d-level address", va, p->levels);
	uint64_t table = p->root & PTE_ADDR_MASK;
	for (int shift = top_shift(p->levels); shift >= 12; shift -= 9) {
		unsigned idx = (unsigned)(va >> shift) & (PT_ENTRIES - 1);
		uint64_t e = 0;
		struct ck_error *err = read_entry(p, table, idx, shift, va, &e);
		if (err)
			return err;
		if (!(e & PTE_PRESENT))
			return ck_error_create(CK_ERR_FAULT, "page-table walk for 0x%" PRIx64
					       ": %s %u at 0x%" PRIx64 " is not present (0x%" PRIx64 ")",
					       va, entry_name(shift), idx, table + (uint64_t)idx * 8, e);
		uint64_t addr = e & ~p->ignore_mask & PTE_ADDR_MASK;
		if (shift == 12 || ((shift == 30 || shift == 21) && (e & PTE_PS))) {
			uint64_t size = 1ULL << shift;
			*ret = (struct x86_xlat){ .pa = (addr & ~(size - 1)) | (va & (size - 1)),
						  .page_size = size };
			return NULL;
		}
		if (e & PTE_PS)
			return ck_error_create(CK_ERR_FAULT, "page-table walk for 0x%" PRIx64
					       ": %s %u at 0x%" PRIx64 " has the reserved PS bit set (0x%" PRIx64 ")",
					       va, entry_name(shift), idx, table + (uint64_t)idx * 8, e);
		table = addr;
	}
	return ck_error_create(CK_ERR_FAULT, "page-table walk for 0x%" PRIx64 ": no leaf", va);
}

struct find_ctx {
	const struct x86_pager *p;
	uint64_t lo, hi, pa_want, va;
};

/* Visit table (entries of span 1 << shift starting at va_base) in address order. */
static struct ck_error *find_in_table(struct find_ctx *c, uint64_t table, int shift, uint64_t va_base)
{
	uint8_t raw[PT_ENTRIES * 8];
	struct ck_error *err = c->p->read(c->p->arg, table, raw, sizeof(raw));
	if (err)
		return ck_error_prefix(err, "reading %s table at 0x%" PRIx64, entry_name(shift), table);
	uint64_t span = 1ULL << shift;
	for (unsigned idx = 0; idx < PT_ENTRIES && !c->va; idx++) {
		uint64_t va = sign_extend(va_base + idx * span, c->p->levels);
		if (va + (span - 1) < c->lo || va >= c->hi)
			continue;
		uint64_t e = 0;
		for (int i = 7; i >= 0; i--)
			e = e << 8 | raw[idx * 8 + (unsigned)i];
		if (!(e & PTE_PRESENT))
			continue;
		uint64_t addr = e & ~c->p->ignore_mask & PTE_ADDR_MASK;
		if (shift > 30) {
			if (!(e & PTE_PS) && (err = find_in_table(c, addr, shift - 9, va)))
				return err;
			continue;
		}
		/* A 1 GiB granule: a 1 GiB page, or a table whose first page we translate. */
		if (va < c->lo)
			continue;
		uint64_t pa;
		if (e & PTE_PS) {
			pa = addr & ~(span - 1);
		} else {
			struct x86_xlat x;
			err = x86_translate(c->p, va, &x);
			if (err && err->kind == CK_ERR_FAULT) {
				ck_error_destroy(err);
				continue;
			}
			if (err)
				return err;
			pa = x.pa;
		}
		if (pa == c->pa_want)
			c->va = va;
	}
	return NULL;
}

struct ck_error *x86_find_lowest_mapping(const struct x86_pager *p, uint64_t lo, uint64_t hi,
					 uint64_t pa_want, uint64_t *va_ret)
{
	struct find_ctx c = { p, lo, hi, pa_want, 0 };
	struct ck_error *err = find_in_table(&c, p->root & PTE_ADDR_MASK, top_shift(p->levels), 0);
	if (err)
		return err;
	*va_ret = c.va;
	return NULL;
}
