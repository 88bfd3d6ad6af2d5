/*
 * target.h - the one interface analyzers see: "something with memory,
 * threads, modules and frames".
 *
 * A target is an ops table plus the implementation's state (embed struct
 * target first and recover the outer struct in the ops).  Two kinds:
 *   TARGET_PROCESS_CORE  an ELF core of one Linux process (target_core.c:
 *                        libdwfl inside, reading the core's PT_LOAD segments)
 *   TARGET_KERNEL_IMAGE  a machine image (struct machine: physical memory +
 *                        vCPUs + paging) - the next implementation; threads
 *                        are then tasks/vCPUs, memory reads are virtual
 *                        addresses translated through the guest page tables.
 * Analyzers and renderers use only these ops, so a new kind is one new file.
 *
 * Ownership: every pointer an op returns is borrowed and valid until
 * target_destroy().  Ops that may be absent say so; callers check for NULL.
 */
#ifndef COREKIT_TARGET_H
#define COREKIT_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "machine.h"
#include "symbols.h"

enum target_kind {
	TARGET_PROCESS_CORE = 1u << 0,
	TARGET_KERNEL_IMAGE = 1u << 1,
	TARGET_LOG = 1u << 2,		/* a text log (target_log.c; analyzers/logs/) */
	TARGET_ZDUMP = 1u << 3,		/* an ESXi zdump (target_zdump.h); with an ELF core also
					 * TARGET_PROCESS_CORE, the core's threads and memory */
	TARGET_BUNDLE = 1u << 4,	/* a vm-support bundle (target_bundle.c): always with TARGET_LOG, and
					 * TARGET_KERNEL_IMAGE when a VM's checkpoint was opened */
};

/* How a frame was recovered (rust-minidump/Breakpad vocabulary). */
enum frame_trust {
	TRUST_NONE = 0,
	TRUST_CONTEXT,		/* frame 0: registers from the core */
	TRUST_CFI,		/* unwound with CFI covering the caller's PC */
	TRUST_FRAME_POINTER,	/* unwound by the frame-pointer fallback */
	TRUST_ORC,		/* unwound with the kernel's ORC tables (or its saved switch frame) */
};

/* Kernel images: what the kernel records of a task (kernel_tasks.h reads it). */
struct target_task {
	uint64_t addr;			/* struct task_struct: unique, unlike pid 0 */
	int64_t tgid;
	char state;			/* as ps prints it: R S D T t X Z P I */
	int cpu;			/* last (or current) CPU */
	bool on_cpu;			/* running on vCPU `cpu` at the snapshot */
	bool idle;			/* a CPU's idle task */
	bool kthread;			/* PF_KTHREAD */
	int64_t since_ran_ns;		/* -1 unknown, 0 running */
	uint32_t kstate;		/* task->__state as the kernel stores it (TASK_* bits) */
	bool has_hung_fields;		/* the four below exist in this kernel */
	uint64_t last_switch_time;	/* jiffies, 0 unknown */
	uint64_t last_switch_count;	/* nvcsw + nivcsw when the hung-task detector last saw it move */
	uint64_t nvcsw, nivcsw;
	/* Set by the unwinder when the stack ends at a user-mode entry (syscall, fault). */
	bool has_user_regs;
	struct x86_regs user_regs;
};

struct target_thread {
	int64_t tid;
	struct x86_regs regs;		/* present bits say which are valid */
	int64_t syscall_nr;		/* orig_rax, -1 if not in a syscall or unknown */
	int signo;			/* current signal (pr_cursig), 0 none */
	const char *name;		/* NULL if unknown */
	bool crashed;			/* the thread that took the fatal signal */
	const struct target_task *task;	/* kernel images: the task; NULL for process threads, bare vCPUs */
};

/* Callee-saved registers the unwinder recovered for a frame. */
enum { FRAME_RBX, FRAME_RBP, FRAME_R12, FRAME_R13, FRAME_R14, FRAME_R15, FRAME_NSAVED };

struct target_frame {
	uint64_t pc;
	bool activation;	/* pc is the exact instruction (frame 0, signal frames) */
	enum frame_trust trust;
	uint64_t saved[FRAME_NSAVED];	/* values in this frame, valid where saved_valid bit set */
	unsigned saved_valid;
	/* Kernel images: the struct pt_regs this frame's registers were read
	 * from (an exception or interrupt entry crossed just below it), 0 if
	 * none; partial: only its iret frame (ip cs flags sp ss) was saved. */
	uint64_t regs_addr;
	bool regs_partial;
};

/* Process facts; NULL from ops->process for kernel images. Strings may be NULL. */
struct target_process {
	int64_t pid;			/* -1 if unknown */
	const char *executable;		/* path of the main program */
	const char *command_line;	/* pr_psargs (80 bytes at most in a core) */
	const char *comm;
	bool has_siginfo;
	int si_signo, si_code, si_errno;
	uint64_t si_addr;		/* fault address (SIGSEGV/SIGBUS/SIGILL/SIGFPE) */
	int64_t si_pid;			/* sender for SI_USER/SI_TKILL, -1 otherwise */
	int cursig;			/* signal in the crashing thread's prstatus */
};

struct target;

struct target_ops {
	const char *name;		/* "process core" */
	enum target_kind kind;
	/* Read len bytes of the target's (virtual) memory; unmapped or not
	 * dumped bytes are a CK_ERR_INPUT error naming the address. */
	struct ck_error *(*read)(struct target *t, uint64_t addr, void *buf, size_t len);
	size_t (*nthreads)(struct target *t);
	const struct target_thread *(*thread)(struct target *t, size_t i);
	/* Frames of thread i, innermost first, at most max; *frames is malloc'd
	 * (caller frees).  A broken unwind is not an error: the frames recovered
	 * so far are returned and *incomplete says whether it stopped early. */
	struct ck_error *(*unwind)(struct target *t, size_t i, size_t max,
				   struct target_frame **frames, size_t *n, bool *incomplete);
	/* The symbol resolver for this target's address space. */
	struct sym_resolver *(*symbols)(struct target *t);
	/* May be NULL (kernel images): process facts. */
	const struct target_process *(*process)(struct target *t);
	void (*destroy)(struct target *t);
	/* May be NULL: what the target could not find, one line each (a module
	 * without a file or symbols, a --sysroot or --debug-dir that provided
	 * nothing).  *list is borrowed; n may be 0. */
	struct ck_error *(*warnings)(struct target *t, const char *const **list, size_t *n);
	/* May be NULL: why the last unwind of thread i stopped early (its
	 * *incomplete), borrowed; NULL when it did not or the reason is unknown. */
	const char *(*unwind_stop)(struct target *t, size_t i);
	/* May be NULL: the machine image a composite target (a bundle) delegates
	 * memory, threads and symbols to; NULL when it has none. */
	struct target *(*image)(struct target *t);
	/* May be NULL (then the log is t->path itself): the text logs to read,
	 * as paths to open and names for events' sources; borrowed. */
	struct ck_error *(*logs)(struct target *t, const char *const **paths, const char *const **names, size_t *n);
};

struct target {
	const struct target_ops *ops;
	const char *path;		/* input file, for messages */
};

/* The machine image behind t: t itself unless t is composite (NULL: it has none). */
static inline struct target *target_image(struct target *t)
{
	return t && t->ops->image ? t->ops->image(t) : t;
}

static inline void target_destroy(struct target *t)
{
	if (t)
		t->ops->destroy(t);
}

/* Options for opening a process core. */
struct target_core_options {
	const char *exe;		/* --exe: the main executable, or NULL */
	const char *companion;		/* machine images: the .vmem named on the command line, or NULL */
	const char *vmlinux;		/* kernel images: --vmlinux FILE, or NULL to look by build-id */
	bool no_debuginfo;		/* kernel images: --no-debuginfo, guest memory only */
	struct sym_options sym;		/* --debug-dir, --sysroot */
	/* The input as the user named it, for messages (the path opened may be a
	 * decompressed copy, input.h); NULL: the path itself. */
	const char *name;
	const char *companion_name;	/* the companion's name for messages; NULL: companion itself */
	const char *vm;			/* bundles: --vm NAME, the VM whose checkpoint is analysed */
};

/* Open an ELF core of a Linux x86-64 process.  Bad input is CK_ERR_INPUT
 * naming the file; *ret is written only on success. */
struct ck_error *target_core_open(const char *path, const struct target_core_options *opt,
				  struct target **ret);

/* Open a machine image (anything machine_open() reads: .vmss, debug.guest,
 * ELF vmcores) as a TARGET_KERNEL_IMAGE target: vCPUs as threads, virtual
 * reads through vCPU 0's page tables, context frames only (for now). */
struct ck_error *target_machine_open(const char *path, const struct target_core_options *opt,
				     struct target **ret);

/* Open a text log as a TARGET_LOG target: no memory, no threads (target_log.c). */
struct ck_error *target_log_open(const char *path, struct target **ret);

/*
 * Open a vm-support bundle (an archive or a directory, bundle.h) as a
 * TARGET_BUNDLE | TARGET_LOG target (target_bundle.c): its logs, and the
 * checkpoint of opt->vm or of the one VM that has one as the machine image
 * (| TARGET_KERNEL_IMAGE).  Several VMs with checkpoints and no opt->vm, or
 * an opt->vm that names no VM or several: CK_ERR_USAGE naming them.
 */
struct ck_error *target_bundle_open(const char *path, const struct target_core_options *opt, struct target **ret);

/* Open path as the target kind it is (target_open.c). */
struct ck_error *target_open(const char *path, const struct target_core_options *opt,
			     struct target **ret);

const char *frame_trust_name(enum frame_trust t);

#endif
