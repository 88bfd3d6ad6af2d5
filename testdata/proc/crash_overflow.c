/* crash_overflow.c - unbounded recursion until the stack guard page: SIGSEGV. */
#include "common.h"

static __attribute__((noinline)) int descend(volatile int depth)
{
	volatile char pad[512];
	pad[0] = (char)depth;
	return descend(depth + 1) + pad[0];	/* not a tail call */
}

int main(void)
{
	SAY("main tid=%ld\n", gettid_());
	return descend(0);
}
