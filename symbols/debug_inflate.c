/* debug_inflate.c - compressed .debug_* sections inflated with libdeflate into huge pages (debug_inflate.h). */
#include "debug_inflate.h"

#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum {
	HUGE_PAGE = 2 << 20,	/* x86-64 transparent huge page */
	MAX_ALIGN = 4096,	/* larger ch_addralign: left to libelf */
	MAX_RATIO = 1032,	/* zlib's best ratio; libelf refuses more */
};

struct candidate {
	Elf_Scn *scn;
	Elf_Data *data;
	GElf_Chdr ch;
	const uint8_t *in;
	size_t in_len;
	size_t out_off;		/* where its bytes go in the mapping */
};

/* A section libelf would inflate and our rules take; fills c except out_off. */
static bool candidate_of(Elf *elf, size_t shstrndx, Elf_Scn *scn, struct candidate *c)
{
	GElf_Shdr sh;
	if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_COMPRESSED) || sh.sh_type == SHT_NOBITS)
		return false;
	const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
	if (!name || strncmp(name, ".debug_", 7) != 0)
		return false;
	GElf_Chdr ch;
	if (!gelf_getchdr(scn, &ch) || ch.ch_type != ELFCOMPRESS_ZLIB || ch.ch_size == 0)
		return false;
	if (ch.ch_addralign > MAX_ALIGN || (ch.ch_addralign & (ch.ch_addralign - 1)))
		return false;
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t hdr = gelf_getclass(elf) == ELFCLASS32 ? sizeof(Elf32_Chdr) : sizeof(Elf64_Chdr);
	if (!d || !d->d_buf || d->d_size < hdr || ch.ch_size / MAX_RATIO > d->d_size - hdr)
		return false;
	*c = (struct candidate){ scn, d, ch, (const uint8_t *)d->d_buf + hdr, d->d_size - hdr, 0 };
	return true;
}

/* libelf's rule: zlib streams back to back until the input ends, exactly size bytes out. */
static bool inflate_all(struct libdeflate_decompressor *dec, const uint8_t *in, size_t in_len, uint8_t *out,
			size_t size)
{
	size_t in_off = 0, out_off = 0;
	while (in_off < in_len) {
		size_t used = 0, got = 0;
		if (libdeflate_zlib_decompress_ex(dec, in + in_off, in_len - in_off, out + out_off, size - out_off,
						  &used, &got) != LIBDEFLATE_SUCCESS || used == 0)
			return false;
		in_off += used;
		out_off += got;
	}
	return out_off == size;
}

/* What elf_compress(scn, 0, 0) leaves: the inflated bytes as the section's data, its header uncompressed. */
static bool install(struct candidate *c, uint8_t *out)
{
	GElf_Shdr sh;
	if (!gelf_getshdr(c->scn, &sh))
		return false;
	sh.sh_flags &= ~(GElf_Xword)SHF_COMPRESSED;
	sh.sh_size = c->ch.ch_size;
	sh.sh_addralign = c->ch.ch_addralign;
	if (!gelf_update_shdr(c->scn, &sh))
		return false;
	c->data->d_buf = out;
	c->data->d_size = c->ch.ch_size;
	c->data->d_type = ELF_T_BYTE;
	c->data->d_align = c->ch.ch_addralign ? c->ch.ch_addralign : 1;
	c->data->d_off = 0;
	return true;
}

/* len bytes of anonymous memory starting on a huge-page boundary, advised for huge pages. */
static void *map_huge(size_t len)
{
	size_t span = len + HUGE_PAGE;
	uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uint8_t *start = (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	if (start > p)
		munmap(p, (size_t)(start - p));
	size_t tail = (size_t)(p + span - (start + len));
	if (tail)
		munmap(start + len, tail);
	(void)madvise(start, len, MADV_HUGEPAGE);	/* a hint: without THP, plain pages */
	return start;
}

bool debug_inflate(Elf *elf, struct debug_inflated *out)
{
	*out = (struct debug_inflated){ NULL, 0 };
	size_t shstrndx, nscn;
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0 || elf_getshdrnum(elf, &nscn) != 0 || nscn == 0)
		return false;
	struct candidate *c = calloc(nscn, sizeof(*c));
	if (!c)
		return false;
	size_t n = 0, total = 0;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) && n < nscn;) {
		if (!candidate_of(elf, shstrndx, scn, &c[n]))
			continue;
		size_t align = c[n].ch.ch_addralign > 64 ? (size_t)c[n].ch.ch_addralign : 64;
		size_t off = (total + align - 1) & ~(align - 1);
		if (off < total || c[n].ch.ch_size > SIZE_MAX - off)
			break;
		c[n].out_off = off;
		total = off + (size_t)c[n].ch.ch_size;
		n++;
	}
	struct libdeflate_decompressor *dec = n ? libdeflate_alloc_decompressor() : NULL;
	uint8_t *base = dec ? map_huge(total) : NULL;
	size_t done = 0;
	for (size_t i = 0; base && i < n; i++)
		if (inflate_all(dec, c[i].in, c[i].in_len, base + c[i].out_off, (size_t)c[i].ch.ch_size) &&
		    install(&c[i], base + c[i].out_off))
			done++;
	if (dec)
		libdeflate_free_decompressor(dec);
	free(c);
	if (base && !done)
		munmap(base, total);
	if (!base || !done)
		return false;
	*out = (struct debug_inflated){ base, total };
	return true;
}

void debug_inflated_free(struct debug_inflated *d)
{
	if (d->base)
		munmap(d->base, d->len);
	*d = (struct debug_inflated){ NULL, 0 };
}
