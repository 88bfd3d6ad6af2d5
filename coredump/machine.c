/* machine.c - the machine model: files, physical memory runs, vCPUs. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "machine.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void machine_init(struct machine *m)
{
	memset(m, 0, sizeof(*m));
}

void machine_deinit(struct machine *m)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		if (m->files[i].fd >= 0)
			close(m->files[i].fd);
		free(m->files[i].path);
	}
	free(m->files);
	for (size_t i = 0; i < m->nbackends; i++)
		m->backends[i].ops->destroy(m->backends[i].arg);
	free(m->backends);
	free(m->runs);
	free(m->cpus);
	struct machine_meta *mm = &m->meta;
	free(mm->source_format);
	free(mm->product);
	free(mm->version);
	free(mm->vm_name);
	free(mm->guest_os);
	free(mm->vmx_text);
	free(mm->vmcoreinfo);
	free(mm->kernel_banner);
	memset(m, 0, sizeof(*m));
}

struct ck_error *machine_add_file(struct machine *m, const char *path, int *idx_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ck_error_create(errno == ENOENT ? CK_ERR_INPUT : CK_ERR_SYSTEM,
				       "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		struct ck_error *err = ck_error_errno(errno, "%s: stat", path);
		close(fd);
		return err;
	}
	struct machine_file *nf = realloc(m->files, (m->nfiles + 1) * sizeof(*nf));
	char *p = strdup(path);
	if (!nf || !p) {
		if (nf)
			m->files = nf;
		free(p);
		close(fd);
		return &ck_enomem;
	}
	m->files = nf;
	nf[m->nfiles] = (struct machine_file){ .path = p, .fd = fd, .size = st.st_size };
	*idx_ret = (int)m->nfiles++;
	return NULL;
}

struct ck_error *machine_rename_file(struct machine *m, const char *from, const char *name)
{
	if (strcmp(from, name) == 0)
		return NULL;
	for (size_t i = 0; i < m->nfiles; i++) {
		if (strcmp(m->files[i].path, from) != 0)
			continue;
		char *p = strdup(name);
		if (!p)
			return &ck_enomem;
		free(m->files[i].path);
		m->files[i].path = p;
	}
	return NULL;
}

struct ck_error *machine_add_backend(struct machine *m, const struct machine_backend_ops *ops, void *arg,
				     int *idx_ret)
{
	struct machine_backend *nb = realloc(m->backends, (m->nbackends + 1) * sizeof(*nb));
	if (!nb) {
		ops->destroy(arg);
		return &ck_enomem;
	}
	m->backends = nb;
	nb[m->nbackends] = (struct machine_backend){ .ops = ops, .arg = arg };
	*idx_ret = (int)m->nbackends++;
	return NULL;
}

struct ck_error *machine_add_run(struct machine *m, uint64_t pa, uint64_t len,
				 enum mem_run_kind kind, int file, off_t off)
{
	if (len == 0)
		return NULL;
	if (pa + len < pa)
		return ck_error_create(CK_ERR_INPUT, "memory run at 0x%" PRIx64 " wraps the address space", pa);
	if (m->nruns == m->runs_cap) {
		size_t cap = m->runs_cap ? m->runs_cap * 2 : 16;
		struct mem_run *nr = realloc(m->runs, cap * sizeof(*nr));
		if (!nr)
			return &ck_enomem;
		m->runs = nr;
		m->runs_cap = cap;
	}
	m->runs[m->nruns++] = (struct mem_run){ pa, len, kind, file, off };
	return NULL;
}

static int run_cmp(const void *a, const void *b)
{
	const struct mem_run *x = a, *y = b;
	return x->pa < y->pa ? -1 : x->pa > y->pa;
}

struct ck_error *machine_finish_runs(struct machine *m)
{
	if (m->nruns > 1)
		qsort(m->runs, m->nruns, sizeof(*m->runs), run_cmp);
	for (size_t i = 0; i < m->nruns; i++) {
		const struct mem_run *r = &m->runs[i];
		if (i > 0 && m->runs[i - 1].pa + m->runs[i - 1].len > r->pa)
			return ck_error_create(CK_ERR_INPUT,
				"memory runs overlap at guest-physical 0x%" PRIx64, r->pa);
		if (r->kind == MEM_RUN_BACKEND && (r->file < 0 || (size_t)r->file >= m->nbackends))
			return ck_error_create(CK_ERR_INPUT, "memory run at 0x%" PRIx64 " has no backend", r->pa);
		if (r->kind != MEM_RUN_FILE)
			continue;
		if (r->file < 0 || (size_t)r->file >= m->nfiles)
			return ck_error_create(CK_ERR_INPUT, "memory run at 0x%" PRIx64 " has no file", r->pa);
		const struct machine_file *f = &m->files[r->file];
		if (r->off < 0 || (uint64_t)r->off > (uint64_t)f->size ||
		    r->len > (uint64_t)f->size - (uint64_t)r->off)
			return ck_error_at(f->path, (unsigned long long)r->off,
				"memory for guest-physical 0x%" PRIx64 "-0x%" PRIx64
				" runs past end of file (size 0x%llx)", r->pa, r->pa + r->len,
				(unsigned long long)f->size);
	}
	return NULL;
}

struct ck_error *machine_set_ncpus(struct machine *m, size_t n)
{
	if (n > 4096)
		return ck_error_create(CK_ERR_INPUT, "%zu vCPUs is more than the 4096 supported", n);
	struct x86_regs *c = calloc(n ? n : 1, sizeof(*c));
	if (!c)
		return &ck_enomem;
	free(m->cpus);
	m->cpus = c;
	m->ncpus = n;
	return NULL;
}

const struct mem_run *machine_find_run(const struct machine *m, uint64_t pa)
{
	size_t lo = 0, hi = m->nruns;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct mem_run *r = &m->runs[mid];
		if (pa < r->pa)
			hi = mid;
		else if (pa - r->pa >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

struct ck_error *machine_read_phys(const struct machine *m, uint64_t pa, void *buf, size_t len)
{
	uint8_t *out = buf;
	while (len > 0) {
		const struct mem_run *r = machine_find_run(m, pa);
		if (!r)
			return ck_error_create(CK_ERR_FAULT, "guest-physical address 0x%" PRIx64
					       " is not in memory", pa);
		uint64_t in_run = r->len - (pa - r->pa);
		size_t n = len < in_run ? len : (size_t)in_run;
		if (r->kind == MEM_RUN_ZERO) {
			memset(out, 0, n);
		} else if (r->kind == MEM_RUN_BACKEND) {
			const struct machine_backend *b = &m->backends[r->file];
			struct ck_error *err = b->ops->read(b->arg, pa, out, n);
			if (err)
				return err;
		} else {
			const struct machine_file *f = &m->files[r->file];
			off_t off = r->off + (off_t)(pa - r->pa);
			size_t done = 0;
			while (done < n) {
				ssize_t got = pread(f->fd, out + done, n - done, off + (off_t)done);
				if (got < 0 && errno == EINTR)
					continue;
				if (got < 0)
					return ck_error_errno(errno, "%s: read at offset 0x%llx", f->path,
							      (unsigned long long)(off + (off_t)done));
				if (got == 0)
					return ck_error_at(f->path, (unsigned long long)(off + (off_t)done),
							   "file ends early");
				done += (size_t)got;
			}
		}
		out += n;
		pa += n;
		len -= n;
	}
	return NULL;
}

/*
 * The lowest address >= pa inside r that may hold non-zero bytes (r's end if
 * none); *data_end: where that data stretch ends (SEEK_HOLE; r's end when
 * unknown), so callers ask again only past it.  When in doubt it returns pa.
 */
static uint64_t next_data(const struct machine *m, const struct mem_run *r, uint64_t pa,
			  uint64_t *data_end)
{
	uint64_t end = r->pa + r->len;
	*data_end = end;
	if (pa >= end || r->kind == MEM_RUN_ZERO)
		return end;
	if (r->kind == MEM_RUN_BACKEND)
		return pa;	/* no hole map: the writer's zero check finds zero pages */
	int fd = m->files[r->file].fd;
	off_t off = r->off + (off_t)(pa - r->pa);
	off_t data = lseek(fd, off, SEEK_DATA);
	if (data < 0)
		return errno == ENXIO ? end : pa;	/* ENXIO: only a hole up to EOF */
	if (data < off)
		data = off;
	uint64_t next = pa + (uint64_t)(data - off);
	if (next >= end)
		return end;
	off_t hole = lseek(fd, data, SEEK_HOLE);
	if (hole > data && (uint64_t)(hole - data) < end - next)
		*data_end = next + (uint64_t)(hole - data);
	return next;
}

struct ck_error *machine_stream_run(const struct machine *m, const struct mem_run *r, uint8_t *buf,
				    size_t bufsz, machine_chunk_fn *fn, void *arg)
{
	uint64_t end = r->pa + r->len, data_end = r->pa;	/* known non-hole up to data_end */
	struct ck_error *err = NULL;
	for (uint64_t pa = r->pa; !err && pa < end;) {
		uint64_t data = pa >= data_end ? next_data(m, r, pa, &data_end) : pa;
		if (data > pa) {
			err = fn(arg, pa, NULL, (size_t)(data - pa));
			pa = data;
			continue;
		}
		size_t n = end - pa < bufsz ? (size_t)(end - pa) : bufsz;
		if (!(err = machine_read_phys(m, pa, buf, n)))
			err = fn(arg, pa, buf, n);
		pa += n;
	}
	return err;
}

uint64_t machine_ram_bytes(const struct machine *m)
{
	uint64_t t = 0;
	for (size_t i = 0; i < m->nruns; i++)
		t += m->runs[i].len;
	return t;
}

static const char *const gpr_names[X86_NGPR] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp",
	"rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const seg_names[X86_NSEG] = { "es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr" };
static const char *const segbase_names[X86_NSEG] = { "es.base", "cs.base", "ss.base", "ds.base",
	"fs.base", "gs.base", "ldtr.base", "tr.base" };
static const char *const cr_names[5] = { "cr0", "cr1", "cr2", "cr3", "cr4" };

const char *x86_reg_name(int bit)
{
	if (bit >= REG_GPR_FIRST && bit < REG_GPR_FIRST + X86_NGPR)
		return gpr_names[bit - REG_GPR_FIRST];
	if (bit >= REG_CR0 && bit < REG_CR0 + 5)
		return cr_names[bit - REG_CR0];
	if (bit >= REG_SEL_FIRST && bit < REG_SEL_FIRST + X86_NSEG)
		return seg_names[bit - REG_SEL_FIRST];
	if (bit >= REG_SEGBASE_FIRST && bit < REG_SEGBASE_FIRST + X86_NSEG)
		return segbase_names[bit - REG_SEGBASE_FIRST];
	switch (bit) {
	case REG_RIP: return "rip";
	case REG_RFLAGS: return "rflags";
	case REG_EFER: return "efer";
	case REG_IDTR: return "idtr";
	case REG_GDTR: return "gdtr";
	}
	return "?";
}

char *x86_regs_missing(const struct x86_regs *r)
{
	size_t cap = 1;
	for (int b = 0; b < REG_NBITS; b++)
		cap += strlen(x86_reg_name(b)) + 1;
	char *s = malloc(cap), *p = s;
	if (!s)
		return NULL;
	*p = 0;
	for (int b = 0; b < REG_NBITS; b++) {
		if (b == REG_CR0 + 1 || x86_regs_has(r, b))
			continue;	/* CR1 does not exist */
		p += sprintf(p, "%s%s", p == s ? "" : ",", x86_reg_name(b));
	}
	return s;
}
