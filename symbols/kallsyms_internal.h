/*
 * kallsyms_internal.h - what kallsyms.c (the store, lookups), kallsyms_decode.c
 * (the kernel's tables), kallsyms_scan.c (finding them) and kallsyms_modules.c
 * (module walk) share.
 */
#ifndef COREKIT_KALLSYMS_INTERNAL_H
#define COREKIT_KALLSYMS_INTERNAL_H

#include "kallsyms.h"
#include "le.h"

struct kent {
	uint64_t addr, size;
	uint32_t name;		/* offset in pool */
	uint32_t seq;		/* insertion order: ties of address and name keep it */
	int32_t mod;		/* index in mods, -1 = vmlinux */
	char type;
};

struct kallsyms {
	struct kent *ents;
	size_t n, cap;
	/* Name hash: open addressing, linear probing; slot = index in ents + 1, 0 = empty. */
	uint32_t *slots;
	size_t nslots;		/* power of two >= 2 * n */
	char *pool;
	size_t pool_len, pool_cap;
	struct kmodule_info *mods;
	size_t nmods, mods_cap;
	bool modules_added;
};

/*
 * Read the readable prefix of [addr, addr + len): *got bytes land in buf.  A
 * fault only shortens *got (whole pages are retried one by one); other errors
 * are returned.
 */
struct ck_error *ks_read_prefix(const struct ck_memory *mem, uint64_t addr, void *buf, size_t len, size_t *got);

/* Append one symbol (name of len bytes, no NUL needed); size set later. */
struct ck_error *ks_add(struct kallsyms *ks, uint64_t addr, uint64_t size, char type, const char *name,
			size_t len, int32_t mod);

/* Sort by address and rebuild the name hash after symbols were added.  Never
 * fails when n did not grow since the last call. */
struct ck_error *ks_finish(struct kallsyms *ks);

#endif
