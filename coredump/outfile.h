/*
 * outfile.h - write an output file atomically: a temporary file in the
 * destination's directory, renamed over the destination on success and
 * unlinked on failure, so a reader never sees a half-written file and a
 * failed run leaves nothing behind.
 *
 *   struct outfile o;
 *   err = outfile_open(&o, path, force);    // refuses an existing path unless force
 *   ... pwrite(o.fd, ...) ...
 *   err = outfile_commit(&o);               // or outfile_abort(&o) on any error
 *
 * Without force the final rename refuses to replace a file that appeared in
 * the meantime (renameat2 RENAME_NOREPLACE).  The file is created mode 0600
 * (guest memory is sensitive).  A process killed mid-write leaves its
 * ".NAME.XXXXXX" temporary behind; nothing else does.
 */
#ifndef COREKIT_OUTFILE_H
#define COREKIT_OUTFILE_H

#include "error.h"

struct outfile {
	char *path;	/* destination */
	char *tmp;	/* temporary name, NULL once committed or aborted */
	int fd;
	int force;
};

struct ck_error *outfile_open(struct outfile *o, const char *path, int force);
/* Close, rename into place.  On error the temporary is removed; o is finished either way. */
struct ck_error *outfile_commit(struct outfile *o);
/* Close and remove the temporary; safe after a failed open or a commit. */
void outfile_abort(struct outfile *o);

#endif
