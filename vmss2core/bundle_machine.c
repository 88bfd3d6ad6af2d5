/* bundle_machine.c - open a bundle VM's checkpoint (+ .vmem) with the checkpoint reader. */
#include "bundle_machine.h"

#include <string.h>

#include "cpt.h"
#include "cpt_load.h"

/* Does the checkpoint keep its RAM in a .vmem (no non-empty memory/Memory block)? */
static struct ck_error *ram_in_vmem(const struct bundle_view *cpt, int *ret)
{
	struct cpt_file *f;
	struct ck_error *err = cpt_create(cpt->path, &f);
	if (err)
		return ck_error_replace(err, cpt->path, cpt->name);
	const struct cpt_tag *t = cpt_find2(f, "memory", "Memory", 0, 0);
	if (!t)
		t = cpt_find_any(f, "memory", "Memory");
	*ret = !t || t->size == 0;
	cpt_destroy(f);
	return NULL;
}

struct ck_error *bundle_machine_open(struct bundle *b, size_t vm, struct machine *m, struct bundle_machine *ret)
{
	const struct bundle_inventory *inv = bundle_inventory(b);
	struct bundle_machine bm = { 0 };
	struct ck_error *err = bundle_vm_checkpoint(inv, vm, &bm.cpt, &bm.vmem);
	if (err)
		return err;
	/* both in one pass when there is a .vmem: a second pass over a .tgz costs as much as the first */
	const struct bundle_file *want[2] = { bm.cpt, bm.vmem };
	struct bundle_view views[2];
	if ((err = bundle_materialise(b, want, bm.vmem ? 2 : 1, BUNDLE_INFLATE, views)))
		return err;
	bm.cpt_view = views[0];
	if ((err = ram_in_vmem(&bm.cpt_view, &bm.ram_in_vmem)))
		return err;
	if (bm.ram_in_vmem && !bm.vmem)
		return ck_error_create(CK_ERR_INPUT, "%s: guest memory is not embedded and the bundle has no %.*s.vmem",
				       bm.cpt_view.name, (int)(strrchr(bm.cpt->path, '.') - bm.cpt->path
							       - (bm.cpt->gzip ? 5 : 0)), bm.cpt->path);
	if (bm.ram_in_vmem)
		bm.vmem_view = views[1];
	err = cpt_machine_open(bm.cpt_view.path, bm.ram_in_vmem ? bm.vmem_view.path : NULL,
			       bm.ram_in_vmem ? (uint64_t)bm.vmem_view.offset : 0, m);
	if (!err)
		err = machine_rename_file(m, bm.cpt_view.path, bm.cpt_view.name);
	if (!err && bm.ram_in_vmem)
		err = machine_rename_file(m, bm.vmem_view.path, bm.vmem_view.name);
	err = ck_error_replace(err, bm.cpt_view.path, bm.cpt_view.name);
	if (bm.ram_in_vmem)
		err = ck_error_replace(err, bm.vmem_view.path, bm.vmem_view.name);
	if (!err)
		*ret = bm;
	return err;
}
