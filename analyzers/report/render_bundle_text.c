/* render_bundle_text.c - a bundle's inventory as the first block of the text report. */
#include "render.h"

#include <string.h>

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static size_t count_kind(const struct rpt_bundle_file *f, size_t n, const char *kind)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += strcmp(f[i].kind, kind) == 0;
	return k;
}

/* "; KIND: a (3 pieces), b (gzip)" for the files of one of the kinds, by base name. */
static void print_files(FILE *out, const struct rpt_bundle_file *f, size_t n, const char *label,
			const char *const *kinds)
{
	const char *sep = "; ";
	for (size_t i = 0; i < n; i++) {
		bool want = false;
		for (size_t k = 0; kinds[k]; k++)
			want |= strcmp(f[i].kind, kinds[k]) == 0;
		if (!want)
			continue;
		fprintf(out, "%s%s%s", sep, sep[0] == ';' ? label : "", base_name(f[i].path));
		sep = ", ";
		if (f[i].pieces > 1 || f[i].gzip || f[i].problem)
			fprintf(out, " (%zu piece%s%s%s%s)", f[i].pieces,
				f[i].pieces == 1 ? "" : "s", f[i].gzip ? ", gzip" : "", f[i].problem ? ", unusable: " : "",
				f[i].problem ? f[i].problem : "");
	}
}

static void print_logs_count(FILE *out, const struct rpt_bundle_file *f, size_t n, const char *kind)
{
	size_t k = count_kind(f, n, kind);
	fprintf(out, "%zu log%s", k, k == 1 ? "" : "s");
}

void render_bundle_text(FILE *out, const struct report *r)
{
	const struct rpt_bundle *b = &r->bundle;
	static const char *const checkpoints[] = { "suspend", "snapshot", "vmem", NULL };
	static const char *const cores[] = { "core", NULL }, *const zdumps[] = { "zdump", NULL };
	fprintf(out, "\n== bundle ==\n");
	for (size_t i = 0; i < b->nhosts; i++) {
		const struct rpt_bundle_host *h = &b->hosts[i];
		fprintf(out, "host:     %s: %s %s %s", h->name ? h->name : "?", h->product ? h->product : "?",
			h->version ? h->version : "?", h->build ? h->build : "?");
		if (h->release)
			fprintf(out, " (%s)", h->release);
		fprintf(out, "\n");
	}
	for (size_t i = 0; i < b->nvms; i++) {
		const struct rpt_bundle_vm *v = &b->vms[i];
		fprintf(out, "vm:       %s (%s) in %s: ", v->name ? v->name : "?", v->guest_os ? v->guest_os : "guest OS unknown",
			v->dir ? v->dir : "?");
		print_logs_count(out, v->files, v->nfiles, "vm-log");
		print_files(out, v->files, v->nfiles, "checkpoint ", checkpoints);
		print_files(out, v->files, v->nfiles, "cores ", cores);
		print_files(out, v->files, v->nfiles, "zdumps ", zdumps);
		fprintf(out, "%s\n", v->analysed ? " [analysed]" : "");
	}
	fprintf(out, "host files: ");
	print_logs_count(out, b->files, b->nfiles, "host-log");
	print_files(out, b->files, b->nfiles, "cores ", cores);
	print_files(out, b->files, b->nfiles, "zdumps ", zdumps);
	fprintf(out, "\n");
	size_t dumps = count_kind(b->files, b->nfiles, "zdump") + count_kind(b->files, b->nfiles, "core");
	for (size_t i = 0; i < b->nvms; i++)
		dumps += count_kind(b->vms[i].files, b->vms[i].nfiles, "zdump") +
			 count_kind(b->vms[i].files, b->vms[i].nfiles, "core");
	if (dumps)
		fprintf(out, "          (cores and zdumps are listed, not analysed: run coresummary on each)\n");
	if (b->checkpoint)
		fprintf(out, "analysed: %s's checkpoint %s%s%s\n", b->vm, b->checkpoint, b->vmem ? " + " : "",
			b->vmem ? base_name(b->vmem) : "");
	else
		fprintf(out, "analysed: no checkpoint (%s): the logs only\n", b->not_analysed ? b->not_analysed : "?");
	for (size_t i = 0; i < b->nwarnings; i++)
		fprintf(out, "warning:  %s\n", b->warnings[i]);
}
