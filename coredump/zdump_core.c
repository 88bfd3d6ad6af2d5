/* zdump_core.c - ELF cores in a zdump: where one ends, and its copy into an unnamed temporary (zdump_scan.h). */
#include "zdump_scan_int.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "le.h"
#include "tempfile.h"

enum {
	PHDR_SIZE = 56,		/* Elf64_Phdr */
	SHDR_SIZE = 64,		/* Elf64_Shdr */
	MAX_PHNUM = 1 << 22,	/* more program headers than any core has */
};

bool zdump_core_ident(const uint8_t *p)
{
	return memcmp(p, ELFMAG, SELFMAG) == 0 && p[EI_CLASS] == ELFCLASS64 && p[EI_DATA] == ELFDATA2LSB &&
	       p[EI_VERSION] == EV_CURRENT && le_get(p + 16, 2) == ET_CORE;
}


int zdump_read_at(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	ssize_t n = zdump_pread_full(fd, buf, len, off);
	return n == (ssize_t)len ? 0 : -1;
}

static bool add_over(uint64_t a, uint64_t b, uint64_t *r)
{
	return __builtin_add_overflow(a, b, r);
}

int zdump_elf_extent(int fd, uint64_t base, uint64_t avail, uint64_t *extent)
{
	uint8_t eh[64];
	if (avail < sizeof(eh))
		return 0;
	if (zdump_read_at(fd, eh, sizeof(eh), base) != 0)
		return 0;
	if (!zdump_core_ident(eh) || le_get(eh + 54, 2) != PHDR_SIZE)
		return -1;
	uint64_t phoff = le64(eh + 32), shoff = le64(eh + 40), phnum = le_get(eh + 56, 2);
	uint64_t shentsize = le_get(eh + 58, 2), shnum = le_get(eh + 60, 2), end = sizeof(eh), t;
	if (phnum == PN_XNUM || (shoff && shnum == 0)) {
		/* the real counts are in section header 0 (sh_info, sh_size) */
		uint8_t sh[SHDR_SIZE];
		if (!shoff || shentsize != SHDR_SIZE || add_over(shoff, SHDR_SIZE, &t))
			return -1;
		if (t > avail)
			return 0;
		if (zdump_read_at(fd, sh, sizeof(sh), base + shoff) != 0)
			return 0;
		if (phnum == PN_XNUM)
			phnum = le32(sh + 44);
		if (shnum == 0)
			shnum = le64(sh + 32);
	}
	if (phnum == 0 || phnum > MAX_PHNUM || phoff < sizeof(eh) || add_over(phoff, phnum * PHDR_SIZE, &t))
		return -1;
	if (t > avail)
		return 0;
	end = t;
	if (shoff && shnum) {
		if (shentsize != SHDR_SIZE || shnum > MAX_PHNUM || add_over(shoff, shnum * SHDR_SIZE, &t))
			return -1;
		end = t > end ? t : end;
	}
	uint8_t ph[64 * PHDR_SIZE];
	for (uint64_t i = 0; i < phnum; i += 64) {
		size_t k = phnum - i < 64 ? (size_t)(phnum - i) : 64;
		if (zdump_read_at(fd, ph, k * PHDR_SIZE, base + phoff + i * PHDR_SIZE) != 0)
			return 0;
		for (size_t j = 0; j < k; j++) {
			const uint8_t *p = ph + j * PHDR_SIZE;
			uint64_t off = le64(p + 8), filesz = le64(p + 32);
			if (!filesz)
				continue;
			if (add_over(off, filesz, &t))
				return -1;
			end = t > end ? t : end;
		}
	}
	*extent = end;
	return 1;
}

/* A new core in scan->cores with its temporary; -1 when the list is full (counted). */
static struct ck_error *core_new(struct scanner *sc, int stream, uint64_t off, int *idx)
{
	struct zdump_scan *s = sc->s;
	*idx = -1;
	if (s->ncores >= ZDUMP_MAX_CORES) {
		s->cores_dropped++;
		return NULL;
	}
	int fd;
	struct ck_error *err = tempfile_create(tempfile_dir(), &fd);
	if (err)
		return ck_error_prefix(err, "%s: an ELF core at 0x%llx", sc->name, (unsigned long long)off);
	s->cores[s->ncores] = (struct zdump_core){ .stream = stream, .offset = off, .fd = fd };
	*idx = (int)s->ncores++;
	return NULL;
}

/* Forget the last core (its header was not a core's after all). */
static void core_drop(struct scanner *sc, int idx)
{
	struct zdump_scan *s = sc->s;
	if (idx < 0 || (size_t)idx + 1 != s->ncores)
		return;
	close(s->cores[idx].fd);
	s->ncores--;
}

/* The core whose header is at file offset off: copied out; *skip = its bytes in the file (0: not a core). */
struct ck_error *zdump_raw_core(struct scanner *sc, uint64_t off, uint64_t *skip)
{
	uint64_t extent = 0;
	*skip = 0;
	int st = zdump_elf_extent(sc->fd, off, sc->size - off, &extent);
	if (st < 0 || (st == 0 && sc->size - off < 64))
		return NULL;
	if (st == 0)
		extent = UINT64_MAX;	/* the file ends inside its headers: a core cut short */
	uint64_t len = sc->size - off;
	len = extent < len ? extent : len;
	len = sc->lim->core_bytes < len ? sc->lim->core_bytes : len;
	int idx;
	struct ck_error *err = core_new(sc, -1, off, &idx);
	*skip = len;
	if (err || idx < 0)
		return err;
	struct zdump_core *c = &sc->s->cores[idx];
	c->elf_size = extent == UINT64_MAX ? 0 : extent;
	for (uint64_t done = 0; done < len;) {
		size_t n = len - done < ZDUMP_COPY ? (size_t)(len - done) : ZDUMP_COPY;
		if (zdump_pread_full(sc->fd, sc->out, n, off + done) != (ssize_t)n)
			return zdump_read_error(sc, off + done);
		if ((err = tempfile_write_sparse(c->fd, sc->out, n, (off_t)done)))
			return ck_error_prefix(err, "%s: copying the ELF core at 0x%llx to %s", sc->name,
					       (unsigned long long)off, tempfile_dir());
		done += n;
	}
	if (ftruncate(c->fd, (off_t)len) != 0)
		return ck_error_errno(errno, "%s: copying the ELF core at 0x%llx to %s", sc->name,
				      (unsigned long long)off, tempfile_dir());
	c->size = len;
	return NULL;
}

/* The captured core is complete (or its stream ended): keep it, or drop a non-core. */
void zdump_capture_end(struct scanner *sc, struct stream_out *so)
{
	struct capture *cp = &so->cap;
	if (cp->core < 0)
		return;
	struct zdump_core *c = &sc->s->cores[cp->core];
	if (!cp->extent && zdump_elf_extent(c->fd, 0, cp->len, &cp->extent) != 1)
		core_drop(sc, cp->core);
	else {
		c->size = cp->len;
		c->elf_size = cp->extent;
	}
	*cp = (struct capture){ .core = -1 };
}

/* Capture up to n bytes into the open core; *used = how many it took (the rest follows the core). */
struct ck_error *zdump_capture_feed(struct scanner *sc, struct stream_out *so, const uint8_t *p, size_t n,
				     size_t *used)
{
	struct capture *cp = &so->cap;
	struct zdump_core *c = &sc->s->cores[cp->core];
	uint64_t room = cp->extent ? cp->extent - cp->len : sc->lim->core_bytes - cp->len;
	size_t take = n < room ? n : (size_t)room;
	struct ck_error *err = tempfile_write_sparse(c->fd, p, take, (off_t)cp->len);
	if (err)
		return ck_error_prefix(err, "%s: copying an ELF core to %s", sc->name, tempfile_dir());
	cp->len += take;
	*used = take;
	if (ftruncate(c->fd, (off_t)cp->len) != 0)
		return ck_error_errno(errno, "%s: copying an ELF core to %s", sc->name, tempfile_dir());
	if (!cp->extent) {
		int st = zdump_elf_extent(c->fd, 0, cp->len, &cp->extent);
		if (st < 0) {
			/* not a core after all: its bytes are the stream's again */
			*used = 0;
			core_drop(sc, cp->core);
			*cp = (struct capture){ .core = -1 };
			return NULL;
		}
		if (st > 0 && cp->len > cp->extent) {
			*used -= (size_t)(cp->len - cp->extent);
			cp->len = cp->extent;
			if (ftruncate(c->fd, (off_t)cp->len) != 0)
				return ck_error_errno(errno, "%s: copying an ELF core to %s", sc->name, tempfile_dir());
		}
	}
	if ((cp->extent && cp->len >= cp->extent) || cp->len >= sc->lim->core_bytes)
		zdump_capture_end(sc, so);
	return NULL;
}

struct ck_error *zdump_capture_begin(struct scanner *sc, struct stream_out *so, uint64_t off)
{
	int idx;
	struct ck_error *err = core_new(sc, so->k, off, &idx);
	so->cap = (struct capture){ .core = idx };
	return err;
}

