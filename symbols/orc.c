/*
 * orc.c - ORC tables: read once from guest memory, kept sorted by IP,
 * binary-searched, entries decoded per format (see orc.h for the layouts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orc_priv.h"

enum {
	ORC_READ_CHUNK = 256 << 10,	/* bytes per memory read while loading */
	ORC_MAX_TEXT = 1u << 31,	/* a table covers at most 2 GiB of code */
};

enum orc_format orc_format_for_release(const char *osrelease)
{
	unsigned major = 0, minor = 0;
	if (!osrelease || sscanf(osrelease, "%u.%u", &major, &minor) != 2)
		return ORC_FORMAT_V3;
	if (major < 6 || (major == 6 && minor < 3))
		return ORC_FORMAT_V1;
	if (major == 6 && minor == 3)
		return ORC_FORMAT_V2;
	return ORC_FORMAT_V3;
}

struct ck_error *orc_unwinder_create(const struct ck_memory *mem, enum orc_format fmt,
				     struct orc_unwinder **ret)
{
	if (fmt != ORC_FORMAT_V1 && fmt != ORC_FORMAT_V2 && fmt != ORC_FORMAT_V3)
		return ck_error_create(CK_ERR_USAGE, "orc: unknown ORC format %d", (int)fmt);
	struct orc_unwinder *u = calloc(1, sizeof(*u));
	if (!u)
		return &ck_enomem;
	u->mem = mem;
	u->fmt = fmt;
	*ret = u;
	return NULL;
}

void orc_unwinder_destroy(struct orc_unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->ntables; i++) {
		free(u->tables[i].ip);
		free(u->tables[i].e);
	}
	free(u->tables);
	free(u);
}

/* Read len bytes at va in bounded chunks into buf. */
static struct ck_error *read_block(const struct ck_memory *mem, uint64_t va, uint8_t *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		size_t n = len - done < ORC_READ_CHUNK ? len - done : ORC_READ_CHUNK;
		struct ck_error *err = ck_mem_read(mem, va + done, buf + done, n);
		if (err)
			return err;
		done += n;
	}
	return NULL;
}

/* Is the entry a gap filler (a "weak" section terminator)? */
static bool raw_is_undefined(enum orc_format fmt, const struct orc_raw *r)
{
	if (fmt == ORC_FORMAT_V3)
		return ((r->flags >> 8) & 7) == 0;
	return (r->flags & 0xf) == ORC_REG_UNDEFINED && !((r->flags >> (fmt == ORC_FORMAT_V1 ? 10 : 11)) & 1);
}

struct sort_item {
	uint64_t ip;
	uint32_t idx;
	uint8_t weak;
};

/* By IP; among equal IPs gap fillers first so the real entry is the last one (as the kernel sorts). */
static int sort_cmp(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;
	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	if (x->weak != y->weak)
		return x->weak ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static struct ck_error *sort_table(enum orc_format fmt, struct orc_table *t)
{
	struct sort_item *s = malloc((size_t)t->count * sizeof(*s));
	struct orc_raw *e = malloc((size_t)t->count * sizeof(*e));
	if (!s || !e) {
		free(s);
		free(e);
		return &ck_enomem;
	}
	for (uint32_t i = 0; i < t->count; i++)
		s[i] = (struct sort_item){ t->ip[i], i, raw_is_undefined(fmt, &t->e[i]) };
	qsort(s, t->count, sizeof(*s), sort_cmp);
	for (uint32_t i = 0; i < t->count; i++) {
		t->ip[i] = s[i].ip;
		e[i] = t->e[s[i].idx];
	}
	free(s);
	free(t->e);
	t->e = e;
	return NULL;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static struct ck_error *load_table(const struct orc_unwinder *u, uint64_t ip_table, uint64_t orc_table,
				   uint32_t count, struct orc_table *t)
{
	size_t n = count;
	uint8_t *buf = malloc(n * 6);	/* big enough for the IPs (4 each) and the entries (6) */
	t->ip = malloc(n * sizeof(*t->ip));
	t->e = malloc(n * sizeof(*t->e));
	if (!buf || !t->ip || !t->e) {
		free(buf);
		return &ck_enomem;
	}
	struct ck_error *err = read_block(u->mem, ip_table, buf, n * 4);
	if (err) {
		free(buf);
		return ck_error_prefix(err, "orc: ip table at 0x%llx", (unsigned long long)ip_table);
	}
	bool sorted = true;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = buf + i * 4;
		int32_t rel = (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
					(uint32_t)p[3] << 24);
		t->ip[i] = ip_table + i * 4 + (uint64_t)(int64_t)rel;
		if (i && t->ip[i] < t->ip[i - 1])
			sorted = false;
	}
	err = read_block(u->mem, orc_table, buf, n * 6);
	if (err) {
		free(buf);
		return ck_error_prefix(err, "orc: entry table at 0x%llx", (unsigned long long)orc_table);
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = buf + i * 6;
		t->e[i] = (struct orc_raw){ (int16_t)le16(p), (int16_t)le16(p + 2), le16(p + 4) };
	}
	free(buf);
	t->count = count;
	return sorted ? NULL : sort_table(u->fmt, t);
}

struct ck_error *orc_add_table(struct orc_unwinder *u, uint64_t ip_table, uint64_t orc_table,
			       uint64_t count, uint64_t text_start, uint64_t text_end)
{
	if (count == 0 || count > ORC_MAX_ENTRIES)
		return ck_error_create(CK_ERR_INPUT, "orc: table at 0x%llx: %llu entries (1..%u allowed)",
				       (unsigned long long)ip_table, (unsigned long long)count,
				       (unsigned)ORC_MAX_ENTRIES);
	if (ip_table > UINT64_MAX - count * 4 || orc_table > UINT64_MAX - count * 6)
		return ck_error_create(CK_ERR_INPUT, "orc: table at 0x%llx runs past the address space",
				       (unsigned long long)ip_table);
	if (text_end <= text_start || text_end - text_start > ORC_MAX_TEXT)
		return ck_error_create(CK_ERR_INPUT, "orc: bad text range 0x%llx..0x%llx",
				       (unsigned long long)text_start, (unsigned long long)text_end);
	if (u->ntables >= ORC_MAX_TABLES || u->total + count > ORC_MAX_TOTAL_ENTRIES)
		return ck_error_create(CK_ERR_INPUT, "orc: too many tables or entries (%zu tables, %zu entries)",
				       u->ntables, u->total);
	struct orc_table *tabs = realloc(u->tables, (u->ntables + 1) * sizeof(*tabs));
	if (!tabs)
		return &ck_enomem;
	u->tables = tabs;
	struct orc_table t = { .text_start = text_start, .text_end = text_end };
	struct ck_error *err = load_table(u, ip_table, orc_table, (uint32_t)count, &t);
	if (err) {
		free(t.ip);
		free(t.e);
		return err;
	}
	u->tables[u->ntables++] = t;
	u->total += count;
	return NULL;
}

struct ck_error *orc_add_vmlinux(struct orc_unwinder *u, uint64_t start_ip, uint64_t stop_ip,
				 uint64_t start_orc, uint64_t stop_orc, uint64_t text_start,
				 uint64_t text_end)
{
	if (stop_ip <= start_ip || (stop_ip - start_ip) % 4 || stop_orc <= start_orc ||
	    (stop_orc - start_orc) % 6 || (stop_ip - start_ip) / 4 != (stop_orc - start_orc) / 6)
		return ck_error_create(CK_ERR_INPUT,
				       "orc: vmlinux tables disagree: ip 0x%llx..0x%llx, entries 0x%llx..0x%llx",
				       (unsigned long long)start_ip, (unsigned long long)stop_ip,
				       (unsigned long long)start_orc, (unsigned long long)stop_orc);
	return orc_add_table(u, start_ip, start_orc, (stop_ip - start_ip) / 4, text_start, text_end);
}

static void decode(enum orc_format fmt, const struct orc_raw *r, uint64_t start, struct orc_entry_info *e)
{
	unsigned f = r->flags;
	*e = (struct orc_entry_info){ .start = start, .sp_offset = r->sp_offset, .bp_offset = r->bp_offset,
				      .sp_reg = f & 0xf, .bp_reg = (f >> 4) & 0xf };
	if (fmt == ORC_FORMAT_V3) {
		unsigned type = (f >> 8) & 7;
		e->type = type <= ORC_TYPE_REGS_PARTIAL ? (uint8_t)type : ORC_TYPE_INVALID;
		e->signal = (f >> 11) & 1;
		return;
	}
	/* V1/V2: types CALL 0, REGS 1, REGS_PARTIAL 2; sp_reg UNDEFINED is an end or a gap. */
	unsigned type = (f >> 8) & 3;
	bool end = (f >> (fmt == ORC_FORMAT_V1 ? 10 : 11)) & 1;
	if (e->sp_reg == ORC_REG_UNDEFINED)
		e->type = end ? ORC_TYPE_END_OF_STACK : ORC_TYPE_UNDEFINED;
	else
		e->type = type == 3 ? ORC_TYPE_INVALID : (uint8_t)(ORC_TYPE_CALL + type);
	/* V1 has no signal bit: the kernel took every pt_regs frame as exact. */
	e->signal = fmt == ORC_FORMAT_V1 ? type != 0 : (f >> 10) & 1;
}

bool orc_find(const struct orc_unwinder *u, uint64_t ip, struct orc_entry_info *e)
{
	for (size_t k = 0; k < u->ntables; k++) {
		const struct orc_table *t = &u->tables[k];
		if (ip < t->text_start || ip >= t->text_end)
			continue;
		/* Rightmost entry starting at or below ip. */
		size_t lo = 0, hi = t->count;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (t->ip[mid] <= ip)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0 || t->ip[lo - 1] < t->text_start)
			continue;
		decode(u->fmt, &t->e[lo - 1], t->ip[lo - 1], e);
		return true;
	}
	return false;
}
