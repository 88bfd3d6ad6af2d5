/* test_guestdump.c - debug.guest + debug.vmem reader on synthetic dumps of every version. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "machine.h"
#include "unit.h"
#include "test_cpt_build.h"

struct gd_spec {
	uint32_t version, nvcpus, nholes;
	uint64_t holes[2][2];	/* {ppn, pages} */
	uint64_t mem_pages;
	uint32_t arch;		/* v7 */
};

static unsigned mem_off(uint32_t v) { return v == 1 ? 21 : v == 7 ? 16 : v == 6 ? 23 : 22; }
static unsigned gap(uint32_t v) { return v >= 4 ? 42 : 45; }
static uint64_t stride(uint32_t v) { return 116 + gap(v) + 233; }	/* states back to back */
static uint64_t vcpus_off(const struct gd_spec *s)
{
	return s->version == 1 ? 61 + 8ull * s->nholes : s->version == 7 ? 83 : mem_off(s->version) + 56;
}

static uint64_t uval(uint32_t c, int i) { return (uint64_t)(c + 1) << 32 | (uint64_t)(i + 1) << 4; }

/* Build debug.guest bytes into b (b->buf) per spec. */
static void gd_build(struct cb *b, const struct gd_spec *s)
{
	memset(b, 0, sizeof(*b));
	uint64_t total = vcpus_off(s) + s->nvcpus * (stride(s->version) + 4096);
	cb_reserve(b, total);
	b->len = total;
	memset(b->buf, 0, total);
	cb_put_le(b, 0, s->version, 4);
	cb_put_le(b, 4, s->nvcpus, 4);
	unsigned m = mem_off(s->version);
	uint64_t pages = s->mem_pages;
	for (uint32_t i = 0; i < s->nholes; i++)
		pages += s->holes[i][1];
	cb_put_le(b, m, pages * 4096 - 1, 8);
	if (s->version == 1) {
		cb_put_le(b, m + 8, s->mem_pages, 4);
		cb_put_le(b, m + 16, s->nholes, 4);
		for (int i = 0; i < 2; i++) {
			cb_put_le(b, m + 20 + 8 * i, s->holes[i][0], 4);
			cb_put_le(b, m + 24 + 8 * i, s->holes[i][1], 4);
		}
	} else {
		cb_put_le(b, m + 8, s->mem_pages, 8);
		cb_put_le(b, m + 20, s->nholes, 4);
		for (int i = 0; i < 2; i++) {
			cb_put_le(b, m + 24 + 16 * i, s->holes[i][0], 8);
			cb_put_le(b, m + 32 + 16 * i, s->holes[i][1], 8);
		}
	}
	if (s->version == 7)
		cb_put_le(b, 72, s->arch, 4);
	for (uint32_t c = 0; c < s->nvcpus; c++) {
		size_t r = (size_t)(vcpus_off(s) + c * stride(s->version));
		cb_put_le(b, r, 0x80050033, 4);
		cb_put_le(b, r + 4, 0xc2c2 + c, 8);
		cb_put_le(b, r + 12, 0x1000000 * (c + 1), 8);
		cb_put_le(b, r + 20, 0x3406f0, 8);
		cb_put_le(b, r + 108, 0xfffffe0000000000ull + c, 8);
		for (int i = 0; i < 27; i++)
			cb_put_le(b, r + 116 + gap(s->version) + 8 * (size_t)i, uval(c, i), 8);
	}
}

static struct ck_error *gd_open(const struct cb *b, const struct gd_spec *s, const char *name,
				struct machine *m, const char **path_ret)
{
	char gname[64], vname[64];
	snprintf(gname, sizeof(gname), "%s.guest", name);
	snprintf(vname, sizeof(vname), "%s.vmem", name);
	const char *gp = tmp_file(gname);
	cb_write(b, gp);
	uint8_t *ram = ram_pattern(s->mem_pages);
	write_file(tmp_file(vname), ram, s->mem_pages * 4096);
	free(ram);
	*path_ret = gp;
	machine_init(m);
	struct ck_error *err = NULL;
	if (!guestdump_format.probe(gp, b->buf, b->len < 4096 ? b->len : 4096))
		err = ck_error_create(CK_ERR_INPUT, "%s: probe said not mine", gp);
	else
		err = guestdump_format.open(gp, NULL, m);
	if (err)
		machine_deinit(m);
	return err;
}

static int page_is(const struct machine *m, uint64_t pa, uint64_t blobpage)
{
	uint64_t v = 0;
	return machine_read_phys(m, pa + 8, &v, 8) == NULL && v == (blobpage << 16 | 1);
}

static void test_versions(struct unit *u)
{
	static const uint32_t versions[] = { 1, 3, 4, 5, 6, 7 };
	for (size_t vi = 0; vi < 6; vi++) {
		for (uint32_t nh = 0; nh <= 2; nh++) {
			char name[64];
			snprintf(name, sizeof(name), "guestdump_v%u_%u_holes", versions[vi], nh);
			UNIT_BEGIN(u, name);
			struct gd_spec s = { versions[vi], 2, nh, { { 4, 3 }, { 10, 0x10 } }, 12, 1 };
			struct cb b;
			struct machine m;
			const char *p;
			gd_build(&b, &s);
			struct ck_error *err = gd_open(&b, &s, "dbg", &m, &p);
			CHECK(u, err == NULL);
			if (err)
				printf("# %s\n", err->msg);
			if (!err) {
				char want[32];
				snprintf(want, sizeof(want), "debug.guest v%u", versions[vi]);
				CHECK(u, m.meta.source_format && strcmp(m.meta.source_format, want) == 0);
				CHECK(u, m.ncpus == 2 && machine_ram_bytes(&m) == 12 * 4096);
				/* PA page -> vmem page with holes [4,7) and [10,26) removed */
				uint64_t pa_page = 0;
				for (uint64_t fp = 0; fp < 12; fp++, pa_page++) {
					if (nh >= 1 && pa_page == 4)
						pa_page = 7;
					if (nh >= 2 && pa_page == 10)
						pa_page = 26;
					CHECK(u, page_is(&m, pa_page * 4096, fp));
				}
				if (nh >= 1)
					CHECK(u, machine_find_run(&m, 5 * 4096) == NULL);
				if (nh >= 2)
					CHECK(u, machine_find_run(&m, 25 * 4096) == NULL);
				for (uint32_t c = 0; c < 2; c++) {
					const struct x86_regs *r = &m.cpus[c];
					CHECK(u, r->gpr[X86_R15] == uval(c, 0) && r->gpr[X86_RBP] == uval(c, 4));
					CHECK(u, r->gpr[X86_RAX] == uval(c, 10) && r->gpr[X86_RDI] == uval(c, 14));
					CHECK(u, r->rip == uval(c, 16) && r->rflags == uval(c, 18));
					CHECK(u, r->gpr[X86_RSP] == uval(c, 19));
					CHECK(u, r->sel[X86_CS] == (uint16_t)uval(c, 17));
					CHECK(u, r->seg_base[X86_GS] == uval(c, 22) && r->sel[X86_GS] == (uint16_t)uval(c, 26));
					CHECK(u, r->cr[0] == 0x80050033 && r->cr[3] == 0x1000000ull * (c + 1));
					CHECK(u, r->cr[2] == 0xc2c2 + c && r->cr[4] == 0x3406f0);
					CHECK(u, r->idtr_base == 0xfffffe0000000000ull + c);
					char *miss = x86_regs_missing(r);
					CHECK(u, miss && !strstr(miss, "rax") && !strstr(miss, "cr3") &&
						 strstr(miss, "gdtr"));
					free(miss);
				}
				machine_deinit(&m);
			}
			ck_error_destroy(err);
			cb_free(&b);
			UNIT_END(u);
		}
	}
}

struct gd_bad {
	const char *name;
	void (*apply)(struct cb *b, struct gd_spec *s);
	const char *expect;
	int at_offset;
};

static void g_version(struct cb *b, struct gd_spec *s) { (void)s; cb_put_le(b, 0, 2, 4); }
static void g_vcpus0(struct cb *b, struct gd_spec *s) { (void)s; cb_put_le(b, 4, 0, 4); }
static void g_vcpus_huge(struct cb *b, struct gd_spec *s) { (void)s; cb_put_le(b, 4, 100000, 4); }
static void g_holes3(struct cb *b, struct gd_spec *s) { cb_put_le(b, mem_off(s->version) + 20, 3, 4); }
static void g_last_addr(struct cb *b, struct gd_spec *s) { cb_put_le(b, mem_off(s->version), 0x12345, 8); }
static void g_trunc(struct cb *b, struct gd_spec *s) { (void)s; b->len -= 1; }
static void g_extra(struct cb *b, struct gd_spec *s) { (void)s; cb_reserve(b, 1); b->len += 1; }
static void g_trunc_head(struct cb *b, struct gd_spec *s) { (void)s; b->len = 30; }
static void g_arch_arm(struct cb *b, struct gd_spec *s) { (void)s; cb_put_le(b, 72, 0, 4); }
static void g_arch_bad(struct cb *b, struct gd_spec *s) { (void)s; cb_put_le(b, 72, 9, 4); }
static void g_holes_order(struct cb *b, struct gd_spec *s)
{
	unsigned m = mem_off(s->version);
	cb_put_le(b, m + 24, 20, 8);	/* hole 0 at 20 pages, hole 1 at 10: out of order */
}
static void g_vmem_size(struct cb *b, struct gd_spec *s) { (void)b; s->mem_pages = 0; }

static const struct gd_bad bad[] = {
	{ "guestdump_bad_version", g_version, "unknown debug.guest version 2", 1 },
	{ "guestdump_zero_vcpus", g_vcpus0, "0 vCPUs", 1 },
	{ "guestdump_huge_vcpus", g_vcpus_huge, "100000 vCPUs", 1 },
	{ "guestdump_three_holes", g_holes3, "3 memory holes", 1 },
	{ "guestdump_last_addr_mismatch", g_last_addr, "last address 0x12345", 1 },
	{ "guestdump_truncated_record", g_trunc, "file size", 1 },
	{ "guestdump_trailing_bytes", g_extra, "file size", 1 },
	{ "guestdump_truncated_header", g_trunc_head, "header", 1 },
	{ "guestdump_v7_aarch64", g_arch_arm, "AArch64", 1 },
	{ "guestdump_v7_unknown_arch", g_arch_bad, "architecture 9", 1 },
	{ "guestdump_holes_out_of_order", g_holes_order, "out of order", 1 },
	{ "guestdump_vmem_size_mismatch", g_vmem_size, "does not match", 0 },
};

static void test_bad(struct unit *u)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		UNIT_BEGIN(u, bad[i].name);
		struct gd_spec s = { 7, 2, 2, { { 4, 3 }, { 10, 0x10 } }, 12, 1 };
		struct cb b;
		struct machine m;
		const char *p;
		gd_build(&b, &s);
		bad[i].apply(&b, &s);
		struct ck_error *err = gd_open(&b, &s, "bad", &m, &p);
		CHECK(u, err && err->kind == CK_ERR_INPUT);
		if (err) {
			printf("# %s: %s\n", bad[i].name, err->msg);
			CHECK(u, strstr(err->msg, p) && strstr(err->msg, bad[i].expect));
			CHECK(u, !bad[i].at_offset || strstr(err->msg, ": offset 0x"));
		} else {
			machine_deinit(&m);
		}
		ck_error_destroy(err);
		cb_free(&b);
		UNIT_END(u);
	}

	UNIT_BEGIN(u, "guestdump_missing_vmem");
	struct gd_spec s = { 4, 1, 0, { { 0, 0 }, { 0, 0 } }, 2, 1 };
	struct cb b;
	gd_build(&b, &s);
	const char *gp = tmp_file("lonely.guest");
	cb_write(&b, gp);
	struct machine m;
	machine_init(&m);
	struct ck_error *err = guestdump_format.open(gp, NULL, &m);
	machine_deinit(&m);
	CHECK(u, err && err->kind == CK_ERR_INPUT && strstr(err->msg, gp) &&
		 strstr(err->msg, "lonely.vmem"));
	if (err)
		printf("# %s\n", err->msg);
	ck_error_destroy(err);
	cb_free(&b);
	UNIT_END(u);

	UNIT_BEGIN(u, "guestdump_probe_needs_name");
	gd_build(&b, &s);
	CHECK(u, guestdump_format.probe("x/debug.guest", b.buf, b.len) == 1);
	CHECK(u, guestdump_format.probe("x/debug.vmss", b.buf, b.len) == 0);
	CHECK(u, guestdump_format.probe("x/debug.guest", (const uint8_t *)"\177ELF", 4) == 0);
	CHECK(u, guestdump_format.probe("x/debug.guest", (const uint8_t *)"\xd2\xbe\xd2\xbe", 4) == 0);
	CHECK(u, guestdump_format.probe("x/debug.guest", (const uint8_t *)"\xd1\xba\xd1\xba", 4) == 0);
	CHECK(u, guestdump_format.probe("x/debug.guest", (const uint8_t *)"", 0) == 1);
	cb_free(&b);
	UNIT_END(u);
}

int main(void)
{
	struct unit u = { 0 };
	tmp_init();
	test_versions(&u);
	test_bad(&u);
	if (!getenv("KEEP")) tmp_cleanup();
	return UNIT_EXIT(&u);
}
