/*
 * elfcore_write.c - write a struct machine as an x86-64 ELF vmcore.
 *
 * File layout (docs/vmcore-layout.md has the why):
 *   Elf64_Ehdr | Elf64_Phdr[phnum] | [Elf64_Shdr, only with PN_XNUM] | notes |
 *   (hole) | page-aligned memory data, one stretch per contiguous segment.
 * The data is copied first (the kernel scan can ride along) and the headers
 * written last, into room reserved from upper bounds (header_room()).
 * Program headers: PT_NOTE; one physical PT_LOAD per segment (p_vaddr 0);
 * with a kernel, the kernel-image and direct-map PT_LOADs, pointing into the
 * same file data.  All-zero 4 KiB granules are never written, so they are
 * holes of a sparse file.  Memory use is a fixed copy buffer plus per-segment
 * bookkeeping, whatever the guest's RAM size.
 */
#include "elfcore.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfcore_notes.h"
#include "outfile.h"

#ifndef COREKIT_VERSION
#define COREKIT_VERSION "0.1"
#endif
#include "vmcoreinfo.h"
#include "x86_paging.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "elfcore_write.c writes host-order ELF structures: little-endian hosts only"
#endif

enum {
	COPY_BUF = 128 << 10,	/* fits in L2: the zero check reads it hot (1 MiB+ was 20% slower) */
	GRANULE = 4096,
	DATA_ALIGN = 4096,
};

/* A physically contiguous stretch of runs, written as one block of file data. */
struct seg {
	uint64_t pa, len, off;
	size_t run, nruns;	/* m->runs[run .. run + nruns) */
};

struct notebuf {
	uint8_t *p;
	size_t len, cap;
	int failed;
};

static void note_add(struct notebuf *nb, const char *name, uint32_t type, const void *desc, size_t descsz)
{
	size_t namesz = strlen(name) + 1;
	size_t need = sizeof(Elf64_Nhdr) + ((namesz + 3) & ~(size_t)3) + ((descsz + 3) & ~(size_t)3);
	if (nb->failed)
		return;
	if (nb->len + need > nb->cap) {
		size_t cap = nb->cap ? nb->cap : 4096;
		while (cap < nb->len + need)
			cap *= 2;
		uint8_t *np = realloc(nb->p, cap);
		if (!np) {
			nb->failed = 1;
			return;
		}
		nb->p = np;
		nb->cap = cap;
	}
	uint8_t *o = nb->p + nb->len;
	memset(o, 0, need);
	Elf64_Nhdr nh = { (Elf64_Word)namesz, (Elf64_Word)descsz, type };
	memcpy(o, &nh, sizeof(nh));
	memcpy(o + sizeof(nh), name, namesz);
	memcpy(o + sizeof(nh) + ((namesz + 3) & ~(size_t)3), desc, descsz);
	nb->len += need;
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void fill_prstatus(uint8_t *d, const struct x86_regs *r, uint32_t pid)
{
	memset(d, 0, ELFCORE_PRSTATUS_SIZE);
	put32(d + ELFCORE_PRSTATUS_PID_OFF, pid);
	for (int i = 0; i < ELFCORE_NREG; i++) {
		int slot = elfcore_user_regs_order[i];
		uint64_t v = 0;
		switch (slot) {
		case ELFCORE_UREG_ORIG_RAX: v = 0; break;	/* unknown; QEMU writes 0 too */
		case ELFCORE_UREG_RIP: v = r->rip; break;
		case ELFCORE_UREG_EFLAGS: v = r->rflags; break;
		case ELFCORE_UREG_CS: v = r->sel[X86_CS]; break;
		case ELFCORE_UREG_SS: v = r->sel[X86_SS]; break;
		case ELFCORE_UREG_DS: v = r->sel[X86_DS]; break;
		case ELFCORE_UREG_ES: v = r->sel[X86_ES]; break;
		case ELFCORE_UREG_FS: v = r->sel[X86_FS]; break;
		case ELFCORE_UREG_GS: v = r->sel[X86_GS]; break;
		case ELFCORE_UREG_FS_BASE: v = r->seg_base[X86_FS]; break;
		case ELFCORE_UREG_GS_BASE: v = r->seg_base[X86_GS]; break;
		default: v = r->gpr[slot]; break;
		}
		put64(d + ELFCORE_PRSTATUS_REGS_OFF + 8 * i, v);
	}
}

static void put_qemu_segment(uint8_t *s, uint32_t sel, uint32_t limit, uint32_t flags, uint64_t base)
{
	put32(s + QEMU_SEG_SELECTOR, sel);
	put32(s + QEMU_SEG_LIMIT, limit);
	put32(s + QEMU_SEG_FLAGS, flags);
	put32(s + QEMU_SEG_BASE - 4, 0);	/* pad */
	put64(s + QEMU_SEG_BASE, base);
}

static void fill_qemu_state(uint8_t *d, const struct x86_regs *r)
{
	memset(d, 0, QEMU_CPU_STATE_SIZE);
	put32(d + QEMU_CPU_VERSION, 1);
	put32(d + QEMU_CPU_SIZE, QEMU_CPU_STATE_SIZE);
	for (int i = 0; i < 16; i++)
		put64(d + QEMU_CPU_RAX + 8 * i, r->gpr[qemu_gpr_order[i]]);
	put64(d + QEMU_CPU_RIP, r->rip);
	put64(d + QEMU_CPU_RFLAGS, r->rflags);
	for (int i = 0; i < 8; i++) {
		int s = qemu_seg_order[i];
		put_qemu_segment(d + QEMU_CPU_SEGS + QEMU_SEG_SIZE * i, r->sel[s], r->seg_limit[s],
				 r->seg_flags[s], r->seg_base[s]);
	}
	put_qemu_segment(d + QEMU_CPU_SEGS + QEMU_SEG_SIZE * 8, 0, r->gdtr_limit, 0, r->gdtr_base);
	put_qemu_segment(d + QEMU_CPU_SEGS + QEMU_SEG_SIZE * 9, 0, r->idtr_limit, 0, r->idtr_base);
	for (int i = 0; i < 5; i++)
		put64(d + QEMU_CPU_CR + 8 * i, r->cr[i]);
	put64(d + QEMU_CPU_KERNEL_GS_BASE, 0);	/* not in the machine model */
}

/* NT_PRSTATUS per vCPU, NT_PRPSINFO, QEMU CPU state per vCPU, our writer note, VMCOREINFO. */
static struct ck_error *build_notes(const struct machine *m, const struct linux_kernel *k,
				    struct notebuf *nb)
{
	uint8_t prs[ELFCORE_PRSTATUS_SIZE], qs[QEMU_CPU_STATE_SIZE], ps[ELFCORE_PRPSINFO_SIZE];
	for (size_t i = 0; i < m->ncpus; i++) {
		fill_prstatus(prs, &m->cpus[i], (uint32_t)i + 1);
		note_add(nb, "CORE", NT_PRSTATUS, prs, sizeof(prs));
	}
	memset(ps, 0, sizeof(ps));
	ps[1] = 'R';					/* pr_sname */
	strncpy((char *)ps + 40, k && k->found ? "vmlinux" : "guest", 16);	/* pr_fname */
	snprintf((char *)ps + 56, 80, "%s", k && k->found && m->meta.kernel_banner ?
		 m->meta.kernel_banner : "corekit guest memory");		/* pr_psargs */
	note_add(nb, "CORE", NT_PRPSINFO, ps, sizeof(ps));
	for (size_t i = 0; i < m->ncpus; i++) {
		fill_qemu_state(qs, &m->cpus[i]);
		note_add(nb, "QEMU", 0, qs, sizeof(qs));
	}
	static const char writer[] = "vmss2core " COREKIT_VERSION;
	note_add(nb, ELFCORE_WRITER_NOTE_NAME, ELFCORE_WRITER_NOTE_TYPE, writer, sizeof(writer));
	if (k && k->found && m->meta.vmcoreinfo && m->meta.vmcoreinfo_len) {
		char *text = malloc(m->meta.vmcoreinfo_len);
		if (!text)
			return &ck_enomem;
		memcpy(text, m->meta.vmcoreinfo, m->meta.vmcoreinfo_len);
		size_t len = vmcoreinfo_strip_crashtime(text, m->meta.vmcoreinfo_len);
		note_add(nb, "VMCOREINFO", 0, text, len);
		free(text);
	}
	return nb->failed ? &ck_enomem : NULL;
}

/* Merge physically adjacent runs into segments; offsets are relative to the data start. */
static struct ck_error *plan_segments(const struct machine *m, struct seg **segs_ret, size_t *nsegs_ret, uint64_t *end_ret)
{
	struct seg *segs = calloc(m->nruns ? m->nruns : 1, sizeof(*segs));
	if (!segs)
		return &ck_enomem;
	size_t n = 0;
	for (size_t i = 0; i < m->nruns; i++) {
		const struct mem_run *r = &m->runs[i];
		if (n && segs[n - 1].pa + segs[n - 1].len == r->pa) {
			segs[n - 1].len += r->len;
			segs[n - 1].nruns++;
		} else {
			segs[n++] = (struct seg){ .pa = r->pa, .len = r->len, .run = i, .nruns = 1 };
		}
	}
	uint64_t off = 0;
	for (size_t i = 0; i < n; i++) {
		/* Keep file offset and physical address congruent mod 4 KiB: page-aligned holes. */
		off = ((off + DATA_ALIGN - 1) & ~(uint64_t)(DATA_ALIGN - 1)) + (segs[i].pa & (DATA_ALIGN - 1));
		segs[i].off = off;
		off += segs[i].len;
	}
	*segs_ret = segs;
	*nsegs_ret = n;
	*end_ret = off;
	return NULL;
}

/*
 * In place: the runs are already in the output file, each at its own offset.
 * A segment is a stretch of runs contiguous both physically and in the
 * file.  *min_off: the lowest data offset (the headers must fit before it).
 */
static struct ck_error *plan_in_place(const struct machine *m, int out_fd, struct seg **segs_ret,
				      size_t *nsegs_ret, uint64_t *end_ret, uint64_t *min_off)
{
	struct stat out, st;
	if (fstat(out_fd, &out) < 0)
		return ck_error_errno(errno, "in-place output: fstat");
	struct seg *segs = calloc(m->nruns ? m->nruns : 1, sizeof(*segs));
	if (!segs)
		return &ck_enomem;
	size_t n = 0;
	uint64_t end = 0, lo = UINT64_MAX;
	for (size_t i = 0; i < m->nruns; i++) {
		const struct mem_run *r = &m->runs[i];
		if (r->kind != MEM_RUN_FILE || fstat(m->files[r->file].fd, &st) < 0 || st.st_dev != out.st_dev ||
		    st.st_ino != out.st_ino) {
			free(segs);
			return ck_error_create(CK_ERR_SYSTEM, "in-place output: memory run at 0x%" PRIx64
					       " is not in the output file", r->pa);
		}
		uint64_t off = (uint64_t)r->off;
		if (n && segs[n - 1].pa + segs[n - 1].len == r->pa && segs[n - 1].off + segs[n - 1].len == off) {
			segs[n - 1].len += r->len;
			segs[n - 1].nruns++;
		} else {
			segs[n++] = (struct seg){ .pa = r->pa, .len = r->len, .off = off, .run = i, .nruns = 1 };
		}
		end = off + r->len > end ? off + r->len : end;
		lo = off < lo ? off : lo;
	}
	*segs_ret = segs;
	*nsegs_ret = n;
	*end_ret = end;
	*min_off = lo;
	return NULL;
}

struct phdrs {
	Elf64_Phdr *p;
	size_t n, cap;
};

static struct ck_error *phdr_add(struct phdrs *ph, uint32_t type, uint64_t off, uint64_t vaddr,
				 uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	if (ph->n == ph->cap) {
		size_t cap = ph->cap ? ph->cap * 2 : 64;
		Elf64_Phdr *np = realloc(ph->p, cap * sizeof(*np));
		if (!np)
			return &ck_enomem;
		ph->p = np;
		ph->cap = cap;
	}
	ph->p[ph->n++] = (Elf64_Phdr){
		.p_type = type, .p_flags = type == PT_LOAD ? PF_R | PF_W | PF_X : 0, .p_offset = off,
		.p_vaddr = vaddr, .p_paddr = paddr, .p_filesz = filesz, .p_memsz = memsz,
		.p_align = type == PT_NOTE ? 4 : 0,
	};
	return NULL;
}

/* Is page_offset_base + pa mapped to pa in the kernel's own page tables? */
static int in_direct_map(const struct machine *m, const struct linux_kernel *k, uint64_t pa)
{
	struct x86_pager pg;
	struct x86_xlat x;
	x86_pager_init_machine(&pg, m, k->swapper_pg_dir - X86_START_KERNEL_MAP + (uint64_t)k->phys_base,
			       k->pgtable_l5 ? 5 : 4);
	struct ck_error *err = x86_translate(&pg, k->page_offset_base + pa, &x);
	ck_error_destroy(err);
	return !err && x.pa == pa;
}

/* Program headers for the loads; the PT_NOTE (index 0) is filled in by the caller. */
static struct ck_error *plan_loads(const struct machine *m, const struct linux_kernel *k,
				   const struct seg *segs, size_t nsegs, struct phdrs *ph)
{
	struct ck_error *err;
	for (size_t i = 0; i < nsegs; i++)
		if ((err = phdr_add(ph, PT_LOAD, segs[i].off, 0, segs[i].pa, segs[i].len, segs[i].len)))
			return err;
	if (!k || !k->found)
		return NULL;
	/* Kernel image: __START_KERNEL_map + PA - phys_base over [image_pa, image_pa + image_len). */
	for (size_t i = 0; k->image_len && i < nsegs; i++) {
		uint64_t s = segs[i].pa > k->image_pa ? segs[i].pa : k->image_pa;
		uint64_t e = segs[i].pa + segs[i].len;
		if (k->image_pa + k->image_len < e)
			e = k->image_pa + k->image_len;
		if (s >= e)
			continue;
		uint64_t va = X86_START_KERNEL_MAP + s - (uint64_t)k->phys_base;
		if ((err = phdr_add(ph, PT_LOAD, segs[i].off + (s - segs[i].pa), va, s, e - s, e - s)))
			return err;
	}
	/*
	 * Direct map: page_offset_base + PA for each stretch of consecutive runs
	 * the kernel maps there.  Checked per run: a ROM run adjacent to RAM
	 * (the BIOS at 4 GiB - 256 KiB, then RAM from 4 GiB) shares a segment
	 * with RAM but is not in the direct map.
	 */
	for (size_t i = 0; k->page_offset_base && i < nsegs; i++) {
		uint64_t start = 0, end = 0;	/* the pending stretch, physical */
		for (size_t j = segs[i].run; j <= segs[i].run + segs[i].nruns; j++) {
			int last = j == segs[i].run + segs[i].nruns;
			const struct mem_run *r = last ? NULL : &m->runs[j];
			if (r && in_direct_map(m, k, r->pa)) {
				if (start == end)
					start = r->pa;
				end = r->pa + r->len;
				continue;
			}
			if (start != end &&
			    (err = phdr_add(ph, PT_LOAD, segs[i].off + (start - segs[i].pa),
					    k->page_offset_base + start, start, end - start, end - start)))
				return err;
			start = end = 0;
		}
	}
	return NULL;
}

static struct ck_error *pwrite_all(int fd, const void *buf, size_t len, uint64_t off, const char *path)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ck_error_errno(n < 0 ? errno : ENOSPC, "%s: writing at offset 0x%" PRIx64, path, off);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return NULL;
}

static int all_zero(const uint8_t *p, size_t n)
{
	static const uint8_t zero[GRANULE];
	return memcmp(p, zero, n) == 0;
}

struct copier {
	const struct machine *m;
	const struct elfcore_options *opts;
	struct outfile *out;		/* polled for a termination signal per chunk */
	int fd;
	uint8_t *buf;
	uint64_t done, total;
};

/* One chunk of a run: write its non-zero granules at file_off + (pa - run start). */
struct copy_chunk {
	struct copier *c;
	const struct mem_run *r;
	uint64_t file_off;
	int write_failed;	/* the error is ours (write/scan), not a read of the input */
};

static struct ck_error *copy_chunk_data(struct copy_chunk *cc, uint64_t pa, const uint8_t *buf, size_t n)
{
	struct copier *c = cc->c;
	uint64_t off = cc->file_off + (pa - cc->r->pa);
	struct ck_error *err;
	if (buf && c->opts->scan && (err = linux_kernel_scan_feed(c->opts->scan, pa, buf, n)))
		return err;
	size_t ws = 0, i = 0;
	int in_data = 0;
	while (buf && !c->opts->in_place && i < n) {	/* buf NULL: known zeros, left as a hole; in place: there */
		size_t g = GRANULE - (size_t)((pa + i) & (GRANULE - 1));	/* to the next 4 KiB boundary */
		if (g > n - i)
			g = n - i;
		int zero = all_zero(buf + i, g);
		if (!zero && !in_data) {
			ws = i;
			in_data = 1;
		} else if (zero && in_data) {
			if ((err = pwrite_all(c->fd, buf + ws, i - ws, off + ws, c->opts->out_path)))
				return err;
			in_data = 0;
		}
		i += g;
	}
	if (in_data && (err = pwrite_all(c->fd, buf + ws, n - ws, off + ws, c->opts->out_path)))
		return err;
	c->done += n;
	if (c->opts->progress)
		c->opts->progress(c->opts->progress_arg, c->done, c->total);
	return outfile_poll(c->out);
}

static struct ck_error *copy_chunk(void *arg, uint64_t pa, const uint8_t *buf, size_t n)
{
	struct copy_chunk *cc = arg;
	struct ck_error *err = copy_chunk_data(cc, pa, buf, n);
	cc->write_failed = err != NULL;
	return err;
}

static struct ck_error *copy_memory(struct copier *c, const struct seg *segs, size_t nsegs)
{
	for (size_t i = 0; i < nsegs; i++) {
		uint64_t off = segs[i].off;
		for (size_t j = segs[i].run; j < segs[i].run + segs[i].nruns; j++) {
			struct copy_chunk cc = { c, &c->m->runs[j], off, 0 };
			struct ck_error *err = machine_stream_run(c->m, cc.r, c->buf, COPY_BUF, copy_chunk, &cc);
			if (err)
				return cc.write_failed ? err :
				       ck_error_prefix(err, "%s: reading guest memory", c->opts->out_path);
			off += cc.r->len;
		}
	}
	return NULL;
}

static struct ck_error *write_headers(int fd, const char *path, const struct phdrs *ph,
				      const struct notebuf *nb, uint64_t note_off)
{
	size_t phnum = ph->n;
	int xnum = phnum >= PN_XNUM;
	uint64_t phoff = sizeof(Elf64_Ehdr), shoff = phoff + phnum * sizeof(Elf64_Phdr);
	Elf64_Ehdr eh = {
		.e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_phoff = phoff, .e_ehsize = sizeof(Elf64_Ehdr), .e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = xnum ? PN_XNUM : (Elf64_Half)phnum,
		.e_shoff = xnum ? shoff : 0, .e_shentsize = xnum ? sizeof(Elf64_Shdr) : 0,
		.e_shnum = xnum ? 1 : 0, .e_shstrndx = SHN_UNDEF,
	};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	struct ck_error *err;
	if ((err = pwrite_all(fd, &eh, sizeof(eh), 0, path)) ||
	    (err = pwrite_all(fd, ph->p, phnum * sizeof(Elf64_Phdr), phoff, path)))
		return err;
	if (xnum) {
		/* PN_XNUM: the real program header count lives in section header 0's sh_info. */
		Elf64_Shdr sh = { .sh_type = SHT_NULL, .sh_info = (Elf64_Word)phnum };
		if ((err = pwrite_all(fd, &sh, sizeof(sh), shoff, path)))
			return err;
	}
	return pwrite_all(fd, nb->p, nb->len, note_off, path);
}

/*
 * Room for the headers and notes before the data, fixed before any data is
 * written, so the kernel can be detected during the copy and the headers
 * written last: at most one PT_NOTE, one physical and one kernel-image load
 * per segment and one direct-map load per run; the notes without VMCOREINFO
 * plus the largest VMCOREINFO note the kernel (one page) or the input has.
 */
static struct ck_error *header_room(const struct machine *m, size_t nsegs, uint64_t *data_start)
{
	struct notebuf nb = { 0 };
	struct ck_error *err = build_notes(m, NULL, &nb);
	free(nb.p);
	if (err)
		return err;
	size_t vci = m->meta.vmcoreinfo_len > 4096 ? m->meta.vmcoreinfo_len : 4096;
	uint64_t notes = nb.len + sizeof(Elf64_Nhdr) + 12 + ((vci + 3) & ~(size_t)3);
	uint64_t phnum = 1 + 2 * (uint64_t)nsegs + m->nruns;
	uint64_t room = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr) + sizeof(Elf64_Shdr) + notes;
	*data_start = (room + DATA_ALIGN - 1) & ~(uint64_t)(DATA_ALIGN - 1);
	return NULL;
}

uint64_t elfcore_data_start(const struct machine *m)
{
	struct seg *segs = NULL;
	size_t nsegs = 0;
	uint64_t end, room = UINT64_MAX;
	struct ck_error *err = plan_segments(m, &segs, &nsegs, &end);
	if (!err)
		err = header_room(m, nsegs, &room);
	ck_error_destroy(err);
	free(segs);
	return err ? UINT64_MAX : room;
}

int elfcore_in_place_fits(const struct machine *m)
{
	/* the segments plan_in_place will make: runs contiguous physically and in the file */
	size_t nsegs = 0;
	uint64_t lo = UINT64_MAX, room;
	for (size_t i = 0; i < m->nruns; i++) {
		const struct mem_run *r = &m->runs[i], *p = i ? &m->runs[i - 1] : NULL;
		if (r->kind != MEM_RUN_FILE)
			return 0;
		if (!p || p->pa + p->len != r->pa || (uint64_t)p->off + p->len != (uint64_t)r->off)
			nsegs++;
		lo = (uint64_t)r->off < lo ? (uint64_t)r->off : lo;
	}
	struct ck_error *err = header_room(m, nsegs, &room);
	ck_error_destroy(err);
	return !err && m->nruns && room <= lo;
}

struct ck_error *elfcore_write(const struct machine *m, const struct linux_kernel *kernel,
			       const struct elfcore_options *opts)
{
	if (!m->nruns) {
		if (opts->in_place)
			outfile_abort(opts->in_place);
		return ck_error_create(CK_ERR_INPUT, "%s: the machine has no memory to write", opts->out_path);
	}
	struct notebuf nb = { 0 };
	struct phdrs ph = { 0 };
	struct seg *segs = NULL;
	size_t nsegs = 0;
	struct outfile own = { .fd = -1 }, *out = opts->in_place ? opts->in_place : &own;
	const char *out_path = out->path ? out->path : opts->out_path;
	const char **inputs = NULL;
	struct copier c = { .m = m, .opts = opts, .total = machine_ram_bytes(m) };
	uint64_t end = 0, data_start = 0, min_off = 0;
	struct ck_error *err;
	if ((err = opts->in_place ? plan_in_place(m, out->fd, &segs, &nsegs, &end, &min_off)
				  : plan_segments(m, &segs, &nsegs, &end)) ||
	    (err = header_room(m, nsegs, &data_start)))
		goto fail;
	if (opts->in_place && data_start > min_off) {
		err = ck_error_create(CK_ERR_SYSTEM, "%s: the headers need 0x%" PRIx64 " bytes, the data starts at 0x%"
				      PRIx64, out_path, data_start, min_off);
		goto fail;
	}
	for (size_t i = 0; !opts->in_place && i < nsegs; i++)
		segs[i].off += data_start;
	if (!opts->in_place)
		end += data_start;
	if (!(c.buf = malloc(COPY_BUF))) {
		err = &ck_enomem;
		goto fail;
	}
	/* Every file the machine was read from is an input the output must never replace. */
	if (!(inputs = calloc(m->nfiles + 1, sizeof(*inputs)))) {
		err = &ck_enomem;
		goto fail;
	}
	for (size_t i = 0; i < m->nfiles; i++)
		inputs[i] = m->files[i].path;
	struct outfile_rules rules = { .force = opts->force, .inputs = inputs, .ninputs = m->nfiles };
	if (!opts->in_place && (err = outfile_open(&own, opts->out_path, &rules)))
		goto fail;
	c.fd = out->fd;
	c.out = out;
	if ((err = copy_memory(&c, segs, nsegs)))
		goto fail;
	if (opts->scan) {
		if ((err = linux_kernel_scan_finish(opts->scan, opts->detected)))
			goto fail;
		kernel = opts->detected;
	}
	if ((err = build_notes(m, kernel, &nb)) ||
	    (err = phdr_add(&ph, PT_NOTE, 0, 0, 0, nb.len, nb.len)) ||
	    (err = plan_loads(m, kernel, segs, nsegs, &ph)))
		goto fail;
	uint64_t note_off = sizeof(Elf64_Ehdr) + ph.n * sizeof(Elf64_Phdr) +
			    (ph.n >= PN_XNUM ? sizeof(Elf64_Shdr) : 0);
	if (note_off + nb.len > data_start) {
		err = ck_error_create(CK_ERR_SYSTEM, "%s: internal error: headers need 0x%" PRIx64
				      " bytes, 0x%" PRIx64 " reserved", out_path, note_off + nb.len, data_start);
		goto fail;
	}
	ph.p[0].p_offset = note_off;
	if ((err = write_headers(out->fd, out_path, &ph, &nb, note_off)))
		goto fail;
	if (ftruncate(out->fd, (off_t)end) < 0) {
		err = ck_error_errno(errno, "%s: setting the file size", out_path);
		goto fail;
	}
	err = outfile_commit(out);
fail:
	if (err)
		outfile_abort(out);
	free(inputs);
	free(c.buf);
	free(segs);
	free(ph.p);
	free(nb.p);
	return err;
}
