/*
 * test_log_samples.h - the kernel events of one real log excerpt of
 * testdata/log-samples/, for the unit tests that check parsers against them.
 */
#ifndef COREKIT_TEST_LOG_SAMPLES_H
#define COREKIT_TEST_LOG_SAMPLES_H

#include <stdio.h>

#include "klog_events.h"

/* klog_events of ROOT/testdata/log-samples/NAME (at most 1 MiB read); NULL, with a "# " line, on failure. */
static inline struct klog_events *log_sample_events(const char *root, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/testdata/log-samples/%s", root, name);
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("# cannot open %s\n", path);
		return NULL;
	}
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	struct klog_events *ev = NULL;
	struct ck_error *err = klog_events_parse(buf, n, &ev);
	if (err) {
		printf("# %s: %s\n", name, err->msg);
		ck_error_destroy(err);
	}
	return ev;
}

#endif
