"""Lockups (analyzers/kernel/an_klockup.c) against the guest's ground truth.

hang guests: dl_spin_hold spins on CPU spin_holder_cpu holding dl_spin (not in
a lock slow path), dl_spin_wait spins on CPU spin_waiter_cpu in the qspinlock
slow path; the watchdog reported both (soft_lockup_reports "cpu:comm:pid").
Expect exactly one "lockup" finding per such CPU with its pid, the waiter's
lock address equal to info spin_lock and named dl_spin [deadlock], and a
duration.  panic guests (no spinning scenario): no lockup at all.
A dump whose task list was cut (the report warns; see verdict_hung.py) may
lack the spinning tasks: the CPU must still be locked up from the watchdog's
report, the task-based checks are skipped with an ok line saying so."""
from verdict_hung import tasks_lost


def check(v):
    cpus = {c["cpu"]: c for c in v.report["cpus"]}
    findings = [f for f in v.report["findings"] if f["kind"] == "lockup"]
    want = {}
    for item in v.info.get("soft_lockup_reports", "").split():
        cpu, _, pid = item.split(":")[0], None, item.rsplit(":", 1)[1]
        want[int(cpu)] = int(pid)
    if not v.info.get("spin_lock"):
        v.ok("lockup-none", not findings and all(c["lockup"] is None for c in cpus.values()),
             "findings %s" % [f["summary"] for f in findings])
        return
    v.ok("lockup-reports", want == {int(v.info["spin_holder_cpu"]): int(v.info["spin_holder_pid"]),
                                    int(v.info["spin_waiter_cpu"]): int(v.info["spin_waiter_pid"])},
         "soft_lockup_reports %s" % want)
    lost = tasks_lost(v.report)
    v.ok("lockup-findings", len(findings) == len(want) and
         sorted(f["tids"][0] for f in findings if f["tids"]) ==
         sorted(p for p in want.values() if not lost or p in v.by_pid),
         "findings %s" % [(f["summary"], f["tids"]) for f in findings])
    for role in ("holder", "waiter"):
        cpu, pid = int(v.info["spin_%s_cpu" % role]), int(v.info["spin_%s_pid" % role])
        c = cpus.get(cpu)
        lk = c and c["lockup"]
        if lost and c is not None and c["tid"] is None:
            print("ok %s lockup-%s-partial: its task is not in this dump" % (v.label, role))
            v.ok("lockup-%s" % role, lk is not None and lk["soft_lockup_reported"] is True, "cpu %d: %s" % (cpu, c))
            continue
        if not v.ok("lockup-%s" % role, c is not None and c["tid"] == pid and lk is not None,
                    "cpu %d: %s" % (cpu, c)):
            continue
        v.ok("lockup-%s-reported" % role, lk["soft_lockup_reported"] is True, str(lk))
        v.ok("lockup-%s-stuck" % role, lk["stuck_s"] is not None and lk["stuck_s"] >= 4, str(lk))
        v.ok("lockup-%s-finding" % role, sum(1 for f in findings if f["tids"] == [pid]) == 1,
             "findings %s" % [(f["summary"], f["tids"]) for f in findings])
        if role == "waiter":
            v.ok("lockup-waiter-lock", lk["spinning"] is True and lk["spinlock"] is not None and
                 int(lk["spinlock"], 16) == int(v.info["spin_lock"], 16), str(lk))
            v.ok("lockup-waiter-lock-name", lk["spinlock_name"] == "dl_spin [deadlock]", str(lk))
        else:
            v.ok("lockup-holder-not-spinning", lk["spinning"] is False and lk["spinlock"] is None, str(lk))
    others = [c for n, c in cpus.items() if n not in want and c["lockup"] is not None]
    v.ok("lockup-others-none", not others, str(others))
