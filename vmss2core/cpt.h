/*
 * cpt.h - the VMware checkpoint container (.vmss suspend state, .vmsn
 * snapshot state): header, group table and the tag stream of every group.
 *
 * Layering: this module knows the container only (no memory regions, no
 * registers); cpt_memory.c, cpt_cpu.c and cpt_meta.c interpret tags.
 *
 * cpt_open() walks every group once and keeps, per tag, its name, indices and
 * where its value lies in the file.  No value is loaded: block data (the
 * `Memory` block may be GiBs) stays in the file and small values are read
 * with pread() on demand.  Tags are hashed by (group, name, indices) so a
 * lookup costs O(1) however many vCPUs the cpu group describes.
 *
 * Every malformed byte is reported as CK_ERR_INPUT "PATH: offset 0xOFF: what".
 * Duplicate (group, name, indices) tags: the last one wins.
 */
#ifndef COREKIT_CPT_H
#define COREKIT_CPT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum {
	CPT_HEADER_SIZE = 12,
	CPT_GROUP_DESC_SIZE = 80,
	CPT_GROUP_NAME_MAX = 64,
	CPT_MAX_GROUPS = 10000,		/* real files have ~100 */
	CPT_MAX_TAGS = 1 << 20,		/* all groups together */
	CPT_MAX_INDICES = 3,
	CPT_SIZE_COMPRESSED = 62,	/* value-size code: compressed block */
	CPT_SIZE_BLOCK = 63,		/* value-size code: plain block */
};

/* Flags of a tag. */
enum {
	CPT_TAG_BLOCK = 1,		/* long form: diskSize/memSize/padLen header */
	CPT_TAG_COMPRESSED = 2,		/* size code 62 */
};

struct cpt_tag {
	const char *name;	/* NUL-terminated copy (names never contain NUL here) */
	uint32_t idx[CPT_MAX_INDICES];
	uint16_t group;		/* index into cpt_file.groups */
	uint8_t nidx;		/* 0..3 */
	uint8_t size_code;	/* 0..63 as stored */
	uint8_t flags;		/* CPT_TAG_* */
	uint16_t pad_len;	/* block forms */
	uint64_t off;		/* file offset of the 2-byte tag head */
	uint64_t data_off;	/* file offset of the value */
	uint64_t size;		/* bytes of value in the file (inline size or diskSize) */
	uint64_t mem_size;	/* block memSize; = size for inline values */
};

struct cpt_group {
	char name[CPT_GROUP_NAME_MAX + 1];
	uint64_t desc_off;	/* file offset of its 80-byte descriptor */
	uint64_t off;		/* first tag */
	uint64_t size;		/* as declared; 0 = unknown (bounded by the file) */
	uint64_t end;		/* effective end of its tag stream */
	size_t first_tag, ntags;	/* its tags are tags[first_tag .. +ntags) */
};

struct cpt_file {
	char *path;
	int fd;
	uint64_t file_size;
	uint32_t magic;
	int size_width;		/* 8, or 4 for the version-0 magics */
	struct cpt_group *groups;
	size_t ngroups;
	struct cpt_tag *tags;	/* in file order */
	size_t ntags;
	/* private: name storage and the lookup hash */
	char **name_chunks;
	size_t nname_chunks;
	char *name_cur;
	size_t name_left;
	uint32_t *hash;		/* tag index + 1, 0 = empty */
	size_t hash_cap;
};

/* 1 if magic is one of the eight accepted checkpoint magics. */
int cpt_magic_known(uint32_t magic);

/* Open and index path.  *ret is the caller's; free it with cpt_destroy(). */
struct ck_error *cpt_create(const char *path, struct cpt_file **ret);
void cpt_destroy(struct cpt_file *f);	/* NULL is fine */

/* The first group named name, or NULL. */
const struct cpt_group *cpt_group(const struct cpt_file *f, const char *name);

/*
 * The tag (group, name, idx[0..nidx)), or NULL.  nidx must match the tag's
 * index count exactly: "CR64[0]" (block) and "CR64[0][3]" are different tags.
 */
const struct cpt_tag *cpt_find(const struct cpt_file *f, const char *group, const char *name,
			       int nidx, const uint32_t *idx);
/* Shorthands: no index, one index, two indices. */
const struct cpt_tag *cpt_find0(const struct cpt_file *f, const char *group, const char *name);
const struct cpt_tag *cpt_find1(const struct cpt_file *f, const char *group, const char *name,
				uint32_t i0);
const struct cpt_tag *cpt_find2(const struct cpt_file *f, const char *group, const char *name,
				uint32_t i0, uint32_t i1);
/* The first tag of group with this name, whatever its indices, or NULL. */
const struct cpt_tag *cpt_find_any(const struct cpt_file *f, const char *group, const char *name);

/* "cpu/CR64[0][3]" into buf (for messages). */
const char *cpt_tag_label(const struct cpt_file *f, const struct cpt_tag *t, char *buf, size_t len);

/*
 * The value as an unsigned integer, zero-extended from its size (1..8 bytes,
 * inline).  Other sizes are an input error naming the tag and its offset.
 */
struct ck_error *cpt_read_uint(const struct cpt_file *f, const struct cpt_tag *t, uint64_t *ret);
/* Exactly len bytes of value (t->size must equal len; compressed refused). */
struct ck_error *cpt_read_exact(const struct cpt_file *f, const struct cpt_tag *t, void *buf,
				size_t len);
/*
 * The value as a NUL-terminated string, cut at its first NUL; values larger
 * than max bytes are refused.  Caller frees *ret.
 */
struct ck_error *cpt_read_string(const struct cpt_file *f, const struct cpt_tag *t, size_t max,
				 char **ret);
/* pread exactly len bytes at off of f, or an error naming the offset. */
struct ck_error *cpt_pread(const struct cpt_file *f, uint64_t off, void *buf, size_t len);

#endif
