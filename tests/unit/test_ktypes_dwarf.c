/*
 * test_ktypes_dwarf.c - the DWARF backend on what compilers really emit, with
 * the compiler itself as the oracle: a C file with nested, anonymous,
 * bitfield, typedef'd, qualified, multi-dimensional and flexible-array
 * members and named/anonymous enums is built with gcc (DWARF 5, 4, and
 * strict DWARF 2, whose bitfields and member locations are encoded
 * differently) and clang; the program prints its own offsetof()/sizeof()/enum
 * values, and ktypes_open_vmlinux() on the same binary (no .BTF, so DWARF)
 * must give the same numbers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktypes.h"
#include "unit.h"

static const char src_types[] =
	"#include <stdio.h>\n#include <stddef.h>\n"
	"struct inner { int x; long y; };\n"
	"typedef struct inner inner_t;\n"
	"enum color { RED, GREEN = 5, BLUE = 0x7fffffff };\n"
	"enum { ANON_NEG = -3, ANON_TWO = 2 };\n"
	"enum big { BIG = 0xffffffffffULL };\n"
	"struct outer {\n"
	"  int a;\n"
	"  union { inner_t in; char raw[16]; };\n"
	"  struct { short s1; struct { char deep; }; };\n"
	"  unsigned flag:3, other:5;\n"
	"  int after_bits;\n"
	"  inner_t arr[4];\n"
	"  int grid[3][5];\n"
	"  const volatile long cv;\n"
	"  struct outer *next;\n"
	"  char flex[];\n"
	"};\n"
	"struct outer *o; enum color c; enum big bg; int anon = ANON_NEG;\n";

static const char *const queries[] = {
	"o:outer:a", "o:outer:in", "o:outer:in.y", "o:outer:raw[3]", "o:outer:s1", "o:outer:deep",
	"o:outer:after_bits", "o:outer:arr", "o:outer:arr[2].y", "o:outer:grid", "o:outer:grid[2][3]",
	"o:outer:grid[1]", "o:outer:cv", "o:outer:next", "o:outer:flex", "o:inner:y", "m:outer:in", "m:outer:raw",
	"m:outer:arr", "m:outer:arr[1]", "m:outer:grid", "m:outer:grid[1]", "m:outer:grid[1][2]", "m:outer:cv",
	"m:outer:next", "m:outer:deep", "s:outer", "s:inner", "e:color:GREEN", "e:color:BLUE", "e::ANON_NEG",
	"e::ANON_TWO", "e:big:BIG",
};
enum { NQ = sizeof(queries) / sizeof(queries[0]) };

/* The C expression for a query's expected value. */
static void expr(const char *q, char *out, size_t cap)
{
	char s[128], m[128];
	const char *c = strchr(q + 2, ':');
	snprintf(s, sizeof(s), "%.*s", c ? (int)(c - (q + 2)) : 100, q + 2);
	snprintf(m, sizeof(m), "%s", c ? c + 1 : "");
	switch (q[0]) {
	case 'o':
		snprintf(out, cap, "(long long)offsetof(struct %s, %s)", s, m);
		break;
	case 'm':
		snprintf(out, cap, "(long long)sizeof(((struct %s *)0)->%s)", s, m);
		break;
	case 's':
		snprintf(out, cap, "(long long)sizeof(struct %s)", s);
		break;
	default:
		snprintf(out, cap, "(long long)%s", m);
	}
}

static void answer(struct ktypes *t, const char *q, char *out, size_t cap)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", q + 2);
	char *s = buf, *m = strchr(buf, ':');
	if (m)
		*m++ = 0;
	struct ck_error *err = NULL;
	uint64_t v = 0;
	int64_t e = 0;
	switch (q[0]) {
	case 'o':
		err = ktypes_offsetof(t, s, m, &v);
		break;
	case 'm':
		err = ktypes_member_size(t, s, m, &v);
		break;
	case 's':
		err = ktypes_sizeof(t, s, &v);
		break;
	default:
		err = ktypes_enum_value(t, s, m, &e);
		v = (uint64_t)e;
	}
	if (err)
		snprintf(out, cap, "error: %s", err->msg);
	else
		snprintf(out, cap, "%" PRId64, (int64_t)v);
	ck_error_destroy(err);
}

static int run(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(out, 1, cap - 1, p) : 0;
	out[n] = 0;
	return p ? pclose(p) : -1;
}

int main(void)
{
	struct unit u = { 0 };
	char dir[] = "/tmp/corekit-ktypes-XXXXXX", path[256], bin[256], cmd[1024];
	static char out[16384];
	if (!mkdtemp(dir)) {
		printf("FAIL ktypes_dwarf_setup: mkdtemp\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/t.c", dir);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(src_types, f);
		fputs("int main(void)\n{\n", f);
		for (int i = 0; i < NQ; i++) {
			char e[512];
			expr(queries[i], e, sizeof(e));
			fprintf(f, "  printf(\"%%lld\\n\", %s);\n", e);
		}
		fputs("  return o != 0;\n}\n", f);
		fclose(f);
	}
	static const char *const compilers[][2] = {
		{ "gcc_dwarf5", "gcc -gdwarf-5" },
		{ "gcc_dwarf4", "gcc -gdwarf-4" },
		{ "gcc_dwarf2_strict", "gcc -gdwarf-2 -gstrict-dwarf" },
		{ "clang", "clang -g" },
	};
	for (size_t c = 0; c < sizeof(compilers) / sizeof(compilers[0]); c++) {
		char name[64];
		snprintf(name, sizeof(name), "ktypes_dwarf_%s", compilers[c][0]);
		UNIT_BEGIN(&u, name);
		snprintf(bin, sizeof(bin), "%s/t-%zu", dir, c);
		snprintf(cmd, sizeof(cmd), "%s -std=gnu11 -O0 -o '%s' '%s' && '%s'", compilers[c][1], bin, path, bin);
		int rc = run(cmd, out, sizeof(out));
		CHECK(&u, f && rc == 0);
		struct ktypes *t = NULL;
		struct ck_error *err = ktypes_open_vmlinux(bin, &t);
		CHECK(&u, !err && strcmp(ktypes_source(t), "dwarf (vmlinux)") == 0);
		if (err)
			printf("# %s\n", err->msg);
		ck_error_destroy(err);
		char *line = out;
		for (int i = 0; t && rc == 0 && i < NQ; i++) {
			char *nl = strchr(line, '\n'), ours[512];
			if (!nl)
				break;
			*nl = 0;
			answer(t, queries[i], ours, sizeof(ours));
			if (strcmp(ours, line) != 0)
				printf("# %s %s: ktypes %s, compiler %s\n", compilers[c][0], queries[i], ours, line);
			CHECK(&u, strcmp(ours, line) == 0);
			line = nl + 1;
		}
		if (t) {
			/* Bitfields exist but have no byte offset; the member after them does. */
			int has = 0;
			uint64_t v;
			err = ktypes_has_member(t, "outer", "other", &has);
			CHECK(&u, !err && has == 1);
			err = ktypes_offsetof(t, "outer", "other", &v);
			CHECK(&u, err && strstr(err->msg, "bitfield"));
			ck_error_destroy(err);
			err = ktypes_offsetof(t, "outer", "grid[3]", &v);
			CHECK(&u, err && strstr(err->msg, "past 3"));
			ck_error_destroy(err);
			err = ktypes_offsetof(t, "outer", "grid[2][5]", &v);
			CHECK(&u, err && strstr(err->msg, "past 5"));
			ck_error_destroy(err);
			err = ktypes_member_size(t, "outer", "flex", &v);
			CHECK(&u, !err && v == 0);
			ck_error_destroy(err);
			err = ktypes_offsetof(t, "outer", "flex[7]", &v);
			CHECK(&u, !err);
			ck_error_destroy(err);
		}
		ktypes_destroy(t);
		unlink(bin);
		UNIT_END(&u);
	}

	UNIT_BEGIN(&u, "ktypes_dwarf_not_elf");
	struct ktypes *t = NULL;
	struct ck_error *err = ktypes_open_vmlinux(path, &t);
	CHECK(&u, err && err->kind == CK_ERR_INPUT && strstr(err->msg, path) && !t);
	ck_error_destroy(err);
	snprintf(cmd, sizeof(cmd), "%s/missing", dir);
	err = ktypes_open_vmlinux(cmd, &t);
	CHECK(&u, err && err->kind == CK_ERR_SYSTEM && !t);
	ck_error_destroy(err);
	UNIT_END(&u);
	unlink(path);
	rmdir(dir);
	return UNIT_EXIT(&u);
}
