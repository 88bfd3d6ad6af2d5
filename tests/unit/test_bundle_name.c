/*
 * test_bundle_name.c - names and small texts of vm-support bundles: member
 * names cleaned or refused, escaping for messages, FRAG suffixes (the
 * reference: NAME.FRAG-00000, 5 digits from 0), kinds by name and place,
 * link resolution that never leaves the archive, and the text files the
 * inventory reads (vmInventory.xml, vmware_-vl.txt, uname_-a.txt, the
 * esx-HOST-DATE directory name; shapes from the fact sheets' examples).
 */
#include <stdlib.h>
#include <string.h>

#include "bundle_internal.h"
#include "bundle_name.h"
#include "unit.h"

static struct unit u;

static int clean_is(const char *raw, const char *want)
{
	const char *why;
	char *c = bundle_name_clean(raw, &why);
	int ok = c && strcmp(c, want) == 0;
	free(c);
	return ok;
}

static int refused(const char *raw, const char *why_part)
{
	const char *why = NULL;
	char *c = bundle_name_clean(raw, &why);
	free(c);
	return !c && why && strstr(why, why_part);
}

static void test_clean(void)
{
	UNIT_BEGIN(&u, "member-names-cleaned");
	CHECK(&u, clean_is("./esx-h/var/log/vmkernel.log", "esx-h/var/log/vmkernel.log"));
	CHECK(&u, clean_is("a//b/./c/", "a/b/c"));
	CHECK(&u, clean_is("...x/..y", "...x/..y"));	/* dots that are not a `..` component */
	UNIT_END(&u);

	UNIT_BEGIN(&u, "member-names-refused");
	CHECK(&u, refused("/etc/passwd", "absolute"));
	CHECK(&u, refused("../../etc/passwd", "`..`"));
	CHECK(&u, refused("a/b/../../../x", "`..`"));
	CHECK(&u, refused("./", "empty"));
	char *longname = malloc(5000);
	memset(longname, 'a', 4999);
	longname[4999] = 0;
	CHECK(&u, refused(longname, "longer"));
	free(longname);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "names-escaped-for-one-line-messages");
	char *e = bundle_name_escape("a\nb\x1b[31mc\x7f");
	CHECK(&u, e && strcmp(e, "a\\x0ab\\x1b[31mc\\x7f") == 0);
	free(e);
	UNIT_END(&u);
}

static void test_frag(void)
{
	size_t bl;
	uint64_t idx;
	UNIT_BEGIN(&u, "frag-suffix");
	CHECK(&u, bundle_frag_split("d/vm.vmem.FRAG-00000", &bl, &idx) && bl == 9 && idx == 0);
	CHECK(&u, bundle_frag_split("vc-support.tar.gz.FRAG-00012", &bl, &idx) && idx == 12 &&
		  bl == strlen("vc-support.tar.gz"));
	/* six digits: the same index as five (a duplicate when both are stored) */
	CHECK(&u, bundle_frag_split("x.FRAG-000012", &bl, &idx) && idx == 12 && bl == 1);
	CHECK(&u, !bundle_frag_split("x.FRAG-0001", &bl, &idx));	/* 4 digits */
	CHECK(&u, !bundle_frag_split("x.FRAG-00001.txt", &bl, &idx));
	CHECK(&u, !bundle_frag_split(".FRAG-00001", &bl, &idx));	/* no name before it */
	UNIT_END(&u);
}

static enum bundle_kind kind(const char *rel, int *gz)
{
	return bundle_kind_of(rel, gz);
}

static void test_kinds(void)
{
	int gz;
	UNIT_BEGIN(&u, "kinds-by-name-and-place");
	CHECK(&u, kind("vmfs/volumes/ds/vm/vm.vmx", &gz) == BUNDLE_VMX && !gz);
	CHECK(&u, kind("vmfs/volumes/ds/vm/vmware.log", &gz) == BUNDLE_VM_LOG);
	CHECK(&u, kind("vmfs/volumes/ds/vm/vmware-3.log", &gz) == BUNDLE_VM_LOG);
	CHECK(&u, kind("vmfs/volumes/ds/vm/vm.vmss", &gz) == BUNDLE_SUSPEND && !gz);
	CHECK(&u, kind("vmfs/volumes/ds/vm/vm.vmss.gz", &gz) == BUNDLE_SUSPEND && gz);
	CHECK(&u, kind("vmfs/volumes/ds/vm/vm-Snapshot1.vmsn", &gz) == BUNDLE_SNAPSHOT);
	CHECK(&u, kind("vmfs/volumes/ds/vm/vm.vmem", &gz) == BUNDLE_VMEM);
	CHECK(&u, kind("vmfs/volumes/ds/vm/vmx-zdump.000", &gz) == BUNDLE_ZDUMP);
	CHECK(&u, kind("vmfs/volumes/ds/vm/vmmcores-4.gz", &gz) == BUNDLE_CORE && gz);
	CHECK(&u, kind("var/run/log/vmkernel.log", &gz) == BUNDLE_HOST_LOG && !gz);
	CHECK(&u, kind("var/log/hostd.0.gz", &gz) == BUNDLE_HOST_LOG && gz);
	CHECK(&u, kind("var/core/vmkernel-zdump.1", &gz) == BUNDLE_ZDUMP);
	CHECK(&u, kind("var/core/core.sshd.1234", &gz) == BUNDLE_CORE);
	CHECK(&u, kind("vc/esx-h-2024-01-02--03.04-1.tgz", &gz) == BUNDLE_ARCHIVE);
	CHECK(&u, kind("commands/vmware_-vl.txt", &gz) == BUNDLE_OTHER);
	CHECK(&u, strcmp(bundle_kind_name(BUNDLE_HOST_LOG), "host-log") == 0);
	UNIT_END(&u);
}

static int resolves(const char *top, const char *root, const char *dir, const char *target, const char *want)
{
	int esc;
	char *r = bundle_path_resolve(top, root, dir, target, &esc);
	int ok = want ? r && strcmp(r, want) == 0 : !r && esc;
	free(r);
	return ok;
}

static void test_resolve(void)
{
	UNIT_BEGIN(&u, "links-resolved-inside-the-bundle-only");
	/* a datastore name linking to its UUID directory */
	CHECK(&u, resolves("", "esx/", "esx/vmfs/volumes", "5f00-uuid", "esx/vmfs/volumes/5f00-uuid"));
	/* absolute: from the host's root, as ESXi paths are */
	CHECK(&u, resolves("", "esx/", "esx/var", "/vmfs/volumes/ds/vm/vm.vmx", "esx/vmfs/volumes/ds/vm/vm.vmx"));
	CHECK(&u, resolves("", "esx/", "esx/var", "../vmfs/./x", "esx/vmfs/x"));
	/* ".." may climb out of the host's root but never out of the archive */
	CHECK(&u, resolves("", "esx/", "esx/var", "../../x", "x"));
	CHECK(&u, resolves("", "esx/", "esx/var", "../../../etc/passwd", NULL));
	CHECK(&u, resolves("vc/h.tgz/", "vc/h.tgz/esx/", "vc/h.tgz/esx", "../../x", NULL));
	CHECK(&u, resolves("", "", "", "/etc/passwd", "etc/passwd"));
	UNIT_END(&u);
}

static void test_texts(void)
{
	UNIT_BEGIN(&u, "vmInventory-paths");
	char **p = NULL;
	size_t n = 0;
	const char *xml = "<ConfigRoot>\n  <ConfigEntry id=\"0000\">\n    <objID>1</objID>\n"
			  "    <vmxCfgPath>/vmfs/volumes/datastore1/vm1/vm1.vmx</vmxCfgPath>\n  </ConfigEntry>\n"
			  "  <ConfigEntry id=\"0001\"><vmxCfgPath> /vmfs/volumes/ds/db &amp; cache/db&#46;vmx"
			  "</vmxCfgPath></ConfigEntry>\n  <ConfigEntry><vmxCfgPath></vmxCfgPath></ConfigEntry>\n"
			  "</ConfigRoot>\n";
	CHECK(&u, !bundle_vminv_paths(xml, &p, &n) && n == 2);
	CHECK(&u, n == 2 && strcmp(p[0], "/vmfs/volumes/datastore1/vm1/vm1.vmx") == 0);
	CHECK(&u, n == 2 && strcmp(p[1], "/vmfs/volumes/ds/db & cache/db.vmx") == 0);
	for (size_t i = 0; i < n; i++)
		free(p[i]);
	free(p);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "vmware-vl-version-build");
	struct bundle_host h = { 0 };
	CHECK(&u, !bundle_vl_parse("VMware ESXi 7.0.3 build-21930508\nVMware ESXi 7.0 Update 3\n", &h));
	CHECK(&u, h.product && strcmp(h.product, "VMware ESXi") == 0);
	CHECK(&u, h.version && strcmp(h.version, "7.0.3") == 0);
	CHECK(&u, h.build && strcmp(h.build, "21930508") == 0);
	CHECK(&u, h.release && strcmp(h.release, "VMware ESXi 7.0 Update 3") == 0);
	free(h.product);
	free(h.version);
	free(h.build);
	free(h.release);
	h = (struct bundle_host){ 0 };
	CHECK(&u, !bundle_vl_parse("garbage\n", &h) && !h.version && !h.build && !h.release);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "host-names");
	char *s = bundle_uname_host("VMkernel esx01.example.com 7.0.3 #1 SMP Release build-21930508 x86_64\n");
	CHECK(&u, s && strcmp(s, "esx01.example.com") == 0);
	free(s);
	CHECK(&u, !bundle_uname_host("Linux x 6.1"));
	/* host names hold '-': the date is found from the right */
	s = bundle_dirname_host("esx-my-host-01-2024-01-02--03.04-12345");
	CHECK(&u, s && strcmp(s, "my-host-01") == 0);
	free(s);
	s = bundle_dirname_host("path/esx-h1.lab-2023-11-30--08.00-7.tgz");
	CHECK(&u, s && strcmp(s, "h1.lab") == 0);
	free(s);
	CHECK(&u, !bundle_dirname_host("vc-support-2024"));
	UNIT_END(&u);
}

int main(void)
{
	test_clean();
	test_frag();
	test_kinds();
	test_resolve();
	test_texts();
	return UNIT_EXIT(&u);
}
