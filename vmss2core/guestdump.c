/*
 * guestdump.c - guestdump_format: VMware's magic-less "guest dump"
 * (debug.guest + debug.vmem, written by monitor.mini-suspend_on_panic).
 *
 * Layout (all little-endian, packed), by version:
 *   u32 version @0, u32 num_vcpus @4, then a reserved gap, then the
 *   main-memory info: last_addr, memsize_in_pages, reserved, mem_holes and
 *   two {ppn, pages} holes (v1: 32-bit page fields), then num_vcpus vCPU
 *   states back to back (116 B part 1, a 42-byte gap (45 for v1/v3), 233 B
 *   part 2), then num_vcpus * 4 KiB reserved.  The states are contiguous, as
 *   crash (the reader VMware wrote) reads them; the 4 KiB blocks only count in
 *   the file size.  v7 adds u32 cpu_arch (1 = x86) after the memory info.
 * debug.vmem is guest RAM with the holes cut out.
 */
#include "cpt.h"
#include "format.h"
#include "le.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	GD_PAGE = 4096,
	GD_MAX_HOLES = 2,
	GD_MAX_VCPUS = 4096,
	GD_PART1 = 116,		/* cr0 cr2 cr3 cr4, reserved, idt_base */
	GD_PART2 = 233,		/* 27 u64 in user_regs_struct order + 17 reserved */
	GD_RESERVED = 4096,
	GD_HEAD_MAX = 128,
};

/* Where things are for one version. */
struct gd_layout {
	unsigned mem_off;	/* main-memory info */
	int old_mem;		/* v1: 32-bit memsize and hole fields */
	unsigned cpu_arch_off;	/* 0 = no cpu_arch field */
	unsigned gap;		/* between vCPU record parts 1 and 2 */
};

static int gd_layout(uint32_t version, struct gd_layout *l)
{
	switch (version) {
	case 1: *l = (struct gd_layout){ 21, 1, 0, 45 }; return 1;
	case 3: *l = (struct gd_layout){ 22, 0, 0, 45 }; return 1;
	case 4:
	case 5: *l = (struct gd_layout){ 22, 0, 0, 42 }; return 1;
	case 6: *l = (struct gd_layout){ 23, 0, 0, 42 }; return 1;
	case 7: *l = (struct gd_layout){ 16, 0, 72, 42 }; return 1;
	}
	return 0;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && strcmp(s + n - k, suf) == 0;
}

/*
 * The format has no magic, so the name decides: a file named *.guest that is
 * neither an ELF file nor a checkpoint (those have magics) is mine, and open()
 * then checks the version and the header's consistency and says what is wrong.
 */
static int guestdump_probe(const char *path, const uint8_t *head, size_t headlen)
{
	if (!has_suffix(path, ".guest"))
		return 0;
	if (headlen >= 4) {
		uint32_t magic = (uint32_t)le_get(head, 4);
		if (memcmp(head, "\177ELF", 4) == 0 || cpt_magic_known(magic))
			return 0;
	}
	return 1;
}

struct gd_header {
	uint32_t version, nvcpus, nholes;
	uint64_t last_addr, mem_pages;
	uint64_t hole_ppn[GD_MAX_HOLES], hole_pages[GD_MAX_HOLES];
	uint64_t last_addr_off, holes_off, nholes_off;
	uint64_t vcpus_off, stride;	/* stride: one vCPU state (without the 4 KiB) */
};

static struct ck_error *gd_pread(int fd, const char *path, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t got = pread(fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return ck_error_errno(errno, "%s: read at offset 0x%llx", path,
					      (unsigned long long)(off + done));
		if (got == 0)
			return ck_error_at(path, (unsigned long long)(off + done), "file ends early");
		done += (size_t)got;
	}
	return NULL;
}

static struct ck_error *parse_header(const char *path, const uint8_t *h, uint64_t size,
				     struct gd_header *g, struct gd_layout *l)
{
	if (size < 8)
		return ck_error_at(path, size, "file ends inside the debug.guest header");
	g->version = (uint32_t)le_get(h, 4);
	g->nvcpus = (uint32_t)le_get(h + 4, 4);
	if (!gd_layout(g->version, l))
		return ck_error_at(path, 0, "unknown debug.guest version %u", g->version);
	unsigned m = l->mem_off;
	unsigned head_len = l->old_mem ? m + 36 : l->cpu_arch_off ? l->cpu_arch_off + 11 : m + 56;
	if (size < head_len)
		return ck_error_at(path, size, "file ends inside the %u-byte debug.guest v%u header",
				   head_len, g->version);
	if (g->nvcpus == 0 || g->nvcpus > GD_MAX_VCPUS)
		return ck_error_at(path, 4, "%u vCPUs (expected 1 to %d)", g->nvcpus, GD_MAX_VCPUS);
	g->last_addr_off = m;
	g->last_addr = le_get(h + m, 8);
	if (l->old_mem) {
		g->mem_pages = le_get(h + m + 8, 4);
		g->nholes_off = m + 16;
		g->nholes = (uint32_t)le_get(h + m + 16, 4);
		g->holes_off = m + 20;
		for (int i = 0; i < GD_MAX_HOLES; i++) {
			g->hole_ppn[i] = le_get(h + m + 20 + 8 * i, 4);
			g->hole_pages[i] = le_get(h + m + 24 + 8 * i, 4);
		}
	} else {
		g->mem_pages = le_get(h + m + 8, 8);
		g->nholes_off = m + 20;
		g->nholes = (uint32_t)le_get(h + m + 20, 4);
		g->holes_off = m + 24;
		for (int i = 0; i < GD_MAX_HOLES; i++) {
			g->hole_ppn[i] = le_get(h + m + 24 + 16 * i, 8);
			g->hole_pages[i] = le_get(h + m + 32 + 16 * i, 8);
		}
	}
	if (g->nholes > GD_MAX_HOLES)
		return ck_error_at(path, g->nholes_off, "%u memory holes (at most %d)", g->nholes,
				   GD_MAX_HOLES);
	if (l->cpu_arch_off) {
		uint32_t arch = (uint32_t)le_get(h + l->cpu_arch_off, 4);
		if (arch == 0)
			return ck_error_at(path, l->cpu_arch_off,
					   "AArch64 guest dump is not supported");
		if (arch != 1)
			return ck_error_at(path, l->cpu_arch_off, "unknown CPU architecture %u", arch);
	}
	g->vcpus_off = l->old_mem ? 61 + 8ull * g->nholes : head_len;
	g->stride = GD_PART1 + l->gap + GD_PART2;
	/* Memory size consistency: last_addr + 1 == (pages + hole pages) * 4K. */
	const uint64_t max_pages = UINT64_MAX / GD_PAGE / 4;
	uint64_t total = g->mem_pages, prev_end = 0;
	if (total > max_pages)
		return ck_error_at(path, g->last_addr_off + 8, "memory size 0x%" PRIx64 " pages is "
				   "impossible", total);
	for (uint32_t i = 0; i < g->nholes; i++) {
		uint64_t hoff = g->holes_off + (l->old_mem ? 8u : 16u) * i;
		if (g->hole_pages[i] > max_pages || g->hole_ppn[i] > max_pages)
			return ck_error_at(path, hoff, "memory hole %u is impossibly large", i);
		if (g->hole_ppn[i] < prev_end)
			return ck_error_at(path, hoff, "memory hole %u (page 0x%" PRIx64 ") is out of "
					   "order or overlaps the previous one", i, g->hole_ppn[i]);
		prev_end = g->hole_ppn[i] + g->hole_pages[i];
		total += g->hole_pages[i];
	}
	if (g->last_addr == UINT64_MAX || g->last_addr + 1 != total * GD_PAGE)
		return ck_error_at(path, g->last_addr_off, "last address 0x%" PRIx64 " does not match "
				   "0x%" PRIx64 " pages of memory plus holes", g->last_addr, total);
	if (prev_end > total)
		return ck_error_at(path, g->holes_off, "memory holes end past the last address");
	uint64_t want = g->vcpus_off + (uint64_t)g->nvcpus * (g->stride + GD_RESERVED);
	if (size != want)
		return ck_error_at(path, size < want ? size : want,
				   "file size 0x%" PRIx64 " does not match the header "
				   "(%u vCPU states of %" PRIu64 " bytes at 0x%" PRIx64 " and %u KiB reserved"
				   " end at 0x%" PRIx64 ")", size, g->nvcpus, g->stride, g->vcpus_off,
				   4 * g->nvcpus, want);
	return NULL;
}

/* Part 2 is x86-64 user_regs_struct order; map it onto machine slots. */
enum { U_R15, U_R14, U_R13, U_R12, U_RBP, U_RBX, U_R11, U_R10, U_R9, U_R8, U_RAX, U_RCX,
	U_RDX, U_RSI, U_RDI, U_ORIG_RAX, U_RIP, U_CS, U_EFLAGS, U_RSP, U_SS, U_FS_BASE,
	U_GS_BASE, U_DS, U_ES, U_FS, U_GS, U_N };

static void decode_vcpu(const uint8_t *rec, unsigned gap, struct x86_regs *r)
{
	static const signed char gpr_from[U_N] = {
		[U_R15] = X86_R15, [U_R14] = X86_R14, [U_R13] = X86_R13, [U_R12] = X86_R12,
		[U_RBP] = X86_RBP, [U_RBX] = X86_RBX, [U_R11] = X86_R11, [U_R10] = X86_R10,
		[U_R9] = X86_R9, [U_R8] = X86_R8, [U_RAX] = X86_RAX, [U_RCX] = X86_RCX,
		[U_RDX] = X86_RDX, [U_RSI] = X86_RSI, [U_RDI] = X86_RDI, [U_ORIG_RAX] = -1,
		[U_RIP] = -1, [U_CS] = -1, [U_EFLAGS] = -1, [U_RSP] = X86_RSP, [U_SS] = -1,
		[U_FS_BASE] = -1, [U_GS_BASE] = -1, [U_DS] = -1, [U_ES] = -1, [U_FS] = -1,
		[U_GS] = -1,
	};
	r->cr[0] = le_get(rec, 4);
	r->cr[2] = le_get(rec + 4, 8);
	r->cr[3] = le_get(rec + 12, 8);
	r->cr[4] = le_get(rec + 20, 8);
	r->idtr_base = le_get(rec + 108, 8);
	const uint8_t *u = rec + GD_PART1 + gap;
	uint64_t v[U_N];
	for (int i = 0; i < U_N; i++) {
		v[i] = le_get(u + 8 * i, 8);
		if (gpr_from[i] >= 0) {
			r->gpr[gpr_from[i]] = v[i];
			r->present |= 1ull << (REG_GPR_FIRST + gpr_from[i]);
		}
	}
	r->rip = v[U_RIP];
	r->rflags = v[U_EFLAGS];
	r->sel[X86_CS] = (uint16_t)v[U_CS];
	r->sel[X86_SS] = (uint16_t)v[U_SS];
	r->sel[X86_DS] = (uint16_t)v[U_DS];
	r->sel[X86_ES] = (uint16_t)v[U_ES];
	r->sel[X86_FS] = (uint16_t)v[U_FS];
	r->sel[X86_GS] = (uint16_t)v[U_GS];
	r->seg_base[X86_FS] = v[U_FS_BASE];
	r->seg_base[X86_GS] = v[U_GS_BASE];
	r->present |= 1ull << REG_RIP | 1ull << REG_RFLAGS | 1ull << REG_CR0 |
		      1ull << (REG_CR0 + 2) | 1ull << (REG_CR0 + 3) | 1ull << (REG_CR0 + 4) |
		      1ull << REG_IDTR;
	static const int sels[] = { X86_CS, X86_SS, X86_DS, X86_ES, X86_FS, X86_GS };
	for (size_t i = 0; i < sizeof(sels) / sizeof(sels[0]); i++)
		r->present |= 1ull << (REG_SEL_FIRST + sels[i]);
	r->present |= 1ull << (REG_SEGBASE_FIRST + X86_FS) | 1ull << (REG_SEGBASE_FIRST + X86_GS);
}

static struct ck_error *add_memory(const char *path, const char *companion,
				   const struct gd_header *g, struct machine *m)
{
	char *vmem = NULL;
	if (!companion) {
		if (!has_suffix(path, ".guest"))
			return ck_error_create(CK_ERR_INPUT, "%s: cannot derive the .vmem name "
					       "(give FILE.vmem as well)", path);
		size_t n = strlen(path) - strlen("guest");
		if (!(vmem = malloc(n + sizeof("vmem"))))
			return &ck_enomem;
		memcpy(vmem, path, n);
		memcpy(vmem + n, "vmem", sizeof("vmem"));
	}
	const char *vp = companion ? companion : vmem;
	int fi;
	struct ck_error *err = machine_add_file(m, vp, &fi);
	if (err) {
		err = ck_error_prefix(err, "%s: guest memory", path);
		free(vmem);
		return err;
	}
	free(vmem);
	const struct machine_file *mf = &m->files[fi];
	if ((uint64_t)mf->size != g->mem_pages * GD_PAGE)
		return ck_error_create(CK_ERR_INPUT, "%s: guest memory %s is 0x%llx bytes, which "
				       "does not match the 0x%" PRIx64 " pages the header declares",
				       path, mf->path, (unsigned long long)mf->size, g->mem_pages);
	/* Runs between the holes, packed one after the other in debug.vmem. */
	uint64_t page = 0, file_page = 0;
	for (uint32_t i = 0; i <= g->nholes; i++) {
		uint64_t end = i < g->nholes ? g->hole_ppn[i] : page + (g->mem_pages - file_page);
		if (end > page) {
			if ((err = machine_add_run(m, page * GD_PAGE, (end - page) * GD_PAGE,
						   MEM_RUN_FILE, fi, (off_t)(file_page * GD_PAGE))))
				return err;
			file_page += end - page;
		}
		if (i < g->nholes)
			page = g->hole_ppn[i] + g->hole_pages[i];
	}
	return machine_finish_runs(m);
}

static struct ck_error *guestdump_open(const char *path, const char *companion, struct machine *m)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ck_error_create(errno == ENOENT ? CK_ERR_INPUT : CK_ERR_SYSTEM,
				       "%s: cannot open: %s", path, strerror(errno));
	struct ck_error *err = NULL;
	uint8_t head[GD_HEAD_MAX] = { 0 }, *recs = NULL;
	struct stat st;
	struct gd_header g = { 0 };
	struct gd_layout l = { 0 };
	if (fstat(fd, &st) < 0) {
		err = ck_error_errno(errno, "%s: stat", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = ck_error_create(CK_ERR_INPUT, "%s: not a regular file", path);
		goto out;
	}
	uint64_t size = (uint64_t)st.st_size;
	if ((err = gd_pread(fd, path, 0, head, size < GD_HEAD_MAX ? (size_t)size : GD_HEAD_MAX)) ||
	    (err = parse_header(path, head, size, &g, &l)))
		goto out;
	if ((err = machine_set_ncpus(m, g.nvcpus)))
		goto out;
	if (!(recs = malloc((size_t)g.stride))) {
		err = &ck_enomem;
		goto out;
	}
	for (uint32_t c = 0; c < g.nvcpus; c++) {
		if ((err = gd_pread(fd, path, g.vcpus_off + c * g.stride, recs, (size_t)g.stride)))
			goto out;
		decode_vcpu(recs, l.gap, &m->cpus[c]);
	}
	m->meta.declared_vcpus = g.nvcpus;
	m->meta.ram_bytes = g.mem_pages * GD_PAGE;
	free(m->meta.source_format);
	if (asprintf(&m->meta.source_format, "debug.guest v%u", g.version) < 0) {
		m->meta.source_format = NULL;
		err = &ck_enomem;
		goto out;
	}
	err = add_memory(path, companion, &g, m);
out:
	free(recs);
	close(fd);
	return err;
}

const struct machine_format guestdump_format = {
	.name = "debug.guest",
	.probe = guestdump_probe,
	.open = guestdump_open,
};
