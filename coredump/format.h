/*
 * format.h - input formats that produce a struct machine.
 *
 * Each reader is one ops struct, listed once in machine_formats[] (format.c).
 * Adding a format = one new file exporting a `const struct machine_format`
 * plus one line in that table.
 *
 * probe() looks only at the first bytes (and the name, for formats without a
 * magic): it says "not mine"
 * (*mine_ret = 0) or "mine" (1) and never fails on malformed content; open()
 * then reports malformed content as a CK_ERR_INPUT error naming the file,
 * the offset and what was wrong.
 */
#ifndef COREKIT_FORMAT_H
#define COREKIT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "machine.h"

enum { FORMAT_PROBE_BYTES = 4096 };

struct machine_format {
	const char *name;	/* "vmss", "debug.guest", "elf", "kdump" */
	/* head: the first min(file size, FORMAT_PROBE_BYTES) bytes of path. */
	int (*probe)(const char *path, const uint8_t *head, size_t headlen);
	/*
	 * Fill the (machine_init'ed) m from path.  companion: the memory file
	 * named on the command line (.vmem), or NULL to find it by name.
	 * On error m may be partly filled; the caller machine_deinit()s it.
	 */
	struct ck_error *(*open)(const char *path, const char *companion, struct machine *m);
};

extern const struct machine_format vmss_format;		/* vmss2core/cpt_format.c */
extern const struct machine_format guestdump_format;	/* vmss2core/guestdump.c */
extern const struct machine_format elfcore_format;	/* coredump/elfcore_read.c */
extern const struct machine_format kdump_format;	/* coredump/kdump_read.c */

/*
 * The first format of the table whose probe claims (name, head), or NULL.
 * Only the input classifier (input.h) calls it: every decision about what a
 * file is goes through input_classify().
 */
const struct machine_format *machine_format_claim(const char *name, const uint8_t *head, size_t len);

/*
 * The format that claims path (probe only, nothing opened), or *fmt_ret =
 * NULL when none does; an error only when path cannot be read.  Callers that
 * try several readers use it to report the error of the format a file is.
 * A compressed file is not decompressed here: *fmt_ret = NULL (machine_open
 * decompresses it and then knows).
 */
struct ck_error *machine_probe(const char *path, const struct machine_format **fmt_ret);

/*
 * Classify path (input.h: a compressed file is decompressed into a temporary
 * first) and open it with the format that claims its content.  Messages and
 * m->files[].path name path, never the temporary.
 */
struct ck_error *machine_open(const char *path, const char *companion, struct machine *m,
			      const struct machine_format **fmt_ret);

#endif
