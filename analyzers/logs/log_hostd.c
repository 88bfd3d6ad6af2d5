/*
 * log_hostd.c - ESXi daemon logs through syslog: hostd, vpxa, vobd (and the
 * lines of any other program, which give no event):
 *   ESXi 8   "2025-...Z Er(163) Hostd[2098450]: [Originator@6876 sub=...] msg"
 *   ESXi 7-  "2020-...Z info hostd[2099111] [Originator@6876 sub=...] msg"
 *   vobd     "2017-...Z: [UserWorldCorrelator] 2587541270us: [vob.uw.core.dumped] /bin/vpxa(36578) /var/core/..."
 * Events: userworld-dump ("EXE crashed (N time(s) so far) and a core file
 * might have been created at PATH", [vob.uw.core.dumped], [esx.problem.*.core.dumped]),
 * panic ("Guest operating system crash detected.": a guest's bugcheck seen by hostd).
 */
#include <stdio.h>

#include "log_parse.h"

static int prog_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '_' || ch == '.';
}

int log_esx_syslog_split(struct lspan l, struct lspan *time, struct lspan *prog, int64_t *pid, struct lspan *msg)
{
	size_t tn = log_iso_token(l);
	if (!tn || tn >= l.n || (l.p[tn] != ' ' && l.p[tn] != ':'))
		return 0;
	*time = ls_make(l.p, tn);
	struct lspan s = ls_trim(ls_skip(l, tn + 1));
	if (time->n && time->p[time->n - 1] == ':' && ls_prefix(s, "[")) {
		/* vobd: "ISO: [UserWorldCorrelator] 2587541270us: [vob.uw.core.dumped] ..." */
		long e = ls_find_char(s, ']');
		if (e < 2)
			return 0;
		time->n--;
		*prog = ls_make(s.p + 1, (size_t)e - 1);
		*pid = -1;
		*msg = ls_trim(ls_skip(s, (size_t)e + 1));
		return 1;
	}
	size_t sv = log_sev_token(s);
	int level_word = 0;
	if (sv) {
		s = ls_skip(s, sv + 1);
	} else {
		static const char *const lv[] = { "info ", "verbose ", "warning ", "error ", "panic ", "trivia " };
		for (size_t i = 0; i < sizeof(lv) / sizeof(lv[0]); i++)
			if (ls_prefix(s, lv[i])) {
				s = ls_skip(s, strlen(lv[i]));
				level_word = 1;
			}
	}
	size_t n = 0;
	while (n < s.n && n < 40 && prog_char(s.p[n]))
		n++;
	if (!n || !isalpha((unsigned char)s.p[0]))
		return 0;
	*prog = ls_make(s.p, n);
	*pid = -1;
	struct lspan r = ls_skip(s, n);
	if (r.n && r.p[0] == '[') {
		size_t used;
		long long v = ls_num(ls_skip(r, 1), &used);
		if (1 + used < r.n && r.p[1 + used] == ']') {
			*pid = v;	/* -1 for a KB's "[#####]" */
			r = ls_skip(r, 2 + used);
		} else {
			long e = ls_find_char(r, ']');
			if (e < 0)
				return 0;
			r = ls_skip(r, (size_t)e + 1);
		}
	}
	if (ls_prefix(r, ": "))
		r = ls_skip(r, 2);
	else if (ls_prefix(r, " [") && (level_word || *pid >= 0))
		r = ls_skip(r, 1);
	else
		return 0;
	*msg = r;
	return 1;
}

int log_hostd_shape(struct lspan line)
{
	struct lspan t, prog, msg;
	int64_t pid;
	return log_esx_syslog_split(line, &t, &prog, &pid, &msg) && !ls_eq(prog, "vmkernel") &&
	       !ls_eq(prog, "vmkwarning");
}

int log_hostd_line(struct log_ctx *c)
{
	struct lspan t, prog, m;
	int64_t pid;
	if (!log_esx_syslog_split(c->raw, &t, &prog, &pid, &m) || ls_eq(prog, "vmkernel") ||
	    ls_eq(prog, "vmkwarning"))
		return 0;
	struct log_file *f = c->f;
	log_ctx_time(c, t, LOG_T_ISO);
	struct log_event *e;
	long at;
	char buf[256];
	if (ls_find(m, "Guest operating system crash detected") >= 0) {
		if ((e = log_event_new(c, "panic"))) {
			e->pid = pid;
			e->thread = log_dup(f, prog);
			snprintf(buf, sizeof(buf), "guest operating system crash detected (%.*s)",
				 (int)prog.n, prog.p);
			log_summary(f, e, buf, ls_make(NULL, 0));
		}
	} else if ((at = ls_find(m, " crashed (")) > 0 && ls_find(m, "core file might have been created at ") > 0) {
		/* "/bin/hostd crashed (1 time(s) so far) and a core file might have been created at PATH." */
		struct lspan pre = ls_make(m.p, (size_t)at);
		long sp = ls_rfind_char(pre, ' ');
		struct lspan exe = ls_skip(pre, (size_t)(sp + 1));
		struct lspan core = ls_token(ls_skip(m, (size_t)ls_find(m, "created at ") + 11));
		while (core.n && core.p[core.n - 1] == '.')
			core.n--;
		if ((e = log_event_new(c, "userworld-dump"))) {
			e->comm = log_dup(f, exe);
			e->core_file = log_dup(f, core);
			e->thread = log_dup(f, prog);
			snprintf(buf, sizeof(buf), "%.*s crashed, core file ", (int)(exe.n < 100 ? exe.n : 100), exe.p);
			log_summary(f, e, buf, core);
		}
	} else if ((at = ls_find(m, "[vob.uw.core.dumped] ")) >= 0) {
		/* "[vob.uw.core.dumped] /bin/hostd(12345) /var/core/hostd-worker-zdump.000" */
		struct lspan r = ls_skip(m, (size_t)at + 21);
		struct lspan exe = ls_token(r);
		struct lspan core = ls_token(ls_trim(ls_skip(r, exe.n)));
		long o = ls_rfind_char(exe, '(');
		if ((e = log_event_new(c, "userworld-dump"))) {
			if (o > 0) {
				e->pid = ls_num(ls_skip(exe, (size_t)o + 1), NULL);
				exe.n = (size_t)o;
			}
			e->comm = log_dup(f, exe);
			if (core.n)
				e->core_file = log_dup(f, core);
			e->thread = log_dup(f, prog);
			snprintf(buf, sizeof(buf), "%.*s dumped core ", (int)(exe.n < 100 ? exe.n : 100), exe.p);
			log_summary(f, e, buf, core);
		}
	} else if ((at = ls_find(m, "[esx.problem.")) >= 0 && ls_find(m, ".core.dumped]") > at) {
		if ((e = log_event_new(c, "userworld-dump"))) {
			e->thread = log_dup(f, prog);
			log_summary(f, e, "", ls_skip(m, (size_t)at));
		}
	}
	return 1;
}
