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
	FN(archive_read_support_filter_lzma, filter_lzma), FN(archive_read_support_format_tar, format_tar),
	FN(archive_read_support_format_zip, format_zip), FN(archive_read_support_format_cpio, format_cpio),
	FN(archive_read_support_format_7zip, format_7zip), FN(archive_read_set_read_callback, set_read_callback),
	FN(archive_read_set_seek_callback, set_seek_callback), FN(archive_read_set_skip_callback, set_skip_callback),
	FN(archive_read_set_callback_data, set_callback_data), FN(archive_read_open1, read_open1),
	FN(archive_read_data_block, read_data_block), FN(archive_entry_pathname, entry_pathname),
	FN(archive_entry_hardlink, entry_hardlink), FN(archive_entry_symlink, entry_symlink),
	FN(archive_entry_filetype, entry_filetype), FN(archive_entry_size_is_set, entry_size_is_set),
	FN(archive_entry_size, entry_size), FN(archive_entry_mtime_is_set, entry_mtime_is_set),
	FN(archive_entry_mtime, entry_mtime),
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
