/*
 * le.h - little-endian integers from untrusted byte buffers.  Every on-disk
 * format corekit reads (VMware checkpoints, debug.guest, ELF notes) is
 * little-endian; these never assume alignment or host byte order.
 */
#ifndef COREKIT_LE_H
#define COREKIT_LE_H

#include <stddef.h>
#include <stdint.h>

/* The n (0..8) bytes at p as an unsigned little-endian integer, zero-extended. */
static inline uint64_t le_get(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = n; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

static inline uint64_t le64(const uint8_t *p)
{
	return le_get(p, 8);
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le_get(p, 4);
}

#endif
