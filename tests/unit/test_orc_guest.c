/*
 * test_orc_guest.c - the ORC unwinder on the real guest of testdata/guest.sh
 * small (Debian 6.1, KASLR on), against independent oracles:
 *   - ORC table addresses: `nm` of the debug vmlinux + KERNELOFFSET (VMCOREINFO);
 *   - task_struct.thread.sp, struct inactive_task_frame, task stacks, the
 *     module's ORC tables and every task's stack: drgn (tests/unit/orc_oracle.py,
 *     on our vmss2core copy of qemu.elf, which drgn can open);
 *   - module frames down to ret_from_fork, the idle vCPUs and the user
 *     registers at a syscall entry: crash's `bt` on qemu.elf.
 * Every non-running task must give drgn's PCs (inline duplicates merged) up
 * to the first module frame and, for the deadlocked kthreads, crash's PCs to
 * the end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "kernel_memory.h"
#include "linux_kernel.h"
#include "orc.h"
#include "unit.h"
#include "vmcoreinfo.h"

enum { MAXF = 64, MAXT = 512, MAXB = 32, STACK_SIZE = 16 << 10 };

struct sym { uint64_t addr; char name[64]; };
struct syms { struct sym *s; size_t n; };

struct dtask {			/* a drgn "task" line */
	int pid, cpu;
	uint64_t task, stack, pc[MAXF];
	int npc;
};

struct cblock {			/* one `bt` of crash */
	int pid, cpu;
	uint64_t rip, rsp, orig_rax, cs, ss, pc[MAXF];
	int npc, rip_before_frames;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int run_line(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	out[0] = 0;
	if (p && fgets(out, (int)cap, p))
		out[strcspn(out, "\n")] = 0;
	return p ? pclose(p) : -1;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Text symbols of `nm VMLINUX`, slid by koff. */
static int load_syms(const char *vmlinux, uint64_t koff, struct syms *S)
{
	char cmd[4096], line[512];
	snprintf(cmd, sizeof(cmd), "nm '%s'", vmlinux);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t cap = 0;
	while (fgets(line, sizeof(line), p)) {
		uint64_t a;
		char t, name[256];
		if (sscanf(line, "%" SCNx64 " %c %255s", &a, &t, name) != 3)
			continue;
		if (S->n == cap) {
			cap = cap ? cap * 2 : 65536;
			S->s = realloc(S->s, cap * sizeof(*S->s));
		}
		S->s[S->n].addr = a + koff;
		snprintf(S->s[S->n].name, sizeof(S->s[0].name), "%.63s", name);
		S->n++;
	}
	pclose(p);
	qsort(S->s, S->n, sizeof(*S->s), sym_cmp);
	return S->n ? 0 : -1;
}

static uint64_t sym_addr(const struct syms *S, const char *name)
{
	for (size_t i = 0; i < S->n; i++)
		if (!strcmp(S->s[i].name, name))
			return S->s[i].addr;
	return 0;
}

static const char *sym_name(const struct syms *S, uint64_t a)
{
	size_t lo = 0, hi = S->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (S->s[mid].addr <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? S->s[lo - 1].name : "?";
}

/* Steps that were not plain ORC frames (frame-pointer guesses), over the whole test. */
static int n_guessed;

/* Unwind: pcs[0] = start ip, then the ip of every frame found; *last = the final step. */
static struct ck_error *unwind(struct orc_unwinder *u, struct orc_frame_state *st, uint64_t *pcs, int *n,
			       struct orc_step *last)
{
	*n = 0;
	pcs[(*n)++] = st->ip;
	while (*n < MAXF) {
		struct ck_error *err = orc_step(u, st, last);
		if (err)
			return err;
		if (last->kind == ORC_STEP_END || last->kind == ORC_STEP_STOP)
			break;
		pcs[(*n)++] = st->ip;
		n_guessed += last->kind == ORC_STEP_FP;
		if (last->kind == ORC_STEP_USER)
			break;
	}
	return NULL;
}

static void show(const char *what, const struct syms *S, const uint64_t *pcs, int n)
{
	printf("# %s:", what);
	for (int i = 0; i < n; i++)
		printf(" %s(%" PRIx64 ")", sym_name(S, pcs[i]), pcs[i]);
	printf("\n");
}

static int parse_crash(FILE *p, struct cblock *b, int max)
{
	char line[512];
	int nb = -1;
	while (fgets(line, sizeof(line), p)) {
		int pid, cpu, k;
		uint64_t a, c;
		char *s;
		if (sscanf(line, "PID: %d TASK: %*x CPU: %d", &pid, &cpu) == 2) {
			if (nb + 1 >= max)
				break;
			b[++nb] = (struct cblock){ .pid = pid, .cpu = cpu };
			continue;
		}
		if (nb < 0)
			continue;
		if ((s = strstr(line, "RIP: ")) && sscanf(s, "RIP: %" SCNx64 " RSP: %" SCNx64, &a, &c) == 2) {
			b[nb].rip = a;
			b[nb].rsp = c;
			b[nb].rip_before_frames = b[nb].npc == 0;
		}
		if ((s = strstr(line, "ORIG_RAX: ")) &&
		    sscanf(s, "ORIG_RAX: %" SCNx64 " CS: %" SCNx64 " SS: %" SCNx64, &a, &b[nb].cs, &b[nb].ss) == 3)
			b[nb].orig_rax = a;
		if (sscanf(line, " #%d [%*x] %*s at %" SCNx64, &k, &a) == 2 && b[nb].npc < MAXF)
			b[nb].pc[b[nb].npc++] = a;
	}
	return nb + 1;
}

static const struct cblock *crash_find(const struct cblock *b, int nb, int pid, int cpu)
{
	for (int i = 0; i < nb; i++)
		if (b[i].pid == pid && (cpu < 0 || b[i].cpu == cpu))
			return &b[i];
	return NULL;
}

int main(void)
{
	struct unit u = { 0 };
	const char *root = getenv("COREKIT_ROOT") ? getenv("COREKIT_ROOT") : ".";
	const char *bin = getenv("COREKIT_BIN") ? getenv("COREKIT_BIN") : "build/bin";
	char cmd[8192], gdir[2048], path[4096], line[4096], vmlinux[512], crashlinux[2048];
	/* drgn, crash, nm, the debug vmlinux. */
	snprintf(cmd, sizeof(cmd), "'%s/scripts/install-deps.sh' --if-missing >&2", root);
	int deps = system(cmd);
	snprintf(cmd, sizeof(cmd), "'%s/testdata/guest.sh' small", root);
	int rc = run_line(cmd, gdir, sizeof(gdir));
	UNIT_BEGIN(&u, "orc_guest_available");
	CHECK(&u, deps == 0);
	CHECK(&u, rc == 0 && gdir[0]);
	UNIT_END(&u);
	if (rc != 0 || !gdir[0])
		return UNIT_EXIT(&u);

	/* The machine, the kernel, its memory. */
	struct machine m;
	struct linux_kernel k = { 0 };
	machine_init(&m);
	snprintf(path, sizeof(path), "%s/qemu.elf", gdir);
	struct ck_error *err = machine_open(path, NULL, &m, NULL);
	if (!err)
		err = linux_kernel_detect(&m, &k);
	uint64_t koff = 0;
	UNIT_BEGIN(&u, "orc_guest_kernel");
	CHECK(&u, !err && k.found && m.meta.vmcoreinfo);
	CHECK(&u, !err && vmcoreinfo_get_hex(m.meta.vmcoreinfo, m.meta.vmcoreinfo_len, "KERNELOFFSET", &koff));
	UNIT_END(&u);
	if (u.failed) {
		printf("# %s\n", err ? err->msg : "no kernel");
		return UNIT_EXIT(&u);
	}
	struct kernel_memory km;
	kernel_memory_init(&km, &m, &k);
	struct ck_memory mem = kernel_memory_reader(&km);

	/* nm: ORC sections and text symbols. */
	snprintf(vmlinux, sizeof(vmlinux), "/usr/lib/debug/boot/vmlinux-%s", k.osrelease);
	struct syms S = { 0 };
	UNIT_BEGIN(&u, "orc_guest_nm");
	CHECK(&u, load_syms(vmlinux, koff, &S) == 0);
	uint64_t start_ip = sym_addr(&S, "__start_orc_unwind_ip"), stop_ip = sym_addr(&S, "__stop_orc_unwind_ip");
	uint64_t start_orc = sym_addr(&S, "__start_orc_unwind"), stop_orc = sym_addr(&S, "__stop_orc_unwind");
	uint64_t stext = sym_addr(&S, "_stext"), einittext = sym_addr(&S, "_einittext");
	CHECK(&u, start_ip && stop_ip && start_orc && stop_orc && stext && einittext);
	UNIT_END(&u);

	/* drgn on our copy of qemu.elf (drgn cannot read QEMU's own ELF). */
	char tmpdir[] = "/tmp/corekit-orc-XXXXXX";
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(cmd, sizeof(cmd), "'%s/vmss2core' -q -o '%s/core' '%s' && drgn -q -c '%s/core' -s '%s' '%s/tests/unit/orc_oracle.py'",
		 bin, tmpdir, path, tmpdir, vmlinux, root);
	static struct dtask dt[MAXT];
	int ndt = 0;
	long thread_sp_off = -1, fsize = 0, fbp = 0, fret = 0;
	uint64_t mod_ip = 0, mod_orc = 0, mod_num = 0, mod_text = 0, mod_tsize = 0;
	FILE *p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		char name[64];
		uint64_t a, b, c, d, e;
		if (sscanf(line, "thread_sp_off %ld", &thread_sp_off) == 1 ||
		    sscanf(line, "frame %ld %ld %ld", &fsize, &fbp, &fret) == 3)
			continue;
		if (sscanf(line, "module %63s %" SCNx64 " %" SCNx64 " %" SCNu64 " %" SCNx64 " %" SCNu64,
			   name, &a, &b, &c, &d, &e) == 6 && !strcmp(name, "deadlock")) {
			mod_ip = a, mod_orc = b, mod_num = c, mod_text = d, mod_tsize = e;
			continue;
		}
		struct dtask *t = &dt[ndt];
		int off = 0;
		if (ndt < MAXT && sscanf(line, "task %d %" SCNx64 " %" SCNx64 " %d%n", &t->pid, &t->task, &t->stack,
					 &t->cpu, &off) == 4) {
			char *s = line + off, *end;
			t->npc = 0;
			for (uint64_t v; t->npc < MAXF && (v = strtoull(s, &end, 16), end != s); s = end)
				t->pc[t->npc++] = v;
			ndt++;
		}
	}
	rc = p ? pclose(p) : -1;
	UNIT_BEGIN(&u, "orc_guest_drgn_oracle");
	CHECK(&u, rc == 0 && ndt > 20 && thread_sp_off > 0 && mod_num > 0);
	/* The switch frame layout orc_state_from_switch_frame() assumes, from the DWARF. */
	CHECK(&u, fsize == ORC_INACTIVE_FRAME_SIZE && fbp == ORC_INACTIVE_FRAME_BP && fret == ORC_INACTIVE_FRAME_RET);
	UNIT_END(&u);

	/* crash on qemu.elf: the deadlocked kthreads, kthreadd, init, the vCPUs. */
	static struct cblock cb[MAXB];
	int ncb = 0;
	snprintf(cmd, sizeof(cmd), "'%s/testdata/crashfix-vmlinux.sh' 2>/dev/null", root);
	rc = run_line(cmd, crashlinux, sizeof(crashlinux));
	/* The deadlocked kthreads' pids, from the guest's ground truth (they differ per build). */
	int dl_pid[3] = { 92, 93, 95 };
	static const char *const dl_key[3] = { "dl_ab_pid=", "dl_ba_pid=", "dl_reader_pid=" };
	snprintf(cmd, sizeof(cmd), "%s/info", gdir);
	FILE *inf = fopen(cmd, "r");
	while (inf && fgets(line, sizeof(line), inf))
		for (int j = 0; j < 3; j++)
			if (!strncmp(line, dl_key[j], strlen(dl_key[j])))
				dl_pid[j] = atoi(line + strlen(dl_key[j]));
	if (inf)
		fclose(inf);
	snprintf(cmd, sizeof(cmd), "printf 'bt -a\\nbt 2\\nbt 1\\nbt %d\\nbt %d\\nbt %d\\nquit\\n' | timeout 600 crash -s '%s' '%s' 2>&1",
		 dl_pid[0], dl_pid[1], dl_pid[2], crashlinux, path);
	p = rc == 0 ? popen(cmd, "r") : NULL;
	if (p) {
		ncb = parse_crash(p, cb, MAXB);
		pclose(p);
	}
	UNIT_BEGIN(&u, "orc_guest_crash_oracle");
	CHECK(&u, ncb >= 6 && crash_find(cb, ncb, dl_pid[0], -1) && crash_find(cb, ncb, 0, 0));
	UNIT_END(&u);

	/* The unwinder: tables read once. */
	struct orc_unwinder *ou = NULL;
	UNIT_BEGIN(&u, "orc_guest_format_v1");
	CHECK(&u, orc_format_for_release(k.osrelease) == ORC_FORMAT_V1);
	UNIT_END(&u);
	double t0 = now_ms();
	err = orc_unwinder_create(&mem, orc_format_for_release(k.osrelease), &ou);
	if (!err)
		err = orc_add_vmlinux(ou, start_ip, stop_ip, start_orc, stop_orc, stext, einittext);
	double t_load = now_ms() - t0;
	UNIT_BEGIN(&u, "orc_guest_load_vmlinux");
	CHECK(&u, !err);
	if (err)
		printf("# %s\n", err->msg);
	UNIT_END(&u);
	ck_error_destroy(err);
	if (!ou)
		return UNIT_EXIT(&u);

	/* Before the module table is added, a module frame has no ORC: a clean guess or stop. */
	UNIT_BEGIN(&u, "orc_guest_module_without_table");
	{
		const struct dtask *t = NULL;
		for (int i = 0; i < ndt; i++)
			if (dt[i].pid == dl_pid[0])
				t = &dt[i];
		uint64_t tsp = 0, pcs[MAXF];
		int n = 0;
		struct orc_frame_state st;
		struct orc_step last;
		CHECK(&u, t && !ck_mem_read_u64(&mem, t->task + (uint64_t)thread_sp_off, &tsp));
		err = orc_state_from_switch_frame(ou, tsp, t ? t->stack : 0, t ? t->stack + STACK_SIZE : 0, &st);
		if (!err)
			err = unwind(ou, &st, pcs, &n, &last);
		CHECK(&u, !err && n >= 5 && pcs[4] >= mod_text && pcs[4] < mod_text + mod_tsize);
		ck_error_destroy(err);
	}
	UNIT_END(&u);

	n_guessed = 0;
	UNIT_BEGIN(&u, "orc_guest_load_module");
	err = orc_add_table(ou, mod_ip, mod_orc, mod_num, mod_text, mod_text + mod_tsize);
	CHECK(&u, !err);
	ck_error_destroy(err);
	UNIT_END(&u);

	/* Every task that is not running: drgn's PCs, then (modules) crash's. */
	int ntasks = 0, nframes = 0, nskip = 0, nmod = 0, nuser = 0;
	double t_unwind = 0;
	UNIT_BEGIN(&u, "orc_guest_tasks_match_drgn");
	for (int i = 0; i < ndt; i++) {
		const struct dtask *t = &dt[i];
		if (t->cpu >= 0 || t->npc == 0)
			continue;
		/* drgn shows a vCPU's registers for the task whose pid equals QEMU's PRSTATUS pid. */
		int vcpu_regs = 0;
		for (size_t c = 0; c < m.ncpus; c++)
			vcpu_regs |= t->pc[0] == m.cpus[c].rip;
		if (vcpu_regs) {
			nskip++;
			continue;
		}
		uint64_t tsp = 0, pcs[MAXF], pcs2[MAXF];
		int n = 0, n2 = 0;
		struct orc_frame_state st = { 0 }, st0;
		struct orc_step last, last2;
		double t1 = now_ms();
		err = ck_mem_read_u64(&mem, t->task + (uint64_t)thread_sp_off, &tsp);
		if (!err)
			err = orc_state_from_switch_frame(ou, tsp, t->stack, t->stack + STACK_SIZE, &st);
		st0 = st;
		if (!err)
			err = unwind(ou, &st, pcs, &n, &last);
		t_unwind += now_ms() - t1;
		/* The same without stack bounds. */
		st0.stack_lo = st0.stack_hi = 0;
		if (!err)
			err = unwind(ou, &st0, pcs2, &n2, &last2);
		CHECK(&u, !err);
		if (err) {
			printf("# pid %d: %s\n", t->pid, err->msg);
			ck_error_destroy(err);
			continue;
		}
		ntasks++;
		nframes += n;
		/* drgn is right up to the first module frame. */
		int upto = 0;
		while (upto < t->npc && !(t->pc[upto] >= mod_text && t->pc[upto] < mod_text + mod_tsize))
			upto++;
		int good = n >= upto && !memcmp(pcs, t->pc, (size_t)upto * 8);
		if (upto == t->npc)
			good = good && n == t->npc &&
			       (last.kind == ORC_STEP_USER ||
				(last.kind == ORC_STEP_END && !strcmp(sym_name(&S, pcs[n - 1]), "ret_from_fork")));
		else
			nmod++;
		nuser += last.kind == ORC_STEP_USER;
		good = good && n2 == n && !memcmp(pcs, pcs2, (size_t)n * 8);
		CHECK(&u, good);
		if (!good) {
			printf("# pid %d (last step %s %s)\n", t->pid, orc_step_kind_name(last.kind), last.why ? last.why : "");
			show("ours", &S, pcs, n);
			show("drgn", &S, t->pc, t->npc);
		}
	}
	CHECK(&u, ntasks > 20 && nskip <= (int)m.ncpus && nmod == 4 && nuser >= 2);
	UNIT_END(&u);
	printf("# %d tasks, %d frames, %d through module frames, %d to user mode (%d left to crash)\n",
	       ntasks, nframes, nmod, nuser, nskip);

	/* Module frames down to ret_from_fork, kthreadd, init's user registers: crash. */
	const int cpids[] = { dl_pid[0], dl_pid[1], dl_pid[2], 2, 1 };
	for (size_t j = 0; j < sizeof(cpids) / sizeof(cpids[0]); j++) {
		int pid = cpids[j];
		snprintf(line, sizeof(line), "orc_guest_matches_crash_pid_%d", pid);
		UNIT_BEGIN(&u, line);
		const struct dtask *t = NULL;
		for (int i = 0; i < ndt; i++)
			if (dt[i].pid == pid)
				t = &dt[i];
		const struct cblock *b = crash_find(cb, ncb, pid, -1);
		uint64_t tsp = 0, pcs[MAXF];
		int n = 0;
		struct orc_frame_state st = { 0 };
		struct orc_step last = { 0 };
		CHECK(&u, t && b && b->npc > 3);
		err = t ? ck_mem_read_u64(&mem, t->task + (uint64_t)thread_sp_off, &tsp) : NULL;
		if (t && !err)
			err = orc_state_from_switch_frame(ou, tsp, t->stack, t->stack + STACK_SIZE, &st);
		if (t && !err)
			err = unwind(ou, &st, pcs, &n, &last);
		CHECK(&u, t && !err);
		if (b && pid != 1) {
			CHECK(&u, n == b->npc && !memcmp(pcs, b->pc, (size_t)n * 8) && last.kind == ORC_STEP_END);
			CHECK(&u, n && !strcmp(sym_name(&S, pcs[n - 1]), "ret_from_fork"));
		} else if (b) {
			/* crash's middle frames for init are stale-stack guesses; its pt_regs dump is exact. */
			CHECK(&u, last.kind == ORC_STEP_USER && !last.partial && st.ip == b->rip && st.sp == b->rsp);
			CHECK(&u, last.orig_ax == b->orig_rax && st.regs.sel[X86_CS] == b->cs && st.regs.sel[X86_SS] == b->ss);
			CHECK(&u, n >= 2 && b->npc && pcs[n - 2] == b->pc[b->npc - 1]);
			CHECK(&u, n >= 2 && !strncmp(sym_name(&S, pcs[n - 2]), "entry_SYSCALL_64", 16));
		}
		if (u.failed && b) {
			show("ours", &S, pcs, n);
			show("crash", &S, b->pc, b->npc);
		}
		ck_error_destroy(err);
		UNIT_END(&u);
	}

	/* Running vCPUs (idle): their registers, then crash's frames. */
	for (size_t c = 0; c < m.ncpus; c++) {
		snprintf(line, sizeof(line), "orc_guest_vcpu%zu_matches_crash", c);
		UNIT_BEGIN(&u, line);
		const struct cblock *b = crash_find(cb, ncb, 0, (int)c);
		uint64_t pcs[MAXF];
		int n = 0;
		struct orc_frame_state st;
		struct orc_step last = { 0 };
		orc_state_from_regs(&m.cpus[c], 0, 0, &st);
		err = unwind(ou, &st, pcs, &n, &last);
		CHECK(&u, !err && b && b->rip_before_frames && b->rip == m.cpus[c].rip);
		CHECK(&u, b && n == b->npc + 1 && !memcmp(pcs + 1, b->pc, (size_t)b->npc * 8));
		CHECK(&u, last.kind == ORC_STEP_END && n && strstr(sym_name(&S, pcs[n - 1]), "startup_64"));
		if (u.failed && b) {
			show("ours", &S, pcs, n);
			show("crash", &S, b->pc, b->npc);
		}
		ck_error_destroy(err);
		UNIT_END(&u);
	}
	/* With the module's table every frame came from an ORC entry. */
	UNIT_BEGIN(&u, "orc_guest_no_frame_pointer_guesses");
	CHECK(&u, n_guessed == 0);
	UNIT_END(&u);
	printf("# vmlinux ORC load %.1f ms (%" PRIu64 " entries), unwinding %d tasks %.2f ms\n", t_load,
	       (stop_ip - start_ip) / 4, ntasks, t_unwind);

	orc_unwinder_destroy(ou);
	free(S.s);
	machine_deinit(&m);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return UNIT_EXIT(&u);
}
