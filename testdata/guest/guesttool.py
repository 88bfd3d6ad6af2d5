#!/usr/bin/env python3
"""Helpers for testdata/guest.sh (python3 stdlib only).

  guesttool.py hmp SOCKET 'COMMAND'     run a human-monitor command over QMP, print its text
  guesttool.py qmp SOCKET NAME [JSON]   run a QMP command, print the JSON result
  guesttool.py modes REGS.txt           print 'CPU# CPL CS' per vCPU from 'info registers -a';
                                        exit 1 if any vCPU is not in kernel mode (CPL 0, CS RPL 0)
  guesttool.py layout ELF MTREE.txt     print ram.layout lines (PA LEN ram-N.raw) for the
                                        PT_LOADs of QEMU's ELF dump that are guest RAM
  guesttool.py verify ELF ram.layout    check that each ram file equals the ELF's bytes there
  guesttool.py truth serial.log         key=value ground truth from the console: lock and
                                        task addresses and pids printed by deadlock.ko,
                                        the D-state pids seen by /init, hung-task reports;
                                        and the module's DLTRUTH key=value pairs, soft-lockup
                                        reports and the panic (hang/panic shapes)
"""
import json, re, socket, struct, sys


def qmp_session(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    f = s.makefile("rw")

    def next_reply():
        while True:
            line = f.readline()
            if not line:
                return None             # socket closed (after quit)
            msg = json.loads(line)
            if "event" in msg:
                continue
            return msg

    def call(name, args=None):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        f.write(json.dumps(req) + "\n")
        f.flush()
        r = next_reply()
        if r is not None and "error" in r:
            raise SystemExit("QMP %s failed: %s" % (name, r["error"]))
        return None if r is None else r.get("return")

    if next_reply() is None:            # greeting
        raise SystemExit("QMP: no greeting")
    call("qmp_capabilities")
    return call


def cpu_modes(text):
    """[(cpu, cpl, cs_selector)] from 'info registers -a' output."""
    out = []
    for block in re.split(r"^CPU#", text, flags=re.M)[1:]:
        cpu = int(re.match(r"(\d+)", block).group(1))
        cpl = re.search(r"\bCPL=(\d)", block)
        cs = re.search(r"^CS\s*=([0-9a-fA-F]{4})", block, re.M)
        if not cpl or not cs:
            raise SystemExit("cannot parse registers of CPU %d" % cpu)
        out.append((cpu, int(cpl.group(1)), int(cs.group(1), 16)))
    return out


def elf_loads(path):
    with open(path, "rb") as f:
        eh = f.read(64)
        if eh[:4] != b"\x7fELF" or eh[4] != 2:
            raise SystemExit("%s: not an ELF64 file" % path)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        if phnum == 0xFFFF:             # PN_XNUM: real count in section header 0
            shoff, = struct.unpack_from("<Q", eh, 40)
            f.seek(shoff)
            phnum, = struct.unpack_from("<I", f.read(64), 44)
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    loads = []
    for i in range(phnum):
        p_type, _, p_off, _, p_paddr, p_filesz, _, _ = struct.unpack_from("<IIQQQQQQ", ph, i * phentsize)
        if p_type == 1 and p_filesz:
            loads.append((p_paddr, p_filesz, p_off))
    return sorted(loads)


def ram_ranges(mtree):
    """Flat-view ranges of the system address space backed by the guest RAM block."""
    out, in_memory = [], False
    for line in mtree.splitlines():
        if line.startswith("FlatView"):
            in_memory = False           # a new view; its AS lines follow
            continue
        if line.lstrip().startswith("AS "):
            in_memory = in_memory or line.lstrip().startswith('AS "memory"')
            continue
        m = re.match(r"\s*([0-9a-f]+)-([0-9a-f]+) \(prio [-0-9]+, ([a-z/]+)\): (\S+)", line)
        if in_memory and m and m.group(3) == "ram" and m.group(4) in ("pc.ram", "ram-below-4g", "ram-above-4g"):
            out.append((int(m.group(1), 16), int(m.group(2), 16) + 1))
    return out


def main():
    cmd = sys.argv[1]
    if cmd == "hmp":
        sys.stdout.write(qmp_session(sys.argv[2])("human-monitor-command",
                                                  {"command-line": sys.argv[3]}) or "")
    elif cmd == "qmp":
        args = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
        print(json.dumps(qmp_session(sys.argv[2])(sys.argv[3], args)))
    elif cmd == "modes":
        modes = cpu_modes(open(sys.argv[2]).read())
        bad = 0
        for cpu, cpl, cs in modes:
            print("CPU%d CPL=%d CS=%04x" % (cpu, cpl, cs))
            bad |= cpl != 0 or (cs & 3) != 0
        sys.exit(1 if bad or not modes else 0)
    elif cmd == "layout":
        ram = ram_ranges(open(sys.argv[3]).read())
        if not ram:
            raise SystemExit("no RAM ranges found in %s" % sys.argv[3])
        n = 0
        for pa, ln, _ in elf_loads(sys.argv[2]):
            if any(lo < pa + ln and pa < hi for lo, hi in ram):
                print("%#x %#x ram-%d.raw" % (pa, ln, n))
                n += 1
    elif cmd == "truth":
        text = open(sys.argv[2], errors="replace").read()
        for line in re.findall(r"deadlock: (lock_a=.*)", text):
            for name, val in re.findall(r"\b(lock_a|lock_b|dl_rwsem)=([0-9a-f]+)", line):
                print("%s=%s" % (name, val))
        for name, pid, task in re.findall(r"(dl_\w+) pid=(\d+) task=([0-9a-f]+)", text):
            print("%s_pid=%s\n%s_task=%s" % (name, pid, name, task))
        hung = re.findall(r"INFO: task (\S+):(\d+) blocked for more than", text)
        print("hung_task_reports=%s" % " ".join("%s:%s" % h for h in hung))
        m = re.search(r"ck: D-state pids: *(.*)", text)
        print("d_state_pids=%s" % (m.group(1).strip() if m else ""))
        # hang/panic shapes only (the plain shapes print none of these lines)
        for line in re.findall(r"DLTRUTH (.*)", text):
            for kv in line.split():
                if "=" in kv:
                    print(kv)
        lockups = re.findall(r"soft lockup - CPU#(\d+) stuck for \d+s! \[(.*):(\d+)\]", text)
        if lockups:
            print("soft_lockup_reports=%s" % " ".join("%s:%s:%s" % l for l in lockups))
        m = re.search(r"Kernel panic - not syncing: (.*)", text)
        if m:
            print("panic_msg=%s" % m.group(1).strip())
            bug = re.search(r"BUG: (.*)", text)
            print("panic_bug=%s" % (bug.group(1).strip() if bug else ""))
            # the Oops header: "CPU: 1 PID: 95 Comm: dl_oops ..." (6.12: "CPU: 1 UID: 0 PID: ...")
            who = re.search(r"CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: (\S+)", text)
            if who:
                print("panic_cpu=%s\npanic_pid=%s\npanic_comm=%s" % who.groups())
            rip = re.search(r"RIP: [0-9a-f]{4}:([A-Za-z0-9_.]+)\+(0x[0-9a-f]+)/(0x[0-9a-f]+)", text)
            if rip:
                print("panic_func=%s\npanic_rip=%s+%s/%s" % (rip.group(1), rip.group(1), rip.group(2), rip.group(3)))
    elif cmd == "verify":
        import os
        loads = elf_loads(sys.argv[2])
        base = os.path.dirname(os.path.abspath(sys.argv[3]))
        with open(sys.argv[2], "rb") as elf:
            for line in open(sys.argv[3]):
                pa, ln, name = line.split()
                pa, ln = int(pa, 16), int(ln, 16)
                seg = [l for l in loads if l[0] == pa and l[1] == ln]
                if not seg:
                    raise SystemExit("%s: no PT_LOAD at %#x+%#x" % (name, pa, ln))
                elf.seek(seg[0][2])
                with open(os.path.join(base, name), "rb") as raw:
                    done = 0
                    while done < ln:
                        n = min(1 << 24, ln - done)
                        if raw.read(n) != elf.read(n):
                            raise SystemExit("%s differs from the ELF near PA %#x" % (name, pa + done))
                        done += n
                print("verify: %s == ELF PT_LOAD %#x+%#x" % (name, pa, ln))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
