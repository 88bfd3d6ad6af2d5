/*
 * render.h - renderers print a report model; they know nothing about
 * analyzers or targets.  Each writes to a stdio stream and returns a
 * CK_ERR_SYSTEM error when the stream fails.
 */
#ifndef COREKIT_RENDER_H
#define COREKIT_RENDER_H

#include <stdio.h>

#include "error.h"
#include "report.h"

struct render_options {
	bool all_threads;	/* text: print every thread, not one per group */
	bool show_modules;	/* text: list modules */
	const char *generator;	/* "coresummary 0.1" */
};

struct ck_error *render_text(FILE *out, const struct report *r, const struct render_options *opt);
/* JSON schema: docs/coresummary.md ("schema_version": REPORT_SCHEMA_VERSION). */
struct ck_error *render_json(FILE *out, const struct report *r, const struct render_options *opt);
/* Parts of the text report in their own files: a bundle's inventory block (render_bundle_text.c). */
void render_bundle_text(FILE *out, const struct report *r);
/* Graphviz wait-for graph: threads (boxes), locks (ellipses), cycles in red. */
struct ck_error *render_dot(FILE *out, const struct report *r);

#endif
