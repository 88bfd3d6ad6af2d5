/*
 * orc.h - x86-64 Linux kernel stack unwinder driven by the kernel's own ORC
 * tables (objtool's .orc_unwind_ip / .orc_unwind), read from guest memory.
 *
 * The unwinder reads only through a struct ck_memory (memory.h) and knows no
 * symbols: the caller finds the tables (kallsyms, a vmlinux, struct module)
 * and adds them:
 *   vmlinux   __start_orc_unwind_ip .. __stop_orc_unwind_ip (int32 each),
 *             __start_orc_unwind (6-byte entries), text _stext .. _einittext
 *             (orc_add_vmlinux() checks that the two tables agree in size);
 *   a module  mod->arch.orc_unwind_ip, orc_unwind, num_orcs, text
 *             core_layout.base .. + text_size (6.1; mem[MOD_TEXT] on 6.4+).
 *             The text range matters: a module's table still holds entries
 *             for its freed .init.text, which another module may now use.
 * Each table is read once, in full, when it is added, and kept in memory
 * (the vmlinux one is ~385k entries, ~3.8 MB on Debian 6.1).  The kernel's
 * orc_lookup[] block index is not needed: a cached table is binary-searched.
 *
 *   struct orc_unwinder *u;
 *   orc_unwinder_create(&mem, orc_format_for_release(osrelease), &u);
 *   orc_add_vmlinux(u, start_ip, stop_ip, start_orc, stop_orc, _stext, _einittext);
 *   orc_add_table(u, mod_ip, mod_orc, num_orcs, mod_text, mod_text_end);
 *   struct orc_frame_state st;
 *   orc_state_from_switch_frame(u, task_thread_sp, stack_lo, stack_hi, &st);  // blocked task
 *   // or orc_state_from_regs(&machine.cpus[i], &st) for a running vCPU
 *   frames[0] = st.ip;
 *   for (n = 1; n < max; n++) {
 *           struct orc_step r;
 *           err = orc_step(u, &st, &r);          // only I/O or broken-file errors
 *           if (err || r.kind == ORC_STEP_END || r.kind == ORC_STEP_STOP) break;
 *           if (r.kind == ORC_STEP_USER) { print st.regs; break; }
 *           frames[n] = st.ip;                   // r.kind says how far to trust it
 *   }
 *
 * Termination: every step either moves sp up within one stack or switches
 * stacks (a pt_regs, an IRQ-stack pointer), and switches are limited to
 * ORC_MAX_STACK_SWITCHES per unwind, so garbage tables or stacks end in
 * ORC_STEP_STOP, never a loop; the caller's frame limit is a second bound.
 *
 * Not handled (the unwind stops or guesses with the frame pointer there):
 * ftrace trampolines (orc_ftrace_find), function-graph / kretprobe return
 * address rewriting, 32-bit kernels.
 */
#ifndef COREKIT_ORC_H
#define COREKIT_ORC_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "machine.h"
#include "memory.h"

/*
 * Layout of struct orc_entry's third 16-bit word (sp_offset, bp_offset come
 * first, both s16): bits 0-3 sp_reg, 4-7 bp_reg, then
 *   V1  Linux 4.14 - 6.2   type:2 (CALL 0, REGS 1, REGS_PARTIAL 2), end:1
 *   V2  Linux 6.3          type:2 (same), signal:1, end:1
 *   V3  Linux 6.4 and later type:3 (UNDEFINED 0, END_OF_STACK 1, CALL 2,
 *                           REGS 3, REGS_PARTIAL 4), signal:1
 * Before V3 an entry with sp_reg UNDEFINED is the end of the stack when end
 * is set and a gap ("undefined") otherwise.  The caller picks the format from
 * the kernel version (orc_format_for_release); a distribution kernel that
 * backported the change needs the caller to say so.
 */
enum orc_format { ORC_FORMAT_V1 = 1, ORC_FORMAT_V2 = 2, ORC_FORMAT_V3 = 3 };

/* The format of a kernel release string ("6.1.0-57-amd64"); V3 if unparsable. */
enum orc_format orc_format_for_release(const char *osrelease);

enum {
	ORC_MAX_ENTRIES = 4 << 20,		/* per table (vmlinux 6.1: ~385k) */
	ORC_MAX_TOTAL_ENTRIES = 8 << 20,	/* all tables together (~112 MB cached) */
	ORC_MAX_TABLES = 4096,			/* vmlinux + modules */
	ORC_MAX_STACK_SWITCHES = 8,		/* per unwind: task/IRQ/exception stacks */
};

struct orc_unwinder;

/* mem is borrowed and must outlive the unwinder. */
struct ck_error *orc_unwinder_create(const struct ck_memory *mem, enum orc_format fmt,
				     struct orc_unwinder **ret);
void orc_unwinder_destroy(struct orc_unwinder *u);	/* NULL is fine */

/*
 * Read and cache one ORC table: count int32 IPs at ip_table (each relative to
 * its own address) and count entries at orc_table, covering code in
 * [text_start, text_end).  A table need not be sorted (it is sorted here if
 * not).  CK_ERR_INPUT for a bad count or range, CK_ERR_FAULT if the table
 * cannot be read, CK_ERR_SYSTEM for I/O or memory.
 */
struct ck_error *orc_add_table(struct orc_unwinder *u, uint64_t ip_table, uint64_t orc_table,
			       uint64_t count, uint64_t text_start, uint64_t text_end);

/* vmlinux from its section symbols: the ip and entry tables must hold the same count. */
struct ck_error *orc_add_vmlinux(struct orc_unwinder *u, uint64_t start_ip, uint64_t stop_ip,
				 uint64_t start_orc, uint64_t stop_orc, uint64_t text_start,
				 uint64_t text_end);

/* Base registers (ORC_REG_*) and entry types, as the kernel numbers them in V3. */
enum orc_reg { ORC_REG_UNDEFINED, ORC_REG_PREV_SP, ORC_REG_DX, ORC_REG_DI, ORC_REG_BP,
	ORC_REG_SP, ORC_REG_R10, ORC_REG_R13, ORC_REG_BP_INDIRECT, ORC_REG_SP_INDIRECT };
enum orc_type { ORC_TYPE_UNDEFINED, ORC_TYPE_END_OF_STACK, ORC_TYPE_CALL, ORC_TYPE_REGS,
	ORC_TYPE_REGS_PARTIAL, ORC_TYPE_INVALID };

/* One entry decoded from any format. */
struct orc_entry_info {
	uint64_t start;			/* first IP the entry covers */
	int16_t sp_offset, bp_offset;
	uint8_t sp_reg, bp_reg;		/* enum orc_reg */
	uint8_t type;			/* enum orc_type */
	bool signal;			/* the next IP is exact, not a return address */
};

/* The entry covering ip (the last one starting at or below it); false if none. */
bool orc_find(const struct orc_unwinder *u, uint64_t ip, struct orc_entry_info *e);

/* Where an unwind is: the registers of one frame. */
struct orc_frame_state {
	uint64_t ip, sp, bp;
	bool bp_valid;			/* bp is known (the FP rules and fallback need it) */
	/*
	 * ip is the exact interrupted instruction (a vCPU's RIP, a pt_regs'
	 * ip, a task that never ran and sits at ret_from_fork) rather than a
	 * return address; return addresses are looked up at ip - 1.
	 */
	bool signal;
	/*
	 * Registers known in this frame (regs.present, machine.h bits): all of
	 * them from a vCPU, a pt_regs' after crossing one, only the iret frame
	 * (rip rsp rflags cs ss) after a partial one, none after a call.
	 * The R10/R13/DI/DX base registers of entry code come from here.
	 */
	struct x86_regs regs;
	/* The task stack [stack_lo, stack_hi) when the caller knows it; 0, 0 if not. */
	uint64_t stack_lo, stack_hi;
	unsigned nswitch;		/* stack switches so far (set to 0 at the start) */
};

/* A running vCPU's (or a pt_regs') registers: ip = rip, sp = rsp, bp = rbp, exact ip. */
void orc_state_from_regs(const struct x86_regs *r, uint64_t stack_lo, uint64_t stack_hi,
			 struct orc_frame_state *st);

/*
 * A task that is not running: thread_sp is task_struct.thread.sp, pointing at
 * its struct inactive_task_frame {r15, r14, r13, r12, bx, bp, ret_addr} (x86-64,
 * Linux 4.9+).  Starts at ip = ret_addr, sp = thread_sp + 56, bp = frame.bp.
 * A fault reading the frame is returned as CK_ERR_FAULT.
 */
enum { ORC_INACTIVE_FRAME_SIZE = 56, ORC_INACTIVE_FRAME_BP = 40, ORC_INACTIVE_FRAME_RET = 48 };
struct ck_error *orc_state_from_switch_frame(struct orc_unwinder *u, uint64_t thread_sp,
					     uint64_t stack_lo, uint64_t stack_hi,
					     struct orc_frame_state *st);

/* How orc_step() found the caller's frame. */
enum orc_step_kind {
	ORC_STEP_ORC,	/* from the ORC entry of ip: trust "orc" */
	ORC_STEP_REGS,	/* crossed a kernel-mode pt_regs (IRQ/exception entry): st.regs
			   are the interrupted registers, r.addr where they are */
	ORC_STEP_FP,	/* no ORC entry for ip: a plausible frame-pointer frame, trust
			   "frame-pointer" */
	ORC_STEP_USER,	/* reached the user-mode pt_regs at r.addr: st.regs are the user
			   registers (st.ip, st.sp user addresses); the unwind is over */
	ORC_STEP_END,	/* the bottom of the kernel stack; st unchanged */
	ORC_STEP_STOP,	/* cannot go on: r.why, r.addr; st unchanged */
};

struct orc_step {
	enum orc_step_kind kind;
	const char *why;	/* ORC_STEP_STOP: static text */
	uint64_t addr;		/* STOP: the address involved; REGS/USER: the pt_regs */
	bool partial;		/* REGS/USER: only the iret frame was saved (ip cs flags sp ss) */
	uint64_t orig_ax;	/* REGS/USER, full pt_regs: syscall number / error code / vector */
};

/*
 * Move st to the caller's frame and say how (*r).  A state already in user
 * mode (regs.cs & 3) or at ip 0 is the end.  Faults reading the stack
 * are an ORC_STEP_STOP, not an error; errors are only a broken file
 * (CK_ERR_INPUT) or CK_ERR_SYSTEM from the memory reader.
 */
struct ck_error *orc_step(struct orc_unwinder *u, struct orc_frame_state *st, struct orc_step *r);

/* "orc", "pt_regs", "frame-pointer", "user", "end", "stop". */
const char *orc_step_kind_name(enum orc_step_kind k);

#endif
