/* many.c - N threads (argv[1], default 1000): a third wait on a mutex held by
 * a sleeping holder, a third on a condition variable, a third in nanosleep.
 * Small stacks keep the core small. */
#include "common.h"

static pthread_mutex_t big = PTHREAD_MUTEX_INITIALIZER, cmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t bar;

static __attribute__((noinline)) void holder_work(void)
{
	pthread_mutex_lock(&big);
	SAY("H tid=%ld holds=%p\n", gettid_(), (void *)&big);
	pthread_barrier_wait(&bar);
	sleep_forever();
}

static __attribute__((noinline)) void mutex_work(void)
{
	pthread_mutex_lock(&big);
	pthread_mutex_unlock(&big);
}

static __attribute__((noinline)) void cond_work(void)
{
	pthread_mutex_lock(&cmu);
	for (;;)
		pthread_cond_wait(&cv, &cmu);
}

static __attribute__((noinline)) void sleep_work(void)
{
	for (;;)
		sleep(1000);
}

static void *holder(void *arg)
{
	(void)arg;
	holder_work();
	return NULL;
}

static void *worker(void *arg)
{
	long i = (long)arg;
	pthread_barrier_wait(&bar);
	if (i % 3 == 0)
		mutex_work();
	else if (i % 3 == 1)
		cond_work();
	else
		sleep_work();
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 64 * 1024);
	pthread_barrier_init(&bar, NULL, (unsigned)n + 2);
	pthread_t t;
	pthread_create(&t, &at, holder, NULL);
	for (long i = 0; i < n; i++)
		if (pthread_create(&t, &at, worker, (void *)i)) {
			SAY("pthread_create failed at %ld\n", i);
			return 1;
		}
	pthread_barrier_wait(&bar);
	usleep(500000);
	SAY("READY threads=%ld\n", n + 2);
	sleep_forever();
}
