/*
 * an_zdump.c - the zdump analyzer: what the scan of an ESXi zdump found
 * (report.zdump), its carved log text through the log parsers (events, the
 * verdict's findings, as for `coresummary LOGFILE`), and its kind by name and
 * by content: a vmkernel log in it makes it a kernel zdump; else an ELF core
 * of the VMX ("vmx", "vmware-vmx") a VMX zdump, of another program a user
 * world's.  The embedded core itself is analysed by the process analyzers,
 * which run on the same target before this one.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "log_report.h"
#include "target_zdump.h"
#include "zdump_logs.h"

static struct ck_error *copy_facts(struct report *r, const struct zdump_info *z)
{
	const struct zdump_scan *s = z->scan;
	struct rpt_zdump *o = &r->zdump;
	*o = (struct rpt_zdump){ .present = true, .kind_by_name = input_zdump_name_str(z->name_kind),
				 .size = s->size, .encrypted = s->encrypted, .envelope_version = s->envelope_version,
				 .streams_not_listed = s->streams_dropped, .candidates = s->candidates,
				 .inflate_capped = s->out_capped, .cores_not_extracted = s->cores_dropped,
				 .text_bytes = s->text_bytes, .text_dropped = z->text_dropped };
	if (z->world[0] && !(o->world = strdup(z->world)))
		return &ck_enomem;
	if (s->nstreams && !(o->streams = calloc(s->nstreams, sizeof(*o->streams))))
		return &ck_enomem;
	for (size_t i = 0; i < s->nstreams; i++) {
		const struct zdump_stream *st = &s->streams[i];
		o->streams[o->nstreams++] = (struct rpt_zdump_stream){
			.offset = st->offset, .format = st->gzip ? "gzip" : "zlib", .compressed = st->in_bytes,
			.inflated = st->out_bytes, .end = zdump_end_name(st->end), .text_bytes = st->text_bytes };
		o->text_bytes += st->text_bytes;
	}
	if (s->ncores && !(o->cores = calloc(s->ncores, sizeof(*o->cores))))
		return &ck_enomem;
	for (size_t i = 0; i < s->ncores; i++) {
		const struct zdump_core *c = &s->cores[i];
		struct rpt_zdump_core *rc = &o->cores[o->ncores++];
		*rc = (struct rpt_zdump_core){ .stream = c->stream, .offset = c->offset, .size = c->size,
					       .elf_size = c->elf_size, .analysed = (int)i == z->core };
		/* the cores are tried in order until one opens: a failure kept is the first one's */
		if (z->core_error && i == 0 && !(rc->error = strdup(z->core_error)))
			return &ck_enomem;
	}
	return NULL;
}

/* "vmx" for the VMX's own core (its program is vmware-vmx, its comm "vmx" or "vmx-vcpu-N"). */
static const char *core_kind(struct target *t)
{
	const struct target_process *p = t->ops->process ? t->ops->process(t) : NULL;
	if (!p)
		return NULL;
	const char *exe = p->executable ? strrchr(p->executable, '/') : NULL;
	exe = exe ? exe + 1 : p->executable;
	if ((exe && (!strcmp(exe, "vmx") || !strncmp(exe, "vmware-vmx", 10))) ||
	    (p->comm && (!strcmp(p->comm, "vmx") || !strncmp(p->comm, "vmx-", 4) || !strncmp(p->comm, "vmware-vmx", 10))))
		return "vmx";
	return "userworld";
}

static struct ck_error *warnings(struct report *r, const struct zdump_info *z)
{
	struct ck_error *w = NULL;
	if (z->core_error)
		w = report_warn(r, "%s", z->core_error);
	if (!w && r->zdump.cores_not_extracted)
		w = report_warn(r, "%zu more ELF cores not extracted (at most %d)", r->zdump.cores_not_extracted,
				ZDUMP_MAX_CORES);
	if (!w && r->zdump.streams_not_listed)
		w = report_warn(r, "%zu more zlib/gzip streams not inflated (at most %d)", r->zdump.streams_not_listed,
				ZDUMP_MAX_STREAMS);
	if (!w && r->zdump.inflate_capped)
		w = report_warn(r, "inflating stopped at the cap on inflated bytes: later streams were not tried");
	if (!w && z->text_dropped)
		w = report_warn(r, "%llu bytes of carved text past the first %d MiB not read as logs",
				(unsigned long long)z->text_dropped, ZDUMP_TEXT_CAP >> 20);
	return w;
}

static struct ck_error *zdump_run(struct target *t, const struct analyzer_options *opt, struct report *r)
{
	(void)opt;
	const struct zdump_info *z = target_zdump_info(t);
	if (!z)
		return NULL;
	struct ck_error *err = copy_facts(r, z);
	struct zdump_logs logs;
	if (!err)
		err = zdump_logs_read(z, t->path, &logs);
	else
		logs = (struct zdump_logs){ 0 };
	if (!err && logs.n)
		err = log_report_add(r, logs.files, logs.n);
	r->zdump.log_text_bytes = logs.log_bytes;
	bool vmkernel_log = false;
	for (size_t i = 0; i < logs.n; i++)
		vmkernel_log |= logs.files[i]->format == LOG_FMT_VMKERNEL;
	zdump_logs_free(&logs);
	if (err)
		return err;
	r->zdump.kind_by_content = vmkernel_log ? "kernel" : z->core >= 0 ? core_kind(t) : NULL;
	r->zdump.kind = r->zdump.kind_by_content ? r->zdump.kind_by_content : r->zdump.kind_by_name;
	return warnings(r, z);
}

const struct analyzer analyzer_zdump = {
	.name = "zdump",
	.summary = "ESXi zdumps: encryption, zlib/gzip streams, carved log text through the log parsers, ELF cores",
	.targets = TARGET_ZDUMP,
	.run = zdump_run,
};
