/*
 * kernel_debuginfo.h - find the guest kernel's vmlinux (and its modules' .ko)
 * with DWARF and hand them to libdwfl where the kernel put them (KASLR offset,
 * module sections), so frames get file:line and inline frames.  Names, types and unwinding stay with the guest's own
 * kallsyms, BTF and ORC (fast, and the same with or without debug info).
 *
 * Where it looks, first match wins, a file counts only if its GNU build-id
 * equals VMCOREINFO's BUILD-ID:
 *   1. --vmlinux FILE (a mismatch is ignored with a warning naming both ids)
 *   2. DIR/.build-id/xx/rest{.debug,} for --debug-dir DIR and /usr/lib/debug
 *   3. /usr/lib/debug/boot/vmlinux-RELEASE, /boot/vmlinux-RELEASE,
 *      /lib/modules/RELEASE/build/vmlinux
 *   4. debuginfod (libdwfl's client) when DEBUGINFOD_URLS is set
 * Loaded modules are added by kernel_debuginfo_add_modules() (the .ko files
 * kernel_moddebug.h finds), with or without a vmlinux.
 * The vmlinux's units are indexed by address (cu_index.h) for
 * sym_resolver_set_cu_index(): libdwfl's own lookup reads most of the file.
 */
#ifndef COREKIT_KERNEL_DEBUGINFO_H
#define COREKIT_KERNEL_DEBUGINFO_H

#include <elfutils/libdwfl.h>
#include <stdbool.h>

#include "cu_index.h"
#include "error.h"
#include "kernel_moddebug.h"
#include "linux_kernel.h"
#include "strlist.h"
#include "symbols.h"

struct kernel_debuginfo {
	struct sym_config cfg;
	Dwfl *dwfl;			/* NULL: neither a vmlinux nor a module's .ko found */
	bool vmlinux;			/* a vmlinux is in dwfl */
	struct kmod_debug vmlinux_ud;	/* its libdwfl userdata: .path the file, NULL for debuginfod */
	Dwfl_Module *vmlinux_mod;	/* its module in dwfl */
	struct cu_index *cus;		/* its units by address, NULL: libdwfl's lookup (see cu_index.h) */
	uint64_t cus_bias;		/* its DWARF bias */
	struct kernel_moddebug mods;	/* modules in dwfl, each its own userdata */
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
/*
 * Add the DWARF of the loaded modules (kernel_moddebug.h) to d, at the
 * addresses where the kernel placed their sections; works with or without a
 * vmlinux.  What is not found is a warning; errors are CK_ERR_SYSTEM only.
 */
struct ck_error *kernel_debuginfo_add_modules(struct kernel_debuginfo *d, const struct ck_memory *mem,
					      struct ktypes *types, const struct kallsyms *ks, const char *release,
					      const char *debug_dir);

/* The vmlinux file in use, NULL if none (or fetched by debuginfod: see d->vmlinux). */
static inline const char *kernel_debuginfo_vmlinux(const struct kernel_debuginfo *d)
{
	return d->vmlinux ? d->vmlinux_ud.path : NULL;
}

void kernel_debuginfo_close(struct kernel_debuginfo *d);

#endif
