/*
 * test_bundle_archive.c - bundle.h on archives this test writes itself (a
 * small ustar writer, gzip by zlib; the facts are what was written): the inventory of a
 * host bundle, FRAG pieces stored out of order and joined back byte for byte
 * (by a second pass and by capture), gzip pieces inflated, zeros left as
 * holes, gaps and duplicate indices refused naming the file, and nothing
 * named ever appearing in the stage directory.
 * Real vm-support-shaped bundles of a real guest: tests/integration/bundle*.sh.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bundle.h"
#include "unit.h"

static struct unit u;

#define ROOT "esx-h1-2024-01-02--03.04-1234/"
#define VMDIR ROOT "vmfs/volumes/5f00-uuid/vm1/"

/*
 * A ustar writer of its own (512-byte headers, data padded to 512, two zero
 * blocks at the end), plain or through zlib's gzip: the archives do not come
 * from the library that reads them.
 */
struct tarw {
	FILE *f;
	gzFile g;
};

static int tar_open(struct tarw *t, const char *path, int gz)
{
	*t = (struct tarw){ 0 };
	if (gz)
		t->g = gzopen(path, "wb6");
	else
		t->f = fopen(path, "wb");
	return t->f || t->g ? 0 : -1;
}

static void tar_put(struct tarw *t, const void *p, size_t n)
{
	if (t->g)
		gzwrite(t->g, p, (unsigned)n);
	else
		fwrite(p, 1, n, t->f);
}

static void tar_header(struct tarw *t, const char *name, char type, size_t size, const char *link)
{
	char h[512];
	memset(h, 0, sizeof(h));
	snprintf(h, 100, "%s", name);
	snprintf(h + 100, 8, "%07o", type == '2' ? 0777 : 0644);
	snprintf(h + 108, 8, "%07o", 0);
	snprintf(h + 116, 8, "%07o", 0);
	snprintf(h + 124, 12, "%011lo", (unsigned long)size);
	snprintf(h + 136, 12, "%011lo", 1700000000ul);
	memset(h + 148, ' ', 8);
	h[156] = type;
	if (link)
		snprintf(h + 157, 100, "%s", link);
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)h[i];
	snprintf(h + 148, 8, "%06o", sum);
	h[155] = ' ';
	tar_put(t, h, sizeof(h));
}

static void add(struct tarw *t, const char *name, const void *data, size_t len)
{
	static const char pad[512];
	tar_header(t, name, '0', len, NULL);
	tar_put(t, data, len);
	if (len % 512)
		tar_put(t, pad, 512 - len % 512);
}

static void tar_close(struct tarw *t)
{
	static const char zero[1024];
	tar_put(t, zero, sizeof(zero));
	if (t->g)
		gzclose(t->g);
	else
		fclose(t->f);
}

static void add_str(struct tarw *a, const char *name, const char *s)
{
	add(a, name, s, strlen(s));
}

static void add_symlink(struct tarw *a, const char *name, const char *target)
{
	tar_header(a, name, '2', 0, target);
}

/* n bytes: 4 KiB blocks of a pattern, every other 64 KiB all zeros (holes when staged). */
static uint8_t *make_blob(size_t n, unsigned seed)
{
	uint8_t *b = malloc(n);
	for (size_t i = 0; i < n; i++)
		b[i] = (i / 65536) % 2 ? 0 : (uint8_t)(i * 7 + seed + i / 4096);
	return b;
}

/* blob as NAME.FRAG-%05u pieces of piece bytes, written in the order given. */
static void add_pieces(struct tarw *a, const char *name, const uint8_t *blob, size_t n, size_t piece,
		       const int *order, int norder)
{
	for (int k = 0; k < norder; k++) {
		char pn[512];
		size_t off = (size_t)order[k] * piece;
		snprintf(pn, sizeof(pn), "%s.FRAG-%05d", name, order[k]);
		add(a, pn, blob + off, off + piece <= n ? piece : n - off);
	}
}

static uint8_t *gzip_of(const uint8_t *in, size_t n, size_t *out_n)
{
	uLongf cap = compressBound(n) + 64;
	uint8_t *out = malloc(cap);
	z_stream z = { 0 };
	deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	*out_n = z.total_out;
	deflateEnd(&z);
	return out;
}

static const struct bundle_file *find_file(const struct bundle_inventory *inv, const char *path)
{
	for (size_t i = 0; i < inv->nfiles; i++)
		if (strcmp(inv->files[i].path, path) == 0)
			return &inv->files[i];
	return NULL;
}

/* Does the view read back exactly want[0..n)? */
static int view_equals(const struct bundle_view *v, const uint8_t *want, size_t n)
{
	if (v->size != n)
		return 0;
	uint8_t *got = malloc(n ? n : 1);
	int ok = pread(v->fd, got, n, v->offset) == (ssize_t)n && memcmp(got, want, n) == 0;
	free(got);
	return ok;
}

enum { VMSS_N = 3 * 10000 + 123, VMEM_N = 8 << 20, PIECE_VMSS = 10000, PIECE_VMEM = 1 << 20 };

struct data {
	uint8_t *vmss, *vmem, *logz;
	size_t logz_n;
	char *log;
};

/* A host bundle: vmss pieces out of order, vmem pieces in order, a gzip'd log, a datastore link. */
static int write_bundle(const char *path, const struct data *d, int filter)
{
	struct tarw tw, *a = &tw;
	if (tar_open(a, path, filter) != 0)
		return -1;
	add_str(a, ROOT "commands/vmware_-vl.txt", "VMware ESXi 8.0.2 build-22380479\nVMware ESXi 8.0 Update 2\n");
	add_str(a, ROOT "etc/vmware/hostd/vmInventory.xml",
		"<ConfigRoot><ConfigEntry id=\"0000\"><vmxCfgPath>/vmfs/volumes/datastore1/vm1/vm1.vmx"
		"</vmxCfgPath></ConfigEntry></ConfigRoot>\n");
	add_symlink(a, ROOT "vmfs/volumes/datastore1", "5f00-uuid");
	add_str(a, VMDIR "vm1.vmx", "displayName = \"web|2001\"\nguestOS = \"debian12-64\"\n");
	int order_vmss[] = { 2, 0, 3, 1 };
	add_pieces(a, VMDIR "vm1.vmss", d->vmss, VMSS_N, PIECE_VMSS, order_vmss, 4);
	int order_vmem[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	add_pieces(a, VMDIR "vm1.vmem", d->vmem, VMEM_N, PIECE_VMEM, order_vmem, 8);
	/* a gzip file in 3 pieces, the last first */
	size_t third = d->logz_n / 3 + 1;
	for (int k = 2; k >= 0; k--) {
		char pn[256];
		size_t off = (size_t)k * third;
		snprintf(pn, sizeof(pn), ROOT "var/run/log/vmkernel.0.gz.FRAG-%05d", k);
		add(a, pn, d->logz + off, off + third <= d->logz_n ? third : d->logz_n - off);
	}
	add_str(a, ROOT "var/run/log/vmkernel.log", "2024-01-02T03:04:05.678Z cpu0:1)boot\n");
	tar_close(a);
	return 0;
}

static void test_inventory_and_join(const char *dir, const struct data *d)
{
	char path[4096], stage[4096];
	snprintf(path, sizeof(path), "%s/esx-h1.tgz", dir);
	snprintf(stage, sizeof(stage), "%s/stage", dir);
	mkdir(stage, 0700);
	write_bundle(path, d, 1);

	struct bundle *b = NULL;
	struct bundle_options o = { .stage_dir = stage };
	UNIT_BEGIN(&u, "inventory-of-a-written-tgz");
	struct ck_error *err = bundle_open(path, &o, &b);
	CHECK(&u, !err);
	if (err) {
		printf("  %s\n", err->msg);
		ck_error_destroy(err);
		UNIT_END(&u);
		return;
	}
	const struct bundle_inventory *inv = bundle_inventory(b);
	CHECK(&u, inv->nhosts == 1 && strcmp(inv->hosts[0].root, ROOT) == 0);
	CHECK(&u, inv->nhosts == 1 && strcmp(inv->hosts[0].hostname, "h1") == 0);
	CHECK(&u, inv->nhosts == 1 && strcmp(inv->hosts[0].version, "8.0.2") == 0 &&
		  strcmp(inv->hosts[0].build, "22380479") == 0);
	/* the inventory's path goes through the datastore link to the VM's .vmx; |20 decoded */
	CHECK(&u, inv->nvms == 1 && strcmp(inv->vms[0].name, "web 01") == 0);
	CHECK(&u, inv->nvms == 1 && inv->vms[0].vmx && strcmp(inv->vms[0].vmx, VMDIR "vm1.vmx") == 0);
	CHECK(&u, inv->nvms == 1 && inv->vms[0].cfg_path && strcmp(inv->vms[0].guest_os, "debian12-64") == 0);
	const struct bundle_file *vmss = find_file(inv, VMDIR "vm1.vmss"), *vmem = find_file(inv, VMDIR "vm1.vmem");
	const struct bundle_file *logz = find_file(inv, ROOT "var/run/log/vmkernel.0.gz");
	CHECK(&u, vmss && vmss->kind == BUNDLE_SUSPEND && vmss->npieces == 4 && vmss->size == VMSS_N && !vmss->problem);
	CHECK(&u, vmss && vmss->vm == 0 && vmss->host == 0);
	CHECK(&u, vmem && vmem->kind == BUNDLE_VMEM && vmem->npieces == 8 && vmem->size == VMEM_N);
	CHECK(&u, logz && logz->kind == BUNDLE_HOST_LOG && logz->gzip && logz->vm == -1 && logz->npieces == 3);
	CHECK(&u, inv->warnings.n == 0);
	size_t vm;
	const struct bundle_file *c, *m;
	CHECK(&u, !bundle_pick_vm(inv, NULL, &vm) && vm == 0);
	CHECK(&u, !bundle_vm_checkpoint(inv, 0, &c, &m) && c == vmss && m == vmem);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "pieces-joined-in-index-order-in-one-pass");
	const struct bundle_file *want[] = { vmss, vmem, logz };
	struct bundle_view v[3];
	err = bundle_materialise(b, want, 3, BUNDLE_INFLATE, v);
	CHECK(&u, !err);
	if (!err) {
		CHECK(&u, view_equals(&v[0], d->vmss, VMSS_N));
		CHECK(&u, view_equals(&v[1], d->vmem, VMEM_N));
		CHECK(&u, v[2].inflated && view_equals(&v[2], (const uint8_t *)d->log, strlen(d->log)));
		struct stat st;
		/* half of the vmem is zeros: holes, not blocks */
		CHECK(&u, fstat(v[1].fd, &st) == 0 && (uint64_t)st.st_blocks * 512 <= VMEM_N / 2 + (256 << 10));
		CHECK(&u, strstr(v[0].name, "esx-h1.tgz: ") && strstr(v[0].name, "vm1.vmss"));
		CHECK(&u, unit_count_entries(stage) == 0);	/* unnamed copies only */
	}
	ck_error_destroy(err);
	UNIT_END(&u);
	bundle_close(b);

	UNIT_BEGIN(&u, "captured-while-taking-the-inventory");
	o.capture_kinds = 1u << BUNDLE_SUSPEND | 1u << BUNDLE_VMEM;
	o.vmem_offset = 1 << 20;
	o.capture_vm = "web 01";
	err = bundle_open(path, &o, &b);
	CHECK(&u, !err);
	if (!err) {
		inv = bundle_inventory(b);
		const struct bundle_file *w2[] = { find_file(inv, VMDIR "vm1.vmss"), find_file(inv, VMDIR "vm1.vmem") };
		err = bundle_materialise(b, w2, 2, BUNDLE_INFLATE, v);
		CHECK(&u, !err && v[1].offset == 1 << 20 && v[1].staged && v[0].offset == 0);
		CHECK(&u, !err && view_equals(&v[0], d->vmss, VMSS_N) && view_equals(&v[1], d->vmem, VMEM_N));
		CHECK(&u, unit_count_entries(stage) == 0);
		bundle_close(b);
	}
	ck_error_destroy(err);
	UNIT_END(&u);
	CHECK(&u, unit_count_entries(stage) == 0);
	unlink(path);
	rmdir(stage);
}

/* A bundle whose vmem pieces are order[0..n). */
static struct ck_error *open_with_pieces(const char *dir, const struct data *d, const int *order, int n,
					 const char *extra_name, struct bundle **b)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/frag.tar", dir);
	struct tarw tw, *a = &tw;
	if (tar_open(a, path, 0) != 0)
		return ck_error_create(CK_ERR_SYSTEM, "cannot write %s", path);
	add_str(a, "vm1/vm1.vmx", "displayName = \"x\"\n");
	add(a, "vm1/vm1.vmss", d->vmss, 100);
	add_pieces(a, "vm1/vm1.vmem", d->vmem, VMEM_N, PIECE_VMEM, order, n);
	if (extra_name)
		add(a, extra_name, d->vmem, 100);
	tar_close(a);
	struct bundle_options o = { .stage_dir = dir };
	struct ck_error *err = bundle_open(path, &o, b);
	unlink(path);
	return err;
}

static void test_frag_errors(const char *dir, const struct data *d)
{
	struct bundle *b;
	UNIT_BEGIN(&u, "frag-gap-named");
	int gap[] = { 0, 1, 2, 4, 5 };
	struct ck_error *err = open_with_pieces(dir, d, gap, 5, NULL, &b);
	CHECK(&u, !err);
	if (!err) {
		const struct bundle_file *f = find_file(bundle_inventory(b), "vm1/vm1.vmem");
		CHECK(&u, f && f->problem && strstr(f->problem, "FRAG-00003 is missing"));
		struct bundle_view v;
		err = bundle_materialise(b, &f, 1, 0, &v);
		CHECK(&u, err && err->kind == CK_ERR_INPUT && strstr(err->msg, "vm1/vm1.vmem: FRAG-00003 is missing"));
		ck_error_destroy(err);
		err = NULL;
		bundle_close(b);
	}
	ck_error_destroy(err);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "frag-first-piece-missing");
	int nofirst[] = { 1, 2 };
	err = open_with_pieces(dir, d, nofirst, 2, NULL, &b);
	if (!err) {
		const struct bundle_file *f = find_file(bundle_inventory(b), "vm1/vm1.vmem");
		CHECK(&u, f && f->problem && strstr(f->problem, "FRAG-00000 is missing"));
		bundle_close(b);
	}
	CHECK(&u, !err);
	ck_error_destroy(err);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "frag-duplicate-index-named");
	int all[] = { 0, 1, 2 };
	err = open_with_pieces(dir, d, all, 3, "vm1/vm1.vmem.FRAG-000001", &b);
	CHECK(&u, !err);
	if (!err) {
		const struct bundle_file *f = find_file(bundle_inventory(b), "vm1/vm1.vmem");
		CHECK(&u, f && f->problem && strstr(f->problem, "index 00001 is stored twice") &&
			  strstr(f->problem, "FRAG-000001"));
		bundle_close(b);
	}
	ck_error_destroy(err);
	UNIT_END(&u);

	UNIT_BEGIN(&u, "not-an-archive-is-bad-input");
	char path[4096];
	snprintf(path, sizeof(path), "%s/text.tar", dir);
	FILE *f = fopen(path, "w");
	fputs("hello, not an archive\n", f);
	fclose(f);
	err = bundle_open(path, NULL, &b);
	CHECK(&u, err && err->kind == CK_ERR_INPUT && strstr(err->msg, "text.tar"));
	if (!err)
		bundle_close(b);
	ck_error_destroy(err);
	unlink(path);
	UNIT_END(&u);
}

int main(void)
{
	char dir[] = "/tmp/test_bundle_archive.XXXXXX";
	if (!mkdtemp(dir)) {
		printf("FAIL mkdtemp\n");
		return 1;
	}
	struct data d = { make_blob(VMSS_N, 1), make_blob(VMEM_N, 2), NULL, 0, NULL };
	d.log = malloc(200000);
	d.log[0] = 0;
	for (int i = 0; strlen(d.log) < 190000; i++)
		sprintf(d.log + strlen(d.log), "2024-01-02T03:04:%02d.000Z cpu%d:%d)line %d\n", i % 60, i % 4, 1000 + i, i);
	d.logz = gzip_of((const uint8_t *)d.log, strlen(d.log), &d.logz_n);
	test_inventory_and_join(dir, &d);
	test_frag_errors(dir, &d);
	free(d.vmss);
	free(d.vmem);
	free(d.logz);
	free(d.log);
	if (rmdir(dir) != 0)
		printf("FAIL cleanup: %s is not empty\n", dir);
	return UNIT_EXIT(&u);
}
