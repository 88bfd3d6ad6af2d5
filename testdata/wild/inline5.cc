/*
 * inline5.cc - a SIGSEGV at a PC inside five nested always_inline functions
 * (fubar in foobar in bar in foo in fu(int)), C++ so every frame also has a
 * mangled linkage name.  Built -O2 -g: eu-stack -i shows all of them + main.
 */
#include <cstdio>
#include <cstdlib>
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
	std::printf("pid=%d\n", (int)getpid());
	std::fflush(stdout);
	return fu(argc);
}
