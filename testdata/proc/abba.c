/* abba.c - two threads take two mutexes in opposite order: an ABBA deadlock.
 * main joins the first thread (a join edge into the cycle). */
#include "common.h"

static pthread_mutex_t m1 = PTHREAD_MUTEX_INITIALIZER, m2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t bar;

static __attribute__((noinline)) void lock_pair(const char *who, pthread_mutex_t *first,
						  pthread_mutex_t *second)
{
	pthread_mutex_lock(first);
	SAY("%s tid=%ld holds=%p wants=%p\n", who, gettid_(), (void *)first, (void *)second);
	pthread_barrier_wait(&bar);
	pthread_mutex_lock(second);	/* never returns */
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
	pthread_t a, b;
	pthread_barrier_init(&bar, NULL, 2);
	pthread_create(&a, NULL, thread_a, NULL);
	pthread_create(&b, NULL, thread_b, NULL);
	SAY("main tid=%ld\n", gettid_());
	usleep(200000);
	SAY("READY\n");
	pthread_join(a, NULL);
	return 0;
}
