/*
 * analyzer.h - analyzer plugins and the one table that lists them.
 *
 * An analyzer reads a target (target.h) and fills the report (report.h).
 * It says which target kinds it applies to; analyzers_run() calls, in table
 * order, every analyzer that applies and is enabled.  Later analyzers may
 * read what earlier ones wrote (locks and crash read the backtraces).
 *
 * A run() error of kind CK_ERR_SYSTEM (out of memory) aborts the run; any
 * other error becomes a report warning and the next analyzer runs.
 */
#ifndef COREKIT_ANALYZER_H
#define COREKIT_ANALYZER_H

#include <stddef.h>

#include "error.h"
#include "report.h"
#include "target.h"

struct analyzer_options {
	size_t max_frames;	/* per thread, default 256 */
	int disasm_before;	/* instructions shown before the PC, default 8 */
	int disasm_after;	/* and after, default 4 */
};

struct analyzer {
	const char *name;	/* "process", "backtrace", ... */
	const char *summary;	/* one line for --help / --list */
	unsigned targets;	/* bitmask of enum target_kind */
	struct ck_error *(*run)(struct target *t, const struct analyzer_options *opt,
				struct report *r);
};

/* The table, NULL-terminated, in run order. */
extern const struct analyzer *const analyzers[];

/* Run every analyzer that applies to t->ops->kind and whose name is not in
 * the comma-separated `disabled` list (may be NULL). */
struct ck_error *analyzers_run(struct target *t, const struct analyzer_options *opt,
			       const char *disabled, struct report *r);

/* Plugins (one file each). */
extern const struct analyzer analyzer_process;
extern const struct analyzer analyzer_backtrace;
extern const struct analyzer analyzer_locks;
extern const struct analyzer analyzer_crash;
extern const struct analyzer analyzer_signature;
extern const struct analyzer analyzer_kernel;	/* kernel/an_kernel.c */
extern const struct analyzer analyzer_klog;	/* kernel/an_klog.c */
extern const struct analyzer analyzer_klocks;	/* kernel/an_klocks.c */
extern const struct analyzer analyzer_hung;	/* kernel/an_khung.c */
extern const struct analyzer analyzer_lockup;	/* kernel/an_klockup.c */
extern const struct analyzer analyzer_kpanic;	/* kernel/an_kpanic.c */
extern const struct analyzer analyzer_logs;	/* logs/an_logs.c */
extern const struct analyzer analyzer_zdump;	/* zdump/an_zdump.c */
extern const struct analyzer analyzer_bundle;	/* bundle/an_bundle.c (after logs: tags their VMs) */

#endif
