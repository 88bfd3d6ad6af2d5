/*
 * bundle.h - VMware support bundles (vm-support .tgz, vCenter bundles that
 * wrap host bundles, or a directory where one was extracted): what is in
 * them, and their files as readable descriptors, never extracting anything
 * by the names the bundle chose.
 *
 *   struct bundle *b;
 *   err = bundle_open("esx-host-2024.tgz", &(struct bundle_options){ .stage_dir = dir }, &b);
 *   const struct bundle_inventory *inv = bundle_inventory(b);
 *   ... inv->hosts, inv->vms, inv->files (logs, checkpoints, cores, zdumps), inv->warnings ...
 *   const struct bundle_file *want[] = { &inv->files[i], &inv->files[j] };
 *   struct bundle_view v[2];
 *   err = bundle_materialise(b, want, 2, BUNDLE_INFLATE, v);   // one more pass over the archive at most
 *   ... open(v[0].path) / pread(v[0].fd, ..., v[0].offset + x) ...
 *   bundle_close(b);                                       // closes and frees every staged copy
 *
 * BUNDLE is anything libarchive reads (tar, pax, zip, cpio, 7z; gzip, bzip2,
 * xz, lzma, zstd, lz4 compressed) or a directory.  A member that is itself an
 * archive (a host's .tgz inside a vCenter bundle, also in FRAG pieces) is read
 * through as a nested stream, up to BUNDLE_MAX_NESTING archives deep; its
 * members' paths are the archive member's path + "/" + their own.
 *
 * Inventory (one pass over the bundle): hosts (a directory holding commands/,
 * etc/vmware/, var/log/, var/run/log/, var/core/ or vmfs/volumes/ is a host's
 * root: host name from commands/uname_-a.txt or the esx-HOST-DATE directory,
 * ESXi version and build from commands/vmware_-vl.txt); VMs (every
 * vmxCfgPath of etc/vmware/hostd/vmInventory.xml, mapped into the bundle under
 * the host's root through the bundle's own symbolic links, every directory
 * with a .vmx, and every directory with a checkpoint), with displayName and
 * guestOS from the .vmx; files: logical files whose pieces are the members
 * NAME.FRAG-00000, NAME.FRAG-00001, ... (5 or more digits, concatenated in
 * numeric order) or the member NAME itself, each with a kind and the host
 * and VM it belongs to.  Small text members (.vmx, vmInventory.xml,
 * commands/vmware_-vl.txt, commands/uname_-a.txt) are read into bounded memory as they stream by.
 *
 * Hostile bundles: members are read as streams; staged copies are unnamed
 * temporary files (tempfile.h) in the stage directory, never files named by
 * the bundle.  Absolute and `..` names, symbolic and hard links pointing out
 * of the bundle, device nodes, FIFOs and sockets, duplicate names (the first
 * is kept), damaged archive data (a member whose data runs beyond its
 * declared size), unreadable members and data that would not fit on the
 * stage directory's filesystem are warnings naming the member; the rest is
 * analysed.  A directory is walked with openat(O_NOFOLLOW) and fstatat: its
 * symbolic links are never followed (only resolved by name inside it).  A
 * FRAG gap or a duplicate index makes that logical file unusable
 * (bundle_file.problem, and an error when it is materialised).  No
 * decompression-ratio limit (an idle guest's .vmem compresses beyond 1000:1):
 * staging checks the free space instead (fstatvfs) and writes zeros as holes.
 * Memory use does not grow with the size of the members.
 */
#ifndef COREKIT_BUNDLE_H
#define COREKIT_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "error.h"
#include "strlist.h"

enum {
	BUNDLE_MAX_NESTING = 3,		/* archives inside archives: top + 2 */
	BUNDLE_MAX_TEXT = 1 << 20,	/* small text members read into memory */
};

enum bundle_kind {
	BUNDLE_OTHER = 0,
	BUNDLE_VMX,		/* a VM's .vmx */
	BUNDLE_VM_LOG,		/* vmware.log, vmware-N.log in a VM's directory */
	BUNDLE_SUSPEND,		/* .vmss (also .vmss.gz): suspend state */
	BUNDLE_SNAPSHOT,	/* .vmsn: snapshot state */
	BUNDLE_VMEM,		/* .vmem: a checkpoint's guest RAM */
	BUNDLE_CORE,		/* core*, vmware*-core*, vmmcores*.gz; var/core/ files that are not zdumps */
	BUNDLE_ZDUMP,		/* vmx-zdump.*, *-zdump.* (vmkernel-zdump.N, hostd-zdump.000) */
	BUNDLE_HOST_LOG,	/* var/run/log/, var/log/ files (vmkernel.log, hostd.log, vobd.log, rotated .N.gz) */
	BUNDLE_ARCHIVE,		/* a nested bundle (its members are listed too) */
	BUNDLE_NKINDS,
};

/* "vmx", "vm-log", "suspend", "snapshot", "vmem", "core", "zdump", "host-log", "archive", "other" */
const char *bundle_kind_name(enum bundle_kind k);

/* One stored member of a logical file. */
struct bundle_piece {
	char *member;		/* its name in the bundle, for messages (control bytes escaped) */
	uint64_t size;		/* declared size in the archive (the file's size in a directory) */
	uint32_t source;	/* private: the archive it is in (0: the bundle) */
	uint64_t ordinal;	/* private: its place in that archive */
};

struct bundle_file {
	char *path;		/* path in the bundle, FRAG suffix dropped (nested: ARCHIVE/INNER) */
	enum bundle_kind kind;
	int host;		/* index into hosts, -1 if in no host's tree */
	int vm;			/* index into vms, -1 if no VM's */
	int gzip;		/* stored gzip-compressed (NAME.gz): BUNDLE_INFLATE gives the content */
	uint64_t size;		/* stored bytes, all pieces */
	int64_t mtime;		/* of the first piece, seconds since the epoch */
	struct bundle_piece *pieces;	/* in order; one for a whole file */
	size_t npieces;
	char *problem;		/* non-NULL: unusable, and why ("FRAG-00003 is missing") */
};

struct bundle_vm {
	char *name;		/* displayName, else the .vmx (or checkpoint) name without extension */
	char *guest_os;		/* guestOS, NULL if unknown */
	char *dir;		/* its directory in the bundle */
	char *vmx;		/* path of its .vmx in the bundle, NULL if the bundle has none */
	char *cfg_path;		/* vmxCfgPath as vmInventory.xml says it, NULL if not listed */
	int host;		/* index into hosts, -1 if none */
};

struct bundle_host {
	char *root;		/* its directory in the bundle ("" for the top), ending in '/' unless "" */
	char *hostname;		/* NULL if unknown */
	char *product;		/* "VMware ESXi" (vmware_-vl.txt line 1) */
	char *version;		/* "7.0.3" */
	char *build;		/* "21930508" */
	char *release;		/* "VMware ESXi 7.0 Update 3" (line 2) */
};

struct bundle_inventory {
	char *path;		/* the bundle as given */
	int is_dir;
	struct bundle_host *hosts;
	size_t nhosts;
	struct bundle_vm *vms;
	size_t nvms;
	struct bundle_file *files;	/* sorted by path */
	size_t nfiles;
	struct strlist warnings;	/* one line each, naming the bundle and the member */
};

struct bundle;

struct bundle_options {
	const char *stage_dir;	/* unnamed staged copies go here (NULL: $TMPDIR) */
	/*
	 * Capture while taking the inventory, so a second pass over the archive
	 * is not needed: the members of kinds capture_kinds (bits 1 << kind) in
	 * the directory of the VM named capture_vm (NULL: of any VM; a directory
	 * whose .vmx has not been seen yet counts as possibly that VM) are staged
	 * as they stream by (gzip ones inflated), and dropped at the end of
	 * bundle_open() unless they belong to the VM bundle_pick_vm() would pick.
	 * A .vmem's copy starts vmem_offset bytes into its file (a multiple of
	 * 4096; the ELF writer's header room, see vmss2core).
	 */
	unsigned capture_kinds;
	const char *capture_vm;
	uint64_t vmem_offset;
	/*
	 * Optional: asked when a captured .vmem's first piece streams by, the
	 * offset for its copy (a multiple of 4096; 0: vmem_offset).  It may look
	 * at the captures so far with bundle_capture_peek() (vmss2core puts the
	 * RAM where the ELF writer would when the checkpoint came first).
	 */
	uint64_t (*vmem_offset_fn)(void *arg, struct bundle *b, const char *vmem_path);
	void *vmem_offset_arg;
};

/*
 * Open path (an archive or a directory) and take its inventory.  Errors:
 * CK_ERR_INPUT for a file that is no archive libarchive reads or is damaged
 * before its first member; CK_ERR_SYSTEM for I/O.  Everything a bundle may
 * be wrong about after that is a warning.
 */
struct ck_error *bundle_open(const char *path, const struct bundle_options *opts, struct bundle **ret);
const struct bundle_inventory *bundle_inventory(const struct bundle *b);

/* A logical file, readable: valid until bundle_close(). */
struct bundle_view {
	int fd;			/* read-only use; owned by the bundle */
	char path[32];		/* "/proc/self/fd/N": what path-taking readers open */
	off_t offset;		/* where the content starts in fd (0 unless a captured .vmem) */
	uint64_t size;		/* content bytes */
	const char *name;	/* for messages: "BUNDLE: MEMBER", or the real path in a directory */
	int staged;		/* 1: an unnamed copy in the stage directory; 0: the bundle's own file */
	int inflated;		/* gzip content given decompressed */
};

enum { BUNDLE_INFLATE = 1 };	/* flags: give gzip files (bundle_file.gzip) decompressed */

/*
 * Make files[0..n) readable as views[0..n): a whole file of a directory
 * bundle is that file itself (opened without following links); anything else
 * is staged once into an unnamed sparse file in the stage directory, all of
 * them in one more pass over the archive (none when captured already).  A
 * file with a problem, or one whose staging failed (a damaged member, no
 * space), is CK_ERR_INPUT or CK_ERR_SYSTEM naming it.
 */
struct ck_error *bundle_materialise(struct bundle *b, const struct bundle_file *const *files, size_t n,
				    unsigned flags, struct bundle_view *views);

/*
 * While bundle_open() runs (from vmem_offset_fn): the capture of path so far,
 * as a readable view of the pieces in place until now (*size bytes; the file
 * may still grow).  0 if path is not being captured.
 */
int bundle_capture_peek(struct bundle *b, const char *path, struct bundle_view *view);

/* Close every descriptor and free every staged copy and the inventory (NULL is fine). */
void bundle_close(struct bundle *b);

/* The inventory as text (vmss2core --info BUNDLE): one line per host, VM and file. */
void bundle_print(FILE *out, const struct bundle_inventory *inv);

/*
 * The VM to work on: with name, the VM whose name it is (none, or several:
 * CK_ERR_USAGE naming the VMs or the candidates); without, the one VM that
 * has a checkpoint (none or several: CK_ERR_USAGE naming them, "use --vm").
 */
struct ck_error *bundle_pick_vm(const struct bundle_inventory *inv, const char *name, size_t *vm_ret);

/*
 * The VM's checkpoint (a .vmss, else the one .vmsn; several: CK_ERR_USAGE
 * naming them) and the .vmem of the same name in the same directory (*vmem_ret
 * NULL when the bundle has none: the checkpoint may embed its RAM).  No
 * checkpoint: CK_ERR_USAGE.
 */
struct ck_error *bundle_vm_checkpoint(const struct bundle_inventory *inv, size_t vm, const struct bundle_file **cpt_ret,
				      const struct bundle_file **vmem_ret);

#endif
