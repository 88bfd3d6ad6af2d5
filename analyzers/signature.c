/* signature.c - the hash and the set signature every signature is built with (signature.h). */
#include "signature.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t sig_fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

struct ck_error *sig_set_hash(struct rpt_signature *s, uint64_t h)
{
	if (asprintf(&s->hash, "%016llx", (unsigned long long)h) < 0) {
		s->hash = NULL;
		return &ck_enomem;
	}
	return NULL;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct ck_error *sig_from_set(struct rpt_signature *s, const char *kind, char **items, size_t n)
{
	if (!n) {
		free(items);
		return NULL;
	}
	qsort(items, n, sizeof(*items), str_cmp);
	/* identical items count once: the same bug seen more often is the same bug */
	size_t u = 0;
	for (size_t i = 0; i < n; i++) {
		if (u && strcmp(items[u - 1], items[i]) == 0) {
			free(items[i]);
			continue;
		}
		items[u++] = items[i];
	}
	uint64_t h = sig_fnv1a(SIG_FNV_BASIS, kind);
	for (size_t i = 0; i < u; i++) {
		h = sig_fnv1a(h, "\n");
		h = sig_fnv1a(h, items[i]);
	}
	s->present = true;
	s->kind = kind;
	s->frames = items;
	s->nframes = u;
	return sig_set_hash(s, h);
}
