/*
 * test_elfcore_realguest.c - the library path (machine_open -> linux_kernel_detect
 * -> elfcore_write -> elfcore_format) on a real Debian guest from
 * testdata/guest.sh small, checked against facts the guest itself printed:
 *   - every physical page of our core equals QEMU's raw RAM (ram-*.raw, pmemsave);
 *   - the module's lock_a/lock_b (vmalloc addresses from the serial log),
 *     translated by our page-table walker, hold owner = dl_ab/dl_ba task | 1;
 *   - the direct-map PT_LOADs of our core put "dl_ab" inside dl_ab's task_struct;
 *   - the kernel-image PT_LOADs put OSRELEASE in init_uts_ns.name.release;
 *   - kernel-mode vCPUs' RIP lies in the image mapping.
 * The guest is built once and cached by testdata/guest.sh (~20 s the first time).
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfcore.h"
#include "format.h"
#include "linux_kernel.h"
#include "unit.h"
#include "vmcoreinfo.h"
#include "x86_paging.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 20);
	size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = 0;
	*len = n;
	return buf;
}

/* "KEY=" hex value on the serial console's "deadlock:" lines. */
static uint64_t serial_hex(const char *log, const char *key)
{
	const char *p = strstr(log, key);
	return p ? strtoull(p + strlen(key), NULL, 16) : 0;
}

/* Read len bytes at virtual address va through the core's PT_LOADs with p_vaddr != 0. */
static int core_read_va(Elf *elf, int fd, uint64_t va, void *buf, size_t len)
{
	size_t phnum = 0;
	elf_getphdrnum(elf, &phnum);
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || ph.p_vaddr == 0)
			continue;
		if (va >= ph.p_vaddr && va - ph.p_vaddr + len <= ph.p_filesz)
			return pread(fd, buf, len, (off_t)(ph.p_offset + (va - ph.p_vaddr))) == (ssize_t)len;
	}
	return 0;
}

int main(void)
{
	struct unit u = { 0 };
	const char *root = getenv("COREKIT_ROOT");
	char cmd[4096], gdir[2048] = "", path[4096], out[4096];
	snprintf(cmd, sizeof(cmd), "'%s/testdata/guest.sh' small", root ? root : ".");
	FILE *p = popen(cmd, "r");
	if (p && fgets(gdir, sizeof(gdir), p))
		gdir[strcspn(gdir, "\n")] = 0;
	int rc = p ? pclose(p) : -1;
	UNIT_BEGIN(&u, "realguest_available");
	CHECK(&u, rc == 0 && gdir[0]);
	UNIT_END(&u);
	if (rc != 0 || !gdir[0])
		return UNIT_EXIT(&u);

	struct machine m;
	struct linux_kernel k = { 0 };
	machine_init(&m);
	snprintf(path, sizeof(path), "%s/qemu.elf", gdir);
	struct ck_error *err = machine_open(path, NULL, &m, NULL);
	UNIT_BEGIN(&u, "realguest_open_qemu_elf");
	CHECK(&u, !err && m.ncpus == 2 && m.nruns == 4);
	UNIT_END(&u);
	if (err) {
		printf("# %s\n", err->msg);
		ck_error_destroy(err);
		return UNIT_EXIT(&u);
	}

	UNIT_BEGIN(&u, "realguest_detect");
	err = linux_kernel_detect(&m, &k);
	CHECK(&u, !err && k.found && k.cpu >= 0 && k.page_offset_base && k.image_len >= (8 << 20));
	CHECK(&u, k.kernel_offset % (2 << 20) == 0 && k.page_offset_base % (1ULL << 30) == 0);
	CHECK(&u, m.meta.kernel_banner && strstr(m.meta.kernel_banner, k.osrelease));
	CHECK(&u, m.meta.vmcoreinfo && !strstr(m.meta.vmcoreinfo, "CRASHTIME"));
	for (size_t i = 0; i < m.ncpus; i++) {
		const struct x86_regs *r = &m.cpus[i];
		uint64_t img_va = X86_START_KERNEL_MAP + k.image_pa - (uint64_t)k.phys_base;
		if ((r->sel[X86_CS] & 3) == 0)
			CHECK(&u, r->rip >= img_va && r->rip < img_va + k.image_len);
	}
	UNIT_END(&u);
	ck_error_destroy(err);

	size_t loglen = 0;
	snprintf(path, sizeof(path), "%s/serial.log", gdir);
	char *log = slurp(path, &loglen);
	uint64_t lock_a = log ? serial_hex(log, "lock_a=") : 0, lock_b = log ? serial_hex(log, "lock_b=") : 0;
	uint64_t ab_task = 0, ba_task = 0;
	if (log) {
		const char *l = strstr(log, "dl_ab pid=");
		ab_task = l ? serial_hex(l, "task=") : 0;
		l = l ? strstr(l, "dl_ba pid=") : NULL;
		ba_task = l ? serial_hex(l, "task=") : 0;
	}

	UNIT_BEGIN(&u, "realguest_pagewalk_mutex_owners");
	{
		struct x86_pager pg;
		x86_pager_init_machine(&pg, &m, k.swapper_pg_dir - X86_START_KERNEL_MAP + (uint64_t)k.phys_base,
				       k.pgtable_l5 ? 5 : 4);
		struct x86_xlat xa, xb;
		uint64_t owner_a = 0, owner_b = 0;
		CHECK(&u, lock_a && lock_b && ab_task && ba_task);
		err = x86_translate(&pg, lock_a, &xa);
		if (!err)
			err = machine_read_phys(&m, xa.pa, &owner_a, 8);
		if (!err)
			err = x86_translate(&pg, lock_b, &xb);
		if (!err)
			err = machine_read_phys(&m, xb.pa, &owner_b, 8);
		CHECK(&u, !err);
		/* struct mutex starts with atomic_long_t owner; low bit 1 = MUTEX_FLAG_WAITERS. */
		CHECK(&u, owner_a == (ab_task | 1) && owner_b == (ba_task | 1));
		ck_error_destroy(err);
	}
	UNIT_END(&u);

	snprintf(out, sizeof(out), "%s/.corekit-test-%d.core", gdir, (int)getpid());
	UNIT_BEGIN(&u, "realguest_write");
	struct elfcore_options o = { .out_path = out, .force = 1 };
	err = elfcore_write(&m, &k, &o);
	CHECK(&u, !err);
	ck_error_destroy(err);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "realguest_virtual_loads");
	{
		elf_version(EV_CURRENT);
		int fd = open(out, O_RDONLY);
		Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
		CHECK(&u, elf != NULL);
		/* Direct map: dl_ab's comm is somewhere in its task_struct. */
		static uint8_t task[16384];
		CHECK(&u, elf && core_read_va(elf, fd, ab_task, task, sizeof(task)) &&
			  memmem(task, sizeof(task), "dl_ab\0", 6));
		/* Kernel image: init_uts_ns.name.release == OSRELEASE (new_utsname: 3 x 65 bytes in). */
		uint64_t uts = 0;
		int64_t name_off = -1;
		char rel[65] = "";
		vmcoreinfo_get_hex(m.meta.vmcoreinfo, m.meta.vmcoreinfo_len, "SYMBOL(init_uts_ns)", &uts);
		vmcoreinfo_get_dec(m.meta.vmcoreinfo, m.meta.vmcoreinfo_len, "OFFSET(uts_namespace.name)", &name_off);
		CHECK(&u, elf && uts && name_off >= 0 &&
			  core_read_va(elf, fd, uts + (uint64_t)name_off + 2 * 65, rel, 64) &&
			  strcmp(rel, k.osrelease) == 0);
		if (elf)
			elf_end(elf);
		if (fd >= 0)
			close(fd);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "realguest_pages_equal_pmemsave");
	{
		struct machine r;
		machine_init(&r);
		err = machine_open(out, NULL, &r, NULL);
		CHECK(&u, !err && r.ncpus == 2);
		ck_error_destroy(err);
		snprintf(path, sizeof(path), "%s/ram.layout", gdir);
		FILE *lay = fopen(path, "r");
		unsigned long long pa, len;
		char name[256];
		static uint8_t a[1 << 20], b[1 << 20];
		int regions = 0, bad = 0;
		while (lay && fscanf(lay, "%llx %llx %255s", &pa, &len, name) == 3) {
			snprintf(path, sizeof(path), "%s/%s", gdir, name);
			int rfd = open(path, O_RDONLY);
			for (uint64_t off = 0; rfd >= 0 && off < len && !bad; off += sizeof(a)) {
				size_t n = len - off < sizeof(a) ? (size_t)(len - off) : sizeof(a);
				err = machine_read_phys(&r, pa + off, b, n);
				bad = err || pread(rfd, a, n, (off_t)off) != (ssize_t)n || memcmp(a, b, n) != 0;
				if (bad)
					printf("# differs in the MiB at 0x%llx\n", (unsigned long long)(pa + off));
				ck_error_destroy(err);
			}
			regions += rfd >= 0;
			if (rfd >= 0)
				close(rfd);
		}
		if (lay)
			fclose(lay);
		CHECK(&u, regions == 2 && !bad);
		machine_deinit(&r);
	}
	UNIT_END(&u);

	unlink(out);
	free(log);
	machine_deinit(&m);
	return UNIT_EXIT(&u);
}
