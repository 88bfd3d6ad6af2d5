/*
 * bundle_print.c - the inventory as text, one line per host, VM and file
 * (vmss2core --info BUNDLE): "KEY NAME: field value, field value, ...",
 * "-" for what is unknown, so that scripts can pick lines apart.
 */
#include "bundle.h"

#include <inttypes.h>
#include <stdio.h>

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

void bundle_print(FILE *out, const struct bundle_inventory *inv)
{
	fprintf(out, "bundle %s: %s, %zu host%s, %zu VM%s, %zu file%s, %zu warning%s\n", inv->path,
		inv->is_dir ? "directory" : "archive", inv->nhosts, inv->nhosts == 1 ? "" : "s", inv->nvms,
		inv->nvms == 1 ? "" : "s", inv->nfiles, inv->nfiles == 1 ? "" : "s", inv->warnings.n,
		inv->warnings.n == 1 ? "" : "s");
	for (size_t i = 0; i < inv->nhosts; i++) {
		const struct bundle_host *h = &inv->hosts[i];
		fprintf(out, "host %s: root %s, product %s, version %s, build %s, release %s\n", or_dash(h->hostname),
			*h->root ? h->root : ".", or_dash(h->product), or_dash(h->version), or_dash(h->build),
			or_dash(h->release));
	}
	for (size_t i = 0; i < inv->nvms; i++) {
		const struct bundle_vm *v = &inv->vms[i];
		fprintf(out, "vm %s: dir %s, vmx %s, guestOS %s, host %s, vmInventory %s\n", v->name, or_dash(v->dir),
			or_dash(v->vmx), or_dash(v->guest_os), v->host >= 0 ? or_dash(inv->hosts[v->host].hostname) : "-",
			or_dash(v->cfg_path));
	}
	for (size_t i = 0; i < inv->nfiles; i++) {
		const struct bundle_file *f = &inv->files[i];
		fprintf(out, "file %s: kind %s, vm %s, host %s, %" PRIu64 " bytes, %zu piece%s%s%s%s\n", f->path,
			bundle_kind_name(f->kind), f->vm >= 0 ? inv->vms[f->vm].name : "-",
			f->host >= 0 ? or_dash(inv->hosts[f->host].hostname) : "-", f->size, f->npieces,
			f->npieces == 1 ? "" : "s", f->gzip ? ", gzip" : "", f->problem ? ", problem: " : "",
			f->problem ? f->problem : "");
	}
}
