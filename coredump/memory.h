/*
 * memory.h - the one memory-read interface every decoder above the readers
 * uses: kernel symbol tables, BTF, ORC, the printk ring, task walks, the
 * analyzers.  Whoever owns an address space (a kernel image through the
 * kernel's page tables, a process core through its segments) hands out a
 * struct ck_memory; decoders never see files, formats or page tables.
 *
 * read() fills buf with len bytes at addr, or returns:
 *   CK_ERR_FAULT   the address is not mapped, or its page is not in the dump
 *                  (a partial answer: report it as a warning and go on)
 *   CK_ERR_INPUT   the file itself is broken
 *   CK_ERR_SYSTEM  I/O error or out of memory (always passed up)
 */
#ifndef COREKIT_MEMORY_H
#define COREKIT_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct ck_memory {
	struct ck_error *(*read)(void *arg, uint64_t addr, void *buf, size_t len);
	void *arg;
};

static inline struct ck_error *ck_mem_read(const struct ck_memory *m, uint64_t addr, void *buf, size_t len)
{
	return m->read(m->arg, addr, buf, len);
}

/* Little-endian 8-byte and 4-byte reads (x86-64 guests). */
static inline struct ck_error *ck_mem_read_u64(const struct ck_memory *m, uint64_t addr, uint64_t *v)
{
	uint8_t b[8];
	struct ck_error *err = m->read(m->arg, addr, b, 8);
	if (err)
		return err;
	uint64_t x = 0;
	for (int i = 7; i >= 0; i--)
		x = x << 8 | b[i];
	*v = x;
	return NULL;
}

static inline struct ck_error *ck_mem_read_u32(const struct ck_memory *m, uint64_t addr, uint32_t *v)
{
	uint8_t b[4];
	struct ck_error *err = m->read(m->arg, addr, b, 4);
	if (err)
		return err;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return NULL;
}

/* Is err a fault (a missing address) rather than a broken file or system error? */
static inline int ck_error_is_fault(const struct ck_error *err)
{
	return err && err->kind == CK_ERR_FAULT;
}

#endif
