/*
 * bundle_machine.h - a bundle VM's checkpoint as a struct machine, for both
 * programs (vmss2core converts it, coresummary analyses it): the checkpoint
 * bundle_vm_checkpoint() picks and its .vmem, materialised (captured while
 * the inventory was taken, staged in one pass, or a directory's own files;
 * .gz inflated), opened with the checkpoint reader.  Messages and
 * m->files[].path name the bundle's members, never the staged copies.
 */
#ifndef COREKIT_BUNDLE_MACHINE_H
#define COREKIT_BUNDLE_MACHINE_H

#include "bundle.h"
#include "machine.h"

struct bundle_machine {
	const struct bundle_file *cpt, *vmem;	/* vmem NULL: none in the bundle */
	struct bundle_view cpt_view, vmem_view;	/* vmem_view valid when the RAM is in the .vmem */
	int ram_in_vmem;
};

/* Open VM vm's checkpoint of b into m (machine_init'ed; the caller machine_deinit()s it, also on error). */
struct ck_error *bundle_machine_open(struct bundle *b, size_t vm, struct machine *m, struct bundle_machine *ret);

#endif
