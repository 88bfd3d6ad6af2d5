/*
 * test_cpt_corrupt.c - corrupted checkpoints: each must be refused with a
 * CK_ERR_INPUT error naming the file and the offset (or the missing item).
 */
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

enum { G_CHECKPOINT, G_SNAPSHOT, G_CPU, G_MEMORY };

static const uint64_t base_regions[2][3] = { { 0, 0, 8 }, { 0x100, 8, 8 } };

/* Offset of the tag head whose name is `name` (first occurrence). */
static size_t tag_at(const struct cb *b, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i + n <= b->len; i++)
		if (memcmp(b->buf + i, name, n) == 0 && b->buf[i - 1] == n)
			return i - 2;
	abort();
}

static size_t gdesc(int g)
{
	return 12 + 80 * (size_t)g;
}

struct corruption {
	const char *name;
	void (*apply)(struct cb *b);
	const char *expect;	/* substring of the message besides the path */
	int at_offset;		/* message must contain "offset 0x" */
};

/* Memory tag layout in the base file: head, name(6), 2 indices, 2 u64 sizes, u16 pad. */
static size_t mem_head(const struct cb *b) { return tag_at(b, "Memory"); }

static void last_group_unsized(struct cb *b)
{
	cb_put_le(b, gdesc(G_MEMORY) + 72, 0, 8);
}

static void c_trunc_header(struct cb *b) { b->len = 7; }
static void c_empty(struct cb *b) { b->len = 0; }
static void c_bad_magic(struct cb *b) { cb_put_le(b, 0, 0xdeadbeef, 4); }
static void c_magic_swapped(struct cb *b) { cb_put_le(b, 0, 0xd2bed2be, 4); }
static void c_huge_groups(struct cb *b) { cb_put_le(b, 8, 0xffffffff, 4); }
static void c_groups_past_eof(struct cb *b) { cb_put_le(b, 8, 9000, 4); }
static void c_trunc_group_table(struct cb *b) { b->len = 12 + 80 * 2 + 30; }
static void c_group_off_past_eof(struct cb *b) { cb_put_le(b, gdesc(G_CPU) + 64, b->len + 5, 8); }
static void c_group_off_in_table(struct cb *b) { cb_put_le(b, gdesc(G_SNAPSHOT) + 64, 20, 8); }
static void c_group_size_huge(struct cb *b) { cb_put_le(b, gdesc(G_CPU) + 72, UINT64_MAX - 8, 8); }
static void c_trunc_data_sized(struct cb *b) { b->len -= 100; }
static void c_trunc_tag_head(struct cb *b) { last_group_unsized(b); b->len = mem_head(b) + 1; }
static void c_trunc_tag_name(struct cb *b) { last_group_unsized(b); b->len = mem_head(b) + 5; }
static void c_trunc_indices(struct cb *b) { last_group_unsized(b); b->len = mem_head(b) + 10; }
static void c_trunc_block_sizes(struct cb *b) { last_group_unsized(b); b->len = mem_head(b) + 20; }
static void c_trunc_pad(struct cb *b) { last_group_unsized(b); b->len = mem_head(b) + 35; }
static void c_trunc_data(struct cb *b) { last_group_unsized(b); b->len -= 4096; }
static void c_trunc_inline(struct cb *b)
{
	last_group_unsized(b);
	b->len = tag_at(b, "regionSize") + 2 + 10 + 4 + 2;
}
/* Shrink the cpu group so that it ends inside the numVCPUs tag's name. */
static void c_group_end_in_name(struct cb *b)
{
	size_t t = tag_at(b, "cpu:numVCPUs"), g = gdesc(G_CPU);
	cb_put_le(b, g + 72, t + 6 - (size_t)le_read(b, g + 64), 8);
}
static void c_group_end_in_head(struct cb *b)
{
	size_t t = tag_at(b, "cpu:numVCPUs"), g = gdesc(G_CPU);
	cb_put_le(b, g + 72, t + 1 - (size_t)le_read(b, g + 64), 8);
}
static void c_group_end_in_value(struct cb *b)
{
	size_t t = tag_at(b, "cpu:numVCPUs"), g = gdesc(G_CPU);
	cb_put_le(b, g + 72, t + 2 + 12 + 2 - (size_t)le_read(b, g + 64), 8);
}
static void c_group_end_in_indices(struct cb *b)
{
	size_t t = tag_at(b, "regionPPN"), g = gdesc(G_MEMORY);
	cb_put_le(b, g + 72, t + 2 + 9 + 3 - (size_t)le_read(b, g + 64), 8);
}
static void c_disk_size_huge(struct cb *b) { cb_put_le(b, tag_at(b, "cfgFile") + 9, UINT64_MAX, 8); }
static void c_pad_huge(struct cb *b) { cb_put_le(b, tag_at(b, "ProductName") + 13 + 16, 0xffff, 2); }
static void c_name_len_huge(struct cb *b) { b->buf[tag_at(b, "memSize") + 1] = 0xff; }
static void c_index_count(struct cb *b) { b->buf[tag_at(b, "cpu:numVCPUs")] |= 0xc0; }
static void c_size_code_block(struct cb *b) { b->buf[tag_at(b, "align_mask")] = 0x3f; }
static void c_name_nul(struct cb *b) { b->buf[tag_at(b, "EFER") + 3] = 0; }
static void c_no_numvcpus(struct cb *b) { b->buf[tag_at(b, "cpu:numVCPUs") + 13] = 'X'; }
static void c_numvcpus_huge(struct cb *b) { cb_put_le(b, tag_at(b, "cpu:numVCPUs") + 14, 0x7fffffff, 4); }
static void c_numvcpus_zero(struct cb *b) { cb_put_le(b, tag_at(b, "cpu:numVCPUs") + 14, 0, 4); }
static void c_no_cpu_group(struct cb *b) { b->buf[gdesc(G_CPU) + 2] = 'x'; }
static void c_regions_count_huge(struct cb *b) { cb_put_le(b, tag_at(b, "regionsCount") + 14, 0x7fffffff, 4); }
static void c_region_past_blob(struct cb *b) { cb_put_le(b, tag_at(b, "regionPageNum") + 2 + 13 + 4, 0x1000, 4); }
static void c_region_overlap(struct cb *b)
{
	/* region 0 [0, 8) pages moves to [0xfc, 0x104), over region 1 [0x100, 0x108) */
	cb_put_le(b, tag_at(b, "regionPPN") + 2 + 9 + 4, 0xfc, 4);
}
static void c_memsize_differs(struct cb *b) { cb_put_le(b, mem_head(b) + 16 + 8, 1, 8); }
static void c_memory_code62(struct cb *b) { b->buf[mem_head(b)] = (uint8_t)((b->buf[mem_head(b)] & 0xc0) | 62); }
static void c_platform_arm(struct cb *b) { cb_put_le(b, tag_at(b, "Platform") + 2 + 8, 3, 4); }
static void c_reg_not_int(struct cb *b)
{
	/* rax[0]: 8-byte value -> 9 bytes would shift the stream; make it 0 bytes + 8 junk tag bytes */
	size_t t = tag_at(b, "rax");
	b->buf[t] = (uint8_t)((b->buf[t] & 0xc0) | 0);	/* rax[0] now empty ... */
	b->buf[t + 9] = 0x06;				/* ... followed by a 6-byte tag with no name */
	b->buf[t + 10] = 0x00;
}
static void c_v0_as_v1(struct cb *b) { cb_put_le(b, 0, 0xbed2bed2, 4); }

static const struct corruption cases[] = {
	{ "truncated_in_header", c_trunc_header, "checkpoint header", 1 },
	{ "empty_file", c_empty, "checkpoint header", 1 },
	{ "bad_magic", c_bad_magic, "unknown checkpoint magic 0xdeadbeef", 1 },
	{ "byte_swapped_magic", c_magic_swapped, "0xd2bed2be", 1 },
	{ "huge_group_count", c_huge_groups, "group count 4294967295", 1 },
	{ "group_table_past_eof", c_groups_past_eof, "group table", 1 },
	{ "truncated_in_group_table", c_trunc_group_table, "group table", 1 },
	{ "group_offset_past_eof", c_group_off_past_eof, "group 'cpu' starts", 1 },
	{ "group_offset_in_table", c_group_off_in_table, "group 'Snapshot' starts", 1 },
	{ "group_size_huge", c_group_size_huge, "runs past end of file", 1 },
	{ "truncated_sized_group", c_trunc_data_sized, "group 'memory'", 1 },
	{ "truncated_in_tag_head", c_trunc_tag_head, "tag head runs past", 1 },
	{ "truncated_in_tag_name", c_trunc_tag_name, "tag name (6 bytes) runs past", 1 },
	{ "truncated_in_indices", c_trunc_indices, "indices run past", 1 },
	{ "truncated_in_block_sizes", c_trunc_block_sizes, "block sizes run past", 1 },
	{ "truncated_in_pad", c_trunc_pad, "block padding", 1 },
	{ "truncated_in_block_data", c_trunc_data, "block data", 1 },
	{ "truncated_in_inline_value", c_trunc_inline, "value (4 bytes) runs past", 1 },
	{ "group_end_in_tag_name", c_group_end_in_name, "tag name (12 bytes) runs past group end", 1 },
	{ "group_end_in_tag_head", c_group_end_in_head, "tag head runs past group end", 1 },
	{ "group_end_in_value", c_group_end_in_value, "cpu/cpu:numVCPUs: value (4 bytes)", 1 },
	{ "group_end_in_indices", c_group_end_in_indices, "1 index runs past group end", 1 },
	{ "block_disk_size_huge", c_disk_size_huge, "Snapshot/cfgFile: block data", 1 },
	{ "pad_len_huge", c_pad_huge, "block padding (65535 bytes)", 1 },
	{ "name_length_past_group", c_name_len_huge, "tag name (255 bytes)", 1 },
	{ "index_count_changed", c_index_count, "cpu group", 0 },
	{ "inline_tag_made_block", c_size_code_block, "runs past group end", 1 },
	{ "nul_in_tag_name", c_name_nul, "NUL", 1 },
	{ "missing_numvcpus", c_no_numvcpus, "cpu group: no cpu:numVCPUs tag", 0 },
	{ "numvcpus_huge", c_numvcpus_huge, "cpu:numVCPUs is 2147483647", 1 },
	{ "numvcpus_zero", c_numvcpus_zero, "cpu:numVCPUs is 0", 1 },
	{ "no_cpu_group", c_no_cpu_group, "no cpu group", 0 },
	{ "regions_count_huge", c_regions_count_huge, "regionsCount 2147483647", 1 },
	{ "region_page_past_blob", c_region_past_blob, "runs past the end", 1 },
	{ "regions_overlap", c_region_overlap, "overlap", 1 },
	{ "memory_memsize_differs", c_memsize_differs, "compressed checkpoint memory", 1 },
	{ "memory_size_code_62", c_memory_code62, "compressed checkpoint memory", 1 },
	{ "platform_arm64", c_platform_arm, "ARM64", 1 },
	{ "register_tag_not_integer", c_reg_not_int, "expected an integer", 1 },
	{ "v0_sizes_read_as_8_bytes", c_v0_as_v1, "runs past", 1 },
};

int main(void)
{
	struct unit u = { 0 };
	tmp_init();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct corruption *c = &cases[i];
		UNIT_BEGIN(&u, c->name);
		struct cb b;
		int v0 = c->apply == c_v0_as_v1;
		build_std(&b, v0 ? 0xbed2bed0 : 0xbed2bed2, 2, 1, 2, base_regions, 16, NULL);
		/* Sanity: the uncorrupted file opens. */
		const char *p = tmp_file("corrupt.vmss");
		struct machine m;
		cb_write(&b, p);
		machine_init(&m);
		struct ck_error *err = vmss_format.open(p, NULL, &m);
		CHECK(&u, err == NULL);
		ck_error_destroy(err);
		machine_deinit(&m);
		c->apply(&b);
		cb_write(&b, p);
		machine_init(&m);
		err = vmss_format.open(p, NULL, &m);
		machine_deinit(&m);
		CHECK(&u, err != NULL);
		if (err) {
			printf("# %s: %s\n", c->name, err->msg);
			CHECK(&u, err->kind == CK_ERR_INPUT);
			CHECK(&u, strncmp(err->msg, p, strlen(p)) == 0);
			CHECK(&u, strstr(err->msg, c->expect) != NULL);
			CHECK(&u, !c->at_offset || strstr(err->msg, ": offset 0x"));
		}
		ck_error_destroy(err);
		cb_free(&b);
		UNIT_END(&u);
	}
	tmp_cleanup();
	return UNIT_EXIT(&u);
}
