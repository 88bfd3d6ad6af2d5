/* kernel_memory.c - kernel virtual reads through the kernel's own page tables. */
#include "kernel_memory.h"

#include <string.h>

void kernel_memory_init_root(struct kernel_memory *km, const struct machine *m, uint64_t root, int levels)
{
	memset(km->tlb_va, 0, sizeof(km->tlb_va));
	km->m = m;
	x86_pager_init_cached(&km->pager, &km->cache, m, root, levels);
}

void kernel_memory_init(struct kernel_memory *km, const struct machine *m, const struct linux_kernel *k)
{
	/* swapper_pg_dir is in the kernel image: PA = VA - __START_KERNEL_map + phys_base. */
	uint64_t root = k->swapper_pg_dir - X86_START_KERNEL_MAP + (uint64_t)k->phys_base;
	kernel_memory_init_root(km, m, root, k->pgtable_l5 ? 5 : 4);
}

struct ck_error *kernel_memory_translate(struct kernel_memory *km, uint64_t va, uint64_t *pa_ret)
{
	uint64_t page = va & ~(uint64_t)(X86_PAGE_4K - 1);
	unsigned slot = (unsigned)(page >> 12) % KERNEL_MEMORY_TLB;
	if (km->tlb_va[slot] == page + 1) {
		*pa_ret = km->tlb_pa[slot] | (va & (X86_PAGE_4K - 1));
		return NULL;
	}
	struct x86_xlat x;
	struct ck_error *err = x86_translate(&km->pager, va, &x);
	if (err)
		return err;
	km->tlb_va[slot] = page + 1;
	km->tlb_pa[slot] = x.pa & ~(uint64_t)(X86_PAGE_4K - 1);
	*pa_ret = x.pa;
	return NULL;
}

struct ck_error *kernel_memory_read(struct kernel_memory *km, uint64_t va, void *buf, size_t len)
{
	uint8_t *out = buf;
	while (len) {
		uint64_t pa;
		struct ck_error *err = kernel_memory_translate(km, va, &pa);
		if (err)
			return err;
		uint64_t left = X86_PAGE_4K - (va & (X86_PAGE_4K - 1));
		size_t n = len < left ? len : (size_t)left;
		if ((err = machine_read_phys(km->m, pa, out, n)))
			return ck_error_prefix(err, "guest virtual address 0x%llx", (unsigned long long)va);
		out += n, va += n, len -= n;
	}
	return NULL;
}

static struct ck_error *reader(void *arg, uint64_t addr, void *buf, size_t len)
{
	return kernel_memory_read(arg, addr, buf, len);
}

struct ck_memory kernel_memory_reader(struct kernel_memory *km)
{
	return (struct ck_memory){ .read = reader, .arg = km };
}
