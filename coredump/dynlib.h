/*
 * dynlib.h - a shared library loaded when a run first needs it (dlopen), not
 * at start-up.  libarchive (compressed inputs) and capstone (the disassembly
 * window of a crash) bring libxml2, ICU and libstdc++ with them; relocating
 * those costs every run milliseconds and hundreds of page faults, though most
 * runs never call them.
 *
 * The caller keeps a table of function pointers (declared with __typeof__ of
 * the library's own prototypes, so the header still checks every call) and
 * names each entry with its symbol and offsetof in the table:
 *
 *   static const struct dynlib_fn fns[] = {
 *       { "cs_open", offsetof(struct cs_fns, open) }, ...
 *   };
 *   err = dynlib_open("libcapstone.so.4", "disassembly", fns, n, &table, &handle);
 *
 * No state is kept here: each user opens (dlopen counts references, a second
 * open is cheap) and closes its own handle.
 */
#ifndef COREKIT_DYNLIB_H
#define COREKIT_DYNLIB_H

#include <stddef.h>

#include "error.h"

struct dynlib_fn {
	const char *name;	/* the library's symbol */
	size_t offset;		/* where its pointer goes in the caller's table */
};

/*
 * dlopen soname and fill every entry of table.  Fails with CK_ERR_SYSTEM:
 * "SONAME (needed for PURPOSE) cannot be loaded: <dlerror>", or "... has no
 * SYMBOL"; *handle is then NULL.
 */
struct ck_error *dynlib_open(const char *soname, const char *purpose, const struct dynlib_fn *fns, size_t n,
			     void *table, void **handle);

/* dlclose; NULL is ignored. */
void dynlib_close(void *handle);

#endif
