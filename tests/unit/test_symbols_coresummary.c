/*
 * test_symbols.c - the symbol resolver on this test program's own live
 * address space (libdwfl reports it from /proc/self/maps): function names,
 * offsets, file:line, unknown addresses, the per-PC cache, module facts,
 * symbol lookup by name, and name normalisation.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbols.h"
#include "unit.h"

int corekit_test_object = 42;

__attribute__((noinline)) int corekit_test_function(int x);
__attribute__((noinline)) int corekit_test_function(int x)
{
	return x * 3 + corekit_test_object;
}

static void test_normalize(struct unit *u)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "__pthread_mutex_lock@GLIBC_2.2.5", "pthread_mutex_lock" },
		{ "___pthread_mutex_lock", "pthread_mutex_lock" },
		{ "pthread_mutex_lock@@GLIBC_2.2.5", "pthread_mutex_lock" },
		{ "__GI___lll_lock_wait", "lll_lock_wait" },
		{ "__GI_raise", "raise" },
		{ "foo.constprop.0", "foo" },
		{ "bar.isra.0", "bar" },
		{ "baz.part.3", "baz" },
		{ "main", "main" },
		{ "_start", "start" },
	};
	UNIT_BEGIN(u, "symbols normalize names");
	char buf[64];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sym_normalize_name(cases[i].in, buf, sizeof(buf));
		CHECK(u, strcmp(buf, cases[i].out) == 0);
	}
	sym_normalize_name(NULL, buf, sizeof(buf));
	CHECK(u, buf[0] == 0);
	sym_normalize_name("a_very_long_function_name", buf, 8);
	CHECK(u, strcmp(buf, "a_very_") == 0);
	UNIT_END(u);
}

/* Expected strings are what c++filt (binutils) prints for the same input. */
static void test_demangle(struct unit *u)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "_Z7cxxfunci", "cxxfunc(int)" },
		{ "_Z7cxxfunci@@CXX_1.0", "cxxfunc(int)" },
		{ "_Z3fooi.constprop.0", "foo(int) [clone .constprop.0]" },
		{ "_ZNK7corekit4wild3BoxIiEdeEv", "corekit::wild::Box<int>::operator*() const" },
		{ "_ZNSt8functionIFiiEEclEi", "std::function<int (int)>::operator()(int)" },
		{ "_ZSt9terminatev", "std::terminate()" },
		{ "_Zgarbage", "_Zgarbage" },
		{ "pthread_mutex_lock@@GLIBC_2.2.5", "pthread_mutex_lock@@GLIBC_2.2.5" },
		{ "main", "main" },
	};
	UNIT_BEGIN(u, "symbols demangle as c++filt");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *d = sym_demangle(cases[i].in);
		CHECK(u, d && strcmp(d, cases[i].out) == 0);
		free(d);
	}
	CHECK(u, sym_demangle(NULL) == NULL);
	char buf[64];
	sym_normalize_name("foo(int) [clone .constprop.0]", buf, sizeof(buf));
	CHECK(u, strcmp(buf, "foo(int)") == 0);
	UNIT_END(u);
}

static void test_resolver(struct unit *u)
{
	struct sym_config cfg;
	struct sym_options opt = { "/nonexistent-debug-dir", NULL };
	UNIT_BEGIN(u, "symbols resolve own process");
	CHECK(u, sym_config_init(&cfg, &opt) == NULL);
	CHECK(u, strstr(cfg.debuginfo_path, "/nonexistent-debug-dir") != NULL);
	cfg.callbacks.find_elf = dwfl_linux_proc_find_elf;
	Dwfl *dwfl = dwfl_begin(&cfg.callbacks);
	CHECK(u, dwfl != NULL);
	dwfl_report_begin(dwfl);
	CHECK(u, dwfl_linux_proc_report(dwfl, getpid()) == 0);
	dwfl_report_end(dwfl, NULL, NULL);
	struct sym_resolver *r = NULL;
	CHECK(u, sym_resolver_create(dwfl, &r) == NULL);
	uint64_t fn = (uint64_t)(uintptr_t)&corekit_test_function;
	const struct sym_info *si = NULL, *again = NULL;
	CHECK(u, sym_lookup(r, fn, true, &si) == NULL);
	CHECK(u, si && si->function && strcmp(si->function, "corekit_test_function") == 0);
	CHECK(u, si && si->function_offset == 0 && si->function_start == fn);
	CHECK(u, si && si->file && strstr(si->file, "test_symbols_coresummary.c") && si->line > 0);
	CHECK(u, si && si->module && si->module->status == SYM_DWARF && si->module_offset > 0);
	CHECK(u, si && si->cfi);
	/* a return address is looked up at pc - 1; the offset is still from pc */
	CHECK(u, sym_lookup(r, fn + 2, false, &again) == NULL);
	CHECK(u, again && again->function && strcmp(again->function, "corekit_test_function") == 0);
	CHECK(u, again && again->function_offset == 2);
	/* cached: the same record comes back */
	CHECK(u, sym_lookup(r, fn, true, &again) == NULL && again == si);
	/* an address in no module */
	CHECK(u, sym_lookup(r, 0x10, true, &again) == NULL);
	CHECK(u, again && !again->module && !again->function && !again->ninlines);
	/* many lookups grow the cache without losing entries */
	for (uint64_t a = 0; a < 5000; a++) {
		const struct sym_info *x;
		CHECK(u, sym_lookup(r, fn + (a % 16), a & 1, &x) == NULL);
	}
	CHECK(u, sym_lookup(r, fn, true, &again) == NULL && again == si);
	const struct sym_module *mods;
	size_t n;
	CHECK(u, sym_modules(r, &mods, &n) == NULL && n >= 2);
	for (size_t i = 1; i < n; i++)
		CHECK(u, mods[i - 1].start < mods[i].start);
	CHECK(u, sym_find_symbol(r, "corekit_test_object") == (uint64_t)(uintptr_t)&corekit_test_object);
	CHECK(u, sym_find_symbol(r, "no_such_symbol_anywhere") == 0);
	CHECK(u, corekit_test_function(1) == 45);
	sym_resolver_destroy(r);
	dwfl_end(dwfl);
	sym_config_deinit(&cfg);
	sym_resolver_destroy(NULL);
	UNIT_END(u);
}

int main(void)
{
	struct unit u = { 0 };
	test_normalize(&u);
	test_demangle(&u);
	test_resolver(&u);
	return UNIT_EXIT(&u);
}
