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

#endif
