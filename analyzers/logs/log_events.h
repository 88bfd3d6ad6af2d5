/*
 * log_events.h - events in text logs: the library coresummary uses for a
 * log file and the bundle code calls once per file it finds.
 *
 * A file's format is found from its content (log_sniff), never its name:
 *   vmware.log    VMX log, all generations: "Mon DD hh:mm:ss.mmm: thr| msg",
 *                 "ISO| thr| msg", "ISO[+S.SSS]| thr| X123: msg" (and "X123+"
 *                 continuations), "ISO Sev(NN)[+] thr opID|- msg"  (log_vmx.c)
 *   vmkernel.log  "[ISO |d:hh:mm:ss.mmm ][Sev(PRI) vmkernel: ]cpuN:WORLD[ opID=X])msg"
 *                 and the PSOD screen's bare lines                 (log_vmkernel.c)
 *   hostd.log     ESXi syslog lines "ISO [Sev(PRI) ]prog[pid]: msg" of hostd,
 *                 vpxa, vobd                                       (log_hostd.c)
 *   kernel-log    guest kernel text: dmesg, dmesg -T, syslog/journal, serial
 *                 console, crash's `log` and `sys`, parsed by the one kernel-text
 *                 parser klog_events.h                             (log_kernel.c)
 * Lines of another family inside a file (a hostd line quoted in a vmware.log)
 * are parsed by their own family's parser.  Annotation lines ("# ", "## ")
 * are skipped: nothing (product, version) is ever taken from them.
 *
 * Times: `time` is the time as printed; `time_utc` an ISO 8601 UTC string
 * only when the line has a date and a zone.  Every event also gets a sort
 * key: its own time, else the time of the dated line before it in the file
 * (an undated line follows the dated line before it); file order is not
 * time order (headers are written late, PSOD lines come out of order).
 * Year-less dates (old vmware.log "Aug 22 11:49:11.333:", syslog prefixes)
 * take the year that puts them nearest to the dated line before them (or to
 * the year-less line placed just before, so a log running over New Year
 * moves on to the next year), else to the file's first dated line; in a file
 * with no dated line at all they keep file order.  time_utc stays null:
 * such dates carry no zone.
 */
#ifndef COREKIT_LOG_EVENTS_H
#define COREKIT_LOG_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum log_format { LOG_FMT_NONE, LOG_FMT_VMX, LOG_FMT_VMKERNEL, LOG_FMT_HOSTD, LOG_FMT_KERNEL };

enum {
	LOG_MAX_FILE = 256 << 20,	/* bytes of one log read (the rest is ignored, with a warning) */
	LOG_MAX_EVENTS = 100000,	/* per file; more are counted in `dropped` */
	LOG_MAX_FRAMES = 16,
	LOG_SNIFF_BYTES = 64 << 10,
};

/* How an event's sort key was obtained (timeline order, log_events_compare).
 * YEARLESS: a "Mon DD hh:mm:ss" time in a file with no dated line to take the
 * year from; such events keep file order (key_ms 0). */
enum log_key { LOG_KEY_NONE, LOG_KEY_UTC, LOG_KEY_LOCAL, LOG_KEY_UPTIME, LOG_KEY_YEARLESS };

/* Absent: NULL strings, -1 integers, NAN doubles. */
struct log_event {
	const char *kind;	/* static, the exact strings: "hung-task", "psod", ... */
	long line_no;		/* 1-based line in the file */
	char *text;		/* the line */
	char *time;		/* as printed */
	char *time_utc;		/* "2016-07-29T19:26:56.292Z" when the line has date and zone */
	double uptime_s;	/* kernel uptime (dmesg, VMK uptime, ESX 4 prefixes) */
	char *thread;		/* vmware.log thread: "vmx", "vcpu-0", "mks" */
	int64_t pid;
	char *comm;		/* guest task / user world name; may hold spaces and colons */
	int cpu;		/* guest CPU, or the host's pcpu for vmkernel */
	int64_t world, cartel;	/* vmkernel world / cartel ids */
	int signal;
	int exit_code;		/* vmx-exit: "VMX has left the building: N." */
	double duration_s;
	char *address, *ip, *module, *core_file, *summary;
	char *channel;		/* guestrpc-timeout: the GuestRPC channel ("toolbox", "toolbox-dnd") */
	char **frames;
	size_t nframes;
	int64_t offset;		/* where the line is in the zdump it was carved from, -1 (set by its reader) */
	enum log_key key_kind;
	int64_t key_ms;		/* milliseconds: UTC epoch, year-less local time, or uptime */
};

struct log_file {
	char *source;		/* path as given */
	enum log_format format;
	char *product, *version, *build, *kernel, *host;	/* NULL when the log does not say */
	struct log_event *ev;
	size_t n, cap;
	size_t dropped;
	bool truncated;		/* longer than LOG_MAX_FILE */
	bool oom;		/* an allocation failed while parsing (internal) */
	/* Internal: the year of year-less dates ("Aug 22 11:49:11"): the last dated line's
	 * time (or the last year-less time placed by it), and the file's first dated line's. */
	bool year_anchor_ok, first_year_ok;
	int64_t year_anchor_ms, first_year_ms;
};

/* "vmware.log", "vmkernel.log", "hostd.log", "kernel-log"; NULL for NONE. */
const char *log_format_name(enum log_format f);

/* Which log format len bytes of text are (the first LOG_SNIFF_BYTES decide). */
enum log_format log_sniff(const char *text, size_t len);
/* The same on a file's start; NONE for unreadable files (the caller reports those). */
enum log_format log_sniff_path(const char *path);

/* Parse text as format fmt (NONE: sniff); source names the file in events. */
struct ck_error *log_parse(const char *source, const char *text, size_t len, enum log_format fmt,
			   struct log_file **ret);
/* Read and parse path (not a log: CK_ERR_INPUT naming it). */
struct ck_error *log_read(const char *path, struct log_file **ret);
void log_file_destroy(struct log_file *f);	/* NULL is fine */

/* Timeline order of two events of the same or different files (file index fa, fb):
 * UTC-keyed events by time, the others after them by file, key and line. */
int log_events_compare(const struct log_event *a, size_t fa, const struct log_event *b, size_t fb);

#endif
