/* analyzers.c - the plugin table and the runner. */
#include "analyzer.h"

#include <string.h>

#include "cli.h"

const struct analyzer *const analyzers[] = {
	&analyzer_process,
	&analyzer_backtrace,
	&analyzer_kernel,
	&analyzer_klog,
	&analyzer_hung,
	&analyzer_lockup,
	&analyzer_locks,
	&analyzer_klocks,
	&analyzer_crash,
	&analyzer_kpanic,
	&analyzer_logs,
	&analyzer_zdump,
	&analyzer_bundle,
	&analyzer_signature,	/* last: the report's signature is its main finding's, logs' too */
	NULL,
};

struct ck_error *analyzers_run(struct target *t, const struct analyzer_options *opt,
			       const char *disabled, struct report *r)
{
	for (size_t i = 0; analyzers[i]; i++) {
		const struct analyzer *a = analyzers[i];
		if (!(a->targets & t->ops->kind) || cli_list_has(disabled, a->name))
			continue;
		struct ck_error *err = a->run(t, opt, r);
		if (!err)
			continue;
		if (err->kind == CK_ERR_SYSTEM)
			return ck_error_prefix(err, "analyzer %s", a->name);
		struct ck_error *w = report_warn(r, "analyzer %s: %s", a->name, err->msg);
		ck_error_destroy(err);
		if (w)
			return w;
	}
	return NULL;
}
