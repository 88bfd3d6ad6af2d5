/*
 * inline5c.c - the C twin of inline5.cc: five nested always_inline functions
 * (no linkage names: DW_AT_name only), the fault in the innermost.
 */
#include <stdio.h>
#include <unistd.h>

static int *volatile nowhere;

#define INL static inline __attribute__((always_inline))

INL int fubar(int x) { return *nowhere + x; }		/* faults: nowhere == NULL */
INL int foobar(int x) { return fubar(x * 3) + 1; }
INL int bar(int x) { return foobar(x + 2) * 5; }
INL int foo(int x) { return bar(x - 1) ^ 7; }

__attribute__((noinline)) int fu(int x)
{
	return foo(x) + 11;
}

int main(int argc, char **argv)
{
	(void)argv;
	printf("pid=%d\n", (int)getpid());
	fflush(stdout);
	return fu(argc);
}
