/*
 * linux_kernel.c - find a Linux kernel in guest RAM without a vmlinux.
 *
 * 1. Stream every file-backed run and note each page that starts with
 *    "OSRELEASE=" (the kernel's page-aligned vmcoreinfo_data buffer).
 * 2. Keep candidates whose text passes vmcoreinfo_check(); score them: 2 if
 *    SYMBOL(swapper_pg_dir) translates through a vCPU's CR3 to the physical
 *    address phys_base says it has, 1 if swapper_pg_dir at least maps itself,
 *    0 otherwise.  The best score wins (first found on a tie).
 * 3. With swapper_pg_dir as the page-table root: the kernel image extent
 *    (walk out from _stext while VA - PA stays linear), page_offset_base
 *    (two independent derivations, each checked by translating
 *    page_offset_base + vmcoreinfo_pa back to vmcoreinfo_pa), the banner.
 */
#include "linux_kernel.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmcoreinfo.h"
#include "x86_paging.h"

enum {
	SCAN_CHUNK = 4 << 20,
	VMCOREINFO_MAX = 4096,		/* VMCOREINFO_BYTES: one page */
	BANNER_MAX = 512,
};

static const char OSRELEASE_KEY[] = "OSRELEASE=";
static const uint64_t GIB = 1ULL << 30;

/* Is err "not there" (bad input / unmapped) rather than a real I/O failure? */
static int soft_error(struct ck_error **err)
{
	if (*err && ((*err)->kind == CK_ERR_INPUT || (*err)->kind == CK_ERR_FAULT)) {
		ck_error_destroy(*err);
		*err = NULL;
		return 1;
	}
	return 0;
}

/* First occurrence of needle in [pa, pa + len) of memory with data (zero runs skipped), or 0 in *hit_ret. */
static struct ck_error *find_bytes(const struct machine *m, uint8_t *buf, uint64_t pa, uint64_t len,
				   const char *needle, size_t nlen, uint64_t *hit_ret)
{
	*hit_ret = 0;
	uint64_t end = pa + len;
	for (size_t i = 0; i < m->nruns; i++) {
		const struct mem_run *r = &m->runs[i];
		if (r->kind == MEM_RUN_ZERO)
			continue;
		uint64_t s = r->pa > pa ? r->pa : pa;
		uint64_t e = r->pa + r->len < end ? r->pa + r->len : end;
		while (s + nlen <= e) {
			size_t n = e - s < SCAN_CHUNK ? (size_t)(e - s) : SCAN_CHUNK;
			struct ck_error *err = machine_read_phys(m, s, buf, n);
			if (err)
				return err;
			uint8_t *h = memmem(buf, n, needle, nlen);
			if (h) {
				*hit_ret = s + (uint64_t)(h - buf);
				return NULL;
			}
			if (s + n >= e)
				break;
			s += n - (nlen - 1);	/* overlap so a match across chunks is seen */
		}
	}
	return NULL;
}

struct candidate {
	uint64_t pa;
	char *text;
	size_t len;
	uint64_t swapper, kernel_offset;
	int64_t phys_base;
	int l5;
	int score, cpu;
};

static uint64_t kimage_pa(const struct candidate *c, uint64_t va)
{
	return va - X86_START_KERNEL_MAP + (uint64_t)c->phys_base;
}

/* Does va translate to want through pg?  Soft failures are "no". */
static struct ck_error *maps_to(const struct x86_pager *pg, uint64_t va, uint64_t want, int *yes)
{
	struct x86_xlat x;
	struct ck_error *err = x86_translate(pg, va, &x);
	*yes = 0;
	if (soft_error(&err))
		return NULL;
	if (err)
		return err;
	*yes = x.pa == want;
	return NULL;
}

/* The numbers vmcoreinfo_check() guaranteed are there. */
static void parse_candidate(struct candidate *c)
{
	vmcoreinfo_get_hex(c->text, c->len, "SYMBOL(swapper_pg_dir)", &c->swapper);
	vmcoreinfo_get_hex(c->text, c->len, "KERNELOFFSET", &c->kernel_offset);
	vmcoreinfo_get_dec(c->text, c->len, "NUMBER(phys_base)", &c->phys_base);
	int64_t l5 = 0;
	vmcoreinfo_get_dec(c->text, c->len, "NUMBER(pgtable_l5_enabled)", &l5);
	c->l5 = l5 == 1;
}

static struct ck_error *load_candidate(const struct machine *m, uint64_t pa, struct candidate *c, int *ok)
{
	*ok = 0;
	const struct mem_run *r = machine_find_run(m, pa);
	uint64_t avail = r->pa + r->len - pa;
	size_t n = avail < VMCOREINFO_MAX ? (size_t)avail : VMCOREINFO_MAX;
	char *text = malloc(n + 1);
	if (!text)
		return &ck_enomem;
	struct ck_error *err = machine_read_phys(m, pa, text, n);
	if (err) {
		free(text);
		return err;
	}
	size_t len = strnlen(text, n);
	text[len] = 0;
	if (vmcoreinfo_check(text, len)) {
		free(text);
		return NULL;
	}
	*c = (struct candidate){ .pa = pa, .text = text, .len = len, .cpu = -1 };
	parse_candidate(c);
	*ok = 1;
	return NULL;
}

/* The kernel's own page tables (swapper_pg_dir); cache may be NULL. */
static void kernel_pager(const struct machine *m, const struct candidate *c, struct x86_pager *pg,
			 struct x86_table_cache *cache)
{
	if (cache)
		x86_pager_init_cached(pg, cache, m, kimage_pa(c, c->swapper), c->l5 ? 5 : 4);
	else
		x86_pager_init_machine(pg, m, kimage_pa(c, c->swapper), c->l5 ? 5 : 4);
	uint64_t sme = 0;
	int64_t v;
	if (vmcoreinfo_get_dec(c->text, c->len, "NUMBER(sme_mask)", &v))
		sme = (uint64_t)v;
	pg->ignore_mask = sme;
}

static struct ck_error *score_candidate(const struct machine *m, struct candidate *c)
{
	uint64_t want = kimage_pa(c, c->swapper);
	struct ck_error *err;
	int yes;
	for (size_t i = 0; i < m->ncpus; i++) {
		const struct x86_regs *r = &m->cpus[i];
		if (!x86_regs_has(r, REG_CR0 + 3))
			continue;
		int levels = c->l5 ? 5 : 4;
		if (x86_regs_has(r, REG_CR0 + 4))
			levels = (r->cr[4] >> 12) & 1 ? 5 : 4;	/* CR4.LA57 */
		/* With PTI a vCPU in user mode runs on the user half of an 8 KiB PGD pair. */
		uint64_t roots[2] = { r->cr[3], r->cr[3] & ~(uint64_t)0x1000 };
		for (int j = 0; j < 2; j++) {
			struct x86_pager pg;
			x86_pager_init_machine(&pg, m, roots[j], levels);
			if ((err = maps_to(&pg, c->swapper, want, &yes)))
				return err;
			if (yes) {
				c->score = 2;
				c->cpu = (int)i;
				return NULL;
			}
		}
	}
	struct x86_pager pg;
	kernel_pager(m, c, &pg, NULL);
	if ((err = maps_to(&pg, c->swapper, want, &yes)))
		return err;
	c->score = yes ? 1 : 0;
	return NULL;
}

/* [image_pa, image_pa + image_len): the linear kernel image mapping around _stext. */
static struct ck_error *find_image(const struct x86_pager *pg, const struct candidate *c,
				   uint64_t *pa_ret, uint64_t *len_ret)
{
	*pa_ret = *len_ret = 0;
	uint64_t stext, size = GIB;
	int64_t n;
	if (!vmcoreinfo_get_hex(c->text, c->len, "SYMBOL(_stext)", &stext))
		stext = X86_START_KERNEL_MAP + 0x1000000 + c->kernel_offset;
	if (vmcoreinfo_get_dec(c->text, c->len, "NUMBER(KERNEL_IMAGE_SIZE)", &n) && n > 0 &&
	    (uint64_t)n <= 2 * GIB)
		size = (uint64_t)n;
	uint64_t limit = X86_START_KERNEL_MAP + size;
	if (stext < X86_START_KERNEL_MAP || stext >= limit)
		return NULL;
	struct x86_xlat x;
	struct ck_error *err;
	uint64_t lo = stext & ~(uint64_t)(X86_PAGE_4K - 1), hi = lo;
	while (hi < limit) {
		if ((err = x86_translate(pg, hi, &x))) {
			if (soft_error(&err))
				break;
			return err;
		}
		if (x.pa != kimage_pa(c, hi))
			break;
		hi = (hi & ~(x.page_size - 1)) + x.page_size;
	}
	if (hi == lo)
		return NULL;
	while (lo > X86_START_KERNEL_MAP) {
		if ((err = x86_translate(pg, lo - 1, &x))) {
			if (soft_error(&err))
				break;
			return err;
		}
		if (x.pa != kimage_pa(c, lo - 1))
			break;
		lo = (lo - 1) & ~(x.page_size - 1);
	}
	if (hi > limit)
		hi = limit;
	*pa_ret = kimage_pa(c, lo);
	*len_ret = hi - lo;
	return NULL;
}

/*
 * page_offset_base: (a) VA - PA of SYMBOL(mem_section), a kmalloc'd (direct
 * map) pointer with SPARSEMEM_EXTREME, rounded down to 1 GiB; (b) the lowest
 * 1 GiB-aligned kernel-half VA below the kernel image that maps PA 0.  A
 * value counts only if base + check_pa translates to check_pa.
 */
static struct ck_error *find_page_offset(const struct x86_pager *pg, const struct candidate *c,
					 uint64_t check_pa, uint64_t *ret)
{
	*ret = 0;
	uint64_t half = pg->levels == 5 ? 0xff00000000000000ULL : 0xffff800000000000ULL;
	uint64_t cand[2] = { 0, 0 }, va;
	struct ck_error *err;
	if (vmcoreinfo_get_hex(c->text, c->len, "SYMBOL(mem_section)", &va) &&
	    va >= half && va < X86_START_KERNEL_MAP) {
		struct x86_xlat x;
		err = x86_translate(pg, va, &x);
		if (!soft_error(&err) && err)
			return err;
		if (!err && va - x.pa >= half)
			cand[0] = (va - x.pa) & ~(GIB - 1);
	}
	if ((err = x86_find_lowest_mapping(pg, half, X86_START_KERNEL_MAP, 0, &va))) {
		if (!soft_error(&err))
			return err;
	} else {
		cand[1] = va;
	}
	for (int i = 0; i < 2; i++) {
		int yes;
		if (!cand[i])
			continue;
		if ((err = maps_to(pg, cand[i] + check_pa, check_pa, &yes)))
			return err;
		if (yes) {
			*ret = cand[i];
			return NULL;
		}
	}
	return NULL;
}

static struct ck_error *find_banner(const struct machine *m, uint8_t *buf, const struct linux_kernel *k,
				    char **banner_ret)
{
	char needle[96];
	int nlen = snprintf(needle, sizeof(needle), "Linux version %s ", k->osrelease);
	uint64_t hit = 0;
	struct ck_error *err = NULL;
	if (k->image_len)
		err = find_bytes(m, buf, k->image_pa, k->image_len, needle, (size_t)nlen, &hit);
	if (!err && !hit)
		err = find_bytes(m, buf, 0, UINT64_MAX, needle, (size_t)nlen, &hit);
	if (err || !hit)
		return err;
	char line[BANNER_MAX + 1];
	const struct mem_run *r = machine_find_run(m, hit);
	uint64_t avail = r->pa + r->len - hit;
	size_t n = avail < BANNER_MAX ? (size_t)avail : BANNER_MAX;
	if ((err = machine_read_phys(m, hit, line, n)))
		return err;
	size_t len = 0;
	while (len < n && line[len] && line[len] != '\n')
		len++;
	line[len] = 0;
	*banner_ret = strdup(line);
	return *banner_ret ? NULL : &ck_enomem;
}

/* Validate and score the page at pa; keep it in *best if it beats what is there. */
static struct ck_error *consider(struct machine *m, uint64_t pa, struct candidate *best, int *have)
{
	struct candidate c;
	int ok;
	struct ck_error *err = load_candidate(m, pa, &c, &ok);
	if (err || !ok)
		return err;
	if ((err = score_candidate(m, &c)) || (*have && c.score <= best->score)) {
		free(c.text);
		return err;
	}
	if (*have)
		free(best->text);
	*best = c;
	*have = 1;
	return NULL;
}

struct linux_kernel_scan {
	struct machine *m;
	struct candidate best;
	int have;
};

struct ck_error *linux_kernel_scan_create(struct machine *m, struct linux_kernel_scan **ret)
{
	struct linux_kernel_scan *s = calloc(1, sizeof(*s));
	if (!s)
		return &ck_enomem;
	s->m = m;
	*ret = s;
	return NULL;
}

void linux_kernel_scan_destroy(struct linux_kernel_scan *s)
{
	if (!s)
		return;
	free(s->best.text);
	free(s);
}

/*
 * Every page that starts with "OSRELEASE=" is a candidate, considered in the
 * order fed (address order); the best-scoring valid one (the first on a tie)
 * is kept.
 */
struct ck_error *linux_kernel_scan_feed(struct linux_kernel_scan *s, uint64_t pa, const void *buf, size_t n)
{
	const size_t klen = sizeof(OSRELEASE_KEY) - 1;
	const uint8_t *b = buf;
	uint64_t p = (pa + MACHINE_PAGE_SIZE - 1) & ~(uint64_t)(MACHINE_PAGE_SIZE - 1);
	for (; p >= pa && p - pa < n; p += MACHINE_PAGE_SIZE) {
		size_t off = (size_t)(p - pa);
		uint8_t key[sizeof(OSRELEASE_KEY) - 1];
		const uint8_t *at = b + off;
		if (n - off < klen) {
			/* A page start in the chunk's last bytes: read the key on its own. */
			struct ck_error *err = machine_read_phys(s->m, p, key, klen);
			if (err) {
				if (soft_error(&err))
					continue;
				return err;
			}
			at = key;
		}
		if (memcmp(at, OSRELEASE_KEY, klen) == 0) {
			struct ck_error *err = consider(s->m, p, &s->best, &s->have);
			if (err)
				return err;
		}
	}
	return NULL;
}

/* Not in RAM (or not page-aligned): fall back to a VMCOREINFO note the reader found. */
static struct ck_error *fallback_candidate(struct machine *m, struct candidate *best, int *have)
{
	if (*have || !m->meta.vmcoreinfo)
		return NULL;
	size_t len = strnlen(m->meta.vmcoreinfo, m->meta.vmcoreinfo_len);
	if (vmcoreinfo_check(m->meta.vmcoreinfo, len))
		return NULL;
	char *text = strndup(m->meta.vmcoreinfo, len);
	if (!text)
		return &ck_enomem;
	*best = (struct candidate){ .pa = m->meta.vmcoreinfo_pa, .text = text, .len = len, .cpu = -1 };
	parse_candidate(best);
	*have = 1;
	return score_candidate(m, best);
}

struct ck_error *linux_kernel_scan_finish(struct linux_kernel_scan *s, struct linux_kernel *k_ret)
{
	struct machine *m = s->m;
	struct linux_kernel k = { .found = 0, .cpu = -1 };
	char *banner = NULL;
	uint8_t *buf = NULL;
	struct ck_error *err = fallback_candidate(m, &s->best, &s->have);
	if (err || !s->have)
		goto out;
	if (!(buf = malloc(SCAN_CHUNK))) {
		err = &ck_enomem;
		goto out;
	}
	struct candidate *c = &s->best;
	size_t vlen;
	const char *os = vmcoreinfo_get(c->text, c->len, "OSRELEASE", &vlen);
	memcpy(k.osrelease, os, vlen);
	k.osrelease[vlen] = 0;
	k.found = 1;
	k.vmcoreinfo_pa = c->pa;
	k.kernel_offset = c->kernel_offset;
	k.phys_base = c->phys_base;
	k.swapper_pg_dir = c->swapper;
	k.pgtable_l5 = c->l5;
	k.cpu = c->cpu;
	if (c->score > 0) {
		struct x86_pager pg;
		struct x86_table_cache *cache = malloc(sizeof(*cache));
		if (!cache) {
			err = &ck_enomem;
			goto out;
		}
		kernel_pager(m, c, &pg, cache);	/* image walk: thousands of neighbouring translations */
		err = find_image(&pg, c, &k.image_pa, &k.image_len);
		if (!err)
			err = find_page_offset(&pg, c, c->pa, &k.page_offset_base);
		free(cache);
		if (err)
			goto out;
	}
	if ((err = find_banner(m, buf, &k, &banner)))
		goto out;

	c->len = vmcoreinfo_strip_crashtime(c->text, c->len);
	c->text[c->len] = 0;
	free(m->meta.vmcoreinfo);
	free(m->meta.kernel_banner);
	m->meta.vmcoreinfo = c->text;
	m->meta.vmcoreinfo_len = c->len;
	m->meta.vmcoreinfo_pa = c->pa;
	m->meta.kernel_banner = banner;
	c->text = NULL;
	banner = NULL;
out:
	free(banner);
	free(buf);
	if (!err)
		*k_ret = k;
	return err;
}

static struct ck_error *scan_chunk(void *arg, uint64_t pa, const uint8_t *buf, size_t n)
{
	return buf ? linux_kernel_scan_feed(arg, pa, buf, n) : NULL;	/* zeros hold no VMCOREINFO */
}

/* The whole scan in one call: stream every run through the scanner. */
struct ck_error *linux_kernel_detect(struct machine *m, struct linux_kernel *k_ret)
{
	struct linux_kernel_scan *s = NULL;
	uint8_t *buf = malloc(SCAN_CHUNK);
	struct ck_error *err = buf ? linux_kernel_scan_create(m, &s) : &ck_enomem;
	for (size_t i = 0; !err && i < m->nruns; i++)
		err = machine_stream_run(m, &m->runs[i], buf, SCAN_CHUNK, scan_chunk, s);
	if (!err)
		err = linux_kernel_scan_finish(s, k_ret);
	linux_kernel_scan_destroy(s);
	free(buf);
	return err;
}
