/*
 * zdump_scan_int.h - what the zdump scanner's two files share (internal to
 * coredump/): zdump_scan.c reads the file, its printable runs and its
 * zlib/gzip streams; zdump_core.c finds where an ELF core ends and copies it
 * out of the file or out of a stream's inflated bytes.
 */
#ifndef COREKIT_ZDUMP_SCAN_INT_H
#define COREKIT_ZDUMP_SCAN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zlib.h>

#include "zdump_scan.h"

enum {
	ZDUMP_ELF_ID = 18,	/* e_ident + e_type: what identifies a core's header */
	ZDUMP_COPY = 1 << 20,	/* bytes per read and write when a core is copied */
};

/* A printable run in progress, one per origin (the file, or the stream being inflated). */
struct run {
	int stream;
	size_t pend;		/* bytes in buf while the run is shorter than ZDUMP_MIN_RUN */
	char buf[ZDUMP_MIN_RUN];
	uint64_t start;		/* offset of buf[0] */
	bool emitting;		/* the run reached ZDUMP_MIN_RUN: later bytes go straight to the sink */
	uint64_t *count;
};

/* An ELF core being copied out of a stream's inflated data. */
struct capture {
	int core;		/* index into scan->cores, -1: none */
	uint64_t len;		/* bytes written */
	uint64_t extent;	/* 0 until its headers are read */
};

/* What a stream's inflated bytes go through. */
struct stream_out {
	int k;
	uint64_t off;		/* inflated bytes so far */
	struct run run;
	struct capture cap;
	uint8_t tail[ZDUMP_ELF_ID - 1];	/* the previous block's last bytes: a header may straddle blocks */
	size_t ntail;
};

struct scanner {
	const char *name;
	int fd;
	uint64_t size;
	const struct zdump_limits *lim;
	zdump_text_fn text;
	void *arg;
	struct zdump_scan *s;
	z_stream z;
	bool z_ok;
	uint8_t *chunk;		/* the file's bytes being scanned */
	uint8_t *in, *out;	/* inflate's; out (ZDUMP_COPY bytes) also copies cores out of the file */
	uint64_t total_out;
	bool printable[256];
};

/* An ELF64 little-endian ET_CORE header's first ZDUMP_ELF_ID bytes? */
bool zdump_core_ident(const uint8_t *p);
/* Whole reads (short only at the end of the file); -1 with errno on error. */
ssize_t zdump_pread_full(int fd, uint8_t *buf, size_t len, uint64_t off);
/* 0 when all len bytes at off were read. */
int zdump_read_at(int fd, uint8_t *buf, size_t len, uint64_t off);
struct ck_error *zdump_read_error(const struct scanner *sc, uint64_t off);

/* The core whose header is at file offset off: copied out; *skip = its bytes in the file (0: not a core). */
struct ck_error *zdump_raw_core(struct scanner *sc, uint64_t off, uint64_t *skip);
/* A core's header at inflated offset off of stream so: its copy begins (so->cap.core -1: no room). */
struct ck_error *zdump_capture_begin(struct scanner *sc, struct stream_out *so, uint64_t off);
/* Copy up to n bytes into the open core; *used = how many it took (the rest follows the core). */
struct ck_error *zdump_capture_feed(struct scanner *sc, struct stream_out *so, const uint8_t *p, size_t n,
				    size_t *used);
/* The core is complete, or its stream ended: keep it, or drop what was not a core. */
void zdump_capture_end(struct scanner *sc, struct stream_out *so);

#endif
