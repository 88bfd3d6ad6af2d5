/*
 * target_open.c - open an input file as the target kind it is.
 *
 * What the file is comes from the one classifier (input.h): a process core
 * (or any ELF file that is not a machine image: the process-core reader says
 * what is wrong with it), a machine image, an ESXi zdump or a bundle (an
 * archive or a directory: target_bundle.c); a compressed file is classified
 * by its content.  A file that fails to open gets the error of the reader
 * whose format it is; only a file no reader claims gets the generic message.
 */
#include "target.h"

#include "input.h"
#include "log_events.h"
#include "target_zdump.h"

struct ck_error *target_open(const char *path, const struct target_core_options *opt, struct target **ret)
{
	struct input in;
	struct ck_error *err = input_open(path, &in);
	if (err)
		return err;
	struct target_core_options o = opt ? *opt : (struct target_core_options){ 0 };
	o.name = in.name;
	if (o.vm && !INPUT_IS_BUNDLE(in.cls.kind)) {
		err = ck_error_create(CK_ERR_USAGE, "--vm goes with a BUNDLE (%s is not one)", in.name);
		input_close(&in);
		return err;
	}
	switch (in.cls.kind) {
	case INPUT_TAR:
	case INPUT_ZIP:
	case INPUT_DIR:
		err = target_bundle_open(in.path, &o, ret);
		break;
	case INPUT_PROCESS_CORE:
	case INPUT_ELF:
		err = target_core_open(in.path, &o, ret);
		break;
	case INPUT_MACHINE:
		err = target_machine_open(in.path, &o, ret);
		break;
	case INPUT_ZDUMP:
		err = target_zdump_open(in.path, in.name, &o, ret);
		break;
	default:
		if (log_sniff_path(in.path) != LOG_FMT_NONE)	/* a text log, by its content */
			err = target_log_open(in.path, ret);
		else
			err = input_unsupported(&in, "a process core, ELF vmcore, VMware checkpoint (.vmss/.vmsn),"
						" kdump-compressed or debug.guest file, or a log");
		break;
	}
	/* The targets hold their own descriptors of a decompressed copy: closing ours is safe. */
	err = input_error(&in, err);
	input_close(&in);
	return err;
}
