/*
 * log_kernel.c - guest kernel text (dmesg, dmesg -T, syslog/journal lines,
 * serial consoles, crash's `log` and `sys`) as log events: the events come
 * from the one kernel-text parser, klog_events.h; this file only sniffs the
 * format, copies the events over and reads the file's facts (kernel
 * release from "Linux version", "Not tainted"/"Tainted:" or crash's
 * RELEASE:, host from a syslog prefix or crash's NODENAME:).
 */
#include <math.h>
#include <stdlib.h>

#include "klog_events.h"
#include "log_parse.h"

/* crash `sys` keys */
static const char *const sys_keys[] = { "KERNEL: ", "DUMPFILE: ", "CPUS: ", "DATE: ", "UPTIME: ", "LOAD AVERAGE: ",
					"TASKS: ", "NODENAME: ", "RELEASE: ", "VERSION: ", "MACHINE: ", "MEMORY: ",
					"PANIC: " };

/* Kernel texts that open a console line without a time stamp. */
static const char *const heads[] = { "INFO: task ", "BUG: ", "Kernel panic - not syncing", "Oops: ", "WARNING: CPU: ",
				     "Call Trace:", "RIP: ", "watchdog: BUG: soft lockup", "NMI watchdog: ",
				     "rcu: INFO: ", "Linux version " };

int log_kernel_shape(struct lspan l)
{
	/* "[ 1234.567890]" after at most 16 bytes of junk (editor line numbers), or dmesg -T "[Thu Mar ..." */
	for (size_t i = 0; i < l.n && i < 16; i++) {
		if (l.p[i] != '[')
			continue;
		struct lspan s = ls_trim(ls_skip(l, i + 1));
		size_t used;
		if (ls_num(s, &used) >= 0 && used < s.n && s.p[used] == '.')
			return 1;
		int64_t ms;
		if (log_time_local(s, &ms))
			return 1;
		break;
	}
	/* syslog / journal "Aug 18 08:54:42 host kernel: " */
	int64_t ms;
	if (log_time_local(l, &ms) && ls_find(ls_make(l.p, l.n < 120 ? l.n : 120), " kernel: ") > 0)
		return 1;
	struct lspan t = ls_trim(l);
	for (size_t i = 0; i < sizeof(sys_keys) / sizeof(sys_keys[0]); i++)
		if (ls_prefix(t, sys_keys[i]))
			return 1;
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		if (ls_prefix(t, heads[i]))
			return 1;
	return 0;
}

/* The release in "... Not tainted 5.10.0-x #1 ..." / "Tainted: G  OE  4.4.180+ #42962": the
 * last token starting with a digit before the first "#" token. */
static struct lspan release_in(struct lspan s)
{
	struct lspan best = { 0 };
	for (s = ls_trim(s); s.n; s = ls_trim(ls_skip(s, ls_token(s).n))) {
		struct lspan t = ls_token(s);
		if (t.p[0] == '#')
			return best;
		if (isdigit((unsigned char)t.p[0]) && ls_find_char(t, '.') > 0)
			best = t;
	}
	return ls_make(NULL, 0);
}

static void facts(struct log_file *f, const char *text, size_t len)
{
	size_t off = 0;
	while (off < len && !(f->kernel && f->host)) {
		const char *nl = memchr(text + off, '\n', len - off);
		struct lspan l = ls_make(text + off, nl ? (size_t)(nl - (text + off)) : len - off);
		off += l.n + 1;
		int64_t ms;
		long k;
		if (!f->host && log_time_local(l, &ms) && (k = ls_find(ls_make(l.p, l.n < 120 ? l.n : 120), " kernel: ")) > 0) {
			struct lspan pre = ls_make(l.p, (size_t)k);
			long sp = ls_rfind_char(pre, ' ');
			log_info(f, &f->host, ls_skip(pre, (size_t)(sp + 1)));
		}
		struct lspan t = ls_trim(l);
		if (ls_prefix(t, "RELEASE: "))
			log_info(f, &f->kernel, ls_skip(t, 9));
		else if (ls_prefix(t, "NODENAME: "))
			log_info(f, &f->host, ls_skip(t, 10));
		else if ((k = ls_find(l, "Linux version ")) >= 0)
			log_info(f, &f->kernel, ls_token(ls_skip(l, (size_t)k + 14)));
		else if ((k = ls_find(l, "Not tainted ")) >= 0)
			log_info(f, &f->kernel, release_in(ls_skip(l, (size_t)k + 12)));
		else if ((k = ls_find(l, " Tainted: ")) >= 0)
			log_info(f, &f->kernel, release_in(ls_skip(l, (size_t)k + 10)));
	}
}

/* The line's syslog time "Aug 18 08:54:42" when klog's time is none. */
static struct lspan syslog_time(const char *line)
{
	struct lspan l = ls_cstr(line);
	int64_t ms;
	if (!log_time_local(l, &ms))
		return ls_make(NULL, 0);
	size_t n = 0, blanks = 0;
	while (n < l.n && blanks < 3) {
		blanks += l.p[n] == ' ' && n > 0 && l.p[n - 1] != ' ';
		n++;
	}
	return ls_trim(ls_make(l.p, n));
}

struct log_event *log_kernel_event(struct log_ctx *c, const struct klog_event *k)
{
	struct log_file *f = c->f;
	struct log_event *e = log_event_new(c, k->kind);
	if (!e)
		return NULL;
	e->pid = k->pid;
	e->cpu = k->cpu;
	e->duration_s = k->duration_s;
	e->uptime_s = k->uptime_s;
	if (k->comm)
		e->comm = log_dup(f, ls_cstr(k->comm));
	if (k->address)
		e->address = log_dup(f, ls_cstr(k->address));
	if (k->ip)
		e->ip = log_dup(f, ls_cstr(k->ip));
	if (k->module)
		e->module = log_dup(f, ls_cstr(k->module));
	if (k->summary)
		e->summary = log_dup(f, ls_cstr(k->summary));
	for (size_t j = 0; j < k->nframes; j++)
		log_add_frame(f, e, ls_cstr(k->frames[j]));
	return e;
}

struct ck_error *log_kernel_parse(struct log_file *f, const char *text, size_t len)
{
	struct klog_events *kev = NULL;
	struct ck_error *err = klog_events_parse(text, len, &kev);
	if (err)
		return err;
	facts(f, text, len);
	f->dropped = kev->dropped;
	for (size_t i = 0; i < kev->n && !f->oom; i++) {
		const struct klog_event *k = &kev->ev[i];
		struct log_ctx c = { .f = f, .line_no = k->line_no, .raw = ls_cstr(k->text ? k->text : ""),
				     .uptime_s = NAN };
		if (k->time)
			log_ctx_time(&c, ls_cstr(k->time), isnan(k->uptime_s) ? LOG_T_LOCAL : LOG_T_SECONDS);
		else if (k->text && syslog_time(k->text).n)
			log_ctx_time(&c, syslog_time(k->text), LOG_T_LOCAL);
		if (!log_kernel_event(&c, k))
			break;
	}
	klog_events_destroy(kev);
	return NULL;
}
