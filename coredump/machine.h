/*
 * machine.h - "a machine at one instant": the model every reader produces
 * and every writer and analyzer consumes.
 *
 *   readers (vmss2core/cpt_*.c, vmss2core/guestdump.c, coredump/elfcore_read.c)
 *       -> struct machine ->
 *   writers (coredump/elfcore_write.c) and, later, analyzers.
 *
 * Physical memory is a sorted list of non-overlapping runs.  A run is backed
 * by a byte range of an input file, reads as zeros, or (for formats whose
 * bytes are not a file range, e.g. compressed kdump pages) comes from a
 * backend's read callback.  Nothing is ever loaded into RAM: reads go through
 * pread() on the backing file or the backend, so memory use does not grow
 * with guest RAM size.  Addresses not covered by any run are holes; reading
 * them is a CK_ERR_FAULT error naming the address (the image lacks that
 * address; the file itself is not broken).  Every reader above the formats
 * goes through machine_read_phys() / machine_stream_run(), whatever the kind.
 *
 * The machine owns the file descriptors it was given (machine_add_file) and
 * the backends (machine_add_backend) and releases them in machine_deinit().
 */
#ifndef COREKIT_MACHINE_H
#define COREKIT_MACHINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum { MACHINE_PAGE_SIZE = 4096 };

enum mem_run_kind { MEM_RUN_FILE, MEM_RUN_ZERO, MEM_RUN_BACKEND };

struct mem_run {
	uint64_t pa;		/* first guest-physical byte */
	uint64_t len;		/* bytes, > 0 */
	enum mem_run_kind kind;
	int file;		/* index into machine.files (MEM_RUN_FILE) or machine.backends (MEM_RUN_BACKEND) */
	off_t off;		/* file offset of byte pa (MEM_RUN_FILE) */
};

/*
 * A reader whose bytes are not a file range.  read() fills buf with the len
 * guest-physical bytes at pa (always inside one MEM_RUN_BACKEND run of this
 * backend) or returns CK_ERR_FAULT (page not in the dump), CK_ERR_INPUT
 * (broken file: name it and the offset) or CK_ERR_SYSTEM.  destroy() frees
 * arg.  Reads are single-threaded, like the rest of struct machine.
 */
struct machine_backend_ops {
	const char *name;	/* for messages and --info: "kdump" */
	struct ck_error *(*read)(void *arg, uint64_t pa, void *buf, size_t len);
	void (*destroy)(void *arg);
};

struct machine_backend {
	const struct machine_backend_ops *ops;
	void *arg;
};

struct machine_file {
	char *path;
	int fd;
	off_t size;
};

/* x86-64 register slots, in hardware encoding order where there is one. */
enum x86_gpr { X86_RAX, X86_RCX, X86_RDX, X86_RBX, X86_RSP, X86_RBP, X86_RSI, X86_RDI,
	X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15, X86_NGPR };
enum x86_seg { X86_ES, X86_CS, X86_SS, X86_DS, X86_FS, X86_GS, X86_LDTR, X86_TR, X86_NSEG };

/* Bits of x86_regs.present: which registers the source actually provided. */
enum x86_reg_present {
	REG_GPR_FIRST = 0,			/* bit REG_GPR_FIRST + enum x86_gpr */
	REG_RIP = 16, REG_RFLAGS = 17,
	REG_CR0 = 18,				/* bit REG_CR0 + n for CRn, n = 0..4 */
	REG_EFER = 23, REG_IDTR = 24, REG_GDTR = 25,
	REG_SEL_FIRST = 26,			/* bit REG_SEL_FIRST + enum x86_seg */
	REG_SEGBASE_FIRST = 34,			/* bit REG_SEGBASE_FIRST + enum x86_seg */
	REG_NBITS = 42,
};

struct x86_regs {
	uint64_t gpr[X86_NGPR];
	uint64_t rip, rflags;
	uint64_t cr[5];
	uint64_t efer;
	uint64_t idtr_base, gdtr_base;
	uint32_t idtr_limit, gdtr_limit;
	uint16_t sel[X86_NSEG];
	uint64_t seg_base[X86_NSEG];
	uint32_t seg_limit[X86_NSEG];	/* 0 when unknown */
	uint32_t seg_flags[X86_NSEG];	/* QEMU-style descriptor flags, 0 when unknown */
	uint64_t present;		/* bitmask of enum x86_reg_present */
};

static inline int x86_regs_has(const struct x86_regs *r, int bit)
{
	return (r->present >> bit) & 1;
}

/* What we know about the guest; every string may be NULL (unknown). */
struct machine_meta {
	char *source_format;	/* "vmss 0xbed2bed2", "debug.guest v4", "ELF core" */
	char *product;		/* Checkpoint/ProductName */
	char *version;		/* Checkpoint/VersionNumber */
	char *vm_name;		/* displayName from the .vmx text */
	char *guest_os;		/* guestOS from the .vmx text */
	char *vmx_text;		/* embedded .vmx (Snapshot/cfgFile) */
	uint64_t ram_bytes;	/* declared RAM size, 0 if unknown */
	uint32_t declared_vcpus;
	/* Filled by coredump/vmcoreinfo.c when a Linux kernel is found. */
	char *vmcoreinfo;	/* VMCOREINFO text, CRASHTIME removed */
	size_t vmcoreinfo_len;
	uint64_t vmcoreinfo_pa;
	char *kernel_banner;	/* "Linux version ..." line */
};

struct machine {
	struct machine_file *files;
	size_t nfiles;
	struct machine_backend *backends;
	size_t nbackends;
	struct mem_run *runs;	/* sorted by pa after machine_finish_runs() */
	size_t nruns, runs_cap;
	struct x86_regs *cpus;
	size_t ncpus;
	struct machine_meta meta;
};

void machine_init(struct machine *m);
void machine_deinit(struct machine *m);

/* Open PATH read-only and register it; *idx_ret is the file index for runs. */
struct ck_error *machine_add_file(struct machine *m, const char *path, int *idx_ret);
/* Rename every file registered as from to name (a decompressed copy gets the user's name for messages). */
struct ck_error *machine_rename_file(struct machine *m, const char *from, const char *name);
/*
 * Hand a backend to m (m owns arg from now on: on failure it is destroyed
 * here); *idx_ret is the index for MEM_RUN_BACKEND runs.
 */
struct ck_error *machine_add_backend(struct machine *m, const struct machine_backend_ops *ops, void *arg,
				     int *idx_ret);
/* Append a run (file: the file or backend index); runs may be added in any order. */
struct ck_error *machine_add_run(struct machine *m, uint64_t pa, uint64_t len,
				 enum mem_run_kind kind, int file, off_t off);
/* Sort runs, refuse overlaps, check every file run lies inside its file. */
struct ck_error *machine_finish_runs(struct machine *m);
struct ck_error *machine_set_ncpus(struct machine *m, size_t n);

/* The run containing pa, or NULL for a hole. */
const struct mem_run *machine_find_run(const struct machine *m, uint64_t pa);
/* Read len bytes of guest-physical memory; a hole anywhere is an error. */
struct ck_error *machine_read_phys(const struct machine *m, uint64_t pa, void *buf, size_t len);
/*
 * Stream run r in address order.  Stretches known to read as zeros (a
 * MEM_RUN_ZERO run, holes of a sparse backing file found with SEEK_DATA) are
 * not read: fn gets buf == NULL for them.  Everything else (backend runs
 * included) is read into buf
 * (bufsz bytes at most per call) and handed to fn.  Stops at the first error,
 * a read error or fn's own.
 */
typedef struct ck_error *machine_chunk_fn(void *arg, uint64_t pa, const uint8_t *buf, size_t n);
struct ck_error *machine_stream_run(const struct machine *m, const struct mem_run *r, uint8_t *buf,
				    size_t bufsz, machine_chunk_fn *fn, void *arg);
/* Total bytes covered by runs. */
uint64_t machine_ram_bytes(const struct machine *m);

/* Register names for messages and --info, indexed by enum x86_reg_present bit. */
const char *x86_reg_name(int bit);
/* Comma-separated names of registers not in r->present ("" if none); static-free, caller frees. */
char *x86_regs_missing(const struct x86_regs *r);

#endif
