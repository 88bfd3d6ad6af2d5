/* report.c - lifetime and small helpers of the report model. */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
	r->process.pid = -1;
	r->process.sender_pid = -1;
}

static void frame_deinit(struct rpt_frame *f)
{
	free(f->module);
	free(f->function);
	free(f->symbol);
	free(f->symbol_name);
	free(f->file);
	for (size_t i = 0; i < f->ninlines; i++) {
		free(f->inlines[i].function);
		free(f->inlines[i].file);
	}
	free(f->inlines);
}

static void signature_free(struct rpt_signature *s)
{
	free(s->hash);
	for (size_t i = 0; i < s->nframes; i++)
		free(s->frames[i]);
	free(s->frames);
}

static void bundle_files_deinit(struct rpt_bundle_file *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].path);
		free(f[i].problem);
	}
	free(f);
}

static void bundle_deinit(struct rpt_bundle *b)
{
	for (size_t i = 0; i < b->nhosts; i++) {
		struct rpt_bundle_host *h = &b->hosts[i];
		char *s[] = { h->root, h->name, h->product, h->version, h->build, h->release };
		for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++)
			free(s[k]);
	}
	free(b->hosts);
	for (size_t i = 0; i < b->nvms; i++) {
		struct rpt_bundle_vm *v = &b->vms[i];
		free(v->name);
		free(v->guest_os);
		free(v->dir);
		free(v->vmx);
		bundle_files_deinit(v->files, v->nfiles);
	}
	free(b->vms);
	bundle_files_deinit(b->files, b->nfiles);
	for (size_t i = 0; i < b->nwarnings; i++)
		free(b->warnings[i]);
	free(b->warnings);
	free(b->path);
	free(b->vm);
	free(b->checkpoint);
	free(b->vmem);
	free(b->not_analysed);
}

void report_deinit(struct report *r)
{
	free(r->process.executable);
	free(r->process.command_line);
	for (size_t i = 0; i < r->nmodules; i++) {
		free(r->modules[i].name);
		free(r->modules[i].path);
		free(r->modules[i].debug_file);
		free(r->modules[i].build_id);
	}
	free(r->modules);
	for (size_t i = 0; i < r->nthreads; i++) {
		struct rpt_thread *t = &r->threads[i];
		for (size_t j = 0; j < t->nframes; j++)
			frame_deinit(&t->frames[j]);
		free(t->frames);
		free(t->name);
		free(t->state);
		free(t->unwind_error);
	}
	free(r->threads);
	for (size_t i = 0; i < r->ngroups; i++)
		free(r->groups[i].threads);
	free(r->groups);
	free(r->crash.reason);
	free(r->crash.assertion);
	free(r->crash.instruction);
	for (size_t i = 0; i < r->crash.ndisasm; i++) {
		free(r->crash.disasm[i].bytes);
		free(r->crash.disasm[i].text);
	}
	free(r->crash.disasm);
	free(r->crash.regs);
	for (size_t i = 0; i < r->nwaits; i++) {
		free(r->waits[i].frame);
		free(r->waits[i].object_name);
	}
	free(r->waits);
	for (size_t i = 0; i < r->ncycles; i++)
		free(r->cycles[i].waits);
	free(r->cycles);
	for (size_t i = 0; i < r->nfindings; i++) {
		free(r->findings[i].summary);
		free(r->findings[i].threads);
		signature_free(&r->findings[i].signature);
	}
	free(r->findings);
	signature_free(&r->signature);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	struct rpt_kernel *k = &r->kernel;
	free(k->release);
	free(k->build_id);
	free(k->banner);
	free(k->vmlinux);
	free(k->vm_name);
	free(k->guest_os);
	free(k->source_format);
	free(k->panic_message);
	for (size_t i = 0; i < k->ncpus; i++)
		free(k->cpus[i].spinlock_name);
	free(k->cpus);
	free(k->dmesg);
	for (size_t i = 0; i < r->nevents; i++)
		report_event_deinit(&r->events[i]);
	free(r->events);
	for (size_t i = 0; i < r->nlogs; i++) {
		struct rpt_log *l = &r->logs[i];
		free(l->source);
		free(l->product);
		free(l->version);
		free(l->build);
		free(l->kernel);
		free(l->host);
		free(l->vm);
	}
	free(r->logs);
	free(r->zdump.world);
	free(r->zdump.streams);
	for (size_t i = 0; i < r->zdump.ncores; i++)
		free(r->zdump.cores[i].error);
	free(r->zdump.cores);
	bundle_deinit(&r->bundle);
	memset(r, 0, sizeof(*r));
}

const struct rpt_log *report_event_log(const struct report *r, const struct rpt_event *e)
{
	for (size_t i = 0; e->source && i < r->nlogs; i++)
		if (r->logs[i].source == e->source)
			return &r->logs[i];
	return NULL;
}

void report_event_deinit(struct rpt_event *e)
{
	char *s[] = { e->text, e->time, e->time_utc, e->thread, e->comm, e->address,
		      e->ip, e->module, e->core_file, e->summary, e->channel };
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		free(s[i]);
	for (size_t j = 0; j < e->nframes; j++)
		free(e->frames[j]);
	free(e->frames);
}

struct ck_error *report_finding_add_thread(struct rpt_finding *f, size_t ti)
{
	for (size_t i = 0; i < f->nthreads; i++)
		if (f->threads[i] == ti)
			return NULL;
	size_t *v = realloc(f->threads, (f->nthreads + 1) * sizeof(*v));
	if (!v)
		return &ck_enomem;
	v[f->nthreads++] = ti;
	f->threads = v;
	return NULL;
}

const char *lock_kind_name(enum lock_kind k)
{
	static const char *const names[LOCK_KIND_COUNT] = {
		[LOCK_MUTEX] = "mutex", [LOCK_RWLOCK] = "rwlock", [LOCK_JOIN] = "join", [LOCK_CONDVAR] = "condvar",
		[LOCK_SEMAPHORE] = "semaphore", [LOCK_FUTEX] = "futex", [LOCK_RWSEM] = "rwsem",
		[LOCK_COMPLETION] = "completion", [LOCK_WAITQUEUE] = "waitqueue", [LOCK_RT_MUTEX] = "rt_mutex",
		[LOCK_SPINLOCK] = "spinlock",
	};
	return (unsigned)k < LOCK_KIND_COUNT && names[k] ? names[k] : "?";
}

const char report_task_states[] = "RSDTtXZPI?";

/* Grow-by-one for the arrays whose capacity is not tracked: realloc exactly. */
static void *append(void *arr, size_t *n, size_t sz)
{
	void **p = arr;
	char *m = realloc(*p, (*n + 1) * sz);
	if (!m)
		return NULL;
	memset(m + *n * sz, 0, sz);
	*p = m;
	return m + (*n)++ * sz;
}

struct rpt_finding *report_add_finding(struct report *r, const char *kind, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	struct rpt_finding *f = append(&r->findings, &r->nfindings, sizeof(*f));
	if (!f) {
		free(s);
		return NULL;
	}
	f->kind = kind;
	f->summary = s;
	return f;
}

struct ck_error *report_warn(struct report *r, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return &ck_enomem;
	char **w = append(&r->warnings, &r->nwarnings, sizeof(*w));
	if (!w) {
		free(s);
		return &ck_enomem;
	}
	*w = s;
	return NULL;
}

struct rpt_wait *report_add_wait(struct report *r)
{
	struct rpt_wait *w = append(&r->waits, &r->nwaits, sizeof(*w));
	if (w)
		w->owner = -1;
	return w;
}

long report_thread_by_tid(const struct report *r, int64_t tid)
{
	for (size_t i = 0; i < r->nthreads; i++)
		if (r->threads[i].tid == tid)
			return (long)i;
	return -1;
}

const char *rpt_frame_top_name(const struct rpt_frame *f)
{
	if (f->ninlines && f->inlines[0].function)
		return f->inlines[0].function;
	return f->function;
}

static const char *base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

const char *rpt_module_label(const char *module, char *buf, size_t cap)
{
	if (!module || module[0] == '[')
		return module;
	snprintf(buf, cap, "[%s]", module);
	return buf;
}

char *rpt_frame_describe(const struct rpt_frame *f)
{
	char *s = NULL;
	const char *fn = rpt_frame_top_name(f);
	const char *file = f->ninlines ? f->inlines[0].file : f->file;
	int line = f->ninlines ? f->inlines[0].line : f->line;
	int n;
	if (fn && file && line)
		n = asprintf(&s, "%s (%s:%d)", fn, base_name(file), line);
	else if (fn)
		n = asprintf(&s, "%s", fn);
	else if (f->module) {
		char buf[256];
		n = asprintf(&s, "%s+0x%llx", rpt_module_label(f->module, buf, sizeof(buf)),
			     (unsigned long long)f->module_offset);
	}
	else
		n = asprintf(&s, "0x%llx", (unsigned long long)f->pc);
	return n < 0 ? NULL : s;
}

const char *signal_name(int sig)
{
	static const char *const names[] = {
		[LSIG_HUP] = "SIGHUP", [LSIG_INT] = "SIGINT", [LSIG_QUIT] = "SIGQUIT", [LSIG_ILL] = "SIGILL",
		[LSIG_TRAP] = "SIGTRAP", [LSIG_ABRT] = "SIGABRT", [LSIG_BUS] = "SIGBUS", [LSIG_FPE] = "SIGFPE",
		[LSIG_KILL] = "SIGKILL", [LSIG_USR1] = "SIGUSR1", [LSIG_SEGV] = "SIGSEGV", [LSIG_USR2] = "SIGUSR2",
		[LSIG_PIPE] = "SIGPIPE", [LSIG_ALRM] = "SIGALRM", [LSIG_TERM] = "SIGTERM", [LSIG_STKFLT] = "SIGSTKFLT",
		[LSIG_CHLD] = "SIGCHLD", [LSIG_CONT] = "SIGCONT", [LSIG_STOP] = "SIGSTOP", [LSIG_TSTP] = "SIGTSTP",
		[LSIG_TTIN] = "SIGTTIN", [LSIG_TTOU] = "SIGTTOU", [LSIG_URG] = "SIGURG", [LSIG_XCPU] = "SIGXCPU",
		[LSIG_XFSZ] = "SIGXFSZ", [LSIG_VTALRM] = "SIGVTALRM", [LSIG_PROF] = "SIGPROF", [LSIG_WINCH] = "SIGWINCH",
		[LSIG_IO] = "SIGIO", [LSIG_PWR] = "SIGPWR", [LSIG_SYS] = "SIGSYS",
	};
	if (sig <= 0 || (size_t)sig >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[sig];
}

const char *si_code_name(int sig, int code)
{
	switch (code) {
	case 0: return "SI_USER";
	case -6: return "SI_TKILL";
	case -1: return "SI_QUEUE";
	case 0x80: return "SI_KERNEL";
	default: break;
	}
	if (sig == LSIG_SEGV) {
		static const char *const c[] = { NULL, "SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR" };
		return code > 0 && code < 5 ? c[code] : NULL;
	}
	if (sig == LSIG_BUS) {
		static const char *const c[] = { NULL, "BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR" };
		return code > 0 && code < 4 ? c[code] : NULL;
	}
	if (sig == LSIG_FPE) {
		static const char *const c[] = { NULL, "FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV", "FPE_FLTOVF",
						 "FPE_FLTUND", "FPE_FLTRES", "FPE_FLTINV", "FPE_FLTSUB" };
		return code > 0 && code < 9 ? c[code] : NULL;
	}
	if (sig == LSIG_ILL) {
		static const char *const c[] = { NULL, "ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP",
						 "ILL_PRVOPC", "ILL_PRVREG", "ILL_COPROC", "ILL_BADSTK" };
		return code > 0 && code < 9 ? c[code] : NULL;
	}
	return NULL;
}

const char *const report_finding_kinds[] = {
	"crash", "deadlock", "blocked", "hung", "lockup", "panic", "tools", NULL,
};

const char *report_finding_kind(const char *s, size_t len)
{
	for (size_t i = 0; report_finding_kinds[i]; i++)
		if (strlen(report_finding_kinds[i]) == len && strncmp(report_finding_kinds[i], s, len) == 0)
			return report_finding_kinds[i];
	return NULL;
}
