/*
 * cpt_load.h - turning an indexed checkpoint (cpt.h) into a struct machine:
 * memory layout (cpt_memory.c), vCPU registers (cpt_cpu.c) and metadata
 * (cpt_meta.c).  cpt_format.c ties them into vmss_format; cpt_info.c uses the
 * layout to describe a checkpoint.
 */
#ifndef COREKIT_CPT_LOAD_H
#define COREKIT_CPT_LOAD_H

#include <stdint.h>

#include "cpt.h"
#include "machine.h"

enum {
	CPT_PAGE_SIZE = 4096,
	CPT_MAX_REGIONS = 65536,
	CPT_MAX_VMX = 1 << 20,		/* Snapshot/cfgFile */
	CPT_MAX_META_STRING = 4096,	/* Checkpoint/ProductName and the like */
};

/* One RAM region: guest pages [ppn, ppn+pages) at blob page page_num. */
struct cpt_region {
	uint64_t ppn, page_num, pages;
	uint64_t tag_off;	/* offset of its regionPPN tag (0 for the identity run) */
};

/* Where guest RAM is and how guest-physical addresses map onto it. */
struct cpt_memory {
	int embedded;		/* 1: `Memory` block in the checkpoint, 0: .vmem */
	char *blob_path;	/* the checkpoint or the .vmem */
	uint64_t blob_off;	/* file offset of RAM byte 0 */
	uint64_t blob_size;	/* bytes of RAM in the blob */
	int identity;		/* no regions: one run PA 0 = blob byte 0 */
	struct cpt_region *regions;	/* in file order, zero-sized ones dropped */
	size_t nregions;
};

/*
 * Work out the memory layout.  companion: the .vmem named by the user, or
 * NULL to derive it from f->path (.vmss/.vmsn -> .vmem); its RAM starts
 * companion_off bytes into it (0, or a bundle's in-place copy).  Refuses
 * compressed memory, regions outside the blob and overlapping regions.
 */
struct ck_error *cpt_memory_layout(const struct cpt_file *f, const char *companion, uint64_t companion_off,
				   struct cpt_memory *ret);

/*
 * The memory layout of a checkpoint whose .vmem (of vmem_size bytes) is not
 * readable yet, as MEM_RUN_ZERO runs of m (off: the run's .vmem offset), for
 * planning a core's layout.  RAM embedded in the checkpoint: CK_ERR_INPUT.
 */
struct ck_error *cpt_memory_plan(const struct cpt_file *f, uint64_t vmem_size, struct machine *m);

/* vmss_format's open, with the .vmem's RAM starting companion_off bytes into it. */
struct ck_error *cpt_machine_open(const char *path, const char *companion, uint64_t companion_off,
				  struct machine *m);
void cpt_memory_fini(struct cpt_memory *mem);
/* 1 if guest RAM is not embedded and its memory file (companion, else the
 * .vmem named after f->path) is absent or its name cannot be derived. */
int cpt_memory_missing(const struct cpt_file *f, const char *companion);
/* Register the blob file and one MEM_RUN_FILE run per region, then finish the runs. */
struct ck_error *cpt_memory_add_runs(const struct cpt_memory *mem, struct machine *m);

/* numVCPUs and every vCPU's registers into m (machine_set_ncpus included). */
struct ck_error *cpt_cpu_load(const struct cpt_file *f, struct machine *m);

/* Checkpoint/ and Snapshot/ metadata into m->meta. */
struct ck_error *cpt_meta_load(const struct cpt_file *f, struct machine *m);


#endif
