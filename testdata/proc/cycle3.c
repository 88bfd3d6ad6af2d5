/* cycle3.c - three threads, each holds lock i and wants lock i+1 mod 3. */
#include "common.h"

static pthread_mutex_t m[3] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
				PTHREAD_MUTEX_INITIALIZER };
static pthread_barrier_t bar;

static __attribute__((noinline)) void take(int i)
{
	pthread_mutex_lock(&m[i]);
	SAY("T%d tid=%ld holds=%p wants=%p\n", i, gettid_(), (void *)&m[i], (void *)&m[(i + 1) % 3]);
	pthread_barrier_wait(&bar);
	pthread_mutex_lock(&m[(i + 1) % 3]);
	pthread_mutex_unlock(&m[(i + 1) % 3]);
	pthread_mutex_unlock(&m[i]);
}

static void *worker(void *arg)
{
	take((int)(long)arg);
	return NULL;
}

int main(void)
{
	pthread_t t[3];
	pthread_barrier_init(&bar, NULL, 3);
	for (long i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	usleep(200000);
	SAY("READY\n");
	sleep_forever();
}
