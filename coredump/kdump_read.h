/*
 * kdump_read.h - makedumpfile's kdump-compressed dumps ("KDUMP   " diskdump
 * files, the usual /var/crash/.../vmcore) and their flattened stream form
 * (makedumpfile -F), read through libkdumpfile.  The machine_format is
 * kdump_format (format.h); this header is the flattened-stream rebuild it uses.
 *
 * Flattened form (all integers big-endian):
 *   0      "makedumpfile" NUL-padded to 16 bytes, i64 type (1), i64 version (1),
 *          zero padding to 4096 bytes
 *   4096   records: i64 offset, i64 size, then size bytes that belong at
 *          offset of the plain file; a record with offset -1 ends the stream.
 */
#ifndef COREKIT_KDUMP_READ_H
#define COREKIT_KDUMP_READ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define KDUMP_SIGNATURE "KDUMP   "		/* 8 bytes, no NUL */
#define KDUMP_FLAT_SIGNATURE "makedumpfile"	/* NUL-padded to 16 bytes */
enum { KDUMP_FLAT_HEADER_SIZE = 4096, KDUMP_FLAT_SIG_LEN = 16 };

/* Does head (the file's first headlen bytes) start a flattened stream? */
int kdump_flat_probe(const uint8_t *head, size_t headlen);

/*
 * Rebuild the plain dump from the flattened stream in_fd (in_size bytes,
 * named path in messages) into an anonymous temporary file in $TMPDIR (or
 * /tmp): unlinked as soon as it exists, so nothing is left behind whatever
 * happens; *out_fd (the caller closes it) is open read-write.  Memory use is
 * one copy buffer.  A record that is malformed, runs past the stream or
 * places data beyond any plausible dump size is CK_ERR_INPUT naming path and
 * the record's offset; no space in $TMPDIR is CK_ERR_SYSTEM.
 */
struct ck_error *kdump_flat_rebuild(const char *path, int in_fd, off_t in_size, int *out_fd);

#endif
