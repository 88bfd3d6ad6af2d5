/*
 * bundle_convert.h - vmss2core [--vm NAME] BUNDLE: the VM's checkpoint into
 * an ELF vmcore with no manual step.
 *
 * Open the bundle with bundle_convert_options() (its .vmss/.vmsn/.vmem are
 * captured into unnamed files in the output's directory during the one pass
 * that takes the inventory, a .vmem's copy starting ELFCORE_IN_PLACE_ROOM
 * bytes in), then bundle_convert().  When the .vmem's copy is such a capture
 * it becomes the output itself: the ELF writer points its loads at the RAM
 * where it already is and writes the headers in front (outfile_adopt), so
 * the extra disk is the small checkpoint alone.  Otherwise (a directory's own
 * .vmem, RAM embedded in the checkpoint, a layout whose headers need more
 * room) the output is written from the copy as for any checkpoint.
 */
#ifndef COREKIT_BUNDLE_CONVERT_H
#define COREKIT_BUNDLE_CONVERT_H

#include "bundle.h"
#include "elfcore.h"
#include "linux_kernel.h"
#include "machine.h"

enum { ELFCORE_IN_PLACE_ROOM = 1 << 20 };	/* room for the headers of ~6000 memory runs or ~1000 vCPUs */

/* Bundle options for a conversion: staged copies in out_path's directory (dir: a buffer for it). */
struct bundle_options bundle_convert_options(const char *out_path, const char *vm, char *dir, size_t dirlen);

/* An output that is an existing file inside a directory bundle is refused (CK_ERR_USAGE), -f or not. */
struct ck_error *bundle_convert_check(const char *bundle, const char *out_path);

struct bundle_convert_result {
	int in_place;		/* the captured .vmem became the output */
	size_t vm;		/* the VM converted */
};

/*
 * Pick the VM (vm: its name, or NULL: the one with a checkpoint), open its
 * checkpoint into m, write the core with eo (eo->scan/detected as for
 * elfcore_write; eo->in_place is set here when it applies).
 */
struct ck_error *bundle_convert(struct bundle *b, const char *vm, struct machine *m, struct elfcore_options *eo,
				struct bundle_convert_result *res);

#endif
