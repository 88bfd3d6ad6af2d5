/*
 * ktypes.h - Linux kernel type layouts (struct sizes, member offsets, enum
 * values) for whatever kernel the guest ran, so analyzers never hard-code an
 * offset.  One interface, three sources behind it:
 *
 *   ktypes_open_btf_memory()  the kernel's own .BTF blob in guest memory
 *                             (__start_BTF..__stop_BTF), parsed with libbpf
 *   ktypes_open_vmlinux()     a vmlinux file: its .BTF section if it has one,
 *                             else its DWARF (libdw)
 *   ktypes_open_dwarf()       a vmlinux's DWARF, even when it also has BTF
 *
 * Lookups take a struct (or union) name, with or without a "struct "/"union "
 * prefix, and a member path: "tasks", "thread.sp", "mem[1].base", or with an
 * enumerator as subscript "mem[MOD_TEXT].base" (any enum).  Members of
 * anonymous structs and unions are found transparently ("__state" even when
 * it sits in an unnamed union).  Typedef names work where a struct name is
 * expected ("atomic_t").
 *
 * Errors: CK_ERR_INPUT when a struct, member or enumerator is missing
 * ("struct task_struct has no member 'state'"; use ktypes_has_member() to
 * probe without an error) or when the BTF/DWARF is broken (naming where);
 * CK_ERR_FAULT when guest memory could not be read; CK_ERR_SYSTEM for I/O and
 * out of memory.  Every id, offset and count in the type data is treated as
 * untrusted: recursion is bounded and sizes are overflow-checked.
 *
 * A struct ktypes caches lookups (DWARF is indexed lazily), so the query
 * functions take a non-const pointer: use one per thread.
 */
#ifndef COREKIT_KTYPES_H
#define COREKIT_KTYPES_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "memory.h"

struct ktypes;

/* Largest BTF blob accepted from memory or a file (vmlinux BTF is ~5 MiB). */
#define KTYPES_BTF_MAX (64u << 20)

/*
 * Read the kernel's BTF blob at guest virtual [start, stop) (the addresses of
 * the symbols __start_BTF and __stop_BTF) through mem and index it.  mem is
 * only used during the call.
 */
struct ck_error *ktypes_open_btf_memory(const struct ck_memory *mem, uint64_t start, uint64_t stop,
					struct ktypes **ret);

/*
 * Parse a BTF blob already in memory (copied; buf may be freed afterwards).
 * what names the blob in errors and is what ktypes_source() reports.
 */
struct ck_error *ktypes_open_btf_blob(const void *buf, size_t len, const char *what, struct ktypes **ret);

/* A vmlinux: its .BTF section when present ("btf (vmlinux)"), else its DWARF ("dwarf (vmlinux)"). */
struct ck_error *ktypes_open_vmlinux(const char *path, struct ktypes **ret);

/* A vmlinux's .BTF section only; CK_ERR_INPUT if it has none. */
struct ck_error *ktypes_open_vmlinux_btf(const char *path, struct ktypes **ret);

/*
 * A vmlinux's DWARF only.  Structs are found by scanning compilation units'
 * top-level types on demand; every named type seen on the way is remembered,
 * so later lookups rarely scan again.
 */
struct ck_error *ktypes_open_dwarf(const char *path, struct ktypes **ret);

void ktypes_destroy(struct ktypes *t);	/* NULL is fine */

/* "btf (guest memory)", "btf (vmlinux)" or "dwarf (vmlinux)" (or the blob's what). */
const char *ktypes_source(const struct ktypes *t);

/* Byte offset of member path in struct sname; a bitfield member is an error. */
struct ck_error *ktypes_offsetof(struct ktypes *t, const char *sname, const char *member, uint64_t *off);

/* sizeof(struct sname) (also a union or typedef name). */
struct ck_error *ktypes_sizeof(struct ktypes *t, const char *sname, uint64_t *size);

/* sizeof the member's type (an array member: the whole array; flexible arrays are 0). */
struct ck_error *ktypes_member_size(struct ktypes *t, const char *sname, const char *member, uint64_t *size);

/*
 * *has = 1 if struct sname has the member path, 0 if the struct or the member
 * is missing.  Errors only for broken type data or bad arguments.
 */
struct ck_error *ktypes_has_member(struct ktypes *t, const char *sname, const char *member, int *has);

/*
 * The member path of struct sname that holds byte offset off: the outermost
 * named member starting exactly there ("perf_event_mutex", "signal_struct"
 * style nesting as "a.b"), with "+N" when off falls inside a scalar or array
 * ("comm+3").  Anonymous structs and unions are looked through.  buf gets at
 * most cap bytes; CK_ERR_INPUT if no member holds off.
 */
struct ck_error *ktypes_member_at(struct ktypes *t, const char *sname, uint64_t off, char *buf, size_t cap);

/*
 * The value of enumerator name in enum ename ("pid_type", "PIDTYPE_PID"); with
 * ename NULL or "" every enum is searched, for anonymous enums.  Values of
 * unsigned 64-bit enumerators above INT64_MAX come back wrapped.
 */
struct ck_error *ktypes_enum_value(struct ktypes *t, const char *ename, const char *name, int64_t *val);

#endif
