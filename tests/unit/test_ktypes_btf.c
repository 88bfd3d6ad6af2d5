/*
 * test_ktypes_btf.c - ktypes.h over a small hand-built BTF blob (layout from
 * include/uapi/linux/btf.h), so every answer is known by construction:
 * nested and anonymous members, arrays of structs, typedefs, bitfields,
 * named and anonymous enums.  Then bad input: the blob cut at every length,
 * huge counts and sizes, type-id references out of range, typedef loops,
 * a struct containing itself anonymously, and thousands of random byte
 * flips; each must end in a clean CK_ERR_INPUT (the sanitizer build checks
 * the "clean").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ktypes.h"
#include "unit.h"

struct blob {
	uint8_t b[4096];
	size_t n;
};

static void put32(struct blob *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b->b[b->n++] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void set32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static const char strs[] = "\0int\0inner\0x\0y\0outer\0a\0in\0u\0arr\0bits\0outer_t\0pid_type\0PIDTYPE_PID\0"
			   "PIDTYPE_TGID\0ANON_X\0loop\0loop2\0self\0badref\0m\0deep";

static uint32_t so(const char *s)
{
	for (size_t i = 0; i < sizeof(strs); i += strlen(strs + i) + 1)
		if (strcmp(strs + i, s) == 0)
			return (uint32_t)i;
	abort();
}

static void type(struct blob *b, const char *name, uint32_t kind, uint32_t vlen, int kflag, uint32_t size_or_type)
{
	put32(b, name ? so(name) : 0);
	put32(b, kind << 24 | vlen | (uint32_t)kflag << 31);
	put32(b, size_or_type);
}

static void member(struct blob *b, const char *name, uint32_t t, uint32_t off)
{
	put32(b, name ? so(name) : 0);
	put32(b, t);
	put32(b, off);
}

/* Offsets in the blob of a few fields the bad-input cases patch. */
struct where {
	size_t outer_info, inner_size, str_len;
};

static void build(struct blob *b, struct where *w)
{
	memset(b, 0, sizeof(*b));
	b->n = 24;
	/* 1 */ type(b, "int", 1, 0, 0, 4), put32(b, 32);
	/* 2: struct inner { int x, y; } */
	w->inner_size = b->n + 8;
	type(b, "inner", 4, 2, 0, 8), member(b, "x", 1, 0), member(b, "y", 1, 32);
	/* 3: struct inner[3] */
	type(b, NULL, 3, 0, 0, 0), put32(b, 2), put32(b, 1), put32(b, 3);
	/* 4: union { struct inner in; int u; } */
	type(b, NULL, 5, 2, 0, 8), member(b, "in", 2, 0), member(b, "u", 1, 0);
	/* 5: struct outer { int a; union {...}; struct inner arr[3]; int bits:3; struct { int deep; }; } (kflag) */
	w->outer_info = b->n + 4;
	type(b, "outer", 4, 5, 1, 44), member(b, "a", 1, 0), member(b, NULL, 4, 32), member(b, "arr", 3, 96);
	member(b, "bits", 1, 3u << 24 | 288), member(b, NULL, 15, 320);
	/* 6 */ type(b, "outer_t", 8, 0, 0, 5);
	/* 7: enum pid_type */
	type(b, "pid_type", 6, 2, 0, 4), put32(b, so("PIDTYPE_PID")), put32(b, 0), put32(b, so("PIDTYPE_TGID")),
		put32(b, 1);
	/* 8: enum { ANON_X = -5 } (signed) */
	type(b, NULL, 6, 1, 1, 4), put32(b, so("ANON_X")), put32(b, (uint32_t)-5);
	/* 9, 10: typedef loop2 loop; typedef loop loop2; */
	type(b, "loop", 8, 0, 0, 10), type(b, "loop2", 8, 0, 0, 9);
	/* 11: struct self { struct self; } (anonymous member of its own type) */
	type(b, "self", 4, 1, 0, 8), member(b, NULL, 11, 0);
	/* 12: struct badref { <type 999> m; } */
	type(b, "badref", 4, 1, 0, 4), member(b, "m", 999, 0);
	/* 13: const struct outer; 14: volatile const */
	type(b, NULL, 10, 0, 0, 5), type(b, NULL, 9, 0, 0, 13);
	/* 15: struct { int deep; } */
	type(b, NULL, 4, 1, 0, 4), member(b, "deep", 1, 0);
	uint32_t type_len = (uint32_t)(b->n - 24);
	memcpy(b->b + b->n, strs, sizeof(strs));
	b->n += sizeof(strs);
	uint8_t *h = b->b;
	h[0] = 0x9f, h[1] = 0xeb, h[2] = 1, h[3] = 0;
	set32(h + 4, 24);
	set32(h + 8, 0);
	set32(h + 12, type_len);
	set32(h + 16, type_len);
	set32(h + 20, sizeof(strs));
	w->str_len = 20;
}

/* Every query the good blob answers; on a mutated blob they must only fail cleanly. */
static int run_queries(struct ktypes *t, int check, struct unit *u)
{
	uint64_t v = 0;
	int64_t e = 0;
	int has = 0, good = 1;
	struct ck_error *err;
#define Q(call, cond)                                 \
	do {                                          \
		err = (call);                         \
		if (check) {                          \
			CHECK(u, !err && (cond));     \
			if (err)                      \
				printf("# %s\n", err->msg); \
		}                                     \
		good &= !err;                         \
		ck_error_destroy(err);                \
	} while (0)
	Q(ktypes_offsetof(t, "outer", "a", &v), v == 0);
	Q(ktypes_offsetof(t, "outer", "u", &v), v == 4);
	Q(ktypes_offsetof(t, "outer", "in.y", &v), v == 8);
	Q(ktypes_offsetof(t, "struct outer", "arr", &v), v == 12);
	Q(ktypes_offsetof(t, "outer", "arr[2].y", &v), v == 12 + 16 + 4);
	Q(ktypes_offsetof(t, "outer", "deep", &v), v == 40);
	Q(ktypes_offsetof(t, "outer", "arr[PIDTYPE_TGID].y", &v), v == 12 + 8 + 4);
	Q(ktypes_offsetof(t, "outer_t", "arr[1]", &v), v == 20);
	Q(ktypes_member_size(t, "outer", "arr", &v), v == 24);
	Q(ktypes_member_size(t, "outer", "in", &v), v == 8);
	Q(ktypes_member_size(t, "outer", "arr[0].x", &v), v == 4);
	Q(ktypes_sizeof(t, "outer", &v), v == 44);
	Q(ktypes_sizeof(t, "outer_t", &v), v == 44);
	Q(ktypes_sizeof(t, "inner", &v), v == 8);
	Q(ktypes_enum_value(t, "pid_type", "PIDTYPE_TGID", &e), e == 1);
	Q(ktypes_enum_value(t, "enum pid_type", "PIDTYPE_PID", &e), e == 0);
	Q(ktypes_enum_value(t, NULL, "ANON_X", &e), e == -5);
	Q(ktypes_has_member(t, "outer", "in.x", &has), has == 1);
	Q(ktypes_has_member(t, "outer", "state", &has), has == 0);
	Q(ktypes_has_member(t, "nosuch", "a", &has), has == 0);
	Q(ktypes_has_member(t, "self", "nothing", &has), has == 0);
#undef Q
	/* Queries that must fail on the good blob too. */
	const char *paths[][2] = { { "outer", "bits" }, { "outer", "arr[3]" }, { "outer", "a.b" },
				   { "outer", "arr[x]" }, { "outer", "" }, { "outer", ".a" },
				   { "loop", "a" }, { "badref", "m" }, { "badref", "m.x" },
				   { "nosuch", "a" }, { "outer", "arr[99999999999999999999]" },
				   { "outer", "arr[ANON_X]" }, { "outer", "arr[NO_SUCH]" }, { "outer", "arr[-1]" },
				   { "outer", "arr[ 1]" }, { "outer", "arr[1" } };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		err = ktypes_offsetof(t, paths[i][0], paths[i][1], &v);
		if (check) {
			CHECK(u, err && err->kind == CK_ERR_INPUT);
			if (!err)
				printf("# %s.%s answered %llu\n", paths[i][0], paths[i][1], (unsigned long long)v);
		}
		ck_error_destroy(err);
	}
	err = ktypes_sizeof(t, "loop", &v);
	if (check)
		CHECK(u, err && err->kind == CK_ERR_INPUT && strstr(err->msg, "loop"));
	ck_error_destroy(err);
	err = ktypes_enum_value(t, "pid_type", "ANON_X", &e);
	if (check)
		CHECK(u, err && strstr(err->msg, "enum pid_type has no enumerator ANON_X"));
	ck_error_destroy(err);
	return good;
}

static struct ck_error *open_blob(const struct blob *b, size_t len, struct ktypes **t)
{
	/* A heap copy of exactly len bytes, so ASan sees any read past the end. */
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, b->b, len);
	struct ck_error *err = ktypes_open_btf_blob(copy, len, "test.btf", t);
	free(copy);
	return err;
}

/* A mutated blob must open or fail with CK_ERR_INPUT, and queries on it must not crash. */
static int mutant_ok(const struct blob *b)
{
	struct ktypes *t = NULL;
	struct ck_error *err = open_blob(b, b->n, &t);
	int ok = err ? err->kind == CK_ERR_INPUT && !t : t != NULL;
	ck_error_destroy(err);
	if (t)
		run_queries(t, 0, NULL);
	ktypes_destroy(t);
	return ok;
}

int main(void)
{
	struct unit u = { 0 };
	struct blob b, m;
	struct where w;
	build(&b, &w);

	UNIT_BEGIN(&u, "ktypes_btf_good");
	struct ktypes *t = NULL;
	struct ck_error *err = open_blob(&b, b.n, &t);
	CHECK(&u, !err && t && strcmp(ktypes_source(t), "test.btf") == 0);
	if (err)
		printf("# %s\n", err->msg);
	ck_error_destroy(err);
	if (t)
		run_queries(t, 1, &u);
	ktypes_destroy(t);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "ktypes_btf_cut_short");
	for (size_t len = 0; len < b.n; len++) {
		t = NULL;
		err = open_blob(&b, len, &t);
		CHECK(&u, err && err->kind == CK_ERR_INPUT && !t && strstr(err->msg, "test.btf"));
		ck_error_destroy(err);
		ktypes_destroy(t);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "ktypes_btf_huge_counts");
	{
		static const struct {
			size_t at;
			uint32_t v;
			const char *msg;
		} cases[] = {
			{ 12, 0xfffffff0, "type section" },	/* type_len */
			{ 20, 0xffffffff, "string section" },	/* str_len */
			{ 8, 2, "type section" },		/* type_off misaligned */
			{ 4, 0xffffff, "header length" },	/* hdr_len */
			{ 0, 0x0002eb9f, "version" },
			{ 0, 0x00019feb, "big-endian" },
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			m = b;
			set32(m.b + cases[i].at, cases[i].v);
			t = NULL;
			err = open_blob(&m, m.n, &t);
			CHECK(&u, err && err->kind == CK_ERR_INPUT && !t && strstr(err->msg, cases[i].msg));
			if (err && !strstr(err->msg, cases[i].msg))
				printf("# %s\n", err->msg);
			ck_error_destroy(err);
		}
		/* struct outer claims 65535 members. */
		m = b;
		set32(m.b + w.outer_info, get32(m.b + w.outer_info) | 0xffff);
		t = NULL;
		err = open_blob(&m, m.n, &t);
		CHECK(&u, err && err->kind == CK_ERR_INPUT && strstr(err->msg, "runs past"));
		ck_error_destroy(err);
		/* An enormous struct size is only a number: sizes add up without overflow. */
		m = b;
		set32(m.b + w.inner_size, 0xffffffff);
		err = open_blob(&m, m.n, &t);
		uint64_t v = 0;
		CHECK(&u, !err);
		if (!err) {
			ck_error_destroy(ktypes_offsetof(t, "outer", "arr[2].y", &v));
			err = ktypes_member_size(t, "outer", "arr", &v);
			CHECK(&u, !err && v == 3ULL * 0xffffffff);
			ktypes_destroy(t);
		}
		ck_error_destroy(err);
		/* Over the size limit. */
		err = ktypes_open_btf_blob(b.b, (size_t)KTYPES_BTF_MAX + 1, "big.btf", &t);
		CHECK(&u, err && err->kind == CK_ERR_INPUT && strstr(err->msg, "larger"));
		ck_error_destroy(err);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "ktypes_btf_random_flips");
	{
		uint64_t x = 0x9e3779b97f4a7c15ULL;
		for (int i = 0; i < 20000; i++) {
			m = b;
			int flips = 1 + i % 4;
			for (int f = 0; f < flips; f++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				m.b[x % m.n] ^= (uint8_t)(1u << (x >> 32) % 8);
				/* Sometimes a whole word of garbage, to reach counts and ids. */
				if ((x >> 40) % 3 == 0) {
					size_t at = (x >> 8) % (m.n - 3);
					set32(m.b + at, (uint32_t)(x >> 16));
				}
			}
			if (!mutant_ok(&m)) {
				CHECK(&u, 0);
				break;
			}
		}
	}
	UNIT_END(&u);
	return UNIT_EXIT(&u);
}
