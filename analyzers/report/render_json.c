/*
 * render_json.c - the versioned JSON report (schema in docs/coresummary.md).
 * Rules (after rust-minidump): "schema_version" at the top; any field may be
 * null; addresses are "0x"-prefixed, 16-digit zero-padded hex strings; enum
 * strings are non-exhaustive (consumers must accept unknown values).
 */
#include "render.h"

#include <errno.h>
#include <string.h>

static void jstr(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\t': fputs("\\t", out); break;
		case '\r': fputs("\\r", out); break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(out, "\\u%04x", *p);	/* keeps output ASCII; bytes >= 0x80 as Latin-1 */
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void jaddr(FILE *out, uint64_t a)
{
	fprintf(out, "\"0x%016llx\"", (unsigned long long)a);
}

static void jkey(FILE *out, const char *k, bool *first)
{
	if (!*first)
		fputc(',', out);
	*first = false;
	fprintf(out, "\"%s\":", k);
}

static void jline(FILE *out, int line)
{
	if (line > 0)
		fprintf(out, "%d", line);
	else
		fputs("null", out);
}

static void frame_json(FILE *out, const struct rpt_frame *f, size_t idx)
{
	bool first = true;
	fputc('{', out);
	jkey(out, "frame", &first); fprintf(out, "%zu", idx);
	jkey(out, "pc", &first); jaddr(out, f->pc);
	jkey(out, "trust", &first); jstr(out, frame_trust_name(f->trust));
	jkey(out, "module", &first); jstr(out, f->module);
	jkey(out, "module_offset", &first);
	if (f->module) jaddr(out, f->module_offset); else fputs("null", out);
	jkey(out, "function", &first); jstr(out, f->function);
	jkey(out, "symbol", &first); jstr(out, f->symbol);
	jkey(out, "function_offset", &first);
	if (f->function && f->has_function_offset) jaddr(out, f->function_offset); else fputs("null", out);
	jkey(out, "file", &first); jstr(out, f->file);
	jkey(out, "line", &first); jline(out, f->line);
	jkey(out, "inlines", &first);
	fputc('[', out);
	for (size_t i = 0; i < f->ninlines; i++) {
		bool fi = true;
		fputs(i ? ",{" : "{", out);
		jkey(out, "function", &fi); jstr(out, f->inlines[i].function);
		jkey(out, "file", &fi); jstr(out, f->inlines[i].file);
		jkey(out, "line", &fi); jline(out, f->inlines[i].line);
		fputc('}', out);
	}
	fputs("]}", out);
}

static void signature(FILE *out, const struct rpt_signature *s)
{
	if (s->present) {
		bool f = true;
		fputc('{', out);
		jkey(out, "kind", &f); jstr(out, s->kind);
		jkey(out, "hash", &f); jstr(out, s->hash);
		jkey(out, "frames", &f);
		fputc('[', out);
		for (size_t i = 0; i < s->nframes; i++) {
			if (i) fputc(',', out);
			jstr(out, s->frames[i]);
		}
		fputs("]}", out);
	} else {
		fputs("null", out);
	}
}

static void jnum(FILE *out, double v, const char *fmt)
{
	if (v == v)	/* not NAN */
		fprintf(out, fmt, v);
	else
		fputs("null", out);
}

static void jint(FILE *out, int64_t v)	/* -1: unknown */
{
	if (v >= 0)
		fprintf(out, "%lld", (long long)v);
	else
		fputs("null", out);
}

/* Kernel images: the task fields of a thread (null for process threads). */
static void thread_task_json(FILE *out, const struct rpt_thread *t, bool *f)
{
	const struct rpt_task *k = &t->task;
	jkey(out, "task", f);
	if (k->present) jaddr(out, k->addr); else fputs("null", out);
	jkey(out, "tgid", f);
	if (k->present) fprintf(out, "%lld", (long long)k->tgid); else fputs("null", out);
	jkey(out, "sched_state", f);
	if (k->present && k->state) fprintf(out, "\"%c\"", k->state); else fputs("null", out);
	jkey(out, "cpu", f);
	if (k->present) jint(out, k->cpu); else fputs("null", out);
	jkey(out, "on_cpu", f);
	if (k->present) fputs(k->on_cpu ? "true" : "false", out); else fputs("null", out);
	jkey(out, "kthread", f);
	if (k->present) fputs(k->kthread || k->idle ? "true" : "false", out); else fputs("null", out);
	jkey(out, "last_ran_s_ago", f);
	if (k->present && k->since_ran_ns >= 0) fprintf(out, "%.6f", (double)k->since_ran_ns / 1e9);
	else fputs("null", out);
	jkey(out, "hung", f);
	if (k->present) fputs(k->hung ? "true" : "false", out); else fputs("null", out);
	jkey(out, "blocked_s", f);
	if (k->present && k->has_blocked) fprintf(out, "%.3f", k->blocked_s); else fputs("null", out);
	jkey(out, "hung_reported", f);
	if (k->present) fputs(k->hung_reported ? "true" : "false", out); else fputs("null", out);
	jkey(out, "user_regs", f);
	if (k->present && k->has_user_regs) {
		bool g = true;
		fputc('{', out);
		jkey(out, "rip", &g); jaddr(out, k->user_rip);
		jkey(out, "rsp", &g); jaddr(out, k->user_rsp);
		jkey(out, "syscall", &g); jint(out, k->syscall_nr);
		fputc('}', out);
	} else {
		fputs("null", out);
	}
}

static void lockup_json(FILE *out, const struct rpt_cpu *c)
{
	if (!c->lockup) {
		fputs("null", out);
		return;
	}
	bool g = true;
	fputc('{', out);
	jkey(out, "spinning", &g); fputs(c->spinning ? "true" : "false", out);
	jkey(out, "spinlock", &g);
	if (c->spinlock) jaddr(out, c->spinlock); else fputs("null", out);
	jkey(out, "spinlock_name", &g); jstr(out, c->spinlock_name);
	jkey(out, "stuck_s", &g); jnum(out, c->stuck_s, "%.1f");
	jkey(out, "soft_lockup_reported", &g); fputs(c->soft_reported ? "true" : "false", out);
	jkey(out, "hard_lockup_reported", &g); fputs(c->hard_reported ? "true" : "false", out);
	fputc('}', out);
}

static void jsigned(FILE *out, int64_t v)	/* -1: unknown; others as they are */
{
	if (v != -1)
		fprintf(out, "%lld", (long long)v);
	else
		fputs("null", out);
}

/* Events of the kernel's ring or of log files (schema in docs/coresummary.md). */
static void events_json(FILE *out, const struct report *r, bool *first)
{
	jkey(out, "events", first);
	fputc('[', out);
	for (size_t i = 0; i < r->nevents; i++) {
		const struct rpt_event *e = &r->events[i];
		bool f = true;
		fputs(i ? ",\n{" : "\n{", out);
		jkey(out, "kind", &f); jstr(out, e->kind);
		jkey(out, "source", &f); jstr(out, e->source);
		jkey(out, "line_no", &f); jint(out, e->line_no);
		jkey(out, "text", &f); jstr(out, e->text);
		jkey(out, "time", &f); jstr(out, e->time);
		jkey(out, "time_utc", &f); jstr(out, e->time_utc);
		jkey(out, "uptime_s", &f); jnum(out, e->uptime_s, "%.6f");
		jkey(out, "thread", &f); jstr(out, e->thread);
		jkey(out, "pid", &f); jint(out, e->pid);
		jkey(out, "comm", &f); jstr(out, e->comm);
		jkey(out, "cpu", &f); jint(out, e->cpu);
		jkey(out, "world", &f); jint(out, e->world);
		jkey(out, "cartel", &f); jint(out, e->cartel);
		jkey(out, "signal", &f); jint(out, e->signal);
		jkey(out, "exit_code", &f); jsigned(out, e->exit_code);
		jkey(out, "duration_s", &f); jnum(out, e->duration_s, "%.6f");
		jkey(out, "address", &f); jstr(out, e->address);
		jkey(out, "ip", &f); jstr(out, e->ip);
		jkey(out, "module", &f); jstr(out, e->module);
		jkey(out, "core_file", &f); jstr(out, e->core_file);
		jkey(out, "channel", &f); jstr(out, e->channel);
		jkey(out, "summary", &f); jstr(out, e->summary);
		jkey(out, "problem", &f); fputs(e->problem ? "true" : "false", out);
		jkey(out, "offset", &f); jint(out, e->offset);
		jkey(out, "frames", &f);
		fputc('[', out);
		for (size_t j = 0; j < e->nframes; j++) {
			if (j) fputc(',', out);
			jstr(out, e->frames[j]);
		}
		fputs("]}", out);
	}
	fputc(']', out);
}

static void ju64(FILE *out, uint64_t v)
{
	fprintf(out, "%llu", (unsigned long long)v);
}

/* An ESXi zdump's triage (target "zdump"); offsets and sizes are byte counts. */
static void zdump_json(FILE *out, const struct rpt_zdump *z, bool *first)
{
	jkey(out, "zdump", first);
	if (!z->present) {
		fputs("null", out);
		return;
	}
	bool f = true;
	fputc('{', out);
	jkey(out, "kind", &f); jstr(out, z->kind);
	jkey(out, "kind_by_name", &f); jstr(out, z->kind_by_name);
	jkey(out, "kind_by_content", &f); jstr(out, z->kind_by_content);
	jkey(out, "world", &f); jstr(out, z->world);
	jkey(out, "size", &f); ju64(out, z->size);
	jkey(out, "encrypted", &f); fputs(z->encrypted ? "true" : "false", out);
	jkey(out, "envelope_version", &f);
	if (z->envelope_version) ju64(out, z->envelope_version); else fputs("null", out);
	jkey(out, "streams", &f);
	fputc('[', out);
	for (size_t i = 0; i < z->nstreams; i++) {
		const struct rpt_zdump_stream *s = &z->streams[i];
		bool g = true;
		fputs(i ? ",{" : "{", out);
		jkey(out, "offset", &g); ju64(out, s->offset);
		jkey(out, "format", &g); jstr(out, s->format);
		jkey(out, "compressed_size", &g); ju64(out, s->compressed);
		jkey(out, "inflated_size", &g); ju64(out, s->inflated);
		jkey(out, "end", &g); jstr(out, s->end);
		jkey(out, "text_bytes", &g); ju64(out, s->text_bytes);
		fputc('}', out);
	}
	fputc(']', out);
	jkey(out, "streams_not_listed", &f); ju64(out, z->streams_not_listed);
	jkey(out, "headers_tried", &f); ju64(out, z->candidates);
	jkey(out, "inflate_capped", &f); fputs(z->inflate_capped ? "true" : "false", out);
	jkey(out, "cores", &f);
	fputc('[', out);
	for (size_t i = 0; i < z->ncores; i++) {
		const struct rpt_zdump_core *c = &z->cores[i];
		bool g = true;
		fputs(i ? ",{" : "{", out);
		jkey(out, "stream", &g); jsigned(out, c->stream);
		jkey(out, "offset", &g); ju64(out, c->offset);
		jkey(out, "size", &g); ju64(out, c->size);
		jkey(out, "elf_size", &g);
		if (c->elf_size) ju64(out, c->elf_size); else fputs("null", out);
		jkey(out, "analysed", &g); fputs(c->analysed ? "true" : "false", out);
		jkey(out, "error", &g); jstr(out, c->error);
		fputc('}', out);
	}
	fputc(']', out);
	jkey(out, "cores_not_extracted", &f); ju64(out, z->cores_not_extracted);
	jkey(out, "text_bytes", &f); ju64(out, z->text_bytes);
	jkey(out, "log_text_bytes", &f); ju64(out, z->log_text_bytes);
	jkey(out, "text_dropped", &f); ju64(out, z->text_dropped);
	fputc('}', out);
}

/* Log files read (target "log"): what each says of itself. */
static void logs_json(FILE *out, const struct report *r, bool *first)
{
	jkey(out, "logs", first);
	fputc('[', out);
	for (size_t i = 0; i < r->nlogs; i++) {
		const struct rpt_log *l = &r->logs[i];
		bool f = true;
		fputs(i ? ",{" : "{", out);
		jkey(out, "source", &f); jstr(out, l->source);
		jkey(out, "format", &f); jstr(out, l->format);
		jkey(out, "product", &f); jstr(out, l->product);
		jkey(out, "version", &f); jstr(out, l->version);
		jkey(out, "build", &f); jstr(out, l->build);
		jkey(out, "kernel", &f); jstr(out, l->kernel);
		jkey(out, "host", &f); jstr(out, l->host);
		jkey(out, "vm", &f); jstr(out, l->vm);
		fputc('}', out);
	}
	fputc(']', out);
}

static void bundle_files_json(FILE *out, const char *key, const struct rpt_bundle_file *files, size_t n,
			      const char *const *kinds, bool *first)
{
	jkey(out, key, first);
	fputc('[', out);
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		const struct rpt_bundle_file *bf = &files[i];
		bool want = false;
		for (size_t k = 0; kinds[k]; k++)
			want |= strcmp(bf->kind, kinds[k]) == 0;
		if (!want)
			continue;
		bool f = true;
		fputs(any ? ",{" : "{", out);
		any = true;
		jkey(out, "path", &f); jstr(out, bf->path);
		jkey(out, "kind", &f); jstr(out, bf->kind);
		jkey(out, "size", &f); fprintf(out, "%llu", (unsigned long long)bf->size);
		jkey(out, "pieces", &f); fprintf(out, "%zu", bf->pieces);
		jkey(out, "gzip", &f); fputs(bf->gzip ? "true" : "false", out);
		jkey(out, "problem", &f); jstr(out, bf->problem);
		fputc('}', out);
	}
	fputc(']', out);
}

/* Target "bundle": its inventory and what was analysed (docs/coresummary.md); null otherwise. */
static void bundle_json(FILE *out, const struct report *r, bool *first)
{
	static const char *const logs[] = { "vm-log", "host-log", NULL }, *const cpts[] = { "suspend", "snapshot", "vmem", NULL };
	static const char *const cores[] = { "core", NULL }, *const zdumps[] = { "zdump", NULL };
	const struct rpt_bundle *b = &r->bundle;
	jkey(out, "bundle", first);
	if (!b->present) {
		fputs("null", out);
		return;
	}
	bool f = true;
	fputc('{', out);
	jkey(out, "path", &f); jstr(out, b->path);
	jkey(out, "hosts", &f);
	fputc('[', out);
	for (size_t i = 0; i < b->nhosts; i++) {
		const struct rpt_bundle_host *h = &b->hosts[i];
		bool g = true;
		fputs(i ? ",{" : "{", out);
		jkey(out, "name", &g); jstr(out, h->name);
		jkey(out, "root", &g); jstr(out, h->root);
		jkey(out, "product", &g); jstr(out, h->product);
		jkey(out, "version", &g); jstr(out, h->version);
		jkey(out, "build", &g); jstr(out, h->build);
		jkey(out, "release", &g); jstr(out, h->release);
		fputc('}', out);
	}
	fputc(']', out);
	jkey(out, "vms", &f);
	fputc('[', out);
	for (size_t i = 0; i < b->nvms; i++) {
		const struct rpt_bundle_vm *v = &b->vms[i];
		bool g = true;
		fputs(i ? ",{" : "{", out);
		jkey(out, "name", &g); jstr(out, v->name);
		jkey(out, "guest_os", &g); jstr(out, v->guest_os);
		jkey(out, "dir", &g); jstr(out, v->dir);
		jkey(out, "vmx", &g); jstr(out, v->vmx);
		jkey(out, "host", &g); jstr(out, v->host >= 0 && (size_t)v->host < b->nhosts ? b->hosts[v->host].name : NULL);
		jkey(out, "analysed", &g); fputs(v->analysed ? "true" : "false", out);
		bundle_files_json(out, "logs", v->files, v->nfiles, logs, &g);
		bundle_files_json(out, "checkpoints", v->files, v->nfiles, cpts, &g);
		bundle_files_json(out, "cores", v->files, v->nfiles, cores, &g);
		bundle_files_json(out, "zdumps", v->files, v->nfiles, zdumps, &g);
		fputc('}', out);
	}
	fputc(']', out);
	bundle_files_json(out, "host_logs", b->files, b->nfiles, logs, &f);
	bundle_files_json(out, "host_cores", b->files, b->nfiles, cores, &f);
	bundle_files_json(out, "host_zdumps", b->files, b->nfiles, zdumps, &f);
	jkey(out, "analysed", &f);
	if (b->checkpoint) {
		bool g = true;
		fputc('{', out);
		jkey(out, "vm", &g); jstr(out, b->vm);
		jkey(out, "checkpoint", &g); jstr(out, b->checkpoint);
		jkey(out, "vmem", &g); jstr(out, b->vmem);
		fputc('}', out);
	} else {
		fputs("null", out);
	}
	jkey(out, "not_analysed", &f); jstr(out, b->not_analysed);
	jkey(out, "warnings", &f);
	fputc('[', out);
	for (size_t i = 0; i < b->nwarnings; i++) {
		if (i) fputc(',', out);
		jstr(out, b->warnings[i]);
	}
	fputs("]}", out);
}

static void kernel_json(FILE *out, const struct report *r, bool *first)
{
	const struct rpt_kernel *k = &r->kernel;
	jkey(out, "kernel", first);
	if (!k->present) {
		fputs("null", out);
	} else {
		bool f = true;
		fputc('{', out);
		jkey(out, "release", &f); jstr(out, k->release);
		jkey(out, "build_id", &f); jstr(out, k->build_id);
		jkey(out, "banner", &f); jstr(out, k->banner);
		jkey(out, "uptime_s", &f); jnum(out, k->uptime_s, "%.3f");
		jkey(out, "vcpus", &f); fprintf(out, "%zu", k->vcpus);
		jkey(out, "ram_bytes", &f); fprintf(out, "%llu", (unsigned long long)k->ram_bytes);
		jkey(out, "vm_name", &f); jstr(out, k->vm_name);
		jkey(out, "guest_os", &f); jstr(out, k->guest_os);
		jkey(out, "source_format", &f); jstr(out, k->source_format);
		jkey(out, "symbols", &f); jstr(out, k->symbols_source);
		jkey(out, "vmlinux", &f); jstr(out, k->vmlinux);
		jkey(out, "types", &f); jstr(out, k->types_source);
		jkey(out, "unwinder", &f); jstr(out, k->unwinder);
		jkey(out, "panic", &f);
		if (k->panicked) {
			bool g = true;
			fputc('{', out);
			jkey(out, "cpu", &g); jint(out, k->panic_cpu);
			jkey(out, "message", &g); jstr(out, k->panic_message);
			fputc('}', out);
		} else {
			fputs("null", out);
		}
		jkey(out, "task_count", &f); fprintf(out, "%zu", k->ntasks);
		jkey(out, "task_states", &f);
		fputc('{', out);
		bool g = true;
		for (size_t i = 0; report_task_states[i]; i++) {
			if (!k->state_counts[i])
				continue;
			if (!g) fputc(',', out);
			g = false;
			fprintf(out, "\"%c\":%zu", report_task_states[i], k->state_counts[i]);
		}
		fputs("}}", out);
	}
	jkey(out, "cpus", first);
	fputc('[', out);
	for (size_t i = 0; i < k->ncpus; i++) {
		bool f = true;
		fputs(i ? ",{" : "{", out);
		jkey(out, "cpu", &f); fprintf(out, "%d", k->cpus[i].cpu);
		jkey(out, "task", &f);
		if (k->cpus[i].task) jaddr(out, k->cpus[i].task); else fputs("null", out);
		jkey(out, "tid", &f);
		if (k->cpus[i].thread >= 0) fprintf(out, "%lld", (long long)r->threads[k->cpus[i].thread].tid);
		else fputs("null", out);
		jkey(out, "lockup", &f);
		lockup_json(out, &k->cpus[i]);
		fputc('}', out);
	}
	fputc(']', out);
	events_json(out, r, first);
}

struct ck_error *render_json(FILE *out, const struct report *r, const struct render_options *opt)
{
	bool first = true;
	fputc('{', out);
	jkey(out, "schema", &first); jstr(out, "corekit.coresummary");
	jkey(out, "schema_version", &first); fprintf(out, "%d", REPORT_SCHEMA_VERSION);
	jkey(out, "generator", &first); jstr(out, opt ? opt->generator : NULL);
	jkey(out, "input", &first); jstr(out, r->input);
	jkey(out, "target", &first); jstr(out, r->target_kind);
	bundle_json(out, r, &first);
	logs_json(out, r, &first);
	zdump_json(out, &r->zdump, &first);

	jkey(out, "process", &first);
	if (r->process.present) {
		const struct rpt_process *p = &r->process;
		bool f = true;
		fputc('{', out);
		jkey(out, "pid", &f);
		if (p->pid >= 0) fprintf(out, "%lld", (long long)p->pid); else fputs("null", out);
		jkey(out, "executable", &f); jstr(out, p->executable);
		jkey(out, "command_line", &f); jstr(out, p->command_line);
		jkey(out, "signal", &f);
		if (p->signo) {
			bool g = true;
			fputc('{', out);
			jkey(out, "number", &g); fprintf(out, "%d", p->signo);
			jkey(out, "name", &g); jstr(out, signal_name(p->signo));
			jkey(out, "code", &g);
			if (p->has_code) fprintf(out, "%d", p->si_code); else fputs("null", out);
			jkey(out, "code_name", &g); jstr(out, p->has_code ? si_code_name(p->signo, p->si_code) : NULL);
			jkey(out, "address", &g);
			if (p->has_addr) jaddr(out, p->si_addr); else fputs("null", out);
			jkey(out, "sender_pid", &g);
			if (p->sender_pid > 0) fprintf(out, "%lld", (long long)p->sender_pid); else fputs("null", out);
			fputc('}', out);
		} else {
			fputs("null", out);
		}
		fputc('}', out);
	} else {
		fputs("null", out);
	}

	jkey(out, "crash", &first);
	if (r->crash.present) {
		const struct rpt_crash *c = &r->crash;
		bool f = true;
		fputc('{', out);
		jkey(out, "thread_index", &f); fprintf(out, "%zu", c->thread);
		jkey(out, "tid", &f); fprintf(out, "%lld", (long long)r->threads[c->thread].tid);
		jkey(out, "kind", &f); jstr(out, c->kind);
		jkey(out, "reason", &f); jstr(out, c->reason);
		jkey(out, "assertion", &f); jstr(out, c->assertion);
		jkey(out, "pc", &f); jaddr(out, c->pc);
		jkey(out, "instruction", &f); jstr(out, c->instruction);
		jkey(out, "disassembly", &f);
		fputc('[', out);
		for (size_t i = 0; i < c->ndisasm; i++) {
			bool g = true;
			fputs(i ? ",{" : "{", out);
			jkey(out, "address", &g); jaddr(out, c->disasm[i].addr);
			jkey(out, "bytes", &g); jstr(out, c->disasm[i].bytes);
			jkey(out, "text", &g); jstr(out, c->disasm[i].text);
			jkey(out, "is_pc", &g); fputs(c->disasm[i].is_pc ? "true" : "false", out);
			fputc('}', out);
		}
		fputc(']', out);
		jkey(out, "registers", &f);
		fputc('{', out);
		for (size_t i = 0; i < c->nregs; i++) {
			fprintf(out, "%s\"%s\":", i ? "," : "", c->regs[i].name);
			jaddr(out, c->regs[i].value);
		}
		fputs("}}", out);
	} else {
		fputs("null", out);
	}

	jkey(out, "findings", &first);
	fputc('[', out);
	for (size_t i = 0; i < r->nfindings; i++) {
		bool f = true;
		fputs(i ? ",{" : "{", out);
		jkey(out, "kind", &f); jstr(out, r->findings[i].kind);
		jkey(out, "summary", &f); jstr(out, r->findings[i].summary);
		jkey(out, "tids", &f);
		fputc('[', out);
		for (size_t k = 0; k < r->findings[i].nthreads; k++)
			fprintf(out, "%s%lld", k ? "," : "", (long long)r->threads[r->findings[i].threads[k]].tid);
		fputc(']', out);
		jkey(out, "signature", &f);
		signature(out, &r->findings[i].signature);
		fputc('}', out);
	}
	fputc(']', out);

	jkey(out, "locks", &first);
	{
		bool f = true;
		fputc('{', out);
		jkey(out, "waits", &f);
		fputc('[', out);
		for (size_t i = 0; i < r->nwaits; i++) {
			const struct rpt_wait *w = &r->waits[i];
			bool g = true;
			fputs(i ? ",{" : "{", out);
			jkey(out, "tid", &g); fprintf(out, "%lld", (long long)r->threads[w->thread].tid);
			jkey(out, "kind", &g); jstr(out, lock_kind_name(w->kind));
			jkey(out, "futex", &g);
			if (r->kernel.present) fputs("null", out); else jaddr(out, w->futex);
			jkey(out, "object", &g); jaddr(out, w->object);
			jkey(out, "object_name", &g); jstr(out, w->object_name);
			jkey(out, "owner_tid", &g);
			if (w->owner_tid > 0) fprintf(out, "%lld", (long long)w->owner_tid); else fputs("null", out);
			jkey(out, "owner_in_core", &g); fputs(w->owner >= 0 ? "true" : "false", out);
			jkey(out, "frame", &g); jstr(out, w->frame);
			jkey(out, "in_cycle", &g); fputs(w->in_cycle ? "true" : "false", out);
			if (r->kernel.present) {
				jkey(out, "mode", &g); jstr(out, w->mode);
				jkey(out, "owner_task", &g);
				if (w->owner_task) jaddr(out, w->owner_task); else fputs("null", out);
				jkey(out, "owner_is_hint", &g); fputs(w->owner_hint ? "true" : "false", out);
				jkey(out, "readers", &g); fprintf(out, "%llu", (unsigned long long)w->readers);
				jkey(out, "waiter", &g);
				if (w->waiter) jaddr(out, w->waiter); else fputs("null", out);
			}
			fputc('}', out);
		}
		fputc(']', out);
		jkey(out, "cycles", &f);
		fputc('[', out);
		for (size_t c = 0; c < r->ncycles; c++) {
			const struct rpt_cycle *cy = &r->cycles[c];
			bool g = true;
			fputs(c ? ",{" : "{", out);
			jkey(out, "tids", &g);
			fputc('[', out);
			for (size_t k = 0; k < cy->n; k++)
				fprintf(out, "%s%lld", k ? "," : "", (long long)r->threads[r->waits[cy->waits[k]].thread].tid);
			fputc(']', out);
			jkey(out, "objects", &g);
			fputc('[', out);
			for (size_t k = 0; k < cy->n; k++) {
				if (k) fputc(',', out);
				jaddr(out, r->waits[cy->waits[k]].object);
			}
			fputc(']', out);
			jkey(out, "kinds", &g);
			fputc('[', out);
			for (size_t k = 0; k < cy->n; k++) {
				if (k) fputc(',', out);
				jstr(out, lock_kind_name(r->waits[cy->waits[k]].kind));
			}
			fputs("]}", out);
		}
		fputs("]}", out);
	}

	jkey(out, "signature", &first);
	signature(out, &r->signature);

	kernel_json(out, r, &first);
	jkey(out, "thread_count", &first); fprintf(out, "%zu", r->nthreads);
	jkey(out, "threads", &first);
	fputc('[', out);
	for (size_t i = 0; i < r->nthreads; i++) {
		const struct rpt_thread *t = &r->threads[i];
		bool f = true;
		fputs(i ? ",\n{" : "\n{", out);
		jkey(out, "tid", &f); fprintf(out, "%lld", (long long)t->tid);
		jkey(out, "name", &f); jstr(out, t->name);
		jkey(out, "crashed", &f); fputs(t->crashed ? "true" : "false", out);
		jkey(out, "group", &f);
		if (t->group >= 0) fprintf(out, "%ld", t->group); else fputs("null", out);
		jkey(out, "state", &f); jstr(out, t->state);
		thread_task_json(out, t, &f);
		jkey(out, "incomplete", &f); fputs(t->incomplete ? "true" : "false", out);
		jkey(out, "unwind_error", &f); jstr(out, t->unwind_error);
		jkey(out, "frame_count", &f); fprintf(out, "%zu", t->nframes);
		jkey(out, "frames", &f);
		fputc('[', out);
		for (size_t k = 0; k < t->nframes; k++) {
			if (k) fputc(',', out);
			frame_json(out, &t->frames[k], k);
		}
		fputs("]}", out);
	}
	fputs("]", out);

	jkey(out, "groups", &first);
	fputc('[', out);
	for (size_t g = 0; g < r->ngroups; g++) {
		bool f = true;
		fputs(g ? ",{" : "{", out);
		jkey(out, "count", &f); fprintf(out, "%zu", r->groups[g].n);
		jkey(out, "tids", &f);
		fputc('[', out);
		for (size_t k = 0; k < r->groups[g].n; k++)
			fprintf(out, "%s%lld", k ? "," : "", (long long)r->threads[r->groups[g].threads[k]].tid);
		fputs("]}", out);
	}
	fputc(']', out);

	jkey(out, "modules", &first);
	fputc('[', out);
	for (size_t i = 0; i < r->nmodules; i++) {
		const struct rpt_module *m = &r->modules[i];
		bool f = true;
		fputs(i ? ",\n{" : "\n{", out);
		jkey(out, "name", &f); jstr(out, m->name);
		jkey(out, "path", &f); jstr(out, m->path);
		jkey(out, "debug_file", &f); jstr(out, m->debug_file);
		jkey(out, "build_id", &f); jstr(out, m->build_id);
		jkey(out, "base_addr", &f); jaddr(out, m->start);
		jkey(out, "end_addr", &f); jaddr(out, m->end);
		jkey(out, "symbols", &f); jstr(out, m->symbols);
		fputc('}', out);
	}
	fputc(']', out);

	jkey(out, "warnings", &first);
	fputc('[', out);
	for (size_t i = 0; i < r->nwarnings; i++) {
		if (i) fputc(',', out);
		jstr(out, r->warnings[i]);
	}
	fputs("]}\n", out);
	if (fflush(out) || ferror(out))
		return ck_error_errno(errno ? errno : EIO, "writing the JSON report");
	return NULL;
}
