/*
 * orc_priv.h - what orc.c (tables, lookup) and orc_step.c (the unwinder)
 * share.  Not for other users: see orc.h.
 */
#ifndef COREKIT_ORC_PRIV_H
#define COREKIT_ORC_PRIV_H

#include <stdint.h>

#include "orc.h"

/* One struct orc_entry as stored in guest memory (6 bytes, little-endian). */
struct orc_raw {
	int16_t sp_offset, bp_offset;
	uint16_t flags;
};

struct orc_table {
	uint64_t text_start, text_end;
	uint64_t *ip;		/* absolute start addresses, sorted */
	struct orc_raw *e;	/* in the same order */
	uint32_t count;
};

struct orc_unwinder {
	const struct ck_memory *mem;
	enum orc_format fmt;
	struct orc_table *tables;
	size_t ntables, total;
};

#endif
