/* format.c - the table of input formats and machine_open(). */
#include "format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Probe order: most specific magic first; the ELF reader claims any ET_CORE. */
static const struct machine_format *const machine_formats[] = {
	&vmss_format,
	&guestdump_format,
	&elfcore_format,
	&kdump_format,
};

static struct ck_error *read_head(const char *path, uint8_t *head, size_t *len_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ck_error_create(errno == ENOENT ? CK_ERR_INPUT : CK_ERR_SYSTEM,
				       "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		return ck_error_create(CK_ERR_INPUT, "%s: not a regular file", path);
	}
	size_t got = 0;
	while (got < FORMAT_PROBE_BYTES) {
		ssize_t n = read(fd, head + got, FORMAT_PROBE_BYTES - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			struct ck_error *err = ck_error_errno(errno, "%s: read", path);
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*len_ret = got;
	return NULL;
}

struct ck_error *machine_probe(const char *path, const struct machine_format **fmt_ret)
{
	uint8_t head[FORMAT_PROBE_BYTES];
	size_t len = 0;
	struct ck_error *err = read_head(path, head, &len);
	if (err)
		return err;
	*fmt_ret = NULL;
	for (size_t i = 0; i < sizeof(machine_formats) / sizeof(machine_formats[0]); i++)
		if (machine_formats[i] && machine_formats[i]->probe(path, head, len)) {
			*fmt_ret = machine_formats[i];
			break;
		}
	return NULL;
}

struct ck_error *machine_open(const char *path, const char *companion, struct machine *m,
			      const struct machine_format **fmt_ret)
{
	uint8_t head[FORMAT_PROBE_BYTES];
	size_t len = 0;
	struct ck_error *err = read_head(path, head, &len);
	if (err)
		return err;
	for (size_t i = 0; i < sizeof(machine_formats) / sizeof(machine_formats[0]); i++) {
		const struct machine_format *f = machine_formats[i];
		if (!f || !f->probe(path, head, len))
			continue;
		if ((err = f->open(path, companion, m)))
			return err;
		if (fmt_ret)
			*fmt_ret = f;
		return NULL;
	}
	return ck_error_create(CK_ERR_INPUT, "%s: not a VMware checkpoint (.vmss/.vmsn), debug.guest,"
			       " ELF core or kdump-compressed file", path);
}
