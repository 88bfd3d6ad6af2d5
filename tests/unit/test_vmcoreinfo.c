/* test_vmcoreinfo.c - VMCOREINFO parsing and Linux kernel detection on a synthetic guest. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "linux_kernel.h"
#include "test_vmcoreinfo_guest.h"
#include "unit.h"
#include "vmcoreinfo.h"

static const char GOOD[] =
	"OSRELEASE=6.1.0-56-amd64\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=ffffffffb4410000\n"
	"NUMBER(phys_base)=-679477248\nKERNELOFFSET=31a00000\nCRASHTIME=1700000000\n"
	"OFFSET(list_head.next)=0\n";

static int check(const char *s)
{
	return vmcoreinfo_check(s, strlen(s)) == NULL;
}

int main(void)
{
	struct unit u = { 0 };
	size_t vlen;
	uint64_t h;
	int64_t d;

	UNIT_BEGIN(&u, "vmcoreinfo_get");
	const char *v = vmcoreinfo_get(GOOD, sizeof(GOOD) - 1, "OSRELEASE", &vlen);
	CHECK(&u, v && vlen == 14 && memcmp(v, "6.1.0-56-amd64", 14) == 0);
	CHECK(&u, !vmcoreinfo_get(GOOD, sizeof(GOOD) - 1, "OSREL", &vlen));
	CHECK(&u, vmcoreinfo_get_hex(GOOD, sizeof(GOOD) - 1, "SYMBOL(swapper_pg_dir)", &h) &&
		  h == 0xffffffffb4410000ULL);
	CHECK(&u, vmcoreinfo_get_dec(GOOD, sizeof(GOOD) - 1, "NUMBER(phys_base)", &d) && d == -679477248);
	CHECK(&u, vmcoreinfo_get_hex(GOOD, sizeof(GOOD) - 1, "KERNELOFFSET", &h) && h == 0x31a00000);
	CHECK(&u, vmcoreinfo_get_dec(GOOD, sizeof(GOOD) - 1, "OFFSET(list_head.next)", &d) && d == 0);
	CHECK(&u, !vmcoreinfo_get_hex(GOOD, sizeof(GOOD) - 1, "NUMBER(phys_base)", &h));	/* negative */
	/* Bounded by len: a key past len is not seen. */
	CHECK(&u, !vmcoreinfo_get(GOOD, 20, "PAGESIZE", &vlen));
	UNIT_END(&u);

	UNIT_BEGIN(&u, "vmcoreinfo_check");
	CHECK(&u, check(GOOD));
	CHECK(&u, !check(""));
	CHECK(&u, !check("OSRELEASE=6.1\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=1\nNUMBER(phys_base)=0\n"));
	CHECK(&u, !check("OSRELEASE=6.1\nPAGESIZE=4095\nSYMBOL(swapper_pg_dir)=1\nNUMBER(phys_base)=0\n"
			 "KERNELOFFSET=0\n"));
	CHECK(&u, !check("OSRELEASE=\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=1\nNUMBER(phys_base)=0\n"
			 "KERNELOFFSET=0\n"));
	CHECK(&u, !check("OSRELEASE=6.1\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=xyz\nNUMBER(phys_base)=0\n"
			 "KERNELOFFSET=0\n"));
	CHECK(&u, !check("OSRELEASE=6.1\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=1\nNUMBER(phys_base)=0\n"
			 "KERNELOFFSET=0\ngarbage line\n"));
	CHECK(&u, !check("OSRELEASE=6.1\x01\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=1\nNUMBER(phys_base)=0\n"
			 "KERNELOFFSET=0\n"));
	CHECK(&u, check("OSRELEASE=6.1\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=1\nNUMBER(phys_base)=0\n"
			"KERNELOFFSET=0"));	/* no final newline */
	UNIT_END(&u);

	UNIT_BEGIN(&u, "vmcoreinfo_strip_crashtime");
	{
		char buf[sizeof(GOOD)];
		memcpy(buf, GOOD, sizeof(GOOD));
		size_t n = vmcoreinfo_strip_crashtime(buf, sizeof(GOOD) - 1);
		CHECK(&u, n == sizeof(GOOD) - 1 - strlen("CRASHTIME=1700000000\n"));
		CHECK(&u, !memmem(buf, n, "CRASHTIME", 9));
		CHECK(&u, memmem(buf, n, "KERNELOFFSET=31a00000\nOFFSET(list_head.next)=0\n", 47));
		char last[] = "A=1\nCRASHTIME=5";
		CHECK(&u, vmcoreinfo_strip_crashtime(last, strlen(last)) == 4);
	}
	UNIT_END(&u);

	struct machine m;
	char path[64];
	struct linux_kernel k;
	struct ck_error *err;

	UNIT_BEGIN(&u, "detect_synthetic_guest");
	if (sg_build(&m, path, 1) != 0) {
		CHECK(&u, !"cannot build the synthetic guest");
	} else {
		err = linux_kernel_detect(&m, &k);
		CHECK(&u, !err);
		CHECK(&u, k.found && strcmp(k.osrelease, "6.1.0-test") == 0);
		CHECK(&u, k.vmcoreinfo_pa == SG_VMCI_PA);
		CHECK(&u, k.phys_base == SG_PHYS_BASE && k.kernel_offset == SG_KOFF);
		CHECK(&u, k.swapper_pg_dir == SG_SWAPPER && !k.pgtable_l5);
		CHECK(&u, k.cpu == 0);		/* validated through vCPU 0's process PGD */
		CHECK(&u, k.page_offset_base == SG_POB);
		CHECK(&u, k.image_pa == SG_IMAGE_PA && k.image_len == SG_IMAGE_LEN);
		CHECK(&u, m.meta.kernel_banner && strcmp(m.meta.kernel_banner, SG_BANNER) == 0);
		CHECK(&u, m.meta.vmcoreinfo && m.meta.vmcoreinfo_pa == SG_VMCI_PA);
		CHECK(&u, m.meta.vmcoreinfo && !strstr(m.meta.vmcoreinfo, "CRASHTIME"));
		CHECK(&u, m.meta.vmcoreinfo && strlen(m.meta.vmcoreinfo) == m.meta.vmcoreinfo_len);
		ck_error_destroy(err);
		machine_deinit(&m);
		unlink(path);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "detect_page_offset_without_mem_section");
	if (sg_build(&m, path, 0) != 0) {
		CHECK(&u, !"cannot build the synthetic guest");
	} else {
		err = linux_kernel_detect(&m, &k);
		CHECK(&u, !err && k.found && k.page_offset_base == SG_POB);
		ck_error_destroy(err);
		machine_deinit(&m);
		unlink(path);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "detect_without_cr3_still_self_consistent");
	if (sg_build(&m, path, 1) != 0) {
		CHECK(&u, !"cannot build the synthetic guest");
	} else {
		m.cpus[0].present &= ~(1ULL << (REG_CR0 + 3));
		err = linux_kernel_detect(&m, &k);
		/* Decoy's swapper_pg_dir does not map itself; the real one does. */
		CHECK(&u, !err && k.found && k.cpu == -1 && k.vmcoreinfo_pa == SG_VMCI_PA);
		CHECK(&u, k.page_offset_base == SG_POB);
		ck_error_destroy(err);
		machine_deinit(&m);
		unlink(path);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "detect_among_many_decoys");
	if (sg_build(&m, path, 1) != 0) {
		CHECK(&u, !"cannot build the synthetic guest");
	} else {
		/* 200 valid-looking VMCOREINFO pages of "other kernels" before the real one. */
		char text[4096];
		size_t n = sg_vmcoreinfo(text, sizeof(text), "6.1.0-stale", SG_PHYS_BASE - 0x200000, 1, 0);
		int ok = 1;
		int fd = open(path, O_WRONLY);
		for (int i = 0; fd >= 0 && i < 200; i++)
			ok &= pwrite(fd, text, n, (off_t)(0x1b00000 + i * 4096)) == (ssize_t)n;
		if (fd >= 0)
			close(fd);
		CHECK(&u, ok && fd >= 0);
		err = linux_kernel_detect(&m, &k);
		CHECK(&u, !err && k.found && k.vmcoreinfo_pa == SG_VMCI_PA && !strcmp(k.osrelease, "6.1.0-test"));
		ck_error_destroy(err);
		machine_deinit(&m);
		unlink(path);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "detect_no_kernel");
	{
		char p2[] = "/tmp/corekit-nokernel-XXXXXX";
		int fd = mkstemp(p2);
		CHECK(&u, fd >= 0 && ftruncate(fd, 8 << 20) == 0);
		if (fd >= 0)
			close(fd);
		machine_init(&m);
		int file;
		err = machine_add_file(&m, p2, &file);
		if (!err)
			err = machine_add_run(&m, 0x100000, 8 << 20, MEM_RUN_FILE, file, 0);
		if (!err)
			err = machine_add_run(&m, 0x10000000, 1 << 20, MEM_RUN_ZERO, -1, 0);
		if (!err)
			err = machine_finish_runs(&m);
		if (!err)
			err = linux_kernel_detect(&m, &k);
		CHECK(&u, !err && !k.found && k.cpu == -1 && !m.meta.vmcoreinfo);
		ck_error_destroy(err);
		machine_deinit(&m);
		unlink(p2);
	}
	UNIT_END(&u);

	return UNIT_EXIT(&u);
}
