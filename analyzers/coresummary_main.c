/* coresummary_main.c - the coresummary command. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer.h"
#include "cli.h"
#include "heap_pages.h"
#include "outfile.h"
#include "render.h"
#include "report.h"
#include "target.h"

#ifndef COREKIT_VERSION
#define COREKIT_VERSION "0.1"
#endif

static void usage(FILE *out)
{
	fputs("usage: coresummary [OPTIONS] CORE\n"
	      "       coresummary [OPTIONS] FILE.vmss|FILE.vmsn|debug.guest|VMCORE [FILE.vmem]\n"
	      "       coresummary [OPTIONS] LOGFILE\n"
	      "       coresummary [OPTIONS] vmkernel-zdump.N|vmx-zdump.NNN|NAME-zdump.NNN\n"
	      "       coresummary [OPTIONS] [--vm NAME] BUNDLE\n"
	      "\n"
	      "One-command post-mortem summary of a Linux x86-64 process core: what crashed\n"
	      "and where, what every thread is doing (identical stacks grouped), and for a\n"
	      "hang which threads wait on which pthread locks held by whom, with a deadlock\n"
	      "verdict.  A machine image (.vmss/.vmsn with its .vmem, debug.guest, an ELF\n"
	      "vmcore) is accepted too; the .vmem is found by name or given second.\n"
	      "Inputs are recognised by content; zstd, lz4, xz, gzip and bzip2 files\n"
	      "(systemd-coredump's core.*.zst) are read directly, decompressed into an\n"
	      "unnamed temporary file in $TMPDIR.\n"
	      "A log (vmware.log, vmkernel.log with PSOD text, hostd/vobd, guest kernel\n"
	      "text: dmesg, syslog, serial console, crash's sys), recognised by its\n"
	      "content, gives its events in time order and a verdict.\n"
	      "An ESXi zdump (by name, or its crypto envelope) is triaged by content:\n"
	      "encryption, zlib/gzip streams, its log text through the log parsers, an\n"
	      "embedded ELF core analysed as a process core (the zdump layout itself is\n"
	      "not public and is not decoded).\n"
	      "A vm-support BUNDLE as it came (.tgz, .tar, .tar.xz, .zip, a vCenter bundle\n"
	      "holding host bundles, or an extracted directory) gives its inventory, one\n"
	      "timeline of every VM's vmware.log and the host's vmkernel/hostd/vobd logs,\n"
	      "and the kernel-image report of the checkpoint of the one VM that has one\n"
	      "(several: exit 1 naming them); nothing is extracted by the bundle's names.\n"
	      "\n"
	      "Output:\n"
	      "  (default)          human-readable text report on stdout\n"
	      "  --json             versioned JSON report on stdout (docs/coresummary.md)\n"
	      "  --dot FILE         also write the lock wait-for graph (Graphviz) to FILE;\n"
	      "                     '-' prints only the graph on stdout\n"
	      "  -f, --force        replace FILE if it is an existing regular file\n"
	      "  --all-threads      text: print every thread instead of one per stack group\n"
	      "  --modules          text: list every module with build-id and symbol status\n"
	      "  --dmesg            kernel images: print the guest kernel's log (the printk\n"
	      "                     ring, with the kernel's timestamps) instead of the report\n"
	      "\n"
	      "Symbols:\n"
	      "  --exe FILE         the main executable (cores from another machine/path)\n"
	      "  --sysroot DIR      look for separate debug files under DIR/usr/lib/debug too\n"
	      "  --debug-dir DIR    extra debug root: DIR/.build-id/xx/yyyy.debug\n"
	      "                     (always searched: /usr/lib/debug, FILE.debug next to the\n"
	      "                     binary, and debuginfod when DEBUGINFOD_URLS is set)\n"
	      "  --vmlinux FILE     kernel images: the guest kernel's vmlinux with DWARF\n"
	      "                     (else found by build-id, /usr/lib/debug/boot/vmlinux-REL\n"
	      "                     or debuginfod; used only if its build-id matches)\n"
	      "  --no-debuginfo     kernel images: guest memory only (kallsyms, BTF, ORC)\n"
	      "\n"
	      "Bundles:\n"
	      "  --vm NAME          the VM (its displayName) whose checkpoint is analysed\n"
	      "                     (--vmlinux, --no-debuginfo, --debug-dir, --dmesg apply\n"
	      "                     to that checkpoint)\n"
	      "\n"
	      "Analysis:\n"
	      "  --max-frames N     frames per thread (default 256)\n"
	      "  --disable LIST     skip analyzers (comma-separated; see --list-analyzers)\n"
	      "  --list-analyzers   list the analyzers and exit\n"
	      "  --fail-on LIST     exit 4 if a finding of a listed kind is reported\n"
	      "                     (comma-separated): crash, deadlock, blocked, hung,\n"
	      "                     lockup, panic, tools\n"
	      "\n"
	      "  -h, --help         this help\n"
	      "  -V, --version      print the version\n"
	      "\n"
	      "Exit status: 0 report produced (whatever it found), 1 usage error (or an\n"
	      "output that exists or is an input), 2 unreadable or unsupported core,\n"
	      "3 system error, 4 --fail-on finding, 128+N killed by signal N.  FILE is\n"
	      "written to a temporary file and renamed: a failed or interrupted run\n"
	      "leaves nothing behind.\n", out);
}

enum {
	OPT_JSON = 256, OPT_DOT, OPT_EXE, OPT_SYSROOT, OPT_DEBUG_DIR, OPT_ALL, OPT_MODULES,
	OPT_MAX_FRAMES, OPT_DISABLE, OPT_LIST, OPT_FAIL_ON, OPT_DMESG, OPT_VMLINUX, OPT_NO_DEBUGINFO, OPT_VM,
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "dot", required_argument, NULL, OPT_DOT },
	{ "force", no_argument, NULL, 'f' },
	{ "exe", required_argument, NULL, OPT_EXE },
	{ "sysroot", required_argument, NULL, OPT_SYSROOT },
	{ "debug-dir", required_argument, NULL, OPT_DEBUG_DIR },
	{ "all-threads", no_argument, NULL, OPT_ALL },
	{ "modules", no_argument, NULL, OPT_MODULES },
	{ "dmesg", no_argument, NULL, OPT_DMESG },
	{ "vmlinux", required_argument, NULL, OPT_VMLINUX },
	{ "no-debuginfo", no_argument, NULL, OPT_NO_DEBUGINFO },
	{ "vm", required_argument, NULL, OPT_VM },
	{ "max-frames", required_argument, NULL, OPT_MAX_FRAMES },
	{ "disable", required_argument, NULL, OPT_DISABLE },
	{ "list-analyzers", no_argument, NULL, OPT_LIST },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int fail(struct ck_error *err)
{
	int status = ck_error_exit_status(err);
	fprintf(stderr, "coresummary: %s\n", err->msg);
	ck_error_destroy(err);
	return status;
}

/* Write the DOT graph to path through an outfile (temporary + rename; never an input). */
static struct ck_error *write_dot(const char *path, const struct outfile_rules *rules, const struct report *r)
{
	struct outfile o;
	struct ck_error *err = outfile_open(&o, path, rules);
	if (err)
		return err;
	int fd = dup(o.fd);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		err = ck_error_errno(errno, "%s", path);
		if (fd >= 0)
			close(fd);
		outfile_abort(&o);
		return err;
	}
	err = render_dot(f, r);
	if (fclose(f) && !err)
		err = ck_error_errno(errno, "%s: write", path);
	if (err) {
		outfile_abort(&o);
		return err;
	}
	return outfile_commit(&o);
}

static bool is_finding_kind(const char *s, size_t len)
{
	return report_finding_kind(s, len) != NULL;
}

static bool is_analyzer(const char *s, size_t len)
{
	for (size_t i = 0; analyzers[i]; i++)
		if (strlen(analyzers[i]->name) == len && strncmp(analyzers[i]->name, s, len) == 0)
			return true;
	return false;
}

static int bad_list(const char *opt, char *bad, const char *what, const char *known)
{
	int rc = cli_usage_error("coresummary", "%s: unknown %s '%s' (%s)", opt, what, bad ? bad : "?", known);
	free(bad);
	return rc;
}

int main(int argc, char **argv)
{
	struct target_core_options topt = { 0 };
	struct analyzer_options aopt = { 256, 8, 4 };
	struct render_options ropt = { false, false, "coresummary " COREKIT_VERSION };
	bool json = false, dmesg = false;
	int force = 0;
	const char *dot = NULL, *disable = NULL, *fail_on = NULL;
	char *bad = NULL;
	int c;
	heap_prefer_huge_pages(64 << 20);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hVf", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: json = true; break;
		case OPT_DOT: dot = optarg; break;
		case 'f': force = 1; break;
		case OPT_EXE: topt.exe = optarg; break;
		case OPT_SYSROOT: topt.sym.sysroot = optarg; break;
		case OPT_DEBUG_DIR: topt.sym.debug_dir = optarg; break;
		case OPT_ALL: ropt.all_threads = true; break;
		case OPT_MODULES: ropt.show_modules = true; break;
		case OPT_DMESG: dmesg = true; break;
		case OPT_VMLINUX: topt.vmlinux = optarg; break;
		case OPT_NO_DEBUGINFO: topt.no_debuginfo = true; break;
		case OPT_VM: topt.vm = optarg; break;
		case OPT_MAX_FRAMES: {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || *end || v == 0 || v > 100000)
				return cli_usage_error("coresummary", "--max-frames: expected 1..100000, got '%s'", optarg);
			aopt.max_frames = v;
			break;
		}
		case OPT_DISABLE:
			if (!cli_list_check(optarg, is_analyzer, &bad))
				return bad_list("--disable", bad, "analyzer", "see --list-analyzers");
			disable = optarg;
			break;
		case OPT_LIST:
			for (size_t i = 0; analyzers[i]; i++)
				printf("%-10s %s%s\n", analyzers[i]->name, analyzers[i]->summary,
				       analyzers[i]->targets == TARGET_PROCESS_CORE ? " [process cores]"
				       : analyzers[i]->targets == TARGET_KERNEL_IMAGE ? " [kernel images]"
				       : analyzers[i]->targets == TARGET_LOG ? " [logs]"
				       : analyzers[i]->targets == TARGET_ZDUMP ? " [zdumps]"
				       : analyzers[i]->targets == TARGET_BUNDLE ? " [bundles]" : "");
			return 0;
		case OPT_FAIL_ON:
			if (!cli_list_check(optarg, is_finding_kind, &bad))
				return bad_list("--fail-on", bad, "finding kind",
						"crash, deadlock, blocked, hung, lockup, panic, tools");
			fail_on = optarg;
			break;
		case 'h': usage(stdout); return 0;
		case 'V': cli_print_version(stdout, "coresummary"); return 0;
		default: return cli_option_error("coresummary", c, argv, optind, optopt);
		}
	}
	int nargs = argc - optind;
	if (nargs < 1 || nargs > 2)
		return cli_usage_error("coresummary", nargs < 1 ? "missing CORE argument"
					: "expected CORE, or FILE.vmss [FILE.vmem]");
	const char *path = argv[optind];
	topt.companion = nargs == 2 ? argv[optind + 1] : NULL;
	bool dot_stdout = dot && strcmp(dot, "-") == 0;
	if (dot_stdout && json)
		return cli_usage_error("coresummary", "--json and --dot - both want standard output");
	if (dmesg && (json || dot_stdout))
		return cli_usage_error("coresummary", "--dmesg prints the kernel log alone: not with --json or --dot -");
	/* Inputs named on the command line must exist: a typo would otherwise
	 * silently degrade the symbols. */
	const char *const inputs[][2] = { { topt.exe, "r" }, { topt.sym.debug_dir, "d" }, { topt.sym.sysroot, "d" },
					  { topt.vmlinux, "r" } };
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
	/* The DOT file must never replace an input: checked now, before the work, and at the write. */
	const char *files_in[] = { path, topt.companion, topt.exe, topt.vmlinux };
	struct outfile_rules rules = { .force = force, .inputs = files_in, .ninputs = 4 };
	struct ck_error *err = NULL;
	if (dot && !dot_stdout && (err = outfile_check(dot, &rules)))
		return fail(err);

	struct target *t = NULL;
	if ((err = target_open(path, &topt, &t)))
		return fail(err);
	/* Options of the other target kind are mistakes, not silently ignored. */
	/* a zdump's options are its embedded core's (--exe, --sysroot, --debug-dir) */
	unsigned kind = t->ops->kind;
	bool bundle = kind & TARGET_BUNDLE, zdump = (kind & TARGET_ZDUMP) != 0,
	     kernel = (kind & TARGET_KERNEL_IMAGE) && !bundle, log = kind == TARGET_LOG;
	const char *what = bundle ? "a bundle" : kernel ? "a kernel image" : log ? "a log" : zdump ? "a zdump"
		: "a process core";
	const char *wrong = (kernel || log || bundle) && topt.exe ? "--exe"
			  : (kernel || log || bundle) && topt.sym.sysroot ? "--sysroot"
			  : !kernel && !bundle && topt.vmlinux ? "--vmlinux"
			  : !kernel && !bundle && topt.no_debuginfo ? "--no-debuginfo"
			  : !kernel && !bundle && dmesg ? "--dmesg" : log && topt.sym.debug_dir ? "--debug-dir"
			  : (log || bundle || zdump) && topt.companion ? "a second file" : NULL;
	if (wrong) {
		target_destroy(t);
		return cli_usage_error("coresummary", "%s does not apply to %s", wrong, what);
	}
	struct report r;
	report_init(&r);
	r.input = path;
	r.target_kind = bundle ? "bundle" : kernel ? "kernel-image" : log ? "log" : zdump ? "zdump" : "process-core";
	/* --dmesg wants the log alone: no unwinding of every task for it. */
	err = dmesg ? analyzer_klog.run(t, &aopt, &r) : analyzers_run(t, &aopt, disable, &r);
	if (!err && dmesg) {
		if (r.kernel.dmesg)
			fputs(r.kernel.dmesg, stdout);
		else
			err = ck_error_create(CK_ERR_INPUT, "%s: no Linux guest kernel to read a log from", path);
	} else if (!err && dot_stdout)
		err = render_dot(stdout, &r);
	else if (!err)
		err = json ? render_json(stdout, &r, &ropt) : render_text(stdout, &r, &ropt);
	if (!err && fflush(stdout) != 0)
		err = ck_error_errno(errno, "standard output");
	if (!err && dot && !dot_stdout)
		err = write_dot(dot, &rules, &r);
	int rc = 0;
	size_t hits = 0;
	const char *first = NULL;
	for (size_t i = 0; !err && fail_on && i < r.nfindings; i++)
		if (cli_list_has(fail_on, r.findings[i].kind)) {
			rc = CK_ERR_FINDING;
			first = first ? first : r.findings[i].kind;
			hits++;
		}
	/* one line saying why the status is 4, as for every other failure */
	if (rc)
		fprintf(stderr, "coresummary: %s: %zu finding%s of the --fail-on kinds (first: %s)\n", path, hits,
			hits == 1 ? "" : "s", first);
	report_deinit(&r);
	target_destroy(t);
	if (err)
		return fail(err);
	return rc;
}
