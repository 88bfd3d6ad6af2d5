/*
 * input_unpack.h - decompress one file through libarchive's raw-stream
 * filters (input.h decides by magic that it is compressed, and which way).
 *
 *   unpack_begin()    open the stream, check that libarchive's filter agrees
 *   unpack_head()     the first bytes of the content, to classify it
 *   unpack_to_temp()  all of it (head included) into a new sparse, already
 *                     unlinked temporary file in $TMPDIR
 *
 * Errors in the compressed data are CK_ERR_INPUT naming the file, how far it
 * had been read and what the decompressor said; gzip data is also checked
 * against its trailer's CRC-32 and size, which libarchive does not verify.
 */
#ifndef COREKIT_INPUT_UNPACK_H
#define COREKIT_INPUT_UNPACK_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "input.h"

struct unpack;

/* path: for messages; fd: the compressed file (read from offset 0, not closed here). */
struct ck_error *unpack_begin(const char *path, int fd, enum input_compression c, struct unpack **ret);
/* Up to len bytes from the start of the content; *got < len only at its end.  Once, before unpack_to_temp.
 * On an error in the data, *got is what came before it. */
struct ck_error *unpack_head(struct unpack *u, uint8_t *buf, size_t len, size_t *got);
/* The whole content into a temporary in tmpdir; *fd_ret is read-write, already unlinked. */
struct ck_error *unpack_to_temp(struct unpack *u, const char *tmpdir, int *fd_ret);
void unpack_end(struct unpack *u);

#endif
