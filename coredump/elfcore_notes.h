/*
 * elfcore_notes.h - byte layouts of the x86-64 ELF core notes corekit reads
 * and writes, shared by elfcore_read.c and elfcore_write.c.
 *
 * NT_PRSTATUS ("CORE"): struct elf_prstatus of x86-64 Linux, 336 bytes;
 *   pr_pid at 32, pr_reg (27 x u64, user_regs_struct order) at 112.
 * NT_PRPSINFO ("CORE"): struct elf_prpsinfo, 136 bytes.
 * "QEMU" type 0: QEMUCPUState version 1 as QEMU's target/i386/arch_dump.c
 *   writes it: version, size, rax rbx rcx rdx rsi rdi rsp rbp r8..r15, rip,
 *   rflags, segments cs ds es fs gs ss ldt tr gdt idt ({u32 selector, limit,
 *   flags, pad; u64 base}), cr[5], and since QEMU 5.x kernel_gs_base: 440
 *   bytes (432 without kernel_gs_base, which readers must accept).
 * Everything is little-endian.
 */
#ifndef COREKIT_ELFCORE_NOTES_H
#define COREKIT_ELFCORE_NOTES_H

#include "machine.h"

enum {
	ELFCORE_PRSTATUS_SIZE = 336,
	ELFCORE_PRSTATUS_PID_OFF = 32,
	ELFCORE_PRSTATUS_REGS_OFF = 112,
	ELFCORE_NREG = 27,
	ELFCORE_PRPSINFO_SIZE = 136,

	QEMU_SEG_SELECTOR = 0, QEMU_SEG_LIMIT = 4, QEMU_SEG_FLAGS = 8, QEMU_SEG_BASE = 16,
	QEMU_SEG_SIZE = 24,
	QEMU_CPU_VERSION = 0, QEMU_CPU_SIZE = 4,
	QEMU_CPU_RAX = 8,			/* 16 GPRs in QEMU's order */
	QEMU_CPU_RIP = 8 + 16 * 8,
	QEMU_CPU_RFLAGS = QEMU_CPU_RIP + 8,
	QEMU_CPU_SEGS = QEMU_CPU_RFLAGS + 8,	/* cs ds es fs gs ss ldt tr gdt idt */
	QEMU_CPU_CR = QEMU_CPU_SEGS + 10 * QEMU_SEG_SIZE,
	QEMU_CPU_KERNEL_GS_BASE = QEMU_CPU_CR + 5 * 8,
	QEMU_CPU_STATE_V1_MIN = QEMU_CPU_KERNEL_GS_BASE,	/* 432 */
	QEMU_CPU_STATE_SIZE = QEMU_CPU_KERNEL_GS_BASE + 8,	/* 440 */
};

/* user_regs_struct slots that are not general-purpose registers (negative). */
/*
 * The writer's own note, so that a reader can tell a vmss2core vmcore from
 * QEMU's dump (both carry QEMU CPU-state notes): name "corekit", this type,
 * desc = "vmss2core VERSION" (NUL-terminated).  Debuggers ignore it.
 */
#define ELFCORE_WRITER_NOTE_NAME "corekit"
enum { ELFCORE_WRITER_NOTE_TYPE = 1, ELFCORE_WRITER_NOTE_MAX = 256 };

enum elfcore_ureg {
	ELFCORE_UREG_ORIG_RAX = -1, ELFCORE_UREG_RIP = -2, ELFCORE_UREG_CS = -3,
	ELFCORE_UREG_EFLAGS = -4, ELFCORE_UREG_SS = -5, ELFCORE_UREG_FS_BASE = -6,
	ELFCORE_UREG_GS_BASE = -7, ELFCORE_UREG_DS = -8, ELFCORE_UREG_ES = -9,
	ELFCORE_UREG_FS = -10, ELFCORE_UREG_GS = -11,
};

/*
 * pr_reg order: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi
 * orig_rax rip cs eflags rsp ss fs_base gs_base ds es fs gs.  Entries >= 0
 * are enum x86_gpr, negative ones enum elfcore_ureg.
 */
static const int elfcore_user_regs_order[ELFCORE_NREG] = {
	X86_R15, X86_R14, X86_R13, X86_R12, X86_RBP, X86_RBX, X86_R11, X86_R10, X86_R9, X86_R8,
	X86_RAX, X86_RCX, X86_RDX, X86_RSI, X86_RDI, ELFCORE_UREG_ORIG_RAX, ELFCORE_UREG_RIP,
	ELFCORE_UREG_CS, ELFCORE_UREG_EFLAGS, X86_RSP, ELFCORE_UREG_SS, ELFCORE_UREG_FS_BASE,
	ELFCORE_UREG_GS_BASE, ELFCORE_UREG_DS, ELFCORE_UREG_ES, ELFCORE_UREG_FS, ELFCORE_UREG_GS,
};

/* QEMUCPUState's GPR order and segment order, as enum x86_gpr / enum x86_seg. */
static const int qemu_gpr_order[16] = { X86_RAX, X86_RBX, X86_RCX, X86_RDX, X86_RSI, X86_RDI,
	X86_RSP, X86_RBP, X86_R8, X86_R9, X86_R10, X86_R11, X86_R12, X86_R13, X86_R14, X86_R15 };
static const int qemu_seg_order[8] = { X86_CS, X86_DS, X86_ES, X86_FS, X86_GS, X86_SS,
	X86_LDTR, X86_TR };

#endif
