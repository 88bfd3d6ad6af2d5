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
#endif
