/* rwlock.c - a writer holds an rwlock and sleeps; readers block on it. */
#include "common.h"

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t bar;

static __attribute__((noinline)) void write_and_sleep(void)
{
	pthread_rwlock_wrlock(&rw);
	SAY("W tid=%ld holds=%p\n", gettid_(), (void *)&rw);
	pthread_barrier_wait(&bar);
	sleep_forever();
}

static __attribute__((noinline)) void read_once(void)
{
	pthread_rwlock_rdlock(&rw);
	pthread_rwlock_unlock(&rw);
}

static void *writer(void *arg)
{
	(void)arg;
	write_and_sleep();
	return NULL;
}

static void *reader(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&bar);
	SAY("R tid=%ld wants=%p\n", gettid_(), (void *)&rw);
	read_once();
	return NULL;
}

int main(void)
{
	pthread_t w, r[3];
	pthread_barrier_init(&bar, NULL, 4);
	pthread_create(&w, NULL, writer, NULL);
	for (int i = 0; i < 3; i++)
		pthread_create(&r[i], NULL, reader, NULL);
	usleep(300000);
	SAY("READY\n");
	sleep_forever();
}
