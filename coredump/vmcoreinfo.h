/*
 * vmcoreinfo.h - the Linux VMCOREINFO text: "KEY=VALUE\n" lines such as
 * OSRELEASE=6.1.0-56-amd64, PAGESIZE=4096, SYMBOL(swapper_pg_dir)=ffffffff...,
 * NUMBER(phys_base)=-127926272, KERNELOFFSET=2d200000.
 *
 * Pure text functions, no I/O: the text is passed as (pointer, length) and
 * need not be NUL-terminated.  Value formats follow the kernel's printers:
 * SYMBOL() and KERNELOFFSET are hex without "0x", NUMBER() / OFFSET() / SIZE()
 * / LENGTH() and PAGESIZE are signed decimal.
 */
#ifndef COREKIT_VMCOREINFO_H
#define COREKIT_VMCOREINFO_H

#include <stddef.h>
#include <stdint.h>

/* The value of KEY (borrowed pointer into text) or NULL; *vlen_ret gets its length. */
const char *vmcoreinfo_get(const char *text, size_t len, const char *key, size_t *vlen_ret);
/* KEY's value parsed as hex (base 16) or signed decimal (base 10); 0 if absent or malformed. */
int vmcoreinfo_get_hex(const char *text, size_t len, const char *key, uint64_t *ret);
int vmcoreinfo_get_dec(const char *text, size_t len, const char *key, int64_t *ret);

/*
 * NULL if text is a usable x86-64 VMCOREINFO: only "KEY=VALUE" lines of
 * printable ASCII, a non-empty OSRELEASE of at most 64 bytes, PAGESIZE a power
 * of two, SYMBOL(swapper_pg_dir), KERNELOFFSET and NUMBER(phys_base).
 * Otherwise a static string saying what is wrong.
 */
const char *vmcoreinfo_check(const char *text, size_t len);

/* Remove every CRASHTIME= line in place; returns the new length. */
size_t vmcoreinfo_strip_crashtime(char *text, size_t len);

#endif
