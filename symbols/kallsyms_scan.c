/*
 * kallsyms_scan.c - find the kallsyms tables in the kernel image when
 * VMCOREINFO does not name them.
 *
 * scripts/kallsyms emits, each label 8-byte aligned:
 *   [offsets, relative_base]  (up to 6.1: before num_syms)
 *   num_syms (u32), names, markers (u32 or u64 per 256 names),
 *   [seqs_of_names (6.2+, 3 bytes per name)], token_table, token_index (256 x u16)
 *   [offsets, relative_base]  (later kernels: after token_index)
 * How they are found, every step checked against the next:
 *  1. Token table: single characters that occur in symbol names are their own
 *     tokens at their ASCII index, so "0\0" "1\0" ... "9\0" sits at token '0'.
 *     Scan the image for those 20 bytes; walk the 198 strings after '9' to the
 *     table end; the index follows 8-aligned, and index['0'..'9'] must point at
 *     the digits and every index entry at the start of its string.
 *  2. Markers end right before the token table, or (6.2+, Debian 6.1) before
 *     kallsyms_seqs_of_names (3 bytes per name, then the token table): walking
 *     back from a candidate end, values strictly decrease by 512 .. 256 * 1026
 *     to a 0 (markers[0]); tried as u32 and as u64, at every 8-aligned end
 *     below the token table whose gap fits the marker count.
 *  3. Names start: an 8-aligned N below the markers whose preceding u32 (num_syms)
 *     gives the marker count, whose entries (length-prefixed) put name 256*j at
 *     N + markers[j] and end just before the markers.
 *  4. offsets/relative_base in either place: relative_base is a kernel address
 *     and the decoded addresses never decrease.
 * The first candidate that passes all four wins.  The scan reads whole pages,
 * unmapped ones count as zeros, and stops at max_len or after a 32 MiB hole
 * once something was mapped (kallsyms_locate: from _stext, or from
 * 0xffffffff81000000 + KERNELOFFSET, up to 256 MiB).  Cost on the Debian 6.1
 * guest: ~160 ms CPU (the tables lie ~19 MiB above _stext); it is the fallback.
 * Not found: kernels with absolute kallsyms_addresses[] (no BASE_RELATIVE).
 */
#include "kallsyms_internal.h"

#include <stdlib.h>
#include <string.h>

enum {
	PAGE = 4096,
	CHUNK = 1 << 20,
	TOKTAB_MAX = 64 << 10,
	NAMES_TAIL_MAX = 256 * (2 + 512),	/* <= 256 names after the last marker, < 512 tokens each */
	NAMES_MAX = 64 << 20,
	MAX_HOLE = 32 << 20,		/* unmapped run that ends the scan */
};

static const char DIGITS[] = "0\0" "1\0" "2\0" "3\0" "4\0" "5\0" "6\0" "7\0" "8\0" "9";	/* 20 bytes with the NUL */

static uint64_t align8(uint64_t x)
{
	return (x + 7) & ~7ULL;
}

/* Step 1: token table T and index TI around the digit tokens at p. */
static struct ck_error *check_tokens(const struct ck_memory *mem, uint64_t p, uint64_t *t_ret, uint64_t *ti_ret,
				     bool *ok)
{
	static const size_t after = 8192;
	uint8_t buf[8192 + 512];
	size_t got = 0;
	*ok = false;
	struct ck_error *err = ks_read_prefix(mem, p, buf, after, &got);
	if (err)
		return err;
	size_t pos = sizeof(DIGITS);
	for (int i = '9' + 1; i < 256; i++) {
		const uint8_t *nul = pos < got ? memchr(buf + pos, 0, got - pos) : NULL;
		if (!nul)
			return NULL;
		for (const uint8_t *c = buf + pos; c < nul; c++)
			if (*c <= ' ' || *c >= 0x7f)
				return NULL;
		pos = (size_t)(nul - buf) + 1;
	}
	uint64_t end = p + pos, ti = align8(end);
	uint8_t idx[512];
	if (ck_error_is_fault(err = ck_mem_read(mem, ti, idx, sizeof(idx)))) {
		ck_error_destroy(err);
		return NULL;
	}
	if (err)
		return err;
	uint16_t off[256];
	for (int i = 0; i < 256; i++)
		off[i] = (uint16_t)le_get(idx + 2 * i, 2);
	if (off[0] != 0 || off['0'] > p)
		return NULL;
	for (int d = 0; d < 10; d++)
		if (off['0' + d] != off['0'] + 2 * d)
			return NULL;
	uint64_t t = p - off['0'];
	size_t tlen = (size_t)(end - t);
	uint8_t *tab = malloc(tlen);
	if (!tab)
		return &ck_enomem;
	err = ck_mem_read(mem, t, tab, tlen);
	if (ck_error_is_fault(err)) {
		ck_error_destroy(err);
		err = NULL;
	} else if (!err) {
		size_t q = 0;
		int i = 0;
		for (; i < 256 && q < tlen && off[i] == q; i++) {
			const uint8_t *nul = memchr(tab + q, 0, tlen - q);
			if (!nul)
				break;
			q = (size_t)(nul - tab) + 1;
		}
		*ok = i == 256 && q == tlen;
	}
	free(tab);
	*t_ret = t;
	*ti_ret = ti;
	return err;
}

/*
 * Step 2: markers of esz bytes ending at b + end (where the next, 8-aligned
 * table starts): strictly increasing from 0 and 2..2 + KALLSYMS_MAX_NAME bytes
 * per name.  Returns their count (0: none), *start_ret their offset in b.
 */
static size_t markers_at(const uint8_t *b, size_t end, size_t esz, size_t *start_ret)
{
	size_t j = end;
	if (j < 2 * esz)
		return 0;
	if (esz == 4 && le32(b + j - 4) == 0)	/* padding to the 8-aligned next table */
		j -= 4;
	uint64_t last = le_get(b + j - esz, esz);
	size_t cnt = 1;
	j -= esz;
	while (last != 0) {
		if (j < esz)
			return 0;
		uint64_t v = le_get(b + j - esz, esz);
		if (v >= last || last - v < 256 * 2 || last - v > 256 * (2 + KALLSYMS_MAX_NAME))
			return 0;
		last = v;
		j -= esz;
		cnt++;
	}
	*start_ret = j;
	return cnt >= 2 ? cnt : 0;
}

/*
 * The readable bytes just below end, at most maxlen: *buf_ret (caller frees)
 * holds [end - *got, end).  The buffer grows by doubling, so a small mapped
 * region costs little even with a large maxlen.
 */
static struct ck_error *read_back(const struct ck_memory *mem, uint64_t end, size_t maxlen, uint8_t **buf_ret,
				  size_t *got_ret)
{
	uint8_t *buf = NULL;
	size_t got = 0;
	maxlen = end < maxlen ? (size_t)end : maxlen;
	while (got < maxlen) {
		size_t want = got ? 2 * got : 256 << 10;
		want = want < maxlen ? want : maxlen;
		uint8_t *nb = malloc(want);
		if (!nb) {
			free(buf);
			return &ck_enomem;
		}
		if (got)
			memcpy(nb + want - got, buf, got);
		free(buf);
		buf = nb;
		struct ck_error *err = ck_mem_read(mem, end - want, nb, want - got);
		if (!err) {
			got = want;
			continue;
		}
		if (!ck_error_is_fault(err)) {
			free(buf);
			return err;
		}
		ck_error_destroy(err);
		while (got < want) {	/* page by page down to the hole */
			uint64_t hi = end - got;
			size_t pn = hi % PAGE ? (size_t)(hi % PAGE) : PAGE;
			pn = pn < want - got ? pn : want - got;
			err = ck_mem_read(mem, hi - pn, nb + want - got - pn, pn);
			if (err) {
				if (!ck_error_is_fault(err)) {
					free(buf);
					return err;
				}
				ck_error_destroy(err);
				break;
			}
			got += pn;
		}
		memmove(buf, buf + want - got, got);
		break;
	}
	*buf_ret = buf;
	*got_ret = got;
	return NULL;
}

/* Step 3: does a names table with k markers start at buf[at]? (bufend: the markers) */
static bool names_fit(const uint8_t *buf, size_t at, size_t bufend, const uint64_t *marks, size_t k)
{
	uint32_t n = le32(buf + at - 8);
	if (n == 0 || n > KALLSYMS_MAX_SYMS || ((uint64_t)n + 255) / 256 != k)
		return false;
	size_t p = at;
	for (uint32_t i = 0; i < n; i++) {
		if (i % 256 == 0 && p != at + marks[i / 256])
			return false;
		if (p >= bufend)
			return false;
		size_t len = buf[p], hdr = 1;
		if (len & 0x80) {
			if (p + 1 >= bufend)
				return false;
			len = (len & 0x7f) | (size_t)buf[p + 1] << 7;
			hdr = 2;
		}
		if (len == 0)
			return false;
		p += hdr + len;
	}
	return p <= bufend && bufend - p < 8;
}

/* Step 4: offsets at o with relative_base at rb give non-decreasing kernel addresses. */
static struct ck_error *offsets_fit(const struct ck_memory *mem, uint64_t o, uint64_t rb, uint32_t n, bool *ok)
{
	uint64_t base = 0;
	*ok = false;
	struct ck_error *err = ck_mem_read_u64(mem, rb, &base);
	uint8_t *raw = err ? NULL : malloc((size_t)n * 4);
	if (!err && !raw)
		return &ck_enomem;
	if (!err)
		err = ck_mem_read(mem, o, raw, (size_t)n * 4);
	if (ck_error_is_fault(err)) {
		ck_error_destroy(err);
		err = NULL;
	} else if (!err && base >> 47 == 0x1ffff) {
		bool abs_percpu = false;
		for (uint32_t i = 0; i < n && !abs_percpu; i++)
			abs_percpu = (int32_t)le32(raw + 4 * (size_t)i) < 0;
		uint64_t prev = 0;
		uint32_t i = 0;
		for (; i < n; i++) {
			int32_t off = (int32_t)le32(raw + 4 * (size_t)i);
			uint64_t a = !abs_percpu ? base + (uint32_t)off
				   : off >= 0 ? (uint64_t)off : base - 1 - (uint64_t)(int64_t)off;
			if (a < prev)
				break;
			prev = a;
		}
		*ok = i == n && prev >> 47 == 0x1ffff;
	}
	free(raw);
	return err;
}

/* Steps 3-4 for a token table at t, index at ti, markers at m. */
static struct ck_error *check_names(const struct ck_memory *mem, uint64_t t, uint64_t ti, uint64_t m,
				    const uint64_t *marks, size_t k, struct kallsyms_tables *r, bool *ok)
{
	struct ck_error *err = NULL;
	uint8_t *buf = NULL;
	size_t got = 0;
	if (marks[k - 1] > NAMES_MAX)
		goto out;
	/* the image may start shortly below: only what is readable */
	err = read_back(mem, m, (size_t)marks[k - 1] + NAMES_TAIL_MAX + 16, &buf, &got);
	if (err)
		goto out;
	uint64_t lo = m - got;
	for (uint64_t n = align8(lo + 8); n < m - marks[k - 1]; n += 8) {
		if (!names_fit(buf, (size_t)(n - lo), got, marks, k))
			continue;
		uint32_t num = le32(buf + (n - 8 - lo));
		uint64_t olen = align8((uint64_t)num * 4);
		/* offsets + relative_base before num_syms (<= 6.1), or after token_index */
		uint64_t cand[2][2] = { { n - 16 - olen, n - 16 }, { align8(ti + 512), align8(ti + 512) + olen } };
		for (int c = 0; c < 2 && !*ok && !err; c++) {
			err = offsets_fit(mem, cand[c][0], cand[c][1], num, ok);
			if (*ok)
				*r = (struct kallsyms_tables){ .names = n, .num_syms = n - 8, .token_table = t,
							       .token_index = ti, .offsets = cand[c][0],
							       .relative_base = cand[c][1] };
		}
		break;
	}
out:
	if (ck_error_is_fault(err)) {
		ck_error_destroy(err);
		err = NULL;
	}
	free(buf);
	return err;
}

/*
 * Steps 2-4 for a token table at t, index at ti.  Since 6.2 (and in Debian's
 * 6.1) kallsyms_seqs_of_names (3 bytes per name) sits between the markers and
 * the token table, so the markers may end below t by a gap that fits their count.
 */
static struct ck_error *check_rest(const struct ck_memory *mem, uint64_t t, uint64_t ti, struct kallsyms_tables *r,
				   bool *ok)
{
	size_t len = 3 * (size_t)KALLSYMS_MAX_SYMS + (KALLSYMS_MAX_SYMS / 256 + 2) * 8 + 16, got = 0;
	uint8_t *buf = NULL;
	*ok = false;
	if (t & 7)
		return NULL;
	struct ck_error *err = read_back(mem, t, len, &buf, &got);
	const uint8_t *b = buf;
	for (size_t gap = 0; !err && !*ok && gap + 16 <= got; gap += 8) {
		for (size_t esz = 4; esz <= 8 && !err && !*ok; esz += 4) {
			size_t start = 0, k = markers_at(b, got - gap, esz, &start);
			if (!k || (gap && (gap < 3 * (256 * (k - 1) + 1) || gap > 3 * 256 * k + 8)))
				continue;
			uint64_t *marks = malloc(k * sizeof(*marks));
			if (!marks) {
				err = &ck_enomem;
				break;
			}
			for (size_t i = 0; i < k; i++)
				marks[i] = le_get(b + start + i * esz, esz);
			err = check_names(mem, t, ti, t - got + start, marks, k, r, ok);
			free(marks);
		}
	}
	free(buf);
	return err;
}

/* Read a chunk (whole pages); unmapped pages read as zeros.  *mapped_ret: bytes that were mapped. */
static struct ck_error *read_chunk(const struct ck_memory *mem, uint64_t addr, uint8_t *buf, size_t len,
				   size_t *mapped_ret)
{
	struct ck_error *err = ck_mem_read(mem, addr, buf, len);
	*mapped_ret = len;
	if (!ck_error_is_fault(err))
		return err;
	ck_error_destroy(err);
	*mapped_ret = 0;
	for (size_t o = 0; o < len; o += PAGE) {
		err = ck_mem_read(mem, addr + o, buf + o, PAGE);
		if (!err) {
			*mapped_ret += PAGE;
			continue;
		}
		if (!ck_error_is_fault(err))
			return err;
		ck_error_destroy(err);
		memset(buf + o, 0, PAGE);
	}
	return NULL;
}

struct ck_error *kallsyms_scan(const struct ck_memory *mem, uint64_t image_start, uint64_t max_len,
			       struct kallsyms_tables *ret)
{
	enum { KEEP = sizeof(DIGITS) - 1 };
	image_start &= ~(uint64_t)(PAGE - 1);
	/* whole pages, at most CHUNK, never (much) past max_len */
	uint64_t span = (max_len + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	size_t chunk = span < CHUNK ? (size_t)span : CHUNK;
	uint8_t *buf = malloc(chunk + KEEP);
	if (!buf)
		return &ck_enomem;
	struct ck_error *err = NULL;
	bool found = false, seen_mapped = false;
	uint64_t hole = 0;
	size_t keep = 0;
	for (uint64_t off = 0; off < span && !found && !err; off += chunk) {
		size_t mapped = 0, n = span - off < chunk ? (size_t)(span - off) : chunk;
		err = read_chunk(mem, image_start + off, buf + keep, n, &mapped);
		if (err)
			break;
		hole = mapped ? 0 : hole + n;
		seen_mapped |= mapped != 0;
		if (seen_mapped && hole >= MAX_HOLE)
			break;
		uint64_t base = image_start + off - keep;
		const uint8_t *p = buf, *end = buf + keep + n;
		while (!found && !err && (p = memmem(p, (size_t)(end - p), DIGITS, sizeof(DIGITS))) != NULL) {
			uint64_t t = 0, ti = 0;
			bool ok = false;
			err = check_tokens(mem, base + (uint64_t)(p - buf), &t, &ti, &ok);
			if (!err && ok)
				err = check_rest(mem, t, ti, ret, &found);
			p++;
		}
		memmove(buf, buf + n + keep - KEEP, KEEP);
		keep = KEEP;
	}
	free(buf);
	if (err)
		return ck_error_prefix(err, "kallsyms scan");
	if (!found)
		return ck_error_create(CK_ERR_INPUT, "no kallsyms tables found in 0x%llx-0x%llx",
				       (unsigned long long)image_start, (unsigned long long)(image_start + max_len));
	return NULL;
}
