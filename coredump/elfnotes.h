/*
 * elfnotes.h - machine state from a raw ELF note section held in memory
 * (the notes a kdump-compressed file copies from /proc/vmcore or from the
 * ELF core makedumpfile read), for formats that are not ELF themselves.
 *
 * Understood: NT_PRSTATUS ("CORE") and QEMU CPU state ("QEMU" type 0), one
 * vCPU each, matched by order (layouts in elfcore_notes.h); VMCOREINFO (text
 * to m->meta.vmcoreinfo, CRASHTIME removed).  Other notes are skipped.
 */
#ifndef COREKIT_ELFNOTES_H
#define COREKIT_ELFNOTES_H

#include <stddef.h>
#include <stdint.h>

#include "machine.h"

/*
 * buf[0..len) is the note data found at file offset off of path (for error
 * messages).  Sets m's vCPUs (machine_set_ncpus) to the larger of the
 * NT_PRSTATUS and QEMU note counts.  A note that does not fit, or a CPU note
 * too short for its layout, is CK_ERR_INPUT naming path and its offset.
 */
struct ck_error *elfnotes_to_machine(const char *path, uint64_t off, const uint8_t *buf, size_t len,
				     struct machine *m);

/* vCPU notes seen so far by elfnote_machine(), in file order. */
struct elfnote_count {
	size_t nprstatus, nqemu;
};

/*
 * The one dispatcher of machine notes, for every note walker (the ELF core
 * reader's libelf loop and the raw loop above): an NT_PRSTATUS or QEMU CPU
 * state fills vCPU cnt->n* of m (m->ncpus bounds it) and counts it; a
 * VMCOREINFO note becomes m->meta.vmcoreinfo; other notes are ignored.  With
 * m NULL it only validates and counts.  name is namesz bytes (NUL included),
 * at is desc's file offset for error messages.
 */
struct ck_error *elfnote_machine(const char *path, uint64_t at, const uint8_t *name, uint32_t namesz, uint32_t type,
				 const uint8_t *desc, uint32_t descsz, struct machine *m, struct elfnote_count *cnt);

/*
 * The one decoder of each vCPU note, for every reader (ELF cores, kdump):
 * NT_PRSTATUS's pr_reg (user_regs_struct order; desc at least
 * ELFCORE_PRSTATUS_SIZE bytes) and QEMUCPUState v1 (everything NT_PRSTATUS
 * has, plus descriptors and control registers; at least QEMU_CPU_STATE_V1_MIN
 * bytes).  They set the registers they fill and their present bits.
 */
void elfnote_prstatus_regs(const uint8_t *desc, struct x86_regs *r);
void elfnote_qemu_regs(const uint8_t *desc, struct x86_regs *r);

#endif
