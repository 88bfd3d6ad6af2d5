"""Panic/Oops verdict (coresummary's "crash" object and "panic" finding on a
kernel image), checked against what the guest printed: the module's DLTRUTH
lines (info: oops_*/panic_*) and the kernel's own Oops on the serial console
(the RIP line, the Code: bytes, the register dump, the Call Trace).

Panic guests: the crashing task is the pid that panicked, the reason is the
NULL dereference at the printed address, pc is panic_rip (function, offset,
module), the disassembly marks it with the kernel's <..> bytes, the registers
equal the kernel's dump, and the "panic" finding's signature is panic_func
followed by the kernel's Call Trace - so the same in every form and with or
without DWARF.  A form that lost the task (a filtered kdump) must say so in
a warning and still give the finding from the log, with no crash object.
Hang guests: no crash, no "panic" finding."""
import os
import re


def kernel_oops(serial):
    """The first Oops block of serial.log: {rip_func, rip_off, rip_mod, code_pc, regs, trace}."""
    out = {"regs": {}, "trace": []}
    lines = open(serial, errors="replace").read().splitlines()
    start = next((i for i, l in enumerate(lines) if re.search(r"\] (Oops: |BUG: kernel NULL)", l)), None)
    if start is None:
        return None
    in_trace = False
    for l in lines[start:]:
        body = re.sub(r"^\[\s*[\d.]+\]\s?", "", l)
        m = re.match(r"RIP: [0-9a-f]{4}:(\S+?)\+0x([0-9a-f]+)/0x[0-9a-f]+(?: \[(\S+)\])?", body)
        if m and "rip_func" not in out:
            out["rip_func"], out["rip_off"], out["rip_mod"] = m.group(1), int(m.group(2), 16), m.group(3)
        m = re.match(r"Code: .*<([0-9a-f]{2})> ((?:[0-9a-f]{2} ?)*)", body)
        if m and "code_pc" not in out:
            out["code_pc"] = (m.group(1) + m.group(2).replace(" ", ""))
        for name, val in re.findall(r"\b(R[A-Z0-9]{2}|EFLAGS|CR2): (?:[0-9a-f]{4}:)?([0-9a-f]{8,16})\b", body):
            out["regs"].setdefault(name, int(val, 16))
        if body.startswith("Call Trace:"):
            in_trace = True
            continue
        if in_trace:
            if body.strip() in ("</TASK>",) or not body.startswith(" "):
                break
            m = re.match(r"\s+(\S+?)\+0x", body)
            if m and not body.strip().startswith("?"):
                out["trace"].append(m.group(1))
    return out


REGS = {"RAX": "rax", "RBX": "rbx", "RCX": "rcx", "RDX": "rdx", "RSI": "rsi", "RDI": "rdi",
        "RBP": "rbp", "RSP": "rsp", "R08": "r8", "R09": "r9", "R10": "r10", "R11": "r11",
        "R12": "r12", "R13": "r13", "R14": "r14", "R15": "r15", "EFLAGS": "rflags", "CR2": "cr2"}


def fnv_signature(kind, frames):
    """an_signature.c's hash: FNV-1a 64 over the kind and the frames joined by '|'."""
    h = 1469598103934665603
    for ch in (kind + "".join("|" + f for f in frames)).encode():
        h = ((h ^ ch) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def check(v):
    r = v.report
    panics = [f for f in r["findings"] if f["kind"] == "panic"]
    if v.shape != "panic":
        v.ok("panic-none-crash", r["crash"] is None, "crash on a guest that did not panic: %s" % r["crash"])
        v.ok("panic-none-finding", not panics, "panic finding on a guest that did not panic: %s" % panics)
        return
    info = v.info
    pid = int(info["panic_pid"])
    c = r["crash"]
    if pid not in v.by_pid:
        # The dump lost the task (makedumpfile 1.7.2 -d 31 drops pages of 6.12's task list):
        # no crash object then, but still the verdict from the log, and a warning saying why.
        v.ok("panic-task-missing-warned", any("task_struct" in w for w in r.get("warnings") or []),
             "panic pid %d not in the report and no warning about unreadable tasks" % pid)
        v.ok("panic-task-missing-no-crash", c is None, "crash object without the task: %s" % c)
        v.ok("panic-task-missing-finding", len(panics) == 1 and not panics[0]["tids"]
             and "CPU %s: kernel NULL pointer dereference" % info["panic_cpu"] in panics[0]["summary"]
             and "pid %d (task not found)" % pid in panics[0]["summary"], "panic findings %s" % panics)
        return
    if not v.ok("panic-crash-present", c is not None, "no crash object"):
        return
    v.ok("panic-crash-tid", c["tid"] == pid == int(info["oops_pid"]),
         "crash tid %s, panic_pid %s, oops_pid %s" % (c["tid"], pid, info["oops_pid"]))
    th = r["threads"][c["thread_index"]]
    v.ok("panic-crash-cpu", th.get("cpu") == int(info["panic_cpu"]) == int(info["oops_cpu"]),
         "task cpu %s, panic_cpu %s" % (th.get("cpu"), info["panic_cpu"]))
    v.ok("panic-kernel-cpu", (r["kernel"].get("panic") or {}).get("cpu") == int(info["panic_cpu"]),
         "kernel.panic %s" % r["kernel"].get("panic"))
    addr = int(info["panic_bug"].rsplit("address:", 1)[1], 16)
    v.ok("panic-reason", "NULL pointer dereference" in c["reason"] and "address 0x%x" % addr in c["reason"]
         and c["kind"] == "null-deref" and addr == int(info["oops_addr"], 16),
         "kind %s reason %r, kernel said %r" % (c["kind"], c["reason"], info["panic_bug"]))

    oops = kernel_oops(os.path.join(v.guest_dir, "serial.log"))
    if not v.ok("panic-serial-oops", oops and "rip_func" in oops, "no Oops in serial.log"):
        return
    pc = int(c["pc"], 16)
    frame = next((f for f in th["frames"] if int(f["pc"], 16) == pc), None)
    fn, off = info["panic_rip"].split("+")
    want_off = int(off.split("/")[0], 16)
    v.ok("panic-pc-function", frame is not None and v.norm(frame["function"]) == info["panic_func"] == fn
         and int(frame["function_offset"], 16) == want_off == oops["rip_off"],
         "pc %s frame %s, panic_rip %s" % (c["pc"], frame and (frame["function"], frame["function_offset"]),
                                          info["panic_rip"]))
    v.ok("panic-pc-module", frame is not None and frame["module"] == oops["rip_mod"]
         and "[%s]" % oops["rip_mod"] in c["reason"],
         "frame module %s, reason %r, kernel printed [%s]" % (frame and frame["module"], c["reason"], oops["rip_mod"]))
    at = [d for d in c["disassembly"] if d["is_pc"]]
    v.ok("panic-disasm-pc", len(at) == 1 and int(at[0]["address"], 16) == pc and len(c["disassembly"]) > 1
         and oops.get("code_pc", "").startswith(at[0]["bytes"]) and c["instruction"] == at[0]["text"],
         "window %s, kernel Code: <..> %s" % (at, oops.get("code_pc")))
    regs = {k: int(x, 16) for k, x in c["registers"].items()}
    v.ok("panic-regs-rip", regs.get("rip") == pc, "rip %s, pc %s" % (c["registers"].get("rip"), c["pc"]))
    bad = [(k, hex(regs.get(n, -1)), hex(val)) for k, val in oops["regs"].items()
           for n in [REGS.get(k)] if n and regs.get(n) != val]
    v.ok("panic-regs-kernel-dump", len(oops["regs"]) >= 17 and not bad and regs.get("cs") == 0x10,
         "registers differ from the kernel's Oops dump (name, ours, kernel's): %s" % bad)

    if not v.ok("panic-finding", len(panics) == 1 and panics[0]["tids"][:1] == [pid],
                "panic findings %s" % panics):
        return
    f = panics[0]
    v.ok("panic-finding-summary", "CPU %s" % info["panic_cpu"] in f["summary"] and info["panic_msg"] in f["summary"]
         and "pid %d" % pid in f["summary"], "summary %r" % f["summary"])
    s = f["signature"] or {}
    want = [info["panic_func"]] + [v.norm(x) for x in oops["trace"]][:4]
    v.ok("panic-signature", re.fullmatch(r"[0-9a-f]{16}", s.get("hash") or "") and s.get("frames") == want
         and s.get("kind") == "panic", "signature %s, want frames %s (panic_func + the kernel's Call Trace)" % (s, want))
    # the hash is a function of the frames, which are the kernel's: equal in every form and mode
    v.ok("panic-signature-hash", s.get("hash") == fnv_signature("panic", want),
         "hash %s, FNV-1a of the frames %s" % (s.get("hash"), fnv_signature("panic", want)))
    v.ok("panic-report-signature", r["signature"] == s, "report signature %s, finding's %s" % (r["signature"], s))
