/*
 * kpanic_reason.c - classify a kernel Oops/BUG/panic (kpanic_reason.h).
 */
#include "kpanic_reason.h"

#include <stdio.h>
#include <string.h>

/* Hex number at s (optional 0x), at most 16 digits; false if none. */
static bool hex_at(const char *s, uint64_t *v)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	uint64_t x = 0;
	int n = 0;
	for (; n < 16; n++, s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
			: *s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;
		if (d < 0)
			break;
		x = x << 4 | (uint64_t)d;
	}
	*v = x;
	return n > 0;
}

/* The number after the first `key` in s. */
static bool addr_after(const char *s, const char *key, uint64_t *v)
{
	const char *p = strstr(s, key);
	return p && hex_at(p + strlen(key), v);
}

/* s up to the first of `stops` (or its end), at most max bytes, as "%.*s" length. */
static int until(const char *s, const char *stops, int max)
{
	size_t n = strcspn(s, stops);
	return n < (size_t)max ? (int)n : max;
}

static void set(struct kpanic_reason *out, const char *kind, const char *fmt_text)
{
	out->kind = kind;
	snprintf(out->text, sizeof(out->text), "%s", fmt_text);
}

static bool from_log(const char *s, struct kpanic_reason *o)
{
	const char *p;
	if (strstr(s, "kernel NULL pointer dereference")) {
		o->has_addr = addr_after(s, "address: ", &o->addr);
		o->kind = "null-deref";
		if (o->has_addr)
			snprintf(o->text, sizeof(o->text), "kernel NULL pointer dereference, address 0x%llx",
				 (unsigned long long)o->addr);
		else
			set(o, "null-deref", "kernel NULL pointer dereference");
	} else if ((p = strstr(s, "kernel BUG at "))) {
		p += strlen("kernel BUG at ");
		o->kind = "bug";
		snprintf(o->text, sizeof(o->text), "kernel BUG at %.*s", until(p, "!;", 160), p);
	} else if (strstr(s, "stack guard page was hit")) {
		o->has_addr = addr_after(s, "was hit at ", &o->addr);
		set(o, "stack-overflow", "kernel stack overflow (stack guard page hit)");
	} else if (strstr(s, "unable to handle page fault") || strstr(s, "unable to handle kernel paging request")) {
		o->has_addr = addr_after(s, "address: ", &o->addr) || addr_after(s, "request at ", &o->addr);
		o->kind = "invalid-access";
		if (o->has_addr)
			snprintf(o->text, sizeof(o->text), "unable to handle page fault for address 0x%llx",
				 (unsigned long long)o->addr);
		else
			set(o, "invalid-access", "unable to handle page fault");
	} else if (strstr(s, "general protection fault")) {
		o->has_addr = addr_after(s, "non-canonical address ", &o->addr);
		o->kind = "general-protection";
		if (o->has_addr)
			snprintf(o->text, sizeof(o->text),
				 "general protection fault, probably for non-canonical address 0x%llx",
				 (unsigned long long)o->addr);
		else
			set(o, "general-protection", "general protection fault");
	} else if (strstr(s, "invalid opcode")) {
		set(o, "illegal-instruction", "invalid opcode");
	} else if (strstr(s, "divide error")) {
		set(o, "arithmetic", "divide error");
	} else if ((p = strstr(s, "BUG: "))) {
		o->kind = "bug";
		snprintf(o->text, sizeof(o->text), "%.*s", until(p, ";", 190), p);
	} else if ((p = strstr(s, "Oops"))) {
		o->kind = "oops";
		snprintf(o->text, sizeof(o->text), "%.*s", until(p, ";", 190), p);
	} else {
		return false;
	}
	return true;
}

static const struct {
	const char *entry, *kind, *text;
} entries[] = {
	{ "asm_exc_page_fault", "invalid-access", "page fault" },
	{ "asm_exc_general_protection", "general-protection", "general protection fault" },
	{ "asm_exc_invalid_op", "illegal-instruction", "invalid opcode" },
	{ "asm_exc_divide_error", "arithmetic", "divide error" },
	{ "asm_exc_int3", "breakpoint", "breakpoint (int3)" },
	{ "asm_exc_double_fault", "double-fault", "double fault" },
	{ "asm_exc_nmi", "nmi", "NMI" },
};

void kpanic_classify(const char *oops, const char *entry, const char *panic, struct kpanic_reason *out)
{
	*out = (struct kpanic_reason){ 0 };
	if (oops && from_log(oops, out))
		return;
	if (entry && strncmp(entry, "asm_exc_", 8) == 0) {
		for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
			if (strcmp(entry, entries[i].entry) == 0) {
				set(out, entries[i].kind, entries[i].text);
				return;
			}
		out->kind = "exception";
		snprintf(out->text, sizeof(out->text), "exception %.*s", until(entry + 8, "", 64), entry + 8);
		return;
	}
	out->kind = "panic";
	if (panic)
		snprintf(out->text, sizeof(out->text), "kernel panic: %.*s", until(panic, "\n", 180), panic);
	else
		set(out, "panic", "kernel panic");
}

bool kpanic_event_is_oops(const char *kind, const char *summary)
{
	if (!kind)
		return false;
	if (strcmp(kind, "oops") == 0)
		return true;
	return strcmp(kind, "bug") == 0 && summary && strstr(summary, "kernel BUG at ") != NULL;
}
