/*
 * threads.c - four threads asleep a few calls deep, then main dereferences
 * NULL: a multi-threaded core written by the kernel (notes first, memory after),
 * for the truncated and damaged copies the tests make of it.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_barrier_t ready;
static int *volatile nowhere;

static __attribute__((noinline)) void nap(void)
{
	for (;;)
		pause();
}

static __attribute__((noinline)) void level2(int k)
{
	if (k >= 0)
		nap();
}

static __attribute__((noinline)) void *worker(void *arg)
{
	pthread_barrier_wait(&ready);
	level2((int)(long)arg);
	return NULL;
}

static __attribute__((noinline)) int crash_now(int k)
{
	return *nowhere + k;
}

int main(void)
{
	pthread_t t[4];
	printf("pid=%d\n", (int)getpid());
	fflush(stdout);
	pthread_barrier_init(&ready, NULL, 5);
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	pthread_barrier_wait(&ready);
	usleep(200000);		/* every worker in pause() */
	return crash_now(1);
}
