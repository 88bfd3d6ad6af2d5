/*
 * machine_info.h - the format-independent part of `vmss2core --info`: what a
 * reader made of its input (metadata, memory runs, vCPU registers and which
 * are missing) and what linux_kernel_detect() found.
 */
#ifndef COREKIT_MACHINE_INFO_H
#define COREKIT_MACHINE_INFO_H

#include <stdio.h>

#include "format.h"
#include "linux_kernel.h"
#include "machine.h"

void machine_info_print(FILE *out, const struct machine *m, const struct machine_format *fmt,
			const struct linux_kernel *k);

#endif
