/*
 * target_log.c - a text log file as a target (kind TARGET_LOG): no memory,
 * no threads; the logs analyzer (analyzers/logs/an_logs.c) reads the file.
 */
#include <stdlib.h>

#include "target.h"

static struct ck_error *log_read_mem(struct target *t, uint64_t addr, void *buf, size_t len)
{
	(void)buf;
	(void)len;
	return ck_error_create(CK_ERR_INPUT, "%s: a log has no memory (address 0x%llx)", t->path,
			       (unsigned long long)addr);
}

static size_t log_nthreads(struct target *t)
{
	(void)t;
	return 0;
}

static const struct target_thread *log_thread(struct target *t, size_t i)
{
	(void)t;
	(void)i;
	return NULL;
}

static struct ck_error *log_unwind(struct target *t, size_t i, size_t max, struct target_frame **frames,
				   size_t *n, bool *incomplete)
{
	(void)i;
	(void)max;
	*frames = NULL;
	*n = 0;
	*incomplete = false;
	return ck_error_create(CK_ERR_INPUT, "%s: a log has no threads to unwind", t->path);
}

static struct sym_resolver *log_symbols(struct target *t)
{
	(void)t;
	return NULL;
}

/* The one file: itself. */
static struct ck_error *log_logs(struct target *t, const char *const **paths, const char *const **names, size_t *n)
{
	*paths = *names = &t->path;
	*n = 1;
	return NULL;
}

static void log_destroy(struct target *t)
{
	free(t);
}

static const struct target_ops log_ops = {
	.name = "log",
	.kind = TARGET_LOG,
	.read = log_read_mem,
	.nthreads = log_nthreads,
	.thread = log_thread,
	.unwind = log_unwind,
	.symbols = log_symbols,
	.process = NULL,
	.destroy = log_destroy,
	.warnings = NULL,
	.logs = log_logs,
};

struct ck_error *target_log_open(const char *path, struct target **ret)
{
	struct target *t = calloc(1, sizeof(*t));
	if (!t)
		return &ck_enomem;
	t->ops = &log_ops;
	t->path = path;
	*ret = t;
	return NULL;
}
