/*
 * target_kernel.h - the Linux kernel target (target_kernel.c): a machine
 * image with a Linux kernel in it, analysed from guest memory alone
 * (kallsyms, BTF, ORC, the task list).  Kernel analyzers reach the kernel's
 * own facts through the accessors below; each returns NULL for any other
 * target, so an analyzer can test "is this a kernel?" with them.
 */
#ifndef COREKIT_TARGET_KERNEL_H
#define COREKIT_TARGET_KERNEL_H

#include "kallsyms.h"
#include "kernel_tasks.h"
#include "ktypes.h"
#include "linux_kernel.h"
#include "machine.h"
#include "memory.h"
#include "target.h"

/*
 * Build the kernel target over m for the kernel k that linux_kernel_detect()
 * found.  On success m's contents are moved in (m is left machine_init'ed);
 * on failure m is as it was.  Errors: CK_ERR_INPUT when the kernel's own tables (kallsyms, BTF,
 * ORC) cannot be used; the caller may fall back to the vCPU-only view.
 */
struct ck_error *target_kernel_create(struct machine *m, const struct linux_kernel *k, const char *path,
				      const struct target_core_options *opt, struct target **ret);

const struct linux_kernel *target_kernel_info(struct target *t, const struct machine **m);
const struct ktask_list *target_kernel_tasks(struct target *t);
const struct ck_memory *target_kernel_memory(struct target *t);
struct kallsyms *target_kernel_kallsyms(struct target *t);
struct ktypes *target_kernel_types(struct target *t);
/* The vmlinux whose DWARF gives file:line and inlines ("debuginfod" if fetched); NULL if none. */
const char *target_kernel_vmlinux(struct target *t);

#endif
