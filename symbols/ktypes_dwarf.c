/*
 * ktypes_dwarf.c - the DWARF backend of ktypes.h (libdw), for kernels built
 * without BTF.
 *
 * vmlinux has no .debug_names and aranges say nothing about types, so a name
 * is found by scanning compilation units' top-level DIEs in file order, and
 * every named struct, union, enum and typedef seen on the way is remembered
 * (the first complete definition of a name wins).  The scan resumes where it
 * stopped, so the ~100 lookups of an analyzer cost at most one pass.
 *
 * A type handle is a DIE offset; an array handle may carry in bits 48..63 the
 * dimension it stands for, so "a[1][2]" works on multi-dimensional arrays.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>

#include "ktypes_impl.h"

enum { DIM_SHIFT = 48, MAX_DIMS = 64, MAX_CHILDREN = 1 << 20 };
#define OFF_MASK ((UINT64_C(1) << DIM_SHIFT) - 1)

struct kt_dwarf {
	int fd;
	Dwarf *dbg;
	struct kt_map names[3];	/* by enum kt_ns */
	Dwarf_CU *cursor;	/* last CU scanned for names, NULL before the first */
	int scan_done;
};

static struct ck_error *dw_err(struct ktypes *t, const char *what, uint64_t off)
{
	return ck_error_create(CK_ERR_INPUT, "%s: DIE 0x%llx: %s: %s", t->source, (unsigned long long)off, what,
			       dwarf_errmsg(-1));
}

static struct ck_error *die_at(struct ktypes *t, uint64_t off, Dwarf_Die *die)
{
	const struct kt_dwarf *kd = t->impl;
	if (!dwarf_offdie(kd->dbg, off, die))
		return dw_err(t, "bad type reference", off);
	return NULL;
}

/* The DIE offset DW_AT_type refers to; 0 (void) if there is none. */
static struct ck_error *type_ref(struct ktypes *t, Dwarf_Die *die, uint64_t *off)
{
	Dwarf_Attribute a;
	Dwarf_Die ty;
	*off = 0;
	if (!dwarf_attr(die, DW_AT_type, &a))
		return NULL;
	if (!dwarf_formref_die(&a, &ty))
		return dw_err(t, "bad DW_AT_type", dwarf_dieoffset(die));
	*off = dwarf_dieoffset(&ty);
	if (*off == 0 || *off > OFF_MASK)
		return dw_err(t, "DW_AT_type out of range", dwarf_dieoffset(die));
	return NULL;
}

static int udata_attr(Dwarf_Die *die, unsigned name, Dwarf_Word *v)
{
	Dwarf_Attribute a;
	return dwarf_attr(die, name, &a) && dwarf_formudata(&a, v) == 0;
}

/*
 * Iterate children of die with fn(child) until fn returns non-zero; sibling
 * offsets must grow (a broken DW_AT_sibling cannot loop).
 */
static struct ck_error *each_child(struct ktypes *t, Dwarf_Die *die, int (*fn)(void *, Dwarf_Die *), void *arg)
{
	Dwarf_Die c;
	int r = dwarf_child(die, &c);
	uint64_t prev = dwarf_dieoffset(die);
	for (size_t n = 0; r == 0; n++) {
		uint64_t off = dwarf_dieoffset(&c);
		if (off <= prev || n >= MAX_CHILDREN)
			return dw_err(t, "children out of order or too many", dwarf_dieoffset(die));
		prev = off;
		if (fn(arg, &c))
			return NULL;
		r = dwarf_siblingof(&c, &c);
	}
	if (r < 0)
		return dw_err(t, "cannot read children", dwarf_dieoffset(die));
	return NULL;
}

struct dims {
	Dwarf_Die sub[MAX_DIMS];
	int n;
	int too_many;
};

static int dims_cb(void *arg, Dwarf_Die *c)
{
	struct dims *d = arg;
	if (dwarf_tag(c) != DW_TAG_subrange_type)
		return 0;
	if (d->n == MAX_DIMS) {
		d->too_many = 1;
		return 1;
	}
	d->sub[d->n++] = *c;
	return 0;
}

static struct ck_error *info_depth(struct ktypes *t, uint64_t type, int depth, struct kt_info *in);

static struct ck_error *array_info(struct ktypes *t, Dwarf_Die *die, uint64_t type, int depth, struct kt_info *in)
{
	unsigned dim = (unsigned)(type >> DIM_SHIFT);
	struct dims d = { .n = 0 };
	struct ck_error *err = each_child(t, die, dims_cb, &d);
	if (err)
		return err;
	if (d.too_many || (int)dim >= (d.n ? d.n : 1))
		return dw_err(t, "array dimensions", type & OFF_MASK);
	Dwarf_Word count = 0, ub;
	if (d.n) {
		if (udata_attr(&d.sub[dim], DW_AT_count, &count))
			;
		else if (udata_attr(&d.sub[dim], DW_AT_upper_bound, &ub))
			count = ub == UINT64_MAX ? 0 : ub + 1;	/* [0] flexible arrays have upper bound -1 */
	}
	uint64_t elem;
	if ((int)dim + 1 < d.n)
		elem = (type & OFF_MASK) | (uint64_t)(dim + 1) << DIM_SHIFT;
	else if ((err = type_ref(t, die, &elem)))
		return err;
	struct kt_info el;
	if ((err = info_depth(t, elem, depth + 1, &el)))
		return err;
	in->kind = KT_ARRAY;
	in->elem = elem;
	in->nelems = count;
	if (el.size && count > UINT64_MAX / el.size)
		return dw_err(t, "array size overflows", type & OFF_MASK);
	in->size = count * el.size;
	return NULL;
}

static struct ck_error *info_depth(struct ktypes *t, uint64_t type, int depth, struct kt_info *in)
{
	for (; depth < KT_MAX_DEPTH; depth++) {
		memset(in, 0, sizeof(*in));
		in->id = type;
		if (type == 0)
			return NULL;	/* void */
		Dwarf_Die die;
		struct ck_error *err = die_at(t, type & OFF_MASK, &die);
		if (err)
			return err;
		Dwarf_Word size = 0;
		int has_size = udata_attr(&die, DW_AT_byte_size, &size);
		switch (dwarf_tag(&die)) {
		case DW_TAG_typedef:
		case DW_TAG_const_type:
		case DW_TAG_volatile_type:
		case DW_TAG_restrict_type:
		case DW_TAG_atomic_type:
			if ((err = type_ref(t, &die, &type)))
				return err;
			continue;
		case DW_TAG_structure_type:
			in->kind = KT_STRUCT;
			break;
		case DW_TAG_union_type:
			in->kind = KT_UNION;
			break;
		case DW_TAG_enumeration_type:
			in->kind = KT_ENUM;
			break;
		case DW_TAG_array_type:
			return array_info(t, &die, type, depth, in);
		case DW_TAG_pointer_type:
			if (!has_size)
				size = 8;	/* x86-64 guests */
			break;
		default:
			break;
		}
		in->size = size;
		return NULL;
	}
	return ck_error_create(CK_ERR_INPUT, "%s: DWARF type chain at 0x%llx too long (loop?)", t->source,
			       (unsigned long long)type);
}

static struct ck_error *dw_info(struct ktypes *t, uint64_t type, struct kt_info *in)
{
	return info_depth(t, type, 0, in);
}

/* DW_AT_data_member_location: a constant, or (old DWARF) an expression DW_OP_plus_uconst N. */
static int member_location(Dwarf_Die *die, uint64_t *off)
{
	Dwarf_Attribute a;
	Dwarf_Word v;
	*off = 0;
	if (!dwarf_attr(die, DW_AT_data_member_location, &a))
		return 0;	/* union members */
	if (dwarf_formudata(&a, &v) == 0) {
		*off = v;
		return 0;
	}
	Dwarf_Op *ops;
	size_t nops;
	if (dwarf_getlocation(&a, &ops, &nops) == 0 && nops == 1 && ops[0].atom == DW_OP_plus_uconst) {
		*off = ops[0].number;
		return 0;
	}
	return -1;
}

struct members_arg {
	struct ktypes *t;
	kt_member_fn fn;
	void *arg;
	struct ck_error *err;
};

static int member_cb(void *arg, Dwarf_Die *c)
{
	struct members_arg *a = arg;
	if (dwarf_tag(c) != DW_TAG_member)
		return 0;
	struct kt_member m = { .name = dwarf_diename(c) };
	uint64_t loc;
	Dwarf_Word v, bits = 0;
	if ((a->err = type_ref(a->t, c, &m.type)))
		return 1;
	if (member_location(c, &loc) != 0 || loc > UINT64_MAX / 8) {
		a->err = dw_err(a->t, "bad DW_AT_data_member_location", dwarf_dieoffset(c));
		return 1;
	}
	m.bit_offset = loc * 8;
	if (udata_attr(c, DW_AT_bit_size, &bits)) {
		if (bits == 0 || bits > 64) {
			a->err = dw_err(a->t, "bad DW_AT_bit_size", dwarf_dieoffset(c));
			return 1;
		}
		m.bit_size = (uint32_t)bits;
	}
	if (udata_attr(c, DW_AT_data_bit_offset, &v)) {
		m.bit_offset = v;
	} else if (bits && udata_attr(c, DW_AT_bit_offset, &v)) {
		/* DWARF 2/3: counted from the storage unit's most significant bit. */
		Dwarf_Word unit = 0;
		if (!udata_attr(c, DW_AT_byte_size, &unit) || unit > 8 || v + bits > unit * 8) {
			a->err = dw_err(a->t, "bad DW_AT_bit_offset", dwarf_dieoffset(c));
			return 1;
		}
		m.bit_offset += unit * 8 - v - bits;
	}
	return a->fn(a->arg, &m);
}

static struct ck_error *dw_members(struct ktypes *t, uint64_t type, kt_member_fn fn, void *arg)
{
	Dwarf_Die die;
	struct ck_error *err = die_at(t, type & OFF_MASK, &die);
	if (err)
		return err;
	int tag = dwarf_tag(&die);
	if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type)
		return NULL;
	struct members_arg a = { t, fn, arg, NULL };
	err = each_child(t, &die, member_cb, &a);
	return err ? err : a.err;
}

/* The namespace a top-level DIE is indexed in, or -1. */
static int die_ns(Dwarf_Die *die)
{
	switch (dwarf_tag(die)) {
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
		return KT_NS_STRUCT;
	case DW_TAG_typedef:
		return KT_NS_TYPEDEF;
	case DW_TAG_enumeration_type:
		return KT_NS_ENUM;
	default:
		return -1;
	}
}

struct index_arg {
	struct kt_dwarf *kd;
	struct ck_error *err;
};

static int index_cb(void *arg, Dwarf_Die *c)
{
	struct index_arg *a = arg;
	int ns = die_ns(c);
	if (ns < 0 || dwarf_hasattr(c, DW_AT_declaration))
		return 0;
	const char *name = dwarf_diename(c);
	if (!name || !name[0])
		return 0;
	a->err = kt_map_add(&a->kd->names[ns], name, dwarf_dieoffset(c));
	return a->err != NULL;
}

/* Index the top-level types of the next CU; *more 0 once every CU is done. */
static struct ck_error *scan_next_cu(struct ktypes *t, int *more)
{
	struct kt_dwarf *kd = t->impl;
	Dwarf_CU *next;
	Dwarf_Half version;
	uint8_t unit_type;
	Dwarf_Die cudie, subdie;
	int r = dwarf_get_units(kd->dbg, kd->cursor, &next, &version, &unit_type, &cudie, &subdie);
	if (r != 0) {
		kd->scan_done = 1;
		*more = 0;
		if (r < 0)
			return ck_error_create(CK_ERR_INPUT, "%s: cannot read compilation units: %s", t->source,
					       dwarf_errmsg(-1));
		return NULL;
	}
	kd->cursor = next;
	*more = 1;
	struct index_arg a = { kd, NULL };
	struct ck_error *err = each_child(t, &cudie, index_cb, &a);
	return err ? err : a.err;
}

static struct ck_error *dw_find(struct ktypes *t, enum kt_ns ns, const char *name, uint64_t *type, int *found)
{
	struct kt_dwarf *kd = t->impl;
	int more = !kd->scan_done;
	while (!(*found = kt_map_get(&kd->names[ns], name, type)) && more) {
		struct ck_error *err = scan_next_cu(t, &more);
		if (err)
			return err;
	}
	return NULL;
}

struct enum_arg {
	struct ktypes *t;
	const char *name;
	int signed_values;
	int64_t val;
	int found;
	struct ck_error *err;
};

static int enumerator_cb(void *arg, Dwarf_Die *c)
{
	struct enum_arg *a = arg;
	const char *n;
	if (dwarf_tag(c) != DW_TAG_enumerator || !(n = dwarf_diename(c)) || strcmp(n, a->name) != 0)
		return 0;
	Dwarf_Attribute at;
	Dwarf_Sword s;
	Dwarf_Word u;
	if (!dwarf_attr(c, DW_AT_const_value, &at)) {
		a->err = dw_err(a->t, "enumerator without value", dwarf_dieoffset(c));
	} else if (a->signed_values || dwarf_whatform(&at) == DW_FORM_sdata) {
		if (dwarf_formsdata(&at, &s) == 0)
			a->val = s, a->found = 1;
		else
			a->err = dw_err(a->t, "bad enumerator value", dwarf_dieoffset(c));
	} else if (dwarf_formudata(&at, &u) == 0) {
		a->val = (int64_t)u, a->found = 1;
	} else {
		a->err = dw_err(a->t, "bad enumerator value", dwarf_dieoffset(c));
	}
	return 1;
}

/* Is the enum's underlying type signed (DW_AT_type -> base type encoding)? */
static int enum_signed(struct ktypes *t, Dwarf_Die *en)
{
	uint64_t off;
	Dwarf_Die base;
	Dwarf_Word enc;
	struct ck_error *err = type_ref(t, en, &off);
	if (err) {
		ck_error_destroy(err);
		return 0;
	}
	return off && dwarf_offdie(((struct kt_dwarf *)t->impl)->dbg, off, &base) &&
	       udata_attr(&base, DW_AT_encoding, &enc) && (enc == DW_ATE_signed || enc == DW_ATE_signed_char);
}

static struct ck_error *enum_search(struct ktypes *t, Dwarf_Die *en, struct enum_arg *a)
{
	a->signed_values = enum_signed(t, en);
	struct ck_error *err = each_child(t, en, enumerator_cb, a);
	return err ? err : a->err;
}

static int all_enums_cb(void *arg, Dwarf_Die *c)
{
	struct enum_arg *a = arg;
	if (dwarf_tag(c) != DW_TAG_enumeration_type)
		return 0;
	struct ck_error *err = enum_search(a->t, c, a);
	if (err)
		a->err = err;
	return a->err || a->found;
}

static struct ck_error *dw_enumerator(struct ktypes *t, uint64_t type, int all, const char *name, int64_t *val,
				      int *found)
{
	struct kt_dwarf *kd = t->impl;
	struct enum_arg a = { .t = t, .name = name };
	struct ck_error *err = NULL;
	*found = 0;
	if (!all) {
		Dwarf_Die die;
		if (!(err = die_at(t, type & OFF_MASK, &die)))
			err = enum_search(t, &die, &a);
	} else {
		/* Anonymous enums are not indexed: a scan of every CU's top-level enums. */
		Dwarf_CU *cu = NULL, *next;
		Dwarf_Half version;
		uint8_t unit_type;
		Dwarf_Die cudie, subdie;
		int r;
		while (!err && !a.found &&
		       (r = dwarf_get_units(kd->dbg, cu, &next, &version, &unit_type, &cudie, &subdie)) == 0) {
			cu = next;
			err = each_child(t, &cudie, all_enums_cb, &a);
			if (!err)
				err = a.err;
		}
	}
	if (err)
		return err;
	*found = a.found;
	if (a.found)
		*val = a.val;
	return NULL;
}

static void dw_destroy(void *impl)
{
	struct kt_dwarf *kd = impl;
	if (!kd)
		return;
	for (int i = 0; i < 3; i++)
		kt_map_free(&kd->names[i]);
	if (kd->dbg)
		dwarf_end(kd->dbg);
	if (kd->fd >= 0)
		close(kd->fd);
	free(kd);
}

static const struct ktypes_ops dwarf_ops = {
	.find = dw_find,
	.info = dw_info,
	.members = dw_members,
	.enumerator = dw_enumerator,
	.destroy = dw_destroy,
};

struct ck_error *ktypes_open_dwarf(const char *path, struct ktypes **ret)
{
	struct kt_dwarf *kd = calloc(1, sizeof(*kd));
	if (!kd)
		return &ck_enomem;
	kd->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (kd->fd < 0) {
		int e = errno;
		dw_destroy(kd);
		return ck_error_errno(e, "%s", path);
	}
	kd->dbg = dwarf_begin(kd->fd, DWARF_C_READ);
	if (!kd->dbg) {
		struct ck_error *err = ck_error_create(CK_ERR_INPUT, "%s: no DWARF: %s", path, dwarf_errmsg(-1));
		dw_destroy(kd);
		return err;
	}
	return ktypes_create(&dwarf_ops, "dwarf (vmlinux)", kd, ret);
}
