/*
 * target_bundle.c - a vm-support bundle as a target: composed, not a new
 * reader.  The bundle (bundle.h) gives the inventory and readable views;
 * the logs (every VM's vmware*.log, the host's vmkernel/hostd/vobd logs,
 * rotated .gz ones inflated) go to the logs analyzer through ops.logs; the
 * checkpoint of the VM picked (--vm, else the one VM with one) is opened as
 * the machine target (target_machine_open on the views) and every memory,
 * thread, unwind and symbol op is delegated to it.  Its kind is
 * TARGET_BUNDLE | TARGET_LOG, | TARGET_KERNEL_IMAGE with a checkpoint, so
 * analyzers_run() runs the kernel analyzers, the logs analyzer and the
 * bundle analyzer on it.
 *
 * The checkpoint and its VM's logs are captured while the inventory pass
 * streams by (bundle_options.capture_*); everything else wanted (the host's
 * and other VMs' logs) is materialised in one call, so one pass over the
 * archive after the inventory's, which stops after the last of them; only when that fails (a damaged member, no
 * space for a staged copy) is each file tried alone, and those that still
 * fail are warnings naming them.  Staged copies are unnamed files in
 * $TMPDIR (bundle.h), freed at close or with the process.
 */
#include "target_bundle.h"

#include <stdlib.h>
#include <string.h>

struct bundle_target {
	struct target base;
	char *path;
	struct bundle *b;
	struct target *image;		/* the checkpoint's target, NULL none */
	struct target_bundle_info info;
	char *not_analysed;
	struct strlist warnings;
	struct bundle_view *views;	/* the logs' (paths point into them) */
	const char **paths, **names;
	size_t nlogs;
};

#define BT(t) ((struct bundle_target *)(t))

static struct ck_error *bt_read(struct target *t, uint64_t addr, void *buf, size_t len)
{
	struct target *im = BT(t)->image;
	if (im)
		return im->ops->read(im, addr, buf, len);
	return ck_error_create(CK_ERR_INPUT, "%s: no checkpoint analysed: no memory (address 0x%llx)", t->path,
			       (unsigned long long)addr);
}

static size_t bt_nthreads(struct target *t)
{
	struct target *im = BT(t)->image;
	return im ? im->ops->nthreads(im) : 0;
}

static const struct target_thread *bt_thread(struct target *t, size_t i)
{
	struct target *im = BT(t)->image;
	return im ? im->ops->thread(im, i) : NULL;
}

static struct ck_error *bt_unwind(struct target *t, size_t i, size_t max, struct target_frame **frames, size_t *n,
				  bool *incomplete)
{
	struct target *im = BT(t)->image;
	if (im)
		return im->ops->unwind(im, i, max, frames, n, incomplete);
	*frames = NULL;
	*n = 0;
	*incomplete = false;
	return ck_error_create(CK_ERR_INPUT, "%s: no checkpoint analysed: no threads to unwind", t->path);
}

static struct sym_resolver *bt_symbols(struct target *t)
{
	struct target *im = BT(t)->image;
	return im ? im->ops->symbols(im) : NULL;
}

static struct ck_error *bt_warnings(struct target *t, const char *const **list, size_t *n)
{
	struct target *im = BT(t)->image;
	if (im && im->ops->warnings)
		return im->ops->warnings(im, list, n);
	*list = NULL;
	*n = 0;
	return NULL;
}

static const char *bt_unwind_stop(struct target *t, size_t i)
{
	struct target *im = BT(t)->image;
	return im && im->ops->unwind_stop ? im->ops->unwind_stop(im, i) : NULL;
}

static struct target *bt_image(struct target *t)
{
	return BT(t)->image;
}

static struct ck_error *bt_logs(struct target *t, const char *const **paths, const char *const **names, size_t *n)
{
	*paths = BT(t)->paths;
	*names = BT(t)->names;
	*n = BT(t)->nlogs;
	return NULL;
}

static void bt_destroy(struct target *t)
{
	struct bundle_target *bt = BT(t);
	if (!bt)
		return;
	target_destroy(bt->image);
	bundle_close(bt->b);
	strlist_free(&bt->warnings);
	free(bt->not_analysed);
	free(bt->views);
	free(bt->paths);
	free(bt->names);
	free(bt->path);
	free(bt);
}

#define BUNDLE_OPS(k)                                                                                               \
	{                                                                                                           \
		.name = "bundle", .kind = (k), .read = bt_read, .nthreads = bt_nthreads, .thread = bt_thread,       \
		.unwind = bt_unwind, .symbols = bt_symbols, .process = NULL, .destroy = bt_destroy,                 \
		.warnings = bt_warnings, .unwind_stop = bt_unwind_stop, .image = bt_image, .logs = bt_logs,         \
	}

static const struct target_ops bundle_logs_ops = BUNDLE_OPS(TARGET_BUNDLE | TARGET_LOG);
static const struct target_ops bundle_image_ops = BUNDLE_OPS(TARGET_BUNDLE | TARGET_LOG | TARGET_KERNEL_IMAGE);

/* The logs read: every VM's vmware*.log, and the host's vmkernel, hostd and vobd logs (rotated ones too). */
static int wanted_log(const struct bundle_file *f)
{
	if (f->kind == BUNDLE_VM_LOG)
		return 1;
	if (f->kind != BUNDLE_HOST_LOG)
		return 0;
	const char *base = strrchr(f->path, '/');
	base = base ? base + 1 : f->path;
	static const char *const prefixes[] = { "vmkernel.", "hostd.", "vobd." };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(base, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

static size_t vms_with_checkpoint(const struct bundle_inventory *inv)
{
	size_t n = 0;
	for (size_t vm = 0; vm < inv->nvms; vm++)
		for (size_t i = 0; i < inv->nfiles; i++)
			if (inv->files[i].vm == (int)vm &&
			    (inv->files[i].kind == BUNDLE_SUSPEND || inv->files[i].kind == BUNDLE_SNAPSHOT)) {
				n++;
				break;
			}
	return n;
}

/* No checkpoint analysed, and why (also a warning when it is a loss, not a choice). */
static struct ck_error *skip_checkpoint(struct bundle_target *bt, int warn, const char *fmt, const char *a,
				       const char *b)
{
	free(bt->not_analysed);
	if (asprintf(&bt->not_analysed, fmt, a, b) < 0) {
		bt->not_analysed = NULL;
		return &ck_enomem;
	}
	bt->info.cpt = bt->info.vmem = NULL;
	return warn ? strlist_addf(&bt->warnings, "checkpoint not analysed: %s", bt->not_analysed) : NULL;
}

/* Which VM, which checkpoint: --vm, else the one VM with one (several: a usage error naming them). */
static struct ck_error *pick(struct bundle_target *bt, const char *vm_name)
{
	const struct bundle_inventory *inv = bt->info.inv;
	size_t vm;
	bt->info.vm = -1;
	if (!vm_name && vms_with_checkpoint(inv) == 0)
		return skip_checkpoint(bt, 0, "no VM in the bundle has a checkpoint%s%s", "", "");
	struct ck_error *err = bundle_pick_vm(inv, vm_name, &vm);
	if (err)
		return err;
	bt->info.vm = (long)vm;
	if ((err = bundle_vm_checkpoint(inv, vm, &bt->info.cpt, &bt->info.vmem))) {
		if (err->kind == CK_ERR_SYSTEM)
			return err;
		struct ck_error *e2 = skip_checkpoint(bt, 0, "%s%s", err->msg, "");
		ck_error_destroy(err);
		return e2;
	}
	const struct bundle_file *bad = bt->info.cpt->problem ? bt->info.cpt
				      : bt->info.vmem && bt->info.vmem->problem ? bt->info.vmem : NULL;
	return bad ? skip_checkpoint(bt, 1, "%s: %s", bad->path, bad->problem) : NULL;
}

/*
 * Make want[0..n) readable in one call (one pass over the archive); if that
 * fails, each alone, and ok[i] says which are readable.  Out of memory is
 * the only error; the rest are warnings naming the file.
 */
static struct ck_error *materialise(struct bundle_target *bt, const struct bundle_file **want, size_t n,
				    struct bundle_view *views, int *ok)
{
	struct ck_error *err = n ? bundle_materialise(bt->b, want, n, BUNDLE_INFLATE, views) : NULL;
	for (size_t i = 0; i < n; i++)
		ok[i] = !err;
	if (!err)
		return NULL;
	if (err == &ck_enomem)
		return err;
	ck_error_destroy(err);
	for (size_t i = 0; i < n; i++) {
		if (!(err = bundle_materialise(bt->b, &want[i], 1, BUNDLE_INFLATE, &views[i]))) {
			ok[i] = 1;
			continue;
		}
		if (err == &ck_enomem)
			return err;
		struct ck_error *w = strlist_addf(&bt->warnings, "%s: left out: %s", want[i]->path, err->msg);
		ck_error_destroy(err);
		if (w)
			return w;
	}
	return NULL;
}

/* Open the checkpoint's views as the machine target; a checkpoint that does not open is a warning. */
static struct ck_error *open_image(struct bundle_target *bt, const struct target_core_options *opt,
				   const struct bundle_view *cpt, const struct bundle_view *vmem)
{
	struct target_core_options o = opt ? *opt : (struct target_core_options){ 0 };
	o.name = cpt->name;
	o.companion = vmem ? vmem->path : NULL;
	o.companion_name = vmem ? vmem->name : NULL;
	struct ck_error *err = target_machine_open(cpt->path, &o, &bt->image);
	if (!err || err->kind == CK_ERR_SYSTEM)
		return err;
	bt->image = NULL;
	err = ck_error_replace(err, cpt->path, cpt->name);
	if (vmem)
		err = ck_error_replace(err, vmem->path, vmem->name);
	struct ck_error *e2 = skip_checkpoint(bt, 1, "%s%s", err->msg, "");
	ck_error_destroy(err);
	return e2;
}

struct ck_error *target_bundle_open(const char *path, const struct target_core_options *opt, struct target **ret)
{
	struct bundle_target *bt = calloc(1, sizeof(*bt));
	if (!bt)
		return &ck_enomem;
	bt->base.ops = &bundle_logs_ops;
	struct ck_error *err = NULL;
	const struct bundle_file **want = NULL;
	int *ok = NULL;
	if (!(bt->path = strdup(opt && opt->name ? opt->name : path))) {
		err = &ck_enomem;
		goto fail;
	}
	bt->base.path = bt->path;
	/* the checkpoint (and its VM's logs) captured as the inventory pass streams by: no second pass over them */
	struct bundle_options bo = {
		.capture_kinds = 1u << BUNDLE_SUSPEND | 1u << BUNDLE_SNAPSHOT | 1u << BUNDLE_VMEM | 1u << BUNDLE_VM_LOG,
		.capture_vm = opt ? opt->vm : NULL,
	};
	if ((err = bundle_open(path, &bo, &bt->b)))
		goto fail;
	const struct bundle_inventory *inv = bundle_inventory(bt->b);
	bt->info.inv = inv;
	if ((err = pick(bt, opt ? opt->vm : NULL)))
		goto fail;
	/* the logs, then the checkpoint and its .vmem: all in one request */
	size_t n = 0, cap = inv->nfiles + 2;
	want = calloc(cap, sizeof(*want));
	ok = calloc(cap, sizeof(*ok));
	bt->views = calloc(cap, sizeof(*bt->views));
	bt->paths = calloc(cap, sizeof(*bt->paths));
	bt->names = calloc(cap, sizeof(*bt->names));
	if (!want || !ok || !bt->views || !bt->paths || !bt->names) {
		err = &ck_enomem;
		goto fail;
	}
	for (size_t i = 0; i < inv->nfiles; i++) {
		const struct bundle_file *f = &inv->files[i];
		if (!wanted_log(f))
			continue;
		if (f->problem) {
			if ((err = strlist_addf(&bt->warnings, "%s: left out: %s", f->path, f->problem)))
				goto fail;
			continue;
		}
		want[n++] = f;
	}
	size_t nlogs = n;
	if (bt->info.cpt)
		want[n++] = bt->info.cpt;
	if (bt->info.vmem)
		want[n++] = bt->info.vmem;
	if ((err = materialise(bt, want, n, bt->views, ok)))
		goto fail;
	for (size_t i = 0; i < nlogs; i++)
		if (ok[i]) {
			bt->views[bt->nlogs] = bt->views[i];
			bt->paths[bt->nlogs] = bt->views[bt->nlogs].path;
			bt->names[bt->nlogs++] = want[i]->path;
		}
	if (bt->info.cpt) {
		const struct bundle_file *lost = !ok[nlogs] ? bt->info.cpt
					       : bt->info.vmem && !ok[nlogs + 1] ? bt->info.vmem : NULL;
		if (lost)
			err = skip_checkpoint(bt, 0, "%s could not be read from the bundle%s", lost->path, "");
		else
			err = open_image(bt, opt, &bt->views[nlogs], bt->info.vmem ? &bt->views[nlogs + 1] : NULL);
		if (err)
			goto fail;
	}
	if (bt->image)
		bt->base.ops = &bundle_image_ops;
	bt->info.not_analysed = bt->not_analysed;
	bt->info.warnings = &bt->warnings;
	free(want);
	free(ok);
	*ret = &bt->base;
	return NULL;
fail:
	free(want);
	free(ok);
	bt_destroy(&bt->base);
	return err;
}

const struct target_bundle_info *target_bundle_info(struct target *t)
{
	return t && t->ops->destroy == bt_destroy ? &BT(t)->info : NULL;
}
