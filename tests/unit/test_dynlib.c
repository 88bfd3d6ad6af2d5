/*
 * test_dynlib.c - libraries loaded when first needed (dynlib.h): a table
 * filled from the real library (zlib's zlibVersion and crc32, compared with
 * the linked zlib's own answers), and the one-line errors for a library
 * that is missing and for a symbol it does not have.
 */
#include <stddef.h>
#include <string.h>
#include <zlib.h>

#include "dynlib.h"
#include "unit.h"

static struct unit u;

struct z_fns {
	__typeof__(zlibVersion) *version;
	__typeof__(crc32) *crc;
};

static void test_table(void)
{
	UNIT_BEGIN(&u, "dynlib-fills-the-table");
	static const struct dynlib_fn fns[] = {
		{ "zlibVersion", offsetof(struct z_fns, version) },
		{ "crc32", offsetof(struct z_fns, crc) },
	};
	struct z_fns z = { NULL, NULL };
	void *h = NULL;
	struct ck_error *err = dynlib_open("libz.so.1", "a test", fns, 2, &z, &h);
	CHECK(&u, !err && h && z.version && z.crc);
	if (!err) {
		CHECK(&u, strcmp(z.version(), zlibVersion()) == 0);
		CHECK(&u, z.crc(0, (const Bytef *)"123456789", 9) == crc32(0, (const Bytef *)"123456789", 9));
		CHECK(&u, crc32(0, (const Bytef *)"123456789", 9) == 0xcbf43926);	/* the CRC-32 check value */
	}
	ck_error_destroy(err);
	dynlib_close(h);
	UNIT_END(&u);
}

static void test_errors(void)
{
	UNIT_BEGIN(&u, "dynlib-errors-name-library-and-purpose");
	static const struct dynlib_fn fns[] = { { "zlibVersion", 0 }, { "no_such_function_here", 0 } };
	void *table[1], *h = (void *)1;
	struct ck_error *err = dynlib_open("libcorekit-absent.so.7", "reading tests", fns, 1, table, &h);
	CHECK(&u, err && err->kind == CK_ERR_SYSTEM && !h);
	CHECK(&u, err && strstr(err->msg, "libcorekit-absent.so.7 (needed for reading tests) cannot be loaded: "));
	ck_error_destroy(err);
	h = (void *)1;
	err = dynlib_open("libz.so.1", "reading tests", fns, 2, table, &h);
	CHECK(&u, err && err->kind == CK_ERR_SYSTEM && !h);
	CHECK(&u, err && strcmp(err->msg, "libz.so.1 (needed for reading tests) has no no_such_function_here") == 0);
	ck_error_destroy(err);
	dynlib_close(NULL);
	UNIT_END(&u);
}

int main(void)
{
	test_table();
	test_errors();
	return UNIT_EXIT(&u);
}
