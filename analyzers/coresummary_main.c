/* coresummary_main.c - the coresummary command. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer.h"
#include "render.h"
#include "report.h"
#include "target.h"

#ifndef COREKIT_VERSION
#define COREKIT_VERSION "0.1"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"usage: coresummary [OPTIONS] CORE\n"
		"\n"
		"One-command post-mortem summary of a Linux x86-64 process core: what crashed\n"
		"and where, what every thread is doing (identical stacks grouped), and for a\n"
		"hang which threads wait on which pthread locks held by whom, with a deadlock\n"
		"verdict.\n"
		"\n"
		"A machine image (.vmss/.vmsn, debug.guest, an ELF vmcore) is accepted too:\n"
		"its vCPUs are shown as threads with their registers and context frame;\n"
		"kernel analysis is not implemented yet.\n"
		"\n"
		"Output:\n"
		"  (default)          human-readable text report on stdout\n"
		"  --json             versioned JSON report on stdout (docs/coresummary.md)\n"
		"  --dot FILE         also write the lock wait-for graph (Graphviz) to FILE\n"
		"  --all-threads      text: print every thread instead of one per stack group\n"
		"  --modules          text: list every module with build-id and symbol status\n"
		"\n"
		"Symbols:\n"
		"  --exe FILE         the main executable (cores from another machine/path)\n"
		"  --sysroot DIR      look for separate debug files under DIR/usr/lib/debug too\n"
		"  --debug-dir DIR    extra debug root: DIR/.build-id/xx/yyyy.debug\n"
		"                     (always searched: /usr/lib/debug, FILE.debug next to the\n"
		"                     binary, and debuginfod when DEBUGINFOD_URLS is set)\n"
		"\n"
		"Analysis:\n"
		"  --max-frames N     frames per thread (default 256)\n"
		"  --disable LIST     skip analyzers (comma-separated; see --list-analyzers)\n"
		"  --list-analyzers   list the analyzers and exit\n"
		"  --fail-on LIST     exit 4 if a finding of a listed kind is reported:\n"
		"                     deadlock, crash (comma-separated)\n"
		"\n"
		"  -h, --help         this help\n"
		"  --version          print the version\n"
		"\n"
		"Exit status: 0 report produced (whatever it found), 1 usage error,\n"
		"2 unreadable or unsupported core, 3 system error, 4 --fail-on finding.\n");
}

enum {
	OPT_JSON = 256, OPT_DOT, OPT_EXE, OPT_SYSROOT, OPT_DEBUG_DIR, OPT_ALL, OPT_MODULES,
	OPT_MAX_FRAMES, OPT_DISABLE, OPT_LIST, OPT_FAIL_ON, OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "dot", required_argument, NULL, OPT_DOT },
	{ "exe", required_argument, NULL, OPT_EXE },
	{ "sysroot", required_argument, NULL, OPT_SYSROOT },
	{ "debug-dir", required_argument, NULL, OPT_DEBUG_DIR },
	{ "all-threads", no_argument, NULL, OPT_ALL },
	{ "modules", no_argument, NULL, OPT_MODULES },
	{ "max-frames", required_argument, NULL, OPT_MAX_FRAMES },
	{ "disable", required_argument, NULL, OPT_DISABLE },
	{ "list-analyzers", no_argument, NULL, OPT_LIST },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static int fail(struct ck_error *err)
{
	int kind = ck_error_exit_status(err);
	fprintf(stderr, "coresummary: %s\n", err->msg);
	ck_error_destroy(err);
	return kind;
}

/* Write the dot graph to a temporary file next to path, then rename. */
static struct ck_error *write_dot(const char *path, const struct report *r)
{
	char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0)
		return &ck_enomem;
	int fd = mkstemp(tmp);
	if (fd < 0) {
		struct ck_error *err = ck_error_errno(errno, "%s: cannot create", path);
		free(tmp);
		return err;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		struct ck_error *err = ck_error_errno(errno, "%s", path);
		close(fd);
		unlink(tmp);
		free(tmp);
		return err;
	}
	struct ck_error *err = render_dot(f, r);
	if (fclose(f) && !err)
		err = ck_error_errno(errno, "%s: write", path);
	if (!err && rename(tmp, path) != 0)
		err = ck_error_errno(errno, "%s: rename", path);
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}

static bool parse_fail_on(const char *s, bool *deadlock, bool *crash)
{
	while (*s) {
		size_t l = strcspn(s, ",");
		if (l == 8 && strncmp(s, "deadlock", 8) == 0)
			*deadlock = true;
		else if (l == 5 && strncmp(s, "crash", 5) == 0)
			*crash = true;
		else
			return false;
		s += l;
		if (*s == ',')
			s++;
	}
	return true;
}

int main(int argc, char **argv)
{
	struct target_core_options topt = { 0 };
	struct analyzer_options aopt = { 256, 8, 4 };
	struct render_options ropt = { false, false, "coresummary " COREKIT_VERSION };
	bool json = false, fail_deadlock = false, fail_crash = false;
	const char *dot = NULL, *disable = NULL;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: json = true; break;
		case OPT_DOT: dot = optarg; break;
		case OPT_EXE: topt.exe = optarg; break;
		case OPT_SYSROOT: topt.sym.sysroot = optarg; break;
		case OPT_DEBUG_DIR: topt.sym.debug_dir = optarg; break;
		case OPT_ALL: ropt.all_threads = true; break;
		case OPT_MODULES: ropt.show_modules = true; break;
		case OPT_MAX_FRAMES: {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || *end || v == 0 || v > 100000) {
				fprintf(stderr, "coresummary: --max-frames: expected 1..100000, got '%s'\n", optarg);
				return CK_ERR_USAGE;
			}
			aopt.max_frames = v;
			break;
		}
		case OPT_DISABLE: disable = optarg; break;
		case OPT_LIST:
			for (size_t i = 0; analyzers[i]; i++)
				printf("%-10s %s%s\n", analyzers[i]->name, analyzers[i]->summary,
				       analyzers[i]->targets & TARGET_KERNEL_IMAGE ? "" : " [process cores]");
			return 0;
		case OPT_FAIL_ON:
			if (!parse_fail_on(optarg, &fail_deadlock, &fail_crash)) {
				fprintf(stderr, "coresummary: --fail-on: unknown kind in '%s' (use deadlock,crash)\n", optarg);
				return CK_ERR_USAGE;
			}
			break;
		case 'h': usage(stdout); return 0;
		case OPT_VERSION: printf("coresummary %s\n", COREKIT_VERSION); return 0;
		default:
			if (optopt && optopt < 256)
				fprintf(stderr, "coresummary: unknown option '-%c' (see --help)\n", optopt);
			else
				fprintf(stderr, "coresummary: bad option '%s' (see --help)\n", argv[optind - 1]);
			return CK_ERR_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "coresummary: %s (see --help)\n",
			optind == argc ? "missing CORE argument" : "exactly one CORE argument expected");
		return CK_ERR_USAGE;
	}
	const char *path = argv[optind];
	/* Inputs named on the command line must exist: a typo would otherwise
	 * silently degrade the symbols. */
	const char *const inputs[][2] = { { topt.exe, "r" }, { topt.sym.debug_dir, "d" }, { topt.sym.sysroot, "d" } };
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct stat st;
		const char *p = inputs[i][0];
		if (!p)
			continue;
		if (stat(p, &st) != 0 || access(p, R_OK) != 0) {
			fprintf(stderr, "coresummary: %s: cannot read: %s\n", p, strerror(errno));
			return CK_ERR_INPUT;
		}
		if (inputs[i][1][0] == 'd' && !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "coresummary: %s: not a directory\n", p);
			return CK_ERR_INPUT;
		}
	}

	struct target *t = NULL;
	struct ck_error *err = target_open(path, &topt, &t);
	if (err)
		return fail(err);
	struct report r;
	report_init(&r);
	r.input = path;
	r.target_kind = t->ops->kind == TARGET_KERNEL_IMAGE ? "kernel-image" : "process-core";
	if (t->ops->kind == TARGET_KERNEL_IMAGE &&
	    (err = report_warn(&r, "machine image: only vCPU registers and context frames are analysed; "
			       "kernel symbols, unwinding and lock analysis are not implemented yet"))) {
		report_deinit(&r);
		target_destroy(t);
		return fail(err);
	}
	err = analyzers_run(t, &aopt, disable, &r);
	if (!err)
		err = json ? render_json(stdout, &r, &ropt) : render_text(stdout, &r, &ropt);
	if (!err && dot)
		err = write_dot(dot, &r);
	int rc = 0;
	if (!err) {
		for (size_t i = 0; i < r.nfindings; i++) {
			if ((fail_deadlock && strcmp(r.findings[i].kind, "deadlock") == 0) ||
			    (fail_crash && strcmp(r.findings[i].kind, "crash") == 0))
				rc = CK_ERR_FINDING;
		}
	}
	report_deinit(&r);
	target_destroy(t);
	if (err)
		return fail(err);
	return rc;
}
