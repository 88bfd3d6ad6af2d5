/*
 * debug_inflate.h - the zlib-compressed .debug_* sections of one ELF file
 * (SHF_COMPRESSED, as Debian's -dbg packages ship them) inflated before
 * libdw opens its DWARF, faster than libdw would.
 *
 * libdw's dwarf_begin_elf inflates every compressed .debug_* section with
 * zlib into its own malloc'd buffer: for libc6-dbg's 10 MB of DWARF that was
 * more than half of a 1000-thread core's report, a third of it page faults
 * (a fault per 4 KiB the inflater writes).  Here libdeflate (about 2.5 times
 * faster than zlib) inflates them into one mapping advised for transparent
 * huge pages (a fault per 2 MiB where the kernel allows it), and the
 * sections' data and headers are then what libelf's own decompression would
 * have left: the same bytes, no SHF_COMPRESSED, the uncompressed size and
 * alignment.  libdw finds nothing left to inflate.
 *
 * Exactly libelf's rules decide what is inflated: one or more zlib streams
 * that use all the input and give exactly ch_size bytes, ch_size at most
 * 1032 times the input.  A section that breaks them, or any other
 * compression, is left as it was for libelf to accept or reject; the
 * result never differs from libdw doing all of it.
 *
 *   debug_inflate()       inflate elf's compressed .debug_* sections (a
 *                         section already inflated is skipped); false when
 *                         there was nothing to do or no memory for it
 *   debug_inflated_free() unmap the memory; the Elf must no longer be used
 */
#ifndef COREKIT_DEBUG_INFLATE_H
#define COREKIT_DEBUG_INFLATE_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>

struct debug_inflated {
	void *base;		/* one mapping holding every inflated section, or NULL */
	size_t len;
};

bool debug_inflate(Elf *elf, struct debug_inflated *out);
void debug_inflated_free(struct debug_inflated *d);

#endif
