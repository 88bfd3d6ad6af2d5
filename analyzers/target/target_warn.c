/* target_warn.c - one warning per thing a target could not find. */
#include "target_warn.h"

#include <stdbool.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ck_error *target_warn_add(struct target_warnings *w, const char *fmt, ...)
{
	char **nl = realloc(w->lines, (w->n + 1) * sizeof(*nl));
	if (!nl)
		return &ck_enomem;
	w->lines = nl;
	va_list ap;
	va_start(ap, fmt);
	int k = vasprintf(&w->lines[w->n], fmt, ap);
	va_end(ap);
	if (k < 0)
		return &ck_enomem;
	w->n++;
	return NULL;
}

#define add target_warn_add

static bool under(const char *file, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return file && strncmp(file, dir, n) == 0 && (file[n] == '/' || file[n] == 0);
}

struct ck_error *target_warnings_build(struct target_warnings *w, struct sym_resolver *syms,
				       const struct sym_options *opt, size_t sysroot_files,
				       size_t sysroot_found)
{
	const struct sym_module *mods;
	size_t n;
	struct ck_error *err = sym_modules(syms, &mods, &n);
	if (err)
		return err;
	const char *sysroot = opt && opt->sysroot ? opt->sysroot : NULL;
	const char *debug_dir = opt && opt->debug_dir ? opt->debug_dir : NULL;
	if (sysroot && sysroot_files && !sysroot_found &&
	    (err = add(w, "--sysroot %s: none of the %zu files the core maps is there", sysroot, sysroot_files)))
		return err;
	bool from_debug_dir = false;
	for (size_t i = 0; i < n && !err; i++) {
		const struct sym_module *m = &mods[i];
		const char *name = m->name ? m->name : "?";
		from_debug_dir |= debug_dir && (under(m->debug_file, debug_dir) || under(m->path, debug_dir));
		char bid[160] = "";
		if (m->build_id)
			snprintf(bid, sizeof(bid), " (build-id %s)", m->build_id);
		if (!m->has_elf && sysroot)
			err = add(w, "module %s: no file under --sysroot %s matches it%s: its frames show as ??",
				  name, sysroot, bid);
		else if (!m->has_elf)
			err = add(w, "module %s: no file found that matches it%s: its frames show as ??", name, bid);
		else if (m->status == SYM_NONE)
			err = add(w, "module %s: no symbol table and no debug information: its frames show as ??",
				  name);
	}
	if (!err && debug_dir && !from_debug_dir)
		err = add(w, "--debug-dir %s: provided no file for any of the %zu modules", debug_dir, n);
	return err;
}

void target_warnings_fini(struct target_warnings *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->lines[i]);
	free(w->lines);
	memset(w, 0, sizeof(*w));
}
