/*
 * vmss2core - convert a VMware checkpoint (.vmss/.vmsn [+ .vmem], or
 * debug.guest + debug.vmem) into a core file a debugger opens.
 *
 * Accepts VMware's invocation: vmss2core [-W|-W8|-N] file.vmss [file.vmem].
 * This file is only the command line: parsing options, choosing the output,
 * printing progress and the one-line error.  The work is in the libraries.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "bundle_convert.h"
#include "bundle_machine.h"
#include "cli.h"
#include "cpt_info.h"
#include "elfcore.h"
#include "format.h"
#include "input.h"
#include "linux_kernel.h"
#include "machine.h"
#include "machine_info.h"
#include "outfile.h"

static const char usage_text[] =
"usage: vmss2core [OPTIONS] FILE.vmss|FILE.vmsn|debug.guest|VMCORE [FILE.vmem]\n"
"       vmss2core [OPTIONS] [--vm NAME] BUNDLE\n"
"       vmss2core --info [--tags] FILE [FILE.vmem]\n"
"       vmss2core --info [--vm NAME] BUNDLE\n"
"\n"
"Convert a VMware checkpoint (suspend state .vmss, snapshot .vmsn, with RAM\n"
"embedded or in the sibling .vmem; or a debug.guest + debug.vmem guest dump)\n"
"into a core file.  The .vmem is found by name; give it as the second\n"
"argument when it lives elsewhere.  Every machine image corekit reads is\n"
"accepted as input too (ELF vmcores of QEMU's dump-guest-memory, kdump and\n"
"vmss2core), also zstd, lz4, xz, gzip or bzip2 compressed (decompressed into\n"
"an unnamed temporary file in $TMPDIR).\n"
"\n"
"BUNDLE: a vm-support bundle as it came (.tgz, .tar, .tar.xz, .zip, a vCenter\n"
"bundle holding host bundles, or an extracted directory): the VM's checkpoint\n"
"is converted with no manual step (FRAG pieces joined, .vmss.gz inflated),\n"
"staged only in unnamed files beside the output.\n"
"\n"
"Output format:\n"
"  -N                 Linux ELF vmcore, opened unaided by crash, drgn and gdb\n"
"                     (the default when a Linux kernel is found in guest RAM;\n"
"                     an undetected guest gets a physical-only ELF core and a\n"
"                     warning); VMware's -N4, -N6 mean the same\n"
"  -W, -W8            Windows MEMORY.DMP (not implemented yet: exits 2);\n"
"                     VMware's -W<build> (-W2195, -W6000) mean -W\n"
"                     (-M, -X32, -X64: Mac OS guests are not supported)\n"
"\n"
"Output:\n"
"  -o, --output FILE  write the core to FILE (default: vmss.core); never an\n"
"                     input, never standard output (the writer seeks)\n"
"  -f, --force        replace FILE if it is an existing regular file\n"
"  -q, --quiet        no progress or summary (progress only on a terminal)\n"
"  --info             describe the input instead of converting: format,\n"
"                     metadata, memory regions, vCPU registers (and which\n"
"                     are missing), the guest kernel; for a checkpoint also\n"
"                     its groups (and with a missing .vmem, what it has)\n"
"  --tags             with --info: list every tag of the checkpoint\n"
"  --vm NAME          with a BUNDLE: the VM whose displayName is NAME (default:\n"
"                     the one VM with a checkpoint); --info lists the bundle\n"
"                     (hosts, VMs, files) and, with --vm, describes its checkpoint\n"
"\n"
"  -h, --help         this help\n"
"  -V, --version      print the version\n"
"\n"
"Opening the result:\n"
"  crash VMLINUX vmss.core      drgn -c vmss.core      gdb -c vmss.core\n"
"\n"
"Exit status: 0 ok, 1 usage error (or an output that exists or is an input),\n"
"2 bad or unsupported input, 3 system error (I/O, no space), 128+N killed by\n"
"signal N.  The output is written to a temporary file and renamed: a failed\n"
"or interrupted run (SIGINT, SIGTERM, SIGHUP, SIGPIPE) leaves nothing behind.\n";

enum out_format { OUT_DEFAULT, OUT_LINUX, OUT_WINDOWS };
enum { OPT_VM = 256 };	/* long-only options */

struct options {
	enum out_format format;
	const char *out_path;
	int force, quiet, info, tags;
	const char *input, *companion, *vm;
};

struct progress {
	int enabled;
	struct timespec start;
	int last_pct;
	double last_draw;	/* seconds since start of the last redraw */
};

static double elapsed(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void show_progress(void *arg, uint64_t done, uint64_t total)
{
	struct progress *p = arg;
	if (!p->enabled || total == 0)
		return;
	int pct = (int)(done * 100 / total);
	if (pct == p->last_pct && done != total)
		return;
	double t = elapsed(&p->start);
	if (done != total && p->last_pct >= 0 && t - p->last_draw < 0.1)
		return;		/* at most ~10 redraws a second */
	p->last_pct = pct;
	p->last_draw = t;
	double mbs = t > 0 ? (double)done / 1048576.0 / t : 0;
	double eta = mbs > 0 ? (double)(total - done) / 1048576.0 / mbs : 0;
	fprintf(stderr, "\rvmss2core: %3d%%  %8.1f MB/s  ETA %4.0f s ", pct, mbs, eta);
	if (done == total)
		fputc('\n', stderr);
}

/*
 * VMware's own spellings, rewritten before getopt sees them: -N4/-N6 (kernel
 * major version hints) mean -N, -W8 and -W<build> (e.g. -W2195, -W6000)
 * mean -W.  Returns 0, or an exit status for options we cannot honour.
 */
static int vmware_spellings(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 || strcmp(a, "--vm") == 0) {
			i++;	/* the next argument is a file name, whatever it looks like */
			continue;
		}
		if ((a[0] == '-' && (a[1] == 'N' || a[1] == 'W')) && a[2] && strspn(a + 2, "0123456789") == strlen(a + 2))
			argv[i] = a[1] == 'N' ? (char *)"-N" : (char *)"-W";
		else if (strcmp(a, "-M") == 0 || strcmp(a, "-X32") == 0 || strcmp(a, "-X64") == 0) {
			fprintf(stderr, "vmss2core: %s: Mac OS guests are not supported\n", a);
			return CK_ERR_INPUT;
		}
	}
	return 0;
}

/* Returns 0 to go on, -1 to exit 0 (--help, --version), or an exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "info", no_argument, NULL, 'I' },
		{ "tags", no_argument, NULL, 'T' },
		{ "force", no_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "vm", required_argument, NULL, OPT_VM },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof(*o));
	int rc = vmware_spellings(argc, argv);
	if (rc)
		return rc;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":NWo:fqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'N': o->format = OUT_LINUX; break;
		case 'W': o->format = OUT_WINDOWS; break;
		case 'o': o->out_path = optarg; break;
		case 'f': o->force = 1; break;
		case 'q': o->quiet = 1; break;
		case 'I': o->info = 1; break;
		case 'T': o->tags = 1; break;
		case OPT_VM: o->vm = optarg; break;
		case 'h': fputs(usage_text, stdout); return -1;
		case 'V': cli_print_version(stdout, "vmss2core"); return -1;
		default: return cli_option_error("vmss2core", c, argv, optind, optopt);
		}
	}
	int nargs = argc - optind;
	if (nargs < 1 || nargs > 2)
		return cli_usage_error("vmss2core", nargs < 1 ? "missing FILE.vmss argument"
					: "expected FILE.vmss [FILE.vmem]");
	if (o->tags && !o->info)
		return cli_usage_error("vmss2core", "--tags goes with --info");
	o->input = argv[optind];
	o->companion = nargs == 2 ? argv[optind + 1] : NULL;
	if (!o->out_path)
		o->out_path = "vmss.core";
	if (strcmp(o->out_path, "-") == 0 && !o->info) {
		fprintf(stderr, "vmss2core: an ELF vmcore cannot be written to standard output "
			"(the writer seeks); name a file with -o\n");
		return CK_ERR_USAGE;
	}
	return 0;
}

static int fail(struct ck_error *err)
{
	int status = ck_error_exit_status(err);
	fprintf(stderr, "vmss2core: %s\n", err->msg);
	ck_error_destroy(err);
	return status;
}

static void print_warnings(const struct strlist *w)
{
	for (size_t i = 0; i < w->n; i++)
		fprintf(stderr, "vmss2core: warning: %s\n", w->s[i]);
}

/* --info BUNDLE: the inventory; with --vm, that VM's checkpoint as --info FILE shows one. */
static struct ck_error *bundle_info(const struct options *o, struct bundle *b)
{
	const struct bundle_inventory *inv = bundle_inventory(b);
	bundle_print(stdout, inv);
	if (!o->vm)
		return NULL;
	size_t vm;
	struct machine m;
	struct linux_kernel k = { 0 };
	struct bundle_machine bm;
	machine_init(&m);
	struct ck_error *err = bundle_pick_vm(inv, o->vm, &vm);
	if (!err)
		err = bundle_machine_open(b, vm, &m, &bm);
	if (!err)
		err = linux_kernel_detect(&m, &k);
	if (!err) {
		fputc('\n', stdout);
		machine_info_print(stdout, &m, &vmss_format, &k);
		err = cpt_info_print_as(stdout, bm.cpt_view.path, bm.cpt_view.name, o->tags);
		err = ck_error_replace(err, bm.cpt_view.path, bm.cpt_view.name);
	}
	machine_deinit(&m);
	return err;
}

/* vmss2core [--vm NAME] BUNDLE: convert the VM's checkpoint; --info: list the bundle. */
static int run_bundle(const struct options *o, const struct input *in)
{
	char dir[4096];
	struct bundle_options bo = o->info ? (struct bundle_options){ 0 }
					   : bundle_convert_options(o->out_path, o->vm, dir, sizeof(dir));
	struct bundle *b = NULL;
	struct machine m;
	struct linux_kernel k = { 0 };
	struct linux_kernel_scan *scan = NULL;
	struct bundle_convert_result res = { 0 };
	int status = 0;
	machine_init(&m);
	struct ck_error *err = o->info ? NULL : bundle_convert_check(in->path, o->out_path);
	if (!err)
		err = bundle_open(in->path, &bo, &b);
	if (!err) {
		print_warnings(&bundle_inventory(b)->warnings);
		if (o->info) {
			err = bundle_info(o, b);
			goto out;
		}
	}
	struct progress prog = { .enabled = !o->quiet && isatty(STDERR_FILENO), .last_pct = -1 };
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	struct elfcore_options eo = {
		.out_path = o->out_path, .force = o->force,
		.progress = show_progress, .progress_arg = &prog, .detected = &k,
	};
	if (!err && !(err = linux_kernel_scan_create(&m, &scan))) {
		eo.scan = scan;
		err = bundle_convert(b, o->vm, &m, &eo, &res);
	}
	if (!err && !k.found)
		fprintf(stderr, "vmss2core: warning: no Linux kernel found in guest memory; "
			"wrote a physical-only ELF core (crash and drgn need a kernel)\n");
	if (!err && !o->quiet)
		fprintf(stderr, "vmss2core: wrote %s (VM %s of %s: %s guest, %zu vCPU%s, %" PRIu64 " MiB RAM%s)\n",
			o->out_path, bundle_inventory(b)->vms[res.vm].name, in->name, k.found ? k.osrelease : "unknown",
			m.ncpus, m.ncpus == 1 ? "" : "s", machine_ram_bytes(&m) >> 20,
			res.in_place ? ", written in place of the staged .vmem" : "");
out:
	if (err)
		status = fail(err);
	linux_kernel_scan_destroy(scan);
	machine_deinit(&m);
	bundle_close(b);
	return status;
}

static int run(const struct options *o)
{
	struct machine m;
	struct linux_kernel k;
	const struct machine_format *fmt = NULL;
	struct input in = { .fd = -1 };
	struct ck_error *err;
	int status = 0;

	if (o->format == OUT_WINDOWS && !o->info) {
		fprintf(stderr, "vmss2core: Windows output (-W, -W8) is not implemented yet\n");
		return CK_ERR_INPUT;
	}
	machine_init(&m);
	memset(&k, 0, sizeof(k));
	if (!o->info) {
		/* Fail before reading anything; the writer checks again against every file opened. */
		const char *inputs[] = { o->input, o->companion };
		struct outfile_rules rules = { .force = o->force, .inputs = inputs, .ninputs = 2 };
		if ((err = outfile_check(o->out_path, &rules))) {
			status = fail(err);
			goto out;
		}
	}
	/* Classified (and, compressed, decompressed) once: the readers below open in.path. */
	if (!(err = input_open(o->input, &in)) && INPUT_IS_BUNDLE(in.cls.kind)) {
		if (o->companion)
			status = cli_usage_error("vmss2core", "%s is a bundle: it takes no FILE.vmem", o->input);
		else
			status = run_bundle(o, &in);
		goto out;
	}
	if (!err && o->vm) {
		status = cli_usage_error("vmss2core", "--vm goes with a BUNDLE (%s is not one)", o->input);
		goto out;
	}
	if (err || (!in.cls.format &&
	     (err = input_unsupported(&in, "a VMware checkpoint (.vmss/.vmsn), debug.guest, ELF core or"
				      " kdump-compressed file")))) {
		status = fail(err);
		goto out;
	}
	struct ck_error *missing = NULL;
	err = o->info ? cpt_info_machine_open(in.path, o->companion, &m, &fmt, &missing)
		      : machine_open(in.path, o->companion, &m, &fmt);
	if (!err)
		err = machine_rename_file(&m, in.path, in.name);
	err = input_error(&in, err);
	missing = input_error(&in, missing);
	if (missing) {
		/* --info shows what the checkpoint has even when its RAM file is gone. */
		fprintf(stderr, "vmss2core: warning: %s; showing the checkpoint without guest memory\n",
			missing->msg);
		ck_error_destroy(missing);
	}
	if (!err && o->info && m.nruns)
		err = linux_kernel_detect(&m, &k);
	if (err) {
		status = fail(err);
		goto out;
	}
	if (o->info) {
		machine_info_print(stdout, &m, fmt, &k);
		if (fmt == &vmss_format) {
			err = cpt_info_print_as(stdout, in.path, in.name, o->tags);
			if (err)
				status = fail(input_error(&in, err));
		}
		goto out;
	}
	struct progress prog = { .enabled = !o->quiet && isatty(STDERR_FILENO), .last_pct = -1 };
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	struct elfcore_options eo = {
		.out_path = o->out_path, .force = o->force,
		.progress = show_progress, .progress_arg = &prog,
	};
	/* The kernel is found in the same pass over guest RAM as the copy. */
	struct linux_kernel_scan *scan = NULL;
	err = linux_kernel_scan_create(&m, &scan);
	if (!err) {
		eo.scan = scan;
		eo.detected = &k;
		err = elfcore_write(&m, NULL, &eo);
	}
	linux_kernel_scan_destroy(scan);
	if (err) {
		status = fail(err);
		goto out;
	}
	if (!k.found)
		fprintf(stderr, "vmss2core: warning: no Linux kernel found in guest memory; "
			"wrote a physical-only ELF core (crash and drgn need a kernel)\n");
	if (!o->quiet)
		fprintf(stderr, "vmss2core: wrote %s (%s guest, %zu vCPU%s, %" PRIu64 " MiB RAM)\n",
			o->out_path, k.found ? k.osrelease : "unknown", m.ncpus, m.ncpus == 1 ? "" : "s",
			machine_ram_bytes(&m) >> 20);
out:
	input_close(&in);
	machine_deinit(&m);
	return status;
}

int main(int argc, char **argv)
{
	struct options o;
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	return run(&o);
}
