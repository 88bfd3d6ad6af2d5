/* input.c - the input classifier: compression, tar, ELF cores, machine formats. */
#include "input.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input_unpack.h"
#include "tempfile.h"

enum { TAR_MAGIC_OFF = 257 };

enum input_compression input_compression_of(const uint8_t *h, size_t len)
{
	if (len >= 4 && memcmp(h, "\x28\xb5\x2f\xfd", 4) == 0)
		return INPUT_ZSTD;
	/* lz4 frame format, and the legacy format of `lz4 -l` */
	if (len >= 4 && (memcmp(h, "\x04\x22\x4d\x18", 4) == 0 || memcmp(h, "\x02\x21\x4c\x18", 4) == 0))
		return INPUT_LZ4;
	if (len >= 6 && memcmp(h, "\xfd" "7zXZ\0", 6) == 0)
		return INPUT_XZ;
	if (len >= 3 && h[0] == 0x1f && h[1] == 0x8b && h[2] == 8)	/* deflate, the only method */
		return INPUT_GZIP;
	if (len >= 4 && memcmp(h, "BZh", 3) == 0 && h[3] >= '1' && h[3] <= '9')
		return INPUT_BZIP2;
	return INPUT_PLAIN;
}

const char *input_compression_name(enum input_compression c)
{
	switch (c) {
	case INPUT_ZSTD: return "zstd";
	case INPUT_LZ4: return "lz4";
	case INPUT_XZ: return "xz";
	case INPUT_GZIP: return "gzip";
	case INPUT_BZIP2: return "bzip2";
	default: return NULL;
	}
}

enum {
	NOTE_WINDOW = 64 * 1024,	/* bytes of notes read at a time */
	NOTE_NAME_MAX = 16,		/* longest name looked at ("VMCOREINFO") */
};

struct note_scan {
	bool prpsinfo, vmcoreinfo, ok;
};

/*
 * The notes of one PT_NOTE (4-byte aligned, as gelf_getnote reads ELF_T_NHDR)
 * through a small window: a core of a thousand threads has megabytes of
 * notes, and only their names and types matter here (reading them whole
 * costs a page fault per 4 KiB of buffer).  A note that does not fit ends
 * the scan; a segment past the end of the file is not read at all.
 */
static void scan_notes(int fd, off_t fsize, const GElf_Phdr *ph, uint8_t *win, struct note_scan *ns)
{
	if (ph->p_offset > (uint64_t)fsize || ph->p_filesz > (uint64_t)fsize - ph->p_offset)
		return;
	ns->ok = true;
	uint64_t pos = 0, size = ph->p_filesz;
	uint64_t wstart = 0, wlen = 0;		/* the window holds [wstart, wstart + wlen) */
	while (size - pos >= 12) {
		/* header and name (up to NOTE_NAME_MAX bytes) in the window, else read from pos */
		uint64_t want = size - pos < 12 + NOTE_NAME_MAX ? size - pos : 12 + NOTE_NAME_MAX;
		if (pos < wstart || pos + want > wstart + wlen) {
			uint64_t n = size - pos < NOTE_WINDOW ? size - pos : NOTE_WINDOW;
			ssize_t got = pread(fd, win, (size_t)n, (off_t)(ph->p_offset + pos));
			if (got < (ssize_t)want)
				return;
			wstart = pos;
			wlen = (uint64_t)got;
		}
		const uint8_t *h = win + (pos - wstart);
		uint32_t namesz, descsz, type;
		memcpy(&namesz, h, 4);
		memcpy(&descsz, h + 4, 4);
		memcpy(&type, h + 8, 4);
		uint64_t next = pos + 12 + (((uint64_t)namesz + 3) & ~3ULL) + (((uint64_t)descsz + 3) & ~3ULL);
		if (next > size)
			return;
		const char *name = (const char *)h + 12;
		if (namesz == 5 && memcmp(name, "CORE", 5) == 0 && type == NT_PRPSINFO)
			ns->prpsinfo = true;
		if (namesz == 11 && memcmp(name, "VMCOREINFO", 11) == 0)
			ns->vmcoreinfo = true;
		pos = next;
	}
}

/*
 * An ELF core with an NT_PRPSINFO note and no VMCOREINFO note is a process
 * core; any other (a kernel vmcore, a QEMU dump) is a machine image.  Notes
 * that cannot be read: a process core, whose reader then says what is wrong.
 */
static enum input_kind elf_core_kind(int fd)
{
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	size_t phnum;
	enum input_kind kind = INPUT_PROCESS_CORE;
	struct stat st;
	uint8_t *win = NULL;
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &phnum) != 0 || fstat(fd, &st) != 0 ||
	    !(win = malloc(NOTE_WINDOW)))
		goto out;
	struct note_scan ns = { false, false, false };
	for (size_t i = 0; i < phnum && i < 65536; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_NOTE || ph.p_filesz > (1u << 30))
			continue;
		scan_notes(fd, st.st_size, &ph, win, &ns);
	}
	if (ns.ok && (ns.vmcoreinfo || !ns.prpsinfo))
		kind = INPUT_MACHINE;
out:
	free(win);
	if (e)
		elf_end(e);
	return kind;
}

enum input_zdump_name input_zdump_name(const char *path, char *world, size_t cap)
{
	const char *b = strrchr(path ? path : "", '/');
	b = b ? b + 1 : (path ? path : "");
	if (world && cap)
		world[0] = 0;
	if (!strncmp(b, "vmkernel-zdump.", 15) || !strncmp(b, "vmkernel-zdump-", 15))
		return ZDUMP_NAME_KERNEL;
	/* NAME-zdump.NNN: three digits after the dot (the counter cycles .000, .001, ...) */
	const char *z = strstr(b, "-zdump.");
	if (!z || z == b || strlen(z) != 10 || !isdigit((unsigned char)z[7]) || !isdigit((unsigned char)z[8]) ||
	    !isdigit((unsigned char)z[9]))
		return ZDUMP_NAME_NONE;
	if (world && cap)
		snprintf(world, cap, "%.*s", (int)(z - b), b);
	return (size_t)(z - b) == 3 && !strncmp(b, "vmx", 3) ? ZDUMP_NAME_VMX : ZDUMP_NAME_USERWORLD;
}

const char *input_zdump_name_str(enum input_zdump_name k)
{
	switch (k) {
	case ZDUMP_NAME_KERNEL: return "kernel";
	case ZDUMP_NAME_VMX: return "vmx";
	case ZDUMP_NAME_USERWORLD: return "userworld";
	default: return NULL;
	}
}

bool input_zdump_encrypted(int fd)
{
	static const char magic[] = "DataTransformEnvelope";
	char buf[sizeof(magic) - 1];
	return fd >= 0 && pread(fd, buf, sizeof(buf), 4096) == (ssize_t)sizeof(buf) &&
	       memcmp(buf, magic, sizeof(buf)) == 0;
}

/* A zdump: named so, or an envelope at 4096; an ELF header at 0 is the ELF readers' whatever the name. */
static bool is_zdump(const char *name, int fd, const uint8_t *head, size_t len)
{
	if (len >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0)
		return false;
	return input_zdump_name(name, NULL, 0) != ZDUMP_NAME_NONE || input_zdump_encrypted(fd);
}

struct input_class input_classify(const char *name, int fd, const uint8_t *head, size_t len)
{
	struct input_class c = { INPUT_UNKNOWN, NULL };
	if (is_zdump(name, fd, head, len)) {
		c.kind = INPUT_ZDUMP;
		return c;
	}
	/* Magic at offset 0 first: the ELF header, then tar's at 257, then the
	 * machine formats (debug.guest, without a magic, last of all). */
	if (len >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0) {
		c.format = machine_format_claim(name ? name : "", head, len);
		if (c.format == &elfcore_format)
			c.kind = fd >= 0 ? elf_core_kind(fd) : INPUT_PROCESS_CORE;
		else
			c.kind = INPUT_ELF;
		return c;
	}
	if (len >= TAR_MAGIC_OFF + 5 && memcmp(head + TAR_MAGIC_OFF, "ustar", 5) == 0) {
		c.kind = INPUT_TAR;
		return c;
	}
	/* a local file header, or the end record of an empty archive */
	if (len >= 4 && (memcmp(head, "PK\3\4", 4) == 0 || memcmp(head, "PK\5\6", 4) == 0)) {
		c.kind = INPUT_ZIP;
		return c;
	}
	if ((c.format = machine_format_claim(name ? name : "", head, len)))
		c.kind = INPUT_MACHINE;
	return c;
}

static struct ck_error *read_head(int fd, const char *path, uint8_t *head, size_t *len_ret)
{
	size_t got = 0;
	while (got < FORMAT_PROBE_BYTES) {
		ssize_t n = pread(fd, head + got, FORMAT_PROBE_BYTES - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ck_error_errno(errno, "%s: read", path);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	*len_ret = got;
	return NULL;
}

/* Decompress fd into in->fd and classify the content. */
static struct ck_error *open_compressed(const char *path, int fd, struct input *in)
{
	struct unpack *u = NULL;
	uint8_t head[FORMAT_PROBE_BYTES];
	size_t len = 0;
	struct ck_error *err = unpack_begin(path, fd, in->compression, &u);
	if (!err && (err = unpack_head(u, head, sizeof(head), &len)) && len > TAR_MAGIC_OFF + 5 &&
	    INPUT_IS_BUNDLE(input_classify("", -1, head, len).kind)) {
		/* a damaged or truncated bundle: the bundle reader warns where it ends */
		ck_error_destroy(err);
		err = NULL;
	}
	if (!err) {
		/* Content the readers cannot take needs no copy; a name means nothing inside. */
		in->cls = input_classify("", -1, head, len);
		if (in->cls.kind != INPUT_UNKNOWN && !INPUT_IS_BUNDLE(in->cls.kind))
			err = unpack_to_temp(u, tempfile_dir(), &in->fd);
	}
	unpack_end(u);
	if (err || in->fd < 0)
		return err;
	snprintf(in->fdpath, sizeof(in->fdpath), "/proc/self/fd/%d", in->fd);
	if (access(in->fdpath, R_OK) != 0)
		return ck_error_errno(errno, "%s: decompressed, but its copy cannot be reopened as %s"
				      " (is /proc mounted?)", path, in->fdpath);
	in->cls = input_classify("", in->fd, head, len);
	return NULL;
}

struct ck_error *input_open(const char *path, struct input *in)
{
	*in = (struct input){ .fd = -1 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ck_error_create(errno == ENOENT ? CK_ERR_INPUT : CK_ERR_SYSTEM,
				       "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	uint8_t head[FORMAT_PROBE_BYTES];
	size_t len = 0;
	struct ck_error *err = NULL;
	int known = fstat(fd, &st) == 0, dir = known && S_ISDIR(st.st_mode);
	if (dir)
		in->cls.kind = INPUT_DIR;
	else if (known && !S_ISREG(st.st_mode))
		err = ck_error_create(CK_ERR_INPUT, "%s: not a regular file", path);
	else
		err = read_head(fd, path, head, &len);
	if (dir) {
		in->path = path;
	} else if (!err && is_zdump(path, fd, head, len)) {
		/* its content is scanned as it is, compressed streams and all */
		in->cls.kind = INPUT_ZDUMP;
		in->path = path;
	} else if (!err && (in->compression = input_compression_of(head, len)) != INPUT_PLAIN) {
		err = open_compressed(path, fd, in);
		if (!err && in->fd >= 0 && asprintf(&in->name, "%s (decompressed)", path) < 0) {
			in->name = NULL;
			err = &ck_enomem;
		}
		in->path = in->fd >= 0 ? in->fdpath : path;	/* no copy of a compressed bundle */
	} else if (!err) {
		in->cls = input_classify(path, fd, head, len);
		in->path = path;
	}
	close(fd);
	if (!err && !in->name && !(in->name = strdup(path)))
		err = &ck_enomem;
	if (err)
		input_close(in);
	return err;
}

struct ck_error *input_error(const struct input *in, struct ck_error *err)
{
	return in->fd < 0 ? err : ck_error_replace(err, in->fdpath, in->name);
}

struct ck_error *input_unsupported(const struct input *in, const char *expected)
{
	const char *comp = input_compression_name(in->compression);
	if (in->cls.kind == INPUT_ZDUMP)
		return ck_error_create(CK_ERR_INPUT, "%s: an ESXi zdump, not %s (coresummary triages zdumps)",
				       in->name, expected);
	static const char *const what[] = { [INPUT_TAR] = "tar archive", [INPUT_ZIP] = "zip archive",
					    [INPUT_DIR] = "directory" };
	if (INPUT_IS_BUNDLE(in->cls.kind))
		return ck_error_create(CK_ERR_INPUT, "%s: a %s%s%s: bundles are not supported yet here (vmss2core"
				       " [--vm NAME] BUNDLE converts a bundle's checkpoint); not %s", in->name,
				       comp ? comp : "", comp ? "-compressed " : "", what[in->cls.kind], expected);
	return ck_error_create(CK_ERR_INPUT, "%s: %s%snot %s", in->name, comp ? comp : "",
			       comp ? "-compressed, but " : "", expected);
}

void input_close(struct input *in)
{
	if (in->fd >= 0)
		close(in->fd);
	free(in->name);
	*in = (struct input){ .fd = -1 };
}
