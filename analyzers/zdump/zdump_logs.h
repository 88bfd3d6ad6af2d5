/*
 * zdump_logs.h - the text carved from a zdump (target_zdump.h) as log files
 * for the log parsers (log_events.h), the same parsers `coresummary LOGFILE`
 * uses.  A zdump's printable text mixes log lines with every other string of
 * the dump, so each printable run is judged by itself: a run that reads as a
 * log (log_sniff) joins the other runs of its origin (the file, or one
 * inflated stream) read as the same format; other runs are left out.  Each
 * event gets the offset of its line in that origin.
 */
#ifndef COREKIT_ZDUMP_LOGS_H
#define COREKIT_ZDUMP_LOGS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "log_events.h"
#include "target_zdump.h"

struct zdump_logs {
	struct log_file **files;
	size_t n;
	uint64_t log_bytes;	/* carved bytes that were log runs */
};

/* The log files of z's texts; name: the zdump as the user named it (sources are "NAME: file text",
 * "NAME: zlib stream at 0xOFF").  *out is filled, and must be freed, even on error. */
struct ck_error *zdump_logs_read(const struct zdump_info *z, const char *name, struct zdump_logs *out);
void zdump_logs_free(struct zdump_logs *l);

#endif
