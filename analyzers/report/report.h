/*
 * report.h - the report model: what analyzers fill and renderers print.
 *
 * Analyzers never print; renderers (render.h) never know which analyzer
 * wrote what.  Every string is owned by the report (malloc'd, freed by
 * report_deinit); NULL means "unknown" and renders as null / is omitted.
 * Counts that index other arrays (rpt_group.threads, rpt_wait.thread, ...)
 * are indices into report.threads.
 */
#ifndef COREKIT_REPORT_H
#define COREKIT_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "target.h"

enum { REPORT_SCHEMA_VERSION = 2 };

/* Linux x86-64 signal numbers as stored in cores (not the host's <signal.h>,
 * which also clashes with machine.h's register names). */
enum linux_signal {
	LSIG_HUP = 1, LSIG_INT = 2, LSIG_QUIT = 3, LSIG_ILL = 4, LSIG_TRAP = 5, LSIG_ABRT = 6,
	LSIG_BUS = 7, LSIG_FPE = 8, LSIG_KILL = 9, LSIG_USR1 = 10, LSIG_SEGV = 11, LSIG_USR2 = 12,
	LSIG_PIPE = 13, LSIG_ALRM = 14, LSIG_TERM = 15, LSIG_STKFLT = 16, LSIG_CHLD = 17,
	LSIG_CONT = 18, LSIG_STOP = 19, LSIG_TSTP = 20, LSIG_TTIN = 21, LSIG_TTOU = 22,
	LSIG_URG = 23, LSIG_XCPU = 24, LSIG_XFSZ = 25, LSIG_VTALRM = 26, LSIG_PROF = 27,
	LSIG_WINCH = 28, LSIG_IO = 29, LSIG_PWR = 30, LSIG_SYS = 31,
};

struct rpt_inline {
	char *function, *file;
	int line;
};

struct rpt_frame {
	uint64_t pc;
	enum frame_trust trust;
	char *module;			/* short module name (basename), NULL if none */
	uint64_t module_offset;
	char *function;			/* DWARF subprogram, else ELF symbol; demangled */
	char *symbol;			/* the ELF symbol as in the symbol table (mangled), NULL if none */
	char *symbol_name;		/* symbol demangled: what signatures hash (not rendered) */
	bool has_function_offset;
	uint64_t function_offset;
	char *file;
	int line;
	struct rpt_inline *inlines;	/* innermost first */
	size_t ninlines;
};

/* Kernel images: the task behind a thread (present == false for process threads). */
struct rpt_task {
	bool present;
	uint64_t addr;			/* struct task_struct */
	int64_t tgid;
	char state;			/* ps letter: R S D T t X Z P I */
	int cpu;
	bool on_cpu, idle, kthread;
	int64_t since_ran_ns;		/* -1 unknown */
	bool has_user_regs;		/* the stack ends at a user-mode entry */
	uint64_t user_rip, user_rsp;
	int64_t syscall_nr;		/* -1 unknown / not a syscall */
	/* Hung analyzer (kernel/an_khung.c): the kernel's hung-task rule at the snapshot. */
	bool hung;
	bool has_blocked;		/* blocked_s is known */
	double blocked_s;		/* since the detector's last_switch_time (a lower bound) */
	bool hung_reported;		/* the kernel logged "task COMM:PID blocked for more than" for it */
};

struct rpt_thread {
	int64_t tid;
	char *name;
	bool crashed;
	struct rpt_frame *frames;
	size_t nframes;
	bool incomplete;		/* the unwinder stopped before the outermost frame */
	char *unwind_error;		/* why unwinding stopped early, or why there are no
					 * frames at all; set whenever incomplete */
	long group;			/* index into report.groups, -1 if none */
	char *state;			/* one-line "blocked on ..." from the locks analyzer */
	struct rpt_task task;		/* kernel images */
};

struct rpt_group {
	size_t *threads;		/* indices into report.threads; [0] is shown */
	size_t n;
};

struct rpt_module {
	char *name, *path, *debug_file, *build_id;
	uint64_t start, end;
	const char *symbols;		/* "dwarf", "symtab", "none" (static string) */
};

struct rpt_process {
	bool present;
	int64_t pid;			/* -1 unknown */
	char *executable, *command_line;
	int signo;			/* 0: none */
	bool has_code;
	int si_code;
	bool has_addr;
	uint64_t si_addr;
	int64_t sender_pid;		/* -1 unknown */
};

struct rpt_reg {
	const char *name;		/* static */
	uint64_t value;
};

struct rpt_insn {
	uint64_t addr;
	char *bytes;			/* hex */
	char *text;			/* "mov eax, dword ptr [rdi]" */
	bool is_pc;
};

struct rpt_crash {
	bool present;
	size_t thread;			/* index into report.threads */
	const char *kind;		/* "null-deref", "stack-overflow", "abort", "assert",
					 * "invalid-access", "illegal-instruction", "arithmetic",
					 * "bus-error", "raise" (raise()/kill()/pthread_kill() of
					 * its own), "signal" (static; non-exhaustive) */
	char *reason;			/* one line for humans */
	char *assertion;		/* glibc's abort message, when found */
	uint64_t pc;
	char *instruction;		/* faulting instruction text or NULL */
	struct rpt_insn *disasm;
	size_t ndisasm;
	struct rpt_reg *regs;
	size_t nregs;
};

/* What a wait is for: one list for pthread objects and kernel locks. */
enum lock_kind {
	LOCK_MUTEX, LOCK_RWLOCK, LOCK_JOIN, LOCK_CONDVAR, LOCK_SEMAPHORE, LOCK_FUTEX,	/* process cores */
	LOCK_RWSEM, LOCK_COMPLETION, LOCK_WAITQUEUE, LOCK_RT_MUTEX, LOCK_SPINLOCK,	/* kernel (and mutex, semaphore) */
	LOCK_KIND_COUNT
};
/* "mutex", "rwlock", ..., "rt_mutex", "spinlock": the JSON and text name. */
const char *lock_kind_name(enum lock_kind k);

/* What a blocked thread waits for. */
struct rpt_wait {
	size_t thread;			/* index of the waiting thread */
	enum lock_kind kind;
	const char *mode;		/* kernel rwsem: "read" / "write"; else NULL (static) */
	uint64_t futex;			/* futex word the thread sleeps on (process cores only) */
	uint64_t waiter;		/* kernel: the waiter record on the task's stack, 0 none */
	uint64_t owner_task;		/* kernel: the owner's task_struct as the object records it, 0 none */
	uint64_t readers;		/* kernel rwsem held by readers: how many */
	bool owner_hint;		/* owner is the kernel's last-reader hint, not a certain holder */
	uint64_t object;		/* the lock / thread descriptor address */
	char *object_name;		/* its symbol as gdb shows it ("ledger", "ledger+8"), NULL if none */
	long owner;			/* index of the owner (holder / joined thread), -1 unknown */
	int64_t owner_tid;		/* TID read from the object, 0 none, -1 unknown */
	char *frame;			/* "pthread_mutex_lock (lock.c:12)" where it waits */
	bool in_cycle;
};

struct rpt_cycle {
	size_t *waits;			/* indices into report.waits, in cycle order */
	size_t n;
};

/*
 * Finding kinds: one list for the whole project (process cores, kernel
 * images, logs), what --fail-on accepts.  NULL-terminated.
 *   crash     a process died of a signal        deadlock  a wait-for cycle
 *   blocked   waits behind a holder, no cycle   hung      the kernel's hung-task rule
 *   lockup    a CPU spinning (soft/hard)        panic     a kernel panic or Oops
 *   tools     VMware Tools / GuestRPC trouble
 */
extern const char *const report_finding_kinds[];
/* The static string of report_finding_kinds equal to the first len bytes of s, or NULL. */
const char *report_finding_kind(const char *s, size_t len);

struct rpt_signature {
	bool present;
	const char *kind;		/* a finding kind: "crash", "deadlock", ... */
	char *hash;			/* 16 hex digits */
	char **frames;			/* the normalised names it was built from */
	size_t nframes;
};

struct rpt_finding {
	const char *kind;		/* one of report_finding_kinds (static) */
	char *summary;
	/* The threads it is about (indices into report.threads), the main one
	 * first: the crashed thread, the cycle members, the hung tasks.  The
	 * signature analyzer hashes their stacks into .signature. */
	size_t *threads;
	size_t nthreads;
	struct rpt_signature signature;
};

/*
 * An event found in a log: the kernel's own ring (klog_events.h) or a log
 * file (analyzers/logs/log_events.h, which documents the fields).
 */
struct rpt_event {
	const char *kind;		/* "hung-task", "soft-lockup", "psod", ... (static) */
	const char *source;		/* "kernel log" (static) or a file's path (borrowed from report.logs) */
	long line_no;			/* -1 unknown */
	char *text, *time;		/* the line, the time as printed */
	char *time_utc;			/* ISO 8601 UTC, only when the line has date and zone */
	double uptime_s;		/* NAN unknown */
	char *thread;			/* vmware.log thread ("vcpu-0", "mks") */
	int64_t pid;			/* -1 unknown */
	char *comm;
	int cpu;			/* -1 unknown */
	int64_t world, cartel;		/* vmkernel ids, -1 unknown */
	int signal;			/* -1 unknown */
	int exit_code;			/* vmx-exit, -1 unknown */
	double duration_s;		/* NAN unknown */
	char *address, *ip, *module, *core_file, *summary;
	char *channel;			/* guestrpc-timeout */
	char **frames;
	size_t nframes;
	bool problem;			/* a finding rests on it (text: listed under the verdict) */
	int64_t offset;			/* zdumps: byte offset of its line in the file, or in the
					 * inflated stream its source names; -1 unknown */
};

/* A log file read (target "log"): what the log says of itself, NULL when it does not. */
struct rpt_log {
	char *source;
	const char *format;		/* "vmware.log", "vmkernel.log", "hostd.log", "kernel-log" (static) */
	char *product, *version, *build, *kernel, *host;
	char *vm;			/* bundles: the VM whose log it is, NULL for the host's */
};

/* Bundles (target "bundle"): the inventory, what was analysed (docs/coresummary.md). */
struct rpt_bundle_file {
	char *path;			/* in the bundle (FRAG suffix dropped) */
	const char *kind;		/* bundle_kind_name() (static) */
	uint64_t size;			/* stored bytes, all pieces */
	size_t pieces;
	bool gzip;
	char *problem;			/* why it is unusable (a FRAG gap), NULL if usable */
};

struct rpt_bundle_host {
	char *root, *name, *product, *version, *build, *release;
};

struct rpt_bundle_vm {
	char *name, *guest_os, *dir, *vmx;
	long host;			/* index into hosts, -1 none */
	bool analysed;			/* its checkpoint is the kernel image of this report */
	struct rpt_bundle_file *files;	/* its logs, checkpoints (suspend, snapshot, vmem), cores, zdumps */
	size_t nfiles;
};

struct rpt_bundle {
	bool present;
	char *path;
	struct rpt_bundle_host *hosts;
	size_t nhosts;
	struct rpt_bundle_vm *vms;
	size_t nvms;
	struct rpt_bundle_file *files;	/* in no VM's directory: host logs, cores, zdumps */
	size_t nfiles;
	char *vm;			/* the VM whose checkpoint was analysed, NULL none */
	char *checkpoint, *vmem;	/* its files in the bundle, NULL none */
	char *not_analysed;		/* why no checkpoint was analysed, NULL if one was */
	char **warnings;		/* the reader's (hostile members) and the target's */
	size_t nwarnings;
};

/* A zlib/gzip stream found in a zdump. */
struct rpt_zdump_stream {
	uint64_t offset;		/* of its header in the file */
	const char *format;		/* "zlib" | "gzip" (static) */
	uint64_t compressed, inflated;	/* bytes read / produced */
	const char *end;		/* "complete" | "truncated" | "bad-data" | "capped" (static) */
	uint64_t text_bytes;		/* printable text carved from it */
};

/* An ELF core found in a zdump. */
struct rpt_zdump_core {
	long stream;			/* index into rpt_zdump.streams, -1: in the file itself */
	uint64_t offset;		/* in the file, or in the stream's inflated data */
	uint64_t size;			/* bytes extracted */
	uint64_t elf_size;		/* what its headers span, 0 unknown */
	bool analysed;			/* it is the process core of this report */
	char *error;			/* why it could not be analysed, NULL */
};

/* An ESXi zdump's triage (target "zdump"): what was found by content; no layout is known. */
struct rpt_zdump {
	bool present;
	const char *kind;		/* "kernel" | "vmx" | "userworld" | NULL (static) */
	const char *kind_by_name, *kind_by_content;	/* the same words, NULL when it does not say */
	char *world;			/* NAME of NAME-zdump.NNN */
	uint64_t size;
	bool encrypted;
	uint32_t envelope_version;	/* 0 unknown */
	struct rpt_zdump_stream *streams;
	size_t nstreams, streams_not_listed;
	uint64_t candidates;		/* zlib/gzip headers tried */
	bool inflate_capped;		/* the total inflate cap was reached: later headers not tried */
	struct rpt_zdump_core *cores;
	size_t ncores, cores_not_extracted;
	uint64_t text_bytes;		/* printable text carved (file and streams) */
	uint64_t log_text_bytes;	/* of it, runs that read as a log */
	uint64_t text_dropped;		/* past the carved-text cap */
};

/* One vCPU of a kernel image and the task on it. */
struct rpt_cpu {
	int cpu;
	uint64_t task;			/* 0 unknown */
	long thread;			/* index into report.threads, -1 none */
	/* Lockup analyzer (kernel/an_klockup.c); lockup false: nothing below is set. */
	bool lockup;
	bool spinning;			/* its task is in a spinlock slow path */
	uint64_t spinlock;		/* the lock it spins on, 0 unknown */
	char *spinlock_name;		/* "dl_spin [deadlock]", NULL if none */
	double stuck_s;			/* stuck for at least this long, NAN unknown */
	bool soft_reported, hard_reported;	/* the watchdog's log reports for this CPU */
};

/* What is known of the guest kernel (kernel images). */
struct rpt_kernel {
	bool present;
	char *release, *build_id, *banner;
	double uptime_s;		/* NAN unknown */
	size_t vcpus;
	uint64_t ram_bytes;
	char *vm_name, *guest_os, *source_format;
	const char *symbols_source;	/* "kallsyms (guest memory)" [+ " + vmlinux DWARF"] (static) */
	char *vmlinux;			/* the vmlinux used for DWARF, NULL if none */
	const char *types_source;	/* ktypes_source() (static) */
	const char *unwinder;		/* "orc" (static) */
	bool panicked;
	int panic_cpu;			/* -1 unknown */
	char *panic_message;
	struct rpt_cpu *cpus;
	size_t ncpus;
	size_t state_counts[10];	/* by ps letter, index in "RSDTtXZPI?" */
	size_t ntasks;
	char *dmesg;			/* the kernel log as dmesg prints it, NULL if unread */
};

struct report {
	const char *input;		/* borrowed */
	const char *target_kind;	/* "process-core", "kernel-image", "log", "zdump", "bundle" */
	struct rpt_process process;
	struct rpt_module *modules;
	size_t nmodules;
	struct rpt_thread *threads;
	size_t nthreads;
	struct rpt_group *groups;
	size_t ngroups;
	struct rpt_crash crash;
	struct rpt_wait *waits;
	size_t nwaits;
	struct rpt_cycle *cycles;
	size_t ncycles;
	struct rpt_finding *findings;
	size_t nfindings;
	struct rpt_signature signature;	/* the main finding's (crash/panic, else deadlock, else first) */
	char **warnings;		/* soft errors: analyzers that failed, unreadable data */
	size_t nwarnings;
	struct rpt_kernel kernel;
	struct rpt_event *events;	/* log targets: in timeline order */
	size_t nevents;
	struct rpt_log *logs;
	size_t nlogs;
	struct rpt_zdump zdump;
	struct rpt_bundle bundle;
};

/* The ps letters in the order of rpt_kernel.state_counts. */
extern const char report_task_states[];

void report_init(struct report *r);
void report_deinit(struct report *r);

/* Append helpers: return a zeroed element (owned by the report) or NULL on OOM. */
struct rpt_finding *report_add_finding(struct report *r, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Add thread index ti to f->threads (no duplicates); NULL or &ck_enomem. */
struct ck_error *report_finding_add_thread(struct rpt_finding *f, size_t ti);
struct ck_error *report_warn(struct report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct rpt_wait *report_add_wait(struct report *r);

/* The log file event e came from (its source is that log's), NULL for the kernel's own ring. */
const struct rpt_log *report_event_log(const struct report *r, const struct rpt_event *e);

/* Free an event's strings (not the event). */
void report_event_deinit(struct rpt_event *e);

/* Index of the thread with this tid, -1 if none. */
long report_thread_by_tid(const struct report *r, int64_t tid);

/* "func (file.c:12)" / "[module]+0x1234" / "0x7f..." for a frame; malloc'd.
 * The module is bracketed so that a program called "main" never reads like
 * the function main. */
char *rpt_frame_describe(const struct rpt_frame *f);
/* A module name as frames show it: "[main]", "[libc.so.6]"; "[vdso: 12]" stays. */
const char *rpt_module_label(const char *module, char *buf, size_t cap);
/* Name to show for a frame: innermost inline, else function, else NULL. */
const char *rpt_frame_top_name(const struct rpt_frame *f);

const char *signal_name(int sig);	/* "SIGSEGV", or NULL if unknown */
const char *si_code_name(int sig, int code);	/* "SEGV_MAPERR", or NULL */

#endif
