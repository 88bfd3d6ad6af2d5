/* strlist.c - growable lists of formatted strings. */
#include "strlist.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct ck_error *strlist_addf(struct strlist *l, const char *fmt, ...)
{
	char **ns = realloc(l->s, (l->n + 1) * sizeof(*ns));
	if (!ns)
		return &ck_enomem;
	l->s = ns;
	va_list ap;
	va_start(ap, fmt);
	int k = vasprintf(&l->s[l->n], fmt, ap);
	va_end(ap);
	if (k < 0)
		return &ck_enomem;
	l->n++;
	return NULL;
}

void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->s[i]);
	free(l->s);
	l->s = NULL;
	l->n = 0;
}
