/*
 * target_warn.h - the warnings a target gives about what it could not find
 * (target_ops.warnings): modules without a file or without symbols, a
 * --sysroot or --debug-dir that provided nothing.  One line each, so a report
 * full of `??` frames always says why.
 */
#ifndef COREKIT_TARGET_WARN_H
#define COREKIT_TARGET_WARN_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "symbols.h"

struct target_warnings {
	char **lines;
	size_t n;
	bool done;
};

/*
 * Fill w from the modules of syms.  opt: the --sysroot/--debug-dir given (may
 * be NULL); sysroot_files/sysroot_found: how many mapped files --sysroot was
 * asked for and how many it had.
 */
struct ck_error *target_warnings_build(struct target_warnings *w, struct sym_resolver *syms,
				       const struct sym_options *opt, size_t sysroot_files,
				       size_t sysroot_found);
void target_warnings_fini(struct target_warnings *w);

/* Append one line (what a target found wrong in its input while opening it). */
struct ck_error *target_warn_add(struct target_warnings *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
