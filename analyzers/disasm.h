/*
 * disasm.h - the disassembly window around a faulting instruction (capstone,
 * x86-64), shared by the process crash and the kernel panic analyzers.
 */
#ifndef COREKIT_DISASM_H
#define COREKIT_DISASM_H

#include <stdint.h>

#include "analyzer.h"

/*
 * Fill c->disasm, c->ndisasm and c->instruction with the instructions around
 * pc (opt->disasm_before before it, opt->disasm_after after it; 8 and 4 by
 * default), pc marked is_pc.  func_start is the first byte of pc's function
 * (0 if unknown): decoding from there lands on pc exactly; without it the
 * decoder resynchronises from a few bytes back.  Unreadable code or no
 * capstone leaves the window empty: only out of memory is an error.
 */
struct ck_error *disasm_window(struct target *t, uint64_t pc, uint64_t func_start,
			       const struct analyzer_options *opt, struct rpt_crash *c);

#endif
