/* kallsyms.c - the symbol store: one sorted array, a string pool, a name hash; lookups. */
#include "kallsyms_internal.h"

#include <stdlib.h>
#include <string.h>

enum { PAGE = 4096 };

struct ck_error *ks_read_prefix(const struct ck_memory *mem, uint64_t addr, void *buf, size_t len, size_t *got)
{
	struct ck_error *err = ck_mem_read(mem, addr, buf, len);
	if (!err) {
		*got = len;
		return NULL;
	}
	if (!ck_error_is_fault(err))
		return err;
	ck_error_destroy(err);
	size_t done = 0;
	while (done < len) {
		uint64_t a = addr + done;
		size_t n = PAGE - (size_t)(a % PAGE);
		if (n > len - done)
			n = len - done;
		err = ck_mem_read(mem, a, (uint8_t *)buf + done, n);
		if (err) {
			if (!ck_error_is_fault(err))
				return err;
			ck_error_destroy(err);
			break;
		}
		done += n;
	}
	*got = done;
	return NULL;
}

struct ck_error *ks_add(struct kallsyms *ks, uint64_t addr, uint64_t size, char type, const char *name,
			size_t len, int32_t mod)
{
	if (ks->n >= UINT32_MAX || ks->pool_len + len + 1 > UINT32_MAX)
		return ck_error_create(CK_ERR_INPUT, "kallsyms: too many symbols");
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 1024;
		struct kent *e = realloc(ks->ents, cap * sizeof(*e));
		if (!e)
			return &ck_enomem;
		ks->ents = e;
		ks->cap = cap;
	}
	if (ks->pool_len + len + 1 > ks->pool_cap) {
		size_t cap = ks->pool_cap ? ks->pool_cap : 64 << 10;
		while (cap < ks->pool_len + len + 1)
			cap *= 2;
		char *p = realloc(ks->pool, cap);
		if (!p)
			return &ck_enomem;
		ks->pool = p;
		ks->pool_cap = cap;
	}
	memcpy(ks->pool + ks->pool_len, name, len);
	ks->pool[ks->pool_len + len] = 0;
	ks->ents[ks->n] = (struct kent){ .addr = addr, .size = size, .name = (uint32_t)ks->pool_len,
					 .seq = (uint32_t)ks->n, .mod = mod, .type = type };
	ks->pool_len += len + 1;
	ks->n++;
	return NULL;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct kent *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Sort ents by (address, seq).  Usually a sorted prefix (vmlinux, in table
 * order) plus a short tail (module symbols): sort the tail, then merge it with
 * the part of the prefix above its first address, through a buffer that small.
 */
static void sort_ents(struct kallsyms *ks)
{
	size_t p = 1;
	while (p < ks->n && cmp_addr(&ks->ents[p - 1], &ks->ents[p]) < 0)
		p++;
	if (p >= ks->n)
		return;
	struct kent *e = ks->ents;
	qsort(e + p, ks->n - p, sizeof(*e), cmp_addr);
	size_t lo = 0, hi = p;	/* first prefix entry above e[p] */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_addr(&e[mid], &e[p]) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	struct kent *tmp = malloc((ks->n - lo) * sizeof(*tmp));
	if (!tmp) {	/* no room to merge: sort in place */
		qsort(e, ks->n, sizeof(*e), cmp_addr);
		return;
	}
	size_t a = lo, b = p, o = 0;
	while (a < p || b < ks->n)
		tmp[o++] = b >= ks->n || (a < p && cmp_addr(&e[a], &e[b]) < 0) ? e[a++] : e[b++];
	memcpy(e + lo, tmp, o * sizeof(*tmp));
	free(tmp);
}

static uint64_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h ^ h >> 29;
}

struct ck_error *ks_finish(struct kallsyms *ks)
{
	/* Allocate first, so a failure leaves the order (and a caller's rollback) intact. */
	size_t want = 64;
	while (want < 2 * ks->n)
		want *= 2;
	if (ks->nslots < want) {
		uint32_t *v = malloc(want * sizeof(*v));
		if (!v)
			return &ck_enomem;
		free(ks->slots);
		ks->slots = v;
		ks->nslots = want;
	}
	sort_ents(ks);
	memset(ks->slots, 0, ks->nslots * sizeof(*ks->slots));
	size_t mask = ks->nslots - 1;
	for (size_t i = 0; i < ks->n; i++) {
		size_t h = (size_t)name_hash(ks->pool + ks->ents[i].name) & mask;
		while (ks->slots[h])
			h = (h + 1) & mask;
		ks->slots[h] = (uint32_t)i + 1;
	}
	return NULL;
}

void kallsyms_destroy(struct kallsyms *ks)
{
	if (!ks)
		return;
	free(ks->ents);
	free(ks->slots);
	free(ks->pool);
	free(ks->mods);
	free(ks);
}

static void fill(const struct kallsyms *ks, size_t i, uint64_t addr, struct ksym *out)
{
	const struct kent *e = &ks->ents[i];
	*out = (struct ksym){ .name = ks->pool + e->name, .module = e->mod >= 0 ? ks->mods[e->mod].name : NULL,
			      .start = e->addr, .size = e->size, .offset = addr - e->addr, .type = e->type };
}

bool kallsyms_lookup(const struct kallsyms *ks, uint64_t addr, struct ksym *out)
{
	size_t lo = 0, hi = ks->n;	/* first entry with ents.addr > addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ks->ents[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	size_t i = lo - 1;
	while (i > 0 && ks->ents[i - 1].addr == ks->ents[i].addr)
		i--;
	const struct kent *e = &ks->ents[i];
	if (e->size ? addr - e->addr >= e->size : addr != e->addr)
		return false;
	fill(ks, i, addr, out);
	return true;
}

/* The matching symbol first added (lowest seq) among those named name, in module mod
 * (mlen bytes of it) when mod is not NULL; -1 if none. */
static long find_name(const struct kallsyms *ks, const char *name, const char *mod, size_t mlen)
{
	if (!ks->nslots)
		return -1;
	size_t mask = ks->nslots - 1;
	long best = -1;
	for (size_t h = (size_t)name_hash(name) & mask; ks->slots[h]; h = (h + 1) & mask) {
		size_t i = ks->slots[h] - 1;
		const struct kent *e = &ks->ents[i];
		if (strcmp(ks->pool + e->name, name) != 0 || (best >= 0 && ks->ents[best].seq < e->seq))
			continue;
		if (mod && (e->mod < 0 || strncmp(ks->mods[e->mod].name, mod, mlen) != 0 || ks->mods[e->mod].name[mlen]))
			continue;
		best = (long)i;
	}
	return best;
}

bool kallsyms_find(const struct kallsyms *ks, const char *name, struct ksym *out)
{
	long i = find_name(ks, name, NULL, 0);
	const char *colon = strchr(name, ':');
	if (i < 0 && colon)
		i = find_name(ks, colon + 1, name, (size_t)(colon - name));
	if (i < 0)
		return false;
	fill(ks, (size_t)i, ks->ents[i].addr, out);
	return true;
}

bool kallsyms_address(const struct kallsyms *ks, const char *name, uint64_t *addr)
{
	struct ksym s;
	if (!kallsyms_find(ks, name, &s))
		return false;
	*addr = s.start;
	return true;
}

size_t kallsyms_count(const struct kallsyms *ks)
{
	return ks->n;
}

void kallsyms_symbol(const struct kallsyms *ks, size_t i, struct ksym *out)
{
	fill(ks, i, ks->ents[i].addr, out);
}

size_t kallsyms_nmodules(const struct kallsyms *ks)
{
	return ks->nmods;
}

const struct kmodule_info *kallsyms_module(const struct kallsyms *ks, size_t i)
{
	return i < ks->nmods ? &ks->mods[i] : NULL;
}
