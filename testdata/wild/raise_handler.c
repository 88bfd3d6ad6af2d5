/*
 * raise_handler.c - a SIGUSR1 handler that calls raise(SIGABRT): abort() is
 * never called.  Built -static too, where libc's code is in the executable.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static __attribute__((noinline)) void on_usr1(int sig)
{
	(void)sig;
	raise(SIGABRT);
}

static __attribute__((noinline)) void work(void)
{
	kill(getpid(), SIGUSR1);
	for (;;)
		pause();
}

int main(void)
{
	printf("pid=%d\n", (int)getpid());
	fflush(stdout);
	signal(SIGUSR1, on_usr1);
	work();
	return 0;
}
