/*
 * disasm.c - capstone window around a PC (disasm.h).
 */
#include "disasm.h"

#include <capstone/capstone.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dynlib.h"

enum {
	MAX_FUNC_BYTES = 16384,		/* disassemble from the function start if this close */
};

/* capstone is loaded only for a window (dynlib.h); its SONAME follows the
 * API major version of the headers this is built with. */
#define CS_STR(x) #x
#define CS_SONAME(major) "libcapstone.so." CS_STR(major)

struct cs_fns {
	__typeof__(cs_open) *open;
	__typeof__(cs_disasm) *disasm;
	__typeof__(cs_free) *free;
	__typeof__(cs_close) *close;
};

static const struct dynlib_fn cs_fn_names[] = {
	{ "cs_open", offsetof(struct cs_fns, open) },
	{ "cs_disasm", offsetof(struct cs_fns, disasm) },
	{ "cs_free", offsetof(struct cs_fns, free) },
	{ "cs_close", offsetof(struct cs_fns, close) },
};

static struct ck_error *add_insn(struct rpt_crash *c, const cs_insn *in, uint64_t pc)
{
	struct rpt_insn *ri = &c->disasm[c->ndisasm];
	ri->addr = in->address;
	ri->is_pc = in->address == pc;
	ri->bytes = malloc((size_t)in->size * 2 + 1);
	if (!ri->bytes)
		return &ck_enomem;
	for (size_t i = 0; i < in->size; i++)
		sprintf(ri->bytes + 2 * i, "%02x", in->bytes[i]);
	if (asprintf(&ri->text, "%s%s%s", in->mnemonic, in->op_str[0] ? " " : "", in->op_str) < 0) {
		ri->text = NULL;
		return &ck_enomem;
	}
	c->ndisasm++;
	if (ri->is_pc && !(c->instruction = strdup(ri->text)))
		return &ck_enomem;
	return NULL;
}

/* Disassemble from `start`; keep `before` instructions before pc and `after`
 * after it.  Returns false when linear decoding from start does not land on pc. */
static struct ck_error *disasm_from(const struct cs_fns *fn, csh cs, const unsigned char *code, size_t len, uint64_t start,
				    uint64_t pc, int before, int after, struct rpt_crash *c, bool *hit)
{
	cs_insn *insn = NULL;
	size_t cnt = fn->disasm(cs, code, len, start, 0, &insn);
	size_t at = cnt;
	*hit = false;
	for (size_t i = 0; i < cnt; i++)
		if (insn[i].address == pc) {
			at = i;
			break;
		}
	if (at == cnt) {
		fn->free(insn, cnt);
		return NULL;
	}
	*hit = true;
	size_t lo = at > (size_t)before ? at - (size_t)before : 0;
	size_t hi = at + (size_t)after + 1 < cnt ? at + (size_t)after + 1 : cnt;
	c->disasm = calloc(hi - lo, sizeof(*c->disasm));
	struct ck_error *err = c->disasm ? NULL : &ck_enomem;
	for (size_t i = lo; i < hi && !err; i++)
		err = add_insn(c, &insn[i], pc);
	fn->free(insn, cnt);
	return err;
}

struct ck_error *disasm_window(struct target *t, uint64_t pc, uint64_t fstart,
			       const struct analyzer_options *opt, struct rpt_crash *c)
{
	int before = opt && opt->disasm_before ? opt->disasm_before : 8;
	int after = opt && opt->disasm_after ? opt->disasm_after : 4;
	struct cs_fns fn;
	void *lib;
	struct ck_error *lerr = dynlib_open(CS_SONAME(CS_API_MAJOR), "disassembly", cs_fn_names,
					    sizeof(cs_fn_names) / sizeof(cs_fn_names[0]), &fn, &lib);
	csh cs;
	if (lerr || fn.open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		ck_error_destroy(lerr);
		dynlib_close(lib);
		return NULL;	/* no disassembler: the report just lacks the window */
	}
	size_t tail = 16 * (size_t)(after + 1);
	struct ck_error *err = NULL;
	bool hit = false;
	unsigned char *code = NULL;
	if (fstart && pc - fstart <= MAX_FUNC_BYTES) {
		size_t len = (size_t)(pc - fstart) + tail;
		code = malloc(len);
		if (!code) {
			fn.close(&cs);
			dynlib_close(lib);
			return &ck_enomem;
		}
		/* the tail may run off the mapped text: shrink until readable */
		while (len > pc - fstart) {
			struct ck_error *e = t->ops->read(t, fstart, code, len);
			if (!e)
				break;
			ck_error_destroy(e);
			len -= 16;
		}
		if (len > pc - fstart)
			err = disasm_from(&fn, cs, code, len, fstart, pc, before, after, c, &hit);
		free(code);
		code = NULL;
	}
	/* No usable function start: resynchronise from a few bytes back. */
	for (uint64_t back = 48; !err && !hit && back > 0; back--) {
		size_t len = (size_t)back + tail;
		unsigned char buf[48 + 16 * 64];
		if (len > sizeof(buf) || pc < back)
			continue;
		/* the tail may run off the mapped code: shrink it */
		struct ck_error *e;
		while ((e = t->ops->read(t, pc - back, buf, len)) && len > back + 16) {
			ck_error_destroy(e);
			len -= 8;
		}
		if (e) {
			ck_error_destroy(e);
			continue;
		}
		err = disasm_from(&fn, cs, buf, len, pc - back, pc, before, after, c, &hit);
	}
	fn.close(&cs);
	dynlib_close(lib);
	return err;
}
