/* dynlib.c - dlopen a library and fill a table of its functions (dynlib.h). */
#include "dynlib.h"

#include <dlfcn.h>
#include <string.h>

struct ck_error *dynlib_open(const char *soname, const char *purpose, const struct dynlib_fn *fns, size_t n,
			     void *table, void **handle)
{
	*handle = NULL;
	/* RTLD_LOCAL: its symbols stay out of the global namespace */
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		return ck_error_create(CK_ERR_SYSTEM, "%s (needed for %s) cannot be loaded: %s", soname, purpose,
				       why ? why : "unknown dlopen error");
	}
	for (size_t i = 0; i < n; i++) {
		void *p = dlsym(h, fns[i].name);
		if (!p) {
			dlclose(h);
			return ck_error_create(CK_ERR_SYSTEM, "%s (needed for %s) has no %s", soname, purpose,
					       fns[i].name);
		}
		/* POSIX: a function's address comes back as void *; copy its bytes */
		memcpy((char *)table + fns[i].offset, &p, sizeof(p));
	}
	*handle = h;
	return NULL;
}

void dynlib_close(void *handle)
{
	if (handle)
		dlclose(handle);
}
