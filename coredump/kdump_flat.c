/*
 * kdump_flat.c - makedumpfile's flattened stream (-F) back into the plain
 * kdump layout, as `makedumpfile -R` does, so libkdumpfile (which does not
 * read the flattened form) can open it.  The plain file is written sparse
 * into an unlinked temporary, record by record, through one copy buffer.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "kdump_read.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	COPY_BUF = 1 << 20,
	RECORD_HEADER = 16,
	FLAT_TYPE = 1,
	FLAT_VERSION = 1,
	/*
	 * Every byte of the plain file comes from a record except the padding
	 * of its header blocks, and the stream holds every record's bytes: the
	 * plain file cannot be much larger than the stream.
	 */
	HEADER_SLACK = 16 << 20,
};

static int64_t be64s(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

int kdump_flat_probe(const uint8_t *head, size_t headlen)
{
	static const uint8_t sig[KDUMP_FLAT_SIG_LEN] = KDUMP_FLAT_SIGNATURE;
	return headlen >= KDUMP_FLAT_SIG_LEN && memcmp(head, sig, sizeof(sig)) == 0;
}

static struct ck_error *pread_full(int fd, void *buf, size_t len, off_t off, const char *path)
{
	uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, p + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ck_error_errno(errno, "%s: read at offset 0x%llx", path,
					      (unsigned long long)(off + (off_t)done));
		if (n == 0)
			return ck_error_at(path, (unsigned long long)(off + (off_t)done), "file ends early");
		done += (size_t)n;
	}
	return NULL;
}

static struct ck_error *pwrite_full(int fd, const void *buf, size_t len, off_t off, const char *what)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ck_error_errno(n < 0 ? errno : ENOSPC, "%s: writing at offset 0x%llx", what,
					      (unsigned long long)off);
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return NULL;
}

/* An unlinked read-write file in $TMPDIR: gone when closed, even if we crash. */
static struct ck_error *anon_tmpfile(int *fd_ret, const char **dir_ret)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	*dir_ret = dir;
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0) {
		*fd_ret = fd;
		return NULL;
	}
	/* No O_TMPFILE on this file system: a named file, unlinked at once. */
	char *name = NULL;
	if (asprintf(&name, "%s/corekit-kdump.XXXXXX", dir) < 0)
		return &ck_enomem;
	fd = mkostemp(name, O_CLOEXEC);
	int e = errno;
	if (fd >= 0)
		unlink(name);
	free(name);
	if (fd < 0)
		return ck_error_errno(e, "%s: cannot create a temporary file for the rebuilt dump", dir);
	*fd_ret = fd;
	return NULL;
}

static struct ck_error *check_header(const char *path, int fd, off_t size)
{
	uint8_t h[KDUMP_FLAT_SIG_LEN + 16];
	if (size < KDUMP_FLAT_HEADER_SIZE)
		return ck_error_at(path, (unsigned long long)size, "flattened dump ends inside its"
				   " %d-byte header", KDUMP_FLAT_HEADER_SIZE);
	struct ck_error *err = pread_full(fd, h, sizeof(h), 0, path);
	if (err)
		return err;
	int64_t type = be64s(h + KDUMP_FLAT_SIG_LEN), version = be64s(h + KDUMP_FLAT_SIG_LEN + 8);
	if (type != FLAT_TYPE)
		return ck_error_at(path, KDUMP_FLAT_SIG_LEN, "flattened dump of type %" PRId64
				   "; only type %d is known", type, FLAT_TYPE);
	if (version != FLAT_VERSION)
		return ck_error_at(path, KDUMP_FLAT_SIG_LEN + 8, "flattened dump version %" PRId64
				   "; only version %d is known", version, FLAT_VERSION);
	return NULL;
}

static struct ck_error *copy_records(const char *path, int in, off_t in_size, int out, const char *tmpdir,
				     uint8_t *buf)
{
	uint64_t limit = (uint64_t)in_size + HEADER_SLACK;
	off_t pos = KDUMP_FLAT_HEADER_SIZE;
	for (;;) {
		uint8_t rh[RECORD_HEADER];
		if (in_size - pos < RECORD_HEADER)
			return ck_error_at(path, (unsigned long long)pos, "flattened dump ends without its"
					   " end marker (truncated?)");
		struct ck_error *err = pread_full(in, rh, sizeof(rh), pos, path);
		if (err)
			return err;
		int64_t off = be64s(rh), sz = be64s(rh + 8);
		if (off == -1)
			return NULL;	/* the end marker */
		off_t data = pos + RECORD_HEADER;
		if (off < 0 || sz < 0)
			return ck_error_at(path, (unsigned long long)pos, "record with offset %" PRId64
					   " and size %" PRId64, off, sz);
		if (sz > in_size - data)
			return ck_error_at(path, (unsigned long long)pos, "record of 0x%" PRIx64 " bytes runs"
					   " past the end of the stream (0x%llx bytes left)", (uint64_t)sz,
					   (unsigned long long)(in_size - data));
		if ((uint64_t)off > limit || (uint64_t)sz > limit - (uint64_t)off)
			return ck_error_at(path, (unsigned long long)pos, "record puts 0x%" PRIx64 " bytes at"
					   " offset 0x%" PRIx64 ", beyond any dump this stream can hold",
					   (uint64_t)sz, (uint64_t)off);
		for (int64_t done = 0; done < sz;) {
			size_t n = sz - done < COPY_BUF ? (size_t)(sz - done) : COPY_BUF;
			if ((err = pread_full(in, buf, n, data + (off_t)done, path)) ||
			    (err = pwrite_full(out, buf, n, (off_t)(off + done), tmpdir)))
				return err;
			done += (int64_t)n;
		}
		pos = data + (off_t)sz;
	}
}

struct ck_error *kdump_flat_rebuild(const char *path, int in_fd, off_t in_size, int *out_fd)
{
	struct ck_error *err = check_header(path, in_fd, in_size);
	if (err)
		return err;
	uint8_t *buf = malloc(COPY_BUF);
	if (!buf)
		return &ck_enomem;
	int out = -1;
	const char *tmpdir = NULL;
	if (!(err = anon_tmpfile(&out, &tmpdir)))
		err = copy_records(path, in_fd, in_size, out, tmpdir, buf);
	free(buf);
	if (err) {
		if (out >= 0)
			close(out);
		return err;
	}
	*out_fd = out;
	return NULL;
}
