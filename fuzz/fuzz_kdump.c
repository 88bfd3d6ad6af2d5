/*
 * fuzz_kdump.c - libFuzzer harness for the kdump-compressed reader (plain and
 * flattened): the input is written to a temporary file, opened with
 * kdump_format.open() and up to 256 KiB of its pages are read.  Input errors
 * must name the file; the flattened rebuild's temporary goes to $TMPDIR.
 * Seeds: fuzz/corpus/kdump (make_kdump_seed.py).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "machine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void cleanup(void)
{
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0]) {
		snprintf(path, sizeof(path), "/tmp/fuzz_kdump.XXXXXX");
		int fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
		atexit(cleanup);
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	struct machine m;
	machine_init(&m);
	struct ck_error *err = kdump_format.open(path, NULL, &m);
	static uint8_t buf[4096];
	size_t budget = 64;	/* pages */
	for (size_t i = 0; !err && i < m.nruns && budget; i++)
		for (uint64_t pa = m.runs[i].pa; !err && budget && pa < m.runs[i].pa + m.runs[i].len;
		     pa += sizeof(buf), budget--)
			err = machine_read_phys(&m, pa, buf, sizeof(buf));
	if (err && err->kind == CK_ERR_INPUT && !strstr(err->msg, path))
		abort();	/* input errors must name the file */
	ck_error_destroy(err);
	machine_deinit(&m);
	return 0;
}
