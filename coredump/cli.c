/* cli.c - the shared wording of version lines and option errors. */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

#include "error.h"

#ifndef COREKIT_VERSION
#define COREKIT_VERSION "0.1"
#endif

void cli_print_version(FILE *out, const char *prog)
{
	fprintf(out, "%s (corekit) %s\n", prog, COREKIT_VERSION);
}

int cli_usage_error(const char *prog, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try --help)\n", stderr);
	return CK_ERR_USAGE;
}

int cli_option_error(const char *prog, int c, char *const argv[], int optind_now, int optopt_now)
{
	/* A short option is named by optopt; a long one only by the argument getopt just read. */
	const char *arg = optind_now > 0 ? argv[optind_now - 1] : "";
	int is_short = optopt_now > 0 && optopt_now < 256 && !(arg[0] == '-' && arg[1] == '-');
	if (c == ':')
		return is_short ? cli_usage_error(prog, "option '-%c' needs an argument", optopt_now)
				: cli_usage_error(prog, "option '%s' needs an argument", arg);
	return is_short ? cli_usage_error(prog, "unknown option '-%c'", optopt_now)
			: cli_usage_error(prog, "unknown option '%s'", arg);
}

bool cli_list_has(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		size_t l = strcspn(p, ",");
		if (l == n && strncmp(p, name, n) == 0)
			return true;
		p += l + (p[l] == ',');
	}
	return false;
}

bool cli_list_check(const char *list, cli_name_known_fn *known, char **bad)
{
	for (const char *p = list; *p;) {
		size_t l = strcspn(p, ",");
		if (!known(p, l)) {
			*bad = strndup(p, l);
			return false;
		}
		p += l + (p[l] == ',');
	}
	return true;
}
