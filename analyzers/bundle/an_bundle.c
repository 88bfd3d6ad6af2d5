/*
 * an_bundle.c - the bundle analyzer: a bundle target's inventory into the
 * report (report.bundle): hosts, VMs with their logs, checkpoints, cores
 * and zdumps, the host's files, which VM's checkpoint was analysed (or why
 * none), the reader's and the target's warnings; and each log of the
 * timeline tagged with its VM.  Runs after the logs analyzer.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "target_bundle.h"

static int dup_to(char **dst, const char *s)
{
	*dst = NULL;
	return !s || (*dst = strdup(s)) != NULL;
}

/* The files the report lists: logs, checkpoints, cores, zdumps (not .vmx, nested archives, others). */
static int listed(const struct bundle_file *f)
{
	switch (f->kind) {
	case BUNDLE_VM_LOG: case BUNDLE_HOST_LOG: case BUNDLE_SUSPEND: case BUNDLE_SNAPSHOT:
	case BUNDLE_VMEM: case BUNDLE_CORE: case BUNDLE_ZDUMP:
		return 1;
	default:
		return 0;
	}
}

/* Append the listed files of VM vm (-1: of none) to *files. */
static struct ck_error *add_files(const struct bundle_inventory *inv, int vm, struct rpt_bundle_file **files,
				  size_t *n)
{
	size_t k = 0;
	for (size_t i = 0; i < inv->nfiles; i++)
		k += inv->files[i].vm == vm && listed(&inv->files[i]);
	if (!k)
		return NULL;
	if (!(*files = calloc(k, sizeof(**files))))
		return &ck_enomem;
	for (size_t i = 0; i < inv->nfiles; i++) {
		const struct bundle_file *f = &inv->files[i];
		if (f->vm != vm || !listed(f))
			continue;
		struct rpt_bundle_file *o = &(*files)[(*n)++];
		*o = (struct rpt_bundle_file){ .kind = bundle_kind_name(f->kind), .size = f->size, .pieces = f->npieces,
					       .gzip = f->gzip != 0 };
		if (!(dup_to(&o->path, f->path) & dup_to(&o->problem, f->problem)))
			return &ck_enomem;
	}
	return NULL;
}

static struct ck_error *add_warnings(struct rpt_bundle *rb, const struct strlist *w)
{
	if (!w || !w->n)
		return NULL;
	char **all = realloc(rb->warnings, (rb->nwarnings + w->n) * sizeof(*all));
	if (!all)
		return &ck_enomem;
	rb->warnings = all;
	for (size_t i = 0; i < w->n; i++)
		if (!(rb->warnings[rb->nwarnings++] = strdup(w->s[i])))
			return &ck_enomem;
	return NULL;
}

static struct ck_error *bundle_run(struct target *t, const struct analyzer_options *opt, struct report *r)
{
	(void)opt;
	const struct target_bundle_info *bi = target_bundle_info(t);
	if (!bi)
		return NULL;
	const struct bundle_inventory *inv = bi->inv;
	struct rpt_bundle *rb = &r->bundle;
	rb->present = true;
	if (!dup_to(&rb->path, inv->path))
		return &ck_enomem;
	if (inv->nhosts && !(rb->hosts = calloc(inv->nhosts, sizeof(*rb->hosts))))
		return &ck_enomem;
	for (size_t i = 0; i < inv->nhosts; i++) {
		const struct bundle_host *h = &inv->hosts[i];
		struct rpt_bundle_host *o = &rb->hosts[rb->nhosts++];
		if (!(dup_to(&o->root, h->root) & dup_to(&o->name, h->hostname) & dup_to(&o->product, h->product) &
		      dup_to(&o->version, h->version) & dup_to(&o->build, h->build) & dup_to(&o->release, h->release)))
			return &ck_enomem;
	}
	if (inv->nvms && !(rb->vms = calloc(inv->nvms, sizeof(*rb->vms))))
		return &ck_enomem;
	struct ck_error *err = NULL;
	for (size_t i = 0; i < inv->nvms && !err; i++) {
		const struct bundle_vm *v = &inv->vms[i];
		struct rpt_bundle_vm *o = &rb->vms[rb->nvms++];
		o->host = v->host;
		o->analysed = bi->cpt && bi->vm == (long)i;
		if (!(dup_to(&o->name, v->name) & dup_to(&o->guest_os, v->guest_os) & dup_to(&o->dir, v->dir) &
		      dup_to(&o->vmx, v->vmx)))
			return &ck_enomem;
		err = add_files(inv, (int)i, &o->files, &o->nfiles);
	}
	if (err || (err = add_files(inv, -1, &rb->files, &rb->nfiles)))
		return err;
	if (bi->cpt && !(dup_to(&rb->vm, inv->vms[bi->vm].name) & dup_to(&rb->checkpoint, bi->cpt->path) &
			 dup_to(&rb->vmem, bi->vmem ? bi->vmem->path : NULL)))
		return &ck_enomem;
	if (!dup_to(&rb->not_analysed, bi->not_analysed))
		return &ck_enomem;
	if ((err = add_warnings(rb, &inv->warnings)) || (err = add_warnings(rb, bi->warnings)))
		return err;
	/* each log of the timeline: whose it is */
	for (size_t i = 0; i < r->nlogs; i++)
		for (size_t k = 0; k < inv->nfiles; k++) {
			const struct bundle_file *f = &inv->files[k];
			if (f->vm < 0 || strcmp(f->path, r->logs[i].source) != 0)
				continue;
			if (!dup_to(&r->logs[i].vm, inv->vms[f->vm].name))
				return &ck_enomem;
			break;
		}
	return NULL;
}

const struct analyzer analyzer_bundle = {
	.name = "bundle",
	.summary = "vm-support bundles: hosts, VMs and their files, which checkpoint was analysed, warnings",
	.targets = TARGET_BUNDLE,
	.run = bundle_run,
};
