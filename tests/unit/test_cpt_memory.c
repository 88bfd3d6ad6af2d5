/* test_cpt_memory.c - checkpoint RAM: embedded/.vmem, regions, refusals. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpt.h"
#include "cpt_load.h"
#include "format.h"
#include "machine.h"
#include "unit.h"
#include "test_cpt_build.h"


/* Word w of guest page pa/4096 must hold blob page `blobpage`'s pattern. */
static int page_is(const struct machine *m, uint64_t pa, uint64_t blobpage)
{
	uint64_t v[2] = { 0, 0 };
	if (machine_read_phys(m, pa + 16, v, 16) != NULL)
		return 0;
	return v[0] == (blobpage << 16 | 2) && v[1] == (blobpage << 16 | 3);
}

/* Every page of every region maps canonically; pages between regions are holes. */
static void check_regions(struct unit *u, const struct machine *m, int n, const uint64_t (*r)[3])
{
	uint64_t total = 0;
	for (int i = 0; i < n; i++) {
		total += r[i][2];
		for (uint64_t k = 0; k < r[i][2]; k++)
			CHECK(u, page_is(m, (r[i][0] + k) * 4096, r[i][1] + k));
		if (r[i][2]) {
			uint64_t end = (r[i][0] + r[i][2]) * 4096;
			int covered = 0;
			for (int j = 0; j < n; j++)
				covered |= r[j][2] && r[j][0] * 4096 == end;
			if (!covered)
				CHECK(u, machine_find_run(m, end) == NULL);
		}
	}
	CHECK(u, machine_ram_bytes(m) == total * 4096);
}

static const uint64_t six_regions[6][3] = {
	{ 0, 0, 3 },		/* identity */
	{ 0x10, 3, 2 },		/* after a hole */
	{ 0x400, 9, 4 },	/* out of blob order */
	{ 0x100, 5, 4 },
	{ 0x800, 13, 0 },	/* empty: ignored */
	{ 0x100000, 13, 3 },	/* above 4 GiB */
};

static void test_regions(struct unit *u)
{
	for (int embed = 1; embed >= 0; embed--) {
		UNIT_BEGIN(u, embed ? "embedded_six_regions_with_holes" : "vmem_six_regions_with_holes");
		struct cb b;
		const char *p = tmp_file(embed ? "six.vmss" : "sixv.vmss");
		const char *vm = tmp_file("sixv.vmem");
		build_std(&b, 0xbed2bed2, 1, embed, 6, six_regions, 16, embed ? NULL : vm);
		cb_write(&b, p);
		struct machine m;
		struct ck_error *err = open_vmss(p, NULL, &m);
		CHECK(u, err == NULL);
		if (!err) {
			CHECK(u, m.nruns == 5);
			CHECK(u, m.nfiles == 1 && strcmp(m.files[0].path, embed ? p : vm) == 0);
			check_regions(u, &m, 6, six_regions);
			CHECK(u, machine_find_run(&m, 0x3000) == NULL);
			uint8_t x;
			struct ck_error *e2 = machine_read_phys(&m, 0x200000, &x, 1);
			CHECK(u, e2 && e2->kind == CK_ERR_FAULT);
			ck_error_destroy(e2);
			machine_deinit(&m);
		}
		ck_error_destroy(err);
		cb_free(&b);
		UNIT_END(u);
	}

	UNIT_BEGIN(u, "many_regions_v0_magic");
	static uint64_t many[40][3];
	for (int i = 0; i < 40; i++) {
		many[i][0] = (uint64_t)(39 - i) * 0x20;
		many[i][1] = (uint64_t)i;
		many[i][2] = 1;
	}
	struct cb b;
	const char *p = tmp_file("many.vmsn");
	build_std(&b, 0xbed0bed0, 2, 1, 40, (const uint64_t (*)[3])many, 40, NULL);
	cb_write(&b, p);
	struct machine m;
	struct ck_error *err = open_vmss(p, NULL, &m);
	CHECK(u, err == NULL);
	if (!err) {
		CHECK(u, m.nruns == 40);
		check_regions(u, &m, 40, (const uint64_t (*)[3])many);
		machine_deinit(&m);
	}
	ck_error_destroy(err);
	cb_free(&b);
	UNIT_END(u);
}

static void test_vmem(struct unit *u)
{
	struct cb b;
	struct machine m;
	struct ck_error *err;

	UNIT_BEGIN(u, "vmem_identity_when_no_regions");
	const char *p = tmp_file("id.vmss");
	build_std(&b, 0xbed2bed2, 1, 0, -1, NULL, 8, tmp_file("id.vmem"));
	cb_write(&b, p);
	err = open_vmss(p, NULL, &m);
	CHECK(u, err == NULL);
	if (!err) {
		CHECK(u, m.nruns == 1 && m.runs[0].pa == 0 && m.runs[0].len == 8 * 4096 &&
			 m.runs[0].off == 0);
		CHECK(u, page_is(&m, 7 * 4096, 7));
		machine_deinit(&m);
	}
	ck_error_destroy(err);
	cb_free(&b);
	UNIT_END(u);

	UNIT_BEGIN(u, "vmem_regions_count_zero_is_identity");
	p = tmp_file("zero.vmsn");
	build_std(&b, 0xbed2bed2, 1, 0, 0, NULL, 4, tmp_file("zero.vmem"));
	cb_write(&b, p);
	err = open_vmss(p, NULL, &m);
	CHECK(u, err == NULL);
	if (!err) {
		CHECK(u, m.nruns == 1 && machine_ram_bytes(&m) == 4 * 4096);
		machine_deinit(&m);
	}
	ck_error_destroy(err);
	cb_free(&b);
	UNIT_END(u);

	UNIT_BEGIN(u, "vmem_companion_argument");
	p = tmp_file("comp.vmss");
	const char *other = tmp_file("elsewhere.bin");
	static const uint64_t r2[2][3] = { { 0, 0, 2 }, { 0x100, 2, 2 } };
	build_std(&b, 0xbed2bed2, 1, 0, 2, r2, 4, other);
	cb_write(&b, p);
	err = open_vmss(p, NULL, &m);
	CHECK(u, err_is_input(err, p, "comp.vmem"));
	ck_error_destroy(err);
	err = open_vmss(p, other, &m);
	CHECK(u, err == NULL);
	if (!err) {
		check_regions(u, &m, 2, r2);
		machine_deinit(&m);
	}
	ck_error_destroy(err);
	cb_free(&b);
	UNIT_END(u);

	UNIT_BEGIN(u, "missing_vmem_refused");
	p = tmp_file("novmem.vmss");
	build_std(&b, 0xbed2bed2, 1, 0, -1, NULL, 4, NULL);
	cb_write(&b, p);
	err = open_vmss(p, NULL, &m);
	CHECK(u, err_is_input(err, p, "novmem.vmem"));
	ck_error_destroy(err);
	cb_free(&b);
	UNIT_END(u);

	UNIT_BEGIN(u, "vmem_name_not_derivable");
	p = tmp_file("noext.chk");
	build_std(&b, 0xbed2bed2, 1, 0, -1, NULL, 4, NULL);
	cb_write(&b, p);
	err = open_vmss(p, NULL, &m);
	CHECK(u, err_is_input(err, p, ".vmem"));
	ck_error_destroy(err);
	cb_free(&b);
	UNIT_END(u);

	UNIT_BEGIN(u, "single_region_without_pagenum");
	cb_begin(&b, 0xbed2bed2, 2);
	cb_group(&b, "cpu");
	cb_cpu_body(&b, 1);
	cb_group_end(&b);
	cb_group(&b, "memory");
	cb_u(&b, "regionsCount", 0, NULL, 1, 4);
	cb_u(&b, "regionPPN", 1, IDX(0), 0x10, 4);
	cb_u(&b, "regionSize", 1, IDX(0), 2, 4);
	uint8_t *ram = ram_pattern(4);
	cb_block_aligned(&b, "Memory", 2, IDX(0, 0), ram, 4 * 4096, 512, NULL);
	free(ram);
	cb_group_end(&b);
	p = tmp_file("rekall.vmss");
	cb_write(&b, p);
	err = open_vmss(p, NULL, &m);
	CHECK(u, err == NULL);
	if (!err) {
		CHECK(u, m.nruns == 1 && page_is(&m, 0x11000, 1));
		machine_deinit(&m);
	}
	ck_error_destroy(err);
	cb_free(&b);
	UNIT_END(u);
}

static struct ck_error *try_regions(const char *name, int n, const uint64_t (*r)[3],
				    uint64_t blob_pages, int embed, const char **path_ret)
{
	struct cb b;
	const char *p = tmp_file(name);
	char vm[512];
	snprintf(vm, sizeof(vm), "%.*s.vmem", (int)strlen(p) - 5, p);
	build_std(&b, 0xbed2bed2, 1, embed, n, r, blob_pages, vm);
	cb_write(&b, p);
	cb_free(&b);
	struct machine m;
	*path_ret = p;
	struct ck_error *err = open_vmss(p, NULL, &m);
	if (!err)
		machine_deinit(&m);
	return err;
}

static void test_refusals(struct unit *u)
{
	const char *p;
	struct ck_error *err;

	UNIT_BEGIN(u, "overlapping_regions_refused");
	static const uint64_t ov[3][3] = { { 0, 0, 4 }, { 0x10, 4, 4 }, { 0x3, 8, 2 } };
	err = try_regions("ov.vmss", 3, ov, 12, 1, &p);
	CHECK(u, err_is_input(err, p, "overlap"));
	CHECK(u, err && strstr(err->msg, "offset 0x") && strstr(err->msg, "0x3000"));
	ck_error_destroy(err);
	UNIT_END(u);

	UNIT_BEGIN(u, "region_past_blob_refused");
	static const uint64_t past[2][3] = { { 0, 0, 4 }, { 0x10, 4, 5 } };
	err = try_regions("past.vmss", 2, past, 8, 1, &p);
	CHECK(u, err_is_input(err, p, "runs past the end"));
	CHECK(u, err && strstr(err->msg, "offset 0x"));
	ck_error_destroy(err);
	err = try_regions("pastv.vmss", 2, past, 8, 0, &p);
	CHECK(u, err_is_input(err, p, "pastv.vmem"));
	ck_error_destroy(err);
	UNIT_END(u);

	UNIT_BEGIN(u, "region_huge_values_refused");
	static const uint64_t huge[1][3] = { { 0xffffffff, 0xffffffff, 0xffffffff } };
	err = try_regions("huge.vmss", 1, huge, 4, 1, &p);
	CHECK(u, err_is_input(err, p, "runs past the end"));
	ck_error_destroy(err);
	UNIT_END(u);

	UNIT_BEGIN(u, "region_tag_missing_named");
	struct cb b;
	build_std(&b, 0xbed2bed2, 1, 1, 0, NULL, 4, NULL);
	/* regionsCount says 0; rewrite it to 2 with no region tags behind it */
	for (size_t i = 0; i + 12 < b.len; i++)
		if (memcmp(b.buf + i, "regionsCount", 12) == 0) {
			b.buf[i + 12] = 2;
			break;
		}
	p = tmp_file("noreg.vmss");
	cb_write(&b, p);
	cb_free(&b);
	struct machine m;
	err = open_vmss(p, NULL, &m);
	CHECK(u, err_is_input(err, p, "memory group: no regionPPN[0] tag"));
	ck_error_destroy(err);
	UNIT_END(u);

	for (int variant = 0; variant < 3; variant++) {
		static const char *const names[] = { "compressed_memory_code62_refused",
			"compressed_memory_disk_ne_mem_refused", "compressed_memory_v0_refused" };
		UNIT_BEGIN(u, names[variant]);
		cb_begin(&b, variant == 2 ? 0xbed2bed0 : 0xbad1bad1, 2);
		cb_group(&b, "cpu");
		cb_cpu_body(&b, 1);
		cb_group_end(&b);
		cb_group(&b, "memory");
		uint8_t data[4096] = { 1 };
		size_t at = cb_block(&b, "Memory", 2, IDX(0, 0), variant == 1 ? 63 : 62, data, 4096,
				     variant == 1 ? 8192 : 4096, 16, NULL);
		cb_group_end(&b);
		p = tmp_file("comp.vmss");
		cb_write(&b, p);
		cb_free(&b);
		err = open_vmss(p, NULL, &m);
		CHECK(u, err_is_input(err, p, "compressed checkpoint memory is not supported"));
		char off[32];
		snprintf(off, sizeof(off), "offset 0x%zx:", at);
		CHECK(u, err && strstr(err->msg, off));
		ck_error_destroy(err);
		UNIT_END(u);
	}

	UNIT_BEGIN(u, "memory_inline_value_refused");
	cb_begin(&b, 0xbed2bed2, 2);
	cb_group(&b, "cpu");
	cb_cpu_body(&b, 1);
	cb_group_end(&b);
	cb_group(&b, "memory");
	cb_u(&b, "Memory", 2, IDX(0, 0), 5, 4);
	cb_group_end(&b);
	p = tmp_file("inl.vmss");
	cb_write(&b, p);
	cb_free(&b);
	err = open_vmss(p, NULL, &m);
	CHECK(u, err_is_input(err, p, "not a block"));
	ck_error_destroy(err);
	UNIT_END(u);

	UNIT_BEGIN(u, "empty_vmem_refused");
	p = tmp_file("empty.vmss");
	build_std(&b, 0xbed2bed2, 1, 0, -1, NULL, 0, tmp_file("empty.vmem"));
	cb_write(&b, p);
	cb_free(&b);
	err = open_vmss(p, NULL, &m);
	CHECK(u, err_is_input(err, p, "empty"));
	ck_error_destroy(err);
	UNIT_END(u);
}

int main(void)
{
	struct unit u = { 0 };
	tmp_init();
	test_regions(&u);
	test_vmem(&u);
	test_refusals(&u);
	if (!getenv("KEEP")) tmp_cleanup();
	return UNIT_EXIT(&u);
}
