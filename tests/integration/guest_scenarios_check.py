#!/usr/bin/env python3
"""Checks of the hang/panic guests' ground truth (helper of guest_scenarios.sh).

  guest_scenarios_check.py cmds SHAPE GDIR            crash commands to run on GDIR/qemu.elf
  guest_scenarios_check.py check SHAPE GDIR CRASHOUT  'ok NAME' / 'FAIL NAME: why' lines
                                                      (CRASHOUT '-': skip the crash checks)

The info file (what deadlock.ko and the kernel printed) is checked for
completeness and self-consistency, its addresses against deadlock.ko's symbol
table (readelf: section offsets), and its pids, task addresses, CPUs and lock
owners against what crash reads from the dump itself.
"""
import re, subprocess, sys

MASK = ~7 & (2**64 - 1)          # mutex/rwsem owner: task pointer | 3 flag bits

HANG_KEYS = """sem sem_waiter_pid sem_waiter_task comp comp_waiter_pid comp_waiter_task
cyc_m1 cyc_m2 cyc_rwsem cyc1_pid cyc1_task cyc1_holds cyc1_wants cyc2_pid cyc2_task
cyc2_holds cyc2_wants cyc3_pid cyc3_task cyc3_holds cyc3_wants slp_mutex slp_holder_pid
slp_holder_task slp_waiter_pids slp_waiter_tasks user_file user_mutex user_never
user_holder_pid user_holder_task user_reader_pid user_reader_comm user_reader_task
shortd_pid shortd_task shortd_sleep_ms spin_lock spin_holder_pid spin_holder_task
spin_holder_cpu spin_waiter_pid spin_waiter_task spin_waiter_cpu soft_lockup_reports""".split()
PANIC_KEYS = """oops_pid oops_task oops_cpu oops_func oops_running_cpu panic_msg panic_bug
panic_cpu panic_pid panic_comm panic_func panic_rip""".split()
BASE_KEYS = """lock_a lock_b dl_rwsem dl_ab_pid dl_ab_task dl_ba_pid dl_ba_task dl_writer_pid
dl_writer_task dl_reader_pid dl_reader_task hung_task_reports d_state_pids""".split()

# lock-like object -> (C type for crash, the info key of the task that owns it)
MUTEX_OWNERS = [("lock_a", "dl_ab_task"), ("lock_b", "dl_ba_task"), ("cyc_m1", "cyc1_task"),
                ("cyc_m2", "cyc2_task"), ("slp_mutex", "slp_holder_task"),
                ("user_mutex", "user_holder_task")]
# info key -> symbol in deadlock.ko
SYMBOLS = {"lock_a": "lock_a", "lock_b": "lock_b", "dl_rwsem": "dl_rwsem", "sem": "dl_sem",
           "comp": "dl_comp", "cyc_m1": "cyc_m1", "cyc_m2": "cyc_m2", "cyc_rwsem": "cyc_rwsem",
           "slp_mutex": "slp_mutex", "user_mutex": "user_mutex", "user_never": "user_never",
           "spin_lock": "dl_spin"}


def read_info(gdir):
    info = {}
    for line in open(gdir + "/info"):
        k, _, v = line.rstrip("\n").partition("=")
        info[k] = v
    return info


def px_commands(shape, info):
    """[(name, crash command, predicate on the printed integer)] in output order."""
    cmds = []
    for lock, owner in MUTEX_OWNERS:
        if lock in info and owner in info:
            want = int(info[owner], 16)
            cmds.append(("%s owner is %s" % (lock, owner),
                         "px ((struct mutex *)0x%s)->owner.counter" % info[lock],
                         lambda v, w=want: v & MASK == w))
    if shape == "hang":
        t3 = int(info["cyc3_task"], 16)
        cmds += [
            # reader-owned: owner = last reader | RWSEM_READER_OWNED (bit 0)
            ("cyc_rwsem reader-owned by cyc3", "px ((struct rw_semaphore *)0x%s)->owner.counter" % info["cyc_rwsem"],
             lambda v: v & 1 == 1 and v & MASK == t3),
            ("sem count 0", "px ((struct semaphore *)0x%s)->count" % info["sem"], lambda v: v == 0),
            ("comp not done", "px ((struct completion *)0x%s)->done" % info["comp"], lambda v: v == 0),
            ("spin_lock locked", "px ((spinlock_t *)0x%s)->rlock.raw_lock.val.counter" % info["spin_lock"],
             lambda v: v & 0xff == 1),
            # many short sleeps: switch count far above the few of a hung task
            ("shortd switches", "px ((struct task_struct *)0x%s)->nvcsw" % info["shortd_task"],
             lambda v: v >= 20),
        ]
    return cmds


def bt_checks(shape, info):
    """[(name, pid, substring wanted in crash's bt)]"""
    if shape == "hang":
        return [("spin holder bt", info["spin_holder_pid"], "dl_spin_hold"),
                ("spin waiter bt", info["spin_waiter_pid"], "spin_lock"),
                ("user reader bt", info["user_reader_pid"], "dl_block_read"),
                ("cyc2 bt", info["cyc2_pid"], "down_write"),
                ("sem waiter bt", info["sem_waiter_pid"], "down"),
                # crash 8.0.2's unwinder stops at schedule_timeout here (6.1)
                ("comp waiter bt", info["comp_waiter_pid"], "schedule_timeout")]
    return [("oops bt", info["oops_pid"], info["oops_func"]),
            ("oops bt panic", info["oops_pid"], "panic")]


def cmds(shape, gdir):
    info = read_info(gdir)
    out = ["sys", "ps"]
    out += [c for _, c, _ in px_commands(shape, info)]
    out += ["bt %s" % pid for _, pid, _ in bt_checks(shape, info)]
    # crash may drop the tail of the last command's output at quit: end with a spare one
    print("\n".join(out + ["sys", "quit"]))


def ko_symbols(path):
    """name -> (section index, value, size) from readelf -s of the module."""
    syms = {}
    out = subprocess.run(["readelf", "-sW", path], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 8 and f[0].endswith(":") and f[6].isdigit():
            syms[f[7]] = (int(f[6]), int(f[1], 16), int(f[2], 0))
    return syms


def check(shape, gdir, crash_out):
    info = read_info(gdir)
    res = []

    def ok(name, cond, why=""):
        res.append("ok %s" % name if cond else "FAIL %s: %s" % (name, why))
        return cond

    keys = BASE_KEYS + (HANG_KEYS if shape == "hang" else PANIC_KEYS)
    missing = [k for k in keys if not info.get(k)]
    if not ok("%s keys" % shape, not missing, "missing or empty: %s" % " ".join(missing)):
        return res
    ok("%s scenario key" % shape, info.get("scenario") == shape, "scenario=%s" % info.get("scenario"))
    hung = {p.rsplit(":", 1)[1] for p in info["hung_task_reports"].split()}
    dpids = set(info["d_state_pids"].split())

    # tasks that must be hung (D for ever) and reported
    forever = [info[k] for k in ("dl_ab_pid", "dl_ba_pid", "dl_reader_pid")]
    if shape == "hang":
        forever += [info[k] for k in ("sem_waiter_pid", "comp_waiter_pid", "cyc1_pid", "cyc2_pid",
                                      "cyc3_pid", "user_holder_pid", "user_reader_pid")]
        forever += info["slp_waiter_pids"].split(",")
    ok("%s hung reports" % shape, set(forever) <= hung, "not reported: %s" % (set(forever) - hung))
    ok("%s D-state pids" % shape, set(forever) <= dpids, "not in D: %s" % (set(forever) - dpids))
    if shape == "hang":
        for k in ("shortd_pid", "slp_holder_pid", "spin_holder_pid", "spin_waiter_pid"):
            ok("hang %s not hung" % k, info[k] not in hung, "%s reported as hung" % info[k])
        ok("hang cycle closes", info["cyc1_wants"] == info["cyc2_holds"] and info["cyc2_wants"] == info["cyc3_holds"]
           and info["cyc3_wants"] == info["cyc1_holds"] and info["cyc1_holds"] == info["cyc_m1"]
           and info["cyc2_holds"] == info["cyc_m2"] and info["cyc3_holds"] == info["cyc_rwsem"], "holds/wants do not form the cycle")
        lock = set(info["soft_lockup_reports"].split())
        for who in ("holder", "waiter"):
            want = "%s:dl_spin_%s:%s" % (info["spin_%s_cpu" % who], "hold" if who == "holder" else "wait",
                                         info["spin_%s_pid" % who])
            ok("hang soft lockup %s" % who, want in lock, "%s not in %s" % (want, sorted(lock)))
            ok("hang spin %s cpu seen" % who, info["spin_%s_spinning_cpu" % who] == info["spin_%s_cpu" % who],
               "bound %s, ran on %s" % (info["spin_%s_cpu" % who], info.get("spin_%s_spinning_cpu" % who)))
        ok("hang user reader comm", info["user_reader_comm"] == "cat", info["user_reader_comm"])
    else:
        ok("panic pid", info["panic_pid"] == info["oops_pid"], "%s vs %s" % (info["panic_pid"], info["oops_pid"]))
        ok("panic cpu", info["panic_cpu"] == info["oops_cpu"] == info["oops_running_cpu"],
           "%s %s %s" % (info["panic_cpu"], info["oops_cpu"], info["oops_running_cpu"]))
        ok("panic func", info["panic_func"] == info["oops_func"] and info["panic_comm"] == "dl_oops",
           "%s %s" % (info["panic_func"], info["panic_comm"]))
        ok("panic msg", info["panic_msg"] == "Fatal exception" and "NULL pointer dereference" in info["panic_bug"],
           "%s / %s" % (info["panic_msg"], info["panic_bug"]))

    # addresses against deadlock.ko: same section => same distance as in the module
    syms = ko_symbols(gdir + "/deadlock.ko")
    base_sec, base_val, _ = syms["lock_a"]
    base_addr = int(info["lock_a"], 16)
    for key, sym in SYMBOLS.items():
        if key not in info:
            continue
        if sym not in syms:
            ok("%s symbol %s" % (shape, sym), False, "not in deadlock.ko")
            continue
        sec, val, _ = syms[sym]
        if sec == base_sec:
            ok("%s %s address" % (shape, key), int(info[key], 16) - base_addr == val - base_val,
               "%s: %#x from lock_a, deadlock.ko says %#x" % (info[key], int(info[key], 16) - base_addr, val - base_val))
    if shape == "panic":
        m = re.match(r"(\w+)\+0x([0-9a-f]+)/0x([0-9a-f]+)$", info["panic_rip"])
        fn = syms.get(info["oops_func"])
        # kallsyms' length runs to the next symbol: the ELF size plus alignment padding
        ok("panic rip in function", bool(m and fn and int(m.group(2), 16) < fn[2] <= int(m.group(3), 16) < fn[2] + 16),
           "%s vs ELF size %s" % (info["panic_rip"], fn and fn[2]))

    if crash_out == "-":                # no crash for this kernel (guest_memcheck.py instead)
        return res
    # crash: ps
    text = open(crash_out, errors="replace").read()
    ps = {}
    for m in re.finditer(r"^>?\s+(\d+)\s+(\d+)\s+(\d+)\s+([0-9a-f]{16})\s+([A-Z]{2})\s+\S+\s+\d+\s+\d+\s+(\S+)", text, re.M):
        ps.setdefault(m.group(1), (m.group(2), m.group(3), m.group(4), m.group(5), m.group(6).strip("[]")))
    if not ok("%s crash ps" % shape, len(ps) > 20, "crash listed %d tasks" % len(ps)):
        return res

    def task(pidkey, taskkey, st, cpu=None, comm=None):
        p = ps.get(info[pidkey])
        name = "%s crash %s" % (shape, pidkey)
        if not ok(name, p is not None, "pid %s not in crash ps" % info[pidkey]):
            return
        ok(name + " task", p[2] == info[taskkey], "crash %s, info %s" % (p[2], info[taskkey]))
        ok(name + " state", p[3] in st, "crash %s, want %s" % (p[3], "/".join(st)))
        if cpu is not None:
            ok(name + " cpu", p[1] == cpu, "crash CPU %s, want %s" % (p[1], cpu))
        if comm is not None:
            ok(name + " comm", p[4] == comm, "crash %s, want %s" % (p[4], comm))

    for n in ("ab", "ba", "reader"):
        task("dl_%s_pid" % n, "dl_%s_task" % n, ["UN"], comm="dl_" + n)
    if shape == "hang":
        for k in ("sem_waiter", "comp_waiter", "cyc1", "cyc2", "cyc3", "user_holder"):
            task(k + "_pid", k + "_task", ["UN"])
        task("user_reader_pid", "user_reader_task", ["UN"], comm=info["user_reader_comm"])
        task("slp_holder_pid", "slp_holder_task", ["IN"])
        for i, (pid, t) in enumerate(zip(info["slp_waiter_pids"].split(","), info["slp_waiter_tasks"].split(","))):
            p = ps.get(pid)
            ok("hang crash slp waiter %d" % i, p is not None and p[2] == t and p[3] == "UN", "crash %s" % (p,))
        task("spin_holder_pid", "spin_holder_task", ["RU"], cpu=info["spin_holder_cpu"])
        task("spin_waiter_pid", "spin_waiter_task", ["RU"], cpu=info["spin_waiter_cpu"])
        task("shortd_pid", "shortd_task", ["UN", "IN", "RU"])
        ok("hang crash user reader ppid", ps.get(info["user_reader_pid"], ("",))[0] == "1", "not a child of init")
    else:
        task("oops_pid", "oops_task", ["RU"], cpu=info["oops_cpu"], comm="dl_oops")
        m = re.search(r"^\s*PANIC: (.*)", text, re.M)
        ok("panic crash sys", bool(m and "Oops" in m.group(1)), "crash sys PANIC: %s" % (m and m.group(1)))

    # crash: px values, in command order
    vals = []
    for m in re.finditer(r"^\$(\d+) = (?:\{\s*counter = )?(0x[0-9a-f]+|\d+)", text, re.M):
        vals.append(int(m.group(2), 0))
    pxs = px_commands(shape, info)
    if ok("%s crash px count" % shape, len(vals) == len(pxs), "%d values for %d commands" % (len(vals), len(pxs))):
        for (name, cmd, pred), v in zip(pxs, vals):
            ok("%s crash %s" % (shape, name), pred(v), "%s gave %#x" % (cmd, v))

    # crash: bt, split at "PID: " headers
    bts = {}
    for chunk in re.split(r"^(?=PID: )", text, flags=re.M):
        m = re.match(r"PID: (\d+)", chunk)
        if m:
            bts.setdefault(m.group(1), chunk)
    for name, pid, want in bt_checks(shape, info):
        ok("%s crash %s" % (shape, name), want in bts.get(pid, ""), "%r not in bt %s" % (want, pid))
    return res


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "cmds":
        cmds(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 5 and sys.argv[1] == "check":
        print("\n".join(check(sys.argv[2], sys.argv[3], sys.argv[4])))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
