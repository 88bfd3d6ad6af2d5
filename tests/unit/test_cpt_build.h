/*
 * test_cpt_build.h - build synthetic VMware checkpoints byte by byte for the
 * cpt unit tests (test_cpt*.c).  Everything is static; include once per test.
 *
 *   struct cb b; cb_begin(&b, 0xbed2bed2, 3);
 *   cb_group(&b, "cpu"); cb_u(&b, "cpu:numVCPUs", 0, NULL, 1, 4); ... cb_group_end(&b);
 *   cb_write(&b, path);
 *
 * Group descriptors are filled in by cb_group_end() (offset and exact size of
 * the tag stream including its terminator).  Functions return the file offset
 * of what they wrote, so tests can corrupt exactly that byte.
 */
#ifndef TEST_CPT_BUILD_H
#define TEST_CPT_BUILD_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "machine.h"

#define IDX(...) ((const uint32_t[]){ __VA_ARGS__ })

struct cb {
	uint8_t *buf;
	size_t len, cap;
	int width;		/* 4 or 8 */
	int ngroups, cur;	/* groups declared, group being written */
	size_t gstart;
};

static __attribute__((unused)) void cb_reserve(struct cb *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	size_t c = b->cap ? b->cap : 4096;
	while (c < b->len + n)
		c *= 2;
	b->buf = realloc(b->buf, c);
	if (!b->buf)
		abort();
	memset(b->buf + b->cap, 0, c - b->cap);
	b->cap = c;
}

static __attribute__((unused)) size_t cb_bytes(struct cb *b, const void *p, size_t n)
{
	cb_reserve(b, n);
	size_t at = b->len;
	if (n)
		memcpy(b->buf + at, p, n);
	b->len += n;
	return at;
}

static __attribute__((unused)) size_t cb_le(struct cb *b, uint64_t v, size_t n)
{
	uint8_t t[8];
	for (size_t i = 0; i < n; i++)
		t[i] = (uint8_t)(v >> (8 * i));
	return cb_bytes(b, t, n);
}

static __attribute__((unused)) void cb_put_le(struct cb *b, size_t at, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b->buf[at + i] = (uint8_t)(v >> (8 * i));
}

static __attribute__((unused)) uint64_t le_read(const struct cb *b, size_t at)
{
	uint64_t v = 0;
	for (size_t i = 8; i > 0; i--)
		v = v << 8 | b->buf[at + i - 1];
	return v;
}

static __attribute__((unused)) void cb_begin(struct cb *b, uint32_t magic, int ngroups)
{
	memset(b, 0, sizeof(*b));
	b->width = (magic & 0xf) == 0 ? 4 : 8;
	b->ngroups = ngroups;
	b->cur = -1;
	cb_le(b, magic, 4);
	cb_le(b, 0, 4);
	cb_le(b, (uint64_t)ngroups, 4);
	cb_reserve(b, 80u * (size_t)ngroups);
	memset(b->buf + b->len, 0, 80u * (size_t)ngroups);
	b->len += 80u * (size_t)ngroups;
}

/* Start the next group; returns the offset of its descriptor. */
static __attribute__((unused)) size_t cb_group(struct cb *b, const char *name)
{
	b->cur++;
	size_t d = 12 + 80u * (size_t)b->cur;
	memset(b->buf + d, 0, 64);
	memcpy(b->buf + d, name, strlen(name) < 64 ? strlen(name) : 64);
	b->gstart = b->len;
	return d;
}

static __attribute__((unused)) void cb_group_end(struct cb *b)
{
	cb_le(b, 0, 2);
	size_t d = 12 + 80u * (size_t)b->cur;
	cb_put_le(b, d + 64, b->gstart, 8);
	cb_put_le(b, d + 72, b->len - b->gstart, 8);
}

static __attribute__((unused)) size_t cb_head(struct cb *b, const char *name, int nidx, const uint32_t *idx, int code)
{
	size_t nl = strlen(name);
	size_t at = cb_le(b, (uint64_t)(code | nidx << 6) | (uint64_t)nl << 8, 2);
	cb_bytes(b, name, nl);
	for (int i = 0; i < nidx; i++)
		cb_le(b, idx[i], 4);
	return at;
}

/* Inline value of n (0..61) bytes; returns the tag head offset. */
static __attribute__((unused)) size_t cb_tag(struct cb *b, const char *name, int nidx, const uint32_t *idx,
		     const void *val, size_t n)
{
	size_t at = cb_head(b, name, nidx, idx, (int)n);
	cb_bytes(b, val, n);
	return at;
}

/* Inline little-endian integer of n bytes. */
static __attribute__((unused)) size_t cb_u(struct cb *b, const char *name, int nidx, const uint32_t *idx, uint64_t v,
		   size_t n)
{
	size_t at = cb_head(b, name, nidx, idx, (int)n);
	cb_le(b, v, n);
	return at;
}

/*
 * Block form (code 62 or 63): disk/mem sizes, pad bytes, then disk bytes of
 * data (NULL data = zeros).  *data_off (may be NULL) gets the data offset.
 */
static __attribute__((unused)) size_t cb_block(struct cb *b, const char *name, int nidx, const uint32_t *idx, int code,
		       const void *data, uint64_t disk, uint64_t mem, uint16_t pad, size_t *data_off)
{
	size_t at = cb_head(b, name, nidx, idx, code);
	cb_le(b, disk, (size_t)b->width);
	cb_le(b, mem, (size_t)b->width);
	cb_le(b, pad, 2);
	cb_reserve(b, pad);
	memset(b->buf + b->len, 0xee, pad);
	b->len += pad;
	if (data_off)
		*data_off = b->len;
	cb_reserve(b, (size_t)disk);
	if (data)
		memcpy(b->buf + b->len, data, (size_t)disk);
	else
		memset(b->buf + b->len, 0, (size_t)disk);
	b->len += (size_t)disk;
	return at;
}

/* A plain block whose padding aligns its data to `align` bytes. */
static __attribute__((unused)) size_t cb_block_aligned(struct cb *b, const char *name, int nidx, const uint32_t *idx,
			       const void *data, uint64_t n, size_t align, size_t *data_off)
{
	size_t hdr = 2 + strlen(name) + 4u * (size_t)nidx + 2u * (size_t)b->width + 2;
	size_t data_at = b->len + hdr;
	size_t pad = (align - data_at % align) % align;
	return cb_block(b, name, nidx, idx, 63, data, n, n, (uint16_t)pad, data_off);
}

static __attribute__((unused)) int write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, p, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

static __attribute__((unused)) int cb_write(const struct cb *b, const char *path)
{
	return write_file(path, b->buf, b->len);
}

static __attribute__((unused)) void cb_free(struct cb *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

/* RAM pattern: every 8-byte word of blob page p holds (p << 16 | word index). */
static __attribute__((unused)) uint8_t *ram_pattern(uint64_t pages)
{
	uint8_t *r = malloc(pages * 4096);
	for (uint64_t p = 0; p < pages; p++)
		for (uint64_t w = 0; w < 512; w++) {
			uint64_t v = p << 16 | w;
			memcpy(r + p * 4096 + w * 8, &v, 8);
		}
	return r;
}

static __attribute__((unused)) char tmpdir_path[256];

static __attribute__((unused)) const char *tmp_init(void)
{
	snprintf(tmpdir_path, sizeof(tmpdir_path), "/tmp/test_cpt.XXXXXX");
	if (!mkdtemp(tmpdir_path))
		abort();
	return tmpdir_path;
}

static __attribute__((unused)) void tmp_cleanup(void)
{
	DIR *d = opendir(tmpdir_path);
	if (!d)
		return;
	struct dirent *e;
	char p[512];
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", tmpdir_path, e->d_name);
			unlink(p);
		}
	closedir(d);
	rmdir(tmpdir_path);
}

/* tmpdir/name in a static rotating buffer. */
static __attribute__((unused)) const char *tmp_file(const char *name)
{
	static char bufs[4][512];
	static int k;
	char *s = bufs[k++ & 3];
	snprintf(s, 512, "%s/%s", tmpdir_path, name);
	return s;
}

#endif

#ifndef TEST_CPT_BUILD_STD
#define TEST_CPT_BUILD_STD
/* The value the standard cpu group gives register slot `slot` of vCPU c. */
static __attribute__((unused)) uint64_t reg_val(uint32_t c, int slot)
{
	return (uint64_t)(c + 1) << 40 | (uint64_t)slot << 8 | 0xaa;
}

enum { SLOT_RIP = 16, SLOT_RFLAGS = 17, SLOT_CR = 18, SLOT_EFER = 23, SLOT_IDTR = 24,
	SLOT_GDTR = 25, SLOT_SEL = 26, SLOT_BASE = 34 };

static __attribute__((unused)) const char *const std_gpr[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

/* A complete, scalar-tag cpu group body (the caller opens and closes the group). */
static __attribute__((unused)) void cb_cpu_body(struct cb *b, uint32_t ncpu)
{
	cb_u(b, "cpu:numVCPUs", 0, NULL, ncpu, 4);
	for (uint32_t c = 0; c < ncpu; c++) {
		for (int i = 0; i < 16; i++)
			cb_u(b, std_gpr[i], 1, IDX(c), reg_val(c, i), 8);
		cb_u(b, "rip", 1, IDX(c), reg_val(c, SLOT_RIP), 8);
		cb_u(b, "eflags", 1, IDX(c), 0x246, 4);
		for (uint32_t n = 0; n < 5; n++)
			if (n != 1)
				cb_u(b, "CR64", 2, IDX(c, n), reg_val(c, SLOT_CR + (int)n), 8);
		cb_u(b, "EFER", 1, IDX(c), 0xd01, 8);
		cb_u(b, "IDTR", 2, IDX(c, 0), 0xfff, 2);
		cb_u(b, "IDTR", 2, IDX(c, 1), 0x03cd5080, 4);
		cb_u(b, "IDTR", 2, IDX(c, 2), 0xfffff800, 4);
		cb_u(b, "GDTR", 2, IDX(c, 0), 0x7f, 2);
		cb_u(b, "GDTR", 2, IDX(c, 1), 0x1000 + c, 4);
		cb_u(b, "GDTR", 2, IDX(c, 2), 0xfffffe00, 4);
		for (uint32_t s = 0; s < 8; s++) {
			cb_u(b, "S", 2, IDX(c, s), 0x10 + 8 * s, 4);
			cb_u(b, "S.base64", 2, IDX(c, s), reg_val(c, SLOT_BASE + (int)s), 8);
		}
	}
}

static __attribute__((unused)) const char std_vmx[] =
	".encoding = \"UTF-8\"\n"
	"config.version = \"8\"\n"
	"displayName = \"test |22vm|22\"\n"
	"guestOS = \"other5xlinux-64\"\n";

/* Checkpoint group body: product, version, memSize (MiB), Platform 1. */
static __attribute__((unused)) void cb_checkpoint_body(struct cb *b, uint64_t mem_mib)
{
	char product[256] = "VMware ESX", version[256] = "4.1.0";
	cb_u(b, "fileversion", 0, NULL, 0xa, 4);
	cb_block(b, "ProductName", 0, NULL, 63, product, 256, 256, 0, NULL);
	cb_block(b, "VersionNumber", 0, NULL, 63, version, 256, 256, 0, NULL);
	cb_u(b, "Platform", 0, NULL, 1, 4);
	cb_u(b, "memSize", 0, NULL, mem_mib, 4);
}

/*
 * Standard checkpoint: Checkpoint, Snapshot, cpu (ncpu vCPUs), memory.
 * regs: nreg triples {ppn, pagenum, pages}; nreg < 0 = no regionsCount tag.
 * blob_pages of patterned RAM go into `Memory` when embed, else to vmem_path.
 */
static __attribute__((unused)) void build_std(struct cb *b, uint32_t magic, uint32_t ncpu, int embed, int nreg,
		      const uint64_t (*regs)[3], uint64_t blob_pages, const char *vmem_path)
{
	cb_begin(b, magic, 4);
	cb_group(b, "Checkpoint");
	cb_checkpoint_body(b, blob_pages * 4096 >> 20);
	cb_group_end(b);
	cb_group(b, "Snapshot");
	cb_block(b, "cfgFile", 0, NULL, 63, std_vmx, sizeof(std_vmx) - 1, sizeof(std_vmx) - 1, 0, NULL);
	cb_group_end(b);
	cb_group(b, "cpu");
	cb_cpu_body(b, ncpu);
	cb_group_end(b);
	cb_group(b, "memory");
	cb_u(b, "align_mask", 0, NULL, 0xff, 4);
	if (nreg >= 0)
		cb_u(b, "regionsCount", 0, NULL, (uint64_t)nreg, 4);
	for (int i = 0; i < nreg; i++) {
		cb_u(b, "regionPPN", 1, IDX((uint32_t)i), regs[i][0], 4);
		cb_u(b, "regionPageNum", 1, IDX((uint32_t)i), regs[i][1], 4);
		cb_u(b, "regionSize", 1, IDX((uint32_t)i), regs[i][2], 4);
	}
	uint8_t *ram = ram_pattern(blob_pages);
	if (embed)
		cb_block_aligned(b, "Memory", 2, IDX(0, 0), ram, blob_pages * 4096, 4096, NULL);
	else if (vmem_path)
		write_file(vmem_path, ram, blob_pages * 4096);
	free(ram);
	cb_group_end(b);
}
/* Did err come from bad input naming path (and needle, if given)? */
static __attribute__((unused)) int err_is_input(struct ck_error *err, const char *path, const char *needle)
{
	int ok = err && err->kind == CK_ERR_INPUT && strstr(err->msg, path) &&
		 (!needle || strstr(err->msg, needle));
	if (err && !ok)
		printf("# unexpected message: %s\n", err->msg);
	return ok;
}

/* vmss_format.open on a fresh machine; on error the machine is already deinit'ed. */
static __attribute__((unused)) struct ck_error *open_vmss(const char *path, const char *companion,
							   struct machine *m)
{
	machine_init(m);
	struct ck_error *err = vmss_format.open(path, companion, m);
	if (err)
		machine_deinit(m);
	return err;
}

#endif
