/*
 * klog.h - the kernel log (dmesg) from guest memory: the lockless printk
 * ring buffer of Linux 5.10+ (`prb`), read with only the symbol, offsets
 * and sizes the kernel exports in VMCOREINFO (no vmlinux, no DWARF).
 *
 *   struct klog *log;
 *   err = klog_read(&mem, m.meta.vmcoreinfo, m.meta.vmcoreinfo_len, &log);
 *   for (size_t i = 0; i < log->n; i++) ... log->recs[i] ...
 *   klog_format_dmesg(stdout, log);
 *   klog_destroy(log);
 *
 * Guest memory is untrusted: every id and lpos is masked into its ring, the
 * walk visits at most one ring's worth of descriptors, and a record whose
 * descriptor, info or text cannot be read or makes no sense is skipped or
 * cut and counted in `warnings` (the first reason in `first_warning`).  A
 * ring whose geometry is absurd gives zero records and a warning, not an
 * error: guest memory corruption is a finding, not a broken file.
 */
#ifndef COREKIT_KLOG_H
#define COREKIT_KLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "memory.h"

/* caller_id: bit 31 set = the CPU number in the low bits, else a task pid. */
#define KLOG_CALLER_CPU 0x80000000u

struct klog_record {
	uint64_t seq;		/* printk sequence number */
	uint64_t ts_nsec;	/* local_clock() at printk time */
	int level;		/* 0 (emerg) .. 7 (debug); -1 when not derivable */
	int facility;		/* 0 = kernel; -1 when not derivable */
	int64_t caller_id;	/* raw u32 (see KLOG_CALLER_CPU); -1 when not exported */
	char *text;		/* text_len bytes + NUL; may hold '\n' (one record, several lines) */
	size_t text_len;
};

struct klog {
	struct klog_record *recs;	/* oldest first (ring order) */
	size_t n;
	uint64_t warnings;		/* records skipped or cut because of unreadable/corrupt data */
	const char *first_warning;	/* static string, NULL if warnings == 0 */
	uint64_t skipped;		/* descriptors legitimately not readable (reserved, reusable) */
};

/*
 * Read the whole ring.  mem: the kernel's virtual address space.  vmcoreinfo:
 * the guest's VMCOREINFO text (need not be NUL-terminated).
 * Errors: CK_ERR_INPUT when VMCOREINFO lacks SYMBOL(prb) or a required
 * OFFSET/SIZE (kernel older than 5.10: no lockless ring); CK_ERR_FAULT when
 * `prb` or the ring header cannot be read at all; CK_ERR_SYSTEM.
 */
struct ck_error *klog_read(const struct ck_memory *mem, const char *vmcoreinfo, size_t vmcoreinfo_len,
			   struct klog **ret);
void klog_destroy(struct klog *log);	/* NULL is fine */

/*
 * Print like dmesg / crash's `log`: "[%5lu.%06lu] text" per record; the
 * further lines of a multi-line record are indented by the prefix width.
 * with_level prefixes the text with "<level>" (as crash's `log -m`).
 */
void klog_format_dmesg(FILE *f, const struct klog *log, int with_level);

#endif
