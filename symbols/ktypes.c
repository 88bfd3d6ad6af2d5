/*
 * ktypes.c - the generic half of ktypes.h: member paths ("thread.sp",
 * "mem[1].base"), anonymous members, sizes and enum lookups on top of a
 * backend (ktypes_btf.c, ktypes_dwarf.c), and the name map both backends use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktypes_impl.h"

/* Members visited per lookup at most: anonymous members can nest (or, in broken data, loop). */
enum { KT_VISIT_BUDGET = 1 << 20, KT_PATH_MAX = 256 };

struct ck_error *ktypes_create(const struct ktypes_ops *ops, const char *source, void *impl, struct ktypes **ret)
{
	struct ktypes *t = calloc(1, sizeof(*t));
	char *s = strdup(source);
	if (!t || !s) {
		free(t);
		free(s);
		ops->destroy(impl);
		return &ck_enomem;
	}
	t->ops = ops;
	t->source = s;
	t->impl = impl;
	*ret = t;
	return NULL;
}

void ktypes_destroy(struct ktypes *t)
{
	if (!t)
		return;
	t->ops->destroy(t->impl);
	free(t->source);
	free(t);
}

const char *ktypes_source(const struct ktypes *t)
{
	return t->source;
}

/* "struct foo" / "union foo" -> "foo". */
static const char *bare_name(const char *name)
{
	if (strncmp(name, "struct ", 7) == 0)
		return name + 7;
	if (strncmp(name, "union ", 6) == 0)
		return name + 6;
	if (strncmp(name, "enum ", 5) == 0)
		return name + 5;
	return name;
}

/* The stripped type named sname (struct/union first, then typedef); *missing set if absent. */
static struct ck_error *find_type(struct ktypes *t, const char *sname, struct kt_info *info, int *missing)
{
	const char *name = bare_name(sname);
	uint64_t type = 0;
	int found = 0;
	struct ck_error *err = t->ops->find(t, KT_NS_STRUCT, name, &type, &found);
	if (!err && !found)
		err = t->ops->find(t, KT_NS_TYPEDEF, name, &type, &found);
	if (err)
		return err;
	if (!found) {
		*missing = 1;
		return ck_error_create(CK_ERR_INPUT, "struct %s not found in %s", name, t->source);
	}
	return t->ops->info(t, type, info);
}

struct find_arg {
	struct ktypes *t;
	const char *name;
	int depth;
	size_t *budget;
	struct kt_member found;
	int hit;
	struct ck_error *err;
};

static int find_member_cb(void *arg, const struct kt_member *m)
{
	struct find_arg *a = arg;
	if (*a->budget == 0) {
		a->err = ck_error_create(CK_ERR_INPUT, "%s: type data nests too deep (looping?)", a->t->source);
		return 1;
	}
	(*a->budget)--;
	if (m->name && m->name[0]) {
		if (strcmp(m->name, a->name) != 0)
			return 0;
		a->found = *m;
		a->hit = 1;
		return 1;
	}
	/* An anonymous struct or union: its members belong to the enclosing struct. */
	if (a->depth >= KT_MAX_DEPTH)
		return 0;
	struct kt_info in;
	a->err = a->t->ops->info(a->t, m->type, &in);
	if (a->err)
		return 1;
	if (in.kind != KT_STRUCT && in.kind != KT_UNION)
		return 0;
	struct find_arg sub = { .t = a->t, .name = a->name, .depth = a->depth + 1, .budget = a->budget };
	a->err = a->t->ops->members(a->t, in.id, find_member_cb, &sub);
	if (!a->err)
		a->err = sub.err;
	if (a->err)
		return 1;
	if (!sub.hit)
		return 0;
	if (sub.found.bit_offset > UINT64_MAX - m->bit_offset) {
		a->err = ck_error_create(CK_ERR_INPUT, "%s: offset of '%s' overflows", a->t->source, a->name);
		return 1;
	}
	a->found = sub.found;
	a->found.bit_offset += m->bit_offset;
	a->hit = 1;
	return 1;
}

/* Name characters of a C identifier. */
static size_t ident_len(const char *s)
{
	size_t n = 0;
	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9') ||
	       s[n] == '_')
		n++;
	return n;
}

/*
 * The subscript at *p ("[12]", or "[MOD_TEXT]": an enumerator, as kernels
 * index module.mem[] by enum mod_mem_type); *p moves past the ']'.
 */
static struct ck_error *subscript(struct ktypes *t, const char *path, const char **p, unsigned long long *idx,
				  int *missing)
{
	const char *s = *p + 1;
	size_t n = ident_len(s);
	if (n && !(s[0] >= '0' && s[0] <= '9')) {
		if (s[n] != ']')
			return ck_error_create(CK_ERR_INPUT, "bad member path '%s'", path);
		char name[KT_PATH_MAX];
		int64_t v;
		memcpy(name, s, n);
		name[n] = 0;
		struct ck_error *err = ktypes_enum_value(t, NULL, name, &v);
		if (err) {
			*missing = err->kind == CK_ERR_INPUT;
			return err;
		}
		if (v < 0)
			return ck_error_create(CK_ERR_INPUT, "%s: subscript %s = %lld in '%s' is negative", t->source,
					       name, (long long)v, path);
		*idx = (unsigned long long)v;
		*p = s + n + 1;
		return NULL;
	}
	char *end;
	errno = 0;
	*idx = strtoull(s, &end, 10);
	if (end == s || *end != ']' || s[0] < '0' || s[0] > '9' || errno == ERANGE)
		return ck_error_create(CK_ERR_INPUT, "bad member path '%s'", path);
	*p = end + 1;
	return NULL;
}

/*
 * Resolve member path in struct sname: its bit offset, bitfield width and
 * type.  *missing is set when the struct or a member is absent (the error
 * then says which), so ktypes_has_member() can tell that from broken data.
 */
static struct ck_error *resolve(struct ktypes *t, const char *sname, const char *path, struct kt_member *res,
				int *missing)
{
	size_t plen = strlen(path);
	if (plen == 0 || plen >= KT_PATH_MAX)
		return ck_error_create(CK_ERR_INPUT, "bad member path '%.64s'", path);
	struct kt_info cur;
	struct ck_error *err = find_type(t, sname, &cur, missing);
	if (err)
		return err;
	if (cur.kind != KT_STRUCT && cur.kind != KT_UNION) {
		*missing = 1;
		return ck_error_create(CK_ERR_INPUT, "%s: %s is not a struct or union", t->source, sname);
	}
	const char *sn = bare_name(sname);
	struct kt_member m = { .type = cur.id };
	uint64_t bits = 0;
	size_t budget = KT_VISIT_BUDGET;
	const char *p = path;
	for (;;) {
		size_t n = ident_len(p);
		char name[KT_PATH_MAX];
		if (n == 0)
			return ck_error_create(CK_ERR_INPUT, "bad member path '%s'", path);
		memcpy(name, p, n);
		name[n] = 0;
		p += n;
		if (cur.kind != KT_STRUCT && cur.kind != KT_UNION) {
			*missing = 1;
			return ck_error_create(CK_ERR_INPUT, "struct %s has no member '%s' (not a struct before '%s')",
					       sn, path, name);
		}
		struct find_arg a = { .t = t, .name = name, .budget = &budget };
		err = t->ops->members(t, cur.id, find_member_cb, &a);
		if (!err)
			err = a.err;
		if (err)
			return err;
		if (!a.hit) {
			*missing = 1;
			return ck_error_create(CK_ERR_INPUT, "struct %s has no member '%s'", sn, path);
		}
		m = a.found;
		if (m.bit_offset > UINT64_MAX - bits)
			return ck_error_create(CK_ERR_INPUT, "%s: offset of %s.%s overflows", t->source, sn, path);
		bits += m.bit_offset;
		err = t->ops->info(t, m.type, &cur);
		if (err)
			return err;
		while (*p == '[') {
			unsigned long long idx = 0;
			err = subscript(t, path, &p, &idx, missing);
			if (err)
				return err;
			if (cur.kind != KT_ARRAY) {
				*missing = 1;
				return ck_error_create(CK_ERR_INPUT, "struct %s: '%s' is not an array", sn, path);
			}
			if (cur.nelems && idx >= cur.nelems) {
				*missing = 1;
				return ck_error_create(CK_ERR_INPUT, "struct %s: '%s': index %llu past %llu elements", sn,
						       path, idx, (unsigned long long)cur.nelems);
			}
			struct kt_info el;
			err = t->ops->info(t, cur.elem, &el);
			if (err)
				return err;
			if (el.size && idx > (UINT64_MAX - bits) / 8 / el.size)
				return ck_error_create(CK_ERR_INPUT, "%s: offset of %s.%s overflows", t->source, sn,
						       path);
			bits += idx * el.size * 8;
			m.type = el.id;
			m.bit_size = 0;
			cur = el;
		}
		if (*p == 0)
			break;
		if (*p != '.')
			return ck_error_create(CK_ERR_INPUT, "bad member path '%s'", path);
		p++;
	}
	m.bit_offset = bits;
	*res = m;
	return NULL;
}

struct ck_error *ktypes_offsetof(struct ktypes *t, const char *sname, const char *member, uint64_t *off)
{
	struct kt_member m;
	int missing = 0;
	struct ck_error *err = resolve(t, sname, member, &m, &missing);
	if (err)
		return err;
	if (m.bit_size || m.bit_offset % 8)
		return ck_error_create(CK_ERR_INPUT, "struct %s: '%s' is a bitfield", bare_name(sname), member);
	*off = m.bit_offset / 8;
	return NULL;
}

struct ck_error *ktypes_member_size(struct ktypes *t, const char *sname, const char *member, uint64_t *size)
{
	struct kt_member m;
	int missing = 0;
	struct ck_error *err = resolve(t, sname, member, &m, &missing);
	if (err)
		return err;
	if (m.bit_size)
		return ck_error_create(CK_ERR_INPUT, "struct %s: '%s' is a bitfield", bare_name(sname), member);
	struct kt_info in;
	err = t->ops->info(t, m.type, &in);
	if (err)
		return err;
	*size = in.size;
	return NULL;
}

struct ck_error *ktypes_has_member(struct ktypes *t, const char *sname, const char *member, int *has)
{
	struct kt_member m;
	int missing = 0;
	struct ck_error *err = resolve(t, sname, member, &m, &missing);
	if (err && !missing)
		return err;
	ck_error_destroy(err);
	*has = !missing;
	return NULL;
}

struct ck_error *ktypes_sizeof(struct ktypes *t, const char *sname, uint64_t *size)
{
	struct kt_info in;
	int missing = 0;
	struct ck_error *err = find_type(t, sname, &in, &missing);
	if (err)
		return err;
	*size = in.size;
	return NULL;
}

struct at_arg {
	struct ktypes *t;
	uint64_t off;		/* bytes, from the start of the struct being visited */
	struct kt_member hit;
	uint64_t hit_size;
	int found;
	struct ck_error *err;
};

/* The member (named, or anonymous to descend into) whose bytes hold off. */
static int member_at_cb(void *arg, const struct kt_member *m)
{
	struct at_arg *a = arg;
	if (m->bit_size || m->bit_offset % 8)
		return 0;
	struct kt_info in;
	if ((a->err = a->t->ops->info(a->t, m->type, &in)))
		return 1;
	uint64_t start = m->bit_offset / 8;
	if (a->off < start || a->off - start >= in.size)
		return 0;
	a->hit = *m;
	a->hit_size = in.size;
	a->found = 1;
	return 1;
}

struct ck_error *ktypes_member_at(struct ktypes *t, const char *sname, uint64_t off, char *buf, size_t cap)
{
	struct kt_info in;
	int missing = 0;
	struct ck_error *err = find_type(t, sname, &in, &missing);
	if (err)
		return err;
	if (!cap)
		return ck_error_create(CK_ERR_INPUT, "ktypes_member_at: no room for the name");
	buf[0] = 0;
	size_t len = 0;
	/* Descend while off falls inside a member: stop at the first member that
	 * starts exactly at off (the object itself, not its first field). */
	for (int depth = 0; depth < KT_MAX_DEPTH && (in.kind == KT_STRUCT || in.kind == KT_UNION); depth++) {
		struct at_arg a = { .t = t, .off = off };
		if ((err = t->ops->members(t, in.id, member_at_cb, &a)) || (err = a.err))
			return err;
		if (!a.found)
			break;
		uint64_t start = a.hit.bit_offset / 8;
		if (a.hit.name && a.hit.name[0]) {
			int n = snprintf(buf + len, cap - len, "%s%s", len ? "." : "", a.hit.name);
			if (n < 0 || (size_t)n >= cap - len)
				return ck_error_create(CK_ERR_INPUT, "ktypes_member_at: name longer than %zu", cap);
			len += (size_t)n;
		}
		off -= start;
		if ((err = t->ops->info(t, a.hit.type, &in)))
			return err;
		if (off == 0 && a.hit.name && a.hit.name[0])
			break;
	}
	if (!len)
		return ck_error_create(CK_ERR_INPUT, "struct %s has no member at offset %llu", bare_name(sname),
				       (unsigned long long)off);
	if (off) {
		int n = snprintf(buf + len, cap - len, "+%llu", (unsigned long long)off);
		if (n < 0 || (size_t)n >= cap - len)
			return ck_error_create(CK_ERR_INPUT, "ktypes_member_at: name longer than %zu", cap);
	}
	return NULL;
}

struct ck_error *ktypes_enum_value(struct ktypes *t, const char *ename, const char *name, int64_t *val)
{
	int found = 0, all = !ename || !ename[0];
	uint64_t type = 0;
	struct ck_error *err = NULL;
	if (!all) {
		const char *en = bare_name(ename);
		err = t->ops->find(t, KT_NS_ENUM, en, &type, &found);
		if (!err && !found) {
			err = t->ops->find(t, KT_NS_TYPEDEF, en, &type, &found);
			struct kt_info in;
			if (!err && found && !(err = t->ops->info(t, type, &in))) {
				found = in.kind == KT_ENUM;
				type = in.id;
			}
		}
		if (err)
			return err;
		if (!found)
			return ck_error_create(CK_ERR_INPUT, "%s: no enum %s", t->source, en);
	}
	err = t->ops->enumerator(t, type, all, name, val, &found);
	if (err)
		return err;
	if (!found)
		return all ? ck_error_create(CK_ERR_INPUT, "%s: no enumerator %s", t->source, name)
			   : ck_error_create(CK_ERR_INPUT, "enum %s has no enumerator %s", bare_name(ename), name);
	return NULL;
}

/* FNV-1a. */
static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

static struct kt_slot *map_slot(struct kt_slot *slots, size_t cap, const char *key)
{
	size_t i = (size_t)hash_str(key) & (cap - 1);
	while (slots[i].key && strcmp(slots[i].key, key) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

struct ck_error *kt_map_add(struct kt_map *m, const char *key, uint64_t val)
{
	if ((m->n + 1) * 10 > m->cap * 7) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		struct kt_slot *s = calloc(cap, sizeof(*s));
		if (!s)
			return &ck_enomem;
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].key)
				*map_slot(s, cap, m->slots[i].key) = m->slots[i];
		free(m->slots);
		m->slots = s;
		m->cap = cap;
	}
	struct kt_slot *s = map_slot(m->slots, m->cap, key);
	if (!s->key) {
		s->key = key;
		s->val = val;
		m->n++;
	}
	return NULL;
}

int kt_map_get(const struct kt_map *m, const char *key, uint64_t *val)
{
	if (!m->cap)
		return 0;
	const struct kt_slot *s = map_slot(m->slots, m->cap, key);
	if (!s->key)
		return 0;
	*val = s->val;
	return 1;
}

void kt_map_free(struct kt_map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}
