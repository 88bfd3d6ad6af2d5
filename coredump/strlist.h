/*
 * strlist.h - a growable list of malloc'd strings: the warnings every reader,
 * target and analyzer collects ("module X: no ORC unwinding: ...").
 *
 *   struct strlist w = { 0 };
 *   err = strlist_addf(&w, "module %s: %s", name, why);   // fails only when out of memory
 *   ... w.s[i], w.n ...
 *   strlist_free(&w);
 */
#ifndef COREKIT_STRLIST_H
#define COREKIT_STRLIST_H

#include <stddef.h>

#include "error.h"

struct strlist {
	char **s;
	size_t n;
};

struct ck_error *strlist_addf(struct strlist *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strlist_free(struct strlist *l);

#endif
