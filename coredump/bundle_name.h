/*
 * bundle_name.h - names inside a bundle (private to bundle_*.c): checking and
 * normalising member names, escaping them for messages, FRAG suffixes, what
 * a file is by its name, lexical path resolution for the bundle's links.
 */
#ifndef COREKIT_BUNDLE_NAME_H
#define COREKIT_BUNDLE_NAME_H

#include <stddef.h>
#include <stdint.h>

#include "bundle.h"

enum { BUNDLE_NAME_MAX = 4096 };

/*
 * A member name as stored -> "dir/file" (leading "./", "//", "/./" and a
 * trailing "/" dropped) in *ret (malloc'd).  NULL if refused, with *why:
 * "an absolute name", "a `..` component", "an empty name", "a name longer
 * than 4096 bytes".  *ret is NULL on ENOMEM too (then *why is NULL).
 */
char *bundle_name_clean(const char *raw, const char **why);

/* raw with bytes < 0x20 and 0x7f as \xNN, so a message stays one line (malloc'd, NULL on ENOMEM). */
char *bundle_name_escape(const char *raw);

/* Does name end in ".FRAG-" and 5 or more digits?  Then the length of the part before and the index. */
int bundle_frag_split(const char *name, size_t *base_len, uint64_t *index);

/*
 * The kind of a logical file by its path relative to its host's root (rel:
 * "var/run/log/vmkernel.log") or, outside any host, the whole path; *gzip
 * when it is stored gzip-compressed (NAME.gz of a kind that is not gzip
 * itself, like vmmcores.gz).
 */
enum bundle_kind bundle_kind_of(const char *rel, int *gzip);

/* Named like an archive a bundle nests (.tgz, .tar, .tar.gz/.xz/.bz2/.zst, .zip)? */
int bundle_name_is_archive(const char *path);

/* "a/b/c" -> length of "a/b" (0 when there is no '/'). */
size_t bundle_dir_len(const char *path);

/*
 * Resolve a link's target lexically: relative to dir, or when absolute to
 * root (the host's root, "" or ending in '/').  "." and ".." are resolved;
 * NULL when ".." would leave top (the archive's own prefix, "" or ending in
 * '/'), or on ENOMEM: *escapes tells which.
 */
char *bundle_path_resolve(const char *top, const char *root, const char *dir, const char *target, int *escapes);

#endif
