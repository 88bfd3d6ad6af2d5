/* test_cpt.c - checkpoint container, registers and metadata on synthetic files. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpt.h"
#include "cpt_info.h"
#include "cpt_load.h"
#include "format.h"
#include "machine.h"
#include "unit.h"
#include "vmx.h"
#include "test_cpt_build.h"

static const uint32_t magics[] = { 0xbed2bed2, 0xbed3bed3, 0xbad1bad1, 0xbad2bad2,
	0xbed2bed0, 0xbed0bed0, 0xbed1bed1, 0xbad0bad0 };

static const uint64_t two_regions[2][3] = { { 0, 0, 8 }, { 0x100, 8, 8 } };


static void test_magics(struct unit *u)
{
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "magic_%08x_accepted", magics[i]);
		UNIT_BEGIN(u, name);
		struct cb b;
		build_std(&b, magics[i], 1, 1, 2, two_regions, 16, NULL);
		const char *p = tmp_file("m.vmss");
		CHECK(u, cb_write(&b, p) == 0);
		CHECK(u, vmss_format.probe(p, b.buf, b.len) == 1);
		struct machine m;
		struct ck_error *err = open_vmss(p, NULL, &m);
		CHECK(u, err == NULL);
		if (!err) {
			char want[32];
			snprintf(want, sizeof(want), "vmss 0x%08x", magics[i]);
			CHECK(u, m.meta.source_format && strcmp(m.meta.source_format, want) == 0);
			CHECK(u, m.nruns == 2 && machine_ram_bytes(&m) == 16 * 4096);
			uint64_t v = 0;
			CHECK(u, machine_read_phys(&m, 0x100000 + 8, &v, 8) == NULL);
			CHECK(u, v == (8ull << 16 | 1));
			machine_deinit(&m);
		}
		ck_error_destroy(err);
		cb_free(&b);
		UNIT_END(u);
	}
	UNIT_BEGIN(u, "unknown_magic_refused_with_value");
	struct cb b;
	build_std(&b, 0x12345678, 1, 1, -1, NULL, 4, NULL);
	const char *p = tmp_file("bad.vmss");
	cb_write(&b, p);
	CHECK(u, vmss_format.probe(p, b.buf, b.len) == 1);	/* by name: open says why */
	CHECK(u, vmss_format.probe("x.bin", b.buf, b.len) == 0);
	CHECK(u, vmss_format.probe("x.vmss", (const uint8_t *)"\177ELF", 4) == 0);
	struct machine m;
	struct ck_error *err = open_vmss(p, NULL, &m);
	CHECK(u, err_is_input(err, p, "0x12345678"));
	CHECK(u, err && strstr(err->msg, "offset 0x0"));
	ck_error_destroy(err);
	cb_free(&b);
	UNIT_END(u);
}

/* Every inline size 0..61 (odd ones included), integers zero-extended. */
static void test_inline_sizes(struct unit *u)
{
	UNIT_BEGIN(u, "inline_sizes_0_to_61");
	struct cb b;
	cb_begin(&b, 0xbed2bed2, 1);
	cb_group(&b, "g");
	size_t offs[62];
	uint8_t val[61];
	for (int i = 0; i < 61; i++)
		val[i] = (uint8_t)(0x80 | i);
	for (int n = 0; n <= 61; n++) {
		char name[16];
		snprintf(name, sizeof(name), "v%d", n);
		offs[n] = cb_tag(&b, name, 1, IDX((uint32_t)n), val, (size_t)n);
	}
	cb_group_end(&b);
	const char *p = tmp_file("sizes.vmss");
	cb_write(&b, p);
	struct cpt_file *f = NULL;
	struct ck_error *err = cpt_create(p, &f);
	CHECK(u, err == NULL);
	if (f) {
		CHECK(u, f->ntags == 62 && f->size_width == 8);
		for (int n = 0; n <= 61; n++) {
			char name[16];
			snprintf(name, sizeof(name), "v%d", n);
			const struct cpt_tag *t = cpt_find1(f, "g", name, (uint32_t)n);
			CHECK(u, t && t->size == (uint64_t)n && t->off == offs[n] && !t->flags);
			if (!t)
				continue;
			uint8_t got[61];
			CHECK(u, cpt_read_exact(f, t, got, (size_t)n) == NULL);
			CHECK(u, memcmp(got, val, (size_t)n) == 0);
			uint64_t v = 0;
			struct ck_error *e2 = cpt_read_uint(f, t, &v);
			if (n >= 1 && n <= 8) {
				uint64_t want = 0;
				for (int k = n - 1; k >= 0; k--)
					want = want << 8 | val[k];
				CHECK(u, e2 == NULL && v == want);
			} else {
				CHECK(u, err_is_input(e2, p, "expected an integer"));
			}
			ck_error_destroy(e2);
		}
	}
	cpt_destroy(f);
	ck_error_destroy(err);
	cb_free(&b);
	UNIT_END(u);
}

/* Block forms: 62 flagged compressed, 63 plain, padLen honoured, v0 4-byte sizes. */
static void test_blocks(struct unit *u)
{
	for (int v0 = 0; v0 < 2; v0++) {
		UNIT_BEGIN(u, v0 ? "blocks_v0_4byte_sizes_padlen" : "blocks_8byte_sizes_padlen");
		struct cb b;
		cb_begin(&b, v0 ? 0xbed2bed0 : 0xbed2bed2, 2);
		cb_group(&b, "a");
		uint8_t data[300];
		for (int i = 0; i < 300; i++)
			data[i] = (uint8_t)(i * 7);
		size_t d63, d62, d0;
		cb_block(&b, "plain", 0, NULL, 63, data, 300, 300, 1000, &d63);
		cb_block(&b, "packed", 0, NULL, 62, data, 100, 300, 3, &d62);
		cb_block(&b, "nopad", 1, IDX(5), 63, data, 61, 61, 0, &d0);
		cb_u(&b, "after", 0, NULL, 0x1234, 2);
		cb_group_end(&b);
		cb_group(&b, "b");
		cb_u(&b, "x", 0, NULL, 7, 1);
		cb_group_end(&b);
		const char *p = tmp_file("blocks.vmss");
		cb_write(&b, p);
		struct cpt_file *f = NULL;
		struct ck_error *err = cpt_create(p, &f);
		CHECK(u, err == NULL);
		if (f) {
			CHECK(u, f->size_width == (v0 ? 4 : 8));
			const struct cpt_tag *t = cpt_find0(f, "a", "plain");
			CHECK(u, t && t->flags == CPT_TAG_BLOCK && t->data_off == d63 &&
				 t->size == 300 && t->pad_len == 1000);
			uint8_t got[300];
			CHECK(u, t && cpt_read_exact(f, t, got, 300) == NULL && memcmp(got, data, 300) == 0);
			t = cpt_find0(f, "a", "packed");
			CHECK(u, t && t->flags == (CPT_TAG_BLOCK | CPT_TAG_COMPRESSED) &&
				 t->size == 100 && t->mem_size == 300 && t->data_off == d62);
			struct ck_error *e2 = t ? cpt_read_exact(f, t, got, 100) : NULL;
			CHECK(u, err_is_input(e2, p, "compressed"));
			ck_error_destroy(e2);
			t = cpt_find1(f, "a", "nopad", 5);
			CHECK(u, t && t->data_off == d0 && t->size == 61);
			uint64_t v = 0;
			t = cpt_find0(f, "a", "after");
			CHECK(u, t && cpt_read_uint(f, t, &v) == NULL && v == 0x1234);
			t = cpt_find0(f, "b", "x");
			CHECK(u, t && cpt_read_uint(f, t, &v) == NULL && v == 7);
		}
		cpt_destroy(f);
		ck_error_destroy(err);
		cb_free(&b);
		UNIT_END(u);
	}
}

static void test_lookup(struct unit *u)
{
	UNIT_BEGIN(u, "lookup_by_indices");
	struct cb b;
	cb_begin(&b, 0xbed2bed2, 2);
	cb_group(&b, "g");
	cb_u(&b, "t", 0, NULL, 1, 1);
	cb_u(&b, "t", 1, IDX(0), 2, 1);
	cb_u(&b, "t", 1, IDX(1), 3, 1);
	cb_u(&b, "t", 2, IDX(0, 1), 4, 1);
	cb_u(&b, "t", 2, IDX(1, 0), 5, 1);
	cb_u(&b, "t", 3, IDX(1, 2, 3), 6, 1);
	cb_u(&b, "t", 3, IDX(0xffffffff, 0, 7), 7, 1);
	cb_u(&b, "dup", 0, NULL, 8, 1);
	cb_u(&b, "dup", 0, NULL, 9, 1);
	cb_group_end(&b);
	cb_group(&b, "h");
	cb_u(&b, "t", 0, NULL, 10, 1);
	cb_group_end(&b);
	const char *p = tmp_file("lookup.vmss");
	cb_write(&b, p);
	struct cpt_file *f = NULL;
	struct ck_error *err = cpt_create(p, &f);
	CHECK(u, err == NULL);
	if (f) {
		struct { int n; uint32_t idx[3]; uint64_t want; } cases[] = {
			{ 0, { 0 }, 1 }, { 1, { 0 }, 2 }, { 1, { 1 }, 3 }, { 2, { 0, 1 }, 4 },
			{ 2, { 1, 0 }, 5 }, { 3, { 1, 2, 3 }, 6 }, { 3, { 0xffffffff, 0, 7 }, 7 },
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const struct cpt_tag *t = cpt_find(f, "g", "t", cases[i].n, cases[i].idx);
			uint64_t v = 0;
			CHECK(u, t && cpt_read_uint(f, t, &v) == NULL && v == cases[i].want);
		}
		CHECK(u, cpt_find1(f, "g", "t", 2) == NULL);
		CHECK(u, cpt_find2(f, "g", "t", 0, 0) == NULL);
		CHECK(u, cpt_find(f, "g", "t", 3, IDX(1, 2, 4)) == NULL);
		CHECK(u, cpt_find0(f, "g", "T") == NULL);
		CHECK(u, cpt_find0(f, "nosuch", "t") == NULL);
		uint64_t v = 0;
		const struct cpt_tag *t = cpt_find0(f, "h", "t");
		CHECK(u, t && cpt_read_uint(f, t, &v) == NULL && v == 10);
		t = cpt_find0(f, "g", "dup");
		CHECK(u, t && cpt_read_uint(f, t, &v) == NULL && v == 9);
		CHECK(u, cpt_find_any(f, "g", "t") && cpt_find_any(f, "g", "t")->nidx == 0);
		char label[64];
		CHECK(u, strcmp(cpt_tag_label(f, cpt_find(f, "g", "t", 3, IDX(1, 2, 3)), label,
					      sizeof(label)), "g/t[1][2][3]") == 0);
	}
	cpt_destroy(f);
	ck_error_destroy(err);
	cb_free(&b);
	UNIT_END(u);
}

static void check_std_regs(struct unit *u, const struct machine *m, uint32_t ncpu)
{
	CHECK(u, m->ncpus == ncpu);
	for (uint32_t c = 0; c < m->ncpus; c++) {
		const struct x86_regs *r = &m->cpus[c];
		for (int i = 0; i < X86_NGPR; i++)
			CHECK(u, r->gpr[i] == reg_val(c, i));
		CHECK(u, r->rip == reg_val(c, SLOT_RIP) && r->rflags == 0x246);
		CHECK(u, r->cr[0] == reg_val(c, SLOT_CR) && r->cr[3] == reg_val(c, SLOT_CR + 3) &&
			 r->cr[4] == reg_val(c, SLOT_CR + 4));
		CHECK(u, r->idtr_base == 0xfffff80003cd5080ull && r->idtr_limit == 0xfff);
		CHECK(u, r->gdtr_base == (0xfffffe0000000000ull | (0x1000 + c)) && r->gdtr_limit == 0x7f);
		CHECK(u, r->efer == 0xd01);
		for (int s = 0; s < X86_NSEG; s++)
			CHECK(u, r->sel[s] == 0x10 + 8 * s && r->seg_base[s] == reg_val(c, SLOT_BASE + s));
		char *miss = x86_regs_missing(r);
		CHECK(u, miss && strcmp(miss, "") == 0);
		if (miss && *miss)
			printf("# vCPU %u missing %s\n", c, miss);
		free(miss);
	}
}

static void test_regs_and_meta(struct unit *u)
{
	UNIT_BEGIN(u, "scalar_registers_and_metadata");
	struct cb b;
	build_std(&b, 0xbed2bed2, 3, 1, -1, NULL, 8, NULL);
	const char *p = tmp_file("std.vmss");
	cb_write(&b, p);
	struct machine m;
	struct ck_error *err = open_vmss(p, NULL, &m);
	CHECK(u, err == NULL);
	if (!err) {
		check_std_regs(u, &m, 3);
		CHECK(u, m.meta.product && strcmp(m.meta.product, "VMware ESX") == 0);
		CHECK(u, m.meta.version && strcmp(m.meta.version, "4.1.0") == 0);
		CHECK(u, m.meta.vm_name && strcmp(m.meta.vm_name, "test \"vm\"") == 0);
		CHECK(u, m.meta.guest_os && strcmp(m.meta.guest_os, "other5xlinux-64") == 0);
		CHECK(u, m.meta.vmx_text && strstr(m.meta.vmx_text, "config.version"));
		CHECK(u, m.meta.declared_vcpus == 3);
		CHECK(u, m.nruns == 1 && m.runs[0].pa == 0 && m.runs[0].len == 8 * 4096);
		machine_deinit(&m);
	}
	ck_error_destroy(err);
	cb_free(&b);
	UNIT_END(u);

	UNIT_BEGIN(u, "vmx_value_parsing");
	char *v = vmx_value("a = \"1\"\n  GUESTos=\"x|7Cy\"\nguestOSx = \"no\"\n", "guestOS");
	CHECK(u, v && strcmp(v, "x|y") == 0);
	free(v);
	v = vmx_value("displayName = unquoted\n", "displayName");
	CHECK(u, v == NULL);
	v = vmx_value("displayName = \"open\n", "displayName");
	CHECK(u, v == NULL);
	UNIT_END(u);
}

/* A cpu group built by hand: body writes the per-vCPU tags. */
static struct ck_error *open_cpu(const char *name, void (*body)(struct cb *), uint32_t ncpu,
				 struct machine *m, const char **path_ret)
{
	struct cb b;
	cb_begin(&b, 0xbed2bed2, 2);
	cb_group(&b, "cpu");
	cb_u(&b, "cpu:numVCPUs", 0, NULL, ncpu, 4);
	body(&b);
	cb_group_end(&b);
	cb_group(&b, "memory");
	uint8_t page[4096] = { 0 };
	cb_block(&b, "Memory", 2, IDX(0, 0), 63, page, 4096, 4096, 0, NULL);
	cb_group_end(&b);
	const char *p = tmp_file(name);
	cb_write(&b, p);
	cb_free(&b);
	*path_ret = p;
	return open_vmss(p, NULL, m);
}

static void body_gpregs_only(struct cb *b)
{
	uint8_t g[128], cr[72], idt[10];
	for (int i = 0; i < 16; i++) {
		uint64_t v = reg_val(0, i);
		memcpy(g + 8 * i, &v, 8);
	}
	for (int i = 0; i < 9; i++) {
		uint64_t v = reg_val(0, SLOT_CR + i);
		memcpy(cr + 8 * i, &v, 8);
	}
	uint16_t lim = 0x1ff;
	uint64_t base = 0xfffffe0000001000ull;
	memcpy(idt, &lim, 2);
	memcpy(idt + 2, &base, 8);
	cb_block(b, "gpregs", 1, IDX(0), 63, g, 128, 128, 0, NULL);
	cb_block(b, "CR64", 1, IDX(0), 63, cr, 72, 72, 0, NULL);
	cb_tag(b, "IDTR", 1, IDX(0), idt, 10);
}

static void body_gpregs_and_scalars(struct cb *b)
{
	uint8_t g[128];
	memset(g, 0x5a, sizeof(g));
	cb_block(b, "gpregs", 1, IDX(0), 63, g, 128, 128, 8, NULL);
	cb_u(b, "rsp", 1, IDX(0), 0x1111, 8);
	cb_u(b, "rbp", 1, IDX(0), 0x2222, 8);
	cb_u(b, "rip", 1, IDX(0), 0x3333, 8);
}

static void body_cr32(struct cb *b)
{
	cb_u(b, "rip", 1, IDX(0), 0xffffffff81000000ull, 8);
	cb_u(b, "CR", 2, IDX(0, 0), 0x80050031, 4);
	cb_u(b, "CR", 2, IDX(0, 3), 0x187000, 4);
	cb_u(b, "CR", 2, IDX(0, 4), 0x6f8, 4);
	cb_u(b, "CR64", 2, IDX(0, 4), 0x3406f8, 8);	/* 64-bit wins where present */
	cb_u(b, "EFLAGS", 1, IDX(0), 0x86, 4);
}

static void body_32bit(struct cb *b)
{
	cb_u(b, "eip", 1, IDX(0), 0x80001000, 4);
	cb_u(b, "eax", 1, IDX(0), 1, 4);
	cb_u(b, "CR", 2, IDX(0, 0), 0x80000011, 4);
}

static void body_partial(struct cb *b)
{
	cb_u(b, "rip", 1, IDX(0), 1, 8);
	cb_u(b, "rsp", 1, IDX(1), 2, 8);
}

static void body_many(struct cb *b)
{
	for (uint32_t c = 0; c < 64; c++) {
		for (int i = 0; i < 16; i++)
			cb_u(b, std_gpr[i], 1, IDX(c), reg_val(c, i), 8);
		cb_u(b, "rip", 1, IDX(c), reg_val(c, SLOT_RIP), 8);
		for (uint32_t n = 0; n < 16; n++) {
			cb_u(b, "DR64", 2, IDX(c, n), n, 8);
			cb_u(b, "MSR", 2, IDX(c, n), n, 8);
		}
	}
}

static void test_cpu_forms(struct unit *u)
{
	struct machine m;
	const char *p;
	struct ck_error *err;

	UNIT_BEGIN(u, "gpregs_block_encoding_order");
	err = open_cpu("gpregs.vmss", body_gpregs_only, 1, &m, &p);
	CHECK(u, err == NULL);
	if (!err) {
		const struct x86_regs *r = &m.cpus[0];
		for (int i = 0; i < X86_NGPR; i++)
			CHECK(u, r->gpr[i] == reg_val(0, i) && x86_regs_has(r, REG_GPR_FIRST + i));
		CHECK(u, r->gpr[X86_RSP] == reg_val(0, 4) && r->gpr[X86_RBP] == reg_val(0, 5));
		CHECK(u, r->cr[3] == reg_val(0, SLOT_CR + 3) && x86_regs_has(r, REG_CR0 + 3));
		CHECK(u, r->idtr_base == 0xfffffe0000001000ull && r->idtr_limit == 0x1ff);
		CHECK(u, x86_regs_has(r, REG_IDTR) && !x86_regs_has(r, REG_RIP));
		char *miss = x86_regs_missing(r);
		CHECK(u, miss && strstr(miss, "rip") && strstr(miss, "gdtr") && strstr(miss, "cs"));
		CHECK(u, miss && !strstr(miss, "rax") && !strstr(miss, "cr3"));
		free(miss);
		machine_deinit(&m);
	}
	ck_error_destroy(err);
	UNIT_END(u);

	UNIT_BEGIN(u, "scalar_tags_win_over_gpregs");
	err = open_cpu("both.vmss", body_gpregs_and_scalars, 1, &m, &p);
	CHECK(u, err == NULL);
	if (!err) {
		const struct x86_regs *r = &m.cpus[0];
		CHECK(u, r->gpr[X86_RSP] == 0x1111 && r->gpr[X86_RBP] == 0x2222 && r->rip == 0x3333);
		CHECK(u, r->gpr[X86_RAX] == 0x5a5a5a5a5a5a5a5aull);
		machine_deinit(&m);
	}
	ck_error_destroy(err);
	UNIT_END(u);

	UNIT_BEGIN(u, "cr32_fallback");
	err = open_cpu("cr32.vmss", body_cr32, 1, &m, &p);
	CHECK(u, err == NULL);
	if (!err) {
		const struct x86_regs *r = &m.cpus[0];
		CHECK(u, r->cr[0] == 0x80050031 && r->cr[3] == 0x187000 && r->cr[4] == 0x3406f8);
		CHECK(u, x86_regs_has(r, REG_CR0) && x86_regs_has(r, REG_CR0 + 3) &&
			 !x86_regs_has(r, REG_CR0 + 2));
		CHECK(u, r->rflags == 0x86 && x86_regs_has(r, REG_RFLAGS));
		machine_deinit(&m);
	}
	ck_error_destroy(err);
	UNIT_END(u);

	UNIT_BEGIN(u, "32bit_only_refused");
	err = open_cpu("x86.vmss", body_32bit, 1, &m, &p);
	CHECK(u, err_is_input(err, p, "32-bit-only checkpoint is not supported"));
	ck_error_destroy(err);
	UNIT_END(u);

	UNIT_BEGIN(u, "missing_registers_reported_per_vcpu");
	err = open_cpu("partial.vmss", body_partial, 2, &m, &p);
	CHECK(u, err == NULL);
	if (!err) {
		char *m0 = x86_regs_missing(&m.cpus[0]), *m1 = x86_regs_missing(&m.cpus[1]);
		CHECK(u, m0 && !strstr(m0, "rip") && strstr(m0, "rsp"));
		CHECK(u, m1 && strstr(m1, "rip") && !strstr(m1, "rsp,"));
		free(m0);
		free(m1);
		machine_deinit(&m);
	}
	ck_error_destroy(err);
	UNIT_END(u);

	UNIT_BEGIN(u, "64_vcpus_thousands_of_tags_fast");
	clock_t t0 = clock();
	err = open_cpu("many.vmss", body_many, 64, &m, &p);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK(u, err == NULL);
	if (!err) {
		CHECK(u, m.ncpus == 64 && m.cpus[63].gpr[X86_R15] == reg_val(63, 15));
		machine_deinit(&m);
	}
	CHECK(u, secs < 2.0);
	ck_error_destroy(err);
	UNIT_END(u);
}

static void test_info(struct unit *u)
{
	UNIT_BEGIN(u, "info_groups_regions_tags");
	static const uint64_t regs[3][3] = { { 0, 0, 2 }, { 0x100, 2, 1 }, { 0x200, 3, 1 } };
	struct cb b;
	build_std(&b, 0xbad1bad1, 2, 1, 3, regs, 4, NULL);
	const char *p = tmp_file("info.vmss");
	cb_write(&b, p);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct ck_error *err = cpt_info_print(out, p, 1);
	fclose(out);
	CHECK(u, err == NULL && text);
	if (text) {
		CHECK(u, strstr(text, "magic          0xbad1bad1 (8-byte block sizes)"));
		CHECK(u, strstr(text, "4 groups"));
		CHECK(u, strstr(text, "    cpu  offset 0x"));
		CHECK(u, strstr(text, "3 regions:"));
		CHECK(u, strstr(text, "[1] PA 0x100000-0x101000 <- memory offset 0x2000 (1 pages)"));
		CHECK(u, strstr(text, "cpu/CR64[1][3]  = 0x200000015aa"));
		CHECK(u, strstr(text, "Checkpoint/ProductName  block disk 0x100 mem 0x100 pad 0  = \"VMware ESX\""));
		CHECK(u, strstr(text, "Snapshot/cfgFile"));
		CHECK(u, strstr(text, "memory/Memory[0][0]  block disk 0x4000"));
	}
	free(text);
	ck_error_destroy(err);
	text = NULL;
	out = open_memstream(&text, &len);
	err = cpt_info_print(out, tmp_file("nonexistent.vmss"), 0);
	fclose(out);
	CHECK(u, err && err->kind == CK_ERR_INPUT);
	ck_error_destroy(err);
	free(text);
	cb_free(&b);
	UNIT_END(u);
}

int main(void)
{
	struct unit u = { 0 };
	tmp_init();
	test_magics(&u);
	test_inline_sizes(&u);
	test_blocks(&u);
	test_lookup(&u);
	test_regs_and_meta(&u);
	test_cpu_forms(&u);
	test_info(&u);
	if (!getenv("KEEP")) tmp_cleanup();
	return UNIT_EXIT(&u);
}
