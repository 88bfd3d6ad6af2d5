/*
 * test_kallsyms_synth.c - kallsyms on synthetic guest memory: tables written
 * here from the format description (kallsyms.h) in the two layouts the scan
 * knows, decoded, found by the scan, then corrupted (cut short, wild offsets
 * and token indexes, huge counts, cyclic/endless/unmapped module lists): every
 * corruption must end in a clean error or warning, never a crash or a hang.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kallsyms.h"
#include "unit.h"

/* Guest memory: one buffer at a base address; everything else faults. */
struct fakemem {
	uint64_t base;
	uint8_t *buf;
	size_t len;
};

static struct ck_error *fake_read(void *arg, uint64_t addr, void *buf, size_t len)
{
	const struct fakemem *f = arg;
	if (addr < f->base || addr - f->base > f->len || len > f->len - (addr - f->base))
		return ck_error_create(CK_ERR_FAULT, "fake: 0x%llx not mapped", (unsigned long long)addr);
	memcpy(buf, f->buf + (addr - f->base), len);
	return NULL;
}

static void put(uint8_t *b, size_t off, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		b[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static size_t al8(size_t x)
{
	return (x + 7) & ~(size_t)7;
}

enum { NSYMS = 700, IMG = 1 << 20 };
static const uint64_t BASE = 0xffffffff81000000ULL;	/* relative_base and image start */

struct tsym {
	uint64_t addr;
	char name[300];		/* type letter first */
};

static char tokens[256][24];

static void make_tokens(void)
{
	for (int c = 0; c < 256; c++) {
		bool used = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
			    c == '.';
		if (used)
			snprintf(tokens[c], sizeof(tokens[c]), "%c", c);
		else
			snprintf(tokens[c], sizeof(tokens[c]), "%s%d", c % 3 ? "func_" : "lock", c);
	}
	snprintf(tokens[200], sizeof(tokens[200]), "tfunc_");	/* multi-char tokens that do match */
	snprintf(tokens[201], sizeof(tokens[201]), "_0");
}

static void make_syms(struct tsym *s)
{
	s[0].addr = 0;	/* per-CPU: absolute */
	strcpy(s[0].name, "Dfixed_percpu_data");
	s[1].addr = 0x2f8c0;
	strcpy(s[1].name, "Druns_queue");
	for (int i = 2; i < NSYMS - 2; i++) {
		s[i].addr = BASE + 0x1000 + (uint64_t)(i / 2 * 2) * 0x40;	/* pairs of aliases */
		snprintf(s[i].name, sizeof(s[i].name), "%cfunc_%03d", i % 7 ? 't' : 'T', i);
	}
	s[NSYMS - 2].addr = BASE + 0x100000;
	memset(s[NSYMS - 2].name, 'x', 200);	/* > 127 tokens: two-byte length */
	s[NSYMS - 2].name[0] = 'd';
	s[NSYMS - 2].name[200] = 0;
	s[NSYMS - 1].addr = BASE + 0x100040;
	strcpy(s[NSYMS - 1].name, "B_end");
}

/* Token indexes of name, greedy on the multi-char tokens 200 and 201. */
static size_t encode(const char *name, uint8_t *out)
{
	size_t n = 0;
	for (const char *p = name; *p;) {
		if (!strncmp(p, tokens[200], strlen(tokens[200]))) {
			out[n++] = 200;
			p += strlen(tokens[200]);
		} else if (!strncmp(p, tokens[201], 2)) {
			out[n++] = 201;
			p += 2;
		} else {
			out[n++] = (uint8_t)*p++;
		}
	}
	return n;
}

/*
 * Write the tables into img at image offset start.  newer = 0: offsets,
 * relative_base, num_syms, names, markers, seqs_of_names, token table/index
 * (Debian 6.1); newer = 1: num_syms, names, markers, token table/index,
 * offsets, relative_base (no seqs).  Returns the table addresses.
 */
static struct kallsyms_tables write_tables(uint8_t *img, const struct tsym *s, int newer, size_t start)
{
	struct kallsyms_tables t;
	size_t o = start, offs_at = 0, rb_at = 0;
	if (!newer) {
		offs_at = o;
		o = al8(o + 4 * NSYMS);
		rb_at = o;
		o += 8;
	}
	t.num_syms = BASE + o;
	put(img, o, NSYMS, 4);
	o = al8(o + 4);
	t.names = BASE + o;
	size_t names0 = o, marks[NSYMS / 256 + 1];
	for (int i = 0; i < NSYMS; i++) {
		uint8_t enc[300];
		size_t n = encode(s[i].name, enc);
		if (i % 256 == 0)
			marks[i / 256] = o - names0;
		if (n >= 0x80) {
			img[o++] = (uint8_t)(0x80 | (n & 0x7f));
			img[o++] = (uint8_t)(n >> 7);
		} else {
			img[o++] = (uint8_t)n;
		}
		memcpy(img + o, enc, n);
		o += n;
	}
	o = al8(o);
	for (int j = 0; j < (NSYMS + 255) / 256; j++, o += 4)
		put(img, o, marks[j], 4);
	o = al8(o);
	if (!newer) {
		for (int i = 0; i < NSYMS; i++, o += 3)
			put(img, o, (uint64_t)i, 3);
		o = al8(o);
	}
	t.token_table = BASE + o;
	size_t tt = o, idx[256];
	for (int c = 0; c < 256; c++) {
		idx[c] = o - tt;
		size_t l = strlen(tokens[c]) + 1;
		memcpy(img + o, tokens[c], l);
		o += l;
	}
	o = al8(o);
	t.token_index = BASE + o;
	for (int c = 0; c < 256; c++, o += 2)
		put(img, o, idx[c], 2);
	if (newer) {
		o = al8(o);
		offs_at = o;
		o = al8(o + 4 * NSYMS);
		rb_at = o;
	}
	t.offsets = BASE + offs_at;
	t.relative_base = BASE + rb_at;
	put(img, rb_at, BASE, 8);
	for (int i = 0; i < NSYMS; i++) {	/* ABSOLUTE_PERCPU: >= 0 absolute, < 0 below base - 1 */
		int64_t off = s[i].addr >> 63 ? (int64_t)(BASE - 1 - s[i].addr) : (int64_t)s[i].addr;
		put(img, offs_at + 4 * (size_t)i, (uint64_t)off, 4);
	}
	return t;
}

static void check_decoded(struct unit *u, const struct kallsyms *ks, const struct tsym *s)
{
	CHECK(u, kallsyms_count(ks) == NSYMS);
	size_t bad = 0;
	for (int i = 0; i < NSYMS; i++) {
		uint64_t a = 0;
		bad += !kallsyms_address(ks, s[i].name + 1, &a) || a != s[i].addr;
	}
	CHECK(u, bad == 0);
	struct ksym k;
	/* Aliases: the first one; size to the next address; offsets inside. */
	CHECK(u, kallsyms_lookup(ks, BASE + 0x1000 + 2 * 0x40 + 0x10, &k) && !strcmp(k.name, "func_002") &&
		  k.offset == 0x10 && k.size == 0x80 && k.type == 't' && !k.module);
	CHECK(u, kallsyms_lookup(ks, 0x2f8c0, &k) && !strcmp(k.name, "runs_queue") && k.type == 'D');
	CHECK(u, kallsyms_lookup(ks, 0x10, &k) && !strcmp(k.name, "fixed_percpu_data") && k.size == 0x2f8c0);
	/* Last per-CPU and last kernel symbol: size 0, only their own address. */
	CHECK(u, kallsyms_lookup(ks, 0x2f8c0, &k) && k.size == 0 && !kallsyms_lookup(ks, 0x2f8c1, &k));
	CHECK(u, kallsyms_lookup(ks, BASE + 0x100040, &k) && !strcmp(k.name, "_end") && k.type == 'B');
	CHECK(u, !kallsyms_lookup(ks, BASE + 0x100041, &k) && !kallsyms_lookup(ks, BASE, &k));
	CHECK(u, kallsyms_lookup(ks, BASE + 0x100000 + 5, &k) && strlen(k.name) == 199 && k.size == 0x40);
	uint64_t a;
	CHECK(u, !kallsyms_address(ks, "func_", &a) && !kallsyms_address(ks, "nosuch:func_002", &a));
	CHECK(u, kallsyms_find(ks, "func_003", &k) && k.start == BASE + 0x1080 && k.size == 0x80 && k.type == 't');
}

static struct ck_error *load(struct fakemem *f, const struct kallsyms_tables *t, struct kallsyms **ks)
{
	struct ck_memory mem = { fake_read, f };
	return kallsyms_load_tables(&mem, t, ks);
}

/* Load must fail cleanly (any error kind but system). */
static bool fails(struct fakemem *f, const struct kallsyms_tables *t)
{
	struct kallsyms *ks = NULL;
	struct ck_error *err = load(f, t, &ks);
	bool ok = err && err->kind != CK_ERR_SYSTEM && !ks;
	ck_error_destroy(err);
	kallsyms_destroy(ks);
	return ok;
}

/* ---- modules ---- */

/* A made-up struct module / mod_kallsyms layout (the code must not assume Linux's). */
static const struct kallsyms_module_layout LAYOUT = {
	.list = 16, .name = 40, .name_len = 24, .kallsyms = 72, .text_base = 88, .text_size = 100,
	.orc_unwind_ip = 104, .orc_unwind = 112, .num_orcs = 96,
	.ks_symtab = 8, .ks_num_symtab = 0, .ks_strtab = 16, .ks_typetab = 24,
};
enum { MODSZ = 128 };
static const uint64_t MBASE = 0xffffffffc0000000ULL;

/* Module i at MBASE + 0x10000 * (i + 1): struct, mod_kallsyms, 4 symbols, strtab, typetab, text. */
static void write_module(uint8_t *m, int i, uint64_t next, uint32_t num)
{
	size_t o = 0x10000 * (size_t)(i + 1);
	uint64_t a = MBASE + o, text = a + 0x8000;
	put(m, o + LAYOUT.list, next, 8);
	snprintf((char *)m + o + LAYOUT.name, 24, "mod%d", i);
	put(m, o + LAYOUT.kallsyms, a + 0x200, 8);
	put(m, o + LAYOUT.text_base, text, 8);
	put(m, o + LAYOUT.text_size, 0x100, 4);
	put(m, o + (size_t)LAYOUT.num_orcs, 7, 4);
	put(m, o + (size_t)LAYOUT.orc_unwind_ip, text + 0x1000, 8);
	put(m, o + (size_t)LAYOUT.orc_unwind, text + 0x2000, 8);
	put(m, o + 0x200 + LAYOUT.ks_num_symtab, num, 4);
	put(m, o + 0x200 + LAYOUT.ks_symtab, a + 0x300, 8);
	put(m, o + 0x200 + LAYOUT.ks_strtab, a + 0x600, 8);
	put(m, o + 0x200 + (size_t)LAYOUT.ks_typetab, a + 0x700, 8);
	static const char strtab[] = "\0mod_fn_a\0mod_fn_b\0mod_data\0$x\0undef_sym";
	memcpy(m + o + 0x600, strtab, sizeof(strtab));
	/* Elf64_Sym: name u32, info u8, other u8, shndx u16, value u64, size u64 */
	struct { uint32_t name; uint64_t value; uint16_t shndx; char type; } syms[] = {
		{ 0, 0, 0, 0 }, { 1, text + 0x40, 1, 't' }, { 10, text, 1, 'T' }, { 19, text + 0x5000, 3, 'd' },
		{ 28, text + 0x80, 1, 't' }, { 31, 0, 0, 'U' },
	};
	for (size_t k = 0; k < 6; k++) {
		size_t so = o + 0x300 + 24 * k;
		put(m, so, syms[k].name, 4);
		put(m, so + 6, syms[k].shndx, 2);
		put(m, so + 8, syms[k].value, 8);
		m[o + 0x700 + k] = (uint8_t)syms[k].type;
	}
}

static struct ck_error *add_mods(struct fakemem *f, struct kallsyms *ks, uint64_t head, struct kallsyms_warnings *w)
{
	struct ck_memory mem = { fake_read, f };
	return kallsyms_add_modules(ks, &mem, head, &LAYOUT, w);
}

/* vmlinux kallsyms over the image, for the module tests. */
static struct kallsyms *fresh(struct fakemem *img, const struct kallsyms_tables *t)
{
	struct kallsyms *ks = NULL;
	ck_error_destroy(load(img, t, &ks));
	return ks;
}

int main(void)
{
	struct unit u = { 0 };
	static struct tsym syms[NSYMS];
	make_tokens();
	make_syms(syms);
	uint8_t *img = calloc(1, IMG), *orig = malloc(IMG);
	struct fakemem f = { BASE, img, IMG };
	struct ck_memory mem = { fake_read, &f };
	struct kallsyms_tables t[2];
	struct kallsyms *ks = NULL;
	struct ck_error *err;

	for (int newer = 0; newer < 2; newer++) {
		memset(img, 0, IMG);
		t[newer] = write_tables(img, syms, newer, 0x1000);
		UNIT_BEGIN(&u, newer ? "kallsyms_synth_decode_newer_layout" : "kallsyms_synth_decode_6_1_layout");
		err = load(&f, &t[newer], &ks);
		CHECK(&u, !err && ks);
		if (ks)
			check_decoded(&u, ks, syms);
		kallsyms_destroy(ks);
		ks = NULL;
		ck_error_destroy(err);
		UNIT_END(&u);

		UNIT_BEGIN(&u, newer ? "kallsyms_synth_scan_newer_layout" : "kallsyms_synth_scan_6_1_layout");
		struct kallsyms_tables s;
		memset(&s, 0, sizeof(s));
		err = kallsyms_scan(&mem, BASE, 4 << 20, &s);
		CHECK(&u, !err && !memcmp(&s, &t[newer], sizeof(s)));
		ck_error_destroy(err);
		/* and through kallsyms_load with a VMCOREINFO that names nothing */
		static const char vi[] = "OSRELEASE=6.1.0\nKERNELOFFSET=0\n";
		err = kallsyms_load(&mem, vi, sizeof(vi) - 1, &ks);
		CHECK(&u, !err && ks && kallsyms_count(ks) == NSYMS);
		kallsyms_destroy(ks);
		ks = NULL;
		ck_error_destroy(err);
		UNIT_END(&u);
	}
	UNIT_BEGIN(&u, "kallsyms_synth_scan_tables_at_image_start");
	{
		/* Nothing mapped below the first page: the scan must not need memory below the tables. */
		memset(img, 0, IMG);
		struct kallsyms_tables at0 = write_tables(img, syms, 0, 0x40), s;
		memset(&s, 0, sizeof(s));
		err = kallsyms_scan(&mem, BASE, IMG, &s);
		CHECK(&u, !err && !memcmp(&s, &at0, sizeof(s)));
		ck_error_destroy(err);
		memset(img, 0, IMG);
		t[1] = write_tables(img, syms, 1, 0x1000);
	}
	UNIT_END(&u);
	memcpy(orig, img, IMG);	/* newer layout */
	struct kallsyms_tables good = t[1];

	UNIT_BEGIN(&u, "kallsyms_synth_scan_nothing");
	{
		memset(img, 0, IMG);
		memcpy(img + 0x5000, "0\0" "1\0" "2\0" "3\0" "4\0" "5\0" "6\0" "7\0" "8\0" "9\0", 20);	/* a decoy */
		struct kallsyms_tables s;
		err = kallsyms_scan(&mem, BASE, 4 << 20, &s);
		CHECK(&u, err && err->kind == CK_ERR_INPUT);
		ck_error_destroy(err);
		err = kallsyms_scan(&mem, 0xffff800000000000ULL, 64 << 20, &s);	/* all unmapped */
		CHECK(&u, err && err->kind == CK_ERR_INPUT);
		ck_error_destroy(err);
		memcpy(img, orig, IMG);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kallsyms_synth_corrupt_counts");
	{
		size_t ns = (size_t)(good.num_syms - BASE);
		uint32_t bad[] = { 0, 0xffffffffu, KALLSYMS_MAX_SYMS + 1, NSYMS + 5000 };
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			put(img, ns, bad[i], 4);
			CHECK(&u, fails(&f, &good));
		}
		memcpy(img, orig, IMG);
		/* more names than there are: decoding runs into markers/tokens, offsets off the end */
		put(img, ns, NSYMS + 20, 4);
		ks = NULL;
		err = load(&f, &good, &ks);
		CHECK(&u, (err && !ks) || (!err && ks && kallsyms_count(ks) == NSYMS + 20));
		ck_error_destroy(err);
		kallsyms_destroy(ks);
		memcpy(img, orig, IMG);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kallsyms_synth_cut_short");
	{
		/* memory ends inside the names, inside the offsets, inside the token table */
		uint64_t cuts[] = { good.names + 100, good.names + 3000, good.token_table + 10, good.offsets + 100,
				    good.token_index + 7 };
		for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
			f.len = (size_t)(cuts[i] - BASE);
			CHECK(&u, fails(&f, &good));
		}
		f.len = IMG;
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kallsyms_synth_wild_tokens_and_names");
	{
		size_t ti = (size_t)(good.token_index - BASE), tt = (size_t)(good.token_table - BASE);
		size_t nm = (size_t)(good.names - BASE);
		put(img, ti + 2 * 'f', 0xffff, 2);	/* token offset far outside the table */
		CHECK(&u, fails(&f, &good));
		memcpy(img, orig, IMG);
		memset(img + tt, 'A', (size_t)(good.token_index - good.token_table));	/* no NUL anywhere */
		CHECK(&u, fails(&f, &good));
		memcpy(img, orig, IMG);
		img[nm] = 0;	/* a name of length 0 */
		CHECK(&u, fails(&f, &good));
		memcpy(img, orig, IMG);
		/* a name expanding past KALLSYMS_MAX_NAME: 200 tokens of 6 bytes (two-byte length) */
		img[nm] = 0x80 | (200 & 0x7f);
		img[nm + 1] = 200 >> 7;
		memset(img + nm + 2, 200, 200);
		CHECK(&u, fails(&f, &good));
		memcpy(img, orig, IMG);
		/* a name of one char: type letter without a name */
		img[nm] = 1;
		CHECK(&u, fails(&f, &good));
		memcpy(img, orig, IMG);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kallsyms_synth_wild_offsets");
	{
		/* Garbage offsets still give a consistent, sorted table. */
		size_t oo = (size_t)(good.offsets - BASE);
		srand(7);
		for (int i = 0; i < NSYMS; i++)
			put(img, oo + 4 * (size_t)i, (uint64_t)rand() * 2654435761u, 4);
		ks = NULL;
		err = load(&f, &good, &ks);
		CHECK(&u, !err && ks && kallsyms_count(ks) == NSYMS);
		struct ksym a, b;
		size_t unsorted = 0;
		for (size_t i = 1; ks && i < kallsyms_count(ks); i++) {
			kallsyms_symbol(ks, i - 1, &a);
			kallsyms_symbol(ks, i, &b);
			unsorted += a.start > b.start;
			struct ksym c;
			unsorted += !kallsyms_lookup(ks, b.start, &c) || c.start != b.start;
		}
		CHECK(&u, unsorted == 0);
		ck_error_destroy(err);
		kallsyms_destroy(ks);
		memcpy(img, orig, IMG);
	}
	UNIT_END(&u);

	/* Modules live in a second fake memory: the image tables are not needed for the walk. */
	size_t mlen = 0x10000 * 8 + 8192 * MODSZ;
	uint8_t *mbuf = calloc(1, mlen);
	struct fakemem mf = { MBASE, mbuf, mlen };
	uint64_t head = MBASE + 0x100;	/* the `modules` list_head */
	struct kallsyms_warnings w = { 0 };

	UNIT_BEGIN(&u, "kallsyms_synth_modules");
	{
		uint64_t m0 = MBASE + 0x10000 + LAYOUT.list, m1 = MBASE + 0x20000 + LAYOUT.list;
		put(mbuf, 0x100, m0, 8);
		write_module(mbuf, 0, m1, 6);
		write_module(mbuf, 1, head, 6);
		ks = fresh(&f, &good);
		err = ks ? add_mods(&mf, ks, head, &w) : NULL;
		CHECK(&u, ks && !err && w.n == 0 && kallsyms_nmodules(ks) == 2);
		const struct kmodule_info *mi = ks ? kallsyms_module(ks, 1) : NULL;
		CHECK(&u, mi && !strcmp(mi->name, "mod1") && mi->text_base == MBASE + 0x28000 && mi->text_size == 0x100 &&
			  mi->num_orcs == 7 && mi->orc_unwind_ip == mi->text_base + 0x1000 && mi->nsyms == 3);
		CHECK(&u, ks && !kallsyms_module(ks, 2));
		struct ksym k;
		uint64_t a = 0;
		/* mod_fn_b at text, mod_fn_a at +0x40, $x at +0x80 (skipped), text ends at +0x100 */
		CHECK(&u, ks && kallsyms_lookup(ks, MBASE + 0x18000 + 0x50, &k) && !strcmp(k.name, "mod_fn_a") &&
			  k.offset == 0x10 && k.size == 0xc0 && k.type == 't' && !strcmp(k.module, "mod0"));
		CHECK(&u, ks && kallsyms_lookup(ks, MBASE + 0x18000, &k) && k.size == 0x40 && k.type == 'T');
		CHECK(&u, ks && !kallsyms_lookup(ks, MBASE + 0x18100, &k));	/* past the text */
		CHECK(&u, ks && kallsyms_address(ks, "mod_fn_a", &a) && a == MBASE + 0x18040);	/* first module */
		CHECK(&u, ks && kallsyms_address(ks, "mod1:mod_fn_a", &a) && a == MBASE + 0x28040);
		CHECK(&u, ks && !kallsyms_address(ks, "undef_sym", &a) && !kallsyms_address(ks, "$x", &a));
		CHECK(&u, ks && kallsyms_address(ks, "func_100", &a) && kallsyms_lookup(ks, a, &k) && !k.module);
		err = ks ? add_mods(&mf, ks, head, &w) : NULL;
		CHECK(&u, err && err->kind == CK_ERR_USAGE);
		ck_error_destroy(err);
		kallsyms_destroy(ks);
		kallsyms_warnings_free(&w);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kallsyms_synth_modules_cyclic");
	{
		/* mod1 points back to mod0 instead of the head */
		uint64_t m0 = MBASE + 0x10000 + LAYOUT.list;
		write_module(mbuf, 1, m0, 6);
		ks = fresh(&f, &good);
		err = ks ? add_mods(&mf, ks, head, &w) : NULL;
		CHECK(&u, ks && !err && w.n == 1 && strstr(w.msgs[0], "loops") && kallsyms_nmodules(ks) == 2);
		kallsyms_destroy(ks);
		kallsyms_warnings_free(&w);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kallsyms_synth_modules_broken");
	{
		/* mod1: huge num_symtab; its next pointer leads to unmapped memory */
		write_module(mbuf, 1, 0xffffffffdead0000ULL, 0xfffffff0u);
		ks = fresh(&f, &good);
		err = ks ? add_mods(&mf, ks, head, &w) : NULL;
		CHECK(&u, ks && !err && w.n == 2 && kallsyms_nmodules(ks) == 2 && kallsyms_module(ks, 1)->nsyms == 0);
		for (size_t i = 0; i < w.n; i++)
			printf("# warning: %s\n", w.msgs[i]);
		kallsyms_destroy(ks);
		kallsyms_warnings_free(&w);
		/* mod0's symtab and strtab unmapped; the head itself unmapped */
		write_module(mbuf, 1, head, 6);
		put(mbuf, 0x10000 + 0x200 + LAYOUT.ks_symtab, 0x1000, 8);
		ks = fresh(&f, &good);
		err = ks ? add_mods(&mf, ks, head, &w) : NULL;
		CHECK(&u, ks && !err && w.n == 1 && kallsyms_nmodules(ks) == 2 && kallsyms_module(ks, 1)->nsyms == 3);
		kallsyms_destroy(ks);
		kallsyms_warnings_free(&w);
		write_module(mbuf, 0, MBASE + 0x20000 + LAYOUT.list, 6);
		put(mbuf, 0x10000 + 0x200 + LAYOUT.ks_strtab, mf.base + mlen - 12, 8);	/* names run off the end */
		ks = fresh(&f, &good);
		err = ks ? add_mods(&mf, ks, head, &w) : NULL;
		CHECK(&u, ks && !err && w.n == 1 && kallsyms_module(ks, 0)->nsyms <= 1);
		kallsyms_destroy(ks);
		kallsyms_warnings_free(&w);
		write_module(mbuf, 0, MBASE + 0x20000 + LAYOUT.list, 6);
		ks = fresh(&f, &good);
		err = ks ? add_mods(&mf, ks, 0x1000, &w) : NULL;
		CHECK(&u, ks && !err && w.n == 1 && kallsyms_nmodules(ks) == 0);
		kallsyms_destroy(ks);
		kallsyms_warnings_free(&w);
		/* a layout with a bad name length is a usage error */
		struct kallsyms_module_layout bl = LAYOUT;
		bl.name_len = 0;
		struct ck_memory mm = { fake_read, &mf };
		ks = fresh(&f, &good);
		err = ks ? kallsyms_add_modules(ks, &mm, head, &bl, &w) : NULL;
		CHECK(&u, err && err->kind == CK_ERR_USAGE && kallsyms_count(ks) == NSYMS);
		ck_error_destroy(err);
		kallsyms_destroy(ks);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kallsyms_synth_modules_endless");
	{
		/* 8192 distinct modules in a chain that never comes back: stops at KALLSYMS_MAX_MODULES */
		size_t o0 = 0x10000 * 8;
		put(mbuf, 0x100, MBASE + o0 + LAYOUT.list, 8);
		for (size_t i = 0; i < 8192; i++) {
			size_t o = o0 + i * MODSZ;
			put(mbuf, o + LAYOUT.list, i + 1 < 8192 ? MBASE + o + MODSZ + LAYOUT.list : head, 8);
			snprintf((char *)mbuf + o + LAYOUT.name, 24, "m%zu", i);
		}
		ks = fresh(&f, &good);
		err = ks ? add_mods(&mf, ks, head, &w) : NULL;
		CHECK(&u, ks && !err && w.n == 1 && kallsyms_nmodules(ks) == KALLSYMS_MAX_MODULES);
		kallsyms_destroy(ks);
		kallsyms_warnings_free(&w);
	}
	UNIT_END(&u);

	free(mbuf);
	free(img);
	free(orig);
	return UNIT_EXIT(&u);
}
