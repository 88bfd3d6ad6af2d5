/* condvar.c - threads wait on a condition variable nobody signals: blocked,
 * but not a deadlock (a condvar has no owner). */
#include "common.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;

static __attribute__((noinline)) void wait_for_work(void)
{
	pthread_mutex_lock(&mu);
	SAY("C tid=%ld cond=%p\n", gettid_(), (void *)&cv);
	while (!ready)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

static void *waiter(void *arg)
{
	(void)arg;
	wait_for_work();
	return NULL;
}

int main(void)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, waiter, NULL);
	usleep(200000);
	SAY("READY\n");
	sleep_forever();
}
