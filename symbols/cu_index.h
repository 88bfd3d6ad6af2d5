/*
 * cu_index.h - address -> compilation unit of one large ELF file's DWARF,
 * each unit opened as a Dwarf of its own.
 *
 * Why: libdw 0.188 finds the unit of an address through dwarf_getaranges,
 * which looks up the unit of every .debug_aranges set, and dwarf_offdie; both
 * read every unit header from the start of .debug_info up to the one wanted.
 * On a kernel's vmlinux (170 MiB of .debug_info, ~2,900 units) the first
 * lookup maps ~110 MiB of the file, to print file:line for a few dozen
 * functions.  Here the unit comes from .debug_aranges, parsed here, and is
 * opened as a Dwarf whose .debug_info is that unit alone (the file mapped
 * once and shared; the other sections stay whole, since units address them
 * by offset), so libdw reads nothing of the other units.
 *
 * The answers are libdwfl's (dwfl_module_addrdie, dwfl_module_getsrc): the
 * aranges are sorted and merged into per-unit runs as libdwfl does it, and an
 * address between two runs belongs to the run below.  A set of .debug_aranges
 * that libdw might read differently (not version 2, segments, padding after
 * its terminator) makes the whole file an error: the caller keeps libdwfl's
 * way.  A unit that may point outside itself (DW_FORM_ref_addr, ref_sig8,
 * supplementary or alternate-file forms, DW_FORM_indirect), imports a unit
 * or is not a plain compile unit is CU_INDEX_OTHER: ask libdwfl for that
 * address.
 */
#ifndef COREKIT_CU_INDEX_H
#define COREKIT_CU_INDEX_H

#include <stdint.h>

#include <elfutils/libdw.h>

#include "error.h"

enum cu_index_answer {
	CU_INDEX_NONE,		/* no unit covers the address (libdwfl finds none either) */
	CU_INDEX_FOUND,		/* *cudie is its unit */
	CU_INDEX_OTHER,		/* the unit is not self-contained: use libdwfl's lookup */
};

struct cu_index;

/*
 * Index path's DWARF.  same_as: the Dwarf libdwfl opened for the file (its
 * .debug_info must be the one found here), or NULL.  Errors: CK_ERR_INPUT
 * (not an ELF with uncompressed .debug_info and .debug_aranges, or a
 * malformed .debug_aranges: "PATH: .debug_aranges+0xOFF: what"),
 * CK_ERR_SYSTEM (open, mmap, memory).
 */
struct ck_error *cu_index_create(const char *path, Dwarf *same_as, struct cu_index **ret);

/* The unit covering addr (a DWARF address: the module's bias taken off),
 * opened on first use; *cudie (set for CU_INDEX_FOUND) stays valid until
 * cu_index_destroy().  A unit libdw cannot open (out of memory included) is
 * CU_INDEX_OTHER. */
enum cu_index_answer cu_index_lookup(struct cu_index *x, uint64_t addr, Dwarf_Die *cudie);

/*
 * dwarf_getscopes_die() for a DIE of a unit cu_index_lookup() found: die and
 * its parents up to the unit DIE, innermost first, in a malloc'd array;
 * returns their number, 0 when libdw's walk would not reach die (a parent
 * that owns no scopes), -1 on error.  libdw finds the parents by visiting
 * every scope-owning DIE of the unit stored before die; DIEs are stored in
 * that order, so only the siblings on the way are read here (DW_AT_sibling
 * skips their subtrees).  The same answer for the units the index answers
 * for, which import nothing (DW_TAG_imported_unit is walked in place by
 * libdw); not for a unit whose earlier DIEs libdw cannot read.
 */
int cu_index_scopes_die(Dwarf_Die *die, Dwarf_Die **ret);

/*
 * dwarf_getscopes() for a unit cu_index_lookup() found: the same array.
 * libdw, once it has the innermost scope containing pc inside an inlined
 * instance, walks every scope of the unit until it meets the inline's
 * abstract definition; here the definition's parents are found along DIE
 * offsets (cu_index_scopes_die).  Where libdw would meet an error, or not
 * find the definition, libdw's own walk answers.
 */
int cu_index_getscopes(Dwarf_Die *cudie, Dwarf_Addr pc, Dwarf_Die **ret);

/* How many units have been opened so far (each a Dwarf of its own). */
size_t cu_index_units_open(const struct cu_index *x);

void cu_index_destroy(struct cu_index *x);	/* NULL is fine */

#endif
