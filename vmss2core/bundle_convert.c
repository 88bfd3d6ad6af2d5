/* bundle_convert.c - a bundle VM's checkpoint to an ELF vmcore, in place over the captured .vmem when it can. */
#include "bundle_convert.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle_machine.h"
#include "cpt.h"
#include "cpt_load.h"
#include "outfile.h"

/*
 * Where the .vmem's copy goes: where elfcore_write() would put the RAM of
 * the checkpoint beside it, when that has streamed by already (the core is
 * then byte for byte the one of the files); else 0 (ELFCORE_IN_PLACE_ROOM).
 * A canonical .vmem (regions in address order, page-aligned) lies in the
 * core at data start + its own offset.
 */
static uint64_t vmem_offset(void *arg, struct bundle *b, const char *vmem_path)
{
	(void)arg;
	static const char *const ext[] = { ".vmss", ".vmsn" };
	size_t n = strlen(vmem_path);
	if (n < 5 || strcmp(vmem_path + n - 5, ".vmem") != 0)
		return 0;
	uint64_t room = 0;
	for (size_t i = 0; i < 2 && !room; i++) {
		char path[4096];
		struct bundle_view v;
		snprintf(path, sizeof(path), "%.*s%s", (int)(n - 5), vmem_path, ext[i]);
		if (!bundle_capture_peek(b, path, &v) || v.offset || v.inflated)
			continue;
		struct cpt_file *f = NULL;
		struct machine m;
		machine_init(&m);
		struct ck_error *err = cpt_create(v.path, &f);
		if (!err)
			err = cpt_cpu_load(f, &m);
		if (!err)
			err = cpt_memory_plan(f, UINT64_MAX & ~(uint64_t)4095, &m);
		/* canonical: the runs one after the other in the .vmem, in address order, from its start */
		int canonical = !err && m.nruns && m.runs[0].off == 0;
		for (size_t r = 1; canonical && r < m.nruns; r++)
			canonical = (uint64_t)m.runs[r].off == (uint64_t)m.runs[r - 1].off + m.runs[r - 1].len;
		if (canonical)
			room = elfcore_data_start(&m);
		ck_error_destroy(err);
		cpt_destroy(f);
		machine_deinit(&m);
	}
	return room == UINT64_MAX ? 0 : room;
}

struct bundle_options bundle_convert_options(const char *out_path, const char *vm, char *dir, size_t dirlen)
{
	const char *slash = strrchr(out_path, '/');
	if (!slash)
		snprintf(dir, dirlen, ".");
	else if (slash == out_path)
		snprintf(dir, dirlen, "/");
	else
		snprintf(dir, dirlen, "%.*s", (int)(slash - out_path), out_path);
	return (struct bundle_options){
		.stage_dir = dir,
		.capture_kinds = 1u << BUNDLE_SUSPEND | 1u << BUNDLE_SNAPSHOT | 1u << BUNDLE_VMEM,
		.capture_vm = vm,
		.vmem_offset = ELFCORE_IN_PLACE_ROOM,
		.vmem_offset_fn = vmem_offset,
	};
}

struct ck_error *bundle_convert_check(const char *bundle, const char *out_path)
{
	struct stat st;
	if (stat(bundle, &st) != 0 || !S_ISDIR(st.st_mode) || lstat(out_path, &st) != 0)
		return NULL;	/* an archive is protected as any input; a new file replaces nothing */
	char *dir = realpath(bundle, NULL), *out = realpath(out_path, NULL);
	struct ck_error *err = NULL;
	size_t n = dir ? strlen(dir) : 0;
	if (dir && out && strncmp(out, dir, n) == 0 && (out[n] == '/' || n == 1))
		err = ck_error_create(CK_ERR_USAGE, "%s: is a file of the bundle %s; refusing to overwrite an input",
				      out_path, bundle);
	free(dir);
	free(out);
	return err;
}

struct ck_error *bundle_convert(struct bundle *b, const char *vm, struct machine *m, struct elfcore_options *eo,
				struct bundle_convert_result *res)
{
	const struct bundle_inventory *inv = bundle_inventory(b);
	struct bundle_machine bm;
	*res = (struct bundle_convert_result){ 0 };
	struct ck_error *err = bundle_pick_vm(inv, vm, &res->vm);
	if (!err)
		err = bundle_machine_open(b, res->vm, m, &bm);
	if (err)
		return err;
	struct outfile out;
	if (bm.ram_in_vmem && bm.vmem_view.staged && elfcore_in_place_fits(m)) {
		const char *inputs[] = { inv->path };
		struct outfile_rules rules = { .force = eo->force, .inputs = inputs, .ninputs = 1 };
		err = outfile_adopt(&out, eo->out_path, &rules, bm.vmem_view.fd);
		if (err && err->kind == CK_ERR_SYSTEM) {
			/* cannot be linked there: write a new file instead */
			ck_error_destroy(err);
			err = NULL;
		} else if (!err) {
			eo->in_place = &out;
			res->in_place = 1;
		}
	}
	if (!err)
		err = elfcore_write(m, NULL, eo);
	eo->in_place = NULL;
	return err;
}
