/*
 * kernel_memory.h - a Linux guest kernel's virtual address space over a
 * machine's physical memory: the kernel's own page tables (swapper_pg_dir /
 * init_top_pgt, found by linux_kernel_detect()), never a vCPU's CR3 (under
 * KPTI a vCPU in user mode has a CR3 without most of the kernel).
 *
 *   struct kernel_memory km;
 *   kernel_memory_init(&km, m, k);
 *   struct ck_memory mem = kernel_memory_reader(&km);   // memory.h
 *   err = ck_mem_read(&mem, va, buf, len);               // CK_ERR_FAULT if unmapped
 *
 * Keeps a few page-table pages and recent translations in memory (fixed
 * size); one per thread, owned by the caller, no deinit needed.  m and k must
 * outlive it.
 */
#ifndef COREKIT_KERNEL_MEMORY_H
#define COREKIT_KERNEL_MEMORY_H

#include "linux_kernel.h"
#include "machine.h"
#include "memory.h"
#include "x86_paging.h"

enum { KERNEL_MEMORY_TLB = 64 };

struct kernel_memory {
	const struct machine *m;
	struct x86_pager pager;
	struct x86_table_cache cache;
	/* Recent 4 KiB translations: page VA + 1 (0 = empty) -> page PA. */
	uint64_t tlb_va[KERNEL_MEMORY_TLB], tlb_pa[KERNEL_MEMORY_TLB];
};

/* k must describe a found kernel (k->found) with swapper_pg_dir set. */
void kernel_memory_init(struct kernel_memory *km, const struct machine *m, const struct linux_kernel *k);
/* Any other root: a vCPU's CR3 (flag bits dropped) with 4 or 5 levels, when no kernel is known. */
void kernel_memory_init_root(struct kernel_memory *km, const struct machine *m, uint64_t root, int levels);

/* Read kernel virtual memory; CK_ERR_FAULT names the address that failed. */
struct ck_error *kernel_memory_read(struct kernel_memory *km, uint64_t va, void *buf, size_t len);

/* Translate one kernel virtual address. */
struct ck_error *kernel_memory_translate(struct kernel_memory *km, uint64_t va, uint64_t *pa_ret);

/* The ck_memory view of km (arg = km). */
struct ck_memory kernel_memory_reader(struct kernel_memory *km);

#endif
