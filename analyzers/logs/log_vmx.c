/*
 * log_vmx.c - vmware.log (the VMX process log) in its four generations:
 *   G1  "Aug 22 11:49:11.333: vcpu-0| msg"
 *   G2  "2012-03-23T16:22:51.876Z| vcpu-0| msg"
 *   G3  "2016-07-29T19:26:56.292Z| vmx| I120: msg", "...| W003+ continuation",
 *       "2021-11-15T00:23:51+01:00[+0.000]| mks| E001: ..." (signal/panic path)
 *   G4  "2023-06-03T02:05:50.305Z In(05) vmx - msg" (ESXi 8: opID column,
 *       "-" when none; Workstation 17: no opID column), "In(05)+" continuations
 * Lines quoted without a time ("vcpu-0| E105: PANIC: ...") are kept and
 * follow the dated line before them.  Events: vmx-crash (PANIC, unexpected
 * or caught signal, ASSERT/VERIFY/NOT_IMPLEMENTED), unrecoverable-error
 * (Msg_Post's [msg.log.error.unrecoverable] with the reason on the next
 * line), core-dump ("A core file is available in"), monitor-panic,
 * guestrpc-timeout, tools-heartbeat, stun (Checkpoint_Unstun), cpu-reset,
 * vmx-exit, power-on, suspend, and a Windows guest's bugcheck (WinBSOD
 * synthetic MSRs) as panic.  Backtrace[n]/SymBacktrace[n] lines after a
 * crash event of the same thread are its frames.
 * "Guest: TEXT" lines carry text the guest sent over GuestRPC's "log"
 * command, such as the kernel log a Linux guest dumps at a panic (VMware's
 * kmsg-dump patch sends "<level>[seconds] text" lines): their TEXT goes,
 * in file order, through the one kernel-text parser (klog_events.h), and its
 * events keep the vmware.log line they came from, its time and its thread.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "klog_events.h"
#include "log_parse.h"

enum { FRAME_WINDOW = 300, REASON_WINDOW = 3, POWER_DEDUP = 3 };

struct vmx_line {
	struct lspan time;
	int iso;		/* time is ISO (else G1 "Mon DD hh:mm:ss" or a placeholder) */
	struct lspan thread, level, opid, msg;
	int cont;		/* "+" continuation of the previous record */
};

/* A "Guest:" line: where its text sits in log_vmx.guest and the vmware.log line it came from. */
struct guest_line {
	long line_no;
	struct lspan raw, time, thread;	/* into the file's text (alive while it is parsed) */
	char time_utc[40];
	enum log_key key_kind;
	int64_t key_ms;
};

struct log_vmx {
	int opid_col;		/* G4: -1 unknown, 0 none (Workstation), 1 ESXi */
	long crash_ev;		/* event taking Backtrace frames and the core path, -1 none */
	char crash_thread[64];
	long crash_line;
	int frames_kind;	/* 0 none yet, 1 Backtrace[n], 2 SymBacktrace[n] */
	long unrec_ev;		/* unrecoverable-error waiting for its reason line */
	long bsod_ev;		/* WinBSOD panic collecting its arguments */
	long power_line;
	char *guest;		/* the Guest: lines' text, one per line */
	size_t guest_len, guest_cap;
	struct guest_line *gl;
	size_t ngl, gl_cap;
};

struct log_vmx *log_vmx_new(void)
{
	struct log_vmx *st = calloc(1, sizeof(*st));
	if (st) {
		st->opid_col = -1;
		st->crash_ev = st->unrec_ev = st->bsod_ev = -1;
		st->power_line = -100;
	}
	return st;
}

void log_vmx_free(struct log_vmx *st)
{
	if (st) {
		free(st->guest);
		free(st->gl);
	}
	free(st);
}

/* Keep a "Guest: TEXT" line's TEXT for the kernel-text parser (log_vmx_finish). */
static void guest_line(struct log_vmx *st, struct log_ctx *c, const struct vmx_line *v, struct lspan text)
{
	if (st->ngl == st->gl_cap) {
		size_t ncap = st->gl_cap ? st->gl_cap * 2 : 64;
		struct guest_line *g = realloc(st->gl, ncap * sizeof(*g));
		if (!g) {
			c->f->oom = true;
			return;
		}
		st->gl = g;
		st->gl_cap = ncap;
	}
	if (st->guest_len + text.n + 1 > st->guest_cap) {
		size_t ncap = (st->guest_len + text.n + 1) * 2;
		char *b = realloc(st->guest, ncap);
		if (!b) {
			c->f->oom = true;
			return;
		}
		st->guest = b;
		st->guest_cap = ncap;
	}
	/* a newline inside TEXT cannot happen (TEXT is the rest of one line) */
	memcpy(st->guest + st->guest_len, text.p, text.n);
	st->guest_len += text.n;
	st->guest[st->guest_len++] = '\n';
	struct guest_line *g = &st->gl[st->ngl++];
	*g = (struct guest_line){ .line_no = c->line_no, .raw = c->raw, .time = c->time, .thread = v->thread,
				  .key_kind = c->key_kind, .key_ms = c->key_ms };
	memcpy(g->time_utc, c->time_utc, sizeof(g->time_utc));
}

void log_vmx_finish(struct log_vmx *st, struct log_ctx *c)
{
	if (!st->ngl || c->f->oom)
		return;
	struct klog_events *kev = NULL;
	struct ck_error *err = klog_events_parse(st->guest, st->guest_len, &kev);
	if (err) {
		ck_error_destroy(err);	/* only ever out of memory */
		c->f->oom = true;
		return;
	}
	for (size_t i = 0; i < kev->n && !c->f->oom; i++) {
		const struct klog_event *k = &kev->ev[i];
		if (k->line_no < 1 || (size_t)k->line_no > st->ngl)
			continue;
		const struct guest_line *g = &st->gl[k->line_no - 1];
		struct log_ctx gc = { .f = c->f, .line_no = g->line_no, .raw = g->raw, .time = g->time,
				      .uptime_s = NAN, .key_kind = g->key_kind, .key_ms = g->key_ms };
		memcpy(gc.time_utc, g->time_utc, sizeof(gc.time_utc));
		struct log_event *e = log_kernel_event(&gc, k);
		if (!e)
			break;
		e->thread = log_dup(c->f, g->thread);
	}
	klog_events_destroy(kev);
}

size_t log_iso_token(struct lspan s)
{
	if (!s.n || !(isdigit((unsigned char)s.p[0]) || s.p[0] == 'Y' || s.p[0] == '<'))
		return 0;
	size_t n = 0;
	int t = 0, dash = 0;
	while (n < s.n && n < 64 && s.p[n] != ' ' && s.p[n] != '|' && s.p[n] != '\t') {
		t |= s.p[n] == 'T';
		dash |= s.p[n] == '-' || s.p[n] == '>';
		n++;
	}
	return t && dash && n >= 8 ? n : 0;
}

size_t log_sev_token(struct lspan s)
{
	if (s.n < 5 || !isupper((unsigned char)s.p[0]) || !islower((unsigned char)s.p[1]) || s.p[2] != '(')
		return 0;
	size_t i = 3;
	while (i < s.n && i < 8 && isdigit((unsigned char)s.p[i]))
		i++;
	if (i == 3 || i >= s.n || s.p[i] != ')')
		return 0;
	i++;
	if (i < s.n && s.p[i] == '+')
		i++;
	return i == s.n || s.p[i] == ' ' ? i : 0;
}

/* "I120:" / "W003+" level of G3: length with the ':'/'+', 0 if none. */
static size_t g3_level(struct lspan s)
{
	if (s.n < 5 || !isupper((unsigned char)s.p[0]) || !isdigit((unsigned char)s.p[1]) ||
	    !isdigit((unsigned char)s.p[2]) || !isdigit((unsigned char)s.p[3]) || (s.p[4] != ':' && s.p[4] != '+'))
		return 0;
	return s.n == 5 || s.p[5] == ' ' ? 5 : 0;
}

static int thread_ok(struct lspan t)
{
	if (!t.n || t.n > 48)
		return 0;
	for (size_t i = 0; i < t.n; i++)
		if (t.p[i] == ' ' || t.p[i] == '[' || t.p[i] == ']' || t.p[i] == '(' || t.p[i] == ')' ||
		    t.p[i] == '=' || t.p[i] == '"')
			return 0;
	return t.p[t.n - 1] != ':';
}

/* An opID-looking token (when the file has not yet shown its "-" column). */
static int opid_like(struct lspan t)
{
	int digit = 0;
	if (t.n < 4 || t.n > 64)
		return 0;
	for (size_t i = 0; i < t.n; i++) {
		char ch = t.p[i];
		if (isdigit((unsigned char)ch))
			digit = 1;
		else if (!(islower((unsigned char)ch) || ch == '-' || ch == '@' || ch == '.'))
			return 0;
	}
	return digit;
}

/* "TIME| thread| [X123: ]msg" (G2, G3), "[time: ]thread| msg" (G1, or quoted without time). */
static int split_pipe(struct lspan l, struct vmx_line *v)
{
	long bar = ls_find_char(ls_make(l.p, l.n < 120 ? l.n : 120), '|');
	if (bar <= 0 || ((size_t)bar + 1 < l.n && l.p[bar + 1] != ' '))
		return 0;
	struct lspan pre = ls_make(l.p, (size_t)bar);
	if (log_iso_token(pre) == pre.n) {
		/* G2/G3: the time, then the thread up to the second bar */
		struct lspan rest = ls_skip(l, (size_t)bar + 1);
		long bar2 = ls_find_char(ls_make(rest.p, rest.n < 64 ? rest.n : 64), '|');
		if (bar2 <= 0 || ((size_t)bar2 + 1 < rest.n && rest.p[bar2 + 1] != ' '))
			return 0;
		v->thread = ls_trim(ls_make(rest.p, (size_t)bar2));
		if (!thread_ok(v->thread))
			return 0;
		int64_t ms;
		int z;
		v->time = pre;
		v->iso = log_time_iso(pre, &ms, &z);
		bar = (long)(rest.p - l.p) + bar2;
	} else {
		long sp = ls_rfind_char(pre, ' ');
		v->thread = ls_skip(pre, (size_t)(sp + 1));
		if (!thread_ok(v->thread))
			return 0;
		struct lspan t = ls_trim(ls_make(pre.p, sp > 0 ? (size_t)sp : 0));
		if (t.n && t.p[t.n - 1] == ':')
			t.n--;
		if (t.n) {
			int64_t ms;
			int z;
			v->iso = log_time_iso(t, &ms, &z);
			/* a time, a year-less date, or a KB placeholder ("<YYYY>T<time>"); never free text */
			if (!v->iso && !log_time_local(t, &ms) && !log_iso_token(t))
				return 0;
		}
		v->time = t;
	}
	struct lspan m = ls_skip(l, (size_t)bar + 1);
	if (m.n && m.p[0] == ' ')
		m = ls_skip(m, 1);
	size_t lv = g3_level(m);
	if (lv) {
		v->level = ls_make(m.p, 4);
		v->cont = m.p[4] == '+';
		m = ls_skip(m, lv + (lv < m.n));
	}
	v->msg = m;
	return 1;
}

/* "TIME [Sev(NN)[+] ]thread [opID|- ]msg" (G4); opid_col as known for the file. */
static int split_g4(struct lspan l, int opid_col, struct vmx_line *v, int *saw_dash)
{
	size_t tn = log_iso_token(l);
	if (!tn || tn >= l.n || l.p[tn] != ' ')
		return 0;
	v->time = ls_make(l.p, tn);
	int64_t ms;
	int z;
	v->iso = log_time_iso(v->time, &ms, &z);
	struct lspan s = ls_skip(l, tn + 1);
	size_t sv = log_sev_token(s);
	if (sv) {
		v->level = ls_make(s.p, s.p[sv - 1] == '+' ? sv - 1 : sv);
		v->cont = s.p[sv - 1] == '+';
		s = ls_skip(s, sv + (sv < s.n));
	}
	v->thread = ls_token(s);
	if (!thread_ok(v->thread) || (ls_prefix(v->thread, "cpu") && ls_find_char(v->thread, ':') > 0))
		return 0;
	s = ls_skip(s, v->thread.n + 1);
	struct lspan o = ls_token(s);
	*saw_dash = ls_eq(o, "-");
	if (!sv && !*saw_dash)
		return 0;	/* without a severity only the KB's "thread - msg" form */
	if (*saw_dash || opid_col == 1 || (opid_col < 0 && opid_like(o) && o.n < s.n)) {
		v->opid = *saw_dash ? ls_make(NULL, 0) : o;
		s = ls_skip(s, o.n + 1);
	}
	v->msg = s;
	return 1;
}

static int vmx_split(struct lspan l, int opid_col, struct vmx_line *v, int *saw_dash)
{
	*v = (struct vmx_line){ 0 };
	*saw_dash = 0;
	return split_pipe(l, v) || split_g4(l, opid_col, v, saw_dash);
}

int log_vmx_shape(struct lspan line)
{
	struct vmx_line v;
	int dash;
	return vmx_split(line, -1, &v, &dash);
}

/* The quoted string after key: "A core file is available in \"PATH\"". */
static struct lspan quoted_after(struct lspan s, const char *key)
{
	long at = ls_find(s, key);
	if (at < 0)
		return ls_make(NULL, 0);
	struct lspan q = ls_skip(s, (size_t)at + strlen(key));
	long e = ls_find_char(q, '"');
	return e < 0 ? ls_make(NULL, 0) : ls_make(q.p, (size_t)e);
}

/* The token after key up to a blank, ',' or a trailing '.'. */
static struct lspan word_after(struct lspan s, const char *key)
{
	long at = ls_find(s, key);
	if (at < 0)
		return ls_make(NULL, 0);
	struct lspan w = ls_token(ls_skip(s, (size_t)at + strlen(key)));
	long c = ls_find_char(w, ',');
	if (c >= 0)
		w.n = (size_t)c;
	while (w.n && w.p[w.n - 1] == '.')
		w.n--;
	return w;
}

static struct log_event *event(struct log_vmx *st, struct log_ctx *c, const struct vmx_line *v, const char *kind)
{
	(void)st;
	struct log_event *e = log_event_new(c, kind);
	if (!e)
		return NULL;
	e->thread = log_dup(c->f, v->thread);
	if (ls_prefix(v->thread, "vcpu-"))
		e->cpu = (int)ls_num(ls_skip(v->thread, 5), NULL);
	return e;
}

static void open_crash(struct log_vmx *st, struct log_ctx *c, const struct vmx_line *v, struct log_event *e)
{
	if (!e)
		return;
	st->crash_ev = (long)(e - c->f->ev);
	size_t n = v->thread.n < sizeof(st->crash_thread) - 1 ? v->thread.n : sizeof(st->crash_thread) - 1;
	memcpy(st->crash_thread, v->thread.p, n);
	st->crash_thread[n] = 0;
	st->crash_line = c->line_no;
	st->frames_kind = 0;
}

static struct log_event *crash_event(struct log_vmx *st, struct log_ctx *c)
{
	if (st->crash_ev < 0 || (size_t)st->crash_ev >= c->f->n || c->line_no - st->crash_line > FRAME_WINDOW)
		return NULL;
	return &c->f->ev[st->crash_ev];
}

/* "Backtrace[3] 00007f.. rip=0000564269e70516 ..." / "... eip 0x8053410" /
 * "SymBacktrace[21] ... rip=... in function clone in object /lib/.../libc.so.6 loaded at ..." */
static void backtrace_line(struct log_vmx *st, struct log_ctx *c, const struct vmx_line *v)
{
	int sym = ls_prefix(v->msg, "SymBacktrace[");
	struct log_event *e = crash_event(st, c);
	if (!e || strlen(st->crash_thread) != v->thread.n || memcmp(st->crash_thread, v->thread.p, v->thread.n))
		return;
	if (st->frames_kind && st->frames_kind != 1 + sym)
		return;	/* the same frames again in the other form */
	st->frames_kind = 1 + sym;
	struct lspan pc = word_after(v->msg, "rip=");
	if (!pc.n)
		pc = word_after(v->msg, "eip ");
	if (!pc.n)
		pc = word_after(v->msg, "eip=");
	struct lspan fn = sym ? word_after(v->msg, "in function ") : ls_make(NULL, 0);
	char buf[160];
	if (fn.n && !ls_eq(fn, "(null)")) {
		snprintf(buf, sizeof(buf), "%.*s", (int)fn.n, fn.p);
	} else if (pc.n) {
		struct lspan obj = word_after(v->msg, "in object ");
		long sl = ls_rfind_char(obj, '/');
		obj = ls_skip(obj, (size_t)(sl + 1));
		snprintf(buf, sizeof(buf), "%s%.*s%s%.*s%s", ls_prefix(pc, "0x") ? "" : "0x", (int)pc.n, pc.p,
			 obj.n ? " (" : "", (int)obj.n, obj.p, obj.n ? ")" : "");
	} else {
		return;
	}
	log_add_frame(c->f, e, ls_cstr(buf));
	st->crash_line = c->line_no;
}

static void header_facts(struct log_ctx *c, struct lspan m)
{
	struct log_file *f = c->f;
	if (ls_prefix(m, "Log for VMware ")) {
		struct lspan p = ls_token(ls_skip(m, 15));
		char buf[64];
		snprintf(buf, sizeof(buf), "VMware %.*s", (int)(p.n < 40 ? p.n : 40), p.p);
		log_info(f, &f->product, ls_cstr(buf));
		log_info(f, &f->version, word_after(m, "version="));
		log_info(f, &f->build, word_after(m, "build="));
	} else if (ls_prefix(m, "Host is ")) {
		log_info(f, &f->kernel, ls_skip(m, 8));
	} else if (ls_prefix(m, "Hostname=")) {
		log_info(f, &f->host, ls_skip(m, 9));
	} else if (ls_prefix(m, "HOST sysname ")) {
		/* G1: "HOST sysname Linux, nodename NAME, release R, version ..." */
		struct lspan sys = word_after(m, "sysname "), rel = word_after(m, "release ");
		char buf[160];
		snprintf(buf, sizeof(buf), "%.*s %.*s", (int)sys.n, sys.p, (int)rel.n, rel.p);
		if (sys.n && rel.n)
			log_info(f, &f->kernel, ls_cstr(buf));
		log_info(f, &f->host, word_after(m, "nodename "));
	}
}

static void signal_of(struct log_event *e, struct lspan m)
{
	long long s = ls_num_after(m, "signal: ");
	if (s < 0)
		s = ls_num_after(m, "Caught signal ");
	if (s > 0 && s < 128)
		e->signal = (int)s;
}

static void thread_summary(struct log_ctx *c, struct log_event *e, const struct vmx_line *v, struct lspan m)
{
	char pfx[64];
	snprintf(pfx, sizeof(pfx), "%.*s: ", (int)(v->thread.n < 48 ? v->thread.n : 48), v->thread.p);
	log_summary(c->f, e, pfx, m);
}

static void events(struct log_vmx *st, struct log_ctx *c, const struct vmx_line *v)
{
	struct log_file *f = c->f;
	struct lspan m = v->msg;
	struct log_event *e;
	if (ls_prefix(m, "Guest: ")) {
		guest_line(st, c, v, ls_skip(m, 7));
		return;
	}
	/* the reason line right after "[msg.log.error.unrecoverable]" */
	if (st->unrec_ev >= 0 && (size_t)st->unrec_ev < f->n && !v->cont) {
		struct log_event *u = &f->ev[st->unrec_ev];
		st->unrec_ev = -1;
		if (c->line_no - u->line_no <= REASON_WINDOW && u->thread && ls_eq(v->thread, u->thread) && m.n) {
			char pfx[80];
			snprintf(pfx, sizeof(pfx), "unrecoverable error (%s): ", u->thread);
			log_summary(f, u, pfx, m);
			signal_of(u, m);
			return;
		}
	}
	if (st->bsod_ev >= 0 && (size_t)st->bsod_ev < f->n && ls_prefix(m, "WinBSOD: Synthetic MSR[0x4000010")) {
		/* MSRs 0x40000101..104: the bugcheck's four arguments */
		struct log_event *b = &f->ev[st->bsod_ev];
		struct lspan val = ls_token(ls_skip(m, (size_t)ls_find(m, "] ") + 2));
		char buf[512];
		snprintf(buf, sizeof(buf), "%s%s%.*s", b->summary ? b->summary : "",
			 ls_find(ls_cstr(b->summary ? b->summary : ""), " args") >= 0 ? ", " : " args ",
			 (int)(val.n < 32 ? val.n : 32), val.p);
		log_set(f, &b->summary, ls_cstr(buf));
		return;
	}
	if (ls_prefix(m, "Backtrace[") || ls_prefix(m, "SymBacktrace[")) {
		backtrace_line(st, c, v);
		return;
	}
	long at;
	if (ls_prefix(m, "PANIC: ") || ls_prefix(m, "Unexpected signal: ") || ls_prefix(m, "Caught signal ") ||
	    ls_prefix(m, "ASSERT ") || ls_prefix(m, "VERIFY ") || ls_prefix(m, "NOT_IMPLEMENTED ")) {
		if ((e = event(st, c, v, "vmx-crash"))) {
			thread_summary(c, e, v, m);
			signal_of(e, m);
		}
		open_crash(st, c, v, e);
	} else if ((at = ls_find(m, "[msg.log.error.unrecoverable]")) >= 0) {
		if ((e = event(st, c, v, "unrecoverable-error"))) {
			struct lspan paren = ls_skip(m, (size_t)at);
			long o = ls_find(paren, "error: ("), cl = o >= 0 ? ls_find_char(ls_skip(paren, (size_t)o), ')') : -1;
			if (cl > 8)
				log_set(f, &e->thread, ls_make(paren.p + o + 8, (size_t)cl - 8));
			log_summary(f, e, "", ls_skip(m, (size_t)at + 31));
			st->unrec_ev = (long)(e - f->ev);
			struct log_event *prev = crash_event(st, c);
			if (!prev)
				open_crash(st, c, v, e);
		}
	} else if ((at = ls_find(m, "MONITOR PANIC: ")) >= 0) {
		if ((e = event(st, c, v, "monitor-panic"))) {
			struct lspan p = ls_skip(m, (size_t)at);
			long tag = ls_find(p, "</");
			if (tag > 0)
				p.n = (size_t)tag;	/* the KB's stray markup */
			log_summary(f, e, "", p);
			struct lspan ip = word_after(p, "rip=");
			if (!ip.n)
				ip = word_after(p, "eip=");
			if (ip.n)
				e->ip = log_dup(f, ip);
			if (ls_prefix(ls_skip(p, 15), "vcpu-"))
				e->cpu = (int)ls_num(ls_skip(p, 20), NULL);
		}
		open_crash(st, c, v, e);
	} else if ((at = ls_find(m, "GuestRpcSendTimedOut: message to ")) >= 0) {
		if ((e = event(st, c, v, "guestrpc-timeout"))) {
			struct lspan ch = word_after(m, "message to ");
			e->channel = log_dup(f, ch);
			log_summary(f, e, "GuestRPC message timed out on channel ", ch);
		}
	} else if (ls_prefix(m, "Tools: Tools heartbeat timeout") || ls_prefix(m, "Tools: [AppStatus] Last heartbeat")) {
		if ((e = event(st, c, v, "tools-heartbeat"))) {
			log_summary(f, e, "", ls_skip(m, 7));
			long long ago = ls_num_after(m, "last received ");
			if (ago >= 0)
				e->duration_s = (double)ago;
		}
	} else if (ls_prefix(m, "Tools: Changing running status: ")) {
		/* a lower running status: the guest's Tools stopped answering */
		long long from = ls_num(ls_skip(m, 32), NULL), to = ls_num_after(m, "=> ");
		if (from > 0 && to >= 0 && to < from && (e = event(st, c, v, "tools-heartbeat"))) {
			char buf[96];
			snprintf(buf, sizeof(buf), "VMware Tools stopped running (running status %lld => %lld)", from, to);
			log_summary(f, e, buf, ls_make(NULL, 0));
		}
	} else if ((at = ls_find(m, "Checkpoint_Unstun: vm stopped for ")) >= 0) {
		long long us = ls_num_after(m, "stopped for ");
		if ((e = event(st, c, v, "stun"))) {
			e->duration_s = us >= 0 ? (double)us / 1e6 : NAN;
			char buf[96];
			snprintf(buf, sizeof(buf), "VM stunned (stopped) for %.3f s", e->duration_s);
			log_summary(f, e, buf, ls_make(NULL, 0));
		}
	} else if (ls_prefix(m, "CPU reset: ")) {
		if ((e = event(st, c, v, "cpu-reset")))
			log_summary(f, e, "", m);
	} else if (ls_prefix(m, "VMX has left the building: ")) {
		if ((e = event(st, c, v, "vmx-exit"))) {
			long long code = ls_num(ls_skip(m, 27), NULL);
			e->exit_code = code >= 0 && code < 1000000 ? (int)code : -1;
			log_summary(f, e, "VMX exited, code ", word_after(m, "building: "));
		}
	} else if (ls_find(m, "Exec state change requested to state poweredOn") >= 0 || ls_eq(m, "PowerOn")) {
		if (c->line_no - st->power_line > POWER_DEDUP && (e = event(st, c, v, "power-on")))
			log_summary(f, e, "", m);
		st->power_line = c->line_no;
	} else if (ls_find(m, "Exec state change requested to state suspended") >= 0) {
		if ((e = event(st, c, v, "suspend")))
			log_summary(f, e, "", m);
	} else if (ls_prefix(m, "WinBSOD: Synthetic MSR[0x40000100] ")) {
		if ((e = event(st, c, v, "panic"))) {
			log_summary(f, e, "Windows guest bugcheck ", ls_token(ls_skip(m, 35)));
			st->bsod_ev = (long)(e - f->ev);
		}
	} else {
		header_facts(c, m);
	}
	/* the core path, wherever it is said (also inside Msg_Post's panic text) */
	struct lspan core = quoted_after(m, "A core file is available in \"");
	if (core.n) {
		struct log_event *owner = crash_event(st, c);
		if (owner && !owner->core_file)
			owner->core_file = log_dup(f, core);
		if ((e = event(st, c, v, "core-dump"))) {
			e->core_file = log_dup(f, core);
			log_summary(f, e, "core file ", core);
		}
	}
}

int log_vmx_line(struct log_vmx *st, struct log_ctx *c)
{
	struct vmx_line v;
	int dash;
	if (!vmx_split(c->raw, st->opid_col, &v, &dash))
		return 0;
	if (dash)
		st->opid_col = 1;
	if (v.time.n)
		log_ctx_time(c, v.time, v.iso ? LOG_T_ISO : LOG_T_LOCAL);
	events(st, c, &v);
	return 1;
}
