/* input_unpack.c - a compressed input through libarchive into a sparse, unlinked temporary. */
#include "input_unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "archive_lib.h"
#include "le.h"
#include "tempfile.h"

enum {
	UNPACK_BUF = 1 << 20,	/* content is copied in 1 MiB steps (page-aligned offsets) */
	READ_BLOCK = 1 << 16,	/* reads of the compressed file */
};

struct unpack {
	struct archive_lib lib;	/* libarchive, loaded for this input */
	struct archive *a;
	const char *path;
	int fd;
	enum input_compression comp;
	uint8_t *buf;
	size_t buflen;		/* content bytes in buf, not yet written */
	bool eof, head_taken;
	uint64_t total;		/* content bytes decompressed so far */
	uint64_t consumed;	/* compressed bytes handed to libarchive so far */
	uint8_t *inbuf;		/* READ_BLOCK bytes for the read callback */
	unsigned long crc;	/* gzip: CRC-32 of the content so far */
};

/*
 * Only the filters of the formats input.h recognises: archive_read_support_filter_all()
 * would also enable filters that run external programs (lrzip, lzop, grzip)
 * on whatever a crafted file's content says it is.
 */
static int support_filter(const struct unpack *u, enum input_compression c)
{
	switch (c) {
	case INPUT_ZSTD: return u->lib.filter_zstd(u->a);
	case INPUT_LZ4: return u->lib.filter_lz4(u->a);
	case INPUT_XZ: return u->lib.filter_xz(u->a);
	case INPUT_GZIP: return u->lib.filter_gzip(u->a);
	case INPUT_BZIP2: return u->lib.filter_bzip2(u->a);
	default: return ARCHIVE_FATAL;
	}
}

static int filter_code(enum input_compression c)
{
	switch (c) {
	case INPUT_ZSTD: return ARCHIVE_FILTER_ZSTD;
	case INPUT_LZ4: return ARCHIVE_FILTER_LZ4;
	case INPUT_XZ: return ARCHIVE_FILTER_XZ;
	case INPUT_GZIP: return ARCHIVE_FILTER_GZIP;
	case INPUT_BZIP2: return ARCHIVE_FILTER_BZIP2;
	default: return -1;
	}
}

static off_t file_size(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? st.st_size : -1;
}

/* "PATH: offset 0xOFF: bad zstd data: WHAT (...)": OFF is how far libarchive had read the file. */
static struct ck_error *stream_error(struct unpack *u)
{
	off_t size = file_size(u->fd);
	const char *why = u->lib.error_string(u->a);
	long long out = (long long)u->lib.filter_bytes(u->a, 0);
	if (out < 0 || (uint64_t)out < u->total)
		out = (long long)u->total;
	return ck_error_at(u->path, (unsigned long long)u->consumed, "bad %s data: %s (%s0x%llx bytes decompressed)",
			   input_compression_name(u->comp), why ? why : "decompression failed",
			   size >= 0 && u->consumed >= (uint64_t)size ? "the file ends here; " : "",
			   (unsigned long long)out);
}

/* libarchive's read callback: plain read(2), counting what it was given for the messages. */
static la_ssize_t read_cb(struct archive *a, void *arg, const void **buf)
{
	struct unpack *u = arg;
	for (;;) {
		ssize_t n = read(u->fd, u->inbuf, READ_BLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			u->lib.set_error(a, errno, "read error at offset 0x%llx", (unsigned long long)u->consumed);
			return -1;
		}
		*buf = u->inbuf;
		u->consumed += (uint64_t)n;
		return n;
	}
}

struct ck_error *unpack_begin(const char *path, int fd, enum input_compression c, struct unpack **ret)
{
	struct unpack *u = calloc(1, sizeof(*u));
	if (!u || !(u->buf = malloc(UNPACK_BUF)) || !(u->inbuf = malloc(READ_BLOCK))) {
		if (u)
			free(u->buf);
		free(u);
		return &ck_enomem;
	}
	u->path = path;
	u->fd = fd;
	u->comp = c;
	u->crc = crc32(0, Z_NULL, 0);
	char purpose[64];
	snprintf(purpose, sizeof(purpose), "%s-compressed input", input_compression_name(c));
	struct ck_error *err = archive_lib_open(&u->lib, purpose);
	if (err) {
		unpack_end(u);
		return ck_error_prefix(err, "%s", path);
	}
	if (!(u->a = u->lib.read_new())) {
		unpack_end(u);
		return &ck_enomem;
	}
	struct archive_entry *e;
	int r = support_filter(u, c);
	/* ARCHIVE_WARN: libarchive was built without the library and runs the
	 * format's own tool (lz4 -d, ...) instead: the same decoder, so accepted. */
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		err = ck_error_create(CK_ERR_SYSTEM, "%s: libarchive cannot read %s data: %s", path,
				      input_compression_name(c), u->lib.error_string(u->a));
	else if (u->lib.format_raw(u->a) != ARCHIVE_OK)
		err = ck_error_create(CK_ERR_SYSTEM, "libarchive: no raw format: %s", u->lib.error_string(u->a));
	else if (lseek(fd, 0, SEEK_SET) < 0)
		err = ck_error_errno(errno, "%s: seek", path);
	else if (u->lib.read_open(u->a, u, NULL, read_cb, NULL) != ARCHIVE_OK ||
		 u->lib.next_header(u->a, &e) != ARCHIVE_OK)
		err = stream_error(u);
	else {
		/* The outermost filter (the last one before the file itself) is the one our magic named. */
		int n = u->lib.filter_count(u->a);
		if (n < 2 || u->lib.filter_code(u->a, n - 2) != filter_code(c))
			err = ck_error_at(path, 0, "%s magic, but not %s data libarchive can read",
					  input_compression_name(c), input_compression_name(c));
	}
	if (err) {
		unpack_end(u);
		return err;
	}
	*ret = u;
	return NULL;
}

/* gzip: libarchive does not check the trailer (CRC-32, size mod 2^32): do it here. */
static struct ck_error *check_gzip_trailer(struct unpack *u)
{
	off_t size = file_size(u->fd);
	uint8_t t[8];
	if (size < 18 || pread(u->fd, t, 8, size - 8) != 8)
		return ck_error_at(u->path, size > 0 ? (unsigned long long)size : 0, "gzip file without its trailer");
	uint32_t crc = le32(t), isize = le32(t + 4);
	if (crc == (uint32_t)u->crc && isize == (uint32_t)u->total)
		return NULL;
	return ck_error_at(u->path, (unsigned long long)(size - 8), "bad gzip data: the trailer says CRC-32 0x%08x"
			   " and size 0x%x, the data decompress to CRC-32 0x%08x and size 0x%x (corrupt data, or"
			   " several gzip members concatenated: decompress it with gzip -d first)",
			   crc, isize, (uint32_t)u->crc, (uint32_t)u->total);
}

/* Fill buf with content up to want (<= UNPACK_BUF) bytes or the end of the stream. */
static struct ck_error *fill_to(struct unpack *u, size_t want)
{
	while (u->buflen < want && !u->eof) {
		/* 64 KiB at a time: data before an error in the stream is kept (a truncated bundle's head) */
		size_t ask = want - u->buflen < (64 << 10) ? want - u->buflen : (64 << 10);
		la_ssize_t n = u->lib.read_data(u->a, u->buf + u->buflen, ask);
		if (n < 0)
			return stream_error(u);
		if (n == 0) {
			u->eof = true;
			if (u->comp == INPUT_GZIP)
				return check_gzip_trailer(u);
			break;
		}
		if (u->comp == INPUT_GZIP)
			u->crc = crc32(u->crc, u->buf + u->buflen, (uInt)n);
		u->buflen += (size_t)n;
		u->total += (uint64_t)n;
	}
	return NULL;
}

struct ck_error *unpack_head(struct unpack *u, uint8_t *buf, size_t len, size_t *got)
{
	struct ck_error *err = u->head_taken ? ck_error_create(CK_ERR_SYSTEM, "unpack_head twice")
					     : fill_to(u, UNPACK_BUF);
	u->head_taken = true;
	/* what came before an error too: a truncated bundle is still one (its reader says where it ends) */
	*got = len < u->buflen ? len : u->buflen;
	memcpy(buf, u->buf, *got);
	return err;
}

struct ck_error *unpack_to_temp(struct unpack *u, const char *tmpdir, int *fd_ret)
{
	int fd = -1;
	struct ck_error *err = tempfile_create(tmpdir, &fd);
	off_t off = 0;
	while (!err) {
		if ((err = fill_to(u, UNPACK_BUF)))
			break;
		if (u->buflen) {
			if ((err = tempfile_write_sparse(fd, u->buf, u->buflen, off)))
				err = ck_error_prefix(err, "%s: its decompressed copy in %s", u->path, tmpdir);
			off += (off_t)u->buflen;
			u->buflen = 0;
		}
		if (u->eof)
			break;
	}
	/* A trailing run of zeros is a hole too: the size comes from ftruncate. */
	if (!err && ftruncate(fd, off) < 0)
		err = ck_error_errno(errno, "%s: its decompressed copy in %s", u->path, tmpdir);
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	*fd_ret = fd;
	return NULL;
}

void unpack_end(struct unpack *u)
{
	if (!u)
		return;
	if (u->a)
		u->lib.read_free(u->a);
	archive_lib_close(&u->lib);
	free(u->buf);
	free(u->inbuf);
	free(u);
}
