/* piabba.c - ABBA deadlock on priority-inheritance mutexes: the waiters sleep
 * in FUTEX_LOCK_PI and the owner TID lives in the lock word itself. */
#include "common.h"

static pthread_mutex_t m1, m2;
static pthread_barrier_t bar;

static __attribute__((noinline)) void lock_pair(const char *who, pthread_mutex_t *first,
						  pthread_mutex_t *second)
{
	pthread_mutex_lock(first);
	SAY("%s tid=%ld holds=%p wants=%p\n", who, gettid_(), (void *)first, (void *)second);
	pthread_barrier_wait(&bar);
	pthread_mutex_lock(second);
	pthread_mutex_unlock(second);
	pthread_mutex_unlock(first);
}

static void *thread_a(void *arg)
{
	(void)arg;
	lock_pair("A", &m1, &m2);
	return NULL;
}

static void *thread_b(void *arg)
{
	(void)arg;
	lock_pair("B", &m2, &m1);
	return NULL;
}

int main(void)
{
	pthread_mutexattr_t at;
	pthread_mutexattr_init(&at);
	pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_INHERIT);
	pthread_mutex_init(&m1, &at);
	pthread_mutex_init(&m2, &at);
	pthread_barrier_init(&bar, NULL, 2);
	pthread_t a, b;
	pthread_create(&a, NULL, thread_a, NULL);
	pthread_create(&b, NULL, thread_b, NULL);
	usleep(200000);
	SAY("READY\n");
	sleep_forever();
}
