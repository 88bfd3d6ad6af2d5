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
};

/* Load libarchive; purpose says what for in the error ("zstd-compressed input"):
 * "libarchive.so.13 (needed for PURPOSE) cannot be loaded: ...", CK_ERR_SYSTEM. */
struct ck_error *archive_lib_open(struct archive_lib *lib, const char *purpose);

/* Unload; a table never loaded (all zero) is fine. */
void archive_lib_close(struct archive_lib *lib);

#endif
