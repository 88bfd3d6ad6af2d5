/* outfile.c - atomic output files: temporary in the destination directory + rename. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ck_error *outfile_open(struct outfile *o, const char *path, int force)
{
	*o = (struct outfile){ .fd = -1, .force = force };
	struct stat st;
	if (!force && lstat(path, &st) == 0)
		return ck_error_create(CK_ERR_USAGE, "%s: already exists (use --force to overwrite)", path);
	if (force && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return ck_error_create(CK_ERR_USAGE, "%s: is a directory", path);
	char *d = strdup(path), *b = strdup(path);
	o->path = strdup(path);
	if (!d || !b || !o->path) {
		free(d);
		free(b);
		free(o->path);
		o->path = NULL;
		return &ck_enomem;
	}
	int n = asprintf(&o->tmp, "%s/.%s.XXXXXX", dirname(d), basename(b));
	free(d);
	free(b);
	if (n < 0) {
		o->tmp = NULL;
		free(o->path);
		o->path = NULL;
		return &ck_enomem;
	}
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		struct ck_error *err = ck_error_errno(errno, "%s: cannot create a temporary file next to it", path);
		free(o->tmp);
		free(o->path);
		*o = (struct outfile){ .fd = -1 };
		return err;
	}
	return NULL;
}

void outfile_abort(struct outfile *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	*o = (struct outfile){ .fd = -1 };
}

struct ck_error *outfile_commit(struct outfile *o)
{
	struct ck_error *err = NULL;
	int fd = o->fd, tmp_gone = 0;
	o->fd = -1;
	if (close(fd) < 0) {
		err = ck_error_errno(errno, "%s: writing", o->path);
	} else if (o->force) {
		if (rename(o->tmp, o->path) < 0)
			err = ck_error_errno(errno, "%s: cannot rename %s into place", o->path, o->tmp);
		tmp_gone = !err;
	} else if (renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->path, RENAME_NOREPLACE) == 0) {
		tmp_gone = 1;
	} else if (errno != EINVAL || link(o->tmp, o->path) < 0) {
		/* EINVAL: no RENAME_NOREPLACE on this filesystem; link() refuses to replace too. */
		if (errno == EEXIST)
			err = ck_error_create(CK_ERR_USAGE, "%s: appeared while writing; not overwritten"
					      " (use --force)", o->path);
		else
			err = ck_error_errno(errno, "%s: cannot rename %s into place", o->path, o->tmp);
	}
	if (tmp_gone) {
		free(o->tmp);
		o->tmp = NULL;
	}
	outfile_abort(o);	/* unlinks the temporary unless it was renamed */
	return err;
}
