/*
 * target_bundle.h - what the bundle target (target_bundle.c) knows beyond
 * the target ops: the bundle's inventory and which VM's checkpoint it opened,
 * for the bundle analyzer (analyzers/bundle/an_bundle.c).  NULL for any
 * other target.
 */
#ifndef COREKIT_TARGET_BUNDLE_H
#define COREKIT_TARGET_BUNDLE_H

#include "bundle.h"
#include "strlist.h"
#include "target.h"

struct target_bundle_info {
	const struct bundle_inventory *inv;
	long vm;				/* the VM picked (its checkpoint, or --vm's), -1 none */
	const struct bundle_file *cpt, *vmem;	/* opened as the image; NULL none */
	const char *not_analysed;		/* why no checkpoint was opened, NULL if one was */
	const struct strlist *warnings;		/* the target's: logs or a checkpoint left out, and why */
};

const struct target_bundle_info *target_bundle_info(struct target *t);

#endif
