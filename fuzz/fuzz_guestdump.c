/*
 * fuzz_guestdump.c - libFuzzer harness for the debug.guest reader: the input
 * is written to a temporary debug.guest (next to a small debug.vmem) and opened
 * with guestdump_format.open().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "machine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], guest[96], vmem[96];

static void cleanup(void)
{
	unlink(guest);
	unlink(vmem);
	rmdir(dir);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fuzz_gd.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(guest, sizeof(guest), "%s/debug.guest", dir);
	snprintf(vmem, sizeof(vmem), "%s/debug.vmem", dir);
	atexit(cleanup);
	FILE *f = fopen(vmem, "wb");
	if (!f)
		abort();
	for (int i = 0; i < 12 * 4096; i++)
		fputc(i & 0xff, f);
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!guest[0])
		setup();
	FILE *f = fopen(guest, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	struct machine m;
	machine_init(&m);
	struct ck_error *err = guestdump_format.open(guest, NULL, &m);
	if (!err && m.nruns > 0) {
		uint8_t buf[64];
		err = machine_read_phys(&m, m.runs[0].pa, buf, m.runs[0].len < 64 ? (size_t)m.runs[0].len : 64);
	}
	if (err && err->kind == CK_ERR_INPUT && !strstr(err->msg, guest))
		abort();	/* input errors must name the file */
	ck_error_destroy(err);
	machine_deinit(&m);
	return 0;
}
