/* kallsyms_decode.c - the kernel's compressed kallsyms tables -> struct kallsyms. */
#include "kallsyms_internal.h"

#include <stdlib.h>
#include <string.h>

#include "vmcoreinfo.h"

enum {
	NAMES_CHUNK = 64 << 10,
	TOKEN_TABLE_MAX = 64 << 10,
};

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
