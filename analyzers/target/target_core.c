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

#include <elfutils/libdwelf.h>
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
	NT_AUXV_TYPE = 6,
	AUXV_AT_ENTRY = 9,
	BUILD_ID_MAX = 64,		/* bytes */
};

/* Index of orig_rax in elf_prstatus.pr_reg (struct user_regs_struct); the rest is elfnotes.h's. */
enum { UR_ORIG_RAX = 15 };

struct seg {
	uint64_t vaddr, memsz, filesz;
	off_t off;
	bool trunc;		/* filesz cut short by the end of the file */
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
	/* what opening found wrong (truncation, notes, build-ids) first, then
	 * the modules' lines once asked (done) */
	struct target_warnings warns;
	uint64_t at_entry;		/* AT_ENTRY of NT_AUXV: the program's entry point */
	bool has_entry;
	char **stop_why;		/* per thread: why its unwinding stopped early, or NULL */
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
	uint64_t last_sp;		/* rsp of the last frame recovered, 0 unknown */
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
	*f = (struct target_frame){ 0 };
	f->pc = pc;
	f->activation = act;
	Dwarf_Word sp;
	u->last_sp = dwfl_frame_reg(state, 7, &sp) == 0 ? sp : 0;	/* DWARF 7: rsp */
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
	/* malloc: frame_cb clears each frame it fills (max is 256 by default,
	 * most stacks use a handful; zeroing all of them cost 5% of a run) */
	struct unwind_ctx u = { c, malloc(max * sizeof(struct target_frame)), 0, max, false, 0 };
	if (!u.frames)
		return &ck_enomem;
	int rc = dwfl_getthread_frames(c->dwfl, (pid_t)c->threads[i].tid, frame_cb, &u);
	if (u.oom) {
		free(u.frames);
		return &ck_enomem;
	}
	const char *msg = rc == -1 ? dwfl_errmsg(-1) : NULL;
	/* rc 0: the unwinder found no caller (end of the stack); 1: we stopped
	 * it (max frames); -1: it failed to recover a caller.  Failing after
	 * the process's or a thread's entry point is the normal end. */
	if (u.n == 0) {
		free(u.frames);
		return ck_error_create(CK_ERR_INPUT, "thread %lld: no frame: %s", (long long)c->threads[i].tid,
				       msg ? msg : "unwinder failed");
	}
	bool outermost = false;
	if (rc != 1) {
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
	/* The stack the last frame stands on missing from the core (a truncated
	 * file, a dump filter) ends the unwinding as quietly as a real end. */
	uint64_t sp = u.last_sp ? u.last_sp : c->threads[i].regs.gpr[X86_RSP];
	uint64_t word;
	bool found = false;
	struct ck_error *rerr = outermost || rc == 1 ? NULL : seg_read(c, sp, &word, sizeof(word), &found);
	ck_error_destroy(rerr);
	bool stack_missing = !outermost && rc != 1 && !found;
	*incomplete = rc == 1 || (rc == -1 && !outermost) || stack_missing;
	char *why = NULL;
	int k = 0;
	if (rc == 1)
		k = asprintf(&why, "stopped at the limit of %zu frames", max);
	else if (stack_missing) {
		const struct seg *sg = seg_find(c, sp);
		k = asprintf(&why, "the stack at 0x%llx (rsp of frame #%zu) is not in the core%s",
			     (unsigned long long)sp, u.n - 1,
			     sg && sg->filesz < sg->memsz && sg->trunc ? ": the core file ends before it" : "");
	} else if (*incomplete)
		k = asprintf(&why, "no caller found for frame #%zu: %s", u.n - 1, msg ? msg : "unwinder failed");
	(void)dwfl_errno();
	if (k < 0 || (*incomplete && !why)) {
		free(u.frames);
		return &ck_enomem;
	}
	free(c->stop_why[i]);
	c->stop_why[i] = why;
	*frames = u.frames;
	*n = u.n;
	return NULL;
}

static const char *core_unwind_stop(struct target *t, size_t i)
{
	struct core_target *c = CT(t);
	return i < c->nthreads ? c->stop_why[i] : NULL;
}

static void core_destroy(struct target *t)
{
	struct core_target *c = CT(t);
	if (!c)
		return;
	target_warnings_fini(&c->warns);
	for (size_t i = 0; c->stop_why && i < c->nthreads; i++)
		free(c->stop_why[i]);
	free(c->stop_why);
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
		struct ck_error *err = target_warnings_build(&c->warns, c->syms, &so, c->sysroot_files,
							     c->sysroot_found);
		if (err)
			return err;
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
	.unwind_stop = core_unwind_stop,
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
	if (len < PRSTATUS_SIZE)	/* a damaged note: the thread is lost, and the report says so */
		return target_warn_add(&c->warns, "%s: offset 0x%llx: NT_PRSTATUS note is %zu bytes, expected %d: "
				       "a thread is missing from this report", c->path, off, len, PRSTATUS_SIZE);
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

/* ---- build-ids: the core's own record against the files on disk ---- */

static void hex_of(const unsigned char *b, size_t n, char *out)
{
	out[0] = 0;
	for (size_t i = 0; i < n && i < BUILD_ID_MAX; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* The GNU build-id of the ELF image mapped at start, read from the core's own
 * memory (the kernel and gcore dump the first page of every ELF mapping) into
 * out[2 * BUILD_ID_MAX + 1] as hex; "" when the core does not have it. */
static void core_build_id(struct core_target *c, uint64_t start, char *out)
{
	out[0] = 0;
	unsigned char eh[64], ph[56 * 32], nb[1024];
	bool found = false;
	struct ck_error *err = seg_read(c, start, eh, sizeof(eh), &found);
	if (err || !found || memcmp(eh, ELFMAG, 4) != 0 || eh[EI_CLASS] != ELFCLASS64) {
		ck_error_destroy(err);
		return;
	}
	uint16_t type, phentsize, phnum;
	memcpy(&type, eh + 16, 2);
	memcpy(&phentsize, eh + 54, 2);
	memcpy(&phnum, eh + 56, 2);
	uint64_t phoff = get64(eh + 32);
	if (phentsize != 56 || !phnum || phnum > 32 || phoff > 4096)
		return;
	if ((err = seg_read(c, start + phoff, ph, (size_t)phnum * 56, &found)) || !found) {
		ck_error_destroy(err);
		return;
	}
	uint64_t first = UINT64_MAX;
	for (size_t i = 0; i < phnum; i++)
		if (get32(ph + i * 56) == PT_LOAD && get64(ph + i * 56 + 16) < first)
			first = get64(ph + i * 56 + 16);
	if (first == UINT64_MAX)
		return;
	uint64_t bias = type == ET_DYN ? start - (first & ~(uint64_t)(PAGE - 1)) : 0;
	for (size_t i = 0; i < phnum; i++) {
		if (get32(ph + i * 56) != PT_NOTE)
			continue;
		uint64_t len = get64(ph + i * 56 + 32);
		if (len > sizeof(nb))
			len = sizeof(nb);
		if ((err = seg_read(c, bias + get64(ph + i * 56 + 16), nb, (size_t)len, &found)) || !found) {
			ck_error_destroy(err);
			continue;
		}
		for (size_t o = 0; o + 12 <= len;) {
			uint32_t nsz = (uint32_t)get32(nb + o), dsz = (uint32_t)get32(nb + o + 4);
			uint32_t nt = (uint32_t)get32(nb + o + 8);
			size_t d = o + 12 + ((nsz + 3) & ~3u);
			if (nsz > len || dsz > len || d + dsz > len)
				break;
			if (nt == NT_GNU_BUILD_ID && nsz == 4 && memcmp(nb + o + 12, "GNU", 4) == 0 && dsz) {
				hex_of(nb + d, dsz, out);
				return;
			}
			o = d + ((dsz + 3) & ~3u);
		}
	}
}

static void elf_build_id(Elf *e, char *out)
{
	const void *bits = NULL;
	ssize_t n = e ? dwelf_elf_gnu_build_id(e, &bits) : -1;
	out[0] = 0;
	if (n > 0)
		hex_of(bits, (size_t)n, out);
}

static void file_build_id(const char *path, char *out)
{
	out[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	elf_build_id(e, out);
	if (e)
		elf_end(e);
	close(fd);
}

/* The offset-0 NT_FILE mapping of the program: the file whose mapping holds
 * AT_ENTRY (the first offset-0 mapping when the core has no NT_AUXV). */
static const struct file_map *main_mapping(const struct core_target *c)
{
	const char *path = NULL;
	for (size_t i = 0; i < c->nfiles && c->has_entry && !path; i++)
		if (c->at_entry >= c->files[i].start && c->at_entry < c->files[i].end)
			path = c->files[i].path;
	for (size_t i = 0; i < c->nfiles; i++)
		if (c->files[i].pgoff == 0 && c->files[i].path[0] == '/' && (!path || strcmp(c->files[i].path, path) == 0))
			return &c->files[i];
	return NULL;
}

/* Every module whose file libdwfl took (by path, build-id, --sysroot,
 * debuginfod): its build-id must be the one the core recorded. */
static struct ck_error *check_module_ids(struct core_target *c)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		const struct file_map *f = &c->files[i];
		if (f->pgoff != 0 || f->path[0] != '/')
			continue;
		char want[2 * BUILD_ID_MAX + 1], have[2 * BUILD_ID_MAX + 1];
		core_build_id(c, f->start, want);
		Dwfl_Module *mod = want[0] ? dwfl_addrmodule(c->dwfl, f->start) : NULL;
		GElf_Addr bias;
		Elf *e = mod ? dwfl_module_getelf(mod, &bias) : NULL;
		(void)dwfl_errno();
		if (!e)
			continue;
		elf_build_id(e, have);
		const char *file = NULL;
		dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &file, NULL);
		if (have[0] && strcmp(have, want) != 0) {
			struct ck_error *err = target_warn_add(&c->warns, "module %s: the file used (%s) has build-id %s, "
							       "the core's is %s: its frames are not to be trusted",
							       f->path, file ? file : f->path, have, want);
			if (err)
				return err;
		}
	}
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
	if (ph->p_offset >= (uint64_t)c->size)
		return ck_error_at(c->path, ph->p_offset, "PT_NOTE starts past the end of the file");
	GElf_Phdr cut = *ph;
	if (ph->p_filesz > (uint64_t)c->size - ph->p_offset) {
		/* a truncated core: read the notes that are there */
		cut.p_filesz = (uint64_t)c->size - ph->p_offset;
		struct ck_error *werr = target_warn_add(&c->warns, "%s: PT_NOTE at offset 0x%llx needs %llu bytes, the file "
							"has %llu: the core is truncated, notes past its end are lost",
							c->path, (unsigned long long)ph->p_offset,
							(unsigned long long)ph->p_filesz, (unsigned long long)cut.p_filesz);
		if (werr)
			return werr;
		ph = &cut;
	}
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
		} else if (core && nh.n_type == NT_AUXV_TYPE) {
			for (size_t k = 0; k + 16 <= nh.n_descsz; k += 16)
				if (get64(desc + k) == AUXV_AT_ENTRY) {
					c->at_entry = get64(desc + k + 8);
					c->has_entry = true;
				}
		}
		if (err)
			return err;
		off = next;
	}
	/* A note header that does not parse hides every note after it (threads too). */
	if (off < data->d_size)
		return target_warn_add(&c->warns, "%s: offset 0x%llx: a note in PT_NOTE does not parse: the %zu bytes of "
				       "notes after it (threads among them) are ignored",
				       c->path, (unsigned long long)(ph->p_offset + off), data->d_size - off);
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
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		return ck_error_at(c->path, EI_CLASS, "a 32-bit core (ELFCLASS32, e_machine %u%s): only 64-bit x86-64 "
				   "cores are read", eh.e_machine,
				   eh.e_machine == EM_X86_64 ? ": x32" : eh.e_machine == EM_386 ? ": i386" : "");
	if (eh.e_machine != EM_X86_64)
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
	size_t cut_segs = 0;
	uint64_t cut_bytes = 0;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(c->elf, (int)i, &ph))
			return ck_error_at(c->path, eh.e_phoff + i * eh.e_phentsize, "bad program header %zu", i);
		if (ph.p_type == PT_LOAD) {
			uint64_t filesz = ph.p_filesz;
			if (filesz > ph.p_memsz)
				filesz = ph.p_memsz;
			/* A truncated core keeps what is there; the rest reads as absent. */
			uint64_t want = filesz;
			if (ph.p_offset > (uint64_t)c->size)
				filesz = 0;
			else if (filesz > (uint64_t)c->size - ph.p_offset)
				filesz = (uint64_t)c->size - ph.p_offset;
			if (filesz < want) {
				cut_segs++;
				cut_bytes += want - filesz;
			}
			if (ph.p_memsz)
				c->segs[c->nsegs++] = (struct seg){ ph.p_vaddr, ph.p_memsz, filesz, (off_t)ph.p_offset,
								    filesz < want };
		} else if (ph.p_type == PT_NOTE) {
			struct ck_error *err = parse_notes(c, &ph);
			if (err)
				return err;
			notes = true;
		}
	}
	if (!notes || !c->nthreads)
		return ck_error_at(c->path, eh.e_phoff, "core has no thread (NT_PRSTATUS) notes");
	if (cut_segs) {
		struct ck_error *werr = target_warn_add(&c->warns, "%s: the core is truncated: %zu memory segment%s "
							"end%s past the end of the file (%llu bytes missing); "
							"what was there reads as absent",
							c->path, cut_segs, cut_segs == 1 ? "" : "s", cut_segs == 1 ? "s" : "",
							(unsigned long long)cut_bytes);
		if (werr)
			return werr;
	}
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
		/* a file of another build is no file of this core */
		char want[2 * BUILD_ID_MAX + 1], have[2 * BUILD_ID_MAX + 1];
		bool other = false;
		if (ok) {
			core_build_id(c, f->start, want);
			elf_build_id(e, have);
			other = want[0] && have[0] && strcmp(want, have) != 0;
		}
		if (e)
			elf_end(e);
		if (fd >= 0)
			close(fd);
		struct ck_error *werr = other ? target_warn_add(&c->warns, "module %s: %s has build-id %s, the core's is %s: "
								"not used", f->path, file, have, want) : NULL;
		if (werr) {
			free(file);
			return werr;
		}
		if (other)
			ok = false;
		c->sysroot_files++;
		c->sysroot_found += fd >= 0 && !other;
		unsigned char magic[4];
		struct ck_error *rerr = NULL;
		if (ok && !dwfl_report_elf(c->dwfl, f->path, file, -1,
					   eh.e_type == ET_DYN ? f->start - first : 0, false)) {
			(void)dwfl_errno();	/* unreadable or overlapping: leave it out */
		} else if ((fd < 0 || other) && !(rerr = core_read(&c->base, f->start, magic, 4)) &&
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
	if (!(c->stop_why = calloc(c->nthreads, sizeof(*c->stop_why)))) {
		err = &ck_enomem;
		goto fail;
	}
	/* The program is the file that holds the entry point, whatever --exe says. */
	const struct file_map *mainmap = main_mapping(c);
	if (mainmap) {
		free(c->exe);
		if (!(c->exe = strdup(mainmap->path))) {
			err = &ck_enomem;
			goto fail;
		}
	}
	/* --exe of another build than the core's program: warn, and let libdwfl
	 * find the right file (by build-id, by the recorded path) instead. */
	const char *exe = opt ? opt->exe : NULL;
	if (exe && mainmap) {
		char want[2 * BUILD_ID_MAX + 1], have[2 * BUILD_ID_MAX + 1];
		core_build_id(c, mainmap->start, want);
		file_build_id(exe, have);
		if (want[0] && have[0] && strcmp(want, have) != 0) {
			if ((err = target_warn_add(&c->warns, "--exe %s: build-id %s is not the core's %s (%s): not used",
						   exe, have, want, mainmap->path)))
				goto fail;
			exe = NULL;
		}
	}
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
		if ((err = report_sysroot(c, opt->sym.sysroot, exe)))
			goto fail;
	} else if (dwfl_core_file_report(c->dwfl, c->elf, exe) < 0) {
		err = sym_dwfl_error(CK_ERR_INPUT, path);
		goto fail;
	}
	dwfl_report_end(c->dwfl, NULL, NULL);
	if (!dwfl_attach_state(c->dwfl, c->elf, (pid_t)(c->proc.pid > 0 ? c->proc.pid : c->threads[0].tid),
			       &core_thread_callbacks, c)) {
		err = sym_dwfl_error(CK_ERR_INPUT, path);
		goto fail;
	}
	if ((err = sym_resolver_create(c->dwfl, &c->syms)) || (err = check_module_ids(c)))
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
	if (!c->exe && mm.path && !(c->exe = strdup(mm.path))) {
		err = &ck_enomem;
		goto fail;
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
