#!/usr/bin/env python3
"""Comparisons of tests/integration/kernel_image.sh: coresummary --json of a
Linux guest image against crash (ps, bt -a, bt PID, foreach bt), drgn
(kimage_drgn.py), the guest's info and serial log.  Each subcommand prints
"ok NAME" or "FAIL NAME: why" lines (plus "# ..." notes) and exits 1 on a FAIL.
  tasks OURS CRASH            every task of crash's ps, both ways: pid, task, comm, state, on-CPU
  dtasks OURS DRGN            every task of drgn, both ways: pid, task, comm, state
  stacks OURS DRGN            every task's functions vs drgn's non-inline named frames
  lastran OURS CRASH          last_ran_s_ago vs crash's ps -m
  crashbt OURS CRASH NCPU PID...  the PIDs' full stacks (modules too) vs crash's bt PID
  cpus OURS CRASH|DRGN NCPU   the task on each CPU vs crash's bt -a (or drgn's run queues)
  uservcpu OURS REGS          each user-mode vCPU (regs.txt CPL=3): its task's frame 0 is that RIP
  kernel OURS RELEASE BUILDID NCPU   the kernel's release, build ID (of the vmlinux), vCPU count
  events OURS INFO            the hung-task events vs hung_task_reports
  dmesg SERIAL DMESG          every "[ seconds]" serial line appears in the --dmesg output, in order
  same NAME A B               two reports give the same tasks, states, functions, cpus
  partial NAME OURS FULL [TASK]  a report of a corrupted image: warnings, a partial, true task list
                              (TASK, the corrupted one: fewer tasks, but all up to TASK)"""
import json
import re
import sys

FAILS = 0
CRASH_STATE = {"RU": "R", "IN": "S", "UN": "D", "ID": "I", "ST": "T", "TR": "t",
               "ZO": "Z", "DE": "X", "PA": "P"}


def ok(name):
    print("ok " + name)


def fail(name, why):
    global FAILS
    FAILS += 1
    print("FAIL %s: %s" % (name, why))


def check(name, good, why):
    ok(name) if good else fail(name, why)


def norm(fn):
    while True:
        n = re.sub(r"\.(constprop|isra|part|llvm)\.\d+$|\.cold$", "", fn)
        if n == fn:
            return n
        fn = n


def load(path):
    with open(path) as f:
        return json.load(f)


def funcs(t, modules=True):
    return [norm(f["function"] or "?") for f in t["frames"] if modules or f["module"] == "vmlinux"]


def crash_ps(path):
    """task address -> (pid, comm, state letter, running)"""
    ps = {}
    rx = re.compile(r"^(>?)\s+(\d+)\s+\d+\s+(\d+|-)\s+([0-9a-f]{16})\s+([A-Z]{2})\s+\S+\s+\d+\s+\d+\s+(.*)$")
    with open(path, errors="replace") as f:
        for line in f:
            m = rx.match(line.rstrip("\n"))
            if m:
                comm = m.group(6)
                if comm.startswith("[") and comm.endswith("]"):
                    comm = comm[1:-1]
                ps[int(m.group(4), 16)] = (int(m.group(2)), comm, m.group(5), m.group(1) == ">")
    return ps


def crash_bts(path):
    """the bt sections in order: (pid, task, cpu, [functions], [modules])"""
    out = []
    hdr = re.compile(r'^PID: (\d+)\s+TASK: ([0-9a-f]+)\s+CPU: (\d+)\s+COMMAND: "(.*)"')
    frame = re.compile(r"^ ?#\d+ \[[0-9a-f]+\] (\S+) at [0-9a-f]+(?: \[(\S+)\])?")
    exc = re.compile(r"^\s+\[exception RIP: ([^+\]]+)")
    with open(path, errors="replace") as f:
        for line in f:
            m = hdr.match(line)
            if m:
                out.append((int(m.group(1)), int(m.group(2), 16), int(m.group(3)), [], []))
                continue
            if not out:
                continue
            m = frame.match(line) or exc.match(line)
            if m:
                out[-1][3].append(norm(m.group(1)))
                out[-1][4].append(m.group(2) if m.re is frame and m.group(2) else "vmlinux")
    return out


def drgn_out(path):
    tasks, cpus, mods = {}, {}, {}
    with open(path) as f:
        for line in f:
            w = line.rstrip("\n").split(" ", 4)
            if w[0] == "module":
                mods[w[1]] = (int(w[2], 16), int(w[3]))
            elif w[0] == "cpu":
                cpus[int(w[1])] = (int(w[2]), int(w[3], 16))
            elif w[0] == "task":
                comm, _, fl = w[4].rpartition("|")
                fr = [x.rpartition("@") if "@" in x else (x, "", "") for x in fl.split() if not x.startswith("~")]
                tasks[int(w[2], 16)] = (int(w[1]), comm, [norm(x[0]) for x in fr], w[3],
                                        [int(x[2], 16) if x[2] else None for x in fr])
    return tasks, cpus, mods


def by_task(r):
    return {int(t["task"], 16): t for t in r["threads"]}


def cmd_tasks(ours, crash):
    r, ps = by_task(load(ours)), crash_ps(crash)
    if len(ps) < 10:
        fail("crash_ps", "crash's ps gave %d tasks" % len(ps))
        return
    missing = sorted("%d:%s@%x" % (v[0], v[1], a) for a, v in ps.items() if a not in r)
    extra = sorted("%d:%s@%x" % (t["tid"], t["name"], a) for a, t in r.items() if a not in ps)
    check("tasks_equal_crash_ps", not missing and not extra,
          "missing %s, extra %s" % (missing[:8], extra[:8]))
    bad = []
    for a, (pid, comm, st, running) in sorted(ps.items(), key=lambda x: x[1][0]):
        t = r.get(a)
        if not t:
            continue
        want = (pid, comm, CRASH_STATE.get(st, "?" + st), running)
        got = (t["tid"], t["name"], t["sched_state"], bool(t["on_cpu"]))
        if want != got:
            bad.append("%x crash %s ours %s" % (a, want, got))
    check("tasks_pid_comm_state_oncpu_equal_crash_ps(%d)" % len(ps), not bad, "; ".join(bad[:6]))
    k = load(ours)["kernel"]
    states = {}
    for _pid, _comm, st, _run in ps.values():
        states[CRASH_STATE.get(st, st)] = states.get(CRASH_STATE.get(st, st), 0) + 1
    check("kernel_task_count_states_equal_crash_ps(%s)" % states,
          k["task_count"] == len(ps) and k["task_states"] == states,
          "ours %d %s" % (k["task_count"], k["task_states"]))


def cmd_dtasks(ours, drgn):
    r, (tasks, _, _) = by_task(load(ours)), drgn_out(drgn)
    missing = sorted("%d:%s@%x" % (v[0], v[1], a) for a, v in tasks.items() if a not in r)
    extra = sorted("%d:%s@%x" % (t["tid"], t["name"], a) for a, t in r.items() if a not in tasks)
    bad = ["%x drgn %s ours %s" % (a, (v[0], v[1], v[3]), (r[a]["tid"], r[a]["name"], r[a]["sched_state"]))
           for a, v in tasks.items() if a in r and (v[0], v[1], v[3]) != (r[a]["tid"], r[a]["name"], r[a]["sched_state"])]
    check("tasks_pid_comm_state_equal_drgn(%d)" % len(tasks), len(tasks) > 10 and not missing and not extra and not bad,
          "missing %s, extra %s, differ %s" % (missing[:8], extra[:8], bad[:6]))
    states = {}
    for v in tasks.values():
        states[v[3]] = states.get(v[3], 0) + 1
    k = load(ours)["kernel"]
    check("kernel_task_count_states_equal_drgn(%s)" % states, k["task_count"] == len(tasks) and k["task_states"] == states,
          "ours %d %s" % (k["task_count"], k["task_states"]))


def cmd_stacks(ours, drgn):
    r = by_task(load(ours))
    tasks, _, mods = drgn_out(drgn)
    bad, badpc, badmod, compared, frames = [], [], [], 0, 0

    def module_of(pc):
        for name, (base, size) in mods.items():
            if base <= pc < base + size:
                return name
        return "vmlinux" if pc >= 1 << 63 else None
    for t in r.values():
        for f in t["frames"]:
            pc = int(f["pc"], 16)
            if module_of(pc) != f["module"] and pc >= 1 << 63:
                badmod.append("%d %s: %x in %s, ours %s" % (t["tid"], t["name"], pc, module_of(pc), f["module"]))
    for a, (pid, comm, want, _st, pcs) in sorted(tasks.items(), key=lambda x: x[1][0]):
        t = r.get(a)
        if t is None:
            bad.append("%d %s: not in our report" % (pid, comm))
            continue
        got = funcs(t)
        if not want and user_mode(t):
            continue        # in user mode on its vCPU: no kernel stack (checked by uservcpu)
        compared += 1
        frames += len(want)
        if not want or got[:len(want)] != want:
            bad.append("%d %s @%x: drgn %s ours %s" % (pid, comm, a, want, got))
        elif [int(f["pc"], 16) for f in t["frames"][:len(pcs)]] != pcs:
            badpc.append("%d %s: drgn %s ours %s" % (pid, comm, [hex(p) for p in pcs], [f["pc"] for f in t["frames"]]))
    missing = [("%d %s" % (t["tid"], t["name"])) for a, t in r.items() if a not in tasks]
    check("stacks_equal_drgn(%d tasks, %d frames)" % (compared, frames), not bad and not missing and compared > 10,
          "; ".join(bad[:5]) + (" not in drgn: %s" % missing if missing else ""))
    check("stack_pcs_equal_drgn", compared > 10 and not badpc, "; ".join(badpc[:3]))
    check("frame_modules_equal_drgn_module_layouts(%s)" % " ".join(sorted(mods)), mods and not badmod,
          "; ".join(badmod[:5]))


def cmd_lastran(ours, crash):
    """crash's ps -m: the time since each task last arrived on a CPU (rq clock -
    sched_info.last_arrival, in ms); a task on a CPU now ran 0 s ago for us."""
    r = by_task(load(ours))
    rx = re.compile(r"^\[(\d+) (\d\d):(\d\d):(\d\d)\.(\d{3})\] \[(\w\w)\]\s+PID: (\d+)\s+TASK: ([0-9a-f]+)")
    bad, n = [], 0
    with open(crash, errors="replace") as f:
        for line in f:
            m = rx.match(line)
            if not m:
                continue
            d, h, mi, sec, ms = (int(m.group(i)) for i in range(1, 6))
            want = (((d * 24 + h) * 60 + mi) * 60 + sec) * 1000 + ms
            t = r.get(int(m.group(8), 16))
            n += 1
            if t is None:
                bad.append("%s: not ours" % m.group(7))
            elif t["on_cpu"]:
                if t["last_ran_s_ago"] != 0:
                    bad.append("%s on a CPU: %s s" % (m.group(7), t["last_ran_s_ago"]))
            elif t["last_ran_s_ago"] is None or abs(t["last_ran_s_ago"] * 1000 - want) > 1:
                bad.append("%s %s: crash %d ms, ours %s s" % (m.group(7), t["name"], want, t["last_ran_s_ago"]))
    check("last_ran_equals_crash_ps_m(%d)" % n, n > 10 and not bad, "; ".join(bad[:5]))


def cmd_crashbt(ours, crash, ncpu, pids):
    r = load(ours)
    bts = {b[0]: b for b in crash_bts(crash)[int(ncpu):]}
    for p in pids:
        p = int(p)
        ts = [t for t in r["threads"] if t["tid"] == p]
        b = bts.get(p)
        if not ts or not b:
            fail("stack_%d_equals_crash_bt" % p, "ours %d tasks, crash %s" % (len(ts), b is not None))
            continue
        t = ts[0]
        got = list(zip(funcs(t), [f["module"] for f in t["frames"]]))
        want = list(zip(b[3], b[4]))
        good = (got == want and int(t["task"], 16) == b[1] and want[-1][0] == "ret_from_fork"
                and any(m != "vmlinux" for _, m in want))
        check("stack_%d_%s_equals_crash_bt(%d frames)" % (p, t["name"], len(want)), good,
              "crash %s ours %s" % (want, got))


def cmd_cpus(ours, oracle, ncpu):
    r = load(ours)
    ncpu = int(ncpu)
    if oracle.endswith(".drgn"):
        want = {c: v for c, v in drgn_out(oracle)[1].items()}
        what = "drgn_runqueues"
    else:
        want = {b[2]: (b[0], b[1]) for b in crash_bts(oracle)[:ncpu]}
        what = "crash_bt_a"
    got = {c["cpu"]: (c["tid"], int(c["task"], 16)) for c in r["cpus"]}
    on = {t["cpu"]: (t["tid"], int(t["task"], 16)) for t in r["threads"] if t["on_cpu"]}
    check("cpus_equal_%s(%d)" % (what, ncpu), len(want) == ncpu and got == want and on == want,
          "%s %s, our cpus[] %s, our on_cpu threads %s" % (what, want, got, on))


def cmd_uservcpu(ours, regs):
    """regs.txt (QEMU's info registers -a): each CPL=3 vCPU's running task
    must show that vCPU's user-mode RIP as its frame 0."""
    r, cpus, cpu = load(ours), {}, None
    with open(regs) as f:
        for line in f:
            m = re.match(r"^CPU#(\d+)", line)
            if m:
                cpu = int(m.group(1))
            m = re.match(r"^RIP=([0-9a-f]+) .* CPL=(\d)", line)
            if m and cpu is not None:
                cpus[cpu] = (int(m.group(1), 16), int(m.group(2)))
    user = [c for c, (_rip, cpl) in cpus.items() if cpl == 3]
    if not user:
        return
    on = {t["cpu"]: t for t in r["threads"] if t["on_cpu"]}
    for c in user:
        t = on.get(c)
        rip = cpus[c][0]
        ur = t["user_regs"] if t else None
        good = t is not None and not t["frames"] and ur is not None and int(ur["rip"], 16) == rip and rip < 1 << 47
        check("user_mode_vcpu%d_user_regs_are_the_vcpu_rip(%x, pid %s)" % (c, rip, t and t["tid"]), good,
              "task %s frames %d user_regs %s" % (t and t["tid"], len(t["frames"]) if t else -1, ur))


def user_mode(t):
    """Running in user mode on its vCPU: the report gives its user registers and no kernel frames."""
    return bool(t["on_cpu"] and not t["frames"] and t["user_regs"])


def cmd_kernel(ours, release, build_id, vcpus):
    k = load(ours)["kernel"]
    got = (k["release"], k["build_id"], k["vcpus"])
    want = (release, build_id, int(vcpus))
    check("kernel_release_buildid_vcpus(%s %s %s)" % want, got == want, "ours %s" % (got,))


def cmd_events(ours, info):
    r = load(ours)
    want = ""
    with open(info) as f:
        for line in f:
            if line.startswith("hung_task_reports="):
                want = line.split("=", 1)[1].strip()
    got = " ".join("%s:%d" % (e["comm"], e["pid"]) for e in r["events"] if e["kind"] == "hung-task")
    check("events_hung_tasks_equal_info(%s)" % want, want and got == want, "ours '%s' info '%s'" % (got, want))


def cmd_dmesg(serial, dmesg):
    with open(serial, errors="replace") as f:
        want = [l.rstrip("\r\n") for l in f if re.match(r"^\[ *\d+\.\d+\] ", l)]
    with open(dmesg, errors="replace") as f:
        have = [l.rstrip("\n") for l in f]
    i, cont = 0, 0
    for n, w in enumerate(want):
        # the serial console stamps each line of a multi-line record; dmesg
        # (like crash's log) indents the continuation lines instead
        ts = w[:w.index("]") + 2]
        alt = " " * len(ts) + w[len(ts):]
        while i < len(have) and have[i] != w and have[i] != alt:
            i += 1
        cont += i < len(have) and have[i] == alt
        if i == len(have):
            fail("dmesg_has_serial_lines(%d)" % len(want), "serial line %d not found in order: %r" % (n, w))
            return
        i += 1
    check("dmesg_has_serial_lines(%d, %d as continuations)" % (len(want), cont), len(want) > 100, "only %d lines" % len(want))


def summary(r):
    tasks = {t["task"]: (t["tid"], t["name"], t["tgid"], t["sched_state"], t["cpu"], t["on_cpu"],
                         [(f["function"], f["module"], f["pc"]) for f in t["frames"]], t["user_regs"])
             for t in r["threads"]}
    return tasks, [(c["cpu"], c["task"], c["tid"]) for c in r["cpus"]], r["kernel"]["task_states"]


def cmd_same(name, a, b):
    ta, ca, sa = summary(load(a))
    tb, cb, sb = summary(load(b))
    diff = [k for k in set(ta) | set(tb) if ta.get(k) != tb.get(k)]
    check("same_report_%s(%d tasks)" % (name, len(ta)), not diff and ca == cb and sa == sb and len(ta) > 10,
          "tasks differ: %s; cpus %s vs %s; states %s vs %s" %
          ([(ta.get(k), tb.get(k)) for k in diff[:3]], ca, cb, sa, sb))


def cmd_partial(name, ours, full, upto=""):
    r, fr = load(ours), by_task(load(full))
    # upto: the corrupted task; every task before it in the list is still found
    order = [int(t["task"], 16) for t in load(full)["threads"]]
    lost = []
    if upto:
        a = int(upto, 0) & ((1 << 64) - 1)
        lost = ["%x" % x for x in order[:order.index(a) + 1] if x not in by_task(r)] if a in order else ["%x?" % a]
    got = by_task(r)
    def facts(t):
        return (t["tid"], t["name"], t["tgid"], t["sched_state"], t["cpu"], t["on_cpu"], funcs(t))
    # a task of the partial list is reported as in the full report: same facts, same stack
    wrong = ["%s %s" % (t["task"], "not in the full report" if a not in fr else "%s, full report %s" % (facts(t), facts(fr[a])))
             for a, t in got.items() if a not in fr or facts(fr[a]) != facts(t)]
    check("corrupt_%s_partial(%d of %d tasks, warning %r)" % (name, len(got), len(fr), (r["warnings"] or [""])[0][:90]),
          r["warnings"] and 0 < len(got) <= len(fr) and not wrong and not lost and (not upto or len(got) < len(fr)),
          "warnings %s, %d of %d tasks, lost before the corruption %s, %d wrong: %s" %
          (r["warnings"], len(got), len(fr), lost[:5], len(wrong), "; ".join(wrong[:3])))


def cmd_inlines(ours, drgn):
    """With DWARF, each stack with its inline frames (innermost first) equals drgn's, up to
    the first module frame (module DWARF is not read yet)."""
    r = by_task(load(ours))
    full = {}
    with open(drgn) as f:
        for line in f:
            w = line.rstrip("\n").split(" ", 4)
            if w[0] == "task":
                fl = w[4].rpartition("|")[2]
                full[int(w[2], 16)] = [norm(x.rpartition("@")[0].lstrip("~")) for x in fl.split() if "@" in x]
    bad, compared, ninl = [], 0, 0
    for a, t in r.items():
        want = full.get(a)
        if not want or not t["frames"]:
            continue
        got = []
        for fr in t["frames"]:
            if fr["module"] != "vmlinux":
                break
            got += [norm(i["function"] or "?") for i in fr["inlines"]] + [norm(fr["function"] or "?")]
            ninl += len(fr["inlines"])
        compared += 1
        n = min(len(want), len(got))   # drgn names no asm frame; we stop at a module frame
        if n == 0 or want[:n] != got[:n]:
            bad.append("%d %s: drgn %s ours %s" % (t["tid"], t["name"], want[:len(got)], got))
    check("stacks_with_inlines_equal_drgn(%d tasks, %d inline frames)" % (compared, ninl),
          compared > 10 and ninl > 0 and not bad, "; ".join(bad[:3]))


CMDS = {"inlines": cmd_inlines, "kernel": cmd_kernel, "lastran": cmd_lastran, "tasks": cmd_tasks, "dtasks": cmd_dtasks, "uservcpu": cmd_uservcpu, "stacks": cmd_stacks, "cpus": cmd_cpus,
        "events": cmd_events, "dmesg": cmd_dmesg, "same": cmd_same, "partial": cmd_partial}
if len(sys.argv) < 2 or sys.argv[1] not in CMDS and sys.argv[1] != "crashbt":
    sys.exit(__doc__)
if sys.argv[1] == "crashbt":
    cmd_crashbt(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
else:
    CMDS[sys.argv[1]](*sys.argv[2:])
sys.exit(1 if FAILS else 0)
