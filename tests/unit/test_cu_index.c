/*
 * test_cu_index.c - cu_index.h against libdwfl, whose address -> unit lookup
 * it replaces, on what compilers really emit:
 *  - programs gcc builds here (two units; DWARF 5, DWARF 4, and LTO, whose
 *    units point into each other with DW_FORM_ref_addr), loaded at a bias,
 *    and the real Debian vmlinux of the test guest: for addresses spread over
 *    their functions (entries, middles, ends, gaps, outside), the unit, the
 *    innermost line and the dwarf_getscopes chain equal libdwfl's
 *    (dwfl_module_addrdie, dwfl_module_getsrc), the index's own scope walks
 *    give libdw's arrays (dwarf_getscopes for those addresses and every 12th
 *    byte of __schedule, dwarf_getscopes_die for the units' DIEs), and the
 *    resolver gives the same function, file:line and inline frames with the
 *    index as without;
 *  - the vmlinux: looking up 24 functions maps a small part of the file
 *    (libdwfl's first lookup maps most of its 166 MiB of .debug_info);
 *  - copies of the program with one field of .debug_aranges broken each way
 *    (or read differently by libdw): CK_ERR_INPUT naming the file and the
 *    byte's file offset; compressed DWARF, a relocatable object, no
 *    .debug_aranges, not an ELF file.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cu_index.h"
#include "symbols.h"
#include "unit.h"

static const char src_a[] =
	"static inline __attribute__((always_inline)) int sq(int x) { return x * x + (x >> 3); }\n"
	"static inline __attribute__((always_inline)) int sq2(int x) { return sq(x) ^ sq(x + 1); }\n"
	"int helper(int);\n"
	"int main(int argc, char **argv) { (void)argv; int s = 0;\n"
	"  for (int i = 0; i < argc * 7; i++) s += sq2(i) + helper(i);\n"
	"  return s; }\n";
static const char src_b[] =
	"static inline __attribute__((always_inline)) int tw(int x) { return 2 * x + 1; }\n"
	"__attribute__((noinline)) int leaf(int v) { return v * 5 - 3; }\n"
	"int helper(int v) { int r = 0; for (int i = 0; i < v; i++) r += tw(i) * leaf(i); return r; }\n";

/*
 * libdw 0.188's dwarf_getscopes loses its scope array when an inline's
 * abstract origin is in another unit (the LTO build here), in the resolver
 * with or without the index.  LeakSanitizer reads this hook: elfutils' own
 * allocations only, as tests/lsan-libdw.supp does for the integration tests.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libdw.so\nleak:libelf.so\n";
}

static int run(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(out, 1, cap - 1, p) : 0;
	out[n] = 0;
	return p ? pclose(p) : -1;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const Dwfl_Callbacks offline = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

/* One file loaded in a Dwfl, its index, and a resolver with and without it. */
struct side {
	const char *path;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwarf_Addr bias;
	struct cu_index *ix;
	struct sym_resolver *plain, *fast;
};

static int side_open(struct side *s, const char *path, Dwarf_Addr base)
{
	memset(s, 0, sizeof(*s));
	s->path = path;
	if (!(s->dwfl = dwfl_begin(&offline)))
		return -1;
	dwfl_report_begin(s->dwfl);
	s->mod = dwfl_report_elf(s->dwfl, "file", path, -1, base, false);
	dwfl_report_end(s->dwfl, NULL, NULL);
	Dwarf *dw = s->mod ? dwfl_module_getdwarf(s->mod, &s->bias) : NULL;
	struct ck_error *err = dw ? cu_index_create(path, dw, &s->ix) : NULL;
	if (err)
		printf("# %s\n", err->msg);
	int bad = !dw || err;
	ck_error_destroy(err);
	if (bad || sym_resolver_create(s->dwfl, &s->plain) || sym_resolver_create(s->dwfl, &s->fast))
		return -1;
	sym_resolver_set_cu_index(s->fast, s->mod, s->ix, s->bias);
	return 0;
}

static void side_close(struct side *s)
{
	sym_resolver_destroy(s->plain);
	sym_resolver_destroy(s->fast);
	cu_index_destroy(s->ix);
	if (s->dwfl)
		dwfl_end(s->dwfl);
}

struct tally {
	size_t found, other, none, diff;
	Dwarf_Die units[8];	/* the first units the index found, for chains_equal */
	size_t nunits;
};

static Dwarf_Word stmt_list(Dwarf_Die *cu)
{
	Dwarf_Attribute a;
	Dwarf_Word v = (Dwarf_Word)-1;
	if (dwarf_attr(cu, DW_AT_stmt_list, &a))
		dwarf_formudata(&a, &v);
	return v;
}

/* libdw's scopes of a in the index's unit equal those in libdwfl's (same
 * tags and names), and cu_index_getscopes gives libdw's array exactly. */
static int same_scopes(Dwarf_Die *cu_a, Dwarf_Die *cu_b, Dwarf_Addr a)
{
	Dwarf_Die *sa = NULL, *sb = NULL, *sc = NULL;
	int na = dwarf_getscopes(cu_a, a, &sa), nb = dwarf_getscopes(cu_b, a, &sb);
	int nc = cu_index_getscopes(cu_a, a, &sc);
	int same = na == nb && nc == na;
	for (int i = 0; same && i < na; i++)
		same = dwarf_tag(&sa[i]) == dwarf_tag(&sb[i]) && str_eq(dwarf_diename(&sa[i]), dwarf_diename(&sb[i])) &&
		       dwarf_dieoffset(&sa[i]) == dwarf_dieoffset(&sc[i]);
	if (na > 0)
		free(sa);
	if (nb > 0)
		free(sb);
	if (nc > 0)
		free(sc);
	return same;
}

/* cu_index_scopes_die and dwarf_getscopes_die give the same chain for every
 * step-th DIE of the unit (all tags, depth-first). */
static int chains_equal(Dwarf_Die *cu, size_t step, size_t *checked)
{
	static Dwarf_Die stack[1 << 16];
	size_t depth = 0, k = 0;
	int same = 1;
	stack[depth++] = *cu;
	while (depth && same) {
		Dwarf_Die d = stack[--depth], c;
		if (k++ % step == 0) {
			Dwarf_Die *a = NULL, *b = NULL;
			int na = cu_index_scopes_die(&d, &a), nb = dwarf_getscopes_die(&d, &b);
			same = na == nb;
			for (int i = 0; same && i < na; i++)
				same = dwarf_dieoffset(&a[i]) == dwarf_dieoffset(&b[i]);
			if (!same)
				printf("# DIE 0x%llx: %d parents, libdw %d\n", (unsigned long long)dwarf_dieoffset(&d), na, nb);
			free(a);
			free(b);
			(*checked)++;
		}
		for (int rc = dwarf_child(&d, &c); rc == 0 && depth < sizeof(stack) / sizeof(stack[0]);
		     rc = dwarf_siblingof(&c, &c))
			stack[depth++] = c;
	}
	return same;
}

static int same_info(const struct sym_info *x, const struct sym_info *y)
{
	int same = str_eq(x->function, y->function) && str_eq(x->file, y->file) && x->line == y->line &&
		   x->function_start == y->function_start && x->ninlines == y->ninlines &&
		   (x->module == NULL) == (y->module == NULL);
	for (size_t i = 0; same && i < x->ninlines; i++)
		same = str_eq(x->inlines[i].function, y->inlines[i].function) &&
		       str_eq(x->inlines[i].file, y->inlines[i].file) && x->inlines[i].line == y->inlines[i].line;
	return same;
}

/* The index and libdwfl on one address (a runtime address: bias included). */
static void compare(struct side *s, uint64_t pc, struct tally *t)
{
	Dwarf_Die ci, *cd;
	Dwarf_Addr b = 0;
	enum cu_index_answer ans = cu_index_lookup(s->ix, pc - s->bias, &ci);
	cd = dwfl_module_addrdie(s->mod, pc, &b);
	int same = 1;
	const char *what = "";
	if (ans == CU_INDEX_NONE) {
		t->none++;
		same = cd == NULL, what = "unit found by libdwfl only";
	} else if (ans == CU_INDEX_OTHER) {
		t->other++;
	} else {
		t->found++;
		int known = 0;
		for (size_t i = 0; i < t->nunits; i++)
			known |= stmt_list(&t->units[i]) == stmt_list(&ci);
		if (!known && t->nunits < sizeof(t->units) / sizeof(t->units[0]))
			t->units[t->nunits++] = ci;
		if (!cd) {
			same = 0, what = "unit found by the index only";
		} else if (!str_eq(dwarf_diename(&ci), dwarf_diename(cd)) || stmt_list(&ci) != stmt_list(cd)) {
			same = 0, what = "another unit";
		} else {
			Dwarf_Line *li = dwarf_getsrc_die(&ci, pc - s->bias);
			Dwfl_Line *ld = dwfl_module_getsrc(s->mod, pc);
			int line_i = 0, line_d = 0;
			const char *fi = li ? dwarf_linesrc(li, NULL, NULL) : NULL;
			const char *fd = ld ? dwfl_lineinfo(ld, NULL, &line_d, NULL, NULL, NULL) : NULL;
			if (li)
				dwarf_lineno(li, &line_i);
			if (!str_eq(fi, fd) || line_i != line_d)
				same = 0, what = "another line";
			else if (!same_scopes(&ci, cd, pc - s->bias))
				same = 0, what = "other scopes";
		}
	}
	const struct sym_info *x = NULL, *y = NULL;
	if (same && (sym_lookup(s->plain, pc, true, &x) || sym_lookup(s->fast, pc, true, &y) || !same_info(x, y)))
		same = 0, what = "the resolver's answers differ";
	(void)dwfl_errno();
	if (!same) {
		if (t->diff++ < 5)
			printf("# %s: 0x%" PRIx64 ": %s\n", s->path, pc, what);
	}
}

/* Every function of the side's module: entry, +1, middle, last byte, just past it. */
static void compare_functions(struct side *s, size_t step, struct tally *t)
{
	int n = dwfl_module_getsymtab(s->mod);
	for (int i = 0, k = 0; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr a;
		const char *name = dwfl_module_getsym_info(s->mod, i, &sym, &a, NULL, NULL, NULL);
		if (!name || GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_size || k++ % (int)step)
			continue;
		uint64_t pcs[] = { a, a + 1, a + sym.st_size / 2, a + sym.st_size - 1, a + sym.st_size };
		for (size_t j = 0; j < sizeof(pcs) / sizeof(pcs[0]); j++)
			compare(s, pcs[j], t);
	}
	Dwarf_Addr lo = 0, hi = 0;
	dwfl_module_info(s->mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
	compare(s, lo > 0 ? lo - 1 : 0, t);
	compare(s, hi, t);
	compare(s, hi + 0x100000, t);
}

/* ---- broken copies ---- */

static int copy_patch(const char *from, const char *to, off_t at, const void *bytes, size_t n)
{
	char cmd[1024], out[64];
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	if (run(cmd, out, sizeof(out)) != 0)
		return -1;
	int fd = open(to, O_WRONLY);
	int ok = fd >= 0 && pwrite(fd, bytes, n, at) == (ssize_t)n;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* cu_index_create on path fails as bad input naming path, want and (if at >= 0) "offset 0xAT". */
static int fails_with(const char *path, long long at, const char *want)
{
	struct cu_index *ix = NULL;
	struct ck_error *err = cu_index_create(path, NULL, &ix);
	char off[64] = "";
	if (at >= 0)
		snprintf(off, sizeof(off), "offset 0x%llx:", at);
	int ok = err && err->kind == CK_ERR_INPUT && strncmp(err->msg, path, strlen(path)) == 0 &&
		 strstr(err->msg, want) && strstr(err->msg, off);
	if (!ok)
		printf("# %s: want \"%s\" %s, got %s\n", path, want, off, err ? err->msg : "success");
	ck_error_destroy(err);
	cu_index_destroy(ix);
	return ok;
}

/* File offset, size and set count of path's .debug_aranges. */
static int aranges_of(const char *path, uint64_t *off, uint64_t *size, uint32_t *len0)
{
	int fd = open(path, O_RDONLY);
	Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	size_t shstr;
	int found = 0;
	for (Elf_Scn *scn = NULL; e && elf_getshdrstrndx(e, &shstr) == 0 && (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		const char *name = gelf_getshdr(scn, &sh) ? elf_strptr(e, shstr, sh.sh_name) : NULL;
		if (name && strcmp(name, ".debug_aranges") == 0) {
			*off = sh.sh_offset;
			*size = sh.sh_size;
			found = pread(fd, len0, 4, (off_t)sh.sh_offset) == 4;
		}
	}
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	return found;
}

static void broken_copies(struct unit *u, const char *dir, const char *prog)
{
	char p[512];
	uint64_t off = 0, size = 0;
	uint32_t len0 = 0;
	UNIT_BEGIN(u, "cu_index_bad_aranges");
	CHECK(u, aranges_of(prog, &off, &size, &len0) && len0 + 4 < size);	/* two sets at least */
	static const struct {
		unsigned at;		/* into the first set */
		unsigned char bytes[4];
		size_t n;
		const char *why;
	} bad[] = {
		{ 4, { 3, 0 }, 2, "version is not 2" },
		{ 10, { 3 }, 1, "address size is not 4 or 8" },
		{ 11, { 1 }, 1, "segment selectors are not supported" },
		{ 6, { 0xff, 0xff, 0xff, 0x7f }, 4, "unit offset outside .debug_info" },
		{ 0, { 0xf5, 0xff, 0xff, 0xff }, 4, "reserved unit length" },
		{ 0, { 0xf0, 0xff, 0xff, 0x7f }, 4, "set runs past the end of the section" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(p, sizeof(p), "%s/bad%zu", dir, i);
		CHECK(u, copy_patch(prog, p, (off_t)(off + bad[i].at), bad[i].bytes, bad[i].n) == 0);
		CHECK(u, fails_with(p, (long long)off, bad[i].why));
	}
	/* the first set 16 bytes shorter: it ends where its terminator was */
	uint32_t shorter = len0 - 16, longer = len0 + 16;
	snprintf(p, sizeof(p), "%s/short", dir);
	CHECK(u, copy_patch(prog, p, (off_t)off, &shorter, 4) == 0);
	CHECK(u, fails_with(p, (long long)(off + 4 + shorter), "no terminating entry before the end of the set"));
	/* 16 bytes longer: the next set's first bytes follow its terminator */
	snprintf(p, sizeof(p), "%s/long", dir);
	CHECK(u, copy_patch(prog, p, (off_t)off, &longer, 4) == 0);
	CHECK(u, fails_with(p, (long long)(off + 4 + len0), "bytes after the terminating entry"));
	UNIT_END(u);
}

/* Resident KiB of this process's mappings of path. */
static long mapped_kib(const char *path)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[4096];
	long kib = 0;
	int in = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '/'))
			in = strstr(line, path) != NULL;
		else if (sscanf(line, "%lx-%lx ", &a, &b) == 2)
			in = 0;
		else if (in && strncmp(line, "Rss:", 4) == 0)
			kib += strtol(line + 4, NULL, 10);
	}
	if (f)
		fclose(f);
	return kib;
}

static void vmlinux_checks(struct unit *u, const char *vmlinux)
{
	static char out[1 << 22];
	char cmd[8192];
	/* 24 functions spread over the text, from nm (no libelf mapping of the file) */
	snprintf(cmd, sizeof(cmd), "nm --defined-only '%s' | awk '$2 ~ /^[tT]$/ {print $1}' | sort -u", vmlinux);
	int rc = run(cmd, out, sizeof(out));
	size_t n = 0;
	for (char *p = out; *p; p++)
		n += *p == '\n';
	UNIT_BEGIN(u, "cu_index_vmlinux_small_footprint");
	CHECK(u, rc == 0 && n > 1000);
	struct cu_index *ix = NULL;
	struct ck_error *err = cu_index_create(vmlinux, NULL, &ix);
	CHECK(u, !err);
	if (err)
		printf("# %s\n", err->msg);
	ck_error_destroy(err);
	size_t found = 0, i = 0;
	for (char *p = out, *nl; ix && *p && (nl = strchr(p, '\n')); p = nl + 1, i++) {
		Dwarf_Die cu;
		if (i % (n / 24) == 0 && cu_index_lookup(ix, strtoull(p, NULL, 16), &cu) == CU_INDEX_FOUND)
			found++;
	}
	long kib = mapped_kib(vmlinux);
	CHECK(u, found >= 20 && ix && cu_index_units_open(ix) <= 24);
	CHECK(u, kib > 0 && kib < 32 * 1024);
	printf("# %zu of 24 functions' units found, %zu units open, %ld KiB of the vmlinux mapped\n", found,
	       ix ? cu_index_units_open(ix) : 0, kib);
	cu_index_destroy(ix);
	UNIT_END(u);

	UNIT_BEGIN(u, "cu_index_vmlinux_equals_libdwfl");
	struct side s;
	struct tally t = { 0 };
	CHECK(u, side_open(&s, vmlinux, 0) == 0);
	if (s.ix)
		compare_functions(&s, 1000, &t);
	/* every 12th byte of the scheduler, inlines nested four deep */
	GElf_Sym sym;
	GElf_Addr at = 0;
	for (int k = 0, nsyms = s.mod ? dwfl_module_getsymtab(s.mod) : 0; k < nsyms; k++) {
		const char *name = dwfl_module_getsym_info(s.mod, k, &sym, &at, NULL, NULL, NULL);
		if (name && strcmp(name, "__schedule") == 0 && GELF_ST_TYPE(sym.st_info) == STT_FUNC)
			break;
		at = 0;
	}
	CHECK(u, at && sym.st_size > 1000);
	size_t before = t.found;
	for (uint64_t pc = at; at && pc < at + sym.st_size; pc += 12)
		compare(&s, pc, &t);
	CHECK(u, t.found - before > 100);
	/* vmlinux has no unit pointing outside itself: the index answers all */
	CHECK(u, t.found > 200 && t.other == 0 && t.diff == 0);
	size_t checked = 0;
	for (size_t k = 0; k < t.nunits; k++)
		CHECK(u, chains_equal(&t.units[k], 29, &checked));
	CHECK(u, checked > 1000);
	printf("# vmlinux: %zu addresses in a unit, %zu in none, %zu through libdwfl, %zu differ; %zu DIEs' parents "
	       "checked\n", t.found, t.none, t.other, t.diff, checked);
	side_close(&s);
	UNIT_END(u);
}

int main(void)
{
	struct unit u = { 0 };
	char dir[] = "/tmp/corekit-cuindex-XXXXXX", path[512], cmd[2048];
	static char out[4096];
	elf_version(EV_CURRENT);
	if (!mkdtemp(dir)) {
		printf("FAIL cu_index_setup: mkdtemp\n");
		return 1;
	}
	write_file(dir, "a.c", src_a);
	write_file(dir, "b.c", src_b);
	static const char *const builds[][2] = {
		{ "dwarf5", "gcc -O2 -g -gdwarf-5" },
		{ "dwarf4", "gcc -O2 -g -gdwarf-4" },
		{ "lto", "gcc -O2 -g -flto" },
	};
	for (size_t b = 0; b < sizeof(builds) / sizeof(builds[0]); b++) {
		char name[64];
		snprintf(name, sizeof(name), "cu_index_gcc_%s_equals_libdwfl", builds[b][0]);
		UNIT_BEGIN(&u, name);
		snprintf(cmd, sizeof(cmd), "cd '%s' && %s -o %s a.c b.c 2>&1", dir, builds[b][1], builds[b][0]);
		CHECK(&u, run(cmd, out, sizeof(out)) == 0);
		snprintf(path, sizeof(path), "%s/%s", dir, builds[b][0]);
		struct side s;
		struct tally t = { 0 };
		CHECK(&u, side_open(&s, path, 0x7f0000400000) == 0 && s.bias == 0x7f0000400000);
		if (s.ix)
			compare_functions(&s, 1, &t);
		CHECK(&u, t.diff == 0 && t.found + t.other >= 4 && t.none > 0);
		size_t checked = 0;
		for (size_t i = 0; i < t.nunits; i++)
			CHECK(&u, chains_equal(&t.units[i], 1, &checked));
		CHECK(&u, b == 2 || checked > 20);
		/* LTO units refer to each other (DW_FORM_ref_addr): those go to libdwfl */
		CHECK(&u, b == 2 ? t.other > 0 : t.other == 0);
		side_close(&s);
		UNIT_END(&u);
	}

	snprintf(path, sizeof(path), "%s/dwarf5", dir);
	broken_copies(&u, dir, path);

	UNIT_BEGIN(&u, "cu_index_refuses_what_it_cannot_index");
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && gcc -g -gz=zlib -o z a.c b.c && gcc -g -c -o a.o a.c && "
		 "objcopy --remove-section=.debug_aranges dwarf5 noaranges && yes hello | head -c 4096 >text 2>&1", dir);
	CHECK(&u, run(cmd, out, sizeof(out)) == 0);
	snprintf(path, sizeof(path), "%s/z", dir);
	CHECK(&u, fails_with(path, -1, "is compressed"));
	snprintf(path, sizeof(path), "%s/a.o", dir);
	CHECK(&u, fails_with(path, -1, "not an executable"));
	snprintf(path, sizeof(path), "%s/noaranges", dir);
	CHECK(&u, fails_with(path, -1, "no .debug_aranges section"));
	snprintf(path, sizeof(path), "%s/text", dir);
	CHECK(&u, fails_with(path, -1, "not an ELF file"));
	snprintf(path, sizeof(path), "%s/missing", dir);
	struct cu_index *ix = NULL;
	struct ck_error *err = cu_index_create(path, NULL, &ix);
	CHECK(&u, err && err->kind == CK_ERR_SYSTEM && strstr(err->msg, path));
	ck_error_destroy(err);
	UNIT_END(&u);

	/* The real vmlinux: the test guest's debug file. */
	const char *root = getenv("COREKIT_ROOT");
	snprintf(cmd, sizeof(cmd), "d=$('%s/testdata/guest.sh' small) && sed -n 's/^vmlinux_debug=//p' \"$d/info\"",
		 root ? root : ".");
	int rc = run(cmd, out, sizeof(out));
	out[strcspn(out, "\n")] = 0;
	UNIT_BEGIN(&u, "cu_index_vmlinux_available");
	CHECK(&u, rc == 0 && out[0] && access(out, R_OK) == 0);
	UNIT_END(&u);
	if (!u.failed)
		vmlinux_checks(&u, out);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	run(cmd, out, sizeof(out));
	return UNIT_EXIT(&u);
}
