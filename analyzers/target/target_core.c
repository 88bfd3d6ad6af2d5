/*
 * target_core.c - the process-core target: an ELF core of a Linux x86-64
 * process read through its PT_LOAD segments, threads from NT_PRSTATUS,
 * process facts from NT_PRPSINFO/NT_SIGINFO, modules and unwinding through
 * libdwfl.
 *
 * libdwfl's own core attach (dwfl_core_file_attach) scans every program
 * header for each 8-byte stack read, which makes all-thread unwinding
 * quadratic in the thread count (each thread has its own stack segment).
 * This file attaches its own Dwfl_Thread_Callbacks instead: a sorted
 * segment table searched in O(log n) and a small page cache in front of
 * pread(), so unwinding stays linear.
 */
#include "target.h"
#include "target_warn.h"
#include "elfnotes.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	PAGE = 4096,
	CACHE_PAGES = 256,		/* 1 MiB direct-mapped page cache */
	MAX_THREADS = 1 << 20,
	MAX_NOTES = 1 << 30,		/* bytes of one PT_NOTE read into memory */
	PRSTATUS_SIZE = 336,
	PRSTATUS_REG_OFF = 112,
	PRPSINFO_SIZE = 136,
	NT_SIGINFO_TYPE = 0x53494749,
};

/* Index of orig_rax in elf_prstatus.pr_reg (struct user_regs_struct); the rest is elfnotes.h's. */
enum { UR_ORIG_RAX = 15 };

struct seg {
	uint64_t vaddr, memsz, filesz;
	off_t off;
};

struct cache_page {
	uint64_t addr;		/* page address + 1; 0 = empty */
	size_t len;		/* valid bytes (a segment may end mid-page) */
	unsigned char data[PAGE];
};

/* One NT_FILE entry: a file mapping of the process. */
struct file_map {
	uint64_t start, end, pgoff;	/* pgoff in pages of NT_FILE's page size */
	const char *path;		/* points into files_names */
};

struct core_target {
	struct target base;
	struct file_map *files;
	size_t nfiles;
	char *files_names;
	uint64_t file_page;
	char *path;
	int fd;
	off_t size;
	Elf *elf;
	struct seg *segs;
	size_t nsegs;
	struct cache_page *cache;
	struct target_thread *threads;
	size_t nthreads, threads_cap;
	size_t *by_tid;			/* thread indices sorted by tid */
	struct target_process proc;
	char *exe, *psargs, *comm;
	struct sym_config symcfg;
	Dwfl *dwfl;
	struct sym_resolver *syms;
	char *debug_dir;		/* --debug-dir, for the warnings */
	size_t sysroot_files, sysroot_found;
	struct target_warnings warns;
};

#define CT(t) ((struct core_target *)(t))

static struct ck_error *core_read_file(struct core_target *c, off_t off, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(c->fd, (char *)buf + done, len - done, off + (off_t)done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ck_error_errno(errno, "%s: read at offset 0x%llx", c->path,
					      (unsigned long long)(off + (off_t)done));
		}
		if (n == 0)
			return ck_error_at(c->path, (unsigned long long)(off + (off_t)done),
					   "file ends inside a segment");
		done += (size_t)n;
	}
	return NULL;
}

static const struct seg *seg_find(const struct core_target *c, uint64_t addr)
{
	size_t lo = 0, hi = c->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct seg *s = &c->segs[mid];
		if (addr < s->vaddr)
			hi = mid;
		else if (addr - s->vaddr >= s->memsz)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

/* Bytes of the file-backed part of a segment, through the page cache. */
static struct ck_error *seg_read(struct core_target *c, uint64_t addr, void *buf, size_t len,
				 bool *found)
{
	unsigned char *out = buf;
	*found = false;
	while (len) {
		const struct seg *s = seg_find(c, addr);
		if (!s || addr - s->vaddr >= s->filesz)
			return NULL;
		uint64_t page = addr & ~(uint64_t)(PAGE - 1);
		struct cache_page *cp = &c->cache[(page / PAGE) % CACHE_PAGES];
		if (cp->addr != page + 1) {
			/* The cached page never crosses the segment's file-backed end. */
			uint64_t pstart = page < s->vaddr ? s->vaddr : page;
			uint64_t pend = page + PAGE;
			if (pend > s->vaddr + s->filesz)
				pend = s->vaddr + s->filesz;
			if (pstart != page) {
				/* segment starts mid-page: read directly, no caching */
				size_t n = (size_t)(pend - addr);
				if (n > len)
					n = len;
				struct ck_error *err = core_read_file(c, s->off + (off_t)(addr - s->vaddr), out, n);
				if (err)
					return err;
				out += n, addr += n, len -= n;
				continue;
			}
			struct ck_error *err = core_read_file(c, s->off + (off_t)(page - s->vaddr),
							      cp->data, (size_t)(pend - page));
			if (err) {
				cp->addr = 0;
				return err;
			}
			cp->addr = page + 1;
			cp->len = (size_t)(pend - page);
		}
		size_t in = (size_t)(addr - page);
		if (in >= cp->len)
			return NULL;
		size_t n = cp->len - in;
		if (n > len)
			n = len;
		memcpy(out, cp->data + in, n);
		out += n, addr += n, len -= n;
	}
	*found = true;
	return NULL;
}

/* Text and read-only data are usually not dumped: read them from the module's file. */
static bool module_read(struct core_target *c, uint64_t addr, void *buf, size_t len)
{
	if (!c->dwfl)
		return false;
	Dwfl_Module *mod = dwfl_addrmodule(c->dwfl, addr);
	GElf_Addr bias;
	Elf *elf = mod ? dwfl_module_getelf(mod, &bias) : NULL;
	size_t phnum;
	if (!elf || elf_getphdrnum(elf, &phnum) != 0) {
		(void)dwfl_errno();
		return false;
	}
	uint64_t va = addr - bias;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (va < ph.p_vaddr || va - ph.p_vaddr >= ph.p_filesz || len > ph.p_filesz - (va - ph.p_vaddr))
			continue;
		Elf_Data *d = elf_getdata_rawchunk(elf, (int64_t)(ph.p_offset + (va - ph.p_vaddr)), len, ELF_T_BYTE);
		if (!d || d->d_size < len)
			return false;
		memcpy(buf, d->d_buf, len);
		return true;
	}
	return false;
}

static struct ck_error *core_read(struct target *t, uint64_t addr, void *buf, size_t len)
{
	struct core_target *c = CT(t);
	bool found;
	struct ck_error *err = seg_read(c, addr, buf, len, &found);
	if (err || found)
		return err;
	if (module_read(c, addr, buf, len))
		return NULL;
	return ck_error_create(CK_ERR_FAULT, "%s: address 0x%llx (%zu bytes) is not in the core",
			       c->path, (unsigned long long)addr, len);
}

static size_t core_nthreads(struct target *t)
{
	return CT(t)->nthreads;
}

static const struct target_thread *core_thread(struct target *t, size_t i)
{
	return i < CT(t)->nthreads ? &CT(t)->threads[i] : NULL;
}

static const struct target_process *core_process(struct target *t)
{
	return &CT(t)->proc;
}

static struct sym_resolver *core_symbols(struct target *t)
{
	return CT(t)->syms;
}

/* ---- libdwfl thread callbacks ---- */

static ssize_t tid_index(const struct core_target *c, pid_t tid)
{
	size_t lo = 0, hi = c->nthreads;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t m = c->threads[c->by_tid[mid]].tid;
		if (m == tid)
			return (ssize_t)c->by_tid[mid];
		if (m < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	(void)dwfl;
	struct core_target *c = arg;
	bool found;
	struct ck_error *err = seg_read(c, addr, result, sizeof(*result), &found);
	if (err) {
		ck_error_destroy(err);
		return false;
	}
	return found;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	const struct target_thread *th = thread_arg;
	const uint64_t *g = th->regs.gpr;
	/* DWARF x86-64 numbering: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip */
	Dwarf_Word r[17] = { g[X86_RAX], g[X86_RDX], g[X86_RCX], g[X86_RBX], g[X86_RSI],
			     g[X86_RDI], g[X86_RBP], g[X86_RSP], g[X86_R8], g[X86_R9], g[X86_R10],
			     g[X86_R11], g[X86_R12], g[X86_R13], g[X86_R14], g[X86_R15], th->regs.rip };
	if (!dwfl_thread_state_registers(thread, 0, 17, r))
		return false;
	dwfl_thread_state_register_pc(thread, th->regs.rip);
	return true;
}

/* thread_arg is the struct target_thread record itself (set by the two
 * callbacks below), because set_initial_registers gets no process argument. */
static pid_t cb_next_thread_rec(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct core_target *c = arg;
	/* *thread_argp is NULL on the first call, else the previous record. */
	size_t next = *thread_argp ? (size_t)((struct target_thread *)*thread_argp - c->threads) + 1 : 0;
	(void)dwfl;
	if (next >= c->nthreads)
		return 0;
	*thread_argp = &c->threads[next];
	return (pid_t)c->threads[next].tid;
}

static bool cb_get_thread_rec(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	struct core_target *c = arg;
	ssize_t i = tid_index(c, tid);
	if (i < 0)
		return false;
	*thread_argp = &c->threads[i];
	return true;
}

static const Dwfl_Thread_Callbacks core_thread_callbacks = {
	.next_thread = cb_next_thread_rec,
	.get_thread = cb_get_thread_rec,
	.memory_read = cb_memory_read,
	.set_initial_registers = cb_set_initial_registers,
	.detach = NULL,
	.thread_detach = NULL,
};

struct unwind_ctx {
	struct core_target *c;
	struct target_frame *frames;
	size_t n, max;
	bool oom;
};

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct unwind_ctx *u = arg;
	Dwarf_Addr pc;
	bool act;
	if (!dwfl_frame_pc(state, &pc, &act))
		return DWARF_CB_ABORT;
	if (u->n == u->max)
		return DWARF_CB_ABORT;
	struct target_frame *f = &u->frames[u->n];
	f->pc = pc;
	f->activation = act;
	/* DWARF numbers of rbx, rbp, r12..r15 */
	static const unsigned dwarf_saved[FRAME_NSAVED] = { 3, 6, 12, 13, 14, 15 };
	f->saved_valid = 0;
	for (int k = 0; k < FRAME_NSAVED; k++) {
		Dwarf_Word v;
		if (dwfl_frame_reg(state, dwarf_saved[k], &v) == 0) {
			f->saved[k] = v;
			f->saved_valid |= 1u << k;
		}
	}
	if (u->n == 0) {
		f->trust = TRUST_CONTEXT;
	} else {
		/* The caller was recovered from the previous frame's CFI if the
		 * module has CFI covering that PC; otherwise libdwfl's x86-64
		 * backend used the frame-pointer chain. */
		const struct target_frame *p = &u->frames[u->n - 1];
		const struct sym_info *si = NULL;
		struct ck_error *err = sym_lookup(u->c->syms, p->pc, p->activation, &si);
		if (err) {
			ck_error_destroy(err);
			u->oom = true;
			return DWARF_CB_ABORT;
		}
		f->trust = si->cfi ? TRUST_CFI : TRUST_FRAME_POINTER;
	}
	u->n++;
	return DWARF_CB_OK;
}

static struct ck_error *core_unwind(struct target *t, size_t i, size_t max,
				   struct target_frame **frames, size_t *n, bool *incomplete)
{
	struct core_target *c = CT(t);
	if (i >= c->nthreads || !max)
		return ck_error_create(CK_ERR_USAGE, "no thread %zu", i);
	struct unwind_ctx u = { c, calloc(max, sizeof(struct target_frame)), 0, max, false };
	if (!u.frames)
		return &ck_enomem;
	int rc = dwfl_getthread_frames(c->dwfl, (pid_t)c->threads[i].tid, frame_cb, &u);
	if (u.oom) {
		free(u.frames);
		return &ck_enomem;
	}
	/* rc 0: the unwinder found no caller (end of the stack); 1: we stopped
	 * it (max frames); -1: it failed to recover a caller.  Failing after
	 * the process's or a thread's entry point is the normal end. */
	if (u.n == 0) {
		const char *msg = dwfl_errmsg(-1);
		free(u.frames);
		return ck_error_create(CK_ERR_INPUT, "thread %lld: no frame: %s", (long long)c->threads[i].tid,
				       msg ? msg : "unwinder failed");
	}
	bool outermost = false;
	if (rc == -1 && u.n) {
		const struct sym_info *si;
		const struct target_frame *last = &u.frames[u.n - 1];
		struct ck_error *err = sym_lookup(c->syms, last->pc, last->activation, &si);
		if (err) {
			free(u.frames);
			return err;
		}
		char name[64];
		sym_normalize_name(si->function, name, sizeof(name));
		outermost = strcmp(name, "start") == 0 || strcmp(name, "clone") == 0 || strcmp(name, "clone3") == 0;
	}
	*incomplete = rc == 1 || (rc == -1 && !outermost);
	(void)dwfl_errno();
	*frames = u.frames;
	*n = u.n;
	return NULL;
}

static void core_destroy(struct target *t)
{
	struct core_target *c = CT(t);
	if (!c)
		return;
	target_warnings_fini(&c->warns);
	free(c->debug_dir);
	sym_resolver_destroy(c->syms);
	if (c->dwfl)
		dwfl_end(c->dwfl);
	sym_config_deinit(&c->symcfg);
	if (c->elf)
		elf_end(c->elf);
	if (c->fd >= 0)
		close(c->fd);
	free(c->segs);
	free(c->cache);
	free(c->threads);
	free(c->by_tid);
	free(c->files);
	free(c->files_names);
	free(c->exe);
	free(c->psargs);
	free(c->comm);
	free(c->path);
	free(c);
}

static struct ck_error *core_warnings(struct target *t, const char *const **list, size_t *n)
{
	struct core_target *c = CT(t);
	if (!c->warns.done) {
		struct sym_options so = { c->debug_dir, c->symcfg.sysroot };
		struct target_warnings w = { 0 };
		struct ck_error *err = target_warnings_build(&w, c->syms, &so, c->sysroot_files, c->sysroot_found);
		if (err) {
			target_warnings_fini(&w);
			return err;
		}
		c->warns = w;
		c->warns.done = true;
	}
	*list = (const char *const *)c->warns.lines;
	*n = c->warns.n;
	return NULL;
}

static const struct target_ops core_ops = {
	.name = "process core",
	.kind = TARGET_PROCESS_CORE,
	.read = core_read,
	.nthreads = core_nthreads,
	.thread = core_thread,
	.unwind = core_unwind,
	.symbols = core_symbols,
	.process = core_process,
	.destroy = core_destroy,
	.warnings = core_warnings,
};

/* ---- opening ---- */

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static int32_t get32(const unsigned char *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

static struct ck_error *add_thread(struct core_target *c, const unsigned char *d, size_t len,
				   unsigned long long off)
{
	if (len < PRSTATUS_SIZE)
		return ck_error_at(c->path, off, "NT_PRSTATUS note is %zu bytes, expected %d", len,
				   PRSTATUS_SIZE);
	if (c->nthreads >= MAX_THREADS)
		return ck_error_at(c->path, off, "more than %d threads", MAX_THREADS);
	if (c->nthreads == c->threads_cap) {
		size_t ncap = c->threads_cap ? c->threads_cap * 2 : 64;
		struct target_thread *n = realloc(c->threads, ncap * sizeof(*n));
		if (!n)
			return &ck_enomem;
		c->threads = n;
		c->threads_cap = ncap;
	}
	struct target_thread *th = &c->threads[c->nthreads++];
	memset(th, 0, sizeof(*th));
	int16_t cursig;
	memcpy(&cursig, d + 12, 2);
	th->signo = cursig;
	th->tid = get32(d + 32);
	/* The one NT_PRSTATUS decoder (coredump/elfnotes.h); orig_rax is ours. */
	elfnote_prstatus_regs(d, &th->regs);
	th->syscall_nr = (int64_t)get64(d + PRSTATUS_REG_OFF + 8 * UR_ORIG_RAX);
	return NULL;
}

/* NT_FILE: count, page size, count x {start, end, pgoff}, then count names. */
static struct ck_error *parse_nt_file(struct core_target *c, const unsigned char *d, size_t len,
				      unsigned long long off)
{
	uint64_t count = get64(d);
	if (count > (len - 16) / 24)
		return ck_error_at(c->path, off, "NT_FILE claims %llu mappings in %zu bytes",
				   (unsigned long long)count, len);
	size_t nlen = len - 16 - (size_t)count * 24;
	c->files = calloc(count ? count : 1, sizeof(*c->files));
	c->files_names = malloc(nlen + 1);
	if (!c->files || !c->files_names)
		return &ck_enomem;
	memcpy(c->files_names, d + 16 + count * 24, nlen);
	c->files_names[nlen] = 0;
	c->file_page = get64(d + 8);
	const char *name = c->files_names, *end = c->files_names + nlen;
	for (uint64_t i = 0; i < count && name < end; i++) {
		struct file_map *f = &c->files[c->nfiles++];
		f->start = get64(d + 16 + i * 24);
		f->end = get64(d + 16 + i * 24 + 8);
		f->pgoff = get64(d + 16 + i * 24 + 16);
		f->path = name;
		name += strlen(name) + 1;
	}
	/* The first mapping at file offset 0 is the executable (it is mapped
	 * first); libdwfl's name for the main module takes precedence. */
	for (size_t i = 0; i < c->nfiles && !c->exe; i++)
		if (c->files[i].pgoff == 0 && c->files[i].path[0] == '/' && !(c->exe = strdup(c->files[i].path)))
			return &ck_enomem;
	return NULL;
}

static char *dup_field(const unsigned char *p, size_t max)
{
	size_t n = strnlen((const char *)p, max);
	char *s = malloc(n + 1);
	if (!s)
		return NULL;
	memcpy(s, p, n);
	s[n] = 0;
	/* pr_psargs separates arguments with spaces already; trim the tail. */
	while (n && s[n - 1] == ' ')
		s[--n] = 0;
	return s;
}

static struct ck_error *parse_notes(struct core_target *c, const GElf_Phdr *ph)
{
	if (ph->p_filesz > (uint64_t)c->size || ph->p_offset > (uint64_t)c->size - ph->p_filesz)
		return ck_error_at(c->path, ph->p_offset, "PT_NOTE runs past the end of the file");
	if (ph->p_filesz > MAX_NOTES)
		return ck_error_at(c->path, ph->p_offset, "PT_NOTE of %llu bytes is larger than the %d MiB limit",
				   (unsigned long long)ph->p_filesz, MAX_NOTES >> 20);
	Elf_Data *data = elf_getdata_rawchunk(c->elf, (int64_t)ph->p_offset, ph->p_filesz, ELF_T_NHDR);
	if (!data)
		return ck_error_at(c->path, ph->p_offset, "cannot read PT_NOTE: %s", elf_errmsg(-1));
	size_t off = 0, name_off, desc_off;
	GElf_Nhdr nh;
	bool sig_taken = false;
	size_t next;
	while (off < data->d_size && (next = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
		const char *name = (const char *)data->d_buf + name_off;
		const unsigned char *desc = (const unsigned char *)data->d_buf + desc_off;
		unsigned long long foff = ph->p_offset + desc_off;
		bool core = nh.n_namesz == 5 && memcmp(name, "CORE", 5) == 0;
		bool linux_ = nh.n_namesz == 6 && memcmp(name, "LINUX", 6) == 0;
		struct ck_error *err = NULL;
		if (core && nh.n_type == NT_PRSTATUS) {
			err = add_thread(c, desc, nh.n_descsz, foff);
		} else if (core && nh.n_type == NT_PRPSINFO && nh.n_descsz >= PRPSINFO_SIZE) {
			c->proc.pid = get32(desc + 24);
			free(c->comm);
			free(c->psargs);
			c->comm = dup_field(desc + 40, 16);
			c->psargs = dup_field(desc + 56, 80);
			if (!c->comm || !c->psargs)
				err = &ck_enomem;
		} else if ((core || linux_) && nh.n_type == NT_SIGINFO_TYPE && nh.n_descsz >= 24 && !sig_taken) {
			/* The first NT_SIGINFO belongs to the first (signalled) thread. */
			sig_taken = true;
			c->proc.has_siginfo = true;
			c->proc.si_signo = get32(desc);
			c->proc.si_errno = get32(desc + 4);
			c->proc.si_code = get32(desc + 8);
			c->proc.si_addr = get64(desc + 16);
			c->proc.si_pid = c->proc.si_code <= 0 ? get32(desc + 16) : -1;
		} else if (core && nh.n_type == NT_FILE && !c->files && nh.n_descsz >= 16) {
			err = parse_nt_file(c, desc, nh.n_descsz, foff);
		}
		if (err)
			return err;
		off = next;
	}
	return NULL;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static int tid_cmp_r(const void *a, const void *b, void *arg)
{
	const struct core_target *c = arg;
	int64_t x = c->threads[*(const size_t *)a].tid, y = c->threads[*(const size_t *)b].tid;
	return x < y ? -1 : x > y;
}

static struct ck_error *open_elf(struct core_target *c, const char *path)
{
	c->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0)
		return ck_error_create(CK_ERR_INPUT, "%s: cannot open: %s", c->path, strerror(errno));
	c->size = lseek(c->fd, 0, SEEK_END);
	if (c->size < 0)
		return ck_error_create(CK_ERR_INPUT, "%s: cannot seek: %s", c->path, strerror(errno));
	elf_version(EV_CURRENT);
	c->elf = elf_begin(c->fd, ELF_C_READ, NULL);
	if (!c->elf || elf_kind(c->elf) != ELF_K_ELF)
		return ck_error_at(c->path, 0, "not an ELF file");
	GElf_Ehdr eh;
	if (!gelf_getehdr(c->elf, &eh))
		return ck_error_at(c->path, 0, "bad ELF header: %s", elf_errmsg(-1));
	if (eh.e_type != ET_CORE)
		return ck_error_at(c->path, 16, "not a core file (e_type %u)", eh.e_type);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
		return ck_error_at(c->path, 18, "not an x86-64 core (e_machine %u)", eh.e_machine);
	size_t phnum;
	if (elf_getphdrnum(c->elf, &phnum) != 0 || phnum == 0)
		return ck_error_at(c->path, 32, "no program headers");
	if (phnum > (size_t)c->size / sizeof(Elf64_Phdr))
		return ck_error_at(c->path, 56, "%zu program headers cannot fit in the file", phnum);
	c->segs = calloc(phnum, sizeof(*c->segs));
	if (!c->segs)
		return &ck_enomem;
	bool notes = false;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(c->elf, (int)i, &ph))
			return ck_error_at(c->path, eh.e_phoff + i * eh.e_phentsize, "bad program header %zu", i);
		if (ph.p_type == PT_LOAD) {
			uint64_t filesz = ph.p_filesz;
			if (filesz > ph.p_memsz)
				filesz = ph.p_memsz;
			/* A truncated core keeps what is there; the rest reads as absent. */
			if (ph.p_offset > (uint64_t)c->size)
				filesz = 0;
			else if (filesz > (uint64_t)c->size - ph.p_offset)
				filesz = (uint64_t)c->size - ph.p_offset;
			if (ph.p_memsz)
				c->segs[c->nsegs++] = (struct seg){ ph.p_vaddr, ph.p_memsz, filesz, (off_t)ph.p_offset };
		} else if (ph.p_type == PT_NOTE) {
			struct ck_error *err = parse_notes(c, &ph);
			if (err)
				return err;
			notes = true;
		}
	}
	if (!notes || !c->nthreads)
		return ck_error_at(c->path, eh.e_phoff, "core has no thread (NT_PRSTATUS) notes");
	qsort(c->segs, c->nsegs, sizeof(*c->segs), seg_cmp);
	for (size_t i = 1; i < c->nsegs; i++)
		if (c->segs[i].vaddr < c->segs[i - 1].vaddr + c->segs[i - 1].memsz)
			return ck_error_at(c->path, eh.e_phoff, "overlapping PT_LOAD segments at 0x%llx",
					   (unsigned long long)c->segs[i].vaddr);
	c->by_tid = malloc(c->nthreads * sizeof(*c->by_tid));
	if (!c->by_tid)
		return &ck_enomem;
	for (size_t i = 0; i < c->nthreads; i++)
		c->by_tid[i] = i;
	qsort_r(c->by_tid, c->nthreads, sizeof(*c->by_tid), tid_cmp_r, c);
	for (size_t i = 1; i < c->nthreads; i++)
		if (c->threads[c->by_tid[i]].tid == c->threads[c->by_tid[i - 1]].tid)
			return ck_error_at(c->path, eh.e_phoff, "thread %lld appears twice",
					   (long long)c->threads[c->by_tid[i]].tid);
	return NULL;
}

static bool fatal_signal(int sig)
{
	return sig == LSIG_SEGV || sig == LSIG_BUS || sig == LSIG_ILL || sig == LSIG_FPE ||
	       sig == LSIG_ABRT || sig == LSIG_TRAP || sig == LSIG_SYS || sig == LSIG_KILL ||
	       sig == LSIG_TERM || sig == LSIG_QUIT || sig == LSIG_XCPU || sig == LSIG_XFSZ;
}

/*
 * --sysroot: report every ELF file mapping of the core from SYSROOT/PATH
 * instead of letting libdwfl find the files by their recorded paths.
 * A shared object (ET_DYN) is placed at the address where its offset-0
 * mapping starts, minus its first PT_LOAD's page-aligned p_vaddr.
 */
static struct ck_error *report_sysroot(struct core_target *c, const char *sysroot, const char *exe)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		const struct file_map *f = &c->files[i];
		if (f->pgoff != 0 || f->path[0] != '/')
			continue;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = c->files[j].pgoff == 0 && strcmp(c->files[j].path, f->path) == 0;
		if (seen)
			continue;
		char *file = NULL;
		if (exe && c->exe && strcmp(f->path, c->exe) == 0)
			file = strdup(exe);
		else if (asprintf(&file, "%s%s", sysroot, f->path) < 0)
			file = NULL;
		if (!file)
			return &ck_enomem;
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
		GElf_Ehdr eh;
		uint64_t first = 0;
		bool ok = e && elf_kind(e) == ELF_K_ELF && gelf_getehdr(e, &eh) &&
			  (eh.e_type == ET_DYN || eh.e_type == ET_EXEC);
		size_t phnum = 0;
		if (ok && elf_getphdrnum(e, &phnum) == 0) {
			for (size_t k = 0; k < phnum; k++) {
				GElf_Phdr ph;
				if (gelf_getphdr(e, (int)k, &ph) && ph.p_type == PT_LOAD) {
					first = ph.p_vaddr & ~(uint64_t)(PAGE - 1);
					break;
				}
			}
		}
		if (e)
			elf_end(e);
		if (fd >= 0)
			close(fd);
		c->sysroot_files++;
		c->sysroot_found += fd >= 0;
		unsigned char magic[4];
		struct ck_error *rerr = NULL;
		if (ok && !dwfl_report_elf(c->dwfl, f->path, file, -1,
					   eh.e_type == ET_DYN ? f->start - first : 0, false)) {
			(void)dwfl_errno();	/* unreadable or overlapping: leave it out */
		} else if (fd < 0 && !(rerr = core_read(&c->base, f->start, magic, 4)) &&
			   memcmp(magic, ELFMAG, 4) == 0) {
			/* an ELF file (its header is in the core) missing from the
			 * sysroot: a module without a file, so its frames still name
			 * it and the report warns about it */
			uint64_t end = f->end;
			for (size_t j = i + 1; j < c->nfiles; j++)
				if (strcmp(c->files[j].path, f->path) == 0 && c->files[j].end > end)
					end = c->files[j].end;
			if (!dwfl_report_module(c->dwfl, f->path, f->start, end))
				(void)dwfl_errno();	/* overlapping: leave it out */
		}
		free(file);
		if (rerr && rerr->kind == CK_ERR_SYSTEM)
			return rerr;
		ck_error_destroy(rerr);
	}
	return NULL;
}

struct main_mod {
	const char *path;
};

static int find_main(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
	(void)ud;
	(void)start;
	struct main_mod *m = arg;
	const char *file = NULL;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &file, NULL);
	if (name && (strcmp(name, "[exe]") == 0 || strcmp(name, "[pie]") == 0)) {
		m->path = file ? file : NULL;
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

struct ck_error *target_core_open(const char *path, const struct target_core_options *opt,
				  struct target **ret)
{
	struct core_target *c = calloc(1, sizeof(*c));
	if (!c)
		return &ck_enomem;
	c->fd = -1;
	c->base.ops = &core_ops;
	c->proc.pid = -1;
	c->proc.si_pid = -1;
	struct ck_error *err = NULL;
	if (!(c->path = strdup(opt && opt->name ? opt->name : path)) ||
	    !(c->cache = calloc(CACHE_PAGES, sizeof(*c->cache)))) {
		err = &ck_enomem;
		goto fail;
	}
	c->base.path = c->path;
	if ((err = open_elf(c, path)))
		goto fail;
	if ((err = sym_config_init(&c->symcfg, opt ? &opt->sym : NULL)))
		goto fail;
	if (opt && opt->sym.debug_dir && !(c->debug_dir = strdup(opt->sym.debug_dir))) {
		err = &ck_enomem;
		goto fail;
	}
	c->dwfl = dwfl_begin(&c->symcfg.callbacks);
	if (!c->dwfl) {
		err = sym_dwfl_error(CK_ERR_SYSTEM, "dwfl_begin");
		goto fail;
	}
	dwfl_report_begin(c->dwfl);
	if (opt && opt->sym.sysroot) {
		if ((err = report_sysroot(c, opt->sym.sysroot, opt->exe)))
			goto fail;
	} else if (dwfl_core_file_report(c->dwfl, c->elf, opt ? opt->exe : NULL) < 0) {
		err = sym_dwfl_error(CK_ERR_INPUT, path);
		goto fail;
	}
	dwfl_report_end(c->dwfl, NULL, NULL);
	if (!dwfl_attach_state(c->dwfl, c->elf, (pid_t)(c->proc.pid > 0 ? c->proc.pid : c->threads[0].tid),
			       &core_thread_callbacks, c)) {
		err = sym_dwfl_error(CK_ERR_INPUT, path);
		goto fail;
	}
	if ((err = sym_resolver_create(c->dwfl, &c->syms)))
		goto fail;

	/* The first NT_PRSTATUS is the thread that took the signal (kernel and
	 * gdb's gcore both write it first). */
	struct target_thread *t0 = &c->threads[0];
	c->proc.cursig = t0->signo;
	if (c->proc.has_siginfo && c->proc.si_signo)
		c->proc.cursig = c->proc.si_signo;
	if (fatal_signal(c->proc.cursig))
		t0->crashed = true;

	struct main_mod mm = { NULL };
	dwfl_getmodules(c->dwfl, find_main, &mm, 0);
	(void)dwfl_errno();
	if (opt && opt->exe) {
		free(c->exe);
		c->exe = strdup(opt->exe);
	} else if (mm.path) {
		free(c->exe);
		c->exe = strdup(mm.path);
	}
	c->proc.executable = c->exe;
	c->proc.command_line = c->psargs;
	c->proc.comm = c->comm;
	*ret = &c->base;
	return NULL;
fail:
	core_destroy(&c->base);
	return err;
}

const char *frame_trust_name(enum frame_trust t)
{
	switch (t) {
	case TRUST_CONTEXT: return "context";
	case TRUST_CFI: return "cfi";
	case TRUST_FRAME_POINTER: return "frame-pointer";
	case TRUST_ORC: return "orc";
	default: return "none";
	}
}
