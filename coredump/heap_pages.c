/* heap_pages.c - the malloc heap advised for transparent huge pages (heap_pages.h). */
#include "heap_pages.h"

#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

enum { HUGE_PAGE = 2 << 20 };

void heap_prefer_huge_pages(size_t reserve)
{
	if (reserve < 2 * HUGE_PAGE || reserve > (1u << 30))
		return;
	mallopt(M_MMAP_THRESHOLD, (int)(reserve / 2));
	mallopt(M_TRIM_THRESHOLD, (int)reserve);
	mallopt(M_TOP_PAD, (int)reserve);
	/* one allocation larger than the heap's free top grows it by reserve */
	uintptr_t before = (uintptr_t)sbrk(0);
	void *p = malloc(HUGE_PAGE);
	uintptr_t after = (uintptr_t)sbrk(0);
	uintptr_t lo = (before + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	uintptr_t hi = after & ~(uintptr_t)(HUGE_PAGE - 1);
	if (p && before != (uintptr_t)-1 && after > before && hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);	/* a hint: without THP, plain pages */
	free(p);
}
