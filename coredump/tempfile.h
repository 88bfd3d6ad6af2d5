/*
 * tempfile.h - an unnamed temporary file: nothing on disk has its name, so no
 * exit (an error, SIGINT, SIGTERM, even SIGKILL) can leave it behind, and its
 * blocks are freed when the last descriptor closes.
 */
#ifndef COREKIT_TEMPFILE_H
#define COREKIT_TEMPFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* $TMPDIR, or /tmp when unset or empty. */
const char *tempfile_dir(void);

/* A read-write, close-on-exec file of mode 0600 in dir with no name: *fd_ret. */
struct ck_error *tempfile_create(const char *dir, int *fd_ret);

/* Write buf at off, leaving each all-zero 4 KiB block of the file (blocks
 * aligned to file offsets, so any off works) a hole; the caller sets the size
 * with ftruncate. */
struct ck_error *tempfile_write_sparse(int fd, const uint8_t *buf, size_t len, off_t off);

#endif
