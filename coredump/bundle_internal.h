/*
 * bundle_internal.h - what the parts of the bundle reader share (private):
 * the members and links one walk found (bundle_open.c) and the inventory
 * built from them (bundle_inventory.c).
 */
#ifndef COREKIT_BUNDLE_INTERNAL_H
#define COREKIT_BUNDLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bundle.h"

/* A file member (or a hard link to an earlier one, which then names the target's data). */
struct bmember {
	char *name;		/* cleaned, with its archive's prefix */
	char *display;
	uint64_t size;
	int64_t mtime;
	uint32_t source;	/* where the data is */
	uint64_t ordinal;
	char *text;		/* small text read as it streamed by, NUL-terminated; NULL if not read */
	char *damage;		/* reading it failed: why */
	int piece;		/* NAME.FRAG-N */
	size_t base_len;	/* piece: the length of NAME */
	uint64_t index;		/* piece: N */
};

/* A symbolic link member: only ever resolved by name inside the bundle. */
struct blink {
	char *name;
	char *target;		/* as stored */
	char *display;
	char *top;		/* its archive's prefix ("" for the bundle) */
};

struct bmembers {
	struct bmember *m;
	size_t n, cap;
	struct blink *links;
	size_t nlinks, links_cap;
	char **prefixes;	/* the prefix of every archive walked ("" first) */
	size_t nprefixes;
};

/*
 * Build inv (path and is_dir already set, the rest empty) from the members:
 * logical files (FRAG pieces grouped and checked), hosts, VMs, and the
 * warnings about links that point out of the bundle.
 */
struct ck_error *bundle_inventory_build(const struct bmembers *ms, const char *archive_name,
					struct bundle_inventory *inv);
void bundle_inventory_free(struct bundle_inventory *inv);
/* The index of the file at path in inv->files (sorted by path), or -1. */
int bundle_file_index(const struct bundle_inventory *inv, const char *path);

/* "BUNDLE: " + the formatted message added to w (dropped when out of memory). */
void bundle_warnv(struct strlist *w, const char *bundle, const char *fmt, va_list ap);


/* ---- the bundle itself (bundle_open.c: the inventory pass; bundle_materialise.c: staging) ---- */

struct spool;
struct walk;

struct capture {
	char *logical;
	struct spool *sp;	/* NULL once dropped */
};

struct vmx_seen {
	char *dir;
	char *name;		/* displayName, NULL if it has none */
};

struct fview {
	struct bundle_view v;
	char *name;
	int have;
};

/* A FRAG-split nested archive whose pieces were out of order: read again from a staged copy. */
struct retry {
	char *logical;
	uint32_t source;	/* what its cut-short stream gave: members to forget */
	size_t warn_from, warn_to;	/* the warnings that stream gave */
};

/* A staged nested archive walked on its own. */
struct extra_walk {
	struct walk *w;
	int fd;
};

enum { EXTRA_BASE = 1u << 24 };	/* source ids of extra walk k start at (k + 1) * EXTRA_BASE */

/* struct bundle (bundle.h): */
struct bundle {
	struct bundle_inventory inv;
	struct walk *walk;
	char *stage_dir;
	char *capture_vm;
	unsigned capture_kinds;
	uint64_t vmem_offset;
	uint64_t (*vmem_offset_fn)(void *arg, struct bundle *b, const char *vmem_path);
	void *vmem_offset_arg;
	struct bmembers ms;
	uint32_t *hash;		/* whole members by name: index + 1, 0 = empty */
	size_t hash_cap, nhashed;
	struct capture *caps;
	size_t ncaps;
	struct vmx_seen *vmxs;
	size_t nvmxs;
	struct fview *views;	/* per inventory file */
	int limit_warned;
	struct retry *retries;
	size_t nretries;
	struct extra_walk *extras;
	size_t nextras;
	int in_extra;		/* walking an extra: no retries from there */
};


/* Close a capture's copy (freeing its space); the capture stays, empty. */
void bundle_capture_drop(struct capture *c);

/* The walk that owns source id (the bundle's, or an extra one). */
struct walk *bundle_walk_of(const struct bundle *b, uint32_t source);

/*
 * Stage files[0..n) (gzip ones inflated with BUNDLE_INFLATE) into complete
 * spools sps[0..n), with one pass over every walk that holds their pieces.
 * Errors name the bundle and the member; on error no spool is left.
 */
struct ck_error *bundle_stage_files(struct bundle *b, const struct bundle_file *const *files, size_t n,
				    unsigned flags, struct spool **sps);

/* Text parsers (bundle_text.c); every result malloc'd, NULL when absent. */
/* The vmxCfgPath values of vmInventory.xml text (entities decoded); *n of them. */
struct ck_error *bundle_vminv_paths(const char *xml, char ***paths_ret, size_t *n_ret);
/* commands/vmware_-vl.txt: "VMware ESXi 7.0.3 build-21930508" / "VMware ESXi 7.0 Update 3". */
struct ck_error *bundle_vl_parse(const char *text, struct bundle_host *h);
/* The host name of commands/uname_-a.txt ("VMkernel HOST ..."). */
char *bundle_uname_host(const char *text);
/* The host name in a bundle directory or file name: esx-HOST-YYYY-MM-DD--HH.MM-PID[.tgz]. */
char *bundle_dirname_host(const char *name);

#endif
