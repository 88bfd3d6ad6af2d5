/* bundle_convert.c - a bundle VM's checkpoint to an ELF vmcore, in place over the captured .vmem when it can. */
#include "bundle_convert.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle_machine.h"
#include "outfile.h"

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
	if (bm.ram_in_vmem && bm.vmem_view.staged && (uint64_t)bm.vmem_view.offset >= elfcore_headers_max(m)) {
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
