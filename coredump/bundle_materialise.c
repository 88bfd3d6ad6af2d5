/*
 * bundle_materialise.c - logical files made readable: a directory bundle's
 * own file, a capture of the inventory pass, or a staged copy made in one
 * more pass over every walk that holds the pieces wanted (walking into only
 * the nested archives that hold them, stopping when all are in).
 */
#include "bundle_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle_name.h"
#include "bundle_stage.h"
#include "bundle_walk.h"

static struct ck_error *view_name(const struct bundle *b, const struct bundle_file *f, int inflated, char **ret)
{
	int n = b->inv.is_dir ? asprintf(ret, "%s/%s%s", b->inv.path, f->path, inflated ? " (decompressed)" : "")
			      : asprintf(ret, "%s: %s%s", b->inv.path, f->path, inflated ? " (decompressed)" : "");
	if (n < 0) {
		*ret = NULL;
		return &ck_enomem;
	}
	return NULL;
}

static struct ck_error *view_set(struct bundle *b, size_t fi, int fd, off_t offset, uint64_t size, int staged,
				 int inflated)
{
	struct fview *v = &b->views[fi];
	struct ck_error *err = view_name(b, &b->inv.files[fi], inflated, &v->name);
	if (err) {
		close(fd);
		return err;
	}
	v->v = (struct bundle_view){ .fd = fd, .offset = offset, .size = size, .name = v->name, .staged = staged,
				     .inflated = inflated };
	snprintf(v->v.path, sizeof(v->v.path), "/proc/self/fd/%d", fd);
	v->have = 1;
	return NULL;
}

struct need {
	uint32_t source;
	uint64_t ordinal;
	size_t req;		/* index into the request */
	uint64_t piece;
};

static int need_cmp(const void *a, const void *b)
{
	const struct need *x = a, *y = b;
	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

struct stage_pass {
	struct bundle *b;
	struct need *needs;
	size_t nneeds, left;		/* left: pieces still to come in this walk */
	struct spool **sps;		/* per request */
	struct ck_error **errs;		/* per request */
	uint32_t *srcs;			/* archives to walk into: sources of needs and their parents */
	size_t nsrcs;
};

static int src_wanted(const struct stage_pass *p, uint32_t id)
{
	for (size_t i = 0; i < p->nsrcs; i++)
		if (p->srcs[i] == id)
			return 1;
	return 0;
}

static struct ck_error *stage_visit(void *arg, struct walk *w, const struct walk_member *m)
{
	struct stage_pass *p = arg;
	if (m->type != WALK_FILE || m->consumed)
		return NULL;
	struct need key = { m->source, m->ordinal, 0, 0 };
	struct need *n = bsearch(&key, p->needs, p->nneeds, sizeof(key), need_cmp);
	if (!n) {
		uint32_t id;
		size_t bl;
		uint64_t idx;
		int piece = bundle_frag_split(m->name, &bl, &idx);
		if (walk_nested_id(w, m->source, m->ordinal, &id) && src_wanted(p, id)) {
			char *logical = strndup(m->name, piece ? bl : strlen(m->name));
			struct walk_descent d;
			struct ck_error *err = logical ? walk_descend(w, m, logical, piece, &d) : &ck_enomem;
			free(logical);
			return err;
		}
		return NULL;
	}
	while (n > p->needs && need_cmp(n - 1, &key) == 0)
		n--;
	struct need *end = n;
	while (end < p->needs + p->nneeds && need_cmp(end, &key) == 0)
		end++;
	for (struct need *x = n; x < end; x++)
		if (!p->errs[x->req] && (p->errs[x->req] = spool_piece_begin(p->sps[x->req], x->piece,
									   m->size_known ? m->size : 0)))
			p->errs[x->req] = ck_error_prefix(p->errs[x->req], "%s: member %s", p->b->inv.path, m->display);
	const void *buf;
	size_t len;
	uint64_t off, top = 0;
	struct ck_error *rerr = NULL;
	int r;
	while ((r = walk_read(w, &buf, &len, &off, &rerr)) > 0) {
		top = off + len > top ? off + len : top;
		for (struct need *x = n; x < end; x++)
			if (!p->errs[x->req] && (p->errs[x->req] = spool_piece_data(p->sps[x->req], buf, len, off)))
				p->errs[x->req] = ck_error_prefix(p->errs[x->req], "%s: member %s", p->b->inv.path,
								  m->display);
	}
	for (struct need *x = n; x < end; x++) {
		if (r < 0 && !p->errs[x->req])
			p->errs[x->req] = ck_error_create(CK_ERR_INPUT, "%s: member %s cannot be read: %s", p->b->inv.path,
							  m->display, rerr->msg ? rerr->msg : "out of memory");
		if (!p->errs[x->req] && (p->errs[x->req] = spool_piece_end(p->sps[x->req], m->size_known ? m->size : top)))
			p->errs[x->req] = ck_error_prefix(p->errs[x->req], "%s: member %s", p->b->inv.path, m->display);
		p->left--;
	}
	ck_error_destroy(rerr);
	return p->left ? NULL : WALK_STOP;
}

/* The archives to walk into for a piece in source id: it and the ones holding it. */
static struct ck_error *src_add(struct stage_pass *p, struct walk *w, uint32_t id)
{
	while (!src_wanted(p, id)) {
		uint32_t *n = realloc(p->srcs, (p->nsrcs + 1) * sizeof(*n));
		if (!n)
			return &ck_enomem;
		p->srcs = n;
		n[p->nsrcs++] = id;
		if (!walk_parent(w, id, &id))
			break;
	}
	return NULL;
}

struct walk *bundle_walk_of(const struct bundle *b, uint32_t source)
{
	for (size_t i = 0; i < b->nextras; i++)
		if (walk_owns(b->extras[i].w, source))
			return b->extras[i].w;
	return b->walk;
}

struct ck_error *bundle_stage_files(struct bundle *b, const struct bundle_file *const *files, size_t n,
				    unsigned flags, struct spool **sps)
{
	struct stage_pass p = { .b = b, .sps = sps };
	struct ck_error *err = NULL;
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		total += files[i]->npieces;
		sps[i] = NULL;
	}
	p.needs = calloc(total ? total : 1, sizeof(*p.needs));
	p.errs = calloc(n ? n : 1, sizeof(*p.errs));
	if (!p.needs || !p.errs)
		err = &ck_enomem;
	for (size_t i = 0; i < n && !err; i++) {
		const struct bundle_file *f = files[i];
		err = spool_create(b->stage_dir, 0, f->gzip && (flags & BUNDLE_INFLATE) ? SPOOL_INFLATE : 0, &sps[i]);
		for (size_t j = 0; j < f->npieces && !err; j++)
			p.needs[p.nneeds++] = (struct need){ f->pieces[j].source, f->pieces[j].ordinal, i, j };
	}
	if (!err)
		qsort(p.needs, p.nneeds, sizeof(*p.needs), need_cmp);
	/* one pass over each walk that holds pieces: the bundle, then staged nested archives */
	for (size_t k = 0; k <= b->nextras && !err; k++) {
		struct walk *w = k ? b->extras[k - 1].w : b->walk;
		p.left = 0;
		p.nsrcs = 0;
		for (size_t i = 0; i < p.nneeds && !err; i++)
			if (walk_owns(w, p.needs[i].source)) {
				p.left++;
				err = src_add(&p, w, p.needs[i].source);
			}
		if (!err && p.left)
			err = walk_run(w, stage_visit, &p, NULL);
	}
	for (size_t i = 0; i < n && !err; i++) {
		if ((err = p.errs[i]))
			p.errs[i] = NULL;
		else if ((err = spool_finish(sps[i], files[i]->npieces)))
			err = ck_error_prefix(err, "%s: %s", b->inv.path, files[i]->path);
	}
	for (size_t i = 0; i < n; i++) {
		if (err) {
			spool_destroy(sps[i]);
			sps[i] = NULL;
		}
		if (p.errs)
			ck_error_destroy(p.errs[i]);
	}
	free(p.needs);
	free(p.errs);
	free(p.srcs);
	return err;
}

/* Stage requests todo[0..n) (indices into files) and give them views. */
static struct ck_error *stage_pass(struct bundle *b, const struct bundle_file *const *files, const size_t *todo,
				   size_t n, unsigned flags)
{
	const struct bundle_file **fs = calloc(n, sizeof(*fs));
	struct spool **sps = calloc(n, sizeof(*sps));
	struct ck_error *err = fs && sps ? NULL : &ck_enomem;
	for (size_t i = 0; i < n && !err; i++)
		fs[i] = files[todo[i]];
	if (!err)
		err = bundle_stage_files(b, fs, n, flags, sps);
	for (size_t i = 0; i < n && !err; i++) {
		size_t fi = (size_t)(fs[i] - b->inv.files);
		err = view_set(b, fi, spool_take_fd(sps[i]), 0, sps[i]->size, 1, sps[i]->inflate);
	}
	for (size_t i = 0; sps && i < n; i++)
		spool_destroy(sps[i]);
	free(fs);
	free(sps);
	return err;
}

struct ck_error *bundle_materialise(struct bundle *b, const struct bundle_file *const *files, size_t n,
				    unsigned flags, struct bundle_view *views)
{
	size_t *todo = calloc(n ? n : 1, sizeof(*todo)), ntodo = 0;
	struct ck_error *err = todo ? NULL : &ck_enomem;
	for (size_t i = 0; i < n && !err; i++) {
		const struct bundle_file *f = files[i];
		if (f < b->inv.files || f >= b->inv.files + b->inv.nfiles) {
			err = ck_error_create(CK_ERR_SYSTEM, "bundle_materialise: not a file of this bundle");
			break;
		}
		size_t fi = (size_t)(f - b->inv.files);
		int inflate = f->gzip && (flags & BUNDLE_INFLATE);
		struct fview *v = &b->views[fi];
		if (f->problem) {
			err = ck_error_create(CK_ERR_INPUT, "%s: %s: %s", b->inv.path, f->path, f->problem);
			break;
		}
		if (v->have && v->v.inflated == inflate)
			continue;
		if (v->have) {
			close(v->v.fd);
			free(v->name);
			*v = (struct fview){ 0 };
		}
		struct capture *c = NULL;
		for (size_t k = 0; k < b->ncaps && !c; k++)
			if (b->caps[k].sp && b->caps[k].sp->complete && strcmp(b->caps[k].logical, f->path) == 0 &&
			    b->caps[k].sp->inflate == inflate)
				c = &b->caps[k];
		if (c) {
			struct spool *sp = c->sp;
			err = view_set(b, fi, spool_take_fd(sp), (off_t)sp->base, sp->size, 1, inflate);
			bundle_capture_drop(c);
			continue;
		}
		int fd;
		if (b->inv.is_dir && f->npieces == 1 && f->pieces[0].source == 0 && !inflate &&
		    !(err = walk_open_file(b->walk, f->path, &fd))) {
			struct stat st;
			err = fstat(fd, &st) < 0 ? ck_error_errno(errno, "%s/%s", b->inv.path, f->path)
						: view_set(b, fi, fd, 0, (uint64_t)st.st_size, 0, 0);
			continue;
		}
		if (err)
			break;
		size_t k = 0;
		while (k < ntodo && files[todo[k]] != f)
			k++;
		if (k == ntodo)
			todo[ntodo++] = i;
	}
	if (!err && ntodo)
		err = stage_pass(b, files, todo, ntodo, flags);
	free(todo);
	for (size_t i = 0; i < n && !err; i++)
		views[i] = b->views[files[i] - b->inv.files].v;
	return err;
}

