/*
 * cpt_memory.c - where a checkpoint's guest RAM is: the embedded `Memory`
 * block or the sibling .vmem, cut into regions by regionPPN/regionPageNum/
 * regionSize (the canonical mapping: PA in [PPN, PPN+Size) pages lies at
 * blob + PageNum*4K + (PA - PPN*4K)).
 */
#include "cpt_load.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char group_memory[] = "memory";

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && strcmp(s + n - k, suf) == 0;
}

static struct ck_error *vmem_name(const char *path, char **ret)
{
	if (!has_suffix(path, ".vmss") && !has_suffix(path, ".vmsn"))
		return ck_error_create(CK_ERR_INPUT, "%s: guest memory is not embedded and the "
				       ".vmem name cannot be derived (give FILE.vmem as well)", path);
	char *s = strdup(path);
	if (!s)
		return &ck_enomem;
	memcpy(s + strlen(s) - 4, "vmem", 4);
	*ret = s;
	return NULL;
}

/* The `Memory` tag: [0][0] as written by every known producer, else any. */
static const struct cpt_tag *memory_tag(const struct cpt_file *f)
{
	const struct cpt_tag *t = cpt_find2(f, group_memory, "Memory", 0, 0);
	return t ? t : cpt_find_any(f, group_memory, "Memory");
}

int cpt_memory_missing(const struct cpt_file *f, const char *companion)
{
	const struct cpt_tag *t = memory_tag(f);
	if (t && t->size > 0)
		return 0;
	char *vmem = NULL;
	struct ck_error *err = companion ? NULL : vmem_name(f->path, &vmem);
	if (err) {
		int unnamed = err->kind == CK_ERR_INPUT;
		ck_error_destroy(err);
		return unnamed;
	}
	struct stat st;
	int missing = stat(companion ? companion : vmem, &st) < 0;
	free(vmem);
	return missing;
}

static struct ck_error *read_region_tag(const struct cpt_file *f, const char *name, uint32_t i,
					int optional, uint64_t *v, uint64_t *off)
{
	const struct cpt_tag *t = cpt_find1(f, group_memory, name, i);
	if (!t) {
		if (optional) {
			*v = 0;
			return NULL;
		}
		return ck_error_create(CK_ERR_INPUT, "%s: memory group: no %s[%u] tag", f->path, name, i);
	}
	if (off)
		*off = t->off;
	return cpt_read_uint(f, t, v);
}

static int region_cmp(const void *a, const void *b)
{
	const struct cpt_region *x = a, *y = b;
	return x->ppn < y->ppn ? -1 : x->ppn > y->ppn;
}

static struct ck_error *read_regions(const struct cpt_file *f, struct cpt_memory *mem)
{
	const struct cpt_tag *ct = cpt_find0(f, group_memory, "regionsCount");
	uint64_t count = 0;
	struct ck_error *err;
	if (ct && (err = cpt_read_uint(f, ct, &count)))
		return err;
	if (count == 0) {
		mem->identity = 1;
		return NULL;
	}
	if (count > CPT_MAX_REGIONS)
		return ck_error_at(f->path, (unsigned long long)ct->off,
				   "memory/regionsCount %" PRIu64 " exceeds the limit of %d", count,
				   CPT_MAX_REGIONS);
	mem->regions = calloc((size_t)count, sizeof(*mem->regions));
	if (!mem->regions)
		return &ck_enomem;
	uint64_t blob_pages = mem->blob_size / CPT_PAGE_SIZE;
	const uint64_t max_ppn = UINT64_MAX / CPT_PAGE_SIZE;
	for (uint32_t i = 0; i < count; i++) {
		struct cpt_region r = { 0 };
		uint64_t size_off = 0;
		if ((err = read_region_tag(f, "regionPPN", i, 0, &r.ppn, &r.tag_off)) ||
		    (err = read_region_tag(f, "regionPageNum", i, count == 1, &r.page_num, NULL)) ||
		    (err = read_region_tag(f, "regionSize", i, 0, &r.pages, &size_off)))
			return err;
		if (r.pages == 0)
			continue;
		if (r.ppn > max_ppn || r.pages > max_ppn - r.ppn)
			return ck_error_at(f->path, (unsigned long long)r.tag_off,
					   "memory region %u (guest page 0x%" PRIx64 " + 0x%" PRIx64
					   " pages) wraps the address space", i, r.ppn, r.pages);
		if (r.page_num > blob_pages || r.pages > blob_pages - r.page_num)
			return ck_error_at(f->path, (unsigned long long)size_off,
					   "memory region %u (pages 0x%" PRIx64 "-0x%" PRIx64
					   " of guest memory) runs past the end of %s (0x%" PRIx64 " pages)",
					   i, r.page_num, r.page_num + r.pages,
					   mem->embedded ? "the Memory block" : mem->blob_path, blob_pages);
		mem->regions[mem->nregions++] = r;
	}
	if (mem->nregions == 0)
		return ck_error_at(f->path, (unsigned long long)ct->off,
				   "memory/regionsCount is %" PRIu64 " but every region is empty", count);
	struct cpt_region *sorted = malloc(mem->nregions * sizeof(*sorted));
	if (!sorted)
		return &ck_enomem;
	memcpy(sorted, mem->regions, mem->nregions * sizeof(*sorted));
	qsort(sorted, mem->nregions, sizeof(*sorted), region_cmp);
	err = NULL;
	for (size_t i = 1; i < mem->nregions && !err; i++)
		if (sorted[i - 1].ppn + sorted[i - 1].pages > sorted[i].ppn)
			err = ck_error_at(f->path, (unsigned long long)sorted[i].tag_off,
					  "memory regions overlap at guest-physical 0x%" PRIx64,
					  sorted[i].ppn * CPT_PAGE_SIZE);
	free(sorted);
	return err;
}

struct ck_error *cpt_memory_layout(const struct cpt_file *f, const char *companion, uint64_t companion_off,
				   struct cpt_memory *ret)
{
	struct cpt_memory mem = { 0 };
	struct ck_error *err = NULL;
	const struct cpt_tag *t = memory_tag(f);
	char label[384];
	if (t && t->size > 0) {
		if (!(t->flags & CPT_TAG_BLOCK))
			return ck_error_at(f->path, (unsigned long long)t->off,
					   "tag %s: guest memory is a %llu-byte inline value, not a block",
					   cpt_tag_label(f, t, label, sizeof(label)),
					   (unsigned long long)t->size);
		if ((t->flags & CPT_TAG_COMPRESSED) || t->size != t->mem_size)
			return ck_error_at(f->path, (unsigned long long)t->off,
					   "compressed checkpoint memory is not supported "
					   "(tag %s: size code %u, 0x%llx bytes on disk, 0x%llx in memory)",
					   cpt_tag_label(f, t, label, sizeof(label)), t->size_code,
					   (unsigned long long)t->size, (unsigned long long)t->mem_size);
		mem.embedded = 1;
		mem.blob_off = t->data_off;
		mem.blob_size = t->size;
		if (!(mem.blob_path = strdup(f->path)))
			return &ck_enomem;
	} else {
		if (companion) {
			if (!(mem.blob_path = strdup(companion)))
				return &ck_enomem;
		} else if ((err = vmem_name(f->path, &mem.blob_path))) {
			return err;
		}
		struct stat st;
		if (stat(mem.blob_path, &st) < 0) {
			err = ck_error_create(errno == ENOENT || errno == ENOTDIR ? CK_ERR_INPUT
					      : CK_ERR_SYSTEM, "%s: guest memory is not embedded and "
					      "%s cannot be opened: %s", f->path, mem.blob_path,
					      strerror(errno));
			goto fail;
		}
		if (!S_ISREG(st.st_mode)) {
			err = ck_error_create(CK_ERR_INPUT, "%s: %s is not a regular file", f->path,
					      mem.blob_path);
			goto fail;
		}
		if ((uint64_t)st.st_size < companion_off) {
			err = ck_error_create(CK_ERR_INPUT, "%s: %s is shorter than 0x%llx bytes", f->path,
					      mem.blob_path, (unsigned long long)companion_off);
			goto fail;
		}
		mem.blob_off = companion_off;
		mem.blob_size = (uint64_t)st.st_size - companion_off;
	}
	if (mem.blob_size == 0) {
		err = ck_error_create(CK_ERR_INPUT, "%s: guest memory %s is empty", f->path,
				      mem.blob_path);
		goto fail;
	}
	if ((err = read_regions(f, &mem)))
		goto fail;
	*ret = mem;
	return NULL;
fail:
	cpt_memory_fini(&mem);
	return err;
}

struct ck_error *cpt_memory_plan(const struct cpt_file *f, uint64_t vmem_size, struct machine *m)
{
	const struct cpt_tag *t = memory_tag(f);
	if (t && t->size > 0)
		return ck_error_create(CK_ERR_INPUT, "%s: guest memory is embedded", f->path);
	struct cpt_memory mem = { .blob_size = vmem_size };
	struct ck_error *err = read_regions(f, &mem);
	for (size_t i = 0; !err && i < mem.nregions; i++)
		err = machine_add_run(m, mem.regions[i].ppn * CPT_PAGE_SIZE, mem.regions[i].pages * CPT_PAGE_SIZE,
				      MEM_RUN_ZERO, 0, (off_t)(mem.regions[i].page_num * CPT_PAGE_SIZE));
	if (!err && mem.identity)
		err = machine_add_run(m, 0, vmem_size, MEM_RUN_ZERO, 0, 0);
	cpt_memory_fini(&mem);
	return err ? err : machine_finish_runs(m);
}

void cpt_memory_fini(struct cpt_memory *mem)
{
	free(mem->blob_path);
	free(mem->regions);
	memset(mem, 0, sizeof(*mem));
}

struct ck_error *cpt_memory_add_runs(const struct cpt_memory *mem, struct machine *m)
{
	int fi;
	struct ck_error *err = machine_add_file(m, mem->blob_path, &fi);
	if (err)
		return err;
	if ((uint64_t)m->files[fi].size < mem->blob_off + mem->blob_size)
		return ck_error_at(mem->blob_path, (unsigned long long)m->files[fi].size,
				   "file shrank while being read");
	if (mem->identity)
		return (err = machine_add_run(m, 0, mem->blob_size, MEM_RUN_FILE, fi,
					      (off_t)mem->blob_off)) ? err : machine_finish_runs(m);
	for (size_t i = 0; i < mem->nregions; i++) {
		const struct cpt_region *r = &mem->regions[i];
		if ((err = machine_add_run(m, r->ppn * CPT_PAGE_SIZE, r->pages * CPT_PAGE_SIZE,
					   MEM_RUN_FILE, fi,
					   (off_t)(mem->blob_off + r->page_num * CPT_PAGE_SIZE))))
			return err;
	}
	return machine_finish_runs(m);
}
