/* tempfile.c - unnamed temporary files (O_TMPFILE, or create + unlink with the signals blocked). */
#include "tempfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *tempfile_dir(void)
{
	const char *d = getenv("TMPDIR");
	return d && *d ? d : "/tmp";
}

/*
 * O_TMPFILE, or where the filesystem lacks it a named file unlinked at once.
 * In that window SIGINT, SIGTERM, SIGHUP and SIGPIPE are blocked (outfile.c's
 * rule: no signal may leave a temporary behind); one sent meanwhile is
 * delivered when the mask is restored, with nothing left on disk.
 */
struct ck_error *tempfile_create(const char *dir, int *fd_ret)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		char *tmpl = NULL;
		if (asprintf(&tmpl, "%s/corekit-XXXXXX", dir) < 0)
			return &ck_enomem;
		sigset_t set, old;
		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGHUP);
		sigaddset(&set, SIGPIPE);
		bool blocked = sigprocmask(SIG_BLOCK, &set, &old) == 0;
		fd = mkostemp(tmpl, O_CLOEXEC);
		int e = errno;
		if (fd >= 0)
			unlink(tmpl);
		if (blocked)
			sigprocmask(SIG_SETMASK, &old, NULL);
		free(tmpl);
		errno = e;
	}
	if (fd < 0)
		return ck_error_errno(errno, "cannot create a temporary file in %s (set TMPDIR)", dir);
	*fd_ret = fd;
	return NULL;
}
