/*
 * tempfile.h - an unnamed temporary file: nothing on disk has its name, so no
 * exit (an error, SIGINT, SIGTERM, even SIGKILL) can leave it behind, and its
 * blocks are freed when the last descriptor closes.
 */
#ifndef COREKIT_TEMPFILE_H
#define COREKIT_TEMPFILE_H

#include "error.h"

/* $TMPDIR, or /tmp when unset or empty. */
const char *tempfile_dir(void);

/* A read-write, close-on-exec file of mode 0600 in dir with no name: *fd_ret. */
struct ck_error *tempfile_create(const char *dir, int *fd_ret);

#endif
