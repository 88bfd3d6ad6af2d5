/*
 * klog_events.c - recognise the kernel's warnings (hung task, lockups, RCU
 * stalls, oopses, BUGs, WARNINGs, panics) in kernel log text.
 *
 * One pass over the lines: a header line opens an event; the lines after it
 * (until the next header) add the CPU/PID/Comm line, the first RIP line and
 * the first Call Trace.  Consoles interleave other output into traces, so a
 * trace ends only after a few non-frame lines in a row or at an explicit end
 * ("</TASK>", "Code:", "---[ end").
 */
#include "klog_events.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TRACE_MAX_GAP = 2, OOPS_MERGE_LINES = 10 };

/* A view of a string: the lines are never copied while parsing. */
struct span {
	const char *p;
	size_t n;
};

/* One input line split into its parts. */
struct line {
	struct span raw;	/* without "\r" */
	struct span time;	/* n == 0: none */
	int uptime;		/* time is "seconds.micros" */
	struct span body;	/* kernel text, leading blanks kept */
	struct span head;	/* body without leading blanks */
};

/* Parser state across lines. */
struct parser {
	struct klog_events *e;
	size_t cap;
	struct klog_event *cur;	/* the open event, NULL if none */
	int cur_cpu_line, cur_rip, cur_oops_merged, module_from_rip;
	int trace;		/* 0 not yet, 1 in it, 2 done */
	int trace_gap;
};

static int has_prefix(struct span s, const char *pfx)
{
	size_t n = strlen(pfx);
	return s.n >= n && memcmp(s.p, pfx, n) == 0;
}

static struct span skip(struct span s, size_t k)
{
	k = k < s.n ? k : s.n;
	return (struct span){ s.p + k, s.n - k };
}

static struct span trim_left(struct span s)
{
	while (s.n && (*s.p == ' ' || *s.p == '\t'))
		s = skip(s, 1);
	return s;
}

/* Position of needle in s, or -1. */
static long find(struct span s, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; n <= s.n && i <= s.n - n; i++)
		if (memcmp(s.p + i, needle, n) == 0)
			return (long)i;
	return -1;
}

static long rfind_char(struct span s, char c)
{
	for (size_t i = s.n; i > 0; i--)
		if (s.p[i - 1] == c)
			return (long)(i - 1);
	return -1;
}

/* Decimal at s (leading blanks skipped), -1 if none or absurd. */
static long span_long(struct span s)
{
	s = trim_left(s);
	long v = 0;
	size_t i = 0;
	for (; i < s.n && isdigit((unsigned char)s.p[i]) && i < 12; i++)
		v = v * 10 + (s.p[i] - '0');
	return i ? v : -1;
}

static char *dup_span(struct span s)
{
	char *d = malloc(s.n + 1);
	if (d) {
		memcpy(d, s.p, s.n);
		d[s.n] = 0;
	}
	return d;
}

static int is_weekday(struct span s)
{
	static const char *const days[] = { "Mon ", "Tue ", "Wed ", "Thu ", "Fri ", "Sat ", "Sun " };
	for (size_t i = 0; i < 7; i++)
		if (has_prefix(s, days[i]))
			return 1;
	return 0;
}

/* A "[ seconds.micros]" or dmesg -T "[Day Mon dd hh:mm:ss yyyy]" at s.p[0] == '['; returns its length. */
static size_t timestamp_at(struct span s, struct span *t, int *uptime)
{
	struct span q = trim_left(skip(s, 1));
	size_t i = 0;
	while (i < q.n && isdigit((unsigned char)q.p[i]))
		i++;
	if (i && i < q.n && q.p[i] == '.') {
		size_t j = i + 1;
		while (j < q.n && isdigit((unsigned char)q.p[j]))
			j++;
		if (j > i + 1 && j < q.n && q.p[j] == ']') {
			*t = (struct span){ q.p, j };
			*uptime = 1;
			return (size_t)(q.p + j + 1 - s.p);
		}
		return 0;
	}
	if (is_weekday(q)) {
		long close = find(q, "]");
		if (close > 0 && close <= 32) {
			*t = (struct span){ q.p, (size_t)close };
			*uptime = 0;
			return (size_t)(q.p + close + 1 - s.p);
		}
	}
	return 0;
}

static void split_line(struct span raw, struct line *l)
{
	while (raw.n && (raw.p[raw.n - 1] == '\r' || raw.p[raw.n - 1] == '\n'))
		raw.n--;
	*l = (struct line){ .raw = raw };
	struct span s = raw;
	/* syslog/journal "Mon dd hh:mm:ss host kernel: " (a time, no '[' before "kernel: ") */
	long k = find((struct span){ s.p, s.n < 120 ? s.n : 120 }, " kernel: ");
	if (k > 0) {
		struct span pre = { s.p, (size_t)k };
		if (isalnum((unsigned char)s.p[0]) && find(pre, ":") >= 0 && find(pre, "[") < 0)
			s = skip(s, (size_t)k + 9);
	}
	/* "[ts]" within the first 64 bytes (junk such as line numbers or escapes may precede it) */
	for (size_t i = 0; i < s.n && i < 64; i++) {
		if (s.p[i] != '[')
			continue;
		size_t tl = timestamp_at(skip(s, i), &l->time, &l->uptime);
		if (tl) {
			s = skip(s, i + tl);
			break;
		}
	}
	if (l->time.n) {
		/* caller field "[  T123]" / "[   C1]" */
		struct span c = s.n && s.p[0] == '[' ? trim_left(skip(s, 1)) : (struct span){ 0 };
		if (c.n > 1 && (c.p[0] == 'T' || c.p[0] == 'C') && isdigit((unsigned char)c.p[1])) {
			long close = find(c, "]");
			if (close > 0)
				s = skip(c, (size_t)close + 1);
		}
		if (s.n && s.p[0] == ' ')
			s = skip(s, 1);
	}
	/* "<6>" level of crash's log -m or /dev/kmsg */
	if (s.n >= 3 && s.p[0] == '<' && isdigit((unsigned char)s.p[1])) {
		size_t j = 1;
		while (j < s.n && j < 4 && isdigit((unsigned char)s.p[j]))
			j++;
		if (j < s.n && s.p[j] == '>')
			s = skip(s, j + 1);
	}
	l->body = s;
	l->head = trim_left(s);
}

/* "COMM:PID" with the last colon separating (comms may hold colons); fields stay unset if malformed. */
static struct ck_error *comm_pid(struct span s, struct klog_event *ev)
{
	long c = rfind_char(s, ':');
	long pid = c > 0 ? span_long(skip(s, (size_t)c + 1)) : -1;
	if (pid < 0)
		return NULL;
	ev->comm = dup_span((struct span){ s.p, (size_t)c });
	if (!ev->comm)
		return &ck_enomem;
	ev->pid = pid;
	return NULL;
}

/* The hex token after the first of the markers, e.g. "address: 0000000000000008". */
static struct ck_error *address_after(struct span s, char **ret)
{
	static const char *const marks[] = { "address: ", "address ", " at " };
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		long at = find(s, marks[i]);
		if (at < 0)
			continue;
		struct span a = skip(s, (size_t)at + strlen(marks[i]));
		size_t n = 0;
		while (n < a.n && (isxdigit((unsigned char)a.p[n]) || (n == 1 && a.p[n] == 'x')))
			n++;
		if (n >= 4) {
			*ret = dup_span((struct span){ a.p, n });
			return *ret ? NULL : &ck_enomem;
		}
	}
	return NULL;
}

/* Which header, if any, line l is.  NULL = none. */
static const char *header_kind(struct span h)
{
	if (has_prefix(h, "PANIC: \"")) {
		/* crash's `sys`: PANIC: "Kernel panic - not syncing: ..." / "Oops: 0002 [#1] SMP" */
		struct span in = skip(h, 8);
		return has_prefix(in, "Oops") || has_prefix(in, "BUG: unable") || has_prefix(in, "BUG: kernel NULL") ||
		       has_prefix(in, "general protection") ? "oops" : "panic";
	}
	if (has_prefix(h, "INFO: task ") && find(h, " blocked for more than ") > 0)
		return "hung-task";
	if (find(h, "BUG: soft lockup - CPU#") >= 0 &&
	    (has_prefix(h, "BUG: ") || has_prefix(h, "watchdog: ") || has_prefix(h, "NMI watchdog: ")))
		return "soft-lockup";
	if (find(h, "Watchdog detected hard LOCKUP on cpu") >= 0)
		return "hard-lockup";
	struct span r = has_prefix(h, "rcu: ") ? skip(h, 5) : h;
	if (has_prefix(r, "INFO: rcu") && find(r, "detected") > 0 && find(r, " stall") > 0)
		return "rcu-stall";
	if (has_prefix(h, "Oops: ") || has_prefix(h, "BUG: unable to handle") ||
	    has_prefix(h, "BUG: kernel NULL pointer dereference") || has_prefix(h, "general protection fault"))
		return "oops";
	if (has_prefix(h, "kernel BUG at ") || has_prefix(h, "BUG: "))
		return "bug";
	if (has_prefix(h, "WARNING: CPU: ") || has_prefix(h, "WARNING: at "))
		return "warning";
	if (has_prefix(h, "Kernel panic - not syncing"))
		return "panic";
	return NULL;
}

static void event_free(struct klog_event *ev)
{
	free(ev->text);
	free(ev->time);
	free(ev->comm);
	free(ev->address);
	free(ev->ip);
	free(ev->module);
	free(ev->summary);
	for (size_t i = 0; i < ev->nframes; i++)
		free(ev->frames[i]);
}

/* Fill the fields a header line itself carries. */
static struct ck_error *header_fields(struct klog_event *ev, struct span h)
{
	const char *k = ev->kind;
	struct ck_error *err = NULL;
	struct span sum = h;
	if (has_prefix(h, "PANIC: \"")) {
		sum = skip(h, 8);
		long q = rfind_char(sum, '"');
		if (q >= 0)
			sum.n = (size_t)q;
		ev->summary = dup_span(sum);
		return ev->summary ? NULL : &ck_enomem;
	}
	if (!strcmp(k, "hung-task")) {
		long b = find(h, " blocked for more than ");
		if (b > 11)
			err = comm_pid((struct span){ h.p + 11, (size_t)b - 11 }, ev);
		long d = span_long(skip(h, (size_t)b + 23));
		ev->duration_s = d >= 0 ? (double)d : NAN;
		sum = skip(h, 6);	/* "INFO: " */
	} else if (!strcmp(k, "soft-lockup")) {
		long c = find(h, "CPU#");
		ev->cpu = (int)span_long(skip(h, (size_t)c + 4));
		long s = find(h, " stuck for ");
		long d = s >= 0 ? span_long(skip(h, (size_t)s + 11)) : -1;
		ev->duration_s = d >= 0 ? (double)d : NAN;
		long o = rfind_char(h, '['), e = rfind_char(h, ']');
		if (o >= 0 && e > o)
			err = comm_pid((struct span){ h.p + o + 1, (size_t)(e - o - 1) }, ev);
		sum = skip(h, (size_t)find(h, "BUG: "));
	} else if (!strcmp(k, "hard-lockup")) {
		long c = find(h, "hard LOCKUP on cpu");
		ev->cpu = (int)span_long(skip(h, (size_t)c + 18));
		sum = skip(h, (size_t)find(h, "Watchdog detected"));
	} else if (!strcmp(k, "rcu-stall")) {
		sum = has_prefix(h, "rcu: ") ? skip(h, 5) : h;
	} else if (!strcmp(k, "oops")) {
		err = address_after(h, &ev->address);
	} else if (!strcmp(k, "warning")) {
		long c = find(h, "CPU: "), p = find(h, "PID: ");
		if (c >= 0)
			ev->cpu = (int)span_long(skip(h, (size_t)c + 5));
		if (p >= 0)
			ev->pid = span_long(skip(h, (size_t)p + 5));
	}
	if (err)
		return err;
	ev->summary = dup_span(sum);
	return ev->summary ? NULL : &ck_enomem;
}

static struct ck_error *open_event(struct parser *ps, const char *kind, const struct line *l, long line_no)
{
	ps->cur = NULL;
	if (ps->e->n >= KLOG_EVENT_MAX_EVENTS) {
		ps->e->dropped++;
		return NULL;
	}
	if (ps->e->n == ps->cap) {
		size_t ncap = ps->cap ? ps->cap * 2 : 16;
		struct klog_event *v = realloc(ps->e->ev, ncap * sizeof(*v));
		if (!v)
			return &ck_enomem;
		ps->e->ev = v;
		ps->cap = ncap;
	}
	struct klog_event *ev = &ps->e->ev[ps->e->n];
	*ev = (struct klog_event){ .kind = kind, .line_no = line_no, .uptime_s = NAN, .pid = -1, .cpu = -1,
				   .duration_s = NAN };
	ev->text = dup_span(l->raw);
	if (l->time.n) {
		ev->time = dup_span(l->time);
		if (ev->time && l->uptime)
			ev->uptime_s = strtod(ev->time, NULL);
	}
	struct ck_error *err = ev->text && (!l->time.n || ev->time) ? header_fields(ev, l->head) : &ck_enomem;
	if (err) {
		event_free(ev);
		return err;
	}
	ps->e->n++;
	ps->cur = ev;
	ps->cur_cpu_line = ps->cur_rip = ps->cur_oops_merged = ps->module_from_rip = 0;
	ps->trace = ps->trace_gap = 0;
	return NULL;
}

/* "CPU: 7 PID: 9533 Comm: vmx-vcpu-0 Tainted: ..." (6.12+ has "UID: n" between). */
static struct ck_error *cpu_line(struct klog_event *ev, struct span h)
{
	if (ev->cpu < 0)
		ev->cpu = (int)span_long(skip(h, 5));
	long p = find(h, " PID: ");
	if (p >= 0 && ev->pid < 0)
		ev->pid = span_long(skip(h, (size_t)p + 6));
	long c = find(h, " Comm: ");
	if (c < 0 || ev->comm)
		return NULL;
	struct span comm = skip(h, (size_t)c + 7);
	static const char *const ends[] = { " Tainted:", " Not tainted", " Kdump:", " ftrace:" };
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
		long e = find(comm, ends[i]);
		if (e >= 0)
			comm.n = (size_t)e;
	}
	while (comm.n && comm.p[comm.n - 1] == ' ')
		comm.n--;
	ev->comm = dup_span(comm);
	return ev->comm ? NULL : &ck_enomem;
}

/* " [mod]" right after a symbol token: *ret = its name, or NULL if none. */
static struct ck_error *module_after(struct span rest, char **ret)
{
	*ret = NULL;
	rest = trim_left(rest);
	long e = rest.n && rest.p[0] == '[' ? find(rest, "]") : -1;
	if (e <= 1)
		return NULL;
	*ret = dup_span((struct span){ rest.p + 1, (size_t)e - 1 });
	return *ret ? NULL : &ck_enomem;
}

/* Skip "[<ffffffff81000000>]" address tokens of old kernels. */
static struct span skip_addr_tokens(struct span s)
{
	for (s = trim_left(s); has_prefix(s, "[<"); s = trim_left(s)) {
		long e = find(s, ">]");
		if (e < 0)
			break;
		s = skip(s, (size_t)e + 2);
	}
	return s;
}

/* The token at s up to a blank. */
static struct span token(struct span s)
{
	size_t n = 0;
	while (n < s.n && s.p[n] != ' ' && s.p[n] != '\t')
		n++;
	return (struct span){ s.p, n };
}

/* "RIP: 0010:func+0x1a/0x40 [mod]", old "RIP: 0010:[<addr>]  [<addr>] func+0x3c/0xc0". */
static struct ck_error *rip_line(struct parser *ps, struct span h)
{
	struct klog_event *ev = ps->cur;
	struct span s = skip(h, 5);
	if (s.n > 5 && s.p[4] == ':' && isxdigit((unsigned char)s.p[0])) {
		if (has_prefix(s, "0033:"))
			return NULL;	/* user-mode registers of a syscall frame */
		s = skip(s, 5);
	}
	s = skip_addr_tokens(s);
	struct span t = token(s);
	if (!t.n)
		return NULL;
	ps->cur_rip = 1;
	ev->ip = dup_span(t);
	if (!ev->ip)
		return &ck_enomem;
	char *mod;
	struct ck_error *err = module_after(skip(s, t.n), &mod);
	if (err)
		return err;
	if (mod) {
		free(ev->module);
		ev->module = mod;
		ps->module_from_rip = 1;
	}
	return NULL;
}

/* Is h a line of a call trace?  Adds the frame's function if reliable. */
static int trace_line(struct parser *ps, struct span h, struct ck_error **err)
{
	struct klog_event *ev = ps->cur;
	/* context markers: <TASK> </TASK> <IRQ> </IRQ> <NMI> <EOI> ... */
	while (h.n && h.p[0] == '<') {
		long e = find(h, ">");
		if (e < 0)
			return 0;
		h = trim_left(skip(h, (size_t)e + 1));
	}
	int had_addr = has_prefix(h, "[<");
	h = skip_addr_tokens(h);
	if (!h.n)
		return 1;
	if (has_prefix(h, "? "))
		return 1;	/* unreliable entry */
	struct span t = token(h);
	long plus = find(t, "+0x");
	if (plus <= 0)
		return had_addr || (has_prefix(t, "0x") && t.n == h.n);
	if (ev->nframes < KLOG_EVENT_MAX_FRAMES) {
		char *f = dup_span((struct span){ t.p, (size_t)plus });
		if (!f) {
			*err = &ck_enomem;
			return 1;
		}
		ev->frames[ev->nframes++] = f;
	}
	if (!ev->module && !ps->module_from_rip)
		*err = module_after(skip(h, t.n), &ev->module);
	return 1;
}

/* A detail line of the open event. */
static struct ck_error *detail_line(struct parser *ps, const struct line *l, long line_no)
{
	struct klog_event *ev = ps->cur;
	struct span h = l->head;
	struct ck_error *err = NULL;
	if (line_no - ev->line_no > KLOG_EVENT_MAX_BLOCK) {
		ps->cur = NULL;
		return NULL;
	}
	if (ps->trace == 1) {
		if (has_prefix(h, "</TASK>") || has_prefix(h, "Code:") || has_prefix(h, "---[ end") ||
		    has_prefix(h, "RIP:")) {
			ps->trace = 2;
		} else if (trace_line(ps, h, &err)) {
			ps->trace_gap = 0;
			return err;
		} else if (++ps->trace_gap > TRACE_MAX_GAP) {
			ps->trace = 2;
		}
	}
	if (ev->cpu < 0 && !strcmp(ev->kind, "rcu-stall")) {
		/* "rcu: \t0-...!: (0 ticks this GP) ...": the first stalled CPU */
		struct span c = has_prefix(h, "rcu:") ? trim_left(skip(h, 4)) : h;
		size_t i = 0;
		while (i < c.n && i < 6 && isdigit((unsigned char)c.p[i]))
			i++;
		if (i && i < c.n && c.p[i] == '-') {
			ev->cpu = (int)span_long(c);
			return NULL;
		}
	}
	if (has_prefix(h, "CPU: ") && !ps->cur_cpu_line) {
		ps->cur_cpu_line = 1;
		return cpu_line(ev, h);
	}
	if (has_prefix(h, "RIP: ") && !ps->cur_rip)
		return rip_line(ps, h);
	if (has_prefix(h, "Call Trace:") && ps->trace == 0) {
		ps->trace = 1;
		/* old kernels: "Call Trace: [<addr>] func+0x..." on the same line */
		struct span rest = trim_left(skip(h, 11));
		if (rest.n)
			trace_line(ps, rest, &err);
	}
	return err;
}

static struct ck_error *one_line(struct parser *ps, struct span raw, long line_no)
{
	struct line l;
	split_line(raw, &l);
	const char *kind = header_kind(l.head);
	struct klog_event *cur = ps->cur;
	if (kind && !strcmp(kind, "oops") && has_prefix(l.head, "Oops: ") && cur && !ps->cur_oops_merged &&
	    (!strcmp(cur->kind, "oops") || !strcmp(cur->kind, "bug")) && line_no - cur->line_no <= OOPS_MERGE_LINES &&
	    strncmp(cur->summary, "Oops: ", 6) != 0) {
		/* "BUG: kernel NULL pointer dereference" + "Oops: 0002 [#1]": one oops */
		ps->cur_oops_merged = 1;
		cur->kind = "oops";
		size_t a = strlen(cur->summary);
		char *s = realloc(cur->summary, a + 2 + l.head.n + 1);
		if (!s)
			return &ck_enomem;
		memcpy(s + a, "; ", 2);
		memcpy(s + a + 2, l.head.p, l.head.n);
		s[a + 2 + l.head.n] = 0;
		cur->summary = s;
		return NULL;
	}
	if (kind)
		return open_event(ps, kind, &l, line_no);
	return cur ? detail_line(ps, &l, line_no) : NULL;
}

struct ck_error *klog_events_parse(const char *text, size_t len, struct klog_events **ret)
{
	struct parser ps = { 0 };
	ps.e = calloc(1, sizeof(*ps.e));
	if (!ps.e)
		return &ck_enomem;
	long line_no = 0;
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		struct ck_error *err = one_line(&ps, (struct span){ text + off, n }, ++line_no);
		if (err) {
			klog_events_destroy(ps.e);
			return err;
		}
		off += n + 1;
	}
	*ret = ps.e;
	return NULL;
}

struct ck_error *klog_events_from_klog(const struct klog *log, struct klog_events **ret)
{
	struct parser ps = { 0 };
	ps.e = calloc(1, sizeof(*ps.e));
	if (!ps.e)
		return &ck_enomem;
	char *buf = NULL;
	size_t cap = 0;
	long line_no = 0;
	struct ck_error *err = NULL;
	for (size_t i = 0; i < log->n && !err; i++) {
		const struct klog_record *r = &log->recs[i];
		char pfx[48];
		int w = snprintf(pfx, sizeof(pfx), "[%5" PRIu64 ".%06" PRIu64 "] ", r->ts_nsec / 1000000000u,
				 r->ts_nsec % 1000000000u / 1000u);
		const char *p = r->text, *end = r->text + r->text_len;
		while (!err) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t ll = (size_t)((nl ? nl : end) - p);
			if ((size_t)w + ll > cap) {
				char *nb = realloc(buf, (size_t)w + ll);
				if (!nb) {
					err = &ck_enomem;
					break;
				}
				buf = nb;
				cap = (size_t)w + ll;
			}
			memcpy(buf, pfx, (size_t)w);
			memcpy(buf + w, p, ll);
			err = one_line(&ps, (struct span){ buf, (size_t)w + ll }, ++line_no);
			if (!nl)
				break;
			p = nl + 1;
		}
	}
	free(buf);
	if (err) {
		klog_events_destroy(ps.e);
		return err;
	}
	*ret = ps.e;
	return NULL;
}

void klog_events_destroy(struct klog_events *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		event_free(&e->ev[i]);
	free(e->ev);
	free(e);
}
