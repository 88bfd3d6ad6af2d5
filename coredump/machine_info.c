/* machine_info.c - human-readable description of a struct machine. */
#include "machine_info.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void meta_line(FILE *out, const char *key, const char *val)
{
	if (val)
		fprintf(out, "  %-14s %s\n", key, val);
}

static void print_regs(FILE *out, size_t cpu, const struct x86_regs *r)
{
	static const char *const gpr[X86_NGPR] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp",
		"rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
	fprintf(out, "vCPU %zu:\n", cpu);
	for (int i = 0; i < X86_NGPR; i++)
		fprintf(out, "  %-4s %016" PRIx64 "%s", gpr[i], r->gpr[i], i % 4 == 3 ? "\n" : "  ");
	fprintf(out, "  rip  %016" PRIx64 "  rflags %08" PRIx64 "  cpl %d\n", r->rip, r->rflags,
		r->sel[X86_CS] & 3);
	fprintf(out, "  cr0  %016" PRIx64 "  cr2 %016" PRIx64 "  cr3 %016" PRIx64 "  cr4 %016" PRIx64 "\n",
		r->cr[0], r->cr[2], r->cr[3], r->cr[4]);
	fprintf(out, "  idtr %016" PRIx64 "/%x  gdtr %016" PRIx64 "/%x  efer %" PRIx64 "\n",
		r->idtr_base, r->idtr_limit, r->gdtr_base, r->gdtr_limit, r->efer);
	fprintf(out, "  cs %04x ss %04x ds %04x es %04x fs %04x gs %04x  fs.base %016" PRIx64
		"  gs.base %016" PRIx64 "\n", r->sel[X86_CS], r->sel[X86_SS], r->sel[X86_DS],
		r->sel[X86_ES], r->sel[X86_FS], r->sel[X86_GS], r->seg_base[X86_FS], r->seg_base[X86_GS]);
	char *missing = x86_regs_missing(r);
	fprintf(out, "  missing: %s\n", missing && *missing ? missing : "none");
	free(missing);
}

void machine_info_print(FILE *out, const struct machine *m, const struct machine_format *fmt,
			const struct linux_kernel *k)
{
	const struct machine_meta *mm = &m->meta;
	fprintf(out, "Input:\n");
	meta_line(out, "format", mm->source_format ? mm->source_format : fmt ? fmt->name : NULL);
	meta_line(out, "product", mm->product);
	meta_line(out, "version", mm->version);
	meta_line(out, "vm name", mm->vm_name);
	meta_line(out, "guest OS", mm->guest_os);
	if (mm->ram_bytes)
		fprintf(out, "  %-14s %" PRIu64 " MiB\n", "declared RAM", mm->ram_bytes >> 20);
	fprintf(out, "  %-14s %zu\n", "vCPUs", m->ncpus);
	fprintf(out, "Memory: %zu runs, %" PRIu64 " MiB\n", m->nruns, machine_ram_bytes(m) >> 20);
	for (size_t i = 0; i < m->nruns; i++) {
		const struct mem_run *r = &m->runs[i];
		if (r->kind == MEM_RUN_FILE)
			fprintf(out, "  PA %016" PRIx64 "-%016" PRIx64 "  %s @ 0x%llx\n", r->pa,
				r->pa + r->len, m->files[r->file].path, (unsigned long long)r->off);
		else if (r->kind == MEM_RUN_BACKEND && (size_t)r->file < m->nbackends)
			fprintf(out, "  PA %016" PRIx64 "-%016" PRIx64 "  %s pages\n", r->pa, r->pa + r->len,
				m->backends[r->file].ops->name);
		else
			fprintf(out, "  PA %016" PRIx64 "-%016" PRIx64 "  zero\n", r->pa, r->pa + r->len);
	}
	for (size_t i = 0; i < m->ncpus; i++)
		print_regs(out, i, &m->cpus[i]);
	fprintf(out, "Guest kernel:\n");
	if (!m->nruns) {
		fprintf(out, "  unknown (no guest memory to look in)\n");
		return;
	}
	if (!k || !k->found) {
		fprintf(out, "  no Linux kernel found (no valid VMCOREINFO in RAM)\n");
		return;
	}
	fprintf(out, "  %-14s Linux %s\n", "kernel", k->osrelease);
	meta_line(out, "banner", mm->kernel_banner);
	fprintf(out, "  %-14s 0x%" PRIx64 "\n", "VMCOREINFO PA", k->vmcoreinfo_pa);
	fprintf(out, "  %-14s 0x%" PRIx64 "\n", "KASLR offset", k->kernel_offset);
	/* Signed: negative under KASLR when the kernel sits below its link address. */
	fprintf(out, "  %-14s %s0x%" PRIx64 "\n", "phys_base", k->phys_base < 0 ? "-" : "",
		k->phys_base < 0 ? -(uint64_t)k->phys_base : (uint64_t)k->phys_base);
	if (k->page_offset_base)
		fprintf(out, "  %-14s 0x%" PRIx64 "\n", "direct map", k->page_offset_base);
	else
		fprintf(out, "  %-14s unknown\n", "direct map");
}
