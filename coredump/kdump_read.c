/*
 * kdump_read.c - makedumpfile's kdump-compressed format as a machine.
 *
 * On-disk facts used (little-endian, x86-64):
 *   block 0  disk_dump_header: "KDUMP   ", header_version @8, utsname @12
 *            (6 x 65 bytes; machine @272), status @424 (compression bits),
 *            block_size @428, sub_hdr_size @432 (blocks), bitmap_blocks @436,
 *            max_mapnr @440 (32-bit), nr_cpus @460.
 *   block 1  kdump_sub_header: split @12, offset/size_vmcoreinfo @32/@40 (v3+),
 *            offset/size_note @48/@56 (v4+), max_mapnr_64 @96 (v6+).
 *   then     the 1st bitmap (RAM pages) and 2nd bitmap (pages in the dump),
 *            bitmap_blocks blocks together; then one 24-byte page descriptor
 *            {i64 offset, u32 size, u32 flags, u64 page_flags} per set bit of
 *            the 2nd bitmap, in PFN order; then the page data.
 *
 * The header, notes and layout are checked here (every error names the file
 * and offset); pages are read through libkdumpfile (KDUMP_MACHPHYSADDR,
 * which needs no address translation) from one MEM_RUN_BACKEND run per
 * stretch of consecutive pages the dump holds.
 *
 * Excluded pages: a page whose 2nd-bitmap bit is clear (makedumpfile -d:
 * free, cache, user pages...) is not in the dump, so it is a hole of the
 * machine and reads fail with CK_ERR_FAULT -- libkdumpfile answers
 * KDUMP_ERR_NODATA "Excluded page" for them too, and the format records
 * nothing about their contents.  (Zero pages kept in the bitmap read as
 * zeros, as the format says.)  We do not set libkdumpfile's
 * file.zero_excluded, which would invent zeros.
 */
#include "kdump_read.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libkdumpfile/kdumpfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfnotes.h"
#include "format.h"
#include "le.h"
#include "vmcoreinfo.h"

enum {
	HDR_VERSION = 8, HDR_UTS_MACHINE = 12 + 4 * 65, HDR_STATUS = 424, HDR_BLOCK_SIZE = 428,
	HDR_SUB_HDR_SIZE = 432, HDR_BITMAP_BLOCKS = 436, HDR_MAX_MAPNR = 440, HDR_NR_CPUS = 460,
	HDR_SIZE = 464,
	SUB_SPLIT = 12, SUB_VMCOREINFO = 32, SUB_NOTE = 48, SUB_MAX_MAPNR_64 = 96, SUB_SIZE = 104,
	PAGE_DESC_SIZE = 24,
	DH_ZLIB = 0x1, DH_LZO = 0x2, DH_SNAPPY = 0x4, DH_INCOMPLETE = 0x8, DH_ZSTD = 0x20,
	MAX_HEADER_VERSION = 7,
	MAX_SUB_HDR_BLOCKS = 1 << 16,
	MAX_NOTES = 16 << 20,		/* 4096 vCPUs of notes are ~4 MiB */
	MAX_VMCOREINFO = 1 << 20,
	MAX_CPUS = 4096,
	BITMAP_CHUNK = 64 << 10,
};
static const uint64_t MAX_PFNS = 1ULL << 40;	/* 52-bit physical addresses */
/* Runs are stretches of dumped pages; refuse absurd fragmentation before allocating for it. */
static const uint64_t MAX_RUNS = 1ULL << 24;

/* The dump, shared by the format's open() and the backend (which owns it). */
struct kdump_src {
	char *name;		/* for messages: path, or "path (rebuilt from the flattened stream)" */
	int fd;
	off_t size;
	kdump_ctx_t *ctx;
	uint64_t max_pfn;
	uint64_t bitmap1_off;	/* file offset of the 1st bitmap (RAM pages) */
	uint64_t bitmap2_off;	/* file offset of the 2nd bitmap (pages in the dump) */
	uint64_t pd_off;	/* file offset of page descriptor 0 */
	uint64_t npages;	/* set bits of the 2nd bitmap (page descriptors) */
};

static void src_destroy(void *arg)
{
	struct kdump_src *s = arg;
	if (!s)
		return;
	if (s->ctx)
		kdump_free(s->ctx);
	if (s->fd >= 0)
		close(s->fd);
	free(s->name);
	free(s);
}

static int kdump_probe(const char *path, const uint8_t *head, size_t headlen)
{
	(void)path;
	return (headlen >= 8 && memcmp(head, KDUMP_SIGNATURE, 8) == 0) || kdump_flat_probe(head, headlen);
}

static struct ck_error *pread_full(const struct kdump_src *s, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(s->fd, p + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ck_error_errno(errno, "%s: read at offset 0x%" PRIx64, s->name, off + done);
		if (n == 0)
			return ck_error_at(s->name, off + done, "file ends early");
		done += (size_t)n;
	}
	return NULL;
}

/* Set bits below index n of the bitmap at file offset bitmap_off. */
static struct ck_error *bits_below(const struct kdump_src *s, uint64_t bitmap_off, uint64_t n,
				   uint64_t *count_ret)
{
	uint8_t *buf = malloc(BITMAP_CHUNK);
	if (!buf)
		return &ck_enomem;
	uint64_t count = 0, nbytes = n / 8;
	struct ck_error *err = NULL;
	for (uint64_t at = 0; !err && at < nbytes; at += BITMAP_CHUNK) {
		size_t len = nbytes - at < BITMAP_CHUNK ? (size_t)(nbytes - at) : BITMAP_CHUNK;
		if (!(err = pread_full(s, buf, len, bitmap_off + at)))
			for (size_t i = 0; i < len; i++)
				count += (uint64_t)__builtin_popcount(buf[i]);
	}
	uint8_t last;
	if (!err && n % 8 && !(err = pread_full(s, &last, 1, bitmap_off + nbytes)))
		count += (uint64_t)__builtin_popcount(last & ((1u << (n % 8)) - 1));
	free(buf);
	if (!err)
		*count_ret = count;
	return err;
}

/* Where pfn's bytes live: its data if its descriptor is readable, else the descriptor. */
static uint64_t page_file_offset(const struct kdump_src *s, uint64_t pfn, uint64_t *data_end)
{
	uint64_t rank;
	uint8_t pd[PAGE_DESC_SIZE];
	*data_end = 0;
	struct ck_error *err = bits_below(s, s->bitmap2_off, pfn, &rank);
	if (err) {
		ck_error_destroy(err);
		return s->pd_off;
	}
	uint64_t at = s->pd_off + rank * PAGE_DESC_SIZE;
	if ((err = pread_full(s, pd, sizeof(pd), at))) {
		ck_error_destroy(err);
		return at;
	}
	int64_t off = (int64_t)le64(pd);
	if (off < 0)
		return at;
	*data_end = (uint64_t)off + le32(pd + 8);
	return (uint64_t)off;
}

/* The backend: guest-physical bytes through libkdumpfile. */
static struct ck_error *src_read(void *arg, uint64_t pa, void *buf, size_t len)
{
	struct kdump_src *s = arg;
	size_t got = len;
	kdump_status st = kdump_read(s->ctx, KDUMP_MACHPHYSADDR, pa, buf, &got);
	if (st == KDUMP_OK && got == len)
		return NULL;
	uint64_t bad = pa + (got < len ? got : 0);
	const char *why = st == KDUMP_OK ? "short read" : kdump_get_err(s->ctx);
	if (st == KDUMP_ERR_NODATA)
		return ck_error_create(CK_ERR_FAULT, "%s: guest-physical address 0x%" PRIx64
				       " is not in the dump (%s)", s->name, bad, why);
	uint64_t pfn = bad / MACHINE_PAGE_SIZE, data_end;
	uint64_t off = page_file_offset(s, pfn, &data_end);
	/* A read past the end of a truncated file is a broken file, not an I/O error. */
	if (st == KDUMP_ERR_SYSTEM && data_end <= (uint64_t)s->size)
		return ck_error_create(CK_ERR_SYSTEM, "%s: reading page 0x%" PRIx64 " at offset 0x%" PRIx64
				       ": %s", s->name, pfn, off, why);
	return ck_error_at(s->name, off, "page 0x%" PRIx64 " (guest-physical 0x%" PRIx64 ")%s: %s", pfn,
			   bad, data_end > (uint64_t)s->size ? " lies past the end of the file" : "", why);
}

static const struct machine_backend_ops kdump_backend = {
	.name = "kdump",
	.read = src_read,
	.destroy = src_destroy,
};

struct header {
	uint32_t version, status, nr_cpus;
	uint64_t block_size, sub_blocks, bitmap_blocks, max_mapnr;
	uint64_t vmci_off, vmci_size, note_off, note_size;
};

/* A [off, off + size) region of the file named in the header must lie in the file. */
static struct ck_error *check_region(const struct kdump_src *s, uint64_t field_at, const char *what,
				     uint64_t off, uint64_t size, uint64_t max)
{
	if (size > max)
		return ck_error_at(s->name, field_at, "%s of 0x%" PRIx64 " bytes is larger than the 0x%" PRIx64
				   " supported", what, size, max);
	if (off > (uint64_t)s->size || size > (uint64_t)s->size - off)
		return ck_error_at(s->name, field_at, "%s at 0x%" PRIx64 "+0x%" PRIx64 " runs past the end"
				   " of the file (0x%llx bytes)", what, off, size, (unsigned long long)s->size);
	return NULL;
}

static struct ck_error *read_header(struct kdump_src *s, struct header *h)
{
	uint8_t b[HDR_SIZE], sub[SUB_SIZE];
	struct ck_error *err = pread_full(s, b, sizeof(b), 0);
	if (err)
		return err;
	if (memcmp(b, KDUMP_SIGNATURE, 8) != 0)
		return ck_error_at(s->name, 0, "no \"KDUMP   \" signature: not a kdump-compressed dump");
	h->version = le32(b + HDR_VERSION);
	h->status = le32(b + HDR_STATUS);
	h->block_size = le32(b + HDR_BLOCK_SIZE);
	h->sub_blocks = le32(b + HDR_SUB_HDR_SIZE);
	h->bitmap_blocks = le32(b + HDR_BITMAP_BLOCKS);
	h->max_mapnr = le32(b + HDR_MAX_MAPNR);
	h->nr_cpus = le32(b + HDR_NR_CPUS);
	if (h->version < 1 || h->version > MAX_HEADER_VERSION)
		return ck_error_at(s->name, HDR_VERSION, "header version %" PRIu32 "; versions 1 to %d are"
				   " supported", h->version, MAX_HEADER_VERSION);
	if (strncmp((const char *)b + HDR_UTS_MACHINE, "x86_64", 65) != 0)
		return ck_error_at(s->name, HDR_UTS_MACHINE, "dump of a \"%.65s\" machine; only x86_64 is"
				   " supported", (const char *)b + HDR_UTS_MACHINE);
	if (h->block_size != MACHINE_PAGE_SIZE)
		return ck_error_at(s->name, HDR_BLOCK_SIZE, "block size %" PRIu64 "; x86-64 dumps have %d",
				   h->block_size, MACHINE_PAGE_SIZE);
	if (h->sub_blocks < 1 || h->sub_blocks > MAX_SUB_HDR_BLOCKS)
		return ck_error_at(s->name, HDR_SUB_HDR_SIZE, "sub-header of %" PRIu64 " blocks (1 to %d"
				   " expected)", h->sub_blocks, MAX_SUB_HDR_BLOCKS);
	if (h->bitmap_blocks < 2 || h->bitmap_blocks % 2)
		return ck_error_at(s->name, HDR_BITMAP_BLOCKS, "%" PRIu64 " bitmap blocks: two equal"
				   " bitmaps expected", h->bitmap_blocks);
	if (h->nr_cpus > MAX_CPUS)
		return ck_error_at(s->name, HDR_NR_CPUS, "%" PRIu32 " CPUs is more than the %d supported",
				   h->nr_cpus, MAX_CPUS);
	uint64_t bs = h->block_size;
	if ((err = check_region(s, HDR_SUB_HDR_SIZE, "the sub-header", bs, SUB_SIZE, UINT64_MAX)) ||
	    (err = pread_full(s, sub, sizeof(sub), bs)))
		return err;
	if (le32(sub + SUB_SPLIT))
		return ck_error_at(s->name, bs + SUB_SPLIT, "one part of a split dump (makedumpfile"
				   " --split): reassemble it first (makedumpfile --reassemble)");
	if (h->version >= 6)
		h->max_mapnr = le64(sub + SUB_MAX_MAPNR_64);
	if (h->max_mapnr > MAX_PFNS)
		return ck_error_at(s->name, h->version >= 6 ? bs + SUB_MAX_MAPNR_64 : HDR_MAX_MAPNR,
				   "max_mapnr 0x%" PRIx64 " is beyond 52-bit physical addresses", h->max_mapnr);
	if (h->max_mapnr > h->bitmap_blocks / 2 * bs * 8)
		return ck_error_at(s->name, HDR_BITMAP_BLOCKS, "%" PRIu64 " bitmap blocks cannot hold"
				   " max_mapnr 0x%" PRIx64 " pages", h->bitmap_blocks, h->max_mapnr);
	uint64_t meta_end = (1 + h->sub_blocks) * bs;
	if ((err = check_region(s, HDR_BITMAP_BLOCKS, "the bitmaps", meta_end, h->bitmap_blocks * bs,
				UINT64_MAX)))
		return err;
	h->vmci_off = h->vmci_size = h->note_off = h->note_size = 0;
	if (h->version >= 3) {
		h->vmci_off = le64(sub + SUB_VMCOREINFO);
		h->vmci_size = le64(sub + SUB_VMCOREINFO + 8);
		if ((err = check_region(s, bs + SUB_VMCOREINFO, "VMCOREINFO", h->vmci_off, h->vmci_size,
					MAX_VMCOREINFO)))
			return err;
	}
	if (h->version >= 4) {
		h->note_off = le64(sub + SUB_NOTE);
		h->note_size = le64(sub + SUB_NOTE + 8);
		if ((err = check_region(s, bs + SUB_NOTE, "the ELF notes", h->note_off, h->note_size, MAX_NOTES)))
			return err;
	}
	s->max_pfn = h->max_mapnr;
	s->bitmap1_off = meta_end;
	s->bitmap2_off = meta_end + h->bitmap_blocks / 2 * bs;
	s->pd_off = meta_end + h->bitmap_blocks * bs;
	return NULL;
}

/* vCPUs and VMCOREINFO from the notes; the separate VMCOREINFO copy if no note had it. */
static struct ck_error *read_notes(struct kdump_src *s, const struct header *h, struct machine *m)
{
	struct ck_error *err = NULL;
	uint8_t *buf = NULL;
	if (h->note_size) {
		if (!(buf = malloc(h->note_size)))
			return &ck_enomem;
		if (!(err = pread_full(s, buf, h->note_size, h->note_off)))
			err = elfnotes_to_machine(s->name, h->note_off, buf, h->note_size, m);
		free(buf);
		if (err)
			return err;
	} else if ((err = machine_set_ncpus(m, 0))) {
		return err;
	}
	if (m->meta.vmcoreinfo || !h->vmci_size)
		return NULL;
	char *text = malloc(h->vmci_size + 1);
	if (!text)
		return &ck_enomem;
	if ((err = pread_full(s, text, h->vmci_size, h->vmci_off))) {
		free(text);
		return err;
	}
	size_t len = strnlen(text, h->vmci_size);
	m->meta.vmcoreinfo_len = vmcoreinfo_strip_crashtime(text, len);
	text[m->meta.vmcoreinfo_len] = 0;
	m->meta.vmcoreinfo = text;
	return NULL;
}

static struct ck_error *kdump_error(const struct kdump_src *s, const char *what)
{
	return ck_error_at(s->name, 0, "libkdumpfile: %s: %s", what, kdump_get_err(s->ctx));
}

/*
 * One backend run per stretch of pages set in libkdumpfile's file.pagemap
 * (the 2nd bitmap) below max_pfn; *pages_ret: their number.
 */
static struct ck_error *add_runs(const struct kdump_src *s, const char *attr, struct machine *m,
				 int backend, uint64_t *pages_ret)
{
	kdump_attr_t a;
	if (kdump_get_attr(s->ctx, attr, &a) != KDUMP_OK || a.type != KDUMP_BITMAP)
		return kdump_error(s, attr);
	kdump_bmp_t *bmp = a.val.bitmap;
	uint64_t pages = 0, runs = 0;
	kdump_addr_t at = 0;
	while (at < s->max_pfn) {
		kdump_addr_t start = at, end;
		if (kdump_bmp_find_set(bmp, &start) != KDUMP_OK || start >= s->max_pfn)
			break;
		end = start;
		if (kdump_bmp_find_clear(bmp, &end) != KDUMP_OK || end > s->max_pfn)
			end = s->max_pfn;
		if (++runs > MAX_RUNS)
			return ck_error_at(s->name, s->bitmap2_off, "more than %" PRIu64 " separate"
					   " stretches of pages: too fragmented", MAX_RUNS);
		struct ck_error *err = machine_add_run(m, start * MACHINE_PAGE_SIZE, (end - start) * MACHINE_PAGE_SIZE,
						       MEM_RUN_BACKEND, backend, 0);
		if (err)
			return err;
		pages += end - start;
		at = end;
	}
	*pages_ret = pages;
	return NULL;
}

/*
 * The page descriptors and the last page's data must be in the file: catches
 * truncation at open (not asked of a dump makedumpfile itself marked
 * incomplete, e.g. out of space: its missing pages fail when read).  Pages are written in PFN order after one shared zero
 * page (at the start of the data, pd_end), so the last descriptor that does
 * not point there has the data that ends last; scan back to it.
 */
static struct ck_error *check_extent(const struct kdump_src *s)
{
	if (!s->npages)
		return NULL;
	uint64_t pd_end = s->pd_off + s->npages * PAGE_DESC_SIZE;
	if (pd_end > (uint64_t)s->size)
		return ck_error_at(s->name, (uint64_t)s->size, "file ends inside the page descriptors"
				   " (0x%" PRIx64 " pages need 0x%" PRIx64 " bytes from 0x%" PRIx64 ")",
				   s->npages, s->npages * PAGE_DESC_SIZE, s->pd_off);
	enum { BATCH = 2730 };	/* descriptors per 64 KiB read */
	uint8_t *buf = malloc(BATCH * PAGE_DESC_SIZE);
	if (!buf)
		return &ck_enomem;
	struct ck_error *err = NULL;
	for (uint64_t hi = s->npages; !err && hi > 0;) {
		uint64_t lo = hi > BATCH ? hi - BATCH : 0;
		if ((err = pread_full(s, buf, (size_t)(hi - lo) * PAGE_DESC_SIZE, s->pd_off + lo * PAGE_DESC_SIZE)))
			break;
		for (uint64_t i = hi; i-- > lo;) {
			const uint8_t *pd = buf + (i - lo) * PAGE_DESC_SIZE;
			int64_t off = (int64_t)le64(pd);
			uint32_t size = le32(pd + 8);
			if (off >= 0 && (uint64_t)off == pd_end && i > 0)
				continue;	/* the shared zero page */
			if (off < 0 || (uint64_t)off < pd_end || (uint64_t)off > (uint64_t)s->size ||
			    size > (uint64_t)s->size - (uint64_t)off)
				err = ck_error_at(s->name, s->pd_off + i * PAGE_DESC_SIZE, "page data at 0x%"
						  PRIx64 "+0x%" PRIx32 " is not in the file (0x%llx bytes; truncated?)",
						  (uint64_t)off, size, (unsigned long long)s->size);
			free(buf);
			return err;
		}
		hi = lo;
	}
	free(buf);
	return err;
}

static const char *compression(uint32_t status)
{
	if (status & DH_ZLIB)
		return "zlib";
	if (status & DH_LZO)
		return "lzo";
	if (status & DH_SNAPPY)
		return "snappy";
	if (status & DH_ZSTD)
		return "zstd";
	return "uncompressed";
}

/* Open path's plain kdump file (rebuilding a flattened stream first) into s->fd and s->size. */
static struct ck_error *open_plain(const char *path, struct kdump_src *s, int *flattened)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ck_error_create(errno == ENOENT ? CK_ERR_INPUT : CK_ERR_SYSTEM, "%s: cannot open: %s",
				       path, strerror(errno));
	struct stat st;
	uint8_t head[KDUMP_FLAT_SIG_LEN];
	ssize_t n = 0;
	struct ck_error *err = NULL;
	if (fstat(fd, &st) < 0 || (n = pread(fd, head, sizeof(head), 0)) < 0)
		err = ck_error_errno(errno, "%s: reading the header", path);
	*flattened = !err && kdump_flat_probe(head, (size_t)n);
	if (!err && *flattened) {
		int plain = -1;
		err = kdump_flat_rebuild(path, fd, st.st_size, &plain);
		close(fd);
		fd = plain;
		if (!err && fstat(fd, &st) < 0)
			err = ck_error_errno(errno, "%s: stat of the rebuilt dump", path);
		if (!err && asprintf(&s->name, "%s (rebuilt from the flattened stream)", path) < 0) {
			s->name = NULL;
			err = &ck_enomem;
		}
	}
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	s->fd = fd;
	s->size = st.st_size;
	return NULL;
}

static struct ck_error *kdump_open(const char *path, const char *companion, struct machine *m)
{
	(void)companion;
	struct kdump_src *s = calloc(1, sizeof(*s));
	if (!s)
		return &ck_enomem;
	s->fd = -1;
	int flattened = 0, backend;
	struct header h = { 0 };
	struct ck_error *err = open_plain(path, s, &flattened);
	if (!err && !s->name && !(s->name = strdup(path)))
		err = &ck_enomem;
	if (err) {
		src_destroy(s);
		return err;
	}
	if ((err = machine_add_backend(m, &kdump_backend, s, &backend)))
		return err;	/* s is destroyed */
	if (flattened) {
		uint8_t sig[8];
		if ((err = pread_full(s, sig, sizeof(sig), 0)))
			return err;
		if (memcmp(sig, "\177ELF", 4) == 0)
			return ck_error_at(path, 0, "a flattened ELF dump (makedumpfile -E -F): rebuild it"
					   " with makedumpfile -R and open the ELF core");
	}
	if ((err = read_header(s, &h)) || (err = read_notes(s, &h, m)))
		return err;
	if (!(s->ctx = kdump_new()))
		return &ck_enomem;
	/* read(2), never mmap(2): a file truncated under us must be an error, not SIGBUS. */
	if (kdump_set_number_attr(s->ctx, KDUMP_ATTR_FILE_MMAP_POLICY, KDUMP_MMAP_NEVER) != KDUMP_OK)
		return kdump_error(s, "setting the mmap policy");
	if (kdump_open_fd(s->ctx, s->fd) != KDUMP_OK)
		return kdump_error(s, "opening the dump");
	const char *fmt = NULL;
	if (kdump_get_string_attr(s->ctx, KDUMP_ATTR_FILE_FORMAT, &fmt) != KDUMP_OK || !fmt ||
	    strcmp(fmt, "diskdump") != 0)
		return ck_error_at(s->name, 0, "libkdumpfile reads it as \"%s\", not a diskdump file",
				   fmt ? fmt : "?");
	kdump_num_t lib_max = 0;
	if (kdump_get_number_attr(s->ctx, "max_pfn", &lib_max) == KDUMP_OK && lib_max < s->max_pfn)
		s->max_pfn = lib_max;
	uint64_t ram_pages = 0;
	/* RAM pages from the 1st bitmap ourselves: libkdumpfile 0.5.1 leaks its memory.pagemap. */
	if ((err = add_runs(s, KDUMP_ATTR_FILE_PAGEMAP, m, backend, &s->npages)) ||
	    (err = bits_below(s, s->bitmap1_off, s->max_pfn, &ram_pages)) ||
	    (!(h.status & DH_INCOMPLETE) && (err = check_extent(s))))
		return err;
	if (m->nruns == 0)
		return ck_error_at(s->name, s->bitmap2_off, "the dump holds no pages");
	if ((err = machine_finish_runs(m)))
		return err;
	if (asprintf(&m->meta.source_format, "kdump-compressed%s v%" PRIu32 " (%s%s, makedumpfile)",
		     flattened ? ", flattened" : "", h.version, compression(h.status),
		     h.status & DH_INCOMPLETE ? ", INCOMPLETE" : "") < 0) {
		m->meta.source_format = NULL;
		return &ck_enomem;
	}
	m->meta.ram_bytes = ram_pages * MACHINE_PAGE_SIZE;
	m->meta.declared_vcpus = h.nr_cpus;
	return NULL;
}

const struct machine_format kdump_format = {
	.name = "kdump",
	.probe = kdump_probe,
	.open = kdump_open,
};
