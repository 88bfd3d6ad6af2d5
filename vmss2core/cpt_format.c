/* cpt_format.c - vmss_format: VMware .vmss/.vmsn (+ .vmem) into a struct machine. */
#include "cpt_load.h"
#include "format.h"

#include <string.h>

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && strcmp(s + n - k, suf) == 0;
}

/*
 * Mine: a known checkpoint magic; or a file named .vmss/.vmsn that is not an
 * ELF file, so that open() reports its unknown magic (or its truncated
 * header) instead of the caller saying "unknown format".
 */
static int vmss_probe(const char *path, const uint8_t *head, size_t headlen)
{
	if (headlen >= 4) {
		uint32_t magic = (uint32_t)head[0] | (uint32_t)head[1] << 8 |
				 (uint32_t)head[2] << 16 | (uint32_t)head[3] << 24;
		if (cpt_magic_known(magic))
			return 1;
		if (memcmp(head, "\177ELF", 4) == 0)
			return 0;
	}
	return has_suffix(path, ".vmss") || has_suffix(path, ".vmsn");
}

struct ck_error *cpt_machine_open(const char *path, const char *companion, uint64_t companion_off,
				  struct machine *m)
{
	struct cpt_file *f;
	struct cpt_memory mem;
	struct ck_error *err = cpt_create(path, &f);
	if (err)
		return err;
	if (!(err = cpt_meta_load(f, m)) && !(err = cpt_cpu_load(f, m)) &&
	    !(err = cpt_memory_layout(f, companion, companion_off, &mem))) {
		err = cpt_memory_add_runs(&mem, m);
		cpt_memory_fini(&mem);
	}
	cpt_destroy(f);
	return err;
}

static struct ck_error *vmss_open(const char *path, const char *companion, struct machine *m)
{
	return cpt_machine_open(path, companion, 0, m);
}

const struct machine_format vmss_format = {
	.name = "vmss",
	.probe = vmss_probe,
	.open = vmss_open,
};
