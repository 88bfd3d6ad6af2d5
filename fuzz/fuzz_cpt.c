/*
 * fuzz_cpt.c - libFuzzer harness for the VMware checkpoint reader: the input
 * is written to a temporary FILE.vmss (next to a small FILE.vmem), opened with
 * vmss_format.open() and described with cpt_info_print(--tags).  Any sanitizer
 * report or leak is a bug; errors are expected and freed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpt_info.h"
#include "format.h"
#include "machine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], vmss[96], vmem[96];
static FILE *devnull;

static void cleanup(void)
{
	unlink(vmss);
	unlink(vmem);
	rmdir(dir);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fuzz_cpt.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(vmss, sizeof(vmss), "%s/f.vmss", dir);
	snprintf(vmem, sizeof(vmem), "%s/f.vmem", dir);
	atexit(cleanup);
	FILE *f = fopen(vmem, "wb");
	if (!f)
		abort();
	for (int i = 0; i < 16 * 4096; i++)
		fputc(i * 31 & 0xff, f);
	fclose(f);
	devnull = fopen("/dev/null", "w");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull)
		setup();
	FILE *f = fopen(vmss, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	struct machine m;
	machine_init(&m);
	if (vmss_format.probe(vmss, data, size < FORMAT_PROBE_BYTES ? size : FORMAT_PROBE_BYTES) ||
	    size < 64) {
		struct ck_error *err = vmss_format.open(vmss, NULL, &m);
		if (!err && m.nruns > 0) {
			uint8_t buf[64];
			const struct mem_run *r = &m.runs[m.nruns - 1];
			size_t n = r->len < sizeof(buf) ? (size_t)r->len : sizeof(buf);
			err = machine_read_phys(&m, r->pa + r->len - n, buf, n);
		}
		if (err && (err->kind != CK_ERR_INPUT || !strstr(err->msg, vmss)))
			if (err->kind != CK_ERR_SYSTEM)
				abort();	/* input errors must name the file */
		ck_error_destroy(err);
		err = cpt_info_print(devnull, vmss, 1);
		ck_error_destroy(err);
	}
	machine_deinit(&m);
	return 0;
}
