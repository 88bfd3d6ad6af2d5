/*
 * kallsyms.h - Linux kernel symbols from guest memory alone (no vmlinux):
 * the kernel's compressed kallsyms tables and the loaded modules' own symbol
 * tables, decoded once into one sorted array (names in one string pool), so
 * every lookup afterwards is O(log n) with no memory reads.
 *
 *   struct kallsyms *ks;
 *   err = kallsyms_load(&mem, vmcoreinfo, len, &ks);         // vmlinux symbols
 *   kallsyms_address(ks, "modules", &head);
 *   err = kallsyms_add_modules(ks, &mem, head, &layout, &w);  // + module symbols
 *   kallsyms_lookup(ks, pc, &sym);    // "__schedule" +0x34d /0xa00, 't', NULL
 *   kallsyms_destroy(ks);
 *
 * Where the tables are: VMCOREINFO's SYMBOL(kallsyms_names), (kallsyms_num_syms),
 * (kallsyms_token_table), (kallsyms_token_index), (kallsyms_offsets) and
 * (kallsyms_relative_base) when all six are there (Debian 6.1 exports them);
 * otherwise kallsyms_locate() finds them by scanning the kernel image (see
 * kallsyms_scan.c for how).  Table format (Linux 4.6+, base-relative):
 *   kallsyms_num_syms     u32 symbol count
 *   kallsyms_names        per symbol: length (1 byte; 6.1+: 2 bytes when the
 *                         first has bit 7 set, low 7 bits first), then that
 *                         many token indexes; the expanded first char is the
 *                         nm-style type letter
 *   kallsyms_token_table  256 NUL-terminated strings
 *   kallsyms_token_index  256 u16 offsets into the token table
 *   kallsyms_offsets      s32 per symbol; with ABSOLUTE_PERCPU (x86-64 SMP,
 *                         detected: some offset is negative) >= 0 is absolute
 *                         (per-CPU symbols), < 0 is relative_base - 1 - off;
 *                         otherwise relative_base + (u32)off
 *   kallsyms_relative_base u64
 * Kernels with absolute kallsyms_addresses[] (no BASE_RELATIVE) are not supported.
 *
 * Sizes are what the kernel prints after the '/' in "func+0x27/0x30": the
 * distance to the next symbol with a higher address (module symbols: the next
 * one of the same module, capped at the end of the module's text).  The last
 * symbol of vmlinux and of the per-CPU range has size 0 and matches only its
 * own address.
 *
 * Not thread-safe while loading or adding modules; lookups on a finished
 * struct kallsyms may run concurrently.
 */
#ifndef COREKIT_KALLSYMS_H
#define COREKIT_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "memory.h"

enum {
	KALLSYMS_MAX_SYMS = 4 << 20,	/* vmlinux has ~100k-250k; more is a broken table */
	KALLSYMS_MAX_NAME = 1024,	/* expanded name (KSYM_NAME_LEN is 128, 512 in 6.1+ Rust) */
	KALLSYMS_MAX_MODULES = 4096,
	KALLSYMS_MAX_MODULE_SYMS = 1 << 20,
	KALLSYMS_MODULE_NAME_MAX = 255,
};

/* Virtual addresses of the six tables. */
struct kallsyms_tables {
	uint64_t names, num_syms, token_table, token_index, offsets, relative_base;
};

struct kallsyms;

/* One symbol.  Pointers are owned by the struct kallsyms and stay valid until
 * the next kallsyms_add_modules() or kallsyms_destroy(). */
struct ksym {
	const char *name;
	const char *module;	/* NULL for vmlinux */
	uint64_t start, size;	/* size 0: unknown (last symbol of its range) */
	uint64_t offset;	/* lookup address - start (0 from kallsyms_symbol) */
	char type;		/* nm letter: 't', 'T', 'd', 'D', 'b', 'r', 'A', ... */
};

/*
 * Where the tables are: from VMCOREINFO when it names all six, else by a scan
 * of the kernel image (kallsyms_scan.c).  *found_by_scan_ret (may be NULL) says
 * which.  CK_ERR_INPUT: no tables found; faults and system errors are passed up.
 */
struct ck_error *kallsyms_locate(const struct ck_memory *mem, const char *vmcoreinfo, size_t len,
				 struct kallsyms_tables *ret, bool *found_by_scan_ret);

/* Only the scan (no VMCOREINFO SYMBOLs used): image_start is where to begin
 * (_stext), scanning at most max_len bytes. */
struct ck_error *kallsyms_scan(const struct ck_memory *mem, uint64_t image_start, uint64_t max_len,
			       struct kallsyms_tables *ret);

/* Decode the tables at t.  Errors: CK_ERR_INPUT (the tables are inconsistent:
 * bad count, bad token, name too long), CK_ERR_FAULT (unreadable), CK_ERR_SYSTEM. */
struct ck_error *kallsyms_load_tables(const struct ck_memory *mem, const struct kallsyms_tables *t,
				      struct kallsyms **ret);

/* kallsyms_locate() + kallsyms_load_tables(). */
struct ck_error *kallsyms_load(const struct ck_memory *mem, const char *vmcoreinfo, size_t len,
			       struct kallsyms **ret);

void kallsyms_destroy(struct kallsyms *ks);	/* NULL is fine */

/* The symbol containing addr (first of aliases at the same start); false if none. */
bool kallsyms_lookup(const struct kallsyms *ks, uint64_t addr, struct ksym *out);

/* Name -> address, first match in table order (vmlinux before modules, then
 * module list order).  "MODULE:NAME" looks only in that module. */
bool kallsyms_address(const struct kallsyms *ks, const char *name, uint64_t *addr);
/* The same, the whole symbol (type, size, module). */
bool kallsyms_find(const struct kallsyms *ks, const char *name, struct ksym *out);

/* All symbols in address order (aliases in table order), for iteration. */
size_t kallsyms_count(const struct kallsyms *ks);
void kallsyms_symbol(const struct kallsyms *ks, size_t i, struct ksym *out);	/* i < count */

/*
 * Modules.  Offsets inside struct module and struct mod_kallsyms come from the
 * caller (type information: BTF or DWARF), never hard-coded here.  Linux 6.1:
 * text_base = core_layout.base, text_size = core_layout.text_size; 6.4+:
 * mem[MOD_TEXT].base / .size.  The size fields and num_symtab/num_orcs are
 * read as u32 (unsigned int in every kernel so far).  -1 = field absent.
 */
struct kallsyms_module_layout {
	uint64_t list;			/* struct list_head list */
	uint64_t name;			/* char name[name_len] */
	int name_len;			/* MODULE_NAME_LEN: 56 on x86-64 */
	uint64_t kallsyms;		/* struct mod_kallsyms *kallsyms */
	uint64_t text_base, text_size;	/* void *, unsigned int */
	int64_t orc_unwind_ip, orc_unwind, num_orcs;	/* arch.*, -1 if no ORC */
	/* struct mod_kallsyms */
	uint64_t ks_symtab, ks_num_symtab, ks_strtab;
	int64_t ks_typetab;		/* -1: before 5.2, types derived from st_info */
};

struct kmodule_info {
	uint64_t addr;			/* struct module */
	char name[KALLSYMS_MODULE_NAME_MAX + 1];
	uint64_t text_base, text_size;
	uint64_t orc_unwind_ip, orc_unwind;	/* 0 if absent */
	uint32_t num_orcs;
	size_t nsyms;			/* symbols taken from this module */
};

/* Soft failures of a module walk: one message per fault; owned by the caller. */
struct kallsyms_warnings {
	char **msgs;
	size_t n;
};
void kallsyms_warnings_free(struct kallsyms_warnings *w);

/*
 * Walk the module list at modules_head (the address of the kernel's `modules`
 * list_head) and add every module's symbols.  Bounded (KALLSYMS_MAX_MODULES)
 * and loop-safe.  A module that cannot be read becomes a warning (appended to
 * *w) and is left out or kept without symbols; only CK_ERR_SYSTEM /
 * CK_ERR_INPUT of the memory and CK_ERR_USAGE (called twice, bad layout) fail.
 */
struct ck_error *kallsyms_add_modules(struct kallsyms *ks, const struct ck_memory *mem, uint64_t modules_head,
				      const struct kallsyms_module_layout *layout, struct kallsyms_warnings *w);

size_t kallsyms_nmodules(const struct kallsyms *ks);
const struct kmodule_info *kallsyms_module(const struct kallsyms *ks, size_t i);	/* NULL if i too big */

#endif
