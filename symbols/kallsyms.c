/* kallsyms.c - decode the kernel's kallsyms tables into a sorted array; lookups. */
#include "kallsyms_internal.h"

#include <stdlib.h>
#include <string.h>

#include "vmcoreinfo.h"

enum {
	PAGE = 4096,
	NAMES_CHUNK = 64 << 10,
	TOKEN_TABLE_MAX = 64 << 10,
};

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

/* Per-CPU offsets (small, absolute) and kernel addresses are separate ranges. */
static bool same_range(uint64_t a, uint64_t b)
{
	return (a >> 63) == (b >> 63);
}

/* vmlinux sizes: distance to the next higher address in the same range. */
static void vmlinux_sizes(struct kallsyms *ks)
{
	size_t i = 0;
	while (i < ks->n) {
		size_t j = i + 1;
		while (j < ks->n && ks->ents[j].addr == ks->ents[i].addr)
			j++;
		uint64_t size = 0;
		if (j < ks->n && same_range(ks->ents[i].addr, ks->ents[j].addr))
			size = ks->ents[j].addr - ks->ents[i].addr;
		for (size_t k = i; k < j; k++)
			ks->ents[k].size = size;
		i = j;
	}
}

/* A window over kallsyms_names, refilled NAMES_CHUNK at a time. */
struct cursor {
	const struct ck_memory *mem;
	uint64_t next;		/* guest address of buf[len] */
	uint8_t *buf;
	size_t pos, len;
};

/* Make n bytes available at c->buf + c->pos. */
static struct ck_error *cursor_need(struct cursor *c, size_t n)
{
	if (c->len - c->pos >= n)
		return NULL;
	memmove(c->buf, c->buf + c->pos, c->len - c->pos);
	c->len -= c->pos;
	c->pos = 0;
	size_t got = 0;
	struct ck_error *err = ks_read_prefix(c->mem, c->next, c->buf + c->len, NAMES_CHUNK - c->len, &got);
	if (err)
		return err;
	c->len += got;
	c->next += got;
	if (c->len < n)
		return ck_error_create(CK_ERR_FAULT, "kallsyms_names: cannot read address 0x%llx",
				       (unsigned long long)c->next);
	return NULL;
}

/* The 256 tokens: offsets validated, each NUL-terminated inside the table. */
struct tokens {
	uint8_t table[TOKEN_TABLE_MAX + 1];
	uint16_t off[256], len[256];
};

static struct ck_error *read_tokens(const struct ck_memory *mem, const struct kallsyms_tables *t, struct tokens *tk)
{
	uint8_t raw[512];
	struct ck_error *err = ck_mem_read(mem, t->token_index, raw, sizeof(raw));
	if (err)
		return ck_error_prefix(err, "kallsyms_token_index");
	size_t maxoff = 0;
	for (int i = 0; i < 256; i++) {
		tk->off[i] = (uint16_t)le_get(raw + 2 * i, 2);
		if (tk->off[i] > maxoff)
			maxoff = tk->off[i];
	}
	/* Usually the index follows the table: read exactly that; else enough past the last token. */
	size_t want = maxoff + KALLSYMS_MAX_NAME;
	if (t->token_index > t->token_table && t->token_index - t->token_table <= TOKEN_TABLE_MAX)
		want = (size_t)(t->token_index - t->token_table);
	if (want > TOKEN_TABLE_MAX)
		want = TOKEN_TABLE_MAX;
	size_t got = 0;
	err = ks_read_prefix(mem, t->token_table, tk->table, want, &got);
	if (err)
		return ck_error_prefix(err, "kallsyms_token_table");
	for (int i = 0; i < 256; i++) {
		const uint8_t *nul = tk->off[i] < got ? memchr(tk->table + tk->off[i], 0, got - tk->off[i]) : NULL;
		if (!nul)
			return ck_error_create(CK_ERR_INPUT, "kallsyms_token_table: token %d at offset %u is not terminated",
					       i, tk->off[i]);
		tk->len[i] = (uint16_t)(nul - (tk->table + tk->off[i]));
	}
	return NULL;
}

static struct ck_error *decode_names(const struct ck_memory *mem, const struct kallsyms_tables *t,
				     const struct tokens *tk, const int32_t *offs, uint32_t n, struct kallsyms *ks)
{
	uint64_t base = 0;
	struct ck_error *err = ck_mem_read_u64(mem, t->relative_base, &base);
	if (err)
		return ck_error_prefix(err, "kallsyms_relative_base");
	bool abs_percpu = false;
	for (uint32_t i = 0; i < n && !abs_percpu; i++)
		abs_percpu = offs[i] < 0;

	struct cursor c = { .mem = mem, .next = t->names, .buf = malloc(NAMES_CHUNK) };
	if (!c.buf)
		return &ck_enomem;
	char name[KALLSYMS_MAX_NAME];
	for (uint32_t i = 0; i < n && !err; i++) {
		err = cursor_need(&c, 1);
		if (err)
			break;
		size_t len = c.buf[c.pos], hdr = 1;
		if (len & 0x80) {
			err = cursor_need(&c, 2);
			if (err)
				break;
			len = (len & 0x7f) | (size_t)c.buf[c.pos + 1] << 7;
			hdr = 2;
		}
		if (len == 0) {
			err = ck_error_create(CK_ERR_INPUT, "kallsyms_names: symbol %u has length 0", i);
			break;
		}
		err = cursor_need(&c, hdr + len);
		if (err)
			break;
		size_t nl = 0;
		for (size_t k = 0; k < len && !err; k++) {
			uint8_t tok = c.buf[c.pos + hdr + k];
			if (nl + tk->len[tok] > sizeof(name))
				err = ck_error_create(CK_ERR_INPUT, "kallsyms_names: symbol %u longer than %d bytes",
						      i, KALLSYMS_MAX_NAME);
			else
				memcpy(name + nl, tk->table + tk->off[tok], tk->len[tok]);
			nl += tk->len[tok];
		}
		if (err)
			break;
		c.pos += hdr + len;
		if (nl < 2) {
			err = ck_error_create(CK_ERR_INPUT, "kallsyms_names: symbol %u has no name", i);
			break;
		}
		uint64_t addr;
		if (!abs_percpu)
			addr = base + (uint32_t)offs[i];
		else if (offs[i] >= 0)
			addr = (uint64_t)offs[i];
		else
			addr = base - 1 - (uint64_t)(int64_t)offs[i];
		err = ks_add(ks, addr, 0, name[0], name + 1, nl - 1, -1);
	}
	free(c.buf);
	return err;
}

struct ck_error *kallsyms_load_tables(const struct ck_memory *mem, const struct kallsyms_tables *t,
				      struct kallsyms **ret)
{
	uint32_t n = 0;
	struct ck_error *err = ck_mem_read_u32(mem, t->num_syms, &n);
	if (err)
		return ck_error_prefix(err, "kallsyms_num_syms");
	if (n == 0 || n > KALLSYMS_MAX_SYMS)
		return ck_error_create(CK_ERR_INPUT, "kallsyms_num_syms: %u symbols is not plausible", n);

	/* Before allocating by n: the offsets and names (2 bytes or more each) must end in mapped memory. */
	uint8_t probe;
	err = ck_mem_read(mem, t->offsets + 4 * (uint64_t)n - 1, &probe, 1);
	if (!err)
		err = ck_mem_read(mem, t->names + 2 * (uint64_t)n - 1, &probe, 1);
	if (err)
		return ck_error_prefix(err, "kallsyms: %u symbols", n);
	struct kallsyms *ks = calloc(1, sizeof(*ks));
	struct tokens *tk = malloc(sizeof(*tk));
	uint8_t *raw = malloc((size_t)n * 4);
	int32_t *offs = malloc((size_t)n * sizeof(*offs));
	if (!ks || !tk || !raw || !offs) {
		err = &ck_enomem;
		goto out;
	}
	err = read_tokens(mem, t, tk);
	if (err)
		goto out;
	err = ck_mem_read(mem, t->offsets, raw, (size_t)n * 4);
	if (err) {
		err = ck_error_prefix(err, "kallsyms_offsets");
		goto out;
	}
	for (uint32_t i = 0; i < n; i++)
		offs[i] = (int32_t)le32(raw + 4 * (size_t)i);
	free(raw);
	raw = NULL;
	ks->ents = malloc((size_t)n * sizeof(*ks->ents));
	ks->pool_cap = (size_t)n * 24;
	ks->pool = malloc(ks->pool_cap);
	if (!ks->ents || !ks->pool) {
		err = &ck_enomem;
		goto out;
	}
	ks->cap = n;
	err = decode_names(mem, t, tk, offs, n, ks);
	if (!err)
		err = ks_finish(ks);
	if (!err)
		vmlinux_sizes(ks);
out:
	free(tk);
	free(raw);
	free(offs);
	if (err) {
		kallsyms_destroy(ks);
		return err;
	}
	*ret = ks;
	return NULL;
}

struct ck_error *kallsyms_locate(const struct ck_memory *mem, const char *vmcoreinfo, size_t len,
				 struct kallsyms_tables *ret, bool *found_by_scan_ret)
{
	struct kallsyms_tables t;
	if (vmcoreinfo && vmcoreinfo_get_hex(vmcoreinfo, len, "SYMBOL(kallsyms_names)", &t.names) &&
	    vmcoreinfo_get_hex(vmcoreinfo, len, "SYMBOL(kallsyms_num_syms)", &t.num_syms) &&
	    vmcoreinfo_get_hex(vmcoreinfo, len, "SYMBOL(kallsyms_token_table)", &t.token_table) &&
	    vmcoreinfo_get_hex(vmcoreinfo, len, "SYMBOL(kallsyms_token_index)", &t.token_index) &&
	    vmcoreinfo_get_hex(vmcoreinfo, len, "SYMBOL(kallsyms_offsets)", &t.offsets) &&
	    vmcoreinfo_get_hex(vmcoreinfo, len, "SYMBOL(kallsyms_relative_base)", &t.relative_base)) {
		*ret = t;
		if (found_by_scan_ret)
			*found_by_scan_ret = false;
		return NULL;
	}
	/* The image starts at _stext; without it, at the default 16 MiB load address + KASLR slide. */
	uint64_t start = 0, koff = 0;
	if (!vmcoreinfo || !vmcoreinfo_get_hex(vmcoreinfo, len, "SYMBOL(_stext)", &start)) {
		if (vmcoreinfo)
			vmcoreinfo_get_hex(vmcoreinfo, len, "KERNELOFFSET", &koff);
		start = 0xffffffff81000000ULL + koff;
	}
	struct ck_error *err = kallsyms_scan(mem, start, 256ULL << 20, &t);
	if (err)
		return err;
	*ret = t;
	if (found_by_scan_ret)
		*found_by_scan_ret = true;
	return NULL;
}

struct ck_error *kallsyms_load(const struct ck_memory *mem, const char *vmcoreinfo, size_t len,
			       struct kallsyms **ret)
{
	struct kallsyms_tables t;
	struct ck_error *err = kallsyms_locate(mem, vmcoreinfo, len, &t, NULL);
	return err ? err : kallsyms_load_tables(mem, &t, ret);
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
