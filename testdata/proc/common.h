/* common.h - helpers shared by the coresummary test programs. */
#ifndef PROC_COMMON_H
#define PROC_COMMON_H
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline long gettid_(void)
{
	return syscall(SYS_gettid);
}

/* Lines the tests parse; flushed at once so a killed process keeps them. */
#define SAY(...) do { printf(__VA_ARGS__); fflush(stdout); } while (0)

static inline void sleep_forever(void)
{
	for (;;)
		pause();
}
#endif
