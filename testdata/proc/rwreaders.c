/* rwreaders.c - two readers hold an rwlock and sleep; a writer blocks on it
 * (read owners are not recorded by glibc: "held by readers"). */
#include "common.h"

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t bar;

static __attribute__((noinline)) void read_and_sleep(void)
{
	pthread_rwlock_rdlock(&rw);
	SAY("R tid=%ld holds=%p\n", gettid_(), (void *)&rw);
	pthread_barrier_wait(&bar);
	sleep_forever();
}

static __attribute__((noinline)) void write_once(void)
{
	pthread_rwlock_wrlock(&rw);
	pthread_rwlock_unlock(&rw);
}

static void *reader(void *arg)
{
	(void)arg;
	read_and_sleep();
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&bar);
	SAY("W tid=%ld wants=%p\n", gettid_(), (void *)&rw);
	write_once();
	return NULL;
}

int main(void)
{
	pthread_t r[2], w;
	pthread_barrier_init(&bar, NULL, 3);
	for (int i = 0; i < 2; i++)
		pthread_create(&r[i], NULL, reader, NULL);
	pthread_create(&w, NULL, writer, NULL);
	usleep(300000);
	SAY("READY\n");
	sleep_forever();
}
