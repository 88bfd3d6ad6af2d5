/*
 * test_input.c - the input classifier (input.h): compression magics, content
 * kinds by magic whatever the name, and the decompressed copy (sparse,
 * unnamed in $TMPDIR, gzip trailers checked, messages naming the user's file).
 * Real cores compressed with the real tools: tests/integration/zcores.sh.
 */
#include <dirent.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "input.h"
#include "unit.h"

static struct unit u;

/* An ELF64 x86-64 header of type t (no program headers: the classifier needs only the head). */
static void elf_head(uint8_t *h, uint16_t t)
{
	memset(h, 0, 64);
	memcpy(h, ELFMAG, SELFMAG);
	h[EI_CLASS] = ELFCLASS64;
	h[EI_DATA] = ELFDATA2LSB;
	h[EI_VERSION] = EV_CURRENT;
	h[16] = (uint8_t)t;
	h[18] = EM_X86_64;
}

static void test_compression_magic(void)
{
	UNIT_BEGIN(&u, "compression-magic");
	CHECK(&u, input_compression_of((const uint8_t *)"\x28\xb5\x2f\xfd\x24", 5) == INPUT_ZSTD);
	CHECK(&u, input_compression_of((const uint8_t *)"\x04\x22\x4d\x18\x64", 5) == INPUT_LZ4);
	CHECK(&u, input_compression_of((const uint8_t *)"\x02\x21\x4c\x18\x00", 5) == INPUT_LZ4);
	CHECK(&u, input_compression_of((const uint8_t *)"\xfd" "7zXZ\0\0", 7) == INPUT_XZ);
	CHECK(&u, input_compression_of((const uint8_t *)"\x1f\x8b\x08\x00", 4) == INPUT_GZIP);
	CHECK(&u, input_compression_of((const uint8_t *)"BZh9", 4) == INPUT_BZIP2);
	/* near misses: gzip with an unknown method, "BZh" without a level, short heads */
	CHECK(&u, input_compression_of((const uint8_t *)"\x1f\x8b\x07\x00", 4) == INPUT_PLAIN);
	CHECK(&u, input_compression_of((const uint8_t *)"BZhx", 4) == INPUT_PLAIN);
	CHECK(&u, input_compression_of((const uint8_t *)"\x28\xb5\x2f", 3) == INPUT_PLAIN);
	CHECK(&u, input_compression_of((const uint8_t *)"\177ELF", 4) == INPUT_PLAIN);
	CHECK(&u, input_compression_of(NULL, 0) == INPUT_PLAIN);
	CHECK(&u, strcmp(input_compression_name(INPUT_ZSTD), "zstd") == 0 && !input_compression_name(INPUT_PLAIN));
	UNIT_END(&u);
}

static void test_classify_by_content(void)
{
	UNIT_BEGIN(&u, "classify-by-content-not-name");
	uint8_t h[4096];
	/* tar: "ustar" at 257, whatever the name says */
	memset(h, 0, sizeof(h));
	memcpy(h + 257, "ustar", 6);
	CHECK(&u, input_classify("core.x.1000.b.42.17.zst", -1, h, sizeof(h)).kind == INPUT_TAR);
	CHECK(&u, input_classify("guest.vmss", -1, h, sizeof(h)).kind == INPUT_TAR);
	/* zip: a local file header, or the end record of an empty archive; bundles both */
	memset(h, 0, sizeof(h));
	memcpy(h, "PK\3\4", 4);
	CHECK(&u, input_classify("bundle.tgz", -1, h, sizeof(h)).kind == INPUT_ZIP);
	memcpy(h, "PK\5\6", 4);
	CHECK(&u, INPUT_IS_BUNDLE(input_classify("x", -1, h, 22).kind));
	memcpy(h, "PK\1\2", 4);	/* a central directory header alone is no archive's start */
	CHECK(&u, input_classify("x.zip", -1, h, sizeof(h)).kind == INPUT_UNKNOWN);
	/* an ELF core: the ELF reader claims it; without notes to read, a process core.
	 * ELF's magic at offset 0 outranks tar's at 257. */
	elf_head(h, ET_CORE);
	struct input_class c = input_classify("x.vmss", -1, h, sizeof(h));
	CHECK(&u, c.kind == INPUT_PROCESS_CORE && c.format == &elfcore_format);
	/* an ELF executable: no machine reader, the process-core reader names it */
	elf_head(h, ET_EXEC);
	c = input_classify("core", -1, h, sizeof(h));
	CHECK(&u, c.kind == INPUT_ELF && !c.format);
	/* kdump-compressed and VMware checkpoint magics, under misleading names */
	memset(h, 0, sizeof(h));
	memcpy(h, "KDUMP   ", 8);
	c = input_classify("core.zst", -1, h, sizeof(h));
	CHECK(&u, c.kind == INPUT_MACHINE && c.format == &kdump_format);
	memset(h, 0, sizeof(h));
	memcpy(h, "\xd2\xbe\xd2\xbe", 4);	/* 0xbed2bed2 little-endian */
	c = input_classify("core.gz", -1, h, sizeof(h));
	CHECK(&u, c.kind == INPUT_MACHINE && c.format == &vmss_format);
	/* text: nothing claims it */
	memset(h, 0, sizeof(h));
	memcpy(h, "hello\n", 6);
	CHECK(&u, input_classify("core", -1, h, 6).kind == INPUT_UNKNOWN);
	CHECK(&u, input_classify("core", -1, h, 0).kind == INPUT_UNKNOWN);
	UNIT_END(&u);
}

/* One 4-byte aligned note: 12-byte header, name, desc of dsz bytes (0x5a). */
static size_t put_note(uint8_t *p, const char *name, uint32_t type, uint32_t dsz)
{
	uint32_t nsz = (uint32_t)strlen(name) + 1, h[3] = { nsz, dsz, type };
	memcpy(p, h, 12);
	memset(p + 12, 0, (nsz + 3) & ~3u);
	memcpy(p + 12, name, nsz);
	size_t d = 12 + ((nsz + 3) & ~3u);
	memset(p + d, 0x5a, (dsz + 3) & ~3u);
	return d + ((dsz + 3) & ~3u);
}

/* An ELF core at path with one PT_NOTE: NT_PRPSINFO, nthreads NT_PRSTATUS
 * (far more than the classifier's read window), then the tail note; the file
 * is cut to keep bytes when keep is not 0.  Returns 0 on success. */
static int write_core(const char *path, int nthreads, const char *tail, uint32_t tail_dsz, size_t keep)
{
	size_t cap = 4096 + (size_t)nthreads * 400 + tail_dsz % 4096;
	uint8_t *b = calloc(1, cap);
	if (!b)
		return -1;
	elf_head(b, ET_CORE);
	size_t n = 120;
	n += put_note(b + n, "CORE", NT_PRPSINFO, 136);
	for (int i = 0; i < nthreads; i++)
		n += put_note(b + n, "CORE", NT_PRSTATUS, 336);
	if (tail) {
		uint32_t h[3] = { (uint32_t)strlen(tail) + 1, tail_dsz, 0 };
		if (tail_dsz < 4096)
			n += put_note(b + n, tail, 0, tail_dsz);
		else {	/* a header whose desc runs past the segment */
			memcpy(b + n, h, 12);
			memcpy(b + n + 12, tail, h[0]);
			n += 12 + ((h[0] + 3) & ~3u);
		}
	}
	uint64_t phoff = 64, noteoff = 120, notesz = n - 120;
	uint16_t phentsize = 56, phnum = 1;
	memcpy(b + 32, &phoff, 8);
	memcpy(b + 54, &phentsize, 2);
	memcpy(b + 56, &phnum, 2);
	uint32_t pt = PT_NOTE;
	memcpy(b + 64, &pt, 4);
	memcpy(b + 64 + 8, &noteoff, 8);
	memcpy(b + 64 + 32, &notesz, 8);
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(b, 1, keep ? keep : n, f) == (keep ? keep : n);
	ok = f && fclose(f) == 0 && ok;
	free(b);
	return ok ? 0 : -1;
}

static enum input_kind kind_of(const char *path)
{
	struct input in;
	struct ck_error *err = input_open(path, &in);
	if (err) {
		ck_error_destroy(err);
		return INPUT_UNKNOWN;
	}
	enum input_kind k = in.cls.kind;
	input_close(&in);
	return k;
}

/* Process core or machine image from every note of a large PT_NOTE, read
 * through a window: VMCOREINFO far past the first read still counts, a note
 * that does not fit hides the rest, unreadable notes mean a process core. */
static void test_core_notes(const char *dir)
{
	UNIT_BEGIN(&u, "elf-core-kind-from-every-note");
	char path[4200];
	snprintf(path, sizeof(path), "%s/notes.core", dir);
	CHECK(&u, write_core(path, 1000, NULL, 0, 0) == 0 && kind_of(path) == INPUT_PROCESS_CORE);
	CHECK(&u, write_core(path, 1000, "VMCOREINFO", 40, 0) == 0 && kind_of(path) == INPUT_MACHINE);
	CHECK(&u, write_core(path, 1000, "VMCOREINFO", 1u << 20, 0) == 0 && kind_of(path) == INPUT_PROCESS_CORE);
	CHECK(&u, write_core(path, 1000, "VMCOREINFO", 40, 300000) == 0 && kind_of(path) == INPUT_PROCESS_CORE);
	unlink(path);
	UNIT_END(&u);
}

/* path.gz: an ELF core header, 32 MiB of zeros, one non-zero page, 1 MiB of zeros. */
static int write_gz(const char *path)
{
	gzFile g = gzopen(path, "wb1");
	if (!g)
		return -1;
	uint8_t *buf = calloc(1, 1 << 20);
	int ok = buf != NULL;
	if (ok) {
		elf_head(buf, ET_CORE);
		for (int i = 0; ok && i < 32; i++) {
			ok = gzwrite(g, buf, 1 << 20) == 1 << 20;
			memset(buf, 0, 64);
		}
		memset(buf, 0xab, 4096);
		ok = ok && gzwrite(g, buf, 4096) == 4096;
		memset(buf, 0, 4096);
		ok = ok && gzwrite(g, buf, 1 << 20) == 1 << 20;
	}
	free(buf);
	return gzclose(g) == Z_OK && ok ? 0 : -1;
}

static void test_sparse_copy(const char *dir)
{
	char path[4200], tmp[4200];
	snprintf(path, sizeof(path), "%s/core.prog.1000.0123abcd.42.1700000000.gz", dir);
	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	mkdir(tmp, 0700);
	setenv("TMPDIR", tmp, 1);

	UNIT_BEGIN(&u, "gzip-copy-sparse-and-unnamed");
	CHECK(&u, write_gz(path) == 0);
	struct input in;
	struct ck_error *err = input_open(path, &in);
	CHECK(&u, !err);
	if (!err) {
		struct stat st;
		CHECK(&u, in.compression == INPUT_GZIP && in.fd >= 0);
		CHECK(&u, in.cls.kind == INPUT_PROCESS_CORE);
		CHECK(&u, strncmp(in.path, "/proc/self/fd/", 14) == 0);
		CHECK(&u, strstr(in.name, "core.prog.1000") && strstr(in.name, "(decompressed)"));
		CHECK(&u, fstat(in.fd, &st) == 0 && st.st_size == (33 << 20) + 4096);
		/* two non-zero pages at most are allocated (filesystems may round up a little) */
		CHECK(&u, st.st_blocks * 512 <= 64 * 1024);
		uint8_t b[2];
		CHECK(&u, pread(in.fd, b, 2, 32 << 20) == 2 && b[0] == 0xab && b[1] == 0xab);
		/* nothing in $TMPDIR has a name, even while the copy is open */
		CHECK(&u, unit_count_entries(tmp) == 0);
		/* messages of readers that opened the copy name the user's file */
		struct ck_error *e = ck_error_at(in.path, 16, "bad thing in %s", in.path);
		e = input_error(&in, e);
		CHECK(&u, !strstr(e->msg, "/proc/self") && strstr(e->msg, "core.prog.1000"));
		ck_error_destroy(e);
		input_close(&in);
	} else {
		ck_error_destroy(err);
	}
	CHECK(&u, unit_count_entries(tmp) == 0);
	UNIT_END(&u);

	/* corrupt the last member's CRC-32: libarchive does not notice, the trailer check does */
	UNIT_BEGIN(&u, "gzip-trailer-crc-checked");
	FILE *f = fopen(path, "r+b");
	CHECK(&u, f && fseek(f, -8, SEEK_END) == 0 && fputc(0x55, f) != EOF);
	if (f)
		fclose(f);
	err = input_open(path, &in);
	CHECK(&u, err && err->kind == CK_ERR_INPUT && strstr(err->msg, "CRC-32") && strstr(err->msg, ": offset 0x"));
	CHECK(&u, err && !strchr(err->msg, '\n'));
	if (!err)
		input_close(&in);
	ck_error_destroy(err);
	CHECK(&u, unit_count_entries(tmp) == 0);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "unwritable-tmpdir-is-a-system-error");
	setenv("TMPDIR", "/nonexistent/corekit", 1);
	err = input_open(path, &in);
	/* the corrupt file above fails after the copy would have started: use a good one */
	ck_error_destroy(err);
	CHECK(&u, write_gz(path) == 0);
	err = input_open(path, &in);
	CHECK(&u, err && err->kind == CK_ERR_SYSTEM && strstr(err->msg, "/nonexistent/corekit"));
	if (!err)
		input_close(&in);
	ck_error_destroy(err);
	UNIT_END(&u);
	unlink(path);
	rmdir(tmp);
}

static void test_directory(const char *dir)
{
	UNIT_BEGIN(&u, "directory-is-a-bundle");
	struct input in;
	struct ck_error *err = input_open(dir, &in);
	CHECK(&u, !err && in.cls.kind == INPUT_DIR && INPUT_IS_BUNDLE(in.cls.kind) && strcmp(in.path, dir) == 0);
	if (!err) {
		err = input_unsupported(&in, "a core");
		CHECK(&u, err && strstr(err->msg, "a directory: bundles are not supported yet here"));
		input_close(&in);
	}
	ck_error_destroy(err);
	UNIT_END(&u);
}

int main(void)
{
	char dir[] = "/tmp/test_input.XXXXXX";
	if (!mkdtemp(dir)) {
		printf("FAIL mkdtemp\n");
		return 1;
	}
	test_compression_magic();
	test_classify_by_content();
	test_sparse_copy(dir);
	test_core_notes(dir);
	test_directory(dir);
	rmdir(dir);
	return UNIT_EXIT(&u);
}
