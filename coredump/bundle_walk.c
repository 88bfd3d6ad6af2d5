/* bundle_walk.c - a bundle's members as streams: libarchive (also nested, also over FRAG pieces) or a directory. */
#include "bundle_walk.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_lib.h"
#include "bundle.h"
#include "bundle_internal.h"
#include "bundle_name.h"

enum {
	READ_BUF = 1 << 20,	/* reads of the bundle file and of directory members */
	MAX_RETRIES = 1000,	/* damaged stretches skipped in one archive before giving up */
	MAX_DIR_DEPTH = 64,
	ZERO_BLOCK = 1 << 16,
};

struct ck_error walk_stop = { CK_ERR_SYSTEM, 0, NULL };

static const uint8_t zero_block[ZERO_BLOCK];

struct walk_source {
	uint32_t parent;
	uint64_t parent_ordinal;
};

struct dframe {
	int fd;
	char **names;
	size_t n, i;
	char *rel;	/* "" or "dir/sub/" */
};

struct src {
	struct walk *w;
	struct src *parent;
	uint32_t id;
	int depth;
	char *prefix;		/* "" or "LOGICAL/" */
	char *dprefix;		/* the same for display names */
	uint64_t ordinal;	/* of the next member */
	/* an archive */
	struct archive *a;
	int fd;			/* the bundle file itself, -1 if nested or a directory */
	uint8_t *inbuf;
	/* nested: the parent's member, then its next FRAG pieces */
	char *frag_base;
	uint64_t frag_next;
	const uint8_t *pend;
	size_t pend_len;
	uint64_t pos, piece_base, zeros;
	int parent_eof;
	int fatal;		/* libarchive gave up on it */
	int cut;		/* the pieces stopped before the parent's stream did: a piece came out of order */
	/* a directory */
	struct dframe *frames;
	size_t nframes, frames_cap;
	int ffd;		/* the current member, opened on first read */
	int fdir;		/* its directory */
	char *fname;
	dev_t fdev;
	ino_t fino;
	uint64_t foff;
	uint8_t *fbuf;
	/* the current member */
	struct walk_member m;
	char *m_name, *m_display, *m_link;
	int pushed;		/* handed out again by the next src_next() */
	int ended;		/* no more members (libarchive must not be asked again) */
	uint64_t delivered;	/* content bytes walk_read() has handed out (nested pieces: of this piece) */
};

struct walk {
	struct archive_lib lib;	/* libarchive, loaded by the first walk_run() */
	char *path;
	int is_dir;
	uint32_t base;		/* id of the top source; nested ones follow */
	char *prefix;		/* of the top source's members */
	struct walk_source *sources;
	size_t nsources, sources_cap;
	struct src *cur;
	walk_fn *fn;
	void *arg;
	struct strlist *warnings;
	struct ck_error *deferred;	/* fn's error met inside a libarchive callback */
};

static void warn(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct walk *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (w->warnings)
		bundle_warnv(w->warnings, w->path, fmt, ap);
	va_end(ap);
}

struct ck_error *walk_create(const char *path, int is_dir, uint32_t base, const char *prefix, struct walk **ret)
{
	struct walk *w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path)) || !(w->prefix = strdup(prefix))) {
		if (w)
			free(w->path);
		free(w);
		return &ck_enomem;
	}
	w->is_dir = is_dir;
	w->base = base;
	*ret = w;
	return NULL;
}

void walk_destroy(struct walk *w)
{
	if (!w)
		return;
	archive_lib_close(&w->lib);
	free(w->path);
	free(w->prefix);
	free(w->sources);
	free(w);
}

int walk_nested_id(const struct walk *w, uint32_t source, uint64_t ordinal, uint32_t *id_ret)
{
	for (size_t i = 1; i < w->nsources; i++)
		if (w->sources[i].parent == source && w->sources[i].parent_ordinal == ordinal) {
			*id_ret = w->base + (uint32_t)i;
			return 1;
		}
	return 0;
}

int walk_parent(const struct walk *w, uint32_t id, uint32_t *parent_ret)
{
	if (!walk_owns(w, id) || id == w->base)
		return 0;
	*parent_ret = w->sources[id - w->base].parent;
	return 1;
}

int walk_owns(const struct walk *w, uint32_t id)
{
	return id == w->base || (id > w->base && id - w->base < w->nsources);
}

/* The id of the archive in member (parent, ordinal): the one an earlier pass gave it, else a new one. */
static struct ck_error *source_id(struct walk *w, uint32_t parent, uint64_t ordinal, uint32_t *id_ret)
{
	if (!w->nsources) {
		if (!(w->sources = calloc(16, sizeof(*w->sources))))
			return &ck_enomem;
		w->sources_cap = 16;
		w->nsources = 1;	/* 0: the bundle */
	}
	if (walk_nested_id(w, parent, ordinal, id_ret))
		return NULL;
	if (w->nsources == w->sources_cap) {
		struct walk_source *n = realloc(w->sources, 2 * w->sources_cap * sizeof(*n));
		if (!n)
			return &ck_enomem;
		w->sources = n;
		w->sources_cap *= 2;
	}
	w->sources[w->nsources] = (struct walk_source){ parent, ordinal };
	*id_ret = w->base + (uint32_t)w->nsources++;
	return NULL;
}

static void member_reset(struct src *s)
{
	free(s->m_name);
	free(s->m_display);
	free(s->m_link);
	s->m_name = s->m_display = s->m_link = NULL;
	s->m = (struct walk_member){ .source = s->id, .ordinal = s->ordinal, .depth = s->depth };
	s->delivered = 0;
	if (s->ffd >= 0)
		close(s->ffd);
	s->ffd = -1;
	s->foff = 0;
}

/* prefix + name into *dst; NULL on ENOMEM. */
static char *prefixed(const char *prefix, const char *name)
{
	char *p = NULL;
	return asprintf(&p, "%s%s", prefix, name) < 0 ? NULL : p;
}

/* Name, display name and link of the current member: name cleaned (or refused: WALK_BAD). */
static struct ck_error *member_names(struct src *s, const char *raw, const char *link, int hardlink)
{
	char *esc = bundle_name_escape(raw);
	const char *why;
	char *clean = bundle_name_clean(raw, &why);
	if (!esc || (!clean && !why) || !(s->m_display = prefixed(s->dprefix, esc))) {
		free(esc);
		free(clean);
		return &ck_enomem;
	}
	free(esc);
	s->m.display = s->m_display;
	if (!clean) {
		s->m.type = WALK_BAD;
		s->m.why = why;
		return NULL;
	}
	s->m_name = prefixed(s->prefix, clean);
	free(clean);
	if (!s->m_name)
		return &ck_enomem;
	s->m.name = s->m_name;
	if (link && hardlink) {
		char *t = bundle_name_clean(link, &why);
		if (!t && !why)
			return &ck_enomem;
		if (t && !(s->m_link = prefixed(s->prefix, t))) {
			free(t);
			return &ck_enomem;
		}
		free(t);
	} else if (link && !(s->m_link = strdup(link))) {
		return &ck_enomem;
	}
	s->m.link = s->m_link;
	return NULL;
}

/* ---- archives ---- */

static la_ssize_t file_read(struct archive *a, void *arg, const void **buf)
{
	struct src *s = arg;
	const struct archive_lib *L = &s->w->lib;
	for (;;) {
		ssize_t n = read(s->fd, s->inbuf, READ_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			L->set_error(a, errno, "read error");
			return -1;
		}
		*buf = s->inbuf;
		return n;
	}
}

static la_int64_t file_seek(struct archive *a, void *arg, la_int64_t off, int whence)
{
	struct src *s = arg;
	const struct archive_lib *L = &s->w->lib;
	off_t r = lseek(s->fd, (off_t)off, whence);
	if (r < 0)
		L->set_error(a, errno, "seek error");
	return r < 0 ? ARCHIVE_FATAL : (la_int64_t)r;
}

static la_int64_t file_skip(struct archive *a, void *arg, la_int64_t request)
{
	struct src *s = arg;
	(void)a;
	return lseek(s->fd, (off_t)request, SEEK_CUR) < 0 ? 0 : request;
}

static int src_read(struct src *s, const void **buf, size_t *len, uint64_t *off, struct ck_error **err);
static int src_next(struct src *s, struct ck_error **err);

/* Nested archive at the end of one piece: is the parent's next member the next piece?  Then go on with it. */
static int next_piece(struct src *s)
{
	struct src *p = s->parent;
	struct walk *w = s->w;
	struct ck_error *err = NULL;
	int r = src_next(p, &err);
	s->cut = 1;	/* unless the next piece follows */
	if (r <= 0) {
		if (err && !w->deferred)
			w->deferred = err;
		else
			ck_error_destroy(err);
		return 0;
	}
	size_t bl;
	uint64_t idx;
	if (p->m.type == WALK_FILE && bundle_frag_split(p->m.name, &bl, &idx) && idx == s->frag_next &&
	    bl == strlen(s->frag_base) && strncmp(p->m.name, s->frag_base, bl) == 0) {
		s->frag_next++;
		s->piece_base = s->pos;
		s->cut = 0;
		p->m.consumed = 1;
		struct src *saved = w->cur;
		w->cur = p;
		err = w->fn(w->arg, w, &p->m);
		w->cur = saved;
		if (err && !w->deferred)
			w->deferred = err;
		return err == NULL;
	}
	p->pushed = 1;
	return 0;
}

/* libarchive's read callback for a nested archive: the parent member's content, holes as zeros. */
static la_ssize_t nested_read(struct archive *a, void *arg, const void **buf)
{
	struct src *s = arg, *p = s->parent;
	const struct archive_lib *L = &s->w->lib;
	for (;;) {
		if (s->zeros) {
			size_t n = s->zeros < ZERO_BLOCK ? (size_t)s->zeros : ZERO_BLOCK;
			s->zeros -= n;
			s->pos += n;
			*buf = zero_block;
			return (la_ssize_t)n;
		}
		if (s->pend_len) {
			size_t n = s->pend_len;
			*buf = s->pend;
			s->pend_len = 0;
			s->pos += n;
			return (la_ssize_t)n;
		}
		if (s->parent_eof)
			return 0;
		const void *b;
		size_t len;
		uint64_t off;
		struct ck_error *err = NULL;
		int r = src_read(p, &b, &len, &off, &err);
		if (r < 0) {
			L->set_error(a, EIO, "%s", err->msg ? err->msg : "out of memory");
			ck_error_destroy(err);
			return -1;
		}
		if (r > 0) {
			if (s->piece_base + off < s->pos) {
				L->set_error(a, EIO, "member data out of order");
				return -1;
			}
			s->zeros = s->piece_base + off - s->pos;
			s->pend = b;
			s->pend_len = len;
			continue;
		}
		/* end of this piece: a trailing hole, then maybe the next piece */
		if (p->m.size_known && s->piece_base + p->m.size > s->pos) {
			s->zeros = s->piece_base + p->m.size - s->pos;
			continue;
		}
		if (!s->frag_base || !next_piece(s))
			s->parent_eof = 1;
	}
}

/* Only formats and filters that never run an external program. */
static struct ck_error *archive_setup(const struct archive_lib *L, struct archive *a)
{
	if (L->format_tar(a) != ARCHIVE_OK || L->format_zip(a) != ARCHIVE_OK ||
	    L->format_cpio(a) != ARCHIVE_OK || L->format_7zip(a) != ARCHIVE_OK)
		return ck_error_create(CK_ERR_SYSTEM, "libarchive: %s", L->error_string(a));
	/* ARCHIVE_WARN: built without the library, libarchive would run the tool: refused */
	int (*const filters[])(struct archive *) = {
		L->filter_gzip, L->filter_bzip2, L->filter_xz, L->filter_lzma, L->filter_zstd, L->filter_lz4,
	};
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		filters[i](a);
	return NULL;
}

static const char *special_kind(mode_t t)
{
	switch (t) {
	case AE_IFCHR: return "a character device";
	case AE_IFBLK: return "a block device";
	case AE_IFIFO: return "a FIFO";
	case AE_IFSOCK: return "a socket";
	default: return "a member of unknown type";
	}
}

static struct ck_error *archive_member(struct src *s, struct archive_entry *e)
{
	const struct archive_lib *L = &s->w->lib;
	const char *raw = L->entry_pathname(e);
	const char *hard = L->entry_hardlink(e);
	mode_t t = L->entry_filetype(e);
	struct ck_error *err;
	if (!raw) {
		if (!(s->m_display = prefixed(s->dprefix, "(unreadable name)")))
			return &ck_enomem;
		s->m.display = s->m_display;
		s->m.type = WALK_BAD;
		s->m.why = "a name that cannot be read";
		return NULL;
	}
	if ((err = member_names(s, raw, hard ? hard : t == AE_IFLNK ? L->entry_symlink(e) : NULL, hard != NULL)))
		return err;
	if (s->m.type == WALK_BAD)
		return NULL;
	if (hard)
		s->m.type = WALK_HARDLINK;
	else if (t == AE_IFREG)
		s->m.type = WALK_FILE;
	else if (t == AE_IFDIR)
		s->m.type = WALK_DIR;
	else if (t == AE_IFLNK)
		s->m.type = WALK_SYMLINK;
	else {
		s->m.type = WALK_SPECIAL;
		s->m.why = special_kind(t);
	}
	s->m.size_known = L->entry_size_is_set(e) != 0;
	s->m.size = s->m.size_known && L->entry_size(e) > 0 ? (uint64_t)L->entry_size(e) : 0;
	s->m.mtime = L->entry_mtime_is_set(e) ? (int64_t)L->entry_mtime(e) : 0;
	return NULL;
}

static int archive_next(struct src *s, struct ck_error **err)
{
	struct walk *w = s->w;
	const struct archive_lib *L = &w->lib;
	const char *after = NULL;
	char *last = s->m_display ? strdup(s->m_display) : NULL;
	after = last ? last : "the start";
	for (int retries = 0;; retries++) {
		struct archive_entry *e;
		int r = L->next_header(s->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r == ARCHIVE_RETRY && retries < MAX_RETRIES) {
			/* libarchive skips a block at a time: one warning for the stretch */
			if (!retries)
				warn(w, "damaged archive data after member %s skipped (its data runs beyond its declared"
				     " size?): %s", after, L->error_string(s->a));
			continue;
		}
		if (r < ARCHIVE_WARN) {
			s->fatal = 1;
			if (s->id == w->base && s->parent == NULL && s->ordinal == 0)
				*err = ck_error_create(CK_ERR_INPUT, "%s: not an archive libarchive reads: %s", w->path,
						       L->error_string(s->a));
			else if (!s->parent)
				warn(w, "damaged archive after member %s: %s; the rest of it is not read", after,
				     L->error_string(s->a));
			else
				warn(w, "member %.*s: damaged archive after its member %s: %s; the rest of it is not read",
				     (int)strlen(s->dprefix) - 1, s->dprefix, after, L->error_string(s->a));
			break;
		}
		if (r == ARCHIVE_WARN)
			warn(w, "the member after %s: %s", after, L->error_string(s->a));
		member_reset(s);
		free(last);
		if ((*err = archive_member(s, e)))
			return -1;
		s->ordinal++;
		return 1;
	}
	free(last);
	member_reset(s);
	return *err ? -1 : 0;
}

/* ---- directories ---- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void frame_free(struct dframe *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->names[i]);
	free(f->names);
	free(f->rel);
	if (f->fd >= 0)
		close(f->fd);
}

/* Push directory fd (taken over) with relative path rel ("" or ending in '/'), its entries sorted. */
static struct ck_error *frame_push(struct src *s, int fd, char *rel)
{
	struct dframe f = { .fd = fd, .rel = rel };
	int dfd = dup(fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct ck_error *err = NULL;
	if (!d) {
		err = ck_error_errno(errno, "%s/%s: cannot read the directory", s->w->path, rel);
		if (dfd >= 0)
			close(dfd);
		frame_free(&f);
		return err;
	}
	size_t cap = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (f.n == cap) {
			cap = cap ? 2 * cap : 32;
			char **nn = realloc(f.names, cap * sizeof(*nn));
			if (!nn) {
				err = &ck_enomem;
				break;
			}
			f.names = nn;
		}
		if (!(f.names[f.n] = strdup(e->d_name))) {
			err = &ck_enomem;
			break;
		}
		f.n++;
	}
	closedir(d);
	if (!err && s->nframes == s->frames_cap) {
		size_t nc = s->frames_cap ? 2 * s->frames_cap : 8;
		struct dframe *nf = realloc(s->frames, nc * sizeof(*nf));
		if (!nf)
			err = &ck_enomem;
		else {
			s->frames = nf;
			s->frames_cap = nc;
		}
	}
	if (err) {
		frame_free(&f);
		return err;
	}
	if (f.n)	/* an empty directory has no names array */
		qsort(f.names, f.n, sizeof(*f.names), name_cmp);
	s->frames[s->nframes++] = f;
	return NULL;
}

static int dir_next(struct src *s, struct ck_error **err)
{
	struct walk *w = s->w;
	for (;;) {
		if (!s->nframes) {
			member_reset(s);
			return 0;
		}
		struct dframe *f = &s->frames[s->nframes - 1];
		if (f->i == f->n) {
			frame_free(f);
			s->nframes--;
			continue;
		}
		const char *nm = f->names[f->i++];
		member_reset(s);
		struct stat st;
		char *rel = prefixed(f->rel, nm);
		if (!rel || !(s->m_name = rel) || !(s->m_display = bundle_name_escape(w->path)))
			goto enomem;
		char *disp = NULL, *esc = bundle_name_escape(rel);
		if (!esc || asprintf(&disp, "%s/%s", s->m_display, esc) < 0) {
			free(esc);
			goto enomem;
		}
		free(esc);
		free(s->m_display);
		s->m_display = disp;
		s->m.name = s->m_name;
		s->m.display = s->m_display;
		s->ordinal++;
		if (fstatat(f->fd, nm, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			warn(w, "member %s: cannot stat: %s; skipped", rel, strerror(errno));
			continue;
		}
		s->m.mtime = (int64_t)st.st_mtime;
		if (S_ISDIR(st.st_mode)) {
			s->m.type = WALK_DIR;
			if (s->nframes >= MAX_DIR_DEPTH) {
				warn(w, "member %s: directories nested deeper than %d; not read", rel, MAX_DIR_DEPTH);
				return 1;
			}
			int fd = openat(f->fd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			struct stat st2;
			if (fd < 0 || fstat(fd, &st2) < 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino) {
				warn(w, "member %s: cannot open the directory (%s); not read", rel,
				     fd < 0 ? strerror(errno) : "it changed while being read");
				if (fd >= 0)
					close(fd);
				return 1;
			}
			char *sub = NULL;
			if (asprintf(&sub, "%s/", rel) < 0) {
				close(fd);
				goto enomem;
			}
			if ((*err = frame_push(s, fd, sub)))
				return -1;
			return 1;
		}
		if (S_ISREG(st.st_mode)) {
			s->m.type = WALK_FILE;
			s->m.size = (uint64_t)st.st_size;
			s->m.size_known = 1;
			s->fdir = f->fd;
			s->fname = f->names[f->i - 1];
			s->fdev = st.st_dev;
			s->fino = st.st_ino;
		} else if (S_ISLNK(st.st_mode)) {
			char target[BUNDLE_NAME_MAX + 1];
			ssize_t n = readlinkat(f->fd, nm, target, sizeof(target) - 1);
			if (n < 0) {
				warn(w, "member %s: cannot read the symbolic link: %s; skipped", rel, strerror(errno));
				continue;
			}
			target[n] = 0;
			s->m.type = WALK_SYMLINK;
			if (!(s->m_link = strdup(target)))
				goto enomem;
			s->m.link = s->m_link;
		} else {
			s->m.type = WALK_SPECIAL;
			s->m.why = S_ISCHR(st.st_mode) ? "a character device" : S_ISBLK(st.st_mode) ? "a block device"
				 : S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISSOCK(st.st_mode) ? "a socket"
				 : "a file of unknown type";
		}
		return 1;
	}
enomem:
	*err = &ck_enomem;
	return -1;
}

static int dir_read(struct src *s, const void **buf, size_t *len, uint64_t *off, struct ck_error **err)
{
	if (s->ffd < 0) {
		struct stat st;
		s->ffd = openat(s->fdir, s->fname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (s->ffd < 0) {
			*err = ck_error_errno(errno, "cannot open");
			return -1;
		}
		if (fstat(s->ffd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_dev != s->fdev || st.st_ino != s->fino) {
			*err = ck_error_create(CK_ERR_INPUT, "it changed while being read");
			return -1;
		}
		if (!s->fbuf && !(s->fbuf = malloc(READ_BUF))) {
			*err = &ck_enomem;
			return -1;
		}
	}
	if (s->foff >= s->m.size)
		return 0;
	size_t want = s->m.size - s->foff < READ_BUF ? (size_t)(s->m.size - s->foff) : READ_BUF;
	ssize_t n;
	do
		n = pread(s->ffd, s->fbuf, want, (off_t)s->foff);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		*err = n < 0 ? ck_error_errno(errno, "read error at offset 0x%llx", (unsigned long long)s->foff)
			     : ck_error_create(CK_ERR_INPUT, "it shrank while being read (0x%llx of 0x%llx bytes)",
					       (unsigned long long)s->foff, (unsigned long long)s->m.size);
		return -1;
	}
	*buf = s->fbuf;
	*len = (size_t)n;
	*off = s->foff;
	s->foff += (uint64_t)n;
	return 1;
}

/* ---- any source ---- */

static int src_next(struct src *s, struct ck_error **err)
{
	if (s->pushed) {
		s->pushed = 0;
		return 1;
	}
	if (s->ended)
		return 0;
	int r = s->a ? archive_next(s, err) : dir_next(s, err);
	s->ended = r == 0;
	return r;
}

static int src_read(struct src *s, const void **buf, size_t *len, uint64_t *off, struct ck_error **err)
{
	if (!s->a)
		return dir_read(s, buf, len, off, err);
	const struct archive_lib *L = &s->w->lib;
	la_int64_t o;
	int r = L->read_data_block(s->a, buf, len, &o);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r < ARCHIVE_WARN || o < 0) {
		*err = ck_error_create(CK_ERR_INPUT, "%s", L->error_string(s->a) ? L->error_string(s->a)
							 : "cannot read the member's data");
		return -1;
	}
	*off = (uint64_t)o;
	return 1;
}

int walk_read(struct walk *w, const void **buf, size_t *len, uint64_t *off, struct ck_error **err)
{
	struct src *s = w->cur;
	if (!s || s->m.type != WALK_FILE || s->m.consumed) {
		*err = ck_error_create(CK_ERR_SYSTEM, "walk_read outside a file member");
		return -1;
	}
	int r = src_read(s, buf, len, off, err);
	if (r > 0)
		s->delivered = *off + *len;
	return r;
}

static void src_fini(struct src *s)
{
	member_reset(s);
	if (s->a)
		s->w->lib.read_free(s->a);
	if (s->fd >= 0)
		close(s->fd);
	while (s->nframes)
		frame_free(&s->frames[--s->nframes]);
	free(s->frames);
	free(s->inbuf);
	free(s->fbuf);
	free(s->prefix);
	free(s->dprefix);
	free(s->frag_base);
}

/* fn for every member of s; bad names and special files are warnings here. */
static struct ck_error *walk_src(struct walk *w, struct src *s)
{
	for (;;) {
		struct ck_error *err = NULL;
		int r = src_next(s, &err);
		if (r < 0)
			return err;
		if (r == 0)
			return w->deferred;
		if (s->m.type == WALK_BAD) {
			if (strcmp(s->m.why, "an empty name") != 0)
				warn(w, "member %s: %s; skipped", s->m.display, s->m.why);
			continue;
		}
		if (s->m.type == WALK_SPECIAL) {
			warn(w, "member %s: %s; skipped", s->m.display, s->m.why);
			continue;
		}
		struct src *saved = w->cur;
		w->cur = s;
		err = w->fn(w->arg, w, &s->m);
		w->cur = saved;
		if (!err)
			err = w->deferred;
		if (err)
			return err;
	}
}

struct ck_error *walk_descend(struct walk *w, const struct walk_member *m, const char *logical, int pieces,
			      struct walk_descent *d)
{
	struct src *p = w->cur;
	const struct archive_lib *L = &w->lib;
	*d = (struct walk_descent){ 0 };
	if (p->depth >= BUNDLE_MAX_NESTING) {
		warn(w, "member %s: an archive nested more than %d deep; not read", m->display, BUNDLE_MAX_NESTING);
		return NULL;
	}
	struct src s = { .w = w, .parent = p, .depth = p->depth + 1, .fd = -1, .ffd = -1 };
	struct ck_error *err = source_id(w, p->id, m->ordinal, &s.id);
	char *ldisp = bundle_name_escape(logical);
	size_t bl;
	uint64_t idx;
	if (!err && (!ldisp || !(s.prefix = prefixed(logical, "/")) || !(s.dprefix = prefixed(ldisp, "/"))))
		err = &ck_enomem;
	if (!err && pieces && bundle_frag_split(m->name, &bl, &idx) && !(s.frag_base = strndup(m->name, bl)))
		err = &ck_enomem;
	free(ldisp);
	s.frag_next = 1;
	member_reset(&s);
	if (!err && !(s.a = L->read_new()))
		err = &ck_enomem;
	if (!err)
		err = archive_setup(L, s.a);
	if (!err && L->read_open(s.a, &s, NULL, nested_read, NULL) != ARCHIVE_OK) {
		warn(w, "member %s: not an archive libarchive reads (%s); listed as a file", m->display,
		     L->error_string(s.a));
	} else if (!err) {
		err = walk_src(w, &s);
		/* The rest of the pieces are the nested stream's even if libarchive stopped early. */
		while (!err && s.frag_base && !s.parent_eof) {
			const void *b;
			la_ssize_t n = nested_read(s.a, &s, &b);
			if (n <= 0)
				break;
		}
	}
	if (err == WALK_STOP || !err)
		err = err ? err : w->deferred;
	d->id = s.id;
	d->cut = s.frag_base && s.fatal && s.cut;
	src_fini(&s);
	return err;
}

struct ck_error *walk_open_file(const struct walk *w, const char *name, int *fd_ret)
{
	int dfd = open(w->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct ck_error *err = NULL;
	if (dfd < 0)
		return ck_error_errno(errno, "%s: cannot open", w->path);
	for (const char *p = name; !err;) {
		const char *e = strchr(p, '/');
		char *comp = e ? strndup(p, (size_t)(e - p)) : strdup(p);
		if (!comp) {
			err = &ck_enomem;
			break;
		}
		int fd = openat(dfd, comp, e ? O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
					     : O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		free(comp);
		if (fd < 0) {
			err = ck_error_create(errno == ENOENT || errno == ELOOP || errno == ENOTDIR ? CK_ERR_INPUT
					      : CK_ERR_SYSTEM, "%s/%s: cannot open: %s", w->path, name, strerror(errno));
			break;
		}
		close(dfd);
		dfd = fd;
		if (!e) {
			struct stat st;
			if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
				err = ck_error_create(CK_ERR_INPUT, "%s/%s: not a regular file", w->path, name);
			else {
				*fd_ret = fd;
				return NULL;
			}
			break;
		}
		p = e + 1;
	}
	close(dfd);
	return err;
}

struct ck_error *walk_run(struct walk *w, walk_fn *fn, void *arg, struct strlist *warnings)
{
	struct src s = { .w = w, .depth = 1, .fd = -1, .ffd = -1, .id = w->base };
	const struct archive_lib *L = &w->lib;
	/* a directory may hold archives too: libarchive is loaded for every bundle */
	struct ck_error *err = w->lib.handle ? NULL : archive_lib_open(&w->lib, "reading bundles");
	w->fn = fn;
	w->arg = arg;
	w->warnings = warnings;
	w->deferred = NULL;
	if (!(s.prefix = strdup(w->prefix)) || !(s.dprefix = bundle_name_escape(w->prefix)))
		err = &ck_enomem;
	member_reset(&s);
	if (!err && w->is_dir) {
		int fd = open(w->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char *rel = strdup("");
		if (fd < 0)
			err = ck_error_create(errno == ENOENT ? CK_ERR_INPUT : CK_ERR_SYSTEM, "%s: cannot open: %s",
					      w->path, strerror(errno));
		else if (!rel)
			err = &ck_enomem;
		else
			err = frame_push(&s, fd, rel), fd = -1, rel = NULL;
		if (fd >= 0)
			close(fd);
		free(rel);
	} else if (!err) {
		s.fd = open(w->path, O_RDONLY | O_CLOEXEC);
		if (s.fd < 0)
			err = ck_error_create(errno == ENOENT ? CK_ERR_INPUT : CK_ERR_SYSTEM, "%s: cannot open: %s",
					      w->path, strerror(errno));
		else if (!(s.inbuf = malloc(READ_BUF)) || !(s.a = L->read_new()))
			err = &ck_enomem;
		else if (!(err = archive_setup(L, s.a))) {
			L->set_read_callback(s.a, file_read);
			L->set_seek_callback(s.a, file_seek);
			L->set_skip_callback(s.a, file_skip);
			L->set_callback_data(s.a, &s);
			if (L->read_open1(s.a) != ARCHIVE_OK)
				err = ck_error_create(CK_ERR_INPUT, "%s: not an archive libarchive reads: %s", w->path,
						      L->error_string(s.a));
		}
	}
	if (!err)
		err = walk_src(w, &s);
	if (err == WALK_STOP)
		err = NULL;
	src_fini(&s);
	w->cur = NULL;
	return err;
}
