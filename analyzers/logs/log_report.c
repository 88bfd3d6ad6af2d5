/* log_report.c - log files into the report model: facts, timeline, verdict. */
#include "log_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ref {
	const struct log_event *e;
	size_t file;
};

static int ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	return log_events_compare(x->e, x->file, y->e, y->file);
}

static int dup_to(char **dst, const char *s)
{
	*dst = NULL;
	return !s || (*dst = strdup(s)) != NULL;
}

static struct ck_error *copy_event(struct rpt_event *o, const struct log_event *e, const char *source)
{
	*o = (struct rpt_event){ .kind = e->kind, .source = source, .line_no = e->line_no, .uptime_s = e->uptime_s,
				 .pid = e->pid, .cpu = e->cpu, .world = e->world, .cartel = e->cartel,
				 .signal = e->signal, .exit_code = e->exit_code, .duration_s = e->duration_s,
				 .offset = e->offset };
	int ok = dup_to(&o->text, e->text) & dup_to(&o->time, e->time) & dup_to(&o->time_utc, e->time_utc) &
		 dup_to(&o->thread, e->thread) & dup_to(&o->comm, e->comm) & dup_to(&o->address, e->address) &
		 dup_to(&o->ip, e->ip) & dup_to(&o->module, e->module) & dup_to(&o->core_file, e->core_file) &
		 dup_to(&o->summary, e->summary) & dup_to(&o->channel, e->channel);
	if (ok && e->nframes && (o->frames = calloc(e->nframes, sizeof(*o->frames))))
		for (size_t j = 0; j < e->nframes && ok; j++)
			ok = (o->frames[o->nframes++] = strdup(e->frames[j])) != NULL;
	return ok && (!e->nframes || o->frames) ? NULL : &ck_enomem;
}

struct ck_error *log_report_add(struct report *r, struct log_file *const *files, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += files[i]->n;
	struct rpt_log *logs = realloc(r->logs, (r->nlogs + n + 1) * sizeof(*logs));
	if (!logs)
		return &ck_enomem;
	r->logs = logs;
	size_t first_log = r->nlogs;
	for (size_t i = 0; i < n; i++) {
		const struct log_file *f = files[i];
		struct rpt_log *l = &r->logs[r->nlogs++];
		*l = (struct rpt_log){ .format = log_format_name(f->format) };
		if (!(dup_to(&l->source, f->source) & dup_to(&l->product, f->product) &
		      dup_to(&l->version, f->version) & dup_to(&l->build, f->build) &
		      dup_to(&l->kernel, f->kernel) & dup_to(&l->host, f->host)))
			return &ck_enomem;
		struct ck_error *w = NULL;
		if (f->truncated)
			w = report_warn(r, "%s: only the first %d MiB read", f->source, LOG_MAX_FILE >> 20);
		if (!w && f->dropped)
			w = report_warn(r, "%s: %zu events past the first %d dropped", f->source, f->dropped,
					LOG_MAX_EVENTS);
		if (w)
			return w;
	}
	struct ref *refs = calloc(total + 1, sizeof(*refs));
	struct rpt_event *ev = realloc(r->events, (r->nevents + total + 1) * sizeof(*ev));
	if (!refs || !ev) {
		free(refs);
		if (ev)
			r->events = ev;
		return &ck_enomem;
	}
	r->events = ev;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < files[i]->n; j++)
			refs[k++] = (struct ref){ &files[i]->ev[j], i };
	qsort(refs, total, sizeof(*refs), ref_cmp);
	struct ck_error *err = NULL;
	for (k = 0; k < total && !err; k++) {
		err = copy_event(&r->events[r->nevents], refs[k].e, r->logs[first_log + refs[k].file].source);
		r->nevents++;	/* also when partly copied: report_deinit frees it */
	}
	free(refs);
	return err ? err : log_verdict(r);
}
