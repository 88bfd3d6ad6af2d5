/* bundle_stage.c - staged copies of logical files: in-order pieces in place, early ones aside, gzip inflated. */
#include "bundle_stage.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zlib.h>

#include "tempfile.h"

enum {
	ZBUF = 1 << 20,			/* inflated output per step */
	SPACE_REFRESH = 64 << 20,	/* fstatvfs again after this many bytes written */
	RESERVE_MAX = 64 << 20,
	COPY_BUF = 1 << 20,
};

struct spool_piece {
	uint64_t index;
	int fd;
	uint64_t size;
	int done;
};

struct ck_error *spool_create(const char *dir, uint64_t base, unsigned flags, struct spool **ret)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return &ck_enomem;
	int inflate = (flags & SPOOL_INFLATE) != 0;
	sp->fd = -1;
	sp->base = base;
	sp->inflate = inflate;
	sp->by_size = (flags & SPOOL_BY_SIZE) && !inflate;
	sp->dir = dir;
	sp->cur_early = -2;
	struct ck_error *err = tempfile_create(dir, &sp->fd);
	if (!err && inflate) {
		z_stream *z = calloc(1, sizeof(*z));
		if (!z || !(sp->zbuf = malloc(ZBUF))) {
			free(z);
			err = &ck_enomem;
		} else {
			sp->z = z;
			if (inflateInit2(z, 15 + 32) != Z_OK)	/* 32: gzip or zlib header, told apart by zlib */
				err = &ck_enomem;
		}
	}
	if (err) {
		spool_destroy(sp);
		return err;
	}
	*ret = sp;
	return NULL;
}

/* Is there room for n more bytes (keeping the reserve free)? */
static struct ck_error *check_space(struct spool *sp, int fd, uint64_t n)
{
	if (sp->since_check == 0 || sp->since_check + n > SPACE_REFRESH || sp->avail < sp->reserve + n) {
		struct statvfs vfs;
		if (fstatvfs(fd, &vfs) != 0)
			return NULL;	/* no answer: the writes themselves will say ENOSPC */
		uint64_t total = (uint64_t)vfs.f_blocks * vfs.f_frsize;
		sp->avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
		sp->reserve = total / 20 < RESERVE_MAX ? total / 20 : RESERVE_MAX;
		sp->since_check = 1;
	}
	if (sp->avail < sp->reserve + n)
		return ck_error_create(CK_ERR_SYSTEM, "no space left to stage it in %s (%llu MiB free, %llu MiB kept free)",
				       sp->dir, (unsigned long long)(sp->avail >> 20),
				       (unsigned long long)(sp->reserve >> 20));
	return NULL;
}

static struct ck_error *write_data(struct spool *sp, int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *b = buf;
	if (!len || (b[0] == 0 && memcmp(b, b + 1, len - 1) == 0))
		return NULL;	/* zeros take no space: holes */
	/* counted as if all of it took space: the next fstatvfs says how much did */
	struct ck_error *err = check_space(sp, fd, len);
	if (!err)
		err = tempfile_write_sparse(fd, buf, len, (off_t)off);
	sp->avail -= len < sp->avail ? len : sp->avail;
	sp->since_check += len;
	if (err && err->errnum == ENOSPC)
		err = ck_error_prefix(err, "no space left to stage it in %s", sp->dir);
	return err;
}

/* Content bytes (already inflated or stored plain) at content offset off. */
static struct ck_error *put_content(struct spool *sp, const void *buf, size_t len, uint64_t off)
{
	struct ck_error *err = write_data(sp, sp->fd, buf, len, sp->base + off);
	if (!err && off + len > sp->size)
		sp->size = off + len;
	return err;
}

/* Stored gzip bytes, in order: inflate them into the copy. */
static struct ck_error *feed_gzip(struct spool *sp, const uint8_t *buf, size_t len)
{
	z_stream *z = sp->z;
	z->next_in = (Bytef *)buf;
	z->avail_in = (uInt)len;
	sp->stored += len;
	while (z->avail_in) {
		if (sp->z_end) {
			/* another gzip member follows (gzip allows several) */
			if (inflateReset(z) != Z_OK)
				return &ck_enomem;
			sp->z_end = 0;
		}
		z->next_out = sp->zbuf;
		z->avail_out = ZBUF;
		int r = inflate(z, Z_NO_FLUSH);
		if (r != Z_OK && r != Z_STREAM_END && !(r == Z_BUF_ERROR && z->avail_out < ZBUF))
			return ck_error_create(CK_ERR_INPUT, "offset 0x%llx: bad gzip data: %s",
					       (unsigned long long)(sp->stored - z->avail_in),
					       z->msg ? z->msg : "inflate failed");
		size_t out = ZBUF - z->avail_out;
		struct ck_error *err = out ? put_content(sp, sp->zbuf, out, sp->size) : NULL;
		if (err)
			return err;
		if (r == Z_STREAM_END)
			sp->z_end = 1;
	}
	return NULL;
}

/* In-place data of the current piece at piece offset off. */
static struct ck_error *put_in_place(struct spool *sp, const void *buf, size_t len, uint64_t off)
{
	if (!sp->inflate)
		return put_content(sp, buf, len, sp->piece_start + off);
	static const uint8_t zeros[4096];
	/* stored bytes must be fed in order: a gap (a sparse member) is zeros */
	while (sp->piece_start + off > sp->stored) {
		uint64_t gap = sp->piece_start + off - sp->stored;
		struct ck_error *err = feed_gzip(sp, zeros, gap < sizeof(zeros) ? (size_t)gap : sizeof(zeros));
		if (err)
			return err;
	}
	return feed_gzip(sp, buf, len);
}

static struct ck_error *early_add(struct spool *sp, uint64_t index)
{
	struct spool_piece *n = realloc(sp->early, (sp->nearly + 1) * sizeof(*n));
	if (!n)
		return &ck_enomem;
	sp->early = n;
	n[sp->nearly] = (struct spool_piece){ .index = index, .fd = -1 };
	struct ck_error *err = tempfile_create(sp->dir, &n[sp->nearly].fd);
	if (err)
		return err;
	sp->cur_early = (int)sp->nearly++;
	return NULL;
}

static struct ck_error *drain(struct spool *sp, struct spool_piece *p);

/*
 * By size: the lower-indexed of two pieces seen is not the last, so its
 * size is the unit; the piece that waited aside goes to its place.
 */
static struct ck_error *by_size_begin(struct spool *sp, uint64_t index, uint64_t size)
{
	for (size_t i = 0; i < sp->nseen; i++)
		if (sp->seen[i].index == index) {
			sp->cur_early = -2;
			return NULL;
		}
	struct spool_seen *n = realloc(sp->seen, (sp->nseen + 1) * sizeof(*n));
	if (!n)
		return &ck_enomem;
	sp->seen = n;
	n[sp->nseen++] = (struct spool_seen){ index, size };
	if (!sp->unit && sp->nseen >= 2) {
		const struct spool_seen *low = &n[0];
		for (size_t i = 1; i < sp->nseen; i++)
			if (n[i].index < low->index)
				low = &n[i];
		sp->unit = low->size;
		for (size_t i = 0; i < sp->nearly; i++)
			if (!sp->early[i].done) {
				struct ck_error *err;
				sp->piece_start = sp->early[i].index * sp->unit;
				if (sp->early[i].size > sp->unit || (err = drain(sp, &sp->early[i])))
					return sp->early[i].size > sp->unit ? ck_error_create(CK_ERR_INPUT,
						"FRAG-%05llu is larger than FRAG-%05llu", (unsigned long long)sp->early[i].index,
						(unsigned long long)low->index) : err;
			}
	}
	if (sp->unit) {
		if (size > sp->unit)
			return ck_error_create(CK_ERR_INPUT, "FRAG-%05llu is larger than the pieces before it",
					       (unsigned long long)index);
		sp->cur_early = -1;
		sp->piece_start = index * sp->unit;
		return NULL;
	}
	if (index == 0) {
		sp->cur_early = -1;
		sp->piece_start = 0;
		return NULL;
	}
	return early_add(sp, index);
}

struct ck_error *spool_piece_begin(struct spool *sp, uint64_t index, uint64_t size)
{
	if (sp->by_size && !size)
		return ck_error_create(CK_ERR_INPUT, "a piece of unknown size cannot be placed by size");
	if (sp->by_size)
		return by_size_begin(sp, index, size);
	if (index < sp->next) {
		sp->cur_early = -2;
		return NULL;
	}
	for (size_t i = 0; i < sp->nearly; i++)
		if (sp->early[i].index == index) {
			sp->cur_early = -2;
			return NULL;
		}
	if (index == sp->next) {
		sp->cur_early = -1;
		sp->piece_start = sp->inflate ? sp->stored : sp->size;
		return NULL;
	}
	return early_add(sp, index);
}

struct ck_error *spool_piece_data(struct spool *sp, const void *buf, size_t len, uint64_t off)
{
	if (sp->cur_early == -2)
		return NULL;
	if (sp->cur_early == -1)
		return put_in_place(sp, buf, len, off);
	struct spool_piece *p = &sp->early[sp->cur_early];
	struct ck_error *err = write_data(sp, p->fd, buf, len, off);
	if (!err && off + len > p->size)
		p->size = off + len;
	return err;
}

/* An early piece whose turn has come: its stored bytes from sp->piece_start on, then it is freed. */
static struct ck_error *drain(struct spool *sp, struct spool_piece *p)
{
	uint8_t *buf = malloc(COPY_BUF);
	struct ck_error *err = buf ? NULL : &ck_enomem;
	for (uint64_t off = 0; !err && off < p->size;) {
		size_t want = p->size - off < COPY_BUF ? (size_t)(p->size - off) : COPY_BUF;
		ssize_t n = pread(p->fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = ck_error_errno(n < 0 ? errno : EIO, "reading back a staged piece");
			break;
		}
		err = put_in_place(sp, buf, (size_t)n, off);
		off += (uint64_t)n;
	}
	if (!err && !sp->inflate && sp->piece_start + p->size > sp->size)
		sp->size = sp->piece_start + p->size;
	free(buf);
	close(p->fd);
	p->fd = -1;
	p->done = 1;
	return err;
}

struct ck_error *spool_piece_end(struct spool *sp, uint64_t size)
{
	struct ck_error *err = NULL;
	if (sp->cur_early >= 0) {
		struct spool_piece *p = &sp->early[sp->cur_early];
		if (size > p->size)
			p->size = size;
		/* its zeros were never written: the size makes them read back as zeros */
		if (ftruncate(p->fd, (off_t)p->size) < 0)
			err = ck_error_errno(errno, "setting the size of a staged piece in %s", sp->dir);
	} else if (sp->cur_early == -1) {
		if (sp->inflate) {
			if (sp->piece_start + size > sp->stored)
				err = put_in_place(sp, "", 0, size);	/* a trailing gap: zeros */
		} else if (sp->piece_start + size > sp->size) {
			sp->size = sp->piece_start + size;
			/* a trailing run of zeros was not written: the size makes it readable (bundle_capture_peek) */
			if (ftruncate(sp->fd, (off_t)(sp->base + sp->size)) < 0)
				err = ck_error_errno(errno, "setting the size of a staged copy in %s", sp->dir);
		}
		sp->next++;
		/* the pieces that waited for this one */
		for (int moved = !sp->by_size; !err && moved;) {
			moved = 0;
			for (size_t i = 0; i < sp->nearly && !err; i++)
				if (!sp->early[i].done && sp->early[i].index == sp->next) {
					sp->piece_start = sp->inflate ? sp->stored : sp->size;
					err = drain(sp, &sp->early[i]);
					sp->next++;
					moved = 1;
				}
		}
	}
	sp->cur_early = -2;
	return err;
}

/* By size: pieces 0..n-1 all in, each of the unit's size but the last, no larger. */
static struct ck_error *by_size_check(struct spool *sp, uint64_t n)
{
	uint64_t have = 0, last = 0;
	for (size_t i = 0; i < sp->nseen; i++) {
		const struct spool_seen *p = &sp->seen[i];
		if (p->index >= n)
			continue;
		have++;
		if (p->index == n - 1)
			last = p->size;
		else if (p->size != sp->unit)
			return ck_error_create(CK_ERR_INPUT, "FRAG-%05llu is 0x%llx bytes, not 0x%llx as the others",
					       (unsigned long long)p->index, (unsigned long long)p->size,
					       (unsigned long long)sp->unit);
	}
	for (size_t i = 0; i < sp->nearly; i++)
		if (!sp->early[i].done)
			return ck_error_create(CK_ERR_INPUT, "FRAG-%05llu was read, but not the pieces beside it",
					       (unsigned long long)sp->early[i].index);
	if (have < n)
		return ck_error_create(CK_ERR_INPUT, "%llu of %llu FRAG pieces were read", (unsigned long long)have,
				       (unsigned long long)n);
	sp->size = (n - 1) * sp->unit + last;
	return NULL;
}

struct ck_error *spool_finish(struct spool *sp, uint64_t npieces)
{
	struct ck_error *err = sp->by_size ? by_size_check(sp, npieces) : NULL;
	if (err)
		return err;
	if (!sp->by_size && sp->next < npieces)
		return ck_error_create(CK_ERR_INPUT, "FRAG-%05llu was not read", (unsigned long long)sp->next);
	if (sp->inflate && !sp->z_end)
		return ck_error_create(CK_ERR_INPUT, "offset 0x%llx: the gzip data ends early",
				       (unsigned long long)sp->stored);
	if (ftruncate(sp->fd, (off_t)(sp->base + sp->size)) < 0)
		return ck_error_errno(errno, "setting the size of a staged copy in %s", sp->dir);
	sp->complete = 1;
	return NULL;
}

int spool_take_fd(struct spool *sp)
{
	int fd = sp->fd;
	sp->fd = -1;
	return fd;
}

void spool_destroy(struct spool *sp)
{
	if (!sp)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	for (size_t i = 0; i < sp->nearly; i++)
		if (sp->early[i].fd >= 0)
			close(sp->early[i].fd);
	free(sp->early);
	free(sp->seen);
	if (sp->z) {
		inflateEnd(sp->z);
		free(sp->z);
	}
	free(sp->zbuf);
	free(sp);
}
