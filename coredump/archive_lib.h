/*
 * archive_lib.h - the libarchive functions corekit calls, loaded with dlopen
 * when a run first needs them (dynlib.h), not at start-up: libarchive brings
 * libxml2, ICU and libstdc++ with it, and only compressed inputs use it.
 *
 * Call through the table (`lib.read_new()`); the pointers have the types of
 * libarchive's own prototypes, so <archive.h> still checks every call.  A
 * reader that needs another libarchive function adds it here, to the struct
 * and to the name table in archive_lib.c.
 */
#ifndef COREKIT_ARCHIVE_LIB_H
#define COREKIT_ARCHIVE_LIB_H

#include <archive.h>
#include <archive_entry.h>

#include "error.h"

struct archive_lib {
	void *handle;		/* dlopen handle; NULL when not loaded */
	__typeof__(archive_read_new) *read_new;
	__typeof__(archive_read_free) *read_free;
	__typeof__(archive_read_support_filter_zstd) *filter_zstd;
	__typeof__(archive_read_support_filter_lz4) *filter_lz4;
	__typeof__(archive_read_support_filter_xz) *filter_xz;
	__typeof__(archive_read_support_filter_gzip) *filter_gzip;
	__typeof__(archive_read_support_filter_bzip2) *filter_bzip2;
	__typeof__(archive_read_support_format_raw) *format_raw;
	__typeof__(archive_read_open) *read_open;
	__typeof__(archive_read_next_header) *next_header;
	__typeof__(archive_read_data) *read_data;
	__typeof__(archive_filter_count) *filter_count;
	__typeof__(archive_filter_code) *filter_code;
	__typeof__(archive_filter_bytes) *filter_bytes;
	__typeof__(archive_error_string) *error_string;
	__typeof__(archive_set_error) *set_error;
	/* bundles (bundle_walk.c): archive formats, seekable opens, members */
	__typeof__(archive_read_support_filter_lzma) *filter_lzma;
	__typeof__(archive_read_support_format_tar) *format_tar;
	__typeof__(archive_read_support_format_zip) *format_zip;
	__typeof__(archive_read_support_format_cpio) *format_cpio;
	__typeof__(archive_read_support_format_7zip) *format_7zip;
	__typeof__(archive_read_set_read_callback) *set_read_callback;
	__typeof__(archive_read_set_seek_callback) *set_seek_callback;
	__typeof__(archive_read_set_skip_callback) *set_skip_callback;
	__typeof__(archive_read_set_callback_data) *set_callback_data;
	__typeof__(archive_read_open1) *read_open1;
	__typeof__(archive_read_data_block) *read_data_block;
	__typeof__(archive_entry_pathname) *entry_pathname;
	__typeof__(archive_entry_hardlink) *entry_hardlink;
	__typeof__(archive_entry_symlink) *entry_symlink;
	__typeof__(archive_entry_filetype) *entry_filetype;
	__typeof__(archive_entry_size_is_set) *entry_size_is_set;
	__typeof__(archive_entry_size) *entry_size;
	__typeof__(archive_entry_mtime_is_set) *entry_mtime_is_set;
	__typeof__(archive_entry_mtime) *entry_mtime;
};

/* Load libarchive; purpose says what for in the error ("zstd-compressed input"):
 * "libarchive.so.13 (needed for PURPOSE) cannot be loaded: ...", CK_ERR_SYSTEM. */
struct ck_error *archive_lib_open(struct archive_lib *lib, const char *purpose);

/* Unload; a table never loaded (all zero) is fine. */
void archive_lib_close(struct archive_lib *lib);

#endif
