/* test_elfcore.c - the ELF vmcore writer and reader, on synthetic machines. */
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfcore.h"
#include "elfcore_notes.h"
#include "format.h"
#include "linux_kernel.h"
#include "test_vmcoreinfo_guest.h"
#include "unit.h"

struct prog {
	uint64_t last_done, total;
	int calls;
};

static void progress(void *arg, uint64_t done, uint64_t total)
{
	struct prog *p = arg;
	p->last_done = done;
	p->total = total;
	p->calls++;
}

static int has(const struct ck_error *e, const char *s)
{
	return e && e->msg && strstr(e->msg, s);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.' || (de->d_name[1] && strcmp(de->d_name, ".."));
	if (d)
		closedir(d);
	return n;
}

/* Same bytes at every physical address of a, read from b? */
static int same_memory(const struct machine *a, const struct machine *b)
{
	static uint8_t x[1 << 16], y[1 << 16];
	if (machine_ram_bytes(a) != machine_ram_bytes(b))
		return 0;
	for (size_t i = 0; i < a->nruns; i++) {
		const struct mem_run *r = &a->runs[i];
		for (uint64_t o = 0; o < r->len; o += sizeof(x)) {
			size_t n = r->len - o < sizeof(x) ? (size_t)(r->len - o) : sizeof(x);
			struct ck_error *e1 = machine_read_phys(a, r->pa + o, x, n);
			struct ck_error *e2 = machine_read_phys(b, r->pa + o, y, n);
			int ok = !e1 && !e2 && memcmp(x, y, n) == 0;
			ck_error_destroy(e1);
			ck_error_destroy(e2);
			if (!ok)
				return 0;
		}
	}
	return 1;
}

static int same_regs(const struct x86_regs *a, const struct x86_regs *b)
{
	if (memcmp(a->gpr, b->gpr, sizeof(a->gpr)) || a->rip != b->rip || a->rflags != b->rflags)
		return 0;
	if (a->cr[0] != b->cr[0] || a->cr[3] != b->cr[3] || a->cr[4] != b->cr[4])
		return 0;
	if (a->idtr_base != b->idtr_base || a->idtr_limit != b->idtr_limit ||
	    a->gdtr_base != b->gdtr_base || a->gdtr_limit != b->gdtr_limit)
		return 0;
	for (int s = 0; s < X86_NSEG; s++)
		if (a->sel[s] != b->sel[s] || a->seg_base[s] != b->seg_base[s] ||
		    a->seg_limit[s] != b->seg_limit[s] || a->seg_flags[s] != b->seg_flags[s])
			return 0;
	return 1;
}

struct notes_seen {
	int prstatus, prpsinfo, qemu, vmcoreinfo;
	uint32_t pids[4];
	uint64_t r15_0, rip_1, cr3_0;
	uint32_t qemu_size;
	int vmci_has_crashtime;
};

static void scan_notes(Elf *elf, struct notes_seen *ns)
{
	size_t phnum = 0;
	elf_getphdrnum(elf, &phnum);
	memset(ns, 0, sizeof(*ns));
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE)
			continue;
		Elf_Data *d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
		GElf_Nhdr nh;
		size_t off = 0, no, dof;
		while (d && off < d->d_size && (off = gelf_getnote(d, off, &nh, &no, &dof)) != 0) {
			const uint8_t *desc = (const uint8_t *)d->d_buf + dof;
			const char *name = (const char *)d->d_buf + no;
			if (!strcmp(name, "CORE") && nh.n_type == NT_PRSTATUS && nh.n_descsz == 336) {
				if (ns->prstatus < 4)
					memcpy(&ns->pids[ns->prstatus], desc + 32, 4);
				if (ns->prstatus == 0)
					memcpy(&ns->r15_0, desc + 112, 8);	/* pr_reg[0] = r15 */
				if (ns->prstatus == 1)
					memcpy(&ns->rip_1, desc + 112 + 16 * 8, 8);	/* pr_reg[16] = rip */
				ns->prstatus++;
			} else if (!strcmp(name, "CORE") && nh.n_type == NT_PRPSINFO && nh.n_descsz == 136) {
				ns->prpsinfo++;
			} else if (!strcmp(name, "QEMU") && nh.n_type == 0) {
				memcpy(&ns->qemu_size, desc + 4, 4);
				if (ns->qemu == 0)
					memcpy(&ns->cr3_0, desc + 8 + 18 * 8 + 10 * 24 + 3 * 8, 8);
				ns->qemu++;
			} else if (!strcmp(name, "VMCOREINFO") && nh.n_type == 0) {
				ns->vmcoreinfo++;
				ns->vmci_has_crashtime = memmem(desc, nh.n_descsz, "CRASHTIME", 9) != NULL;
			}
		}
	}
}

/* A PT_LOAD with this vaddr/paddr, or NULL. */
static int find_load(Elf *elf, uint64_t vaddr, uint64_t paddr, GElf_Phdr *ret)
{
	size_t phnum = 0;
	elf_getphdrnum(elf, &phnum);
	for (size_t i = 0; i < phnum; i++)
		if (gelf_getphdr(elf, (int)i, ret) && ret->p_type == PT_LOAD && ret->p_vaddr == vaddr &&
		    ret->p_paddr == paddr)
			return 1;
	return 0;
}

/* Write a raw ELF core: phdrs + zero-filled data (callers fill data). */
static int write_raw_elf(const char *path, const Elf64_Phdr *ph, int n, uint64_t size)
{
	Elf64_Ehdr eh = { .e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
			  .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = (Elf64_Half)n };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	int ok = fd >= 0 && pwrite(fd, &eh, sizeof(eh), 0) == sizeof(eh) &&
		 pwrite(fd, ph, sizeof(*ph) * (size_t)n, sizeof(eh)) == (ssize_t)(sizeof(*ph) * (size_t)n) &&
		 ftruncate(fd, (off_t)size) == 0;
	/* Data: byte at file offset o is (o >> 12) & 0xff, so every page is recognisable. */
	for (uint64_t o = 4096; ok && o < size; o += 4096) {
		uint8_t page[4096];
		memset(page, (int)((o >> 12) & 0xff) | 1, sizeof(page));
		ok = pwrite(fd, page, sizeof(page), (off_t)o) == sizeof(page);
	}
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* Child mode: write the synthetic guest to path; exit 0 iff that fails with CK_ERR_SYSTEM naming path. */
static int write_child(const char *guest, const char *out)
{
	struct machine m;
	struct linux_kernel k;
	if (sg_open(&m, guest) != 0)
		return 2;
	struct ck_error *e = linux_kernel_detect(&m, &k);
	if (!e) {
		struct elfcore_options o = { .out_path = out };
		e = elfcore_write(&m, &k, &o);
	}
	int code = e && e->kind == CK_ERR_SYSTEM && has(e, out) ? 0 : 1;
	if (code)
		fprintf(stderr, "write_child: %s\n", e ? e->msg : "no error");
	ck_error_destroy(e);
	machine_deinit(&m);
	return code;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "--write-child") == 0)
		return write_child(argv[2], argv[3]);
	struct unit u = { 0 };
	struct ck_error *err;
	char dir[] = "/tmp/corekit-elfcore-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	elf_version(EV_CURRENT);
	char out[256], path[64];
	snprintf(out, sizeof(out), "%s/out.core", dir);

	/* ---- a synthetic Linux guest, with the kernel-specific loads and notes ---- */
	struct machine m, r;
	struct linux_kernel k;
	int built = sg_build(&m, path, 1) == 0;

	UNIT_BEGIN(&u, "write_kernel_core");
	struct prog pr = { 0 };
	CHECK(&u, built);
	if (built) {
		err = linux_kernel_detect(&m, &k);
		CHECK(&u, !err && k.found);
		ck_error_destroy(err);
		struct elfcore_options o = { .out_path = out, .progress = progress, .progress_arg = &pr };
		err = elfcore_write(&m, &k, &o);
		CHECK(&u, !err);
		ck_error_destroy(err);
		CHECK(&u, pr.calls > 0 && pr.last_done == SG_MEM && pr.total == SG_MEM);
		CHECK(&u, count_entries(dir) == 1);	/* no temporary left behind */
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "write_kernel_core_layout");
	{
		int fd = open(out, O_RDONLY);
		Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
		GElf_Ehdr eh;
		size_t phnum = 0;
		CHECK(&u, elf && gelf_getehdr(elf, &eh) && eh.e_type == ET_CORE && eh.e_machine == EM_X86_64);
		CHECK(&u, elf && elf_getphdrnum(elf, &phnum) == 0 && phnum == 4);
		GElf_Phdr phys, img, dmap;
		CHECK(&u, elf && find_load(elf, 0, 0, &phys) && phys.p_filesz == SG_MEM && phys.p_offset % 4096 == 0);
		CHECK(&u, elf && find_load(elf, SG_STEXT, SG_IMAGE_PA, &img) && img.p_filesz == SG_IMAGE_LEN &&
			  img.p_offset == phys.p_offset + SG_IMAGE_PA);
		CHECK(&u, elf && find_load(elf, SG_POB, 0, &dmap) && dmap.p_offset == phys.p_offset &&
			  dmap.p_memsz == SG_MEM);
		struct notes_seen ns;
		if (elf)
			scan_notes(elf, &ns);
		CHECK(&u, elf && ns.prstatus == 2 && ns.pids[0] == 1 && ns.pids[1] == 2);
		CHECK(&u, elf && ns.r15_0 == m.cpus[0].gpr[X86_R15] && ns.rip_1 == m.cpus[1].rip);
		CHECK(&u, elf && ns.prpsinfo == 1 && ns.qemu == 2 && ns.qemu_size == 440);
		CHECK(&u, elf && ns.cr3_0 == SG_USER_PGD_PA);
		CHECK(&u, elf && ns.vmcoreinfo == 1 && !ns.vmci_has_crashtime);
		struct stat st;
		/* 64 MiB of guest, a few dozen non-zero pages: the file must be sparse. */
		CHECK(&u, fstat(fd, &st) == 0 && st.st_size > SG_MEM && st.st_blocks * 512 < (2 << 20));
		CHECK(&u, fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0600);
		if (elf)
			elf_end(elf);
		if (fd >= 0)
			close(fd);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "read_back_kernel_core");
	{
		machine_init(&r);
		const struct machine_format *f = NULL;
		err = machine_open(out, NULL, &r, &f);
		CHECK(&u, !err && f == &elfcore_format);
		ck_error_destroy(err);
		CHECK(&u, r.nruns == 1 && r.runs[0].pa == 0 && r.runs[0].len == SG_MEM);
		CHECK(&u, r.ncpus == 2 && same_regs(&m.cpus[0], &r.cpus[0]) && same_regs(&m.cpus[1], &r.cpus[1]));
		CHECK(&u, built && same_memory(&m, &r));
		CHECK(&u, r.meta.vmcoreinfo && m.meta.vmcoreinfo && !strcmp(r.meta.vmcoreinfo, m.meta.vmcoreinfo));
		CHECK(&u, r.meta.source_format && strstr(r.meta.source_format, "written by vmss2core"));
		/* Detection works on our own output too, and finds the same kernel. */
		struct linux_kernel k2;
		err = linux_kernel_detect(&r, &k2);
		CHECK(&u, !err && k2.found && k2.page_offset_base == k.page_offset_base &&
			  k2.image_pa == k.image_pa && k2.phys_base == k.phys_base);
		ck_error_destroy(err);
		machine_deinit(&r);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "refuse_overwrite_without_force");
	{
		struct stat before, after;
		stat(out, &before);
		struct elfcore_options o = { .out_path = out };
		err = elfcore_write(&m, NULL, &o);
		CHECK(&u, err && err->kind == CK_ERR_USAGE && has(err, "exists"));
		ck_error_destroy(err);
		stat(out, &after);
		CHECK(&u, before.st_ino == after.st_ino && before.st_size == after.st_size);
		o.force = 1;
		err = elfcore_write(&m, NULL, &o);	/* physical only */
		CHECK(&u, !err);
		ck_error_destroy(err);
		int fd = open(out, O_RDONLY);
		Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
		size_t phnum = 0;
		struct notes_seen ns = { 0 };
		CHECK(&u, elf && elf_getphdrnum(elf, &phnum) == 0 && phnum == 2);
		if (elf)
			scan_notes(elf, &ns);
		CHECK(&u, ns.prstatus == 2 && ns.qemu == 2 && ns.vmcoreinfo == 0);
		if (elf)
			elf_end(elf);
		if (fd >= 0)
			close(fd);
		CHECK(&u, count_entries(dir) == 1);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "write_error_is_system_and_removes_temp");
	{
		char out2[300];
		snprintf(out2, sizeof(out2), "%s/sub", dir);
		mkdir(out2, 0700);
		snprintf(out2, sizeof(out2), "%s/sub/full.core", dir);
		/*
		 * A file-size limit makes pwrite fail (EFBIG) the way a full disk
		 * does.  SIGXFSZ must be ignored for that; the shell sets both and
		 * re-runs this program in its child mode (machine.h's REG_RIP
		 * collides with <signal.h>'s, so no signal() here).
		 */
		char cmd[1024];
		snprintf(cmd, sizeof(cmd), "trap '' XFSZ; ulimit -f 1024; exec /proc/%d/exe --write-child '%s' '%s'",
			 (int)getpid(), path, out2);
		int status = system(cmd);
		CHECK(&u, status == 0);	/* exited 0 */
		char sub[300];
		snprintf(sub, sizeof(sub), "%s/sub", dir);
		CHECK(&u, count_entries(sub) == 0);
		rmdir(sub);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "write_into_missing_dir_fails_cleanly");
	{
		char bad[300];
		snprintf(bad, sizeof(bad), "%s/nonexistent/x.core", dir);
		struct elfcore_options o = { .out_path = bad };
		err = elfcore_write(&m, NULL, &o);
		CHECK(&u, err && err->kind == CK_ERR_SYSTEM);
		ck_error_destroy(err);
	}
	UNIT_END(&u);

	if (built) {
		machine_deinit(&m);
		unlink(path);
	}
	unlink(out);

	/* ---- physical-only machine: file runs, a zero run, a gap ---- */
	UNIT_BEGIN(&u, "write_runs_zero_run_and_gap");
	{
		char in[] = "/tmp/corekit-in-XXXXXX";
		int fd = mkstemp(in);
		uint8_t page[4096];
		int ok = fd >= 0 && ftruncate(fd, 3 << 20) == 0;
		for (int i = 0; ok && i < 3 * 256; i += 3) {	/* every third page non-zero */
			memset(page, i & 0xff ? i & 0xff : 1, sizeof(page));
			ok = pwrite(fd, page, sizeof(page), (off_t)i * 4096) == sizeof(page);
		}
		if (fd >= 0)
			close(fd);
		machine_init(&m);
		int file;
		err = machine_add_file(&m, in, &file);
		/* [0, 1M) file, [1M, 2M) zero (merges with the first), [4M, 6M) file at offset 1M. */
		if (!err)
			err = machine_add_run(&m, 0x400000, 2 << 20, MEM_RUN_FILE, file, 1 << 20);
		if (!err)
			err = machine_add_run(&m, 0, 1 << 20, MEM_RUN_FILE, file, 0);
		if (!err)
			err = machine_add_run(&m, 1 << 20, 1 << 20, MEM_RUN_ZERO, -1, 0);
		if (!err)
			err = machine_finish_runs(&m);
		if (!err)
			err = machine_set_ncpus(&m, 1);
		CHECK(&u, ok && !err);
		ck_error_destroy(err);
		m.cpus[0].rip = 0x1234;
		m.cpus[0].present = 1ULL << REG_RIP;
		struct elfcore_options o = { .out_path = out };
		err = elfcore_write(&m, NULL, &o);
		CHECK(&u, !err);
		ck_error_destroy(err);
		machine_init(&r);
		err = machine_open(out, NULL, &r, NULL);
		CHECK(&u, !err);
		ck_error_destroy(err);
		CHECK(&u, r.nruns == 2 && r.runs[0].pa == 0 && r.runs[0].len == (2 << 20) &&
			  r.runs[1].pa == 0x400000 && r.runs[1].len == (2 << 20));
		CHECK(&u, same_memory(&m, &r) && r.ncpus == 1 && r.cpus[0].rip == 0x1234);
		machine_deinit(&r);
		machine_deinit(&m);
		unlink(in);
		unlink(out);
	}
	UNIT_END(&u);

	/* ---- more than 65534 program headers: PN_XNUM ---- */
	UNIT_BEGIN(&u, "write_and_read_pn_xnum");
	{
		enum { NRUNS = 70000 };
		char in[] = "/tmp/corekit-xnum-XXXXXX";
		int fd = mkstemp(in);
		int ok = fd >= 0 && ftruncate(fd, (off_t)NRUNS * 4096) == 0;
		for (int i = 0; ok && i < NRUNS; i += 1000)
			ok = pwrite(fd, &i, sizeof(i), (off_t)i * 4096) == sizeof(i);
		if (fd >= 0)
			close(fd);
		machine_init(&m);
		int file;
		err = machine_add_file(&m, in, &file);
		for (int i = 0; !err && i < NRUNS; i++)	/* 4 KiB runs with 4 KiB gaps */
			err = machine_add_run(&m, (uint64_t)i * 8192, 4096, MEM_RUN_FILE, file, (off_t)i * 4096);
		if (!err)
			err = machine_finish_runs(&m);
		CHECK(&u, ok && !err);
		ck_error_destroy(err);
		struct elfcore_options o = { .out_path = out };
		err = elfcore_write(&m, NULL, &o);
		CHECK(&u, !err);
		ck_error_destroy(err);
		int ofd = open(out, O_RDONLY);
		Elf *elf = ofd >= 0 ? elf_begin(ofd, ELF_C_READ, NULL) : NULL;
		GElf_Ehdr eh;
		size_t phnum = 0;
		CHECK(&u, elf && gelf_getehdr(elf, &eh) && eh.e_phnum == PN_XNUM && eh.e_shnum == 1);
		CHECK(&u, elf && elf_getphdrnum(elf, &phnum) == 0 && phnum == NRUNS + 1);
		if (elf)
			elf_end(elf);
		if (ofd >= 0)
			close(ofd);
		machine_init(&r);
		err = machine_open(out, NULL, &r, NULL);
		CHECK(&u, !err && r.nruns == NRUNS && same_memory(&m, &r));
		ck_error_destroy(err);
		machine_deinit(&r);
		machine_deinit(&m);
		unlink(in);
		unlink(out);
	}
	UNIT_END(&u);

	/* ---- reader: aliases, zero tails, bad input ---- */
	UNIT_BEGIN(&u, "read_dedupes_aliases_and_zero_tails");
	{
		Elf64_Phdr ph[4] = {
			/* physical [0, 1M) */
			{ .p_type = PT_LOAD, .p_offset = 0x1000, .p_paddr = 0, .p_filesz = 0x100000, .p_memsz = 0x100000 },
			/* a virtual alias [0x80000, 0x180000): its second half is new physical memory */
			{ .p_type = PT_LOAD, .p_offset = 0x81000, .p_vaddr = 0xffff888000080000ULL,
			  .p_paddr = 0x80000, .p_filesz = 0x100000, .p_memsz = 0x100000 },
			/* [0x200000, 0x204000): 1 page of data, 3 zero pages */
			{ .p_type = PT_LOAD, .p_offset = 0x181000, .p_paddr = 0x200000, .p_filesz = 0x1000,
			  .p_memsz = 0x4000 },
			{ .p_type = PT_NOTE, .p_offset = 0x1000, .p_filesz = 0 },
		};
		CHECK(&u, write_raw_elf(out, ph, 4, 0x182000) == 0);
		machine_init(&r);
		err = machine_open(out, NULL, &r, NULL);
		CHECK(&u, !err);
		ck_error_destroy(err);
		CHECK(&u, r.nruns == 4);
		if (r.nruns == 4) {
			CHECK(&u, r.runs[0].pa == 0 && r.runs[0].len == 0x100000 && r.runs[0].off == 0x1000);
			CHECK(&u, r.runs[1].pa == 0x100000 && r.runs[1].len == 0x80000 && r.runs[1].off == 0x101000);
			CHECK(&u, r.runs[2].pa == 0x200000 && r.runs[2].len == 0x1000 && r.runs[2].kind == MEM_RUN_FILE);
			CHECK(&u, r.runs[3].pa == 0x201000 && r.runs[3].len == 0x3000 && r.runs[3].kind == MEM_RUN_ZERO);
		}
		machine_deinit(&r);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "read_rejects_load_past_eof");
	{
		Elf64_Phdr ph[1] = { { .p_type = PT_LOAD, .p_offset = 0x1000, .p_paddr = 0x1000,
				       .p_filesz = 0x10000, .p_memsz = 0x10000 } };
		CHECK(&u, write_raw_elf(out, ph, 1, 0x8000) == 0);
		machine_init(&r);
		err = machine_open(out, NULL, &r, NULL);
		CHECK(&u, err && err->kind == CK_ERR_INPUT && has(err, out) && has(err, "offset 0x40") &&
			  has(err, "past end of file"));
		ck_error_destroy(err);
		machine_deinit(&r);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "read_rejects_process_core");
	{
		Elf64_Phdr ph[2] = {
			{ .p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = 0x400000, .p_filesz = 0x1000, .p_memsz = 0x1000 },
			{ .p_type = PT_LOAD, .p_offset = 0x2000, .p_vaddr = 0x7f0000000000ULL, .p_filesz = 0x1000,
			  .p_memsz = 0x1000 },
		};
		CHECK(&u, write_raw_elf(out, ph, 2, 0x3000) == 0);
		machine_init(&r);
		err = machine_open(out, NULL, &r, NULL);
		CHECK(&u, err && err->kind == CK_ERR_INPUT && has(err, "process core"));
		ck_error_destroy(err);
		machine_deinit(&r);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "read_rejects_truncated_notes");
	{
		Elf64_Phdr ph[1] = { { .p_type = PT_NOTE, .p_offset = 0x1000, .p_filesz = 0x100000 } };
		CHECK(&u, write_raw_elf(out, ph, 1, 0x2000) == 0);
		machine_init(&r);
		err = machine_open(out, NULL, &r, NULL);
		CHECK(&u, err && err->kind == CK_ERR_INPUT && has(err, "offset 0x1000"));
		ck_error_destroy(err);
		machine_deinit(&r);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "probe_and_unknown_format");
	{
		uint8_t head[64] = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, 1 };
		head[16] = ET_EXEC;
		CHECK(&u, !elfcore_format.probe("x", head, sizeof(head)));
		head[16] = ET_CORE;
		CHECK(&u, elfcore_format.probe("x", head, sizeof(head)));
		CHECK(&u, !elfcore_format.probe("x", head, 10));
		FILE *f = fopen(out, "w");
		if (f) {
			fputs("just some text, not a memory image\n", f);
			fclose(f);
		}
		machine_init(&r);
		err = machine_open(out, NULL, &r, NULL);
		CHECK(&u, err && err->kind == CK_ERR_INPUT && has(err, out) && has(err, "not a"));
		ck_error_destroy(err);
		machine_deinit(&r);
		err = machine_open("/nonexistent/file.core", NULL, &r, NULL);
		CHECK(&u, err && err->kind == CK_ERR_INPUT);
		ck_error_destroy(err);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "read_survives_corruption");
	{
		/* A small core (64 KiB of RAM, 2 vCPUs), then 2000 copies with random bytes changed. */
		char in[] = "/tmp/corekit-fz-XXXXXX";
		int fd = mkstemp(in);
		uint8_t ram[65536];
		for (size_t i = 0; i < sizeof(ram); i++)
			ram[i] = (uint8_t)(i * 7 + (i >> 12));
		int ok = fd >= 0 && pwrite(fd, ram, sizeof(ram), 0) == (ssize_t)sizeof(ram);
		if (fd >= 0)
			close(fd);
		machine_init(&m);
		int file;
		err = machine_add_file(&m, in, &file);
		if (!err)
			err = machine_add_run(&m, 0x100000, sizeof(ram), MEM_RUN_FILE, file, 0);
		if (!err)
			err = machine_finish_runs(&m);
		if (!err)
			err = machine_set_ncpus(&m, 2);
		struct elfcore_options o = { .out_path = out, .force = 1 };
		if (!err)
			err = elfcore_write(&m, NULL, &o);
		CHECK(&u, ok && !err);
		ck_error_destroy(err);
		machine_deinit(&m);
		unlink(in);
		static uint8_t orig[1 << 17], mut[1 << 17];
		fd = open(out, O_RDONLY);
		ssize_t len = fd >= 0 ? pread(fd, orig, sizeof(orig), 0) : -1;
		if (fd >= 0)
			close(fd);
		CHECK(&u, len > 4096);
		char fz[300];
		snprintf(fz, sizeof(fz), "%s/fz.core", dir);
		unsigned seed = 12345;
		int opened = 0, wrong_kind = 0;
		for (int it = 0; len > 4096 && it < 2000; it++) {
			memcpy(mut, orig, (size_t)len);
			int nflip = 1 + (int)(rand_r(&seed) % 8);
			/* Mostly the headers and notes (the first 4 KiB), sometimes anywhere. */
			for (int j = 0; j < nflip; j++) {
				size_t at = rand_r(&seed) % 4 ? (size_t)rand_r(&seed) % 4096 : (size_t)rand_r(&seed) % (size_t)len;
				mut[at] = (uint8_t)rand_r(&seed);
			}
			size_t mlen = rand_r(&seed) % 16 ? (size_t)len : (size_t)rand_r(&seed) % (size_t)len;
			/* Rewrite in place (no O_TRUNC: freeing blocks 2000 times is slow on ext4). */
			int wfd = open(fz, O_WRONLY | O_CREAT, 0600);
			int wok = wfd >= 0 && pwrite(wfd, mut, mlen, 0) == (ssize_t)mlen &&
				  ftruncate(wfd, (off_t)mlen) == 0;
			if (wfd >= 0)
				close(wfd);
			if (!wok)
				break;
			struct machine fm;
			machine_init(&fm);
			err = machine_open(fz, NULL, &fm, NULL);
			if (!err) {
				opened++;
				uint8_t b[64];	/* reading what it claims to have must work or fail cleanly */
				for (size_t ri = 0; ri < fm.nruns; ri++) {
					struct ck_error *e2 = machine_read_phys(&fm, fm.runs[ri].pa, b, 1);
					wrong_kind += e2 && e2->kind != CK_ERR_INPUT;
					ck_error_destroy(e2);
				}
			} else {
				wrong_kind += err->kind != CK_ERR_INPUT;
			}
			ck_error_destroy(err);
			machine_deinit(&fm);
		}
		CHECK(&u, opened > 0 && wrong_kind == 0);
		unlink(fz);
	}
	UNIT_END(&u);

	unlink(out);
	rmdir(dir);
	return UNIT_EXIT(&u);
}
