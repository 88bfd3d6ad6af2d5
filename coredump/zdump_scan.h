/*
 * zdump_scan.h - best-effort triage of an ESXi zdump (vmkernel-zdump.N,
 * vmx-zdump.NNN, NAME-zdump.NNN) by content, without knowing its layout.
 *
 * No public specification of the zdump container exists (fact sheet
 * esxi-zdump-and-logs.md 1.5): no magic, header or block table is known, so
 * nothing here decodes one.  What is public and what this does with it:
 *   - an encrypted zdump keeps a 4096-byte plain header and then ESXi's crypto
 *     envelope ("DataTransformEnvelope", version u32 at envelope+508): told,
 *     and the ciphertext after it is not scanned;
 *   - dump data is gzip/deflate compressed: every zlib (78 01/5e/9c/da) and
 *     gzip (1f 8b 08) header in the file is tried with zlib's inflate, within
 *     caps; a header that inflates to nothing is not a stream;
 *   - the vmkernel log may be stored as plain text: printable runs (at least
 *     ZDUMP_MIN_RUN bytes of printable ASCII, white space and ESC, the PSOD's
 *     colour escapes; `strings -a -w -n 32` without ESC) of the file and of
 *     every inflated stream go to the caller's text sink;
 *   - user-world cores are standard ELF cores: an ELF64 ET_CORE header in the
 *     file or in an inflated stream is copied, as far as its own program and
 *     section headers say it reaches, into an unnamed sparse temporary file.
 * One level only: streams inside inflated streams are not looked for.
 *
 * Memory is bounded (about 2 MiB of buffers plus zlib's window), whatever the
 * file's size; the file is read once front to back (plus each stream's
 * compressed bytes once more when it is inflated) and never written.
 */
#ifndef COREKIT_ZDUMP_SCAN_H
#define COREKIT_ZDUMP_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum {
	ZDUMP_MIN_RUN = 32,		/* printable bytes in a row that count as text */
	ZDUMP_MAX_STREAMS = 4096,	/* listed; more are counted in streams_dropped */
	ZDUMP_MAX_CORES = 16,		/* extracted; more are counted in cores_dropped */
	ZDUMP_MAX_CANDIDATES = 1 << 20,	/* stream headers tried at most */
	ZDUMP_ENVELOPE_OFF = 4096,	/* where an encrypted zdump's envelope starts */
};

struct zdump_limits {
	uint64_t stream_out;		/* bytes inflated from one stream (default 256 MiB) */
	uint64_t total_out;		/* from all streams together (default 1 GiB) */
	uint64_t core_bytes;		/* bytes of one extracted core (default 4 GiB) */
};

/* How a stream's inflation ended. */
enum zdump_end {
	ZDUMP_COMPLETE,			/* its end marker and checksum */
	ZDUMP_TRUNCATED,		/* the file ends inside it */
	ZDUMP_BAD_DATA,			/* inflate found an error (after some output) */
	ZDUMP_CAPPED,			/* stopped at limits.stream_out or total_out */
};
const char *zdump_end_name(enum zdump_end e);	/* "complete", "truncated", "bad-data", "capped" */

struct zdump_stream {
	uint64_t offset;		/* of its header in the file */
	bool gzip;			/* else zlib */
	uint64_t in_bytes;		/* compressed bytes read (the whole stream when complete) */
	uint64_t out_bytes;		/* inflated bytes */
	enum zdump_end end;
	uint64_t text_bytes;		/* printable-run bytes handed to the sink */
};

struct zdump_core {
	int stream;			/* -1: in the file itself, else the stream's index */
	uint64_t offset;		/* in the file, or in the stream's inflated data */
	uint64_t size;			/* bytes extracted into fd */
	uint64_t elf_size;		/* the extent its headers give (size < elf_size: cut short) */
	int fd;				/* the unnamed temporary holding it */
};

struct zdump_scan {
	uint64_t size;			/* of the file */
	bool encrypted;
	uint32_t envelope_version;	/* 0 unknown */
	struct zdump_stream *streams;
	size_t nstreams, streams_dropped;
	struct zdump_core *cores;
	size_t ncores, cores_dropped;
	uint64_t candidates;		/* stream headers tried */
	bool out_capped;		/* total_out reached: later headers were not tried */
	uint64_t text_bytes;		/* printable-run bytes of the file itself */
};

/*
 * The text sink: a piece of a printable run.  stream -1: of the file (off is
 * a file offset), else of that stream's inflated data (off is an offset in
 * it); first: the piece starts a run (else it continues the previous piece of
 * the same origin).  An error stops the scan and is returned.
 */
typedef struct ck_error *(*zdump_text_fn)(void *arg, int stream, uint64_t off, const char *p, size_t n, bool first);

/*
 * Scan fd (name: for messages); lim NULL: the defaults.  Temporaries for
 * cores go to tempfile_dir().  Read errors and a full $TMPDIR are
 * CK_ERR_SYSTEM; content is never an error (what was found is the result).
 */
struct ck_error *zdump_scan_file(const char *name, int fd, const struct zdump_limits *lim, zdump_text_fn text,
				 void *arg, struct zdump_scan **ret);
void zdump_scan_destroy(struct zdump_scan *s);	/* closes the cores' temporaries; NULL is fine */

/*
 * The extent of the ELF64 core whose header is at base in fd (the furthest
 * end of its ELF header, program headers, section headers and segments'
 * file data), reading no further than base + avail: 1 and *extent, 0 when
 * the headers reach past avail (read more first), -1 when they are not those
 * of an ELF64 little-endian core (PN_XNUM counts are followed).
 */
int zdump_elf_extent(int fd, uint64_t base, uint64_t avail, uint64_t *extent);

#endif
