/*
 * bundle_print.c - the inventory as text, one line per host, VM and file
 * (vmss2core --info BUNDLE): "KEY NAME: field value, field value, ...",
 * "-" for what is unknown, so that scripts can pick lines apart.
 */
#include "bundle.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "bundle_name.h"

/*
 * s with control bytes escaped (a name in a bundle may hold a newline): one
 * of eight rotating buffers, so that one fprintf can take several.
 */
struct esc {
	char *s[8];
	int next;
};

static const char *e(struct esc *b, const char *s)
{
	if (!s || !*s)
		return "-";
	free(b->s[b->next]);
	b->s[b->next] = bundle_name_escape(s);
	const char *r = b->s[b->next] ? b->s[b->next] : "?";
	b->next = (b->next + 1) % 8;
	return r;
}

void bundle_print(FILE *out, const struct bundle_inventory *inv)
{
	struct esc b = { { 0 }, 0 };
	fprintf(out, "bundle %s: %s, %zu host%s, %zu VM%s, %zu file%s, %zu warning%s\n", e(&b, inv->path),
		inv->is_dir ? "directory" : "archive", inv->nhosts, inv->nhosts == 1 ? "" : "s", inv->nvms,
		inv->nvms == 1 ? "" : "s", inv->nfiles, inv->nfiles == 1 ? "" : "s", inv->warnings.n,
		inv->warnings.n == 1 ? "" : "s");
	for (size_t i = 0; i < inv->nhosts; i++) {
		const struct bundle_host *h = &inv->hosts[i];
		fprintf(out, "host %s: root %s, product %s, version %s, build %s, release %s\n", e(&b, h->hostname),
			*h->root ? e(&b, h->root) : ".", e(&b, h->product), e(&b, h->version), e(&b, h->build),
			e(&b, h->release));
	}
	for (size_t i = 0; i < inv->nvms; i++) {
		const struct bundle_vm *v = &inv->vms[i];
		fprintf(out, "vm %s: dir %s, vmx %s, guestOS %s, host %s, vmInventory %s\n", e(&b, v->name), e(&b, v->dir),
			e(&b, v->vmx), e(&b, v->guest_os), v->host >= 0 ? e(&b, inv->hosts[v->host].hostname) : "-",
			e(&b, v->cfg_path));
	}
	for (size_t i = 0; i < inv->nfiles; i++) {
		const struct bundle_file *f = &inv->files[i];
		fprintf(out, "file %s: kind %s, vm %s, host %s, %" PRIu64 " bytes, %zu piece%s%s%s%s\n", e(&b, f->path),
			bundle_kind_name(f->kind), f->vm >= 0 ? e(&b, inv->vms[f->vm].name) : "-",
			f->host >= 0 ? e(&b, inv->hosts[f->host].hostname) : "-", f->size, f->npieces,
			f->npieces == 1 ? "" : "s", f->gzip ? ", gzip" : "", f->problem ? ", problem: " : "",
			f->problem ? e(&b, f->problem) : "");
	}
	for (int i = 0; i < 8; i++)
		free(b.s[i]);
}
