/*
 * bundle_walk.h - the members of a bundle, in order, as streams (private to
 * bundle_*.c): an archive read by libarchive, an archive nested in a member
 * (its FRAG pieces following it read as one stream), or a directory tree
 * walked with openat(O_NOFOLLOW)/fstatat.
 *
 * walk_run() calls fn once per member.  fn may read the member's data
 * (walk_read) or walk an archive stored in it (walk_descend: fn is then
 * called for the inner members, whose names are the member's logical name +
 * "/" + their own), and returns NULL to go on, WALK_STOP to end the walk, or
 * an error.  Nothing is ever written anywhere by this module.
 *
 * Every member is named by (source, ordinal): the archive it is in (the
 * walk's base id for the bundle, then nested archives in the order first
 * walked) and its place in it.  A second walk_run() visits the same members under the same numbers,
 * so a member found in one pass can be read in the next.
 */
#ifndef COREKIT_BUNDLE_WALK_H
#define COREKIT_BUNDLE_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "strlist.h"

enum walk_type {
	WALK_FILE,
	WALK_DIR,
	WALK_SYMLINK,
	WALK_HARDLINK,
	WALK_SPECIAL,	/* device node, FIFO, socket: why says which */
	WALK_BAD,	/* a name that is refused (absolute, `..`): why says what */
};

struct walk_member {
	const char *name;	/* prefix + cleaned name; NULL for WALK_BAD */
	const char *display;	/* prefix + the stored name, control bytes escaped */
	enum walk_type type;
	const char *why;
	const char *link;	/* WALK_SYMLINK: target as stored; WALK_HARDLINK: cleaned target + prefix (NULL: refused) */
	uint64_t size;		/* declared size; 0 if unknown */
	int size_known;
	int64_t mtime;
	uint32_t source;
	uint64_t ordinal;
	int depth;		/* 1 in the bundle, 2 in an archive inside it, ... */
	int consumed;		/* a FRAG piece already read as part of a nested archive: do not read */
};

struct walk;
typedef struct ck_error *walk_fn(void *arg, struct walk *w, const struct walk_member *m);

/* Returned by fn to end the walk early (walk_run then returns NULL). */
extern struct ck_error walk_stop;
#define WALK_STOP (&walk_stop)

/*
 * path: an archive file or a directory (is_dir).  base: the id of its top
 * source (0 for the bundle; a staged nested archive walked on its own gets
 * ids apart), nested ones following; prefix: of its members' names ("" for
 * the bundle).  Nothing is opened yet.
 */
struct ck_error *walk_create(const char *path, int is_dir, uint32_t base, const char *prefix, struct walk **ret);
void walk_destroy(struct walk *w);

/*
 * One pass over every member.  warnings: where the walk's own warnings go
 * (bad names, special files, damaged archive data; NULL: dropped, for a
 * second pass).  Errors: the bundle cannot be opened or is no archive
 * (CK_ERR_INPUT), I/O, or fn's own.
 */
struct ck_error *walk_run(struct walk *w, walk_fn *fn, void *arg, struct strlist *warnings);

/*
 * In fn: the next block of the member's content: 1 with *buf, *len bytes at
 * content offset *off (offsets only grow; a gap reads as zeros), 0 at its
 * end, -1 with *err (the member is damaged: name it in a warning and go on).
 */
int walk_read(struct walk *w, const void **buf, size_t *len, uint64_t *off, struct ck_error **err);

/*
 * In fn: walk the archive stored in member m (logical: its name without the
 * FRAG suffix; pieces: m is FRAG piece 0 and the next pieces follow it), with
 * the same fn.  A member that is no archive libarchive reads is a warning;
 * so is nesting deeper than BUNDLE_MAX_NESTING.
 */
struct walk_descent {
	uint32_t id;		/* the nested archive's source */
	int cut;		/* its FRAG pieces were not in order in the parent: it could not be read through */
};
struct ck_error *walk_descend(struct walk *w, const struct walk_member *m, const char *logical, int pieces,
			      struct walk_descent *d);

/*
 * A file of a directory bundle, opened read-only without following any link
 * on the way (name: its path in the bundle); CK_ERR_INPUT if it is not a
 * regular file (any more).
 */
struct ck_error *walk_open_file(const struct walk *w, const char *name, int *fd_ret);

/* The source a later walk gives the archive in member (source, ordinal): *id_ret, 0 if never walked. */
int walk_nested_id(const struct walk *w, uint32_t source, uint64_t ordinal, uint32_t *id_ret);
/* The parent of source id (the top has none: returns 0). */
int walk_parent(const struct walk *w, uint32_t id, uint32_t *parent_ret);
/* Is source id one of w's? */
int walk_owns(const struct walk *w, uint32_t id);

#endif
