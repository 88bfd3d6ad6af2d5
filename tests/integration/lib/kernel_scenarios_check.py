#!/usr/bin/env python3
"""Check one coresummary --json report of a scenario guest against the guest's
info file (ground truth printed by the guest module).  Prints ok/FAIL lines.
usage: kernel_scenarios_check.py LABEL INFO REPORT.json"""
import json
import re
import sys

label, info_path, report_path = sys.argv[1:4]
info = {}
for line in open(info_path):
    k, _, v = line.rstrip("\n").partition("=")
    info[k] = v
r = json.load(open(report_path))
failed = 0


def check(name, cond, why=""):
    global failed
    if cond:
        print("ok %s %s" % (label, name))
    else:
        failed += 1
        print("FAIL %s %s: %s" % (label, name, why))


norm = lambda f: re.sub(r"\.(constprop|isra|part|cold)(\.\d+)?$", "", f or "?")
by_pid = {}
for t in r["threads"]:
    by_pid.setdefault(t["tid"], t)
by_task = {int(t["task"], 16): t for t in r["threads"]}


def funcs(t):
    return [norm(f["function"]) for f in t["frames"]]


def task_of(key):
    return by_task.get(int(info[key], 16)) if info.get(key) else None


check("kernel-release", r["kernel"]["release"] == info["kver"], r["kernel"]["release"])
check("no-task-list-warnings", not [w for w in r["warnings"] if "task" in w and "list" in w], str(r["warnings"]))

# Every task the module says is in D is in D, with a stack through module code to the thread's start.
dpids = [int(p) for p in info.get("d_state_pids", "").split()]
for pid in dpids:
    t = by_pid.get(pid)
    if not t:
        check("d-task-%d" % pid, False, "pid missing from the report")
        continue
    fs = funcs(t)
    ok = t["sched_state"] == "D" and fs and fs[0] == "__schedule" and not t["incomplete"] and \
        (fs[-1] in ("ret_from_fork", "ret_from_fork_asm") or t["user_regs"])
    check("d-task-%d-%s" % (pid, t["name"]), ok, "%s %s incomplete=%s" % (t["sched_state"], fs, t["incomplete"]))

# The deadlock module's kthreads are unwound through their own (module) functions.
for key, fn in (("dl_ab_task", "dl_ab"), ("dl_ba_task", "dl_ba"), ("dl_reader_task", "dl_reader"),
                ("sem_waiter_task", "dl_sem_wait"), ("comp_waiter_task", "dl_comp_wait")):
    t = task_of(key)
    if info.get(key):
        mods = [f for f in (t["frames"] if t else []) if f["module"] == "deadlock"]
        check("module-frame-" + fn, t and mods and all(f["function"] for f in mods),
              "no named module frame: %s" % (funcs(t) if t else "task missing"))
if info.get("sem_waiter_task"):
    t = task_of("sem_waiter_task")
    check("semaphore-waiter-in-down", t and "down" in funcs(t), funcs(t) if t else "missing")
if info.get("comp_waiter_task"):
    t = task_of("comp_waiter_task")
    # wait_for_completion() tail-calls __wait_for_common: either may be the frame
    check("completion-waiter", t and any(f.startswith("wait_for_completion") or f == "__wait_for_common"
                                         for f in funcs(t)),
          funcs(t) if t else "missing")

# The holder sleeping in S holding the mutex is in S.
if info.get("slp_holder_task"):
    t = task_of("slp_holder_task")
    check("sleeping-holder-state", t and t["sched_state"] == info.get("slp_holder_state", "S"),
          t["sched_state"] if t else "missing")

# The user process blocked in the kernel through /proc: D, its stack ends at the syscall entry.
if info.get("user_reader_task"):
    t = task_of("user_reader_task")
    ok = t and t["sched_state"] == "D" and t["name"] == info["user_reader_comm"] and t["user_regs"] and \
        t["user_regs"]["syscall"] == 0 and any("read" in f for f in funcs(t))
    check("user-process-blocked-in-read", ok, "%s" % ({k: t[k] for k in ("sched_state", "name", "user_regs")}
                                                      if t else "missing"))

# The short-D task is not in the kernel's hung-task reports (the analyzer's hung verdict is issue 7).
if info.get("shortd_pid"):
    check("short-d-not-reported-hung", ("dl_shortd:%s" % info["shortd_pid"]) not in info.get("hung_task_reports", "")
          and int(info["shortd_pid"]) not in [e["pid"] for e in r["events"] if e["kind"] == "hung-task"])

# Spinning vCPUs: the task on each is the spinner the module names.
for who in ("holder", "waiter"):
    cpu = info.get("spin_%s_spinning_cpu" % who)
    if cpu is None:
        continue
    c = [x for x in r["cpus"] if x["cpu"] == int(cpu)]
    check("spinning-%s-on-cpu%s" % (who, cpu), c and int(c[0]["task"], 16) == int(info["spin_%s_task" % who], 16),
          str(c))

# Kernel reports as events.
hung = set(info.get("hung_task_reports", "").split())
ev_hung = set("%s:%d" % (e["comm"], e["pid"]) for e in r["events"] if e["kind"] == "hung-task")
if hung:
    check("hung-task-events", hung == ev_hung, "info %s, events %s" % (sorted(hung), sorted(ev_hung)))
soft = info.get("soft_lockup_reports", "").split()
if soft:
    ev = set("%d:%s:%d" % (e["cpu"], e["comm"], e["pid"]) for e in r["events"] if e["kind"] == "soft-lockup")
    check("soft-lockup-events", set(soft) <= ev, "info %s, events %s" % (soft, sorted(ev)))

# A panic: the state, the CPU, and that CPU's task's stack through the exception frame into the module.
if info.get("scenario") == "panic":
    p = r["kernel"]["panic"]
    cpu = int(info.get("panic_cpu", info.get("oops_cpu", "-1")))
    check("panic-state", p and p["cpu"] == cpu and p["message"] and "Kernel panic - not syncing" in p["message"],
          str(p))
    c = [x for x in r["cpus"] if x["cpu"] == cpu]
    t = by_task.get(int(c[0]["task"], 16)) if c else None
    fs = funcs(t) if t else []
    fn = info.get("panic_func") or info.get("oops_func") or "dl_oops_fn"
    check("panic-cpu-stack", t and "panic" in fs and any(f.startswith("asm_exc_") for f in fs) and fn in fs,
          "%s (want panic, asm_exc_*, %s)" % (fs, fn))
    check("oops-and-panic-events", {"oops", "panic"} <= {e["kind"] for e in r["events"]},
          str([e["kind"] for e in r["events"]]))
sys.exit(1 if failed else 0)
