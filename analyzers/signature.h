/*
 * signature.h - what every signature shares (an_signature.c for process and
 * kernel stacks, log_signature.c for log findings): the FNV-1a 64 hash, the
 * 16-hex-digit form, and the signature of a set of normalised lines (sorted,
 * duplicates once, so that order and repetition never change it).
 */
#ifndef COREKIT_SIGNATURE_H
#define COREKIT_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "report.h"

#define SIG_FNV_BASIS 1469598103934665603ULL

uint64_t sig_fnv1a(uint64_t h, const char *s);

/* s->hash = h as 16 hex digits. */
struct ck_error *sig_set_hash(struct rpt_signature *s, uint64_t h);

/*
 * s = the signature of kind over the set items[0..n): sorted, each distinct
 * item once, hashed as kind then "\n" + item for each.  Takes the items
 * (malloc'd strings; the array too) whatever it returns; n == 0 leaves s absent.
 */
struct ck_error *sig_from_set(struct rpt_signature *s, const char *kind, char **items, size_t n);

#endif
