/*
 * heap_pages.h - the malloc heap in transparent huge pages, as glibc's own
 * glibc.malloc.hugetlb=1 tunable would put it, for a program that is about
 * to allocate tens of MiB (coresummary on a large core: libelf's copy of
 * the notes, libdw's caches, the report).
 *
 * Each first touch of a fresh 4 KiB page is a page fault; under shadow
 * paging (some cloud VMs) it costs ~20 us, and a 1000-thread report touched
 * ~3000 of them.  A huge page is one fault per 2 MiB.  The heap is grown
 * once by `reserve` bytes (kept: no trimming below it; untouched parts cost
 * nothing) and advised MADV_HUGEPAGE; allocations up to reserve / 2 come
 * from it instead of their own mappings.  Where THP is off, or malloc is
 * not glibc's (a sanitizer's), nothing changes but the thresholds.
 */
#ifndef COREKIT_HEAP_PAGES_H
#define COREKIT_HEAP_PAGES_H

#include <stddef.h>

void heap_prefer_huge_pages(size_t reserve);

#endif
