/*
 * kernel_debuginfo.h - find the guest kernel's vmlinux with DWARF and hand
 * it to libdwfl at the kernel's KASLR offset, so frames get file:line and
 * inline frames.  Names, types and unwinding stay with the guest's own
 * kallsyms, BTF and ORC (fast, and the same with or without debug info).
 *
 * Where it looks, first match wins, a file counts only if its GNU build-id
 * equals VMCOREINFO's BUILD-ID:
 *   1. --vmlinux FILE (a mismatch is ignored with a warning naming both ids)
 *   2. DIR/.build-id/xx/rest{.debug,} for --debug-dir DIR and /usr/lib/debug
 *   3. /usr/lib/debug/boot/vmlinux-RELEASE, /boot/vmlinux-RELEASE,
 *      /lib/modules/RELEASE/build/vmlinux
 *   4. debuginfod (libdwfl's client) when DEBUGINFOD_URLS is set
 */
#ifndef COREKIT_KERNEL_DEBUGINFO_H
#define COREKIT_KERNEL_DEBUGINFO_H

#include <elfutils/libdwfl.h>

#include "error.h"
#include "linux_kernel.h"
#include "strlist.h"
#include "symbols.h"

struct kernel_debuginfo {
	struct sym_config cfg;
	Dwfl *dwfl;			/* NULL: no vmlinux found */
	char *path;			/* the vmlinux used, or NULL (debuginfod: libdwfl's cache path) */
	struct strlist warnings;	/* one line each */
};

/*
 * Look for the vmlinux of kernel k (build_id: hex text from VMCOREINFO, may
 * be NULL).  [text_lo, text_hi): the running kernel image (_text.._end from
 * kallsyms), where a vmlinux fetched by build-id is placed.  Not finding one is not an error (dwfl stays NULL, a warning says
 * so); errors are only CK_ERR_SYSTEM and a --vmlinux that cannot be read.
 */
struct ck_error *kernel_debuginfo_open(struct kernel_debuginfo *d, const struct linux_kernel *k,
				       const char *build_id, const char *vmlinux, const struct sym_options *opt,
				       uint64_t text_lo, uint64_t text_hi);
void kernel_debuginfo_close(struct kernel_debuginfo *d);

#endif
