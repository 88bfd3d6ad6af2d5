/*
 * kernel_moddebug.h - what it takes to give a loaded kernel module its DWARF:
 * where the kernel put each of its sections and which build it is, read from
 * guest memory, and the matching .ko on disk.
 *
 * From memory (offsets from BTF or DWARF through ktypes):
 *   mod->sect_attrs   every section's name and runtime address (what
 *                     /sys/module/NAME/sections shows); 6.1's module_sect_attr
 *                     {battr, address}, or a bare bin_attribute whose
 *                     .private holds the address (later kernels)
 *   mod->notes_attrs  the module's ELF notes in memory: .note.gnu.build-id
 * On disk, first match wins and a file counts only when its GNU build-id is
 * the one in memory:
 *   DIR/.build-id/xx/rest{.debug,} for --debug-dir DIR and /usr/lib/debug,
 *   DIR/NAME.ko, /usr/lib/debug/lib/modules/RELEASE/ and /lib/modules/RELEASE/
 *   (searched for NAME.ko, '-' and '_' alike).
 * Sections whose name starts with ".init" are left out: the kernel frees
 * them after loading, so their addresses may belong to another module now.
 */
#ifndef COREKIT_KERNEL_MODDEBUG_H
#define COREKIT_KERNEL_MODDEBUG_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "kallsyms.h"
#include "ktypes.h"
#include "memory.h"
#include "strlist.h"

enum { KMOD_SECTIONS_MAX = 512, KMOD_SECNAME_MAX = 64, KMOD_BUILD_ID_MAX = 64 };

struct kmod_section {
	char name[KMOD_SECNAME_MAX];
	uint64_t addr;
	uint64_t size;			/* from the .ko's section header, 0 unknown */
};

/* One module with a matching .ko.  First member: the file, so the vmlinux's
 * libdwfl userdata (a bare path) and a module's look alike to find_elf. */
struct kmod_debug {
	char *path;			/* the .ko */
	char name[KALLSYMS_MODULE_NAME_MAX + 1];
	struct kmod_section *secs;
	size_t nsecs;
	uint64_t lo, hi;		/* [lo, hi): its loaded allocated sections */
};

struct kernel_moddebug {
	struct kmod_debug *mods;
	size_t n;
};

/*
 * For every module kallsyms found: read its sections and build-id and find
 * its .ko.  A module without a readable layout, build-id or matching file is
 * one line in *warnings, not an error; errors are CK_ERR_SYSTEM only.
 */
struct ck_error *kernel_moddebug_find(struct kernel_moddebug *md, const struct ck_memory *mem, struct ktypes *types,
				      const struct kallsyms *ks, const char *release, const char *debug_dir,
				      struct strlist *warnings);
void kernel_moddebug_free(struct kernel_moddebug *md);

/* Runtime address of section secname of module d; 0 if not loaded. */
uint64_t kernel_moddebug_section(const struct kmod_debug *d, const char *secname);

#endif
