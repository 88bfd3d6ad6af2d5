/* nocfi.c - built without unwind tables (see mkcores.sh): the program's own
 * frames can only be unwound through the frame-pointer chain. */
#include "common.h"

static __attribute__((noinline)) void inner(void)
{
	SAY("main tid=%ld\n", gettid_());
	SAY("READY\n");
	sleep_forever();
}

static __attribute__((noinline)) void middle(void)
{
	inner();
	__asm__ volatile("" ::: "memory");	/* keep the call from becoming a jump */
}

static __attribute__((noinline)) void outer(void)
{
	middle();
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	outer();
	return 0;
}
