/* outfile.c - safe output files: input and file-type checks, temporary + rename, signals. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *file_type(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

struct ck_error *outfile_check(const char *path, const struct outfile_rules *rules)
{
	struct stat out, lst;
	if (lstat(path, &lst) != 0)
		return NULL;	/* nothing there: a new file */
	if (stat(path, &out) != 0)	/* a dangling symlink: rename replaces the link itself */
		return rules->force ? NULL
				    : ck_error_create(CK_ERR_USAGE, "%s: already exists (use --force to overwrite)", path);
	for (size_t i = 0; i < rules->ninputs; i++) {
		struct stat in;
		if (rules->inputs[i] && stat(rules->inputs[i], &in) == 0 &&
		    in.st_dev == out.st_dev && in.st_ino == out.st_ino)
			return ck_error_create(CK_ERR_USAGE, "%s: is the input %s; refusing to overwrite an input",
					       path, rules->inputs[i]);
	}
	if (!S_ISREG(out.st_mode))
		return ck_error_create(CK_ERR_USAGE, "%s: is %s; only regular files are written or replaced",
				       path, file_type(out.st_mode));
	if (!rules->force)
		return ck_error_create(CK_ERR_USAGE, "%s: already exists (use --force to overwrite)", path);
	return NULL;
}

static void term_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGPIPE);
}

static void unguard(struct outfile *o)
{
	if (o->old_mask)
		sigprocmask(SIG_SETMASK, o->old_mask, NULL);
	free(o->old_mask);
	o->old_mask = NULL;
}

/* The rules, the names (destination and temporary pattern), then the signals blocked: what open and adopt share. */
static struct ck_error *prepare(struct outfile *o, const char *path, const struct outfile_rules *rules)
{
	*o = (struct outfile){ .fd = -1, .force = rules->force };
	struct ck_error *err = outfile_check(path, rules);
	if (err)
		return err;
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
	/* Block the termination signals before the temporary exists, so none can leave it behind. */
	sigset_t set;
	term_signals(&set);
	if (!(o->old_mask = malloc(sizeof(sigset_t)))) {
		free(o->tmp);
		free(o->path);
		*o = (struct outfile){ .fd = -1 };
		return &ck_enomem;
	}
	if (sigprocmask(SIG_BLOCK, &set, o->old_mask) != 0) {
		free(o->old_mask);
		o->old_mask = NULL;
	}
	return NULL;
}

/* Undo prepare() after the temporary could not be made. */
static struct ck_error *unprepare(struct outfile *o, struct ck_error *err)
{
	unguard(o);
	free(o->tmp);
	free(o->path);
	*o = (struct outfile){ .fd = -1 };
	return err;
}

struct ck_error *outfile_open(struct outfile *o, const char *path, const struct outfile_rules *rules)
{
	struct ck_error *err = prepare(o, path, rules);
	if (err)
		return err;
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0)
		return unprepare(o, ck_error_errno(errno, "%s: cannot create a temporary file next to it", path));
	return NULL;
}

struct ck_error *outfile_adopt(struct outfile *o, const char *path, const struct outfile_rules *rules, int fd)
{
	struct ck_error *err = prepare(o, path, rules);
	if (err)
		return err;
	char from[32];
	snprintf(from, sizeof(from), "/proc/self/fd/%d", fd);
	size_t n = strlen(o->tmp);
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	for (int tries = 0;; tries++) {
		uint8_t r[6];
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			for (size_t i = 0; i < sizeof(r); i++)
				r[i] = (uint8_t)(rand() ^ getpid() ^ tries);
		for (size_t i = 0; i < 6; i++)
			o->tmp[n - 6 + i] = chars[r[i] % (sizeof(chars) - 1)];
		if (linkat(AT_FDCWD, from, AT_FDCWD, o->tmp, AT_SYMLINK_FOLLOW) == 0)
			break;
		if (errno != EEXIST || tries == 100)
			return unprepare(o, ck_error_errno(errno, "%s: cannot give its data a name next to it", path));
	}
	if ((o->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		err = ck_error_errno(errno, "%s: dup", path);
		unlink(o->tmp);
		return unprepare(o, err);
	}
	return NULL;
}

struct ck_error *outfile_poll(struct outfile *o)
{
	if (!o->old_mask)
		return NULL;
	sigset_t set;
	term_signals(&set);
	siginfo_t info;
	int sig = sigtimedwait(&set, &info, &(struct timespec){ 0, 0 });
	if (sig <= 0)
		return NULL;
	const char *name = sigabbrev_np(sig);
	struct ck_error *err = ck_error_create(CK_ERR_SIGNAL, "interrupted by SIG%s; %s not written",
					       name ? name : "?", o->path);
	if (err != &ck_enomem)
		err->errnum = sig;
	return err;
}

void outfile_abort(struct outfile *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp)
		unlink(o->tmp);
	unguard(o);	/* after the unlink: a signal now finds nothing to leave behind */
	free(o->tmp);
	free(o->path);
	*o = (struct outfile){ .fd = -1 };
}

struct ck_error *outfile_commit(struct outfile *o)
{
	struct ck_error *err = outfile_poll(o);
	int fd = o->fd, tmp_gone = 0;
	o->fd = -1;
	if (close(fd) < 0 && !err) {
		err = ck_error_errno(errno, "%s: writing", o->path);
	} else if (err) {
		/* interrupted: fall through to the abort */
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
	if (!err) {
		/* The output is complete: a signal from now on must not turn the run
		 * into a "killed" one with its output in place, so the termination
		 * signals stay blocked (and are discarded at exit). */
		free(o->old_mask);
		o->old_mask = NULL;
	}
	outfile_abort(o);	/* unlinks the temporary unless it was renamed */
	return err;
}
