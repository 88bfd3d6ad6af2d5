/* crash_null.c - SIGSEGV: NULL dereference inside an inlined function. */
#include "common.h"

struct node {
	int pad[4];
	int value;
};

static struct node *volatile head;	/* NULL: nobody filled the list */

static inline __attribute__((always_inline)) int node_value(const volatile struct node *n)
{
	int v = n->value;	/* faults: n == NULL */
	if (v < 0)
		v = -v;
	return v + n->pad[1];
}

static __attribute__((noinline)) int sum_list(int k)
{
	return node_value(head) * k;
}

int main(int argc, char **argv)
{
	(void)argv;
	SAY("main tid=%ld\n", gettid_());
	printf("%d\n", sum_list(argc));
	return 0;
}
