/* crash_assert.c - abort() from a failed assert(). */
#include <assert.h>
#include "common.h"

static __attribute__((noinline)) void check_config(int answer)
{
	assert(answer == 42 && "config answer must be 42");
}

int main(int argc, char **argv)
{
	(void)argv;
	SAY("main tid=%ld\n", gettid_());
	check_config(argc);
	return 0;
}
