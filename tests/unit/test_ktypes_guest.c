/*
 * test_ktypes_guest.c - ktypes.h on the real Debian guest (testdata/guest.sh
 * small) and its debug vmlinux, against independent oracles:
 *   - drgn (tests/unit/ktypes_oracle.py) reads the vmlinux's DWARF and answers
 *     ~45 offsetof/sizeof/member-size/enum queries the kernel analyzer needs,
 *     "missing" included (task_struct.state, module.mem on 6.1); all three
 *     sources (BTF from guest memory, vmlinux .BTF, vmlinux DWARF) must agree;
 *   - the BTF blob's guest address comes from `nm` (__start_BTF/__stop_BTF)
 *     plus KERNELOFFSET from VMCOREINFO, not from our own code;
 *   - the offsets read real memory: dl_ab's task_struct (address and pid from
 *     the guest's own serial log, testdata "info") has comm "dl_ab" and that pid.
 * Also: errors for missing members and bitfields, a fault for an unmapped
 * blob, a blob cut short, and the time to open + 100 lookups.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "kernel_memory.h"
#include "ktypes.h"
#include "linux_kernel.h"
#include "unit.h"
#include "vmcoreinfo.h"

static const char *const queries[] = {
	"o:task_struct:tasks", "o:task_struct:pid", "o:task_struct:tgid", "o:task_struct:comm",
	"o:task_struct:__state", "o:task_struct:state", "o:task_struct:thread.sp", "o:task_struct:stack",
	"o:task_struct:on_cpu", "o:task_struct:cpu", "o:task_struct:thread_info.cpu",
	"o:task_struct:last_switch_time", "o:task_struct:nvcsw", "o:task_struct:nivcsw", "o:task_struct:signal",
	"o:task_struct:thread_group", "o:task_struct:thread_node", "o:task_struct:exit_state",
	"o:task_struct:flags", "o:task_struct:comm[3]", "m:task_struct:comm", "m:task_struct:thread_info.cpu",
	"s:task_struct", "o:signal_struct:thread_head", "o:signal_struct:rlim[3].rlim_max",
	"m:signal_struct:rlim", "o:list_head:next", "o:list_head:prev", "s:list_head", "o:module:list",
	"o:module:name", "o:module:core_layout.base", "o:module:core_layout.size", "o:module:mem[1].base",
	"o:module:arch.orc_unwind_ip", "o:mutex:owner", "o:mutex:wait_list", "o:rw_semaphore:owner",
	"o:rw_semaphore:count", "o:rw_semaphore:wait_list", "o:mutex_waiter:list", "o:mutex_waiter:task",
	"s:printk_ringbuffer", "o:printk_ringbuffer:desc_ring", "o:printk_ringbuffer:text_data_ring.data",
	"o:prb_desc_ring:count_bits", "o:rq:curr", "o:page:lru", "o:page:mapping", "o:page:_refcount",
	"o:task_struct:no_such_member", "s:no_such_struct_xyz", "e:pid_type:PIDTYPE_PID",
	"e:pid_type:PIDTYPE_TGID", "e:pid_type:PIDTYPE_MAX", "e::TASK_COMM_LEN", "e:pid_type:NO_SUCH",
};
enum { NQ = sizeof(queries) / sizeof(queries[0]) };

static int run(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	size_t n = p ? fread(out, 1, cap - 1, p) : 0;
	out[n] = 0;
	return p ? pclose(p) : -1;
}

/* Our answer to one query: a decimal number or "missing"; other errors are printed and fail. */
static void answer(struct ktypes *t, const char *q, char *out, size_t cap)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", q + 2);
	char *s = buf, *m = strchr(buf, ':');
	if (m)
		*m++ = 0;
	struct ck_error *err = NULL;
	uint64_t v = 0;
	int64_t e = 0;
	int has = 1;
	switch (q[0]) {
	case 'o':
	case 'm':
		err = ktypes_has_member(t, s, m, &has);
		if (!err && has)
			err = q[0] == 'o' ? ktypes_offsetof(t, s, m, &v) : ktypes_member_size(t, s, m, &v);
		break;
	case 's':
		err = ktypes_sizeof(t, s, &v);
		if (err && err->kind == CK_ERR_INPUT && strstr(err->msg, "not found"))
			has = 0, ck_error_destroy(err), err = NULL;
		break;
	case 'e':
		err = ktypes_enum_value(t, s, m, &e);
		if (err && err->kind == CK_ERR_INPUT && strstr(err->msg, "no enumerator"))
			has = 0, ck_error_destroy(err), err = NULL;
		v = (uint64_t)e;
		break;
	}
	if (err)
		snprintf(out, cap, "error: %s", err->msg);
	else if (!has)
		snprintf(out, cap, "missing");
	else
		snprintf(out, cap, "%" PRId64, (int64_t)v);
	ck_error_destroy(err);
}

static void check_oracle(struct unit *u, struct ktypes *t, char oracle[NQ][64])
{
	for (int i = 0; i < NQ; i++) {
		char ours[512];
		answer(t, queries[i], ours, sizeof(ours));
		if (strcmp(ours, oracle[i]) != 0)
			printf("# %s: %s says %s, drgn says %s\n", queries[i], ktypes_source(t), ours, oracle[i]);
		CHECK(u, strcmp(ours, oracle[i]) == 0);
	}
}

/* CPU time: the machine running the tests is shared, wall time says more about the neighbours. */
static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *info_value(const char *info, const char *key, char *out, size_t cap)
{
	const char *p = strstr(info, key);
	out[0] = 0;
	if (p) {
		p += strlen(key);
		size_t n = strcspn(p, "\n");
		snprintf(out, cap, "%.*s", (int)n, p);
	}
	return out;
}

int main(void)
{
	struct unit u = { 0 };
	const char *root = getenv("COREKIT_ROOT");
	root = root ? root : ".";
	static char cmd[16384], out[16384], info[8192];
	char gdir[2048] = "", path[4096], vmlinux[1024], val[256];
	snprintf(cmd, sizeof(cmd), "'%s/testdata/guest.sh' small", root);
	int rc = run(cmd, gdir, sizeof(gdir));
	gdir[strcspn(gdir, "\n")] = 0;
	UNIT_BEGIN(&u, "ktypes_guest_available");
	CHECK(&u, rc == 0 && gdir[0]);
	snprintf(cmd, sizeof(cmd), "cat '%s/info'", gdir);
	CHECK(&u, run(cmd, info, sizeof(info)) == 0);
	info_value(info, "vmlinux_debug=", vmlinux, sizeof(vmlinux));
	CHECK(&u, vmlinux[0]);
	UNIT_END(&u);
	if (u.failed)
		return UNIT_EXIT(&u);

	/* The oracle: drgn over the vmlinux's DWARF. */
	static char oracle[NQ][64];
	UNIT_BEGIN(&u, "ktypes_guest_oracle_drgn");
	int n = snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s/tests/unit/ktypes_oracle.py' '%s'", root, vmlinux);
	for (int i = 0; i < NQ; i++)
		n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " '%s'", queries[i]);
	rc = run(cmd, out, sizeof(out));
	char *line = out;
	for (int i = 0; i < NQ && line; i++) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		snprintf(oracle[i], sizeof(oracle[i]), "%.63s", line);
		line = nl ? nl + 1 : NULL;
	}
	CHECK(&u, rc == 0 && oracle[NQ - 1][0]);
	/* The oracle itself must know the basics, or the comparison proves nothing. */
	CHECK(&u, strcmp(oracle[0], "missing") != 0 && strcmp(oracle[5], "missing") == 0);
	UNIT_END(&u);
	if (u.failed)
		return UNIT_EXIT(&u);

	/* The guest's kernel and the BTF blob's address from nm + KERNELOFFSET. */
	struct machine m;
	struct linux_kernel k = { 0 };
	machine_init(&m);
	snprintf(path, sizeof(path), "%s/qemu.elf", gdir);
	struct ck_error *err = machine_open(path, NULL, &m, NULL);
	if (!err)
		err = linux_kernel_detect(&m, &k);
	uint64_t koff = 0, start = 0, stop = 0;
	snprintf(cmd, sizeof(cmd), "nm '%s' | grep -E ' (__start_BTF|__stop_BTF)$'", vmlinux);
	rc = run(cmd, out, sizeof(out));
	for (char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		uint64_t a = strtoull(l, NULL, 16);
		if (strncmp(strchr(l, ' ') ? strchr(l, ' ') + 3 : l, "__start_BTF", 11) == 0)
			start = a;
		else
			stop = a;
	}
	UNIT_BEGIN(&u, "ktypes_guest_setup");
	CHECK(&u, !err && k.found && rc == 0 && start && stop > start);
	CHECK(&u, m.meta.vmcoreinfo && vmcoreinfo_get_hex(m.meta.vmcoreinfo, m.meta.vmcoreinfo_len, "KERNELOFFSET",
							  &koff));
	UNIT_END(&u);
	if (err)
		printf("# %s\n", err->msg);
	ck_error_destroy(err);
	if (u.failed) {
		machine_deinit(&m);
		return UNIT_EXIT(&u);
	}
	start += koff;
	stop += koff;
	struct kernel_memory km;
	kernel_memory_init(&km, &m, &k);
	struct ck_memory mem = kernel_memory_reader(&km);

	struct ktypes *tm = NULL, *tb = NULL, *td = NULL;
	UNIT_BEGIN(&u, "ktypes_guest_btf_memory");
	double t0 = now_ms();
	err = ktypes_open_btf_memory(&mem, start, stop, &tm);
	double t1 = now_ms();
	CHECK(&u, !err && strcmp(ktypes_source(tm), "btf (guest memory)") == 0);
	if (err)
		printf("# %s\n", err->msg);
	ck_error_destroy(err);
	if (tm)
		check_oracle(&u, tm, oracle);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "ktypes_guest_btf_vmlinux");
	err = ktypes_open_vmlinux(vmlinux, &tb);
	CHECK(&u, !err && strcmp(ktypes_source(tb), "btf (vmlinux)") == 0);
	ck_error_destroy(err);
	if (tb)
		check_oracle(&u, tb, oracle);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "ktypes_guest_dwarf_vmlinux");
	double t2 = now_ms();
	err = ktypes_open_dwarf(vmlinux, &td);
	CHECK(&u, !err && strcmp(ktypes_source(td), "dwarf (vmlinux)") == 0);
	ck_error_destroy(err);
	if (td)
		check_oracle(&u, td, oracle);
	double t3 = now_ms();
	UNIT_END(&u);

	/* offset -> member path, the reverse of ktypes_offsetof (whose offsets
	 * the drgn oracle checked above), on all three sources */
	UNIT_BEGIN(&u, "ktypes_guest_member_at");
	struct ktypes *all[] = { tm, tb, td };
	static const struct { const char *s, *m; uint64_t plus; const char *want; } rev[] = {
		{ "task_struct", "alloc_lock", 0, "alloc_lock" },
		{ "task_struct", "thread.sp", 0, "thread.sp" },
		{ "task_struct", "comm", 3, "comm+3" },
		{ "task_struct", "pi_blocked_on", 0, "pi_blocked_on" },
		{ "mutex", "wait_list", 0, "wait_list" },
		{ "rw_semaphore", "owner", 0, "owner" },
	};
	for (size_t i = 0; i < 3; i++) {
		if (!all[i])
			continue;
		for (size_t j = 0; j < sizeof(rev) / sizeof(rev[0]); j++) {
			uint64_t off;
			char name[128];
			struct ck_error *e = ktypes_offsetof(all[i], rev[j].s, rev[j].m, &off);
			if (!e)
				e = ktypes_member_at(all[i], rev[j].s, off + rev[j].plus, name, sizeof(name));
			CHECK(&u, !e && strcmp(name, rev[j].want) == 0);
			if (e || strcmp(name, rev[j].want) != 0)
				printf("# %s: %s.%s+%llu -> %s (want %s)\n", ktypes_source(all[i]), rev[j].s, rev[j].m,
				       (unsigned long long)rev[j].plus, e ? e->msg : name, rev[j].want);
			ck_error_destroy(e);
		}
		uint64_t size;
		char name[128];
		struct ck_error *e = ktypes_sizeof(all[i], "task_struct", &size);
		CHECK(&u, !e);
		ck_error_destroy(e);
		e = ktypes_member_at(all[i], "task_struct", size + 8, name, sizeof(name));
		CHECK(&u, e && e->kind == CK_ERR_INPUT);	/* past the end: no member */
		ck_error_destroy(e);
		e = ktypes_member_at(all[i], "task_struct", 0, name, 4);
		CHECK(&u, e != NULL);				/* too small a buffer is an error, not a cut name */
		ck_error_destroy(e);
	}
	UNIT_END(&u);

	/* 100 lookups the way an analyzer makes them, timed after the open. */
	UNIT_BEGIN(&u, "ktypes_guest_speed");
	CHECK(&u, tm != NULL);
	/* Again, with the guest pages in the page cache (the first open may read them from disk). */
	struct ktypes *tm2 = NULL;
	double t6 = now_ms();
	err = ktypes_open_btf_memory(&mem, start, stop, &tm2);
	double t7 = now_ms();
	CHECK(&u, !err && tm2);
	ck_error_destroy(err);
	ktypes_destroy(tm2);
	double t4 = now_ms();
	int ok = 0;
	for (int i = 0; tm && i < 100; i++) {
		const char *q = queries[i % NQ];
		char ans[512];
		answer(tm, q, ans, sizeof(ans));
		ok += strncmp(ans, "error", 5) != 0;
	}
	double t5 = now_ms();
	CHECK(&u, ok == 100);
	printf("# CPU time: btf (guest memory): open %.1f ms (again: %.1f ms), 100 lookups %.2f ms; dwarf: open + %d lookups "
	       "%.0f ms\n", t1 - t0, t7 - t6, t5 - t4, NQ, t3 - t2);
	/* Generous bound: the sanitizer build is several times slower than release. */
	CHECK(&u, t7 - t6 + (t5 - t4) < 1000);
	UNIT_END(&u);

	/* The offsets on real memory: dl_ab's comm and pid (ground truth from the guest's serial log). */
	UNIT_BEGIN(&u, "ktypes_guest_read_task");
	uint64_t task = strtoull(info_value(info, "dl_ab_task=", val, sizeof(val)), NULL, 16);
	long pid = strtol(info_value(info, "dl_ab_pid=", val, sizeof(val)), NULL, 10);
	uint64_t off_comm = 0, off_pid = 0, comm_size = 0;
	CHECK(&u, task && pid > 0 && tm);
	if (tm && task) {
		err = ktypes_offsetof(tm, "task_struct", "comm", &off_comm);
		if (!err)
			err = ktypes_offsetof(tm, "struct task_struct", "pid", &off_pid);
		if (!err)
			err = ktypes_member_size(tm, "task_struct", "comm", &comm_size);
		char comm[64] = "";
		uint32_t p32 = 0;
		if (!err && comm_size < sizeof(comm))
			err = ck_mem_read(&mem, task + off_comm, comm, comm_size);
		if (!err)
			err = ck_mem_read_u32(&mem, task + off_pid, &p32);
		CHECK(&u, !err && comm_size == 16 && strcmp(comm, "dl_ab") == 0 && (long)p32 == pid);
		ck_error_destroy(err);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "ktypes_guest_errors");
	for (int i = 0; i < 3; i++) {
		struct ktypes *t = i == 0 ? tm : i == 1 ? tb : td;
		uint64_t v = 0;
		int has = -1;
		if (!t) {
			CHECK(&u, t != NULL);
			continue;
		}
		err = ktypes_offsetof(t, "task_struct", "state", &v);
		CHECK(&u, err && err->kind == CK_ERR_INPUT &&
				  strcmp(err->msg, "struct task_struct has no member 'state'") == 0);
		ck_error_destroy(err);
		err = ktypes_has_member(t, "task_struct", "__state", &has);
		CHECK(&u, !err && has == 1);
		err = ktypes_has_member(t, "module", "mem", &has);
		CHECK(&u, !err && has == 0);
		err = ktypes_has_member(t, "no_such_struct_xyz", "x", &has);
		CHECK(&u, !err && has == 0);
		/* A bitfield has no byte offset. */
		err = ktypes_offsetof(t, "task_struct", "sched_reset_on_fork", &v);
		CHECK(&u, err && err->kind == CK_ERR_INPUT && strstr(err->msg, "bitfield"));
		ck_error_destroy(err);
		err = ktypes_offsetof(t, "task_struct", "comm[16]", &v);
		CHECK(&u, err && err->kind == CK_ERR_INPUT && strstr(err->msg, "past 16"));
		ck_error_destroy(err);
		err = ktypes_offsetof(t, "task_struct", "pid.x", &v);
		CHECK(&u, err && err->kind == CK_ERR_INPUT);
		ck_error_destroy(err);
		err = ktypes_offsetof(t, "task_struct", "comm]", &v);
		CHECK(&u, err && err->kind == CK_ERR_INPUT && strstr(err->msg, "bad member path"));
		ck_error_destroy(err);
		err = ktypes_sizeof(t, "no_such_struct_xyz", &v);
		CHECK(&u, err && err->kind == CK_ERR_INPUT &&
				  strstr(err->msg, "struct no_such_struct_xyz not found"));
		ck_error_destroy(err);
	}
	UNIT_END(&u);

	UNIT_BEGIN(&u, "ktypes_guest_bad_memory");
	struct ktypes *bad = NULL;
	/* The user half is not mapped in swapper_pg_dir: a fault, passed up as such. */
	err = ktypes_open_btf_memory(&mem, 0x1000, 0x1000 + (stop - start), &bad);
	CHECK(&u, err && err->kind == CK_ERR_FAULT && !bad);
	ck_error_destroy(err);
	/* The real blob cut short: the header's sections run past the end. */
	err = ktypes_open_btf_memory(&mem, start, start + (stop - start) / 2, &bad);
	CHECK(&u, err && err->kind == CK_ERR_INPUT && strstr(err->msg, "btf (guest memory)") && !bad);
	ck_error_destroy(err);
	/* Not BTF at all (the kernel text before it). */
	err = ktypes_open_btf_memory(&mem, start - 4096, stop, &bad);
	CHECK(&u, err && err->kind == CK_ERR_INPUT && !bad);
	ck_error_destroy(err);
	err = ktypes_open_btf_memory(&mem, start, start + KTYPES_BTF_MAX + 1, &bad);
	CHECK(&u, err && err->kind == CK_ERR_INPUT && !bad);
	ck_error_destroy(err);
	UNIT_END(&u);

	ktypes_destroy(tm);
	ktypes_destroy(tb);
	ktypes_destroy(td);
	machine_deinit(&m);
	return UNIT_EXIT(&u);
}
