/*
 * target_zdump.h - an ESXi zdump as a target (kind TARGET_ZDUMP): what the
 * scan of its content found (coredump/zdump_scan.h), the readable text carved
 * from it, and, when it holds an ELF core, that core as a process core: the
 * target then also has kind TARGET_PROCESS_CORE and its threads, memory and
 * symbols are the core's, so the process analyzers run on it unchanged.
 */
#ifndef COREKIT_TARGET_ZDUMP_H
#define COREKIT_TARGET_ZDUMP_H

#include <stddef.h>
#include <stdint.h>

#include "input.h"
#include "target.h"
#include "zdump_scan.h"

enum { ZDUMP_TEXT_CAP = 64 << 20 };	/* bytes of carved text kept, all origins together */

/* One printable run of a text: where it starts in the text and in its origin, its length. */
struct zdump_run {
	size_t at, len;
	uint64_t off;
};

/* The carved text of one origin: the file itself (stream -1) or one inflated stream. */
struct zdump_text {
	int stream;
	char *buf;		/* the runs in order, each ended by '\n' */
	size_t len, cap;
	struct zdump_run *runs;
	size_t nruns, runcap;
};

struct zdump_info {
	enum input_zdump_name name_kind;
	char world[64];		/* NAME of NAME-zdump.NNN, "" if none */
	struct zdump_scan *scan;
	struct zdump_text *texts;	/* [0]: the file's own; then one per stream that had text */
	size_t ntexts;
	uint64_t text_dropped;	/* bytes past ZDUMP_TEXT_CAP, not kept */
	int core;		/* index into scan->cores of the core analysed, -1 none */
	char *core_error;	/* why the first core could not be opened as a process core, NULL */
};

/* Scan path (name: the user's path, for messages) and open its first ELF core, if any. */
struct ck_error *target_zdump_open(const char *path, const char *name, const struct target_core_options *opt,
				   struct target **ret);

/* The zdump facts of a TARGET_ZDUMP target (NULL for any other). */
const struct zdump_info *target_zdump_info(const struct target *t);

#endif
