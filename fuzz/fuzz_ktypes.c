/*
 * fuzz_ktypes.c - libFuzzer harness for ktypes' BTF backend: the input is a
 * BTF blob served through a struct ck_memory (as the kernel's __start_BTF..
 * __stop_BTF would be), opened with ktypes_open_btf_memory() and, when it
 * parses, asked the lookups an analyzer makes plus ones that reach nested,
 * anonymous, array, bitfield and enum paths.  Errors are expected and must be
 * CK_ERR_INPUT naming the blob; any sanitizer report or leak is a bug.
 * Seed: fuzz/corpus/ktypes (the hand-built blob of tests/unit/test_ktypes_btf.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ktypes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { BASE = 0x10000 };

struct buf {
	const uint8_t *data;
	size_t size;
};

static struct ck_error *buf_read(void *arg, uint64_t addr, void *out, size_t len)
{
	const struct buf *b = arg;
	if (addr < BASE || addr - BASE > b->size || len > b->size - (addr - BASE))
		return ck_error_create(CK_ERR_FAULT, "0x%llx: not mapped", (unsigned long long)addr);
	memcpy(out, b->data + (addr - BASE), len);
	return NULL;
}

static void query(struct ktypes *t)
{
	static const char *const structs[] = { "outer", "inner", "outer_t", "self", "loop", "badref", "task_struct" };
	static const char *const paths[] = { "a", "u", "in.y", "arr", "arr[2].y", "arr[1]", "bits", "deep",
					     "m", "m.x", "tasks", "thread.sp" };
	for (size_t s = 0; s < sizeof(structs) / sizeof(structs[0]); s++) {
		uint64_t v;
		int has;
		ck_error_destroy(ktypes_sizeof(t, structs[s], &v));
		for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
			ck_error_destroy(ktypes_offsetof(t, structs[s], paths[p], &v));
			ck_error_destroy(ktypes_member_size(t, structs[s], paths[p], &v));
			ck_error_destroy(ktypes_has_member(t, structs[s], paths[p], &has));
		}
	}
	int64_t e;
	ck_error_destroy(ktypes_enum_value(t, "pid_type", "PIDTYPE_TGID", &e));
	ck_error_destroy(ktypes_enum_value(t, NULL, "ANON_X", &e));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b = { data, size };
	struct ck_memory mem = { buf_read, &b };
	struct ktypes *t = NULL;
	struct ck_error *err = ktypes_open_btf_memory(&mem, BASE, BASE + size, &t);
	if (err) {
		if (t || (err->kind != CK_ERR_INPUT && err->kind != CK_ERR_SYSTEM))
			abort();
		ck_error_destroy(err);
		return 0;
	}
	query(t);
	ktypes_destroy(t);
	return 0;
}
