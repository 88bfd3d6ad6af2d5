/*
 * test_debug_inflate.c - compressed .debug_* sections inflated ahead of libdw
 * (debug_inflate.h), against libelf's own elf_compress(scn, 0, 0) on a second
 * handle of the same file: the same sections taken or refused, the same bytes
 * and section headers.  Files: ELF files written here with libelf (good and
 * damaged zlib streams), and libc6-dbg's real debug file for this libc.
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "debug_inflate.h"
#include "unit.h"

static struct unit u;

/* What libelf makes of section i: its header, and its data after elf_compress(scn, 0, 0). */
struct ref {
	bool inflated;
	GElf_Shdr sh;
	void *bytes;
	size_t size;
};

static void reference(const char *path, size_t i, struct ref *r)
{
	int fd = open(path, O_RDONLY);
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, NULL);
	Elf_Scn *scn = elf_getscn(e, i);
	memset(r, 0, sizeof(*r));
	r->inflated = scn && elf_compress(scn, 0, 0) == 1;
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	if (scn)
		gelf_getshdr(scn, &r->sh);
	if (d && d->d_buf && d->d_size && (r->bytes = malloc(d->d_size))) {
		memcpy(r->bytes, d->d_buf, d->d_size);
		r->size = d->d_size;
	}
	elf_end(e);
	close(fd);
}

/* Our inflation of path, compared with libelf's section by section; false on any difference.
 * *ninflated: the sections libelf inflated (ours took the same ones). */
static bool same_as_libelf(const char *path, size_t *ninflated)
{
	int fd = open(path, O_RDONLY);
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, NULL);
	struct debug_inflated d;
	bool any = debug_inflate(e, &d), ok = e != NULL;
	size_t nscn = 0, n = 0;
	elf_getshdrnum(e, &nscn);
	for (size_t i = 1; ok && i < nscn; i++) {
		struct ref r;
		reference(path, i, &r);
		Elf_Scn *scn = elf_getscn(e, i);
		GElf_Shdr sh;
		gelf_getshdr(scn, &sh);
		if (r.inflated) {
			Elf_Data *dd = elf_getdata(scn, NULL);
			n++;
			ok = !(sh.sh_flags & SHF_COMPRESSED) && sh.sh_size == r.sh.sh_size && sh.sh_flags == r.sh.sh_flags &&
			     sh.sh_addralign == r.sh.sh_addralign && dd && dd->d_size == r.size &&
			     memcmp(dd->d_buf, r.bytes, r.size) == 0;
		} else {
			/* refused by libelf: left exactly as it was for libelf to refuse again */
			ok = sh.sh_flags == r.sh.sh_flags && sh.sh_size == r.sh.sh_size;
		}
		free(r.bytes);
	}
	ok = ok && any == (n > 0);
	*ninflated = n;
	elf_end(e);
	close(fd);
	debug_inflated_free(&d);
	return ok;
}

/* An ELF64 relocatable file with one .debug_info section of payload bytes
 * (behind an Elf64_Chdr claiming ch_size) marked SHF_COMPRESSED. */
static int write_elf(const char *path, const void *payload, size_t len, uint64_t ch_size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_WRITE, NULL) : NULL;
	if (!e)
		return -1;
	Elf64_Ehdr *eh = elf64_newehdr(e);
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_REL;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	static const char names[] = "\0.debug_info\0.shstrtab";
	uint8_t *buf = malloc(sizeof(Elf64_Chdr) + len);
	Elf64_Chdr ch = { ELFCOMPRESS_ZLIB, 0, ch_size, 1 };
	memcpy(buf, &ch, sizeof(ch));
	memcpy(buf + sizeof(ch), payload, len);
	Elf_Scn *s = elf_newscn(e);
	Elf_Data *d = elf_newdata(s);
	d->d_buf = buf;
	d->d_size = sizeof(ch) + len;
	d->d_type = ELF_T_BYTE;
	d->d_align = 8;
	Elf64_Shdr *sh = elf64_getshdr(s);
	sh->sh_name = 1;
	sh->sh_type = SHT_PROGBITS;
	sh->sh_flags = SHF_COMPRESSED;
	sh->sh_addralign = 8;
	Elf_Scn *str = elf_newscn(e);
	d = elf_newdata(str);
	d->d_buf = (void *)names;
	d->d_size = sizeof(names);
	d->d_type = ELF_T_BYTE;
	sh = elf64_getshdr(str);
	sh->sh_name = 13;
	sh->sh_type = SHT_STRTAB;
	eh->e_shstrndx = (Elf64_Half)elf_ndxscn(str);
	int rc = elf_update(e, ELF_C_WRITE) < 0 ? -1 : 0;
	elf_end(e);
	close(fd);
	free(buf);
	return rc;
}

static size_t zlib(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	uLongf n = cap;
	return compress2(out, &n, in, len, 6) == Z_OK ? n : 0;
}

static void test_synthetic(const char *dir)
{
	UNIT_BEGIN(&u, "debug-inflate-same-as-libelf");
	char path[4200];
	snprintf(path, sizeof(path), "%s/t.o", dir);
	enum { N = 300000 };
	uint8_t *plain = malloc(N), *z = malloc(2 * N + 64);
	for (size_t i = 0; i < N; i++)
		plain[i] = (uint8_t)(i * 7 / 13 + (i >> 9));
	size_t zl = zlib(plain, N, z, 2 * N);
	size_t n = 0;
	/* a good stream: inflated, the bytes compressed */
	CHECK(&u, zl && write_elf(path, z, zl, N) == 0 && same_as_libelf(path, &n) && n == 1);
	/* two zlib streams back to back: libelf takes both */
	size_t zl2 = zlib(plain, 1000, z + zl, N);
	CHECK(&u, zl2 && write_elf(path, z, zl + zl2, N + 1000) == 0 && same_as_libelf(path, &n) && n == 1);
	/* a size that does not match the data, larger and smaller: refused */
	CHECK(&u, write_elf(path, z, zl, N + 1) == 0 && same_as_libelf(path, &n) && n == 0);
	CHECK(&u, write_elf(path, z, zl, N - 1) == 0 && same_as_libelf(path, &n) && n == 0);
	/* a damaged Adler-32 (the stream's last byte): refused */
	z[zl - 1] ^= 1;
	CHECK(&u, write_elf(path, z, zl, N) == 0 && same_as_libelf(path, &n) && n == 0);
	z[zl - 1] ^= 1;
	/* garbage after the stream: refused */
	CHECK(&u, write_elf(path, z, zl + 3, N) == 0 && same_as_libelf(path, &n) && n == 0);
	/* a size beyond zlib's 1032:1: refused before any allocation */
	CHECK(&u, write_elf(path, z, 16, 1032 * 16 + 1032) == 0 && same_as_libelf(path, &n) && n == 0);
	unlink(path);
	free(plain);
	free(z);
	UNIT_END(&u);
}

/* libc6-dbg's debug file for this machine's libc (found by build-id). */
static void test_libc_dbg(void)
{
	UNIT_BEGIN(&u, "debug-inflate-libc6-dbg-same-as-libelf");
	int fd = open("/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY);
	Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	char path[256] = "";
	for (Elf_Scn *s = NULL; e && (s = elf_nextscn(e, s));) {
		GElf_Shdr sh;
		Elf_Data *d = elf_getdata(s, NULL);
		size_t off = 0, no, dof;
		GElf_Nhdr nh;
		if (!gelf_getshdr(s, &sh) || sh.sh_type != SHT_NOTE || !d)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &no, &dof)) > 0)
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_descsz > 1) {
				const uint8_t *b = (const uint8_t *)d->d_buf + dof;
				int k = snprintf(path, sizeof(path), "/usr/lib/debug/.build-id/%02x/", b[0]);
				for (size_t i = 1; i < nh.n_descsz; i++)
					k += snprintf(path + k, sizeof(path) - (size_t)k, "%02x", b[i]);
				snprintf(path + k, sizeof(path) - (size_t)k, ".debug");
			}
	}
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	size_t n = 0;
	CHECK(&u, path[0] && access(path, R_OK) == 0);	/* libc6-dbg: scripts/install-deps.sh */
	CHECK(&u, same_as_libelf(path, &n) && n >= 5);	/* .debug_info, _abbrev, _line, _str, _aranges at least */
	UNIT_END(&u);
}

int main(void)
{
	elf_version(EV_CURRENT);
	char dir[] = "/tmp/test_debug_inflate.XXXXXX";
	if (!mkdtemp(dir)) {
		printf("FAIL mkdtemp\n");
		return 1;
	}
	test_synthetic(dir);
	test_libc_dbg();
	rmdir(dir);
	return UNIT_EXIT(&u);
}
