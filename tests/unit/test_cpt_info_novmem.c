/*
 * test_cpt_info_novmem.c - cpt_info_machine_open(), the open behind
 * `vmss2core --info`: a checkpoint whose .vmem is missing (or unnamed) still
 * gives its metadata and vCPUs with a warning naming the .vmem; a present
 * .vmem gives memory and no warning; other errors stay errors.
 */
#include <stdlib.h>
#include <string.h>

#include "cpt_info.h"
#include "test_cpt_build.h"
#include "unit.h"

static void test_novmem(struct unit *u)
{
	struct cb b;
	struct machine m;
	const struct machine_format *fmt = NULL;
	struct ck_error *missing = NULL, *err;

	UNIT_BEGIN(u, "info_open_without_vmem");
	const char *p = tmp_file("gone.vmss");
	build_std(&b, 0xbed2bed2, 2, 0, -1, NULL, 4, NULL);
	cb_write(&b, p);
	machine_init(&m);
	err = cpt_info_machine_open(p, NULL, &m, &fmt, &missing);
	CHECK(u, err == NULL && fmt == &vmss_format);
	CHECK(u, missing && missing->kind == CK_ERR_INPUT && strstr(missing->msg, "gone.vmem"));
	CHECK(u, m.ncpus == 2 && m.nruns == 0 && x86_regs_has(&m.cpus[1], REG_RIP));
	CHECK(u, m.meta.vm_name && m.meta.guest_os && m.meta.product);
	ck_error_destroy(missing);
	ck_error_destroy(err);
	machine_deinit(&m);
	/* the same file through machine_open() is still refused */
	machine_init(&m);
	err = machine_open(p, NULL, &m, NULL);
	CHECK(u, err_is_input(err, p, "gone.vmem"));
	ck_error_destroy(err);
	machine_deinit(&m);
	cb_free(&b);
	UNIT_END(u);

	UNIT_BEGIN(u, "info_open_vmem_name_not_derivable");
	p = tmp_file("noext.chk");
	build_std(&b, 0xbed2bed2, 1, 0, -1, NULL, 4, NULL);
	cb_write(&b, p);
	machine_init(&m);
	missing = NULL;
	err = cpt_info_machine_open(p, NULL, &m, &fmt, &missing);
	CHECK(u, err == NULL && missing && strstr(missing->msg, ".vmem") && m.ncpus == 1);
	ck_error_destroy(missing);
	ck_error_destroy(err);
	machine_deinit(&m);
	cb_free(&b);
	UNIT_END(u);

	UNIT_BEGIN(u, "info_open_with_vmem");
	p = tmp_file("here.vmss");
	build_std(&b, 0xbed2bed2, 1, 0, -1, NULL, 4, tmp_file("here.vmem"));
	cb_write(&b, p);
	machine_init(&m);
	struct ck_error sentinel = { CK_ERR_INPUT, 0, NULL };
	missing = &sentinel;	/* must be overwritten with NULL */
	err = cpt_info_machine_open(p, NULL, &m, &fmt, &missing);
	CHECK(u, err == NULL && missing == NULL && m.nruns == 1 && machine_ram_bytes(&m) == 4 * 4096);
	ck_error_destroy(err);
	machine_deinit(&m);
	cb_free(&b);
	UNIT_END(u);

	UNIT_BEGIN(u, "info_open_truncated_is_an_error");
	p = tmp_file("short.vmss");
	build_std(&b, 0xbed2bed2, 1, 0, -1, NULL, 4, NULL);
	write_file(p, b.buf, 200);
	machine_init(&m);
	missing = NULL;
	err = cpt_info_machine_open(p, NULL, &m, &fmt, &missing);
	CHECK(u, err_is_input(err, p, "offset 0x") && missing == NULL);
	ck_error_destroy(err);
	machine_deinit(&m);
	cb_free(&b);
	UNIT_END(u);
}

int main(void)
{
	struct unit u = { 0 };
	tmp_init();
	test_novmem(&u);
	if (!getenv("KEEP")) tmp_cleanup();
	return UNIT_EXIT(&u);
}
