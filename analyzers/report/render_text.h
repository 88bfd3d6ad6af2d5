/*
 * render_text.h - the parts of the text report shared by its files:
 * render_text.c (cores, kernel images, the frame of every report) and
 * render_text_log.c (log events, the log target, a zdump's facts).
 */
#ifndef COREKIT_RENDER_TEXT_H
#define COREKIT_RENDER_TEXT_H

#include <stdio.h>

#include "error.h"
#include "report.h"

/* The last component of a path. */
const char *text_base_name(const char *p);

/* "log:      FILE: format, product version build, kernel K, host H", one per log read. */
void text_log_sources(FILE *out, const struct report *r);
/* "signatures: kind hash, ..." of the findings that have one (nothing if none). */
void text_finding_signatures(FILE *out, const struct report *r);
/* The events findings rest on, newest first, then the timeline of every event. */
void text_log_events(FILE *out, const struct report *r);
/* The whole report of a log target. */
struct ck_error *render_log_text(FILE *out, const struct report *r);
/* A zdump's facts: kind, size, encryption, streams, cores, carved text, what is not known. */
void text_zdump(FILE *out, const struct report *r);

#endif
