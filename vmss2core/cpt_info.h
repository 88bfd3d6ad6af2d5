/*
 * cpt_info.h - the checkpoint-specific part of `vmss2core --info`: header,
 * groups (offsets, sizes, tag counts), the memory region table as stored,
 * and with --tags every tag (group, name[indices], size, offset, small
 * values in hex).  The format-independent part (registers, runs, metadata)
 * is machine_info_print() in coredump/machine_info.h.
 */
#ifndef COREKIT_CPT_INFO_H
#define COREKIT_CPT_INFO_H

#include <stdio.h>

#include "cpt.h"
#include "error.h"
#include "format.h"
#include "machine.h"

/* Open path as a checkpoint and describe it on out; tags != 0 adds every tag. */
struct ck_error *cpt_info_print(FILE *out, const char *path, int tags);
/* The same, naming the file name (a decompressed copy is read from path, input.h). */
struct ck_error *cpt_info_print_as(FILE *out, const char *path, const char *name, int tags);

/* The same for an already opened checkpoint. */
void cpt_info_print_file(FILE *out, const struct cpt_file *f, int tags);

/*
 * machine_open() for `vmss2core --info`: the same, except that a checkpoint
 * whose guest memory file (.vmem) cannot be opened (or its name derived) is
 * still opened: m then has the checkpoint's metadata and vCPU registers but
 * no memory runs, and *missing_ret is the error naming the .vmem, for the
 * caller to print as a warning and destroy (NULL when memory was found).
 * Every other failure is returned as machine_open() would.
 */
struct ck_error *cpt_info_machine_open(const char *path, const char *companion, struct machine *m,
				       const struct machine_format **fmt_ret,
				       struct ck_error **missing_ret);

#endif
