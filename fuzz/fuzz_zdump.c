/*
 * fuzz_zdump.c - libFuzzer harness for the zdump scanner (zdump_scan.h): the
 * input is written to a temporary file named like a zdump and scanned with
 * small caps (so every input is quick).  The text sink checks what the
 * scanner promises: pieces of a run are contiguous and inside their origin,
 * runs are ZDUMP_MIN_RUN bytes of text at least; every core it lists has its
 * temporary, no bigger than the core cap, and no stream claims more input
 * than the file has.
 * Seeds: fuzz/corpus/zdump (make_zdump_seed.py).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#include "zdump_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], path[96];
static size_t fsize;

struct last {
	int stream;
	uint64_t end, runlen;
	int open;
};

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

static struct ck_error *sink(void *arg, int stream, uint64_t off, const char *p, size_t n, bool first)
{
	struct last *l = arg;
	if (!n || !p)
		abort();
	if (first) {
		/* a run is ZDUMP_MIN_RUN bytes at least (its first piece may be shorter) */
		if (l->open && l->runlen < ZDUMP_MIN_RUN)
			abort();
		l->stream = stream;
		l->open = 1;
		l->runlen = 0;
	} else if (!l->open || l->stream != stream || l->end != off) {
		abort();	/* a continuation must follow its run's last piece */
	}
	if (stream < 0 && off + n > fsize)
		abort();	/* text outside the file */
	l->end = off + n;
	l->runlen += n;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_zdump.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/vmkernel-zdump.1", dir);
		atexit(cleanup);
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	fsize = size;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		abort();
	struct zdump_limits lim = { 1 << 20, 4 << 20, 1 << 20 };
	struct last l = { 0 };
	struct zdump_scan *s = NULL;
	struct ck_error *err = zdump_scan_file(path, fd, &lim, sink, &l, &s);
	close(fd);
	if (!err && l.open && l.runlen < ZDUMP_MIN_RUN)
		abort();
	if (err && err->kind == CK_ERR_INPUT)
		abort();	/* content is never an error */
	ck_error_destroy(err);
	for (size_t i = 0; s && i < s->ncores; i++) {
		struct stat st;
		if (fstat(s->cores[i].fd, &st) != 0 || (uint64_t)st.st_size != s->cores[i].size ||
		    s->cores[i].size > lim.core_bytes)
			abort();
	}
	for (size_t i = 0; s && i < s->nstreams; i++)
		if (s->streams[i].offset + s->streams[i].in_bytes > size || s->streams[i].out_bytes > lim.stream_out)
			abort();
	zdump_scan_destroy(s);
	return 0;
}
