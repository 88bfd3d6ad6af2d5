/*
 * log_parse.h - what the per-format line parsers share (internal to
 * analyzers/logs/): the line being parsed, the file's clock, event and
 * field helpers.  Allocation failures set f->oom and are reported once by
 * log_parse(), so the parsers stay straight-line code.
 */
#ifndef COREKIT_LOG_PARSE_H
#define COREKIT_LOG_PARSE_H

#include "log_events.h"
#include "log_text.h"

enum log_time_form { LOG_T_ISO, LOG_T_LOCAL, LOG_T_DHMS, LOG_T_SECONDS };

struct log_ctx {
	struct log_file *f;
	long line_no;
	struct lspan raw;		/* the line without its end */
	/* this line's time (set by log_ctx_time) */
	struct lspan time;
	char time_utc[40];		/* "" if none */
	double uptime_s;
	/* the file's clock: the key of the last dated line */
	enum log_key key_kind;
	int64_t key_ms;
};

/* Record the line's time span in c (and move the file's clock when it parses). */
void log_ctx_time(struct log_ctx *c, struct lspan t, enum log_time_form form);

/* A new event at the current line (NULL past LOG_MAX_EVENTS or on OOM). */
struct log_event *log_event_new(struct log_ctx *c, const char *kind);
char *log_dup(struct log_file *f, struct lspan s);
void log_event_free(struct log_event *e);	/* its strings and frames, not e */
/* Replace *field with a copy of s. */
void log_set(struct log_file *f, char **field, struct lspan s);
/* Set a file fact (product, host, ...) unless already known: the first statement wins. */
void log_info(struct log_file *f, char **field, struct lspan s);
void log_add_frame(struct log_file *f, struct log_event *e, struct lspan s);
/* summary = "pfx" + s */
void log_summary(struct log_file *f, struct log_event *e, const char *pfx, struct lspan s);

/* Times (log_time.c). */
int log_time_iso(struct lspan s, int64_t *ms, int *zoned);	/* "YYYY-MM-DDThh:mm:ss[.f][Z|+hh:mm]" */
/* "[Thu ]Mar 25 00:50:20[.mmm][ 2021]": 2 with a year, 1 without (then placed in LOG_NO_YEAR), 0 not a time */
int log_time_local(struct lspan s, int64_t *ms);
enum { LOG_NO_YEAR = 2000 };
/* A year-less time (placed in LOG_NO_YEAR) moved to the year that puts it nearest to anchor_ms. */
int64_t log_time_near(int64_t yearless_ms, int64_t anchor_ms);
/* After parsing: the year-less times before the file's first dated line, from that line
 * backwards; with no dated line at all their key is file order (key_ms 0). */
void log_years_finish(struct log_file *f);
int log_time_dhms(struct lspan s, double *secs);		/* "d:hh:mm:ss.mmm" */
void log_time_utc_string(int64_t ms, char out[40]);

/* Line families: each returns 1 when the line is its shape (and consumed it). */
struct log_vmx;
struct log_vmk;
struct log_vmx *log_vmx_new(void);
void log_vmx_free(struct log_vmx *st);
int log_vmx_shape(struct lspan line);			/* sniffing: no side effects */
int log_vmx_line(struct log_vmx *st, struct log_ctx *c);
/* After the last line: the Guest: lines' kernel text as events. */
void log_vmx_finish(struct log_vmx *st, struct log_ctx *c);
struct log_vmk *log_vmk_new(void);
void log_vmk_free(struct log_vmk *st);
int log_vmk_shape(struct lspan line);
/* bare: also take lines without a vmkernel prefix (PSOD screen text) */
int log_vmk_line(struct log_vmk *st, struct log_ctx *c, int bare);
void log_vmk_finish(struct log_vmk *st, struct log_ctx *c);
/* ESXi syslog lines ("ISO [Sev(PRI) ]prog[pid]: msg"): prog and msg; 1 if the shape. */
int log_esx_syslog_split(struct lspan line, struct lspan *time, struct lspan *prog, int64_t *pid,
			 struct lspan *msg);
int log_hostd_shape(struct lspan line);
int log_hostd_line(struct log_ctx *c);
int log_kernel_shape(struct lspan line);
/* Guest kernel text: the whole buffer through klog_events; comment lines already blanked. */
struct ck_error *log_kernel_parse(struct log_file *f, const char *text, size_t len);
/* One event of the kernel-text parser as a log event at c's line and time (NULL: none made). */
struct klog_event;
struct log_event *log_kernel_event(struct log_ctx *c, const struct klog_event *k);

/* An ISO-looking time token at the start of s (digits or a KB's "YYYY"/"<YYYY>" placeholder):
 * its length, 0 if none. */
size_t log_iso_token(struct lspan s);
/* "Sev(NN)" / "Sev(NN)+" severity token of ESXi 8 logs: its length, 0 if none. */
size_t log_sev_token(struct lspan s);

#endif
