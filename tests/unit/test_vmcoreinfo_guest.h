/*
 * test_vmcoreinfo_guest.h - a synthetic 64 MiB x86-64 Linux guest for unit
 * tests: page tables (kernel image with 2 MiB pages, direct map with a 1 GiB
 * page), a VMCOREINFO page, a decoy VMCOREINFO from "another kernel", a
 * garbage "OSRELEASE=" page, the banner, two vCPUs.  Header-only so the
 * VMCOREINFO and ELF-core tests share it.
 */
#ifndef TEST_VMCOREINFO_GUEST_H
#define TEST_VMCOREINFO_GUEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine.h"

enum {
	SG_MEM = 64 << 20,
	SG_IMAGE_PA = 0x1000000,	/* kernel image: 8 MiB at 16 MiB */
	SG_IMAGE_LEN = 0x800000,
	SG_SWAPPER_PA = 0x1400000,
	SG_TABLES_PA = 0x1600000,	/* more page-table pages */
	SG_USER_PGD_PA = 0x1700000,	/* a process PGD: CR3 of vCPU 0 */
	SG_BANNER_PA = 0x1200000,
	SG_DMESG_PA = 0x800000,		/* a dmesg copy of the banner, outside the image */
	SG_DECOY_PA = 0x1900000,
	SG_GARBAGE_PA = 0x1a00000,
	SG_VMCI_PA = 0x2100000,
	SG_MEMSEC_PA = 0x2000000,
};

static const uint64_t SG_KOFF = 0x2000000;
static const int64_t SG_PHYS_BASE = -0x2000000;	/* PA = VA - 0xffffffff80000000 + phys_base */
static const uint64_t SG_STEXT = 0xffffffff83000000ULL;
static const uint64_t SG_SWAPPER = 0xffffffff83400000ULL;
static const uint64_t SG_POB = 0xffff9a0000000000ULL;
static const char SG_BANNER[] = "Linux version 6.1.0-test (builder@example) #1 SMP";

struct sg_builder {
	uint8_t *b;
	uint64_t next_table;
};

static void sg_put64(uint8_t *b, uint64_t pa, uint64_t v)
{
	memcpy(b + pa, &v, 8);
}

static uint64_t sg_get64(const uint8_t *b, uint64_t pa)
{
	uint64_t v;
	memcpy(&v, b + pa, 8);
	return v;
}

/* 4-level mapping of one page of size 2M or 1G. */
static void sg_map(struct sg_builder *g, uint64_t root, uint64_t va, uint64_t pa, int leaf_shift)
{
	uint64_t table = root;
	for (int shift = 39; shift > leaf_shift; shift -= 9) {
		uint64_t at = table + ((va >> shift) & 511) * 8, e = sg_get64(g->b, at);
		if (!(e & 1)) {
			e = g->next_table | 0x63;
			g->next_table += 4096;
			sg_put64(g->b, at, e);
		}
		table = e & 0x000ffffffffff000ULL;
	}
	sg_put64(g->b, table + ((va >> leaf_shift) & 511) * 8, pa | 0xe3);
}

static size_t sg_vmcoreinfo(char *out, size_t cap, const char *osrelease, int64_t phys_base,
			    int with_memsec, int crashtime)
{
	int n = snprintf(out, cap,
		"OSRELEASE=%s\nBUILD-ID=0123456789abcdef\nPAGESIZE=4096\n"
		"SYMBOL(init_uts_ns)=ffffffff84000000\nSYMBOL(swapper_pg_dir)=%" PRIx64 "\n"
		"SYMBOL(_stext)=%" PRIx64 "\n%s"
		"NUMBER(phys_base)=%" PRId64 "\nSYMBOL(init_top_pgt)=%" PRIx64 "\n"
		"NUMBER(pgtable_l5_enabled)=0\nKERNELOFFSET=%" PRIx64 "\nNUMBER(KERNEL_IMAGE_SIZE)=1073741824\n%s",
		osrelease, SG_SWAPPER, SG_STEXT,
		with_memsec ? "SYMBOL(mem_section)=ffff9a0002000000\n" : "",
		phys_base, SG_SWAPPER, SG_KOFF, crashtime ? "CRASHTIME=1700000000\n" : "");
	return (size_t)n;
}

static int sg_open(struct machine *m, const char *path);

/* Build the guest into a temporary file and a machine over it. */
static int sg_build(struct machine *m, char *path, int with_memsec)
{
	struct sg_builder g = { calloc(1, SG_MEM), SG_TABLES_PA };
	if (!g.b)
		return -1;
	/* Kernel image: 4 x 2 MiB at SG_STEXT -> SG_IMAGE_PA. */
	for (uint64_t o = 0; o < SG_IMAGE_LEN; o += 0x200000)
		sg_map(&g, SG_SWAPPER_PA, SG_STEXT + o, SG_IMAGE_PA + o, 21);
	/* Direct map: a 1 GiB page at page_offset_base -> PA 0. */
	sg_map(&g, SG_SWAPPER_PA, SG_POB, 0, 30);
	/* A process PGD sharing the kernel half (entries 256..511). */
	memcpy(g.b + SG_USER_PGD_PA + 2048, g.b + SG_SWAPPER_PA + 2048, 2048);
	char text[4096];
	sg_vmcoreinfo(text, sizeof(text), "6.1.0-decoy", SG_PHYS_BASE + 0x400000, with_memsec, 0);
	memcpy(g.b + SG_DECOY_PA, text, strlen(text));
	memcpy(g.b + SG_GARBAGE_PA, "OSRELEASE=\x01\x02garbage", 20);
	sg_vmcoreinfo(text, sizeof(text), "6.1.0-test", SG_PHYS_BASE, with_memsec, 1);
	memcpy(g.b + SG_VMCI_PA, text, strlen(text));
	memcpy(g.b + SG_BANNER_PA, SG_BANNER, sizeof(SG_BANNER) - 1);
	g.b[SG_BANNER_PA + sizeof(SG_BANNER) - 1] = '\n';
	memcpy(g.b + SG_DMESG_PA, "Linux version 6.1.0-test (from dmesg)", 37);
	memset(g.b + 0x3000000, 0xa5, 3 * 4096);	/* some non-zero "data" pages */

	strcpy(path, "/tmp/corekit-sg-XXXXXX");
	int fd = mkstemp(path);
	int ok = fd >= 0;
	for (uint64_t pa = 0; ok && pa < SG_MEM; pa += 4096) {
		static const uint8_t zero[4096];
		if (memcmp(g.b + pa, zero, 4096) != 0)
			ok = pwrite(fd, g.b + pa, 4096, (off_t)pa) == 4096;
	}
	ok = ok && ftruncate(fd, SG_MEM) == 0;
	if (fd >= 0)
		close(fd);
	free(g.b);
	if (!ok)
		return -1;
	return sg_open(m, path);
}

/* The machine over an already-built guest file (registers included). */
static int sg_open(struct machine *m, const char *path)
{
	machine_init(m);
	int file;
	struct ck_error *err = machine_add_file(m, path, &file);
	if (!err)
		err = machine_add_run(m, 0, SG_MEM, MEM_RUN_FILE, file, 0);
	if (!err)
		err = machine_finish_runs(m);
	if (!err)
		err = machine_set_ncpus(m, 2);
	if (err) {
		ck_error_destroy(err);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		struct x86_regs *r = &m->cpus[i];
		for (int j = 0; j < X86_NGPR; j++)
			r->gpr[j] = 0x1000 * (uint64_t)(i + 1) + (uint64_t)j;
		r->rip = 0xffffffff83001000ULL + (uint64_t)i;
		r->rflags = 0x246;
		r->sel[X86_CS] = 0x10;
		r->sel[X86_SS] = 0x18;
		r->seg_base[X86_GS] = SG_POB + 0x3f00000 + (uint64_t)i * 0x10000;
		r->seg_limit[X86_CS] = 0xffffffff;
		r->seg_flags[X86_CS] = 0xaf9b00;
		r->idtr_base = 0xfffffe0000000000ULL;
		r->idtr_limit = 0xfff;
		r->gdtr_base = 0xfffffe0000001000ULL;
		r->gdtr_limit = 0x7f;
		r->cr[0] = 0x80050033;
		r->cr[4] = 0x6f0;
		r->present = (1ULL << REG_NBITS) - 1;
	}
	m->cpus[0].cr[3] = SG_USER_PGD_PA;
	m->cpus[1].present &= ~(1ULL << (REG_CR0 + 3));	/* vCPU 1: no CR3 */
	return 0;
}

#endif
