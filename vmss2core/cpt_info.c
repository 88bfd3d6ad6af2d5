/* cpt_info.c - human-readable description of a checkpoint's container. */
#include "cpt_info.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cpt_load.h"
#include "le.h"

enum { INFO_MAX_HEX = 128, INFO_MAX_TEXT = 256 };

/* Print s with non-printable bytes as \xNN. */
static void put_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isprint(c) && c != '\\')
			fputc(c, out);
		else
			fprintf(out, "\\x%02x", c);
	}
}

static void put_label(FILE *out, const struct cpt_file *f, const struct cpt_tag *t)
{
	put_escaped(out, f->groups[t->group].name);
	fputc('/', out);
	put_escaped(out, t->name);
	for (int i = 0; i < t->nidx; i++)
		fprintf(out, "[%u]", t->idx[i]);
}

/* 1 if b[0..n) is printable text followed only by NULs. */
static int is_text(const uint8_t *b, size_t n)
{
	size_t i = 0;
	while (i < n && b[i] && (isprint(b[i]) || b[i] == '\n' || b[i] == '\t'))
		i++;
	if (i == 0)
		return 0;
	while (i < n && b[i] == 0)
		i++;
	return i == n;
}

static void put_value(FILE *out, const struct cpt_file *f, const struct cpt_tag *t)
{
	if (t->flags & CPT_TAG_BLOCK)
		fprintf(out, "  block%s disk 0x%" PRIx64 " mem 0x%" PRIx64 " pad %u",
			(t->flags & CPT_TAG_COMPRESSED) ? " (compressed)" : "", t->size,
			t->mem_size, t->pad_len);
	if (t->size == 0 || t->size > INFO_MAX_TEXT || (t->flags & CPT_TAG_COMPRESSED))
		return;
	uint8_t b[INFO_MAX_TEXT];
	size_t n = (size_t)t->size;
	struct ck_error *err = cpt_pread(f, t->data_off, b, n);
	if (err) {
		fprintf(out, "  (unreadable)");
		ck_error_destroy(err);
		return;
	}
	if (!(t->flags & CPT_TAG_BLOCK) && n <= 8) {
		fprintf(out, "  = 0x%" PRIx64, le_get(b, n));
		if (n < 3 || !is_text(b, n))
			return;
	}
	if (is_text(b, n)) {
		fprintf(out, "  = \"");
		for (size_t i = 0; i < n && b[i]; i++) {
			if (b[i] == '\n')
				fputs("\\n", out);
			else if (b[i] == '\t')
				fputs("\\t", out);
			else
				fputc(b[i], out);
		}
		fputc('"', out);
		return;
	}
	if (n > INFO_MAX_HEX)
		return;
	fprintf(out, "  =");
	for (size_t i = 0; i < n; i++)
		fprintf(out, " %02x", b[i]);
}

static void print_regions(FILE *out, const struct cpt_file *f)
{
	const struct cpt_tag *mt = cpt_find2(f, "memory", "Memory", 0, 0);
	if (!mt)
		mt = cpt_find_any(f, "memory", "Memory");
	fprintf(out, "Checkpoint memory:\n");
	if (mt && mt->size > 0)
		fprintf(out, "  embedded Memory block at 0x%" PRIx64 ", 0x%" PRIx64 " bytes%s\n",
			mt->data_off, mt->size,
			(mt->flags & CPT_TAG_COMPRESSED) || mt->size != mt->mem_size ?
			" (compressed: not supported)" : "");
	else
		fprintf(out, "  not embedded: in the companion .vmem\n");
	const struct cpt_tag *ct = cpt_find0(f, "memory", "regionsCount");
	uint64_t n = 0;
	struct ck_error *err = ct ? cpt_read_uint(f, ct, &n) : NULL;
	if (err) {
		fprintf(out, "  regionsCount unreadable: %s\n", err->msg);
		ck_error_destroy(err);
		return;
	}
	if (n == 0) {
		fprintf(out, "  no regions: guest-physical 0 = first byte of memory\n");
		return;
	}
	fprintf(out, "  %" PRIu64 " regions:\n", n);
	for (uint32_t i = 0; i < n && i < CPT_MAX_REGIONS; i++) {
		static const char *const names[3] = { "regionPPN", "regionPageNum", "regionSize" };
		uint64_t v[3] = { 0, 0, 0 };
		int ok[3];
		for (int k = 0; k < 3; k++) {
			const struct cpt_tag *t = cpt_find1(f, "memory", names[k], i);
			struct ck_error *e2 = t ? cpt_read_uint(f, t, &v[k]) : NULL;
			ok[k] = t && !e2;
			ck_error_destroy(e2);
		}
		if (!ok[0] || !ok[2]) {
			fprintf(out, "    [%u] incomplete (missing or bad region tags)\n", i);
			continue;
		}
		fprintf(out, "    [%u] PA 0x%" PRIx64 "-0x%" PRIx64 " <- memory offset 0x%" PRIx64
			" (%" PRIu64 " pages)\n", i, v[0] * CPT_PAGE_SIZE, (v[0] + v[2]) * CPT_PAGE_SIZE,
			v[1] * CPT_PAGE_SIZE, v[2]);
	}
}

static void print_checkpoint_extras(FILE *out, const struct cpt_file *f)
{
	static const char *const ints[] = { "fileversion", "Platform", "memSize", "usageMode" };
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		const struct cpt_tag *t = cpt_find0(f, "Checkpoint", ints[i]);
		uint64_t v;
		struct ck_error *err = t ? cpt_read_uint(f, t, &v) : NULL;
		if (t && !err)
			fprintf(out, "  Checkpoint/%-12s %" PRIu64 "%s\n", ints[i], v,
				strcmp(ints[i], "memSize") == 0 ? " MiB" :
				strcmp(ints[i], "Platform") == 0 ? (v == 3 ? " (ARM64)" : " (x86)") : "");
		ck_error_destroy(err);
	}
}

void cpt_info_print_file(FILE *out, const struct cpt_file *f, int tags)
{
	fprintf(out, "Checkpoint container:\n");
	fprintf(out, "  file           %s (0x%" PRIx64 " bytes)\n", f->path, f->file_size);
	fprintf(out, "  magic          0x%08x (%d-byte block sizes)\n", f->magic, f->size_width);
	print_checkpoint_extras(out, f);
	fprintf(out, "  %zu groups, %zu tags:\n", f->ngroups, f->ntags);
	for (size_t i = 0; i < f->ngroups; i++) {
		const struct cpt_group *g = &f->groups[i];
		fprintf(out, "    ");
		put_escaped(out, g->name);
		fprintf(out, "  offset 0x%" PRIx64 " size 0x%" PRIx64 "%s  %zu tags\n", g->off, g->size,
			g->size ? "" : " (unknown)", g->ntags);
	}
	print_regions(out, f);
	if (!tags)
		return;
	fprintf(out, "Tags (offset, size, group/name[indices], value):\n");
	for (size_t i = 0; i < f->ntags; i++) {
		const struct cpt_tag *t = &f->tags[i];
		fprintf(out, "  0x%08" PRIx64 " %6" PRIu64 "  ", t->off, t->size);
		put_label(out, f, t);
		put_value(out, f, t);
		fputc('\n', out);
	}
}

struct ck_error *cpt_info_print_as(FILE *out, const char *path, const char *name, int tags)
{
	struct cpt_file *f;
	struct ck_error *err = cpt_create(path, &f);
	if (err)
		return err;
	char *shown = strdup(name);
	if (!shown) {
		cpt_destroy(f);
		return &ck_enomem;
	}
	free(f->path);
	f->path = shown;
	cpt_info_print_file(out, f, tags);
	cpt_destroy(f);
	return NULL;
}

struct ck_error *cpt_info_print(FILE *out, const char *path, int tags)
{
	return cpt_info_print_as(out, path, path, tags);
}

struct ck_error *cpt_info_machine_open(const char *path, const char *companion, struct machine *m,
				       const struct machine_format **fmt_ret,
				       struct ck_error **missing_ret)
{
	const struct machine_format *fmt = NULL;
	struct ck_error *err = machine_probe(path, &fmt);
	if (err)
		return err;
	if (fmt != &vmss_format) {
		*missing_ret = NULL;
		return machine_open(path, companion, m, fmt_ret);
	}
	struct cpt_file *f;
	if ((err = cpt_create(path, &f)))
		return err;
	struct ck_error *missing = NULL;
	struct cpt_memory mem;
	if (!(err = cpt_meta_load(f, m)) && !(err = cpt_cpu_load(f, m))) {
		if (!(err = cpt_memory_layout(f, companion, 0, &mem))) {
			err = cpt_memory_add_runs(&mem, m);
			cpt_memory_fini(&mem);
		} else if (err->kind == CK_ERR_INPUT && cpt_memory_missing(f, companion)) {
			/* the .vmem is absent or unnamed: everything else is still worth showing */
			missing = err;
			err = NULL;
		}
	}
	cpt_destroy(f);
	if (err)
		return err;
	if (fmt_ret)
		*fmt_ret = fmt;
	*missing_ret = missing;
	return NULL;
}
