/*
 * log_vmkernel.c - vmkernel.log lines and the PSOD (purple screen) text.
 *   ESX <= 4   "0:01:39:57.763 cpu1:4553)msg"            (uptime, no clock)
 *   ESXi 5-7   "2020-10-07T13:07:09.864Z cpu36:1001599386[ opID=X])msg"
 *   ESXi 8     "2025-12-11T16:41:48.486Z In(182) vmkernel: cpu1:131211)msg"
 * plus the PSOD's bare lines ("@BlueScreen: ...", "#PF Exception 14 in world
 * W:NAME IP 0x.. addr 0x..", "Coredump to disk.").  Events:
 *   psod            "@BlueScreen: REASON" or an exception line; its frames are
 *                   those of a "Backtrace for current CPU #N" printed just
 *                   before it (same second) or the frame lines after it;
 *                   "Code start: ... VMK uptime: d:hh:mm:ss.mmm" gives uptime_s
 *   psod            "Saved backtrace from: pcpu N ...": the frames after it
 *                   are pcpu N's, not the reporting CPU's (its own event)
 *   warning         a "Backtrace for current CPU" with no PSOD around it (a
 *                   logged WARNING's backtrace, e.g. NETDEV WATCHDOG)
 *   userworld-dump  "UserDump: N: [NAME: ]Dumping cartel C (from world W) to file PATH"
 *   core-dump       "Coredump to disk." (the PSOD's dump)
 */
#include <stdio.h>
#include <stdlib.h>

#include "log_parse.h"

enum { PSOD_WINDOW = 40, FRAME_GAP = 40, WARN_WINDOW = 4 };

struct vmk_line {
	struct lspan time;
	int dhms;		/* ESX 4 uptime prefix */
	int has_cpu;
	int cpu;
	int64_t world;		/* -1: "cpu23:)" */
	struct lspan body;
};

struct log_vmk {
	long bt_ev;		/* event taking frame lines, -1 none */
	long bt_line;		/* line of its last frame or header */
	int bt_provisional;	/* bt_ev is a "Backtrace for current CPU" not yet known to be a PSOD's */
	int64_t bt_key;
	long psod_ev, psod_line;
	char warn[256];		/* the last "WARNING: ..." body, for a backtrace that follows it */
	long warn_line;
	int warn_cpu;
};

struct log_vmk *log_vmk_new(void)
{
	struct log_vmk *st = calloc(1, sizeof(*st));
	if (st) {
		st->bt_ev = st->psod_ev = -1;
		st->warn_line = -100;
	}
	return st;
}

void log_vmk_free(struct log_vmk *st)
{
	free(st);
}

/* "d:hh:mm:ss.mmm" token length, 0 if none. */
static size_t dhms_token(struct lspan s)
{
	struct lspan t = ls_token(s);
	double secs;
	return t.n >= 10 && ls_find_char(t, 'T') < 0 && log_time_dhms(t, &secs) ? t.n : 0;
}

static int vmk_split(struct lspan l, struct vmk_line *v)
{
	*v = (struct vmk_line){ .world = -1 };
	struct lspan s = l;
	size_t tn = log_iso_token(s);
	if (tn) {
		v->time = ls_make(s.p, tn);
	} else if ((tn = dhms_token(s))) {
		v->time = ls_make(s.p, tn);
		v->dhms = 1;
	}
	if (tn) {
		if (tn >= s.n || s.p[tn] != ' ')
			return 0;
		s = ls_skip(s, tn + 1);
	}
	size_t sv = log_sev_token(s);
	if (sv) {
		struct lspan prog = ls_token(ls_skip(s, sv + 1));
		if (!ls_eq(prog, "vmkernel:") && !ls_eq(prog, "vmkwarning:"))
			return 0;
		s = ls_skip(s, sv + 1 + prog.n + 1);
	}
	if (!ls_prefix(s, "cpu"))
		return 0;
	size_t used;
	long long cpu = ls_num(ls_skip(s, 3), &used);
	if (cpu < 0 || cpu > 100000 || 3 + used >= s.n || s.p[3 + used] != ':')
		return 0;
	struct lspan r = ls_skip(s, 4 + used);
	long long world = ls_num(r, &used);
	r = ls_skip(r, used);
	if (ls_prefix(r, " opID=")) {
		long e = ls_find_char(r, ')');
		if (e < 0)
			return 0;
		r = ls_skip(r, (size_t)e);
	}
	if (!r.n || r.p[0] != ')')
		return 0;
	v->has_cpu = 1;
	v->cpu = (int)cpu;
	v->world = world;
	v->body = ls_skip(r, 1);
	return 1;
}

int log_vmk_shape(struct lspan line)
{
	struct vmk_line v;
	return vmk_split(line, &v) || ls_prefix(line, "@BlueScreen: ");
}

/* Exception lines of the PSOD: "#PF Exception 14 in world ...", "#GP Exception(13) in world ...". */
static int exception_line(struct lspan b)
{
	return b.n > 4 && b.p[0] == '#' && isupper((unsigned char)b.p[1]) && isupper((unsigned char)b.p[2]) &&
	       ls_prefix(ls_skip(b, 3), " Exception");
}

/* A frame "0xFP:[0xRIP]Func@module#ver+0xoff stack: ..." (or "Func+0xoff"). */
static int frame_line(struct lspan b, struct lspan *fn, struct lspan *mod, struct lspan *rip)
{
	if (!ls_prefix(b, "0x"))
		return 0;
	long o = ls_find(b, ":[0x");
	if (o < 0 || o > 20)
		return 0;
	struct lspan r = ls_skip(b, (size_t)o + 2);
	long c = ls_find_char(r, ']');
	if (c < 0)
		return 0;
	*rip = ls_make(r.p, (size_t)c);
	struct lspan f = ls_token(ls_skip(r, (size_t)c + 1));
	*mod = ls_make(NULL, 0);
	long at = ls_find_char(f, '@'), plus = ls_find(f, "+0x");
	if (at >= 0) {
		struct lspan m = ls_skip(f, (size_t)at + 1);
		long h = ls_find_char(m, '#');
		*mod = ls_make(m.p, h >= 0 ? (size_t)h : (plus > at ? (size_t)(plus - at - 1) : m.n));
		f.n = (size_t)at;
	} else if (plus >= 0) {
		f.n = (size_t)plus;
	}
	*fn = f;
	return 1;
}

static struct log_event *ev_at(struct log_ctx *c, long i)
{
	return i >= 0 && (size_t)i < c->f->n ? &c->f->ev[i] : NULL;
}

static struct log_event *new_event(struct log_ctx *c, const struct vmk_line *v, const char *kind)
{
	struct log_event *e = log_event_new(c, kind);
	if (e && v->has_cpu) {
		e->cpu = v->cpu;
		e->world = v->world;
	}
	return e;
}

/* "... in world 1001599386:fdsAIO IP 0x420017c7c1d2 addr 0xe8" / "... in world W:NAME @ 0x..." */
static void exception_fields(struct log_file *f, struct log_event *e, struct lspan r)
{
	long w = ls_find(r, " in world ");
	if (w >= 0) {
		struct lspan s = ls_skip(r, (size_t)w + 10);
		size_t used;
		long long wid = ls_num(s, &used);
		if (wid >= 0)
			e->world = wid;
		s = ls_skip(s, used);
		if (s.n && s.p[0] == ':') {
			s = ls_skip(s, 1);
			long end = ls_find(s, " IP ");
			if (end < 0)
				end = ls_find(s, " @ ");
			if (end > 0)
				e->comm = log_dup(f, ls_make(s.p, (size_t)end));
		}
	}
	long ip = ls_find(r, " IP ");
	if (ip < 0)
		ip = ls_find(r, " @ ");
	if (ip >= 0)
		e->ip = log_dup(f, ls_token(ls_skip(r, (size_t)ip + 4 - (r.p[ip + 1] == '@'))));
	long a = ls_find(r, " addr ");
	if (a >= 0)
		e->address = log_dup(f, ls_token(ls_skip(r, (size_t)a + 6)));
}

/* A PSOD reason line: a new psod event, taking the frames of a backtrace just before it. */
static void psod(struct log_vmk *st, struct log_ctx *c, const struct vmk_line *v, struct lspan reason)
{
	struct log_file *f = c->f;
	struct log_event *prev = ev_at(c, st->psod_ev);
	if (prev && c->line_no - st->psod_line <= PSOD_WINDOW && exception_line(reason) &&
	    strncmp(prev->summary ? prev->summary : "", "#", 1) != 0 && !prev->ip) {
		/* "@BlueScreen: ..." then its exception line: one PSOD */
		exception_fields(f, prev, reason);
		return;
	}
	struct log_event *bt = st->bt_provisional ? ev_at(c, st->bt_ev) : NULL;
	int take = bt && c->line_no - st->bt_line <= PSOD_WINDOW &&
		   (c->key_kind == LOG_KEY_NONE || c->key_ms - st->bt_key < 1000);
	struct log_event *e = new_event(c, v, "psod");
	if (!e)
		return;
	bt = take ? ev_at(c, st->bt_ev) : NULL;	/* the array may have moved */
	log_summary(f, e, "", reason);
	if (exception_line(reason))
		exception_fields(f, e, reason);
	if (bt) {
		/* the backtrace was the panicking CPU's: it and its frames are the PSOD's */
		e->cpu = bt->cpu;
		if (e->world < 0)
			e->world = bt->world;
		e->frames = bt->frames;
		e->nframes = bt->nframes;
		bt->frames = NULL;
		bt->nframes = 0;
		if (!e->module && bt->module) {
			e->module = bt->module;
			bt->module = NULL;
		}
		if (bt == &f->ev[f->n - 2]) {
			/* drop the provisional "warning": the event after it moves down */
			log_event_free(bt);
			*bt = *e;
			f->n--;
			e = bt;
		}
	}
	st->bt_provisional = 0;
	st->psod_ev = st->bt_ev = (long)(e - f->ev);
	st->psod_line = st->bt_line = c->line_no;
}

static void set_banner(struct log_file *f, struct lspan b)
{
	/* "VMware ESXi 7.0.1 [build-16850804 x86_64]", colour escapes (raw or as "^[") removed */
	char buf[256];
	size_t n = 0;
	for (size_t i = 0; i < b.n && n < sizeof(buf) - 1; i++) {
		if (b.p[i] == 0x1b || (b.p[i] == '^' && i + 1 < b.n && b.p[i + 1] == '[')) {
			size_t j = i + (b.p[i] == '^' ? 2 : 1);
			if (j < b.n && b.p[j] == '[') {
				while (j < b.n && !isalpha((unsigned char)b.p[j]))
					j++;
				i = j;
				continue;
			}
		}
		buf[n++] = b.p[i];
	}
	buf[n] = 0;
	struct lspan s = ls_cstr(buf);
	long at = ls_find(s, "VMware ESX");
	if (at < 0)
		return;
	s = ls_skip(s, (size_t)at);
	struct lspan prod = ls_token(ls_skip(s, 7));
	struct lspan ver = ls_token(ls_skip(s, 7 + prod.n + 1));
	long bl = ls_find(s, "build-");
	if (!ver.n || !isdigit((unsigned char)ver.p[0]) || bl < 0)
		return;
	char pb[48];
	snprintf(pb, sizeof(pb), "VMware %.*s", (int)(prod.n < 32 ? prod.n : 32), prod.p);
	log_info(f, &f->product, ls_cstr(pb));
	log_info(f, &f->version, ver);
	struct lspan b2 = ls_token(ls_skip(s, (size_t)bl));
	while (b2.n && !isdigit((unsigned char)b2.p[b2.n - 1]))
		b2.n--;
	log_info(f, &f->build, b2);
}

static void body(struct log_vmk *st, struct log_ctx *c, const struct vmk_line *v, struct lspan b)
{
	struct log_file *f = c->f;
	struct log_event *e;
	struct lspan fn, mod, rip;
	if (ls_prefix(b, "@BlueScreen: ")) {
		psod(st, c, v, ls_trim(ls_skip(b, 13)));
	} else if (exception_line(b)) {
		psod(st, c, v, ls_trim(b));
	} else if (ls_prefix(b, "Backtrace for current CPU #")) {
		struct log_event *p = ev_at(c, st->psod_ev);
		if (p && c->line_no - st->psod_line <= PSOD_WINDOW) {
			st->bt_ev = st->psod_ev;	/* after the reason: the PSOD's own frames */
			st->bt_line = c->line_no;
			return;
		}
		if (!(e = new_event(c, v, "warning")))
			return;
		e->cpu = (int)ls_num(ls_skip(b, 27), NULL);
		long long w = ls_num_after(b, "worldID=");
		if (w >= 0)
			e->world = w;
		if (c->line_no - st->warn_line <= WARN_WINDOW && st->warn_cpu == e->cpu)
			log_summary(f, e, "", ls_cstr(st->warn));
		else
			log_summary(f, e, "", b);
		st->bt_ev = (long)(e - f->ev);
		st->bt_line = c->line_no;
		st->bt_key = c->key_ms;
		st->bt_provisional = 1;
	} else if (ls_prefix(b, "Saved backtrace from: pcpu ")) {
		/* the frames that follow are pcpu N's (taken by NMI), not this CPU's */
		if (!(e = new_event(c, v, "psod")))
			return;
		e->cpu = (int)ls_num(ls_skip(b, 27), NULL);
		e->world = -1;
		log_summary(f, e, "", b);
		st->bt_ev = (long)(e - f->ev);
		st->bt_line = c->line_no;
		st->bt_provisional = 0;
	} else if (frame_line(b, &fn, &mod, &rip)) {
		struct log_event *t = ev_at(c, st->bt_ev);
		if (!t || c->line_no - st->bt_line > FRAME_GAP)
			return;
		log_add_frame(f, t, fn);
		if (!t->module && mod.n)
			t->module = log_dup(f, mod);
		if (!t->ip && strcmp(t->kind, "psod") != 0)
			t->ip = log_dup(f, rip);
		st->bt_line = c->line_no;
	} else if (ls_prefix(b, "Code start: ")) {
		struct log_event *p = ev_at(c, st->psod_ev);
		long at = ls_find(b, "VMK uptime: ");
		double secs;
		if (p && at >= 0 && log_time_dhms(ls_token(ls_skip(b, (size_t)at + 12)), &secs)) {
			p->uptime_s = secs;
			if (p->cpu < 0 && v->has_cpu) {
				p->cpu = v->cpu;
				p->world = v->world;
			}
		}
	} else if (ls_prefix(b, "Coredump to ")) {
		if ((e = new_event(c, v, "core-dump")))
			log_summary(f, e, "vmkernel core dump: ", b);
	} else if (ls_prefix(b, "UserDump: ")) {
		long d = ls_find(b, "Dumping cartel ");
		if (d < 0 || !(e = new_event(c, v, "userworld-dump")))
			return;
		/* "UserDump: 3157: iofltd-emcsplit: Dumping cartel ..." (the name in newer builds) */
		struct lspan pre = ls_make(b.p + 10, (size_t)d - 10);	/* after "UserDump: " */
		size_t used;
		ls_num(pre, &used);
		struct lspan name = ls_prefix(ls_skip(pre, used), ": ") ? ls_trim(ls_skip(pre, used + 2)) : ls_make(NULL, 0);
		if (name.n && name.p[name.n - 1] == ':')
			name.n--;
		if (name.n)
			e->comm = log_dup(f, name);
		long long cartel = ls_num(ls_skip(b, (size_t)d + 15), NULL);
		e->cartel = cartel;
		long long w = ls_num_after(b, "(from world ");
		if (w >= 0)
			e->world = w;
		long to = ls_find(b, " to file ");
		if (to >= 0)
			e->core_file = log_dup(f, ls_token(ls_skip(b, (size_t)to + 9)));
		char buf[160];
		snprintf(buf, sizeof(buf), "user world %s dumped core to ", e->comm ? e->comm : "?");
		log_summary(f, e, buf, ls_cstr(e->core_file ? e->core_file : "?"));
	} else if (ls_find(b, "VMware ESX") >= 0 && ls_find(b, "build-") > 0) {
		set_banner(f, b);
	} else if (ls_prefix(b, "WARNING: ") && v->has_cpu) {
		size_t n = b.n < sizeof(st->warn) - 1 ? b.n : sizeof(st->warn) - 1;
		if (c->line_no - st->warn_line > 1 || st->warn_cpu != v->cpu) {
			memcpy(st->warn, b.p, n);	/* the first WARNING line of a group names it */
			st->warn[n] = 0;
		}
		st->warn_line = c->line_no;
		st->warn_cpu = v->cpu;
	}
}

int log_vmk_line(struct log_vmk *st, struct log_ctx *c, int bare)
{
	struct vmk_line v;
	if (!vmk_split(c->raw, &v)) {
		if (!bare)
			return ls_prefix(c->raw, "@BlueScreen: ") ? (body(st, c, &v, c->raw), 1) : 0;
		v = (struct vmk_line){ .world = -1, .body = ls_trim(c->raw) };
	}
	if (v.time.n)
		log_ctx_time(c, v.time, v.dhms ? LOG_T_DHMS : LOG_T_ISO);
	body(st, c, &v, v.body);
	return 1;
}

void log_vmk_finish(struct log_vmk *st, struct log_ctx *c)
{
	(void)st;
	(void)c;
}
