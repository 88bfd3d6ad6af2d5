/*
 * victim.c - processes for coresummary_honest.sh whose cores the kernel writes:
 *   victim hang     prints READY and waits in wait_for_work() until killed
 *   victim assert   fails an assert() in check_config()
 *   victim abort    calls abort() from give_up()
 * Every mode prints "pid=N" first so the test knows whose core it got.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static __attribute__((noinline)) void wait_for_work(void)
{
	for (;;)
		pause();
}

static __attribute__((noinline)) void check_config(int answer)
{
	assert(answer == 42 && "config answer must be 42");
}

static __attribute__((noinline)) void give_up(void)
{
	abort();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	printf("pid=%ld\n", (long)getpid());
	fflush(stdout);
	if (strcmp(mode, "hang") == 0) {
		printf("READY\n");
		fflush(stdout);
		wait_for_work();
	} else if (strcmp(mode, "assert") == 0) {
		check_config(argc);
	} else if (strcmp(mode, "abort") == 0) {
		give_up();
	}
	return 2;
}
