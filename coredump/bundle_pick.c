/*
 * bundle_pick.c - which VM and which checkpoint of a bundle to work on:
 * --vm NAME (the VM's displayName), or the one VM with a checkpoint.
 * Ambiguity is a usage error naming the candidates, so the user can choose.
 */
#include "bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle_name.h"

static int vm_has_checkpoint(const struct bundle_inventory *inv, size_t vm)
{
	for (size_t i = 0; i < inv->nfiles; i++)
		if (inv->files[i].vm == (int)vm &&
		    (inv->files[i].kind == BUNDLE_SUSPEND || inv->files[i].kind == BUNDLE_SNAPSHOT))
			return 1;
	return 0;
}

/* "a (dir), b (dir)" of the VMs vm[i] for which pick(i) holds (all when pick is NULL); malloc'd. */
static char *vm_list(const struct bundle_inventory *inv, int (*pick)(const struct bundle_inventory *, size_t),
		     const char *only_name)
{
	size_t cap = 1;
	for (size_t i = 0; i < inv->nvms; i++)
		cap += strlen(inv->vms[i].name) + strlen(inv->vms[i].dir) + 8;
	char *s = malloc(cap), *o = s;
	if (!s)
		return NULL;
	*o = 0;
	for (size_t i = 0; i < inv->nvms; i++) {
		if ((pick && !pick(inv, i)) || (only_name && strcmp(inv->vms[i].name, only_name) != 0))
			continue;
		o += sprintf(o, "%s%s (%s)", o == s ? "" : ", ", inv->vms[i].name, inv->vms[i].dir);
	}
	return s;
}

struct ck_error *bundle_pick_vm(const struct bundle_inventory *inv, const char *name, size_t *vm_ret)
{
	size_t n = 0, found = 0;
	for (size_t i = 0; i < inv->nvms; i++)
		if (name ? strcmp(inv->vms[i].name, name) == 0 : vm_has_checkpoint(inv, i)) {
			n++;
			found = i;
		}
	if (n == 1) {
		*vm_ret = found;
		return NULL;
	}
	char *list = vm_list(inv, name || n == 0 ? NULL : vm_has_checkpoint, n > 1 ? name : NULL);
	if (!list)
		return &ck_enomem;
	struct ck_error *err;
	if (!inv->nvms)
		err = ck_error_create(CK_ERR_USAGE, "%s: the bundle holds no VM", inv->path);
	else if (name && n == 0)
		err = ck_error_create(CK_ERR_USAGE, "%s: no VM named '%s' (VMs: %s)", inv->path, name, list);
	else if (name)
		err = ck_error_create(CK_ERR_USAGE, "%s: %zu VMs are named '%s': %s", inv->path, n, name, list);
	else if (n == 0)
		err = ck_error_create(CK_ERR_USAGE, "%s: no VM has a checkpoint (VMs: %s)", inv->path, list);
	else
		err = ck_error_create(CK_ERR_USAGE, "%s: %zu VMs have a checkpoint: %s (choose one with --vm NAME)",
				      inv->path, n, list);
	free(list);
	return err;
}

/* path without its extension (and .gz): "dir/x.vmss.gz" -> "dir/x" (malloc'd). */
static char *stem(const char *path)
{
	size_t n = strlen(path);
	if (n > 3 && strcmp(path + n - 3, ".gz") == 0)
		n -= 3;
	size_t dl = bundle_dir_len(path);
	size_t dot = n;
	while (dot > dl && path[dot - 1] != '.')
		dot--;
	return strndup(path, dot > dl + 1 ? dot - 1 : n);
}

struct ck_error *bundle_vm_checkpoint(const struct bundle_inventory *inv, size_t vm, const struct bundle_file **cpt_ret,
				      const struct bundle_file **vmem_ret)
{
	/* .vmss first (a suspend: what vm-support -Z takes of a hung VM), else .vmsn; X.vmss and X.vmss.gz are one */
	const struct bundle_file *pick = NULL;
	size_t n = 0;
	for (int kind = BUNDLE_SUSPEND; kind <= BUNDLE_SNAPSHOT && !pick; kind++) {
		n = 0;
		for (size_t i = 0; i < inv->nfiles; i++) {
			const struct bundle_file *f = &inv->files[i];
			if (f->vm != (int)vm || (int)f->kind != kind)
				continue;
			char *a = stem(f->path), *b = pick ? stem(pick->path) : NULL;
			if (!a || (pick && !b)) {
				free(a);
				free(b);
				return &ck_enomem;
			}
			if (!pick || strcmp(a, b) != 0)
				n++;
			if (!pick || (pick->gzip && !f->gzip && strcmp(a, b) == 0))
				pick = f;
			free(a);
			free(b);
		}
		if (n > 1) {
			size_t cap = 1;
			for (size_t i = 0; i < inv->nfiles; i++)
				cap += strlen(inv->files[i].path) + 2;
			char *list = malloc(cap), *o = list;
			if (!list)
				return &ck_enomem;
			*o = 0;
			for (size_t i = 0; i < inv->nfiles; i++)
				if (inv->files[i].vm == (int)vm && (int)inv->files[i].kind == kind)
					o += sprintf(o, "%s%s", o == list ? "" : ", ", inv->files[i].path);
			struct ck_error *err = ck_error_create(CK_ERR_USAGE, "%s: VM %s has %zu checkpoints: %s", inv->path,
							       inv->vms[vm].name, n, list);
			free(list);
			return err;
		}
	}
	if (!pick)
		return ck_error_create(CK_ERR_USAGE, "%s: VM %s (%s) has no checkpoint (.vmss, .vmsn)", inv->path,
				       inv->vms[vm].name, inv->vms[vm].dir);
	char *s = stem(pick->path);
	if (!s)
		return &ck_enomem;
	*vmem_ret = NULL;
	const struct bundle_file *gz = NULL;
	for (size_t i = 0; i < inv->nfiles; i++) {
		const struct bundle_file *f = &inv->files[i];
		size_t sl = strlen(s);
		if (f->kind != BUNDLE_VMEM || strncmp(f->path, s, sl) != 0 || f->path[sl] != '.')
			continue;
		if (strcmp(f->path + sl, ".vmem") == 0)
			*vmem_ret = f;
		else if (strcmp(f->path + sl, ".vmem.gz") == 0)
			gz = f;
	}
	if (!*vmem_ret)
		*vmem_ret = gz;
	free(s);
	*cpt_ret = pick;
	return NULL;
}
