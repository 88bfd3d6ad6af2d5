/*
 * target_zdump.c - an ESXi zdump as a target: the scan of its content (the
 * carved text kept per origin, within ZDUMP_TEXT_CAP) and its first ELF core
 * opened as a process core, to which the thread, memory and symbol ops are
 * handed (target_zdump.h).
 */
#include "target_zdump.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct zdump_target {
	struct target base;
	struct zdump_info info;
	struct target *core;	/* the embedded core as a process core, NULL if none */
	uint64_t text_kept;
	bool text_full;		/* ZDUMP_TEXT_CAP reached: nothing more is kept (no run with a hole) */
};

static struct zdump_target *zt(struct target *t)
{
	return (struct zdump_target *)t;
}

static struct ck_error *no_memory(struct target *t, uint64_t addr, void *buf, size_t len)
{
	(void)buf;
	(void)len;
	return ck_error_create(CK_ERR_INPUT, "%s: no process core in this zdump (address 0x%llx)", t->path,
			       (unsigned long long)addr);
}

static size_t no_threads(struct target *t)
{
	(void)t;
	return 0;
}

static const struct target_thread *no_thread(struct target *t, size_t i)
{
	(void)t;
	(void)i;
	return NULL;
}

static struct ck_error *no_unwind(struct target *t, size_t i, size_t max, struct target_frame **frames, size_t *n,
				  bool *incomplete)
{
	(void)i;
	(void)max;
	*frames = NULL;
	*n = 0;
	*incomplete = false;
	return ck_error_create(CK_ERR_INPUT, "%s: no process core in this zdump to unwind", t->path);
}

static struct sym_resolver *no_symbols(struct target *t)
{
	(void)t;
	return NULL;
}

/* With a core: everything the process analyzers read is the core's. */
static struct ck_error *core_read(struct target *t, uint64_t addr, void *buf, size_t len)
{
	struct target *c = zt(t)->core;
	return c->ops->read(c, addr, buf, len);
}

static size_t core_nthreads(struct target *t)
{
	struct target *c = zt(t)->core;
	return c->ops->nthreads(c);
}

static const struct target_thread *core_thread(struct target *t, size_t i)
{
	struct target *c = zt(t)->core;
	return c->ops->thread(c, i);
}

static struct ck_error *core_unwind(struct target *t, size_t i, size_t max, struct target_frame **frames, size_t *n,
				    bool *incomplete)
{
	struct target *c = zt(t)->core;
	return c->ops->unwind(c, i, max, frames, n, incomplete);
}

static struct sym_resolver *core_symbols(struct target *t)
{
	struct target *c = zt(t)->core;
	return c->ops->symbols(c);
}

static const struct target_process *core_process(struct target *t)
{
	struct target *c = zt(t)->core;
	return c->ops->process ? c->ops->process(c) : NULL;
}

static struct ck_error *core_warnings(struct target *t, const char *const **list, size_t *n)
{
	struct target *c = zt(t)->core;
	if (c->ops->warnings)
		return c->ops->warnings(c, list, n);
	*list = NULL;
	*n = 0;
	return NULL;
}

static const char *core_unwind_stop(struct target *t, size_t i)
{
	struct target *c = zt(t)->core;
	return c->ops->unwind_stop ? c->ops->unwind_stop(c, i) : NULL;
}

static void zdump_destroy(struct target *t)
{
	struct zdump_target *z = zt(t);
	target_destroy(z->core);
	for (size_t i = 0; i < z->info.ntexts; i++) {
		free(z->info.texts[i].buf);
		free(z->info.texts[i].runs);
	}
	free(z->info.texts);
	free(z->info.core_error);
	zdump_scan_destroy(z->info.scan);
	free((char *)z->base.path);
	free(z);
}

static const struct target_ops zdump_ops = {
	.name = "zdump",
	.kind = TARGET_ZDUMP,
	.read = no_memory,
	.nthreads = no_threads,
	.thread = no_thread,
	.unwind = no_unwind,
	.symbols = no_symbols,
	.destroy = zdump_destroy,
};

static const struct target_ops zdump_core_ops = {
	.name = "zdump with a process core",
	.kind = TARGET_ZDUMP | TARGET_PROCESS_CORE,
	.read = core_read,
	.nthreads = core_nthreads,
	.thread = core_thread,
	.unwind = core_unwind,
	.symbols = core_symbols,
	.process = core_process,
	.destroy = zdump_destroy,
	.warnings = core_warnings,
	.unwind_stop = core_unwind_stop,
};

const struct zdump_info *target_zdump_info(const struct target *t)
{
	return t && (t->ops->kind & TARGET_ZDUMP) ? &((const struct zdump_target *)t)->info : NULL;
}

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return true;
	size_t ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	void *q = realloc(*p, ncap * size);
	if (!q)
		return false;
	*p = q;
	*cap = ncap;
	return true;
}

/* The text of an origin: the file's is [0]; a stream's is the last one, or a new one. */
static struct zdump_text *text_of(struct zdump_target *z, int stream)
{
	struct zdump_info *in = &z->info;
	if (stream < 0)
		return &in->texts[0];
	if (in->ntexts > 1 && in->texts[in->ntexts - 1].stream == stream)
		return &in->texts[in->ntexts - 1];
	struct zdump_text *v = realloc(in->texts, (in->ntexts + 1) * sizeof(*v));
	if (!v)
		return NULL;
	in->texts = v;
	v[in->ntexts] = (struct zdump_text){ .stream = stream };
	return &v[in->ntexts++];
}

/* The scanner's text sink: runs appended to their origin's text, each ended by '\n'. */
static struct ck_error *take_text(void *arg, int stream, uint64_t off, const char *p, size_t n, bool first)
{
	struct zdump_target *z = arg;
	if (z->text_full || z->text_kept + n + 1 > ZDUMP_TEXT_CAP) {
		z->text_full = true;
		z->info.text_dropped += n;
		return NULL;
	}
	struct zdump_text *t = text_of(z, stream);
	if (!t || !grow((void **)&t->buf, &t->cap, t->len + n + 2, 1) ||
	    (first && !grow((void **)&t->runs, &t->runcap, t->nruns + 1, sizeof(*t->runs))))
		return &ck_enomem;
	if (first) {
		if (t->len && t->buf[t->len - 1] != '\n')
			t->buf[t->len++] = '\n';
		t->runs[t->nruns++] = (struct zdump_run){ .at = t->len, .off = off };
	} else if (!t->nruns) {
		return NULL;	/* the rest of a run whose start was not kept */
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
	t->runs[t->nruns - 1].len += n;
	z->text_kept += n + 1;
	return NULL;
}

/* Every text ends with a '\n' (the last run's). */
static void close_texts(struct zdump_info *in)
{
	for (size_t i = 0; i < in->ntexts; i++) {
		struct zdump_text *t = &in->texts[i];
		if (t->len && t->buf[t->len - 1] != '\n')
			t->buf[t->len++] = '\n';
	}
}

/* The first core that opens as a process core; the first failure is kept as the reason. */
static struct ck_error *open_core(struct zdump_target *z, const char *name, const struct target_core_options *opt)
{
	struct zdump_info *in = &z->info;
	for (size_t i = 0; i < in->scan->ncores && !z->core; i++) {
		const struct zdump_core *c = &in->scan->cores[i];
		char fdpath[32], *cname = NULL;
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", c->fd);
		int r = c->stream < 0 ? asprintf(&cname, "%s (ELF core at 0x%llx)", name, (unsigned long long)c->offset)
				      : asprintf(&cname, "%s (ELF core at 0x%llx of the %s stream at 0x%llx)", name,
						 (unsigned long long)c->offset, in->scan->streams[c->stream].gzip ? "gzip" : "zlib",
						 (unsigned long long)in->scan->streams[c->stream].offset);
		if (r < 0)
			return &ck_enomem;
		struct target_core_options o = opt ? *opt : (struct target_core_options){ 0 };
		o.name = cname;
		o.companion = NULL;
		struct ck_error *err = target_core_open(fdpath, &o, &z->core);
		free(cname);
		if (!err) {
			in->core = (int)i;
			break;
		}
		if (err == &ck_enomem)
			return err;
		/* not a core the process reader takes: the zdump report says why, and goes on */
		if (!in->core_error) {
			in->core_error = err->msg;
			err->msg = NULL;
		}
		ck_error_destroy(err);
	}
	return NULL;
}

struct ck_error *target_zdump_open(const char *path, const char *name, const struct target_core_options *opt,
				   struct target **ret)
{
	struct zdump_target *z = calloc(1, sizeof(*z));
	if (!z || !(z->base.path = strdup(name ? name : path)) || !(z->info.texts = calloc(1, sizeof(*z->info.texts)))) {
		if (z)
			free((char *)z->base.path);
		free(z);
		return &ck_enomem;
	}
	z->base.ops = &zdump_ops;
	z->info.ntexts = 1;
	z->info.texts[0].stream = -1;
	z->info.core = -1;
	z->info.name_kind = input_zdump_name(name ? name : path, z->info.world, sizeof(z->info.world));
	struct ck_error *err = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		err = ck_error_create(errno == ENOENT ? CK_ERR_INPUT : CK_ERR_SYSTEM, "%s: cannot open: %s", z->base.path,
				      strerror(errno));
	else
		err = zdump_scan_file(z->base.path, fd, NULL, take_text, z, &z->info.scan);
	if (fd >= 0)
		close(fd);
	if (!err) {
		close_texts(&z->info);
		err = open_core(z, z->base.path, opt);
	}
	if (err) {
		zdump_destroy(&z->base);
		return err;
	}
	if (z->core)
		z->base.ops = &zdump_core_ops;
	*ret = &z->base;
	return NULL;
}
