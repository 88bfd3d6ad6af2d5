/*
 * an_logs.c - the logs analyzer: a target's text logs (a log target's file,
 * a bundle's logs: target_ops.logs) through the log parsers (log_events.h)
 * into the report as one timeline: their facts, their events in time order,
 * the verdict (log_report.h).  A bundle's file that is no log is a warning;
 * the others are read.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "log_events.h"
#include "log_report.h"

/* Read paths[i], naming it names[i] in events and messages. */
static struct ck_error *read_named(const char *path, const char *name, struct log_file **ret)
{
	struct ck_error *err = log_read(path, ret);
	if (err)
		return ck_error_replace(err, path, name);
	if (strcmp(path, name) != 0) {
		char *s = strdup(name);
		if (!s) {
			log_file_destroy(*ret);
			return &ck_enomem;
		}
		free((*ret)->source);
		(*ret)->source = s;
	}
	return NULL;
}

static struct ck_error *logs_run(struct target *t, const struct analyzer_options *opt, struct report *r)
{
	(void)opt;
	const char *const *paths = &t->path, *const *names = &t->path;
	size_t n = 1;
	struct ck_error *err = t->ops->logs ? t->ops->logs(t, &paths, &names, &n) : NULL;
	if (err)
		return err;
	struct log_file **files = calloc(n ? n : 1, sizeof(*files));
	if (!files)
		return &ck_enomem;
	size_t nf = 0;
	for (size_t i = 0; i < n && !err; i++) {
		err = read_named(paths[i], names[i], &files[nf]);
		if (!err)
			nf++;
		else if (n > 1 && err->kind != CK_ERR_SYSTEM) {
			/* one unreadable file of several: said, and the others analysed */
			struct ck_error *w = report_warn(r, "%s", err->msg);
			ck_error_destroy(err);
			err = w;
		}
	}
	if (!err)
		err = log_report_add(r, files, nf);
	for (size_t i = 0; i < nf; i++)
		log_file_destroy(files[i]);
	free(files);
	return err;
}

const struct analyzer analyzer_logs = {
	.name = "logs",
	.summary = "text logs (vmware.log, vmkernel.log/PSOD, hostd, guest kernel text): events, timeline, verdict",
	.targets = TARGET_LOG,
	.run = logs_run,
};
