/*
 * bundle_stage.h - a staged copy of one logical file (private to bundle_*.c):
 * an unnamed temporary file (tempfile.h) in the stage directory, filled
 * piece by piece as the members stream by.
 *
 *   spool_create(dir, base, inflate, &sp)
 *   for each piece, in whatever order the bundle holds them:
 *       spool_piece_begin(sp, index); spool_piece_data(...)...; spool_piece_end(sp, size)
 *   spool_finish(sp, npieces)        // the file is complete: sp->fd, content at sp->base
 *
 * Pieces in order are written in place; a piece that comes early waits in
 * an unnamed file of its own until the pieces before it are in.  With
 * SPOOL_BY_SIZE (captures), every piece goes straight to index x size once
 * the size is known (the lower-indexed of any two pieces seen is not the
 * last, so its size is every piece's but the last's; spool_finish checks
 * that it was so): at most the first piece seen waits aside.  With
 * SPOOL_INFLATE, the pieces' concatenation is gzip data (several members
 * allowed) and the copy is its content.  Zeros are holes (tempfile_write_sparse).  Before data is
 * written the stage filesystem's free space is checked (fstatvfs, refreshed
 * every 64 MiB written): the copy stops, CK_ERR_SYSTEM "no space", before it
 * would leave less than min(64 MiB, 5% of the filesystem) free.
 */
#ifndef COREKIT_BUNDLE_STAGE_H
#define COREKIT_BUNDLE_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct spool_piece;

enum { SPOOL_INFLATE = 1, SPOOL_BY_SIZE = 2 };

struct spool_seen {
	uint64_t index, size;
};

struct spool {
	int fd;			/* the copy (unnamed); owned */
	uint64_t base;		/* file offset of content byte 0 (a multiple of 4096) */
	uint64_t size;		/* content bytes so far */
	int inflate;
	int by_size;		/* SPOOL_BY_SIZE, and every piece's size known so far */
	uint64_t unit;		/* by_size: the pieces' size, 0 until known */
	struct spool_seen *seen;	/* by_size: the pieces begun */
	size_t nseen;
	uint64_t next;		/* the piece that goes in place next */
	int complete;		/* spool_finish() succeeded */
	/* private */
	const char *dir;
	struct spool_piece *early;	/* pieces waiting for the ones before them */
	size_t nearly;
	int cur_early;		/* the current piece goes to early[cur_early] (-1: in place, -2: ignored) */
	uint64_t piece_start;	/* content (inflate: stored) offset where the current piece began */
	uint64_t stored;	/* inflate: stored bytes fed so far */
	void *z;		/* inflate: z_stream */
	uint8_t *zbuf;
	int z_end;		/* inflate: the last gzip member ended */
	uint64_t avail, since_check, reserve;
};

/* flags: SPOOL_INFLATE, SPOOL_BY_SIZE (not both: gzip data must be fed in order). */
struct ck_error *spool_create(const char *dir, uint64_t base, unsigned flags, struct spool **ret);
/* Piece index begins (0 for a whole file); size: its declared size, 0 if unknown.  A piece already in is ignored. */
struct ck_error *spool_piece_begin(struct spool *sp, uint64_t index, uint64_t size);
/* len bytes of the current piece at offset off in the piece (offsets grow; a gap is zeros). */
struct ck_error *spool_piece_data(struct spool *sp, const void *buf, size_t len, uint64_t off);
/* The current piece ends; size: its declared size (a trailing gap is zeros). */
struct ck_error *spool_piece_end(struct spool *sp, uint64_t size);
/* Every piece 0..npieces-1 given: CK_ERR_INPUT if one is missing, the gzip data ends early, or
 * (SPOOL_BY_SIZE) the pieces were not all of one size but the last. */
struct ck_error *spool_finish(struct spool *sp, uint64_t npieces);
/* Take the copy's descriptor away from sp (spool_destroy then leaves it open). */
int spool_take_fd(struct spool *sp);
void spool_destroy(struct spool *sp);	/* closes the copy (which frees it) unless taken; NULL is fine */

#endif
