/*
 * elfcore.h - write a struct machine as an ELF vmcore (ET_CORE, EM_X86_64).
 *
 * Layout written (see docs/vmcore-layout.md):
 *   PT_NOTE: per vCPU NT_PRSTATUS ("CORE", pr_pid = cpu + 1, user_regs_struct
 *            order) and a QEMU CPU-state note ("QEMU", QEMUCPUState v1) so crash
 *            computes KASLR unaided; NT_PRPSINFO; VMCOREINFO (if a kernel was found).
 *   PT_LOAD: one physical load per RAM run (p_vaddr 0), plus, when a Linux
 *            kernel was found, kdump-style virtual loads sharing the same file
 *            data: the kernel image (0xffffffff80000000 + PA - phys_base) and the
 *            direct map (page_offset_base + PA) for every run.
 * Zero pages become holes in a sparse output file.  The output is written to a
 * temporary file in the destination directory and renamed on success.
 */
#ifndef COREKIT_ELFCORE_H
#define COREKIT_ELFCORE_H

#include <stdint.h>
#include <stdio.h>

#include "linux_kernel.h"
#include "machine.h"
#include "outfile.h"

/* Called now and then while copying; done/total in bytes of guest RAM. */
typedef void elfcore_progress_fn(void *arg, uint64_t done, uint64_t total);

struct elfcore_options {
	const char *out_path;
	int force;			/* overwrite an existing out_path */
	elfcore_progress_fn *progress;	/* may be NULL */
	void *progress_arg;
	/*
	 * Optional: find the kernel in the same pass over RAM as the copy (one
	 * read of guest memory instead of two).  Every chunk copied is fed to
	 * scan; after the copy the scan is finished into *detected and the core
	 * is laid out for that kernel.  The kernel argument is then ignored.
	 */
	struct linux_kernel_scan *scan;
	struct linux_kernel *detected;
	/*
	 * Optional: the guest memory is already in the output, an outfile the
	 * caller opened with outfile_adopt(): every run of m is a MEM_RUN_FILE
	 * of that same file (checked).  Nothing is copied: the loads point at the
	 * runs where they are (elfcore_in_place_fits() says whether the
	 * headers fit in front), memory is only read (for the scan and
	 * progress) and the headers are written.  elfcore_write() commits or
	 * aborts *in_place either way; out_path and force are then unused.
	 */
	struct outfile *in_place;
};

/* Where elfcore_write() puts m's first memory data (the room for headers and notes, a multiple of 4096). */
uint64_t elfcore_data_start(const struct machine *m);
/* Do the headers of m's core fit before its runs' data, in place (every run a MEM_RUN_FILE)? */
int elfcore_in_place_fits(const struct machine *m);

/*
 * kernel may be NULL (or kernel->found == 0): physical PT_LOADs only, no
 * VMCOREINFO note.  The kernel-image loads need kernel->image_len and the
 * direct-map loads kernel->page_offset_base; either is skipped when 0.
 * Errors: CK_ERR_USAGE if out_path exists and !force; CK_ERR_SYSTEM for
 * I/O (ENOSPC, EIO, ...) naming out_path and the offset -- the temporary
 * file is removed and out_path is untouched; read errors from m pass up.
 */
struct ck_error *elfcore_write(const struct machine *m, const struct linux_kernel *kernel,
			       const struct elfcore_options *opts);

#endif
