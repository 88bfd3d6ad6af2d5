/*
 * kpanic_reason.h - why a kernel oopsed or panicked, in one line and one
 * kind, from what the kernel printed (the Oops/BUG header klog_events.h
 * found) and, when the log says nothing, from the exception entry the
 * unwinder crossed (asm_exc_page_fault, ...).  Pure string work, no I/O.
 */
#ifndef COREKIT_KPANIC_REASON_H
#define COREKIT_KPANIC_REASON_H

#include <stdbool.h>
#include <stdint.h>

enum { KPANIC_REASON_MAX = 200 };

struct kpanic_reason {
	/* rpt_crash kinds: "null-deref", "invalid-access", "stack-overflow", "bug",
	 * "general-protection", "illegal-instruction", "arithmetic", "breakpoint",
	 * "double-fault", "nmi", "exception", "oops", "panic" (static) */
	const char *kind;
	char text[KPANIC_REASON_MAX];	/* "kernel NULL pointer dereference, address 0x0" */
	bool has_addr;
	uint64_t addr;			/* the faulting address the kernel printed (CR2) */
};

/*
 * oops:  the event's summary ("BUG: kernel NULL pointer dereference, address:
 *        0000000000000000; Oops: 0002 [#1] ..."), NULL if the log has none;
 * entry: the exception entry function below the faulting frame
 *        ("asm_exc_page_fault"), NULL if none was crossed;
 * panic: the panic message ("Fatal exception"), NULL if none.
 * The log wins over the entry, the entry over the panic message.
 */
void kpanic_classify(const char *oops, const char *entry, const char *panic, struct kpanic_reason *out);

/* True if an event of this kind and summary is a fatal kernel error by itself
 * (an Oops, "kernel BUG at"), not one of the many non-fatal "BUG: ..." lines. */
bool kpanic_event_is_oops(const char *kind, const char *summary);

#endif
