/*
 * linux_kernel.h - find a Linux kernel in a machine's physical memory, with
 * no vmlinux: the VMCOREINFO note the kernel keeps in RAM (page-aligned
 * "OSRELEASE=" scan, validated), the banner, and the numbers a kdump-style
 * vmcore needs (phys_base, KASLR offset, page_offset_base), derived from
 * VMCOREINFO and the vCPUs' page tables.
 */
#ifndef COREKIT_LINUX_KERNEL_H
#define COREKIT_LINUX_KERNEL_H

#include <stdint.h>

#include "machine.h"

struct linux_kernel {
	int found;			/* 0: no Linux kernel detected */
	char osrelease[65];
	uint64_t vmcoreinfo_pa;		/* physical address of the VMCOREINFO text */
	uint64_t kernel_offset;		/* KERNELOFFSET (KASLR slide) */
	int64_t phys_base;		/* NUMBER(phys_base); negative under KASLR */
	uint64_t page_offset_base;	/* start of the direct map, 0 if not derived */
	uint64_t swapper_pg_dir;	/* SYMBOL(swapper_pg_dir) */
	int pgtable_l5;			/* NUMBER(pgtable_l5_enabled) */
	int cpu;			/* vCPU whose CR3 was used, -1 if none */
	/* Physical extent of the kernel image mapping (_text.._end, 2 MiB granular), 0 if unknown. */
	uint64_t image_pa, image_len;
};

/*
 * Scan m's memory; on success *k is filled (k->found may be 0).  When a kernel
 * is found, m->meta.vmcoreinfo / vmcoreinfo_len / vmcoreinfo_pa (without any
 * CRASHTIME line) and m->meta.kernel_banner are set too.
 * Errors are only I/O errors; "no kernel" is not an error.
 */
struct ck_error *linux_kernel_detect(struct machine *m, struct linux_kernel *k);

/*
 * The same detection fed piece by piece, so a writer that already streams
 * guest RAM finds the kernel in the same pass (one read of RAM, not two):
 * create, feed every chunk of memory in address order (pa: guest-physical
 * address of buf[0]; chunks may skip memory known to be zeros), then finish,
 * which fills *k and m->meta as linux_kernel_detect() does.  Feed and finish
 * may read m's memory themselves (page tables, candidate text).
 */
struct linux_kernel_scan;
struct ck_error *linux_kernel_scan_create(struct machine *m, struct linux_kernel_scan **ret);
struct ck_error *linux_kernel_scan_feed(struct linux_kernel_scan *s, uint64_t pa, const void *buf, size_t n);
struct ck_error *linux_kernel_scan_finish(struct linux_kernel_scan *s, struct linux_kernel *k);
void linux_kernel_scan_destroy(struct linux_kernel_scan *s);	/* NULL is fine */

#endif
