/*
 * test_kdump_realguest.c - kdump-compressed dumps through struct machine, on
 * the real guest of testdata/kdump.sh small: makedumpfile's zlib, lzo,
 * uncompressed (-d 31 and -d 0) and flattened forms of X.core (our ELF core
 * of the guest), each opened with machine_open() and compared page by page
 * with X.core opened by the ELF reader:
 *   - every page the dump holds reads (machine_read_phys) equal to X.core's;
 *   - every page X.core has and the dump excluded is CK_ERR_FAULT, also when
 *     a read starts on a present page and runs into an excluded one (X.core
 *     also has QEMU's VGA RAM and BIOS above the guest's RAM, which
 *     makedumpfile leaves out entirely: faults too);
 *   - the dump has no page X.core lacks;
 *   - vCPU registers and VMCOREINFO equal X.core's; the kernel is found
 *     with the same KASLR offset and phys_base.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "linux_kernel.h"
#include "unit.h"

enum { PAGE = 4096 };

static int kdump_dir(char *dir, size_t len)
{
	const char *root = getenv("COREKIT_ROOT");
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "'%s/testdata/kdump.sh' small", root ? root : ".");
	FILE *p = popen(cmd, "r");
	dir[0] = 0;
	if (p && fgets(dir, (int)len, p))
		dir[strcspn(dir, "\n")] = 0;
	int rc = p ? pclose(p) : -1;
	return rc == 0 && dir[0];
}

static int fault(struct ck_error *err)
{
	int f = err && err->kind == CK_ERR_FAULT;
	ck_error_destroy(err);
	return f;
}

/* End of the guest's RAM as the dump declares it (k's last page). */
static uint64_t ram_end(const struct machine *k)
{
	return k->nruns ? k->runs[k->nruns - 1].pa + k->runs[k->nruns - 1].len : 0;
}

static void check_pages(struct unit *u, const struct machine *x, const struct machine *k, int excluded)
{
	static uint8_t a[2 * PAGE], b[2 * PAGE];
	size_t same = 0, differ = 0, faults = 0, beyond = 0, wrong = 0, extra = 0, straddle = 0;
	for (size_t i = 0; i < x->nruns; i++)
		for (uint64_t pa = x->runs[i].pa; pa < x->runs[i].pa + x->runs[i].len; pa += PAGE) {
			if (!machine_find_run(k, pa)) {
				int f = fault(machine_read_phys(k, pa, b, PAGE));
				if (pa >= ram_end(k))
					beyond += f;
				else
					faults += f;
				continue;
			}
			struct ck_error *e1 = machine_read_phys(x, pa, a, PAGE);
			struct ck_error *e2 = machine_read_phys(k, pa, b, PAGE);
			if (e1 || e2)
				wrong++;
			else if (memcmp(a, b, PAGE) == 0)
				same++;
			else
				differ++;
			ck_error_destroy(e1);
			ck_error_destroy(e2);
		}
	size_t holes = 0;
	for (size_t i = 0; i < k->nruns; i++) {
		const struct mem_run *r = &k->runs[i];
		for (uint64_t pa = r->pa; pa < r->pa + r->len; pa += PAGE)
			extra += !machine_find_run(x, pa);
		uint64_t end = r->pa + r->len;
		if (!machine_find_run(k, end) && machine_find_run(x, end) && holes++ < 8)
			straddle += fault(machine_read_phys(k, end - PAGE, b, 2 * PAGE));
	}
	printf("# %zu pages equal, %zu excluded (fault), %zu past the guest's RAM (fault), %zu differ,"
	       " %zu errors, %zu not in X.core\n", same, faults, beyond, differ, wrong, extra);
	CHECK(u, same > 1000 && differ == 0 && wrong == 0 && extra == 0);
	size_t xpages = (size_t)(machine_ram_bytes(x) / PAGE);
	CHECK(u, same + faults + beyond == xpages && beyond > 0);
	if (excluded)
		CHECK(u, faults > 1000 && straddle > 0 && straddle == (holes < 8 ? holes : 8));
	else
		CHECK(u, faults == 0);
}

static void check_meta(struct unit *u, const struct machine *x, const struct machine *k)
{
	CHECK(u, k->ncpus == x->ncpus && k->ncpus > 0);
	for (size_t i = 0; i < k->ncpus && i < x->ncpus; i++) {
		const struct x86_regs *a = &x->cpus[i], *b = &k->cpus[i];
		CHECK(u, a->rip == b->rip && a->gpr[X86_RSP] == b->gpr[X86_RSP] && a->cr[3] == b->cr[3]);
		CHECK(u, a->present == b->present && x86_regs_has(b, REG_CR0 + 3));
	}
	CHECK(u, x->meta.vmcoreinfo && k->meta.vmcoreinfo && strcmp(x->meta.vmcoreinfo, k->meta.vmcoreinfo) == 0);
	uint64_t xram = 0;	/* X.core's bytes inside the guest's RAM (1st bitmap) */
	for (size_t i = 0; i < x->nruns; i++)
		if (x->runs[i].pa < ram_end(k))
			xram += x->runs[i].len;
	CHECK(u, k->meta.ram_bytes == xram);
	CHECK(u, k->meta.source_format && strstr(k->meta.source_format, "kdump-compressed"));
}

int main(void)
{
	struct unit u = { 0 };
	char dir[2048], path[4096];
	int have = kdump_dir(dir, sizeof(dir));
	UNIT_BEGIN(&u, "kdump_fixtures_available");
	CHECK(&u, have);
	UNIT_END(&u);
	if (!have)
		return UNIT_EXIT(&u);

	struct machine x;
	struct linux_kernel xk = { 0 };
	machine_init(&x);
	snprintf(path, sizeof(path), "%s/X.core", dir);
	struct ck_error *err = machine_open(path, NULL, &x, NULL);
	UNIT_BEGIN(&u, "kdump_xcore_opens");
	CHECK(&u, !err);
	if (!err) {
		err = linux_kernel_detect(&x, &xk);
		CHECK(&u, !err && xk.found);
	}
	UNIT_END(&u);
	if (err) {
		ck_error_destroy(err);
		machine_deinit(&x);
		return UNIT_EXIT(&u);
	}

	static const struct { const char *file; int excluded; } forms[] = {
		{ "z.kdump", 1 }, { "l.kdump", 1 }, { "u31.kdump", 1 }, { "full.kdump", 0 }, { "f.flat", 1 },
	};
	for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		char name[128];
		struct machine k;
		const struct machine_format *fmt = NULL;
		machine_init(&k);
		snprintf(path, sizeof(path), "%s/%s", dir, forms[f].file);
		err = machine_open(path, NULL, &k, &fmt);
		snprintf(name, sizeof(name), "kdump_open_%s", forms[f].file);
		UNIT_BEGIN(&u, name);
		CHECK(&u, !err && fmt == &kdump_format);
		if (err)
			printf("# %s\n", err->msg);
		UNIT_END(&u);
		if (!err) {
			snprintf(name, sizeof(name), "kdump_pages_%s", forms[f].file);
			UNIT_BEGIN(&u, name);
			check_pages(&u, &x, &k, forms[f].excluded);
			UNIT_END(&u);
			snprintf(name, sizeof(name), "kdump_cpus_vmcoreinfo_%s", forms[f].file);
			UNIT_BEGIN(&u, name);
			check_meta(&u, &x, &k);
			UNIT_END(&u);
		}
		if (!err && f == 0) {
			struct linux_kernel kk = { 0 };
			UNIT_BEGIN(&u, "kdump_kernel_detected");
			err = linux_kernel_detect(&k, &kk);
			CHECK(&u, !err && kk.found && kk.kernel_offset == xk.kernel_offset &&
				  kk.phys_base == xk.phys_base && kk.page_offset_base == xk.page_offset_base &&
				  strcmp(kk.osrelease, xk.osrelease) == 0);
			UNIT_END(&u);
		}
		ck_error_destroy(err);
		machine_deinit(&k);
	}
	machine_deinit(&x);
	return UNIT_EXIT(&u);
}
