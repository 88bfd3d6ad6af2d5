/*
 * test_kallsyms_realguest.c - kallsyms from the memory of the real Debian 6.1
 * guest (testdata/guest.sh small), checked against independent oracles:
 *   - `nm -n` of the debug vmlinux + KERNELOFFSET: every text symbol found by
 *     name (unique names) or by address (duplicated static names), data
 *     symbols the other engineers need at their nm address;
 *   - the kernel's own backtraces in serial.log ("__schedule+0x34d/0xa00",
 *     "dl_ab+0x27/0x30 [deadlock]"): name, offset and size of our lookup;
 *   - struct layouts from drgn's offsetof() on the debug vmlinux (DWARF);
 *   - the module's lock addresses the module printed (info file), `nm
 *     deadlock.ko` for symbol distances, readelf for its ORC entry count;
 *   - the VMCOREINFO-named tables for the scan with those SYMBOL lines removed.
 * Prints the load times as "# " lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "kallsyms.h"
#include "kernel_memory.h"
#include "linux_kernel.h"
#include "unit.h"
#include "vmcoreinfo.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 20);
	size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = 0;
	return buf;
}

static uint64_t info_hex(const char *info, const char *key)
{
	const char *p = strstr(info, key);
	return p ? strtoull(p + strlen(key), NULL, 16) : 0;
}

struct nmsym {
	uint64_t addr;
	char type;
	char *name;
};

static int cmp_nm_name(const void *a, const void *b)
{
	return strcmp(((const struct nmsym *)a)->name, ((const struct nmsym *)b)->name);
}

/* Run cmd (nm) and collect "ADDR TYPE NAME" lines. */
static struct nmsym *read_nm(const char *cmd, size_t *n_ret)
{
	FILE *p = popen(cmd, "r");
	size_t n = 0, cap = 0;
	struct nmsym *v = NULL;
	char line[1024], name[1000], type;
	unsigned long long addr;
	while (p && fgets(line, sizeof(line), p)) {
		if (sscanf(line, "%llx %c %999s", &addr, &type, name) != 3)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			v = realloc(v, cap * sizeof(*v));
		}
		v[n++] = (struct nmsym){ addr, type, strdup(name) };
	}
	if (p)
		pclose(p);
	*n_ret = n;
	return v;
}

static const struct nmsym *nm_find(const struct nmsym *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* Layout of struct module / mod_kallsyms from drgn (DWARF of the debug vmlinux). */
static int drgn_layout(const char *gdir, const char *vmlinux, struct kallsyms_module_layout *l)
{
	char script[] = "/tmp/corekit-ks-XXXXXX.py", cmd[4096];
	int fd = mkstemps(script, 3);
	if (fd < 0)
		return 0;
	FILE *f = fdopen(fd, "w");
	fputs("from drgn import offsetof, sizeof\n"
	      "m = prog.type('struct module'); k = prog.type('struct mod_kallsyms')\n"
	      "for f in ['list', 'name', 'kallsyms', 'core_layout.base', 'core_layout.text_size',\n"
	      "          'arch.orc_unwind_ip', 'arch.orc_unwind', 'arch.num_orcs']:\n"
	      "    print('m', f, offsetof(m, f))\n"
	      "print('namelen', sizeof(m.member('name').type))\n"
	      "for f in ['symtab', 'num_symtab', 'strtab', 'typetab']:\n"
	      "    print('k', f, offsetof(k, f))\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "drgn -q -c '%s/qemu.elf' -s '%s' %s 2>/dev/null", gdir, vmlinux, script);
	FILE *p = popen(cmd, "r");
	char line[256], kind[8], field[64];
	long long v;
	int got = 0;
	while (p && fgets(line, sizeof(line), p)) {
		if (sscanf(line, "namelen %lld", &v) == 1) {
			l->name_len = (int)v;
			got++;
			continue;
		}
		if (sscanf(line, "%7s %63s %lld", kind, field, &v) != 3)
			continue;
		got++;
		if (!strcmp(field, "list")) l->list = (uint64_t)v;
		else if (!strcmp(field, "name")) l->name = (uint64_t)v;
		else if (!strcmp(field, "kallsyms")) l->kallsyms = (uint64_t)v;
		else if (!strcmp(field, "core_layout.base")) l->text_base = (uint64_t)v;
		else if (!strcmp(field, "core_layout.text_size")) l->text_size = (uint64_t)v;
		else if (!strcmp(field, "arch.orc_unwind_ip")) l->orc_unwind_ip = v;
		else if (!strcmp(field, "arch.orc_unwind")) l->orc_unwind = v;
		else if (!strcmp(field, "arch.num_orcs")) l->num_orcs = v;
		else if (!strcmp(field, "symtab")) l->ks_symtab = (uint64_t)v;
		else if (!strcmp(field, "num_symtab")) l->ks_num_symtab = (uint64_t)v;
		else if (!strcmp(field, "strtab")) l->ks_strtab = (uint64_t)v;
		else if (!strcmp(field, "typetab")) l->ks_typetab = v;
		else got--;
	}
	if (p)
		pclose(p);
	remove(script);
	return got == 13;
}

/* Every "NAME+0xOFF/0xSIZE" of the kernel's backtraces in the serial log. */
static void check_serial_frames(struct unit *u, const struct kallsyms *ks, const char *log, int *nframes)
{
	for (const char *p = log; (p = strstr(p, "+0x")) != NULL; p++) {
		const char *s = p;
		while (s > log && (s[-1] == '_' || s[-1] == '.' || (s[-1] >= '0' && s[-1] <= '9') ||
				   (s[-1] >= 'a' && s[-1] <= 'z') || (s[-1] >= 'A' && s[-1] <= 'Z')))
			s--;
		char name[256], *end;
		if (p - s <= 0 || p - s >= (long)sizeof(name) || (s > log && s[-1] != ' '))
			continue;
		unsigned long long off = strtoull(p + 3, &end, 16), size;
		if (strncmp(end, "/0x", 3) != 0)
			continue;
		size = strtoull(end + 3, NULL, 16);
		memcpy(name, s, (size_t)(p - s));
		name[p - s] = 0;
		/* Stack entries are printed with %pB: looked up at the return address - 1, offset + 1. */
		uint64_t a = 0;
		struct ksym k = { 0 };
		int ok = off > 0 && kallsyms_address(ks, name, &a) && kallsyms_lookup(ks, a + off - 1, &k) &&
			 strcmp(k.name, name) == 0 && k.offset == off - 1 && k.size == size;
		if (!ok)
			printf("# serial frame %s+0x%llx/0x%llx: ours %s+0x%llx/0x%llx\n", name, off, size,
			       k.name ? k.name : "?", (unsigned long long)k.offset + 1, (unsigned long long)k.size);
		CHECK(u, ok);
		(*nframes)++;
	}
}

int main(void)
{
	struct unit u = { 0 };
	const char *root = getenv("COREKIT_ROOT");
	char cmd[4096], gdir[2048] = "", path[4096];
	snprintf(cmd, sizeof(cmd), "'%s/testdata/guest.sh' small", root ? root : ".");
	FILE *p = popen(cmd, "r");
	if (p && fgets(gdir, sizeof(gdir), p))
		gdir[strcspn(gdir, "\n")] = 0;
	int rc = p ? pclose(p) : -1;
	UNIT_BEGIN(&u, "kallsyms_realguest_available");
	CHECK(&u, rc == 0 && gdir[0]);
	UNIT_END(&u);
	if (rc != 0 || !gdir[0])
		return UNIT_EXIT(&u);

	snprintf(path, sizeof(path), "%s/info", gdir);
	char *info = slurp(path);
	snprintf(path, sizeof(path), "%s/serial.log", gdir);
	char *log = slurp(path);
	char vmlinux[1024] = "";
	const char *vl = info ? strstr(info, "vmlinux_debug=") : NULL;
	if (vl)
		snprintf(vmlinux, sizeof(vmlinux), "%.*s", (int)strcspn(vl + 14, "\n"), vl + 14);

	struct machine m;
	struct linux_kernel k = { 0 };
	machine_init(&m);
	snprintf(path, sizeof(path), "%s/qemu.elf", gdir);
	struct ck_error *err = machine_open(path, NULL, &m, NULL);
	if (!err)
		err = linux_kernel_detect(&m, &k);
	UNIT_BEGIN(&u, "kallsyms_realguest_open");
	CHECK(&u, !err && k.found && info && log && vmlinux[0]);
	UNIT_END(&u);
	if (err || !k.found || !info || !log || !vmlinux[0]) {
		printf("# %s\n", err ? err->msg : "no kernel / info / serial.log");
		return UNIT_EXIT(&u);
	}
	struct kernel_memory km;
	kernel_memory_init(&km, &m, &k);
	struct ck_memory mem = kernel_memory_reader(&km);
	const char *vi = m.meta.vmcoreinfo;
	size_t vilen = m.meta.vmcoreinfo_len;
	uint64_t koff = 0;
	vmcoreinfo_get_hex(vi, vilen, "KERNELOFFSET", &koff);

	UNIT_BEGIN(&u, "kallsyms_realguest_load");
	struct kallsyms *ks = NULL;
	double best = 1e9, bestcpu = 1e9;
	for (int rep = 0; rep < 3; rep++) {	/* best of 3: the machine is shared */
		kallsyms_destroy(ks);
		ks = NULL;
		ck_error_destroy(err);
		double t0 = now_ms(), c0 = cpu_ms();
		err = kallsyms_load(&mem, vi, vilen, &ks);
		double t1 = now_ms(), c1 = cpu_ms();
		best = t1 - t0 < best ? t1 - t0 : best;
		bestcpu = c1 - c0 < bestcpu ? c1 - c0 : bestcpu;
	}
	CHECK(&u, !err && ks && kallsyms_count(ks) > 50000);
	if (err)
		printf("# %s\n", err->msg);
	else
		printf("# kallsyms_load: %zu symbols in %.1f ms (CPU %.1f ms), best of 3\n", kallsyms_count(ks), best,
		       bestcpu);
	ck_error_destroy(err);
	UNIT_END(&u);
	if (!ks)
		return UNIT_EXIT(&u);

	/* nm oracle */
	size_t nnm = 0;
	snprintf(cmd, sizeof(cmd), "nm -n '%s'", vmlinux);
	struct nmsym *nm = read_nm(cmd, &nnm);
	UNIT_BEGIN(&u, "kallsyms_realguest_nm_text_symbols");
	{
		CHECK(&u, nnm > 50000);
		/* Text symbols sorted by name, so duplicated names are neighbours. */
		struct nmsym *text = malloc(nnm * sizeof(*text));
		size_t nt = 0;
		for (size_t i = 0; i < nnm; i++)
			if (nm[i].type == 't' || nm[i].type == 'T')
				text[nt++] = nm[i];
		qsort(text, nt, sizeof(*text), cmp_nm_name);
		size_t byname = 0, byaddr = 0, bad = 0;
		for (size_t i = 0; i < nt; i++) {
			bool dup = (i > 0 && !strcmp(text[i - 1].name, text[i].name)) ||
				   (i + 1 < nt && !strcmp(text[i + 1].name, text[i].name));
			uint64_t want = text[i].addr + koff, a = 0;
			struct ksym s;
			bool ok;
			if (!dup) {
				ok = kallsyms_address(ks, text[i].name, &a) && a == want;
				byname += ok;
			} else {
				/* the alias run at want must hold this name */
				ok = kallsyms_lookup(ks, want, &s) && s.start == want;
				size_t j = 0, cnt = kallsyms_count(ks);
				for (size_t lo = 0, hi = cnt; ok && lo < hi;) {
					size_t mid = lo + (hi - lo) / 2;
					kallsyms_symbol(ks, mid, &s);
					if (s.start < want)
						lo = mid + 1;
					else
						hi = mid;
					j = lo;
				}
				ok = false;
				for (; j < cnt; j++) {
					kallsyms_symbol(ks, j, &s);
					if (s.start != want)
						break;
					if (!strcmp(s.name, text[i].name) && (s.type | 0x20) == 't')
						ok = true;
				}
				byaddr += ok;
			}
			if (!ok && bad++ < 10)
				printf("# nm %c %s at 0x%llx: not found (got 0x%llx)\n", text[i].type, text[i].name,
				       (unsigned long long)want, (unsigned long long)a);
		}
		printf("# nm text symbols: %zu, by name %zu, duplicated names by address %zu, missing %zu\n", nt,
		       byname, byaddr, bad);
		CHECK(&u, nt > 30000 && bad == 0);
		free(text);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kallsyms_realguest_inside_functions");
	{
		/* Every 97th nm text symbol with a following symbol: start + size/2 resolves to it. */
		size_t checked = 0, bad = 0;
		for (size_t i = 0; i + 1 < nnm; i += 97) {
			if ((nm[i].type | 0x20) != 't' || nm[i + 1].addr <= nm[i].addr + 1)
				continue;
			uint64_t start = nm[i].addr + koff, mid = start + (nm[i + 1].addr - nm[i].addr) / 2;
			struct ksym s;
			bool ok = kallsyms_lookup(ks, mid, &s) && s.start == start && s.offset == mid - start &&
				  s.size == nm[i + 1].addr - nm[i].addr && !s.module;
			bad += !ok;
			checked++;
		}
		printf("# inside-function lookups: %zu, wrong %zu\n", checked, bad);
		CHECK(&u, checked > 300 && bad == 0);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kallsyms_realguest_nm_all_symbols");
	{
		/* Every nm symbol whose name is unique: same address (per-CPU ones unshifted), same type
		 * letter (kallsyms_find).  kallsyms leaves some out on purpose (scripts/kallsyms): count those apart. */
		struct nmsym *all = malloc(nnm * sizeof(*all));
		memcpy(all, nm, nnm * sizeof(*all));
		qsort(all, nnm, sizeof(*all), cmp_nm_name);
		size_t checked = 0, absent = 0, unexpected = 0, wrong = 0;
		for (size_t i = 0; i < nnm; i++) {
			if ((i > 0 && !strcmp(all[i - 1].name, all[i].name)) ||
			    (i + 1 < nnm && !strcmp(all[i + 1].name, all[i].name)))
				continue;
			uint64_t want = all[i].addr >> 63 ? all[i].addr + koff : all[i].addr, a = 0;
			struct ksym s;
			if (!kallsyms_address(ks, all[i].name, &a)) {
				/* What scripts/kallsyms leaves out: local labels, export strings and CRCs,
				 * absolute symbols, and its own tables (made after the symbol list). */
				static const char *const skipped[] = { ".", "__kstrtab_", "__kstrtabns_", "__crc_",
								       "kallsyms_" };
				bool expected = (all[i].type | 0x20) == 'a';
				for (size_t j = 0; j < sizeof(skipped) / sizeof(skipped[0]); j++)
					expected |= !strncmp(all[i].name, skipped[j], strlen(skipped[j]));
				absent++;
				if (!expected && unexpected++ < 10)
					printf("# nm %c %s: not in kallsyms\n", all[i].type, all[i].name);
				continue;
			}
			checked++;
			bool ok = a == want && kallsyms_lookup(ks, a, &s) && s.start == a &&
				  kallsyms_find(ks, all[i].name, &s) && !s.module &&
				  /* --absolute-percpu makes per-CPU symbols 'A' */
				  s.type == (all[i].addr >> 63 ? all[i].type : 'A');
			if (!ok && wrong++ < 5)
				printf("# nm %c %s 0x%llx: ours %c 0x%llx\n", all[i].type, all[i].name,
				       (unsigned long long)want, s.type, (unsigned long long)a);
		}
		printf("# nm symbols with unique names: %zu found at the nm address, %zu wrong, %zu not in kallsyms "
		       "(%zu unexpectedly)\n", checked, wrong, absent, unexpected);
		CHECK(&u, checked > 80000 && wrong == 0 && unexpected == 0);
		free(all);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kallsyms_realguest_data_symbols");
	{
		static const char *const names[] = { "init_task", "__start_orc_unwind_ip", "__start_BTF", "__stop_BTF",
						     "orc_lookup", "modules", "runqueues", "__per_cpu_offset",
						     "jiffies", "sysctl_hung_task_timeout_secs", "_stext" };
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			const struct nmsym *s = nm_find(nm, nnm, names[i]);
			uint64_t a = 0, want = s ? (s->addr >> 63 ? s->addr + koff : s->addr) : 1;
			bool ok = kallsyms_address(ks, names[i], &a) && a == want;
			if (!ok)
				printf("# %s: ours 0x%llx, nm 0x%llx\n", names[i], (unsigned long long)a,
				       (unsigned long long)want);
			CHECK(&u, ok);
		}
		uint64_t stext = 0, a = 0;
		vmcoreinfo_get_hex(vi, vilen, "SYMBOL(_stext)", &stext);
		CHECK(&u, kallsyms_address(ks, "_stext", &a) && a == stext);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kallsyms_realguest_scan_without_vmcoreinfo_symbols");
	{
		/* The VMCOREINFO without its SYMBOL(kallsyms_*) lines. */
		char *stripped = malloc(vilen + 1);
		size_t sl = 0;
		for (const char *q = vi; q < vi + vilen;) {
			size_t ll = strcspn(q, "\n");
			if (q + ll > vi + vilen)
				ll = (size_t)(vi + vilen - q);
			if (strncmp(q, "SYMBOL(kallsyms_", 16) != 0) {
				memcpy(stripped + sl, q, ll);
				sl += ll;
				stripped[sl++] = '\n';
			}
			q += ll + 1;
		}
		struct kallsyms_tables want, got;
		bool scan1 = true, scan2 = false;
		err = kallsyms_locate(&mem, vi, vilen, &want, &scan1);
		CHECK(&u, !err && !scan1);
		ck_error_destroy(err);
		double s0 = now_ms(), c0 = cpu_ms();
		err = kallsyms_locate(&mem, stripped, sl, &got, &scan2);
		double s1 = now_ms(), c1 = cpu_ms();
		CHECK(&u, !err && scan2);
		if (err)
			printf("# scan: %s\n", err->msg);
		ck_error_destroy(err);
		CHECK(&u, !memcmp(&want, &got, sizeof(want)));
		printf("# scan found the tables in %.1f ms, CPU %.1f ms (names 0x%llx, token_table 0x%llx, offsets 0x%llx)\n",
		       s1 - s0, c1 - c0,
		       (unsigned long long)got.names, (unsigned long long)got.token_table,
		       (unsigned long long)got.offsets);
		/* No _stext either: the scan starts at the default load address + KERNELOFFSET. */
		char *noste = strstr(stripped, "SYMBOL(_stext)=");
		if (noste)
			noste[0] = 'X';
		memset(&got, 0, sizeof(got));
		err = kallsyms_locate(&mem, stripped, sl, &got, &scan2);
		CHECK(&u, !err && scan2 && !memcmp(&want, &got, sizeof(want)));
		ck_error_destroy(err);
		struct kallsyms *ks2 = NULL;
		err = kallsyms_load(&mem, stripped, sl, &ks2);
		CHECK(&u, !err && ks2 && kallsyms_count(ks2) == kallsyms_count(ks));
		ck_error_destroy(err);
		kallsyms_destroy(ks2);
		free(stripped);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kallsyms_realguest_modules");
	struct kallsyms_module_layout lay = { .orc_unwind_ip = -1, .orc_unwind = -1, .num_orcs = -1, .ks_typetab = -1 };
	uint64_t head = 0;
	struct kallsyms_warnings w = { 0 };
	CHECK(&u, drgn_layout(gdir, vmlinux, &lay));
	CHECK(&u, kallsyms_address(ks, "modules", &head));
	double m0 = now_ms();
	err = kallsyms_add_modules(ks, &mem, head, &lay, &w);
	double m1 = now_ms();
	CHECK(&u, !err && w.n == 0);
	for (size_t i = 0; i < w.n; i++)
		printf("# warning: %s\n", w.msgs[i]);
	kallsyms_warnings_free(&w);
	if (err)
		printf("# %s\n", err->msg);
	ck_error_destroy(err);
	const struct kmodule_info *dl = NULL;
	for (size_t i = 0; i < kallsyms_nmodules(ks); i++)
		if (!strcmp(kallsyms_module(ks, i)->name, "deadlock"))
			dl = kallsyms_module(ks, i);
	printf("# %zu modules, %zu symbols in all, module walk %.1f ms\n", kallsyms_nmodules(ks), kallsyms_count(ks),
	       m1 - m0);
	CHECK(&u, dl && dl->nsyms >= 8);
	/* Data symbols at the addresses the module printed. */
	static const char *const locks[] = { "lock_a=", "lock_b=", "dl_rwsem=" };
	for (int i = 0; i < 3; i++) {
		char nm_[16];
		snprintf(nm_, sizeof(nm_), "%.*s", (int)strlen(locks[i]) - 1, locks[i]);
		uint64_t a = 0, want = info_hex(info, locks[i]);
		struct ksym s;
		CHECK(&u, want && kallsyms_address(ks, nm_, &a) && a == want);
		CHECK(&u, kallsyms_lookup(ks, want, &s) && !strcmp(s.name, nm_) && s.module && !strcmp(s.module, "deadlock"));
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kallsyms_realguest_module_text");
	{
		/* Distances between the functions as in `nm deadlock.ko` (all in .text). */
		snprintf(cmd, sizeof(cmd), "nm '%s/deadlock.ko'", gdir);
		size_t nko = 0;
		struct nmsym *ko = read_nm(cmd, &nko);
		static const char *const fns[] = { "dl_ab", "dl_ba", "dl_writer", "dl_reader" };
		const struct nmsym *base = nm_find(ko, nko, "dl_reader");
		uint64_t abase = 0;
		CHECK(&u, base && kallsyms_address(ks, "deadlock:dl_reader", &abase));
		for (int i = 0; i < 4 && base; i++) {
			const struct nmsym *s = nm_find(ko, nko, fns[i]);
			uint64_t a = 0;
			struct ksym ks_;
			CHECK(&u, s && kallsyms_address(ks, fns[i], &a) && a - abase == s->addr - base->addr);
			CHECK(&u, dl && a >= dl->text_base && a < dl->text_base + dl->text_size);
			CHECK(&u, kallsyms_lookup(ks, a + 5, &ks_) && !strcmp(ks_.name, fns[i]) && ks_.offset == 5 &&
				  ks_.type == 't' && ks_.module && !strcmp(ks_.module, "deadlock"));
		}
		for (size_t i = 0; i < nko; i++)
			free(ko[i].name);
		free(ko);
		/* ORC: as many entries as .orc_unwind_ip has 4-byte words (readelf of the .ko). */
		snprintf(cmd, sizeof(cmd), "readelf -SW '%s/deadlock.ko' | awk '$2 == \".orc_unwind_ip\" {print $6}'", gdir);
		FILE *r = popen(cmd, "r");
		unsigned long long sz = 0;
		if (!r || fscanf(r, "%llx", &sz) != 1)
			sz = 0;
		if (r)
			pclose(r);
		CHECK(&u, dl && sz && dl->num_orcs == sz / 4 && dl->orc_unwind_ip && dl->orc_unwind);
		if (dl)
			printf("# deadlock: text 0x%llx+0x%llx, %u ORC entries, %zu symbols\n",
			       (unsigned long long)dl->text_base, (unsigned long long)dl->text_size, dl->num_orcs,
			       dl->nsyms);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kallsyms_realguest_serial_backtraces");
	{
		int nframes = 0;
		check_serial_frames(&u, ks, log, &nframes);
		printf("# serial.log frames checked: %d\n", nframes);
		CHECK(&u, nframes >= 20);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "kallsyms_realguest_add_modules_twice");
	err = kallsyms_add_modules(ks, &mem, head, &lay, NULL);
	CHECK(&u, err && err->kind == CK_ERR_USAGE);
	ck_error_destroy(err);
	UNIT_END(&u);

	for (size_t i = 0; i < nnm; i++)
		free(nm[i].name);
	free(nm);
	kallsyms_destroy(ks);
	free(info);
	free(log);
	machine_deinit(&m);
	return UNIT_EXIT(&u);
}
