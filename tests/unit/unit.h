/*
 * unit.h - the tiny unit-test protocol of tests/run.sh: one line per case,
 * "ok NAME" or "FAIL NAME: why".  CHECK() records a failure and goes on.
 */
#ifndef COREKIT_UNIT_H
#define COREKIT_UNIT_H
#include <stdio.h>

struct unit { const char *name; int failed; int nfail_total; };

#define UNIT_BEGIN(u, n) do { (u)->name = (n); (u)->failed = 0; } while (0)
#define CHECK(u, cond) do { if (!(cond) && !(u)->failed) { \
	printf("FAIL %s: %s:%d: %s\n", (u)->name, __FILE__, __LINE__, #cond); \
	(u)->failed = 1; (u)->nfail_total++; } } while (0)
#define UNIT_END(u) do { if (!(u)->failed) printf("ok %s\n", (u)->name); } while (0)
#define UNIT_EXIT(u) ((u)->nfail_total ? 1 : 0)

#include <dirent.h>
#include <string.h>
/* Entries of dir other than . and .. (-1 if it cannot be read): "nothing left behind" checks. */
static inline int unit_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}
#endif
