/*
 * an_klog.c - the guest kernel's log (the printk ring, klog.h) in the
 * report: the whole log for --dmesg, and the kernel's own warnings found in
 * it (hung task, lockups, RCU stalls, Oops/BUG, WARNING, panic) as events,
 * parsed by the one kernel-text parser (klog_events.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "klog.h"
#include "klog_events.h"
#include "target_kernel.h"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static struct ck_error *add_events(struct report *r, const struct klog_events *ev)
{
	if (!ev->n)
		return NULL;
	r->events = calloc(ev->n, sizeof(*r->events));
	if (!r->events)
		return &ck_enomem;
	for (size_t i = 0; i < ev->n; i++) {
		const struct klog_event *e = &ev->ev[i];
		struct rpt_event *o = &r->events[r->nevents++];
		o->kind = e->kind;
		o->source = "kernel log";
		o->line_no = e->line_no;
		o->uptime_s = e->uptime_s;
		o->pid = e->pid;
		o->cpu = e->cpu;
		o->world = o->cartel = -1;
		o->signal = o->exit_code = -1;
		o->offset = -1;
		o->duration_s = e->duration_s;
		o->text = dup_or_null(e->text);
		o->time = dup_or_null(e->time);
		o->comm = dup_or_null(e->comm);
		o->address = dup_or_null(e->address);
		o->ip = dup_or_null(e->ip);
		o->module = dup_or_null(e->module);
		o->summary = dup_or_null(e->summary);
		if ((e->text && !o->text) || (e->time && !o->time) || (e->comm && !o->comm) ||
		    (e->address && !o->address) || (e->ip && !o->ip) || (e->module && !o->module) ||
		    (e->summary && !o->summary))
			return &ck_enomem;
		if (e->nframes) {
			if (!(o->frames = calloc(e->nframes, sizeof(*o->frames))))
				return &ck_enomem;
			for (size_t j = 0; j < e->nframes; j++)
				if (!(o->frames[o->nframes++] = strdup(e->frames[j])))
					return &ck_enomem;
		}
		if (strcmp(e->kind, "panic") == 0 && !r->kernel.panic_message && e->summary &&
		    !(r->kernel.panic_message = strdup(e->summary)))
			return &ck_enomem;
	}
	return NULL;
}

static struct ck_error *klog_run(struct target *t, const struct analyzer_options *opt, struct report *r)
{
	(void)opt;
	const struct machine *m = NULL;
	if (!target_kernel_info(t, &m))
		return NULL;
	struct klog *log = NULL;
	struct ck_error *err = klog_read(target_kernel_memory(t), m->meta.vmcoreinfo, m->meta.vmcoreinfo_len, &log);
	if (err)
		return err;	/* the runner keeps a soft error as a warning */
	if (log->warnings && (err = report_warn(r, "kernel log: %llu records unreadable or corrupt (%s)",
						(unsigned long long)log->warnings,
						log->first_warning ? log->first_warning : "?"))) {
		klog_destroy(log);
		return err;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		klog_destroy(log);
		return &ck_enomem;
	}
	klog_format_dmesg(f, log, 0);
	if (fclose(f) != 0) {
		free(text);
		klog_destroy(log);
		return &ck_enomem;
	}
	r->kernel.dmesg = text;
	struct klog_events *ev = NULL;
	err = klog_events_from_klog(log, &ev);
	if (!err)
		err = add_events(r, ev);
	klog_events_destroy(ev);
	klog_destroy(log);
	return err;
}

const struct analyzer analyzer_klog = {
	.name = "klog",
	.summary = "guest kernel log (printk ring): --dmesg, and the kernel's own warnings as events",
	.targets = TARGET_KERNEL_IMAGE,
	.run = klog_run,
};
