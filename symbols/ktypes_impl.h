/*
 * ktypes_impl.h - what a ktypes backend (BTF, DWARF) provides to the generic
 * member-path resolution in ktypes.c.  Not for users of ktypes.h.
 *
 * A type is a 64-bit handle of the backend's choosing (a BTF type id, a DWARF
 * DIE offset).  The backend strips typedefs and qualifiers (bounded), reports
 * what kind of type is left and lists members; ktypes.c walks paths, anonymous
 * members and array subscripts on top of that.
 */
#ifndef COREKIT_KTYPES_IMPL_H
#define COREKIT_KTYPES_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ktypes.h"

/* Deepest typedef/qualifier chain and anonymous-member nesting followed. */
enum { KT_MAX_DEPTH = 32 };

enum kt_kind { KT_OTHER, KT_STRUCT, KT_UNION, KT_ARRAY, KT_ENUM };

/* A type after typedefs and qualifiers are stripped. */
struct kt_info {
	uint64_t id;		/* the stripped type itself */
	enum kt_kind kind;
	uint64_t size;		/* bytes; arrays: nelems * element size */
	uint64_t elem;		/* KT_ARRAY: element type */
	uint64_t nelems;	/* KT_ARRAY: element count (0: flexible) */
};

struct kt_member {
	const char *name;	/* NULL or "" for an anonymous member */
	uint64_t bit_offset;	/* from the start of the enclosing struct */
	uint32_t bit_size;	/* bitfield width, 0 if not a bitfield */
	uint64_t type;
};

/* Member visitor: return 1 to stop the walk, 0 to go on. */
typedef int (*kt_member_fn)(void *arg, const struct kt_member *m);

enum kt_ns { KT_NS_STRUCT, KT_NS_TYPEDEF, KT_NS_ENUM };

struct ktypes_ops {
	/* The type named name in namespace ns (struct+union share one); *found 0 if none. */
	struct ck_error *(*find)(struct ktypes *t, enum kt_ns ns, const char *name, uint64_t *type, int *found);
	struct ck_error *(*info)(struct ktypes *t, uint64_t type, struct kt_info *info);
	/* Visit the members of a struct or union type (as returned by info). */
	struct ck_error *(*members)(struct ktypes *t, uint64_t type, kt_member_fn fn, void *arg);
	/* Enumerator name in enum type (or in any enum when all is set); *found 0 if none. */
	struct ck_error *(*enumerator)(struct ktypes *t, uint64_t type, int all, const char *name,
				       int64_t *val, int *found);
	void (*destroy)(void *impl);
};

struct ktypes {
	const struct ktypes_ops *ops;
	char *source;
	void *impl;
};

/* Wrap a backend: takes ownership of impl (ops->destroy frees it, also on failure). */
struct ck_error *ktypes_create(const struct ktypes_ops *ops, const char *source, void *impl, struct ktypes **ret);

/* String -> u64 map with borrowed keys (the BTF or DWARF string data outlives it). */
struct kt_map {
	struct kt_slot { const char *key; uint64_t val; } *slots;
	size_t cap, n;
};
/* Insert unless present (first definition wins); CK_ERR_SYSTEM on ENOMEM. */
struct ck_error *kt_map_add(struct kt_map *m, const char *key, uint64_t val);
int kt_map_get(const struct kt_map *m, const char *key, uint64_t *val);
void kt_map_free(struct kt_map *m);

#endif
