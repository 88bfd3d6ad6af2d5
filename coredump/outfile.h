/*
 * outfile.h - write an output file without ever losing a user's file: a
 * temporary file in the destination's directory, renamed over the destination
 * on success and unlinked on failure or interruption, so a reader never sees
 * a half-written file and a failed run leaves nothing behind.
 *
 *   struct outfile o;
 *   const char *inputs[] = { "guest.vmss", "guest.vmem" };
 *   struct outfile_rules rules = { .force = force, .inputs = inputs, .ninputs = 2 };
 *   err = outfile_open(&o, path, &rules);
 *   ... pwrite(o.fd, ...); err = outfile_poll(&o); ...   // poll: was a signal sent?
 *   err = outfile_commit(&o);                            // or outfile_abort(&o)
 *
 * The rules (outfile_check, also callable up front to fail fast):
 *   - an output that is any input (same device and inode, through links too)
 *     is refused (CK_ERR_USAGE), with force or without;
 *   - an existing output that is not a regular file (device, FIFO, socket,
 *     directory) is refused: only regular files are ever replaced;
 *   - an existing regular file is replaced only with force.
 * Without force the final rename also refuses a file that appeared in the
 * meantime (renameat2 RENAME_NOREPLACE).  The file is created mode 0600
 * (guest memory is sensitive).
 *
 * Interruption: from open to commit/abort, SIGINT, SIGTERM, SIGHUP and SIGPIPE
 * are blocked (the mask is saved in the outfile, no global state) and
 * outfile_poll() / outfile_commit() take a pending one as a CK_ERR_SIGNAL
 * error (exit status 128 + signal) after which the caller aborts: the
 * temporary file is removed and the destination is untouched.  Callers poll
 * between chunks of work.  Only SIGKILL leaves the temporary behind.  After a
 * successful commit the signals stay blocked: the run's work is done, and a
 * late signal would only make a complete run look killed (callers exit soon
 * after; pending signals are discarded at exit).
 */
#ifndef COREKIT_OUTFILE_H
#define COREKIT_OUTFILE_H

#include <stddef.h>

#include "error.h"

struct outfile_rules {
	int force;			/* replace an existing regular file */
	const char *const *inputs;	/* paths that must never be written (NULL entries skipped) */
	size_t ninputs;
};

struct outfile {
	char *path;	/* destination */
	char *tmp;	/* temporary name, NULL once committed or aborted */
	int fd;
	int force;
	/* The signal mask to restore (a sigset_t; kept opaque so that this header does
	 * not pull <signal.h> and its REG_* names into every user); NULL if unchanged. */
	void *old_mask;
};

/* May path be written under rules?  NULL if yes; a CK_ERR_USAGE error saying why not. */
struct ck_error *outfile_check(const char *path, const struct outfile_rules *rules);

struct ck_error *outfile_open(struct outfile *o, const char *path, const struct outfile_rules *rules);
/*
 * Like outfile_open, but the data is already written: fd is an unnamed file
 * (O_TMPFILE, tempfile.h) in path's directory, which gets the temporary's
 * name now (linkat through /proc/self/fd) and becomes the output at commit.
 * fd stays the caller's (o works on a duplicate).  CK_ERR_SYSTEM when the
 * file cannot be linked there (another filesystem, no O_TMPFILE): the caller
 * then writes a new file with outfile_open instead.
 */
struct ck_error *outfile_adopt(struct outfile *o, const char *path, const struct outfile_rules *rules, int fd);
/* A pending SIGINT/SIGTERM/SIGHUP/SIGPIPE as a CK_ERR_SIGNAL error, else NULL. */
struct ck_error *outfile_poll(struct outfile *o);
/* Close, rename into place.  On error the temporary is removed; o is finished either way. */
struct ck_error *outfile_commit(struct outfile *o);
/* Close and remove the temporary; safe after a failed open or a commit. */
void outfile_abort(struct outfile *o);

#endif
