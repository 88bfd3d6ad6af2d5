/*
 * symbols.h - address -> module, function + offset, file:line and inline
 * frames, on top of libdw/libdwfl.
 *
 * Two pieces:
 *   struct sym_config   where debug information is looked for: the build-id
 *                       tree under /usr/lib/debug, --debug-dir DIR, a file
 *                       next to the binary, debuginfod (when DEBUGINFOD_URLS
 *                       is set and libdw was built with it), --sysroot DIR.
 *                       It owns the Dwfl_Callbacks table a Dwfl is begun with;
 *                       it must outlive every Dwfl created from it.
 *   struct sym_resolver answers lookups for one Dwfl (borrowed, not owned) and
 *                       caches every answer by (pc, activation), so thousands
 *                       of threads with the same stacks resolve each PC once.
 *                       Per-module facts (build-id, symbol status, CFI) are
 *                       cached as well.  Collecting the modules inflates
 *                       their compressed DWARF (debug_inflate.h) into memory
 *                       the resolver owns: once it is destroyed the Dwfl is
 *                       only good for dwfl_end().
 *
 * Layering: this module knows libdwfl and nothing about cores, threads or
 * reports.  elfutils error codes never leave symbols.c: they are converted to
 * struct ck_error with the libdwfl message appended.
 */
#ifndef COREKIT_SYMBOLS_H
#define COREKIT_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <elfutils/libdwfl.h>

#include "error.h"

struct sym_options {
	const char *debug_dir;	/* extra root with .build-id/xx/yyyy.debug, or NULL */
	const char *sysroot;	/* prefix for module paths and /usr/lib/debug, or NULL */
};

struct sym_config {
	Dwfl_Callbacks callbacks;	/* pass &callbacks to dwfl_begin() */
	char *debuginfo_path;		/* owned; callbacks.debuginfo_path points here */
	char *sysroot;			/* owned copy or NULL */
};

struct ck_error *sym_config_init(struct sym_config *cfg, const struct sym_options *opt);
void sym_config_deinit(struct sym_config *cfg);

/* Convert the current libdwfl error into a ck_error: "WHAT: <dwfl message>". */
struct ck_error *sym_dwfl_error(enum ck_error_kind kind, const char *what);

/* One function inlined at the PC (innermost first in sym_info.inlines). */
struct sym_inline {
	char *function;		/* demangled DW_AT_linkage_name, else DW_AT_name; NULL if neither */
	char *file;		/* where the PC is inside this inlined body */
	int line;		/* 0 when unknown */
};

enum sym_status {
	SYM_NONE = 0,		/* neither symbol table nor DWARF */
	SYM_SYMTAB,		/* ELF symbol table only */
	SYM_DWARF,		/* DWARF debug information */
};

struct sym_module {
	char *name;		/* as reported ("/usr/lib/x86_64-linux-gnu/libc.so.6", "[vdso: 123]") */
	char *path;		/* main file actually used, or NULL (none, or an image in memory) */
	char *debug_file;	/* separate debug file used, or NULL */
	char *build_id;		/* lowercase hex, or NULL */
	uint64_t start, end;
	enum sym_status status;
	bool has_cfi;		/* .eh_frame or .debug_frame present */
	bool has_elf;		/* its ELF image was found (a file, or the vDSO in the core) */
};

/*
 * Everything known about one PC.  All pointers are owned by the resolver and
 * stay valid until sym_resolver_destroy().
 */
struct sym_info {
	uint64_t pc;
	bool activation;		/* looked up at pc (true) or pc - 1 (return address) */
	const struct sym_module *module;	/* NULL: PC in no known module */
	uint64_t module_offset;		/* pc - module start */
	char *function;			/* outermost (non-inlined) function or NULL: its DWARF
					 * subprogram (demangled DW_AT_linkage_name, else
					 * DW_AT_name), else the ELF symbol demangled */
	char *symbol;			/* the ELF symbol as in the symbol table (mangled), or
					 * a names-first fallback's name; NULL if none */
	char *symbol_name;		/* symbol demangled: the same with and without DWARF */
	uint64_t function_offset;	/* pc - function entry (valid if function) */
	uint64_t function_start;	/* absolute entry address, 0 if unknown */
	char *file;			/* location inside `function` (call site of the outermost inline) */
	int line;
	struct sym_inline *inlines;	/* innermost first */
	size_t ninlines;
	bool cfi;			/* CFI covers the lookup address */
};

struct sym_resolver;

struct ck_error *sym_resolver_create(Dwfl *dwfl, struct sym_resolver **ret);
void sym_resolver_destroy(struct sym_resolver *r);

/*
 * Resolve pc.  activation=false means pc is a return address: lookups use
 * pc - 1 so a call at the end of a function names the caller's function and
 * line.  Never fails for an unknown address: the answer then has module=NULL.
 * Fails only when out of memory.
 */
struct ck_error *sym_lookup(struct sym_resolver *r, uint64_t pc, bool activation,
			    const struct sym_info **ret);

/*
 * A second symbol source for addresses in no Dwfl module: a kernel image with
 * no vmlinux names its PCs from the kernel's own kallsyms.  lookup() answers
 * for addr (already pc - 1 for return addresses) or returns false; strings are
 * borrowed (copied by the resolver).  dwfl may be NULL in sym_resolver_create
 * when the fallback is the only source.
 */
struct sym_fallback_answer {
	const char *function;		/* NULL if unknown */
	uint64_t function_start;
	const char *module;		/* "vmlinux", a kernel module name; NULL if none */
	uint64_t module_start, module_end;
};
struct sym_fallback {
	bool (*lookup)(void *arg, uint64_t addr, struct sym_fallback_answer *out);
	void *arg;
	bool names_first;	/* its function names win over DWARF's and the ELF symtab's too */
};
void sym_resolver_set_fallback(struct sym_resolver *r, const struct sym_fallback *fb);

/*
 * Find the compilation unit of addresses in module mod through ix
 * (cu_index.h: .debug_aranges and one Dwarf per unit) instead of libdwfl,
 * whose first lookup reads every unit header of the module: a kernel's
 * vmlinux.  bias: the module's DWARF bias (dwfl_module_getdwarf).  ix is
 * borrowed and must outlive r; NULL turns it off.  One module at most.
 */
struct cu_index;
void sym_resolver_set_cu_index(struct sym_resolver *r, Dwfl_Module *mod, struct cu_index *ix, uint64_t bias);

/* All modules of the Dwfl, sorted by start; valid until destroy. */
struct ck_error *sym_modules(struct sym_resolver *r, const struct sym_module **ret, size_t *n);

/* Address of a named ELF symbol in any module (e.g. "__abort_msg"); 0 if absent. */
uint64_t sym_find_symbol(struct sym_resolver *r, const char *name);

/* The name gdb gives a data address: "ledger" or "ledger+8" (decimal) when
 * addr lies inside an ELF symbol's extent, else *ret = NULL (heap, stack). */
struct ck_error *sym_data_name(struct sym_resolver *r, uint64_t addr, char **ret);

/* The demangled form of a C++ (Itanium ABI, "_Z...") symbol as c++filt prints
 * it, "@VERSION" dropped first; a name that is not mangled is copied as it is.
 * Malloc'd; NULL only when out of memory (name NULL: NULL). */
char *sym_demangle(const char *name);

/* Normalise a function name for comparisons and signatures: strip "@VERSION"/
 * "@@VERSION", leading underscores, GCC clone suffixes (".constprop.0", and
 * " [clone .constprop.0]" of demangled names).  Writes at most cap bytes (NUL
 * included). */
void sym_normalize_name(const char *name, char *buf, size_t cap);

#endif
