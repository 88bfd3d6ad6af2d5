/*
 * input.h - the one input classifier of corekit: what a file is, decided by
 * its content (magic bytes), never by its name.  coresummary (target_open)
 * and vmss2core (machine_open) both go through it.
 *
 *   compressed   zstd, lz4, xz, gzip, bzip2 magic: decompressed through
 *                libarchive's raw-stream filters, then the CONTENT is
 *                classified (so systemd-coredump's core.PROG.UID.BOOT.PID.TIME.zst
 *                needs no special naming)
 *   ELF ET_CORE  a process core when it has NT_PRPSINFO and no VMCOREINFO,
 *                else a machine image (kernel vmcore, QEMU dump)
 *   ELF other    handed to the process-core reader, which says what it is
 *   zdump        an ESXi zdump: no public magic, so by its name
 *                (vmkernel-zdump.N, vmkernel-zdump-..., vmx-zdump.NNN,
 *                NAME-zdump.NNN) or, encrypted, by ESXi's crypto envelope
 *                ("DataTransformEnvelope") at offset 4096; never decompressed
 *                here (its content is scanned, zdump_scan.h), and an ELF file
 *                stays an ELF file whatever its name
 *   bundles      tar ("ustar" at offset 257, also compressed: recognised from
 *                the decompressed head, without a copy), zip ("PK\3\4"), or a
 *                directory: read by the bundle reader (bundle.h)
 *   machine      a machine format's magic (format.h: .vmss/.vmsn, kdump);
 *                debug.guest has no magic, so its reader alone looks at the
 *                name, and a broken .vmss is named by the checkpoint reader
 *
 * A compressed input is decompressed once into a temporary file in $TMPDIR
 * (the readers need random access): sparse (all-zero 4 KiB blocks become
 * holes), and unlinked right after it is created, so that no exit - error,
 * SIGINT, SIGTERM, even SIGKILL - leaves it behind.  Readers open it as
 * /proc/self/fd/N (input.path); messages name the user's file (input.name).
 * Memory stays bounded (one 1 MiB buffer plus the decompressor's window).
 */
#ifndef COREKIT_INPUT_H
#define COREKIT_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "format.h"

enum input_kind {
	INPUT_UNKNOWN = 0,
	INPUT_PROCESS_CORE,	/* ELF core of one process */
	INPUT_MACHINE,		/* a machine image: format says which reader */
	INPUT_ELF,		/* an ELF file that is not a core */
	INPUT_TAR,		/* a tar archive (a bundle) */
	INPUT_ZIP,		/* a zip archive (a bundle) */
	INPUT_DIR,		/* a directory (an extracted bundle) */
	INPUT_ZDUMP,		/* an ESXi zdump (zdump_scan.h) */
};

/* What a zdump's name says it is. */
enum input_zdump_name {
	ZDUMP_NAME_NONE = 0,
	ZDUMP_NAME_KERNEL,	/* vmkernel-zdump.N (ESX 3: vmkernel-zdump-MMDDYY.HH.MM.n) */
	ZDUMP_NAME_VMX,		/* vmx-zdump.NNN: a VMX's core, in the VM's directory */
	ZDUMP_NAME_USERWORLD,	/* NAME-zdump.NNN: another user world's (hostd-worker, vpxa, ...) */
};

/* A support bundle (tar, zip, directory): bundle_open() reads it. */
#define INPUT_IS_BUNDLE(k) ((k) == INPUT_TAR || (k) == INPUT_ZIP || (k) == INPUT_DIR)

enum input_compression {
	INPUT_PLAIN = 0,
	INPUT_ZSTD,
	INPUT_LZ4,
	INPUT_XZ,
	INPUT_GZIP,
	INPUT_BZIP2,
};

struct input_class {
	enum input_kind kind;
	/* The machine reader that claims the content (for every ELF core too:
	 * the ELF reader names what is wrong with a process core given to
	 * vmss2core), NULL if none. */
	const struct machine_format *format;
};

/* The compression whose magic head starts with; INPUT_PLAIN if none. */
enum input_compression input_compression_of(const uint8_t *head, size_t len);
/* "zstd", "lz4", "xz", "gzip", "bzip2"; NULL for INPUT_PLAIN. */
const char *input_compression_name(enum input_compression c);

/*
 * Classify uncompressed content from its first bytes (head, len: up to
 * FORMAT_PROBE_BYTES) and, for an ELF core, its notes read through fd
 * (fd < 0: an ELF core counts as a machine image if its head says so, else
 * unknown beyond "ELF core").  name: only for the readers that need one
 * (debug.guest); may be "".  Never fails: unreadable notes leave the verdict
 * to the process-core reader, which then says what is wrong.
 */
struct input_class input_classify(const char *name, int fd, const uint8_t *head, size_t len);

/* What path's last component says (never the content); for USERWORLD and VMX
 * world gets the NAME before "-zdump" (cap bytes, NUL included; may be NULL). */
enum input_zdump_name input_zdump_name(const char *path, char *world, size_t cap);
/* "kernel", "vmx", "userworld"; NULL for NONE. */
const char *input_zdump_name_str(enum input_zdump_name k);
/* Does fd hold ESXi's crypto envelope magic at offset 4096 (an encrypted zdump)? */
bool input_zdump_encrypted(int fd);

/* An opened input (path may point into it: do not copy the struct). */
struct input {
	const char *path;	/* the file readers open: the user's path, or fdpath */
	char *name;		/* for messages: the user's path, "PATH (decompressed)" for a copy */
	enum input_compression compression;
	struct input_class cls;
	int fd;			/* the decompressed copy (already unlinked), -1 for a plain file */
	char fdpath[32];	/* "/proc/self/fd/N" */
};

/*
 * Classify path; a compressed file is decompressed into the temporary first
 * (a compressed tar or zip is recognised without one; a directory is
 * INPUT_DIR).  Bad compressed data is
 * CK_ERR_INPUT "PATH: offset 0xOFF: zstd: what was wrong" (OFF: how far the
 * compressed file had been read); a $TMPDIR that cannot hold the copy is
 * CK_ERR_SYSTEM.  in is filled (and must be input_close()d) only on success.
 */
struct ck_error *input_open(const char *path, struct input *in);

/* err with every mention of the copy's /proc path replaced by in->name (for
 * errors of readers that opened in->path).  Returns err. */
struct ck_error *input_error(const struct input *in, struct ck_error *err);

/* "PATH: a tar archive (a bundle): ..." and "PATH: not a ..." for kinds a command cannot read. */
struct ck_error *input_unsupported(const struct input *in, const char *expected);

/* Close the copy (readers that opened in->path keep their own descriptors). */
void input_close(struct input *in);

#endif
