/* format.c - the table of input formats, machine_probe() and machine_open(). */
#include "format.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"

/* Probe order: most specific magic first; the ELF reader claims any ET_CORE. */
static const struct machine_format *const machine_formats[] = {
	&vmss_format,
	&guestdump_format,
	&elfcore_format,
	&kdump_format,
};

const struct machine_format *machine_format_claim(const char *name, const uint8_t *head, size_t len)
{
	for (size_t i = 0; i < sizeof(machine_formats) / sizeof(machine_formats[0]); i++)
		if (machine_formats[i] && machine_formats[i]->probe(name, head, len))
			return machine_formats[i];
	return NULL;
}

struct ck_error *machine_probe(const char *path, const struct machine_format **fmt_ret)
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
	uint8_t head[FORMAT_PROBE_BYTES];
	ssize_t n;
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	struct ck_error *err = n < 0 ? ck_error_errno(errno, "%s: read", path) : NULL;
	*fmt_ret = NULL;
	if (!err && input_compression_of(head, (size_t)n) == INPUT_PLAIN)
		*fmt_ret = input_classify(path, fd, head, (size_t)n).format;
	close(fd);
	return err;
}

struct ck_error *machine_open(const char *path, const char *companion, struct machine *m,
			      const struct machine_format **fmt_ret)
{
	struct input in;
	struct ck_error *err = input_open(path, &in);
	if (err)
		return err;
	const struct machine_format *f = in.cls.format;
	if (in.cls.kind == INPUT_TAR || !f)
		err = input_unsupported(&in, "a VMware checkpoint (.vmss/.vmsn), debug.guest, ELF core or"
					" kdump-compressed file");
	else if (!(err = f->open(in.path, companion, m))) {
		/* the readers' own descriptors keep a decompressed copy alive after input_close() */
		err = machine_rename_file(m, in.path, in.name);
		if (!err && fmt_ret)
			*fmt_ret = f;
	}
	err = input_error(&in, err);
	input_close(&in);
	return err;
}
