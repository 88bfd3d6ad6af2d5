/* joincycle.c - main holds a mutex and joins a thread that needs it: a
 * cycle closed by a join edge. */
#include "common.h"

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg)
{
	(void)arg;
	SAY("W tid=%ld wants=%p\n", gettid_(), (void *)&m);
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_mutex_lock(&m);
	SAY("main tid=%ld holds=%p\n", gettid_(), (void *)&m);
	pthread_create(&t, NULL, worker, NULL);
	usleep(200000);
	SAY("READY\n");
	pthread_join(t, NULL);
	return 0;
}
