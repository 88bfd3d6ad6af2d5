/*
 * test_log_samples.h - the kernel events of one real log excerpt of
 * testdata/log-samples/, for the unit tests that check parsers against them.
 */
#ifndef COREKIT_TEST_LOG_SAMPLES_H
#define COREKIT_TEST_LOG_SAMPLES_H

#include <stdio.h>
#include <stdlib.h>

#include "klog_events.h"

/* The text of ROOT/testdata/log-samples/NAME (at most 1 MiB, NUL-terminated, malloc'd) and its
 * length; NULL, with a "# " line, on failure. */
static inline char *log_sample_text(const char *root, const char *name, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/testdata/log-samples/%s", root, name);
	FILE *f = fopen(path, "r");
	char *buf = f ? malloc(1 << 20) : NULL;
	if (!buf) {
		printf("# cannot read %s\n", path);
		if (f)
			fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = 0;
	fclose(f);
	return buf;
}

/* klog_events of ROOT/testdata/log-samples/NAME; NULL, with a "# " line, on failure. */
static inline struct klog_events *log_sample_events(const char *root, const char *name)
{
	size_t n;
	char *buf = log_sample_text(root, name, &n);
	if (!buf)
		return NULL;
	struct klog_events *ev = NULL;
	struct ck_error *err = klog_events_parse(buf, n, &ev);
	if (err) {
		printf("# %s: %s\n", name, err->msg);
		ck_error_destroy(err);
	}
	free(buf);
	return ev;
}

#endif
