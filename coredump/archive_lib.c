/* archive_lib.c - libarchive's functions through dlopen (archive_lib.h). */
#include "archive_lib.h"

#include <stddef.h>
#include <string.h>

#include "dynlib.h"

/* The SONAME of libarchive 3.x, whose headers this is built with. */
#define ARCHIVE_SONAME "libarchive.so.13"

#define FN(f, field) { #f, offsetof(struct archive_lib, field) }
static const struct dynlib_fn names[] = {
	FN(archive_read_new, read_new), FN(archive_read_free, read_free),
	FN(archive_read_support_filter_zstd, filter_zstd), FN(archive_read_support_filter_lz4, filter_lz4),
	FN(archive_read_support_filter_xz, filter_xz), FN(archive_read_support_filter_gzip, filter_gzip),
	FN(archive_read_support_filter_bzip2, filter_bzip2), FN(archive_read_support_format_raw, format_raw),
	FN(archive_read_open, read_open), FN(archive_read_next_header, next_header),
	FN(archive_read_data, read_data), FN(archive_filter_count, filter_count),
	FN(archive_filter_code, filter_code), FN(archive_filter_bytes, filter_bytes),
	FN(archive_error_string, error_string), FN(archive_set_error, set_error),
};
#undef FN

struct ck_error *archive_lib_open(struct archive_lib *lib, const char *purpose)
{
	memset(lib, 0, sizeof(*lib));
	return dynlib_open(ARCHIVE_SONAME, purpose, names, sizeof(names) / sizeof(names[0]), lib, &lib->handle);
}

void archive_lib_close(struct archive_lib *lib)
{
	dynlib_close(lib->handle);
	memset(lib, 0, sizeof(*lib));
}
