/* tempfile.c - unnamed temporary files (O_TMPFILE, or create + unlink with the signals blocked). */
#include "tempfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

enum { BLOCK = 4096 };	/* an all-zero block of this size becomes a hole */

static bool all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

static struct ck_error *pwrite_full(int fd, const uint8_t *p, size_t len, off_t off)
{
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ck_error_errno(n < 0 ? errno : ENOSPC, "write");
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return NULL;
}

/* Bytes from buf[i] (at file offset off + i) to the next block boundary of the file, at most len - i. */
static size_t to_boundary(size_t i, size_t len, off_t off)
{
	size_t n = BLOCK - (size_t)((uint64_t)(off + (off_t)i) % BLOCK);
	return len - i < n ? len - i : n;
}

struct ck_error *tempfile_write_sparse(int fd, const uint8_t *buf, size_t len, off_t off)
{
	size_t i = 0;
	while (i < len) {
		size_t n = to_boundary(i, len, off);
		if (all_zero(buf + i, n)) {
			i += n;
			continue;
		}
		size_t j = i + n;
		while (j < len) {
			size_t m = to_boundary(j, len, off);
			if (all_zero(buf + j, m))
				break;
			j += m;
		}
		struct ck_error *err = pwrite_full(fd, buf + i, j - i, off + (off_t)i);
		if (err)
			return err;
		i = j;
	}
	return NULL;
}
