/*
 * fuzz_kallsyms.c - libFuzzer harness for the kallsyms decoder: the input is
 * guest memory mapped at 0xffffffff81000000 (everything else faults).  Its
 * first 32 bytes are eight little-endian u32 offsets into the input: names,
 * num_syms, token_table, token_index, offsets, relative_base, the `modules`
 * list head, and flags (bit 0: also scan for the tables).  The tables are
 * decoded, looked up, the module list is walked with a fixed made-up layout.
 * Any sanitizer report, leak or hang is a bug; errors are expected and freed.
 * Seed: fuzz/corpus/kallsyms/tables.bin (a 300-symbol table with a module,
 * written by fuzz/make_kallsyms_seed.py).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kallsyms.h"
#include "le.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint64_t BASE = 0xffffffff81000000ULL;

struct input {
	const uint8_t *data;
	size_t size;
};

static struct ck_error *rd(void *arg, uint64_t addr, void *buf, size_t len)
{
	const struct input *in = arg;
	if (addr < BASE || addr - BASE > in->size || len > in->size - (addr - BASE))
		return ck_error_create(CK_ERR_FAULT, "0x%llx not mapped", (unsigned long long)addr);
	memcpy(buf, in->data + (addr - BASE), len);
	return NULL;
}

static const struct kallsyms_module_layout LAYOUT = {
	.list = 16, .name = 40, .name_len = 24, .kallsyms = 72, .text_base = 88, .text_size = 100,
	.orc_unwind_ip = 104, .orc_unwind = 112, .num_orcs = 96,
	.ks_symtab = 8, .ks_num_symtab = 0, .ks_strtab = 16, .ks_typetab = 24,
};

static void exercise(struct kallsyms *ks, const struct ck_memory *mem, uint64_t head)
{
	struct kallsyms_warnings w = { 0 };
	struct ck_error *err = kallsyms_add_modules(ks, mem, head, &LAYOUT, &w);
	ck_error_destroy(err);
	kallsyms_warnings_free(&w);
	size_t n = kallsyms_count(ks);
	for (size_t i = 0; i < n && i < 64; i++) {
		struct ksym s, t;
		uint64_t a;
		kallsyms_symbol(ks, i, &s);
		if (!kallsyms_lookup(ks, s.start, &t) || t.start != s.start)
			abort();	/* every symbol's own address resolves to its alias run */
		if (!kallsyms_address(ks, s.name, &a))
			abort();
	}
	for (size_t i = 0; i < kallsyms_nmodules(ks); i++) {
		struct ksym s;
		kallsyms_lookup(ks, kallsyms_module(ks, i)->text_base, &s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 32)
		return 0;
	struct input in = { data, size };
	struct ck_memory mem = { rd, &in };
	uint64_t w[8];
	for (int i = 0; i < 8; i++)
		w[i] = BASE + le32(data + 4 * i);
	struct kallsyms_tables t = { .names = w[0], .num_syms = w[1], .token_table = w[2], .token_index = w[3],
				     .offsets = w[4], .relative_base = w[5] };
	struct kallsyms *ks = NULL;
	struct ck_error *err = kallsyms_load_tables(&mem, &t, &ks);
	if (!err)
		exercise(ks, &mem, w[6]);
	ck_error_destroy(err);
	kallsyms_destroy(ks);
	if (w[7] & 1) {
		struct kallsyms_tables s;
		err = kallsyms_scan(&mem, BASE, size, &s);
		ck_error_destroy(err);
	}
	return 0;
}
