/*
 * an_logs.c - the logs analyzer: a log target's file through the log
 * parsers (log_events.h) into the report: its facts, its events in time
 * order, the verdict (log_report.h).
 */
#include "analyzer.h"
#include "log_events.h"
#include "log_report.h"

static struct ck_error *logs_run(struct target *t, const struct analyzer_options *opt, struct report *r)
{
	(void)opt;
	struct log_file *f = NULL;
	struct ck_error *err = log_read(t->path, &f);
	if (err)
		return err;
	err = log_report_add(r, &f, 1);
	log_file_destroy(f);
	return err;
}

const struct analyzer analyzer_logs = {
	.name = "logs",
	.summary = "text logs (vmware.log, vmkernel.log/PSOD, hostd, guest kernel text): events, timeline, verdict",
	.targets = TARGET_LOG,
	.run = logs_run,
};
