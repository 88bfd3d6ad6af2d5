/*
 * cpt_meta.c - what a checkpoint says about itself: Checkpoint/ProductName,
 * VersionNumber, memSize (MiB), Platform; the embedded .vmx (Snapshot/cfgFile)
 * and from it displayName and guestOS.
 *
 * Metadata is best effort: an oversized or compressed string is skipped, not
 * an error.  The exception is Checkpoint/Platform 3 (ARM64), refused because
 * every consumer here assumes x86-64.
 */
#include "cpt_load.h"
#include "vmx.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read group/name (no indices) as a string into *dst; absent or unusable: leave NULL. */
static struct ck_error *meta_string(const struct cpt_file *f, const char *group, const char *name,
				    size_t max, char **dst)
{
	const struct cpt_tag *t = cpt_find0(f, group, name);
	if (!t || (t->flags & CPT_TAG_COMPRESSED) || t->size > max)
		return NULL;
	char *s;
	struct ck_error *err = cpt_read_string(f, t, max, &s);
	if (err)
		return err;
	/* Trim trailing blanks: product strings are NUL- or space-padded. */
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	if (n == 0) {
		free(s);
		return NULL;
	}
	free(*dst);
	*dst = s;
	return NULL;
}

struct ck_error *cpt_meta_load(const struct cpt_file *f, struct machine *m)
{
	struct machine_meta *mm = &m->meta;
	struct ck_error *err;
	free(mm->source_format);
	if (asprintf(&mm->source_format, "vmss 0x%08x", f->magic) < 0) {
		mm->source_format = NULL;
		return &ck_enomem;
	}
	if ((err = meta_string(f, "Checkpoint", "ProductName", CPT_MAX_META_STRING, &mm->product)) ||
	    (err = meta_string(f, "Checkpoint", "VersionNumber", CPT_MAX_META_STRING, &mm->version)) ||
	    (err = meta_string(f, "Snapshot", "cfgFile", CPT_MAX_VMX, &mm->vmx_text)))
		return err;
	const struct cpt_tag *t = cpt_find0(f, "Checkpoint", "memSize");
	uint64_t v;
	if (t && !(t->flags & CPT_TAG_BLOCK) && t->size >= 1 && t->size <= 8) {
		if ((err = cpt_read_uint(f, t, &v)))
			return err;
		if (v <= (UINT64_MAX >> 20))
			mm->ram_bytes = v << 20;
	}
	t = cpt_find0(f, "Checkpoint", "Platform");
	if (t && !(t->flags & CPT_TAG_BLOCK) && t->size >= 1 && t->size <= 8) {
		if ((err = cpt_read_uint(f, t, &v)))
			return err;
		if (v == 3)
			return ck_error_at(f->path, (unsigned long long)t->off,
					   "ARM64 checkpoint (Checkpoint/Platform 3) is not supported");
	}
	if (mm->vmx_text) {
		free(mm->vm_name);
		free(mm->guest_os);
		mm->vm_name = vmx_value(mm->vmx_text, "displayName");
		mm->guest_os = vmx_value(mm->vmx_text, "guestOS");
	}
	return NULL;
}
