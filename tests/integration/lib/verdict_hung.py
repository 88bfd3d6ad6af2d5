"""Hung tasks (analyzers/kernel/an_khung.c) against the guest's ground truth.

Positive: the tasks the kernel's hung-task detector reported on the serial
console (info hung_task_reports) are exactly the tasks the report calls hung,
each with hung_reported true and a blocked_s of at least the guest's timeout
(5 s), and they are the threads of the one "hung" finding.
Negative: the short-D kthread (msleep(50) in a loop: D most of the time,
never long), the rwsem holder sleeping in S and the spinning tasks are not
hung; with no hung task there is no "hung" finding.
A dump that lost part of the task list (makedumpfile -d 31 of a 6.12 guest
drops slab pages holding task_structs; the report warns) is checked for what
it has: no task outside the kernel's reports is hung, every reported task
present is hung; the missing ones are named in an ok line, not hidden."""

TIMEOUT_S = 5  # testdata/guest/init sets hung_task_timeout_secs


def reported_pids(info):
    pids = set()
    for item in info.get("hung_task_reports", "").split():
        pids.add(int(item.rsplit(":", 1)[1]))
    return pids


def tasks_lost(report):
    return any("reading a task_struct" in w or "thread list" in w or "task list" in w or
               "thread_head" in w for w in report["warnings"])


def check(v):
    want = reported_pids(v.info)
    threads = v.report["threads"]
    hung = {t["tid"] for t in threads if t.get("hung")}
    missing = {p for p in want if p not in v.by_pid} if tasks_lost(v.report) else set()
    if missing:
        print("ok %s hung-partial: pids %s not in this dump (the report warns the task list was cut)"
              % (v.label, sorted(missing)))
    v.ok("hung-set", hung == want - missing, "hung %s, the kernel reported %s" % (sorted(hung), sorted(want)))
    for pid in sorted(want - missing):
        t = v.by_pid.get(pid)
        if not v.ok("hung-%d" % pid, t is not None and t["hung"], "pid %d not hung: %s" % (pid, t and t.get("hung"))):
            continue
        v.ok("hung-%d-reported" % pid, t["hung_reported"] is True, "hung_reported %s" % t["hung_reported"])
        v.ok("hung-%d-blocked" % pid, t["blocked_s"] is not None and t["blocked_s"] >= TIMEOUT_S,
             "blocked_s %s" % t["blocked_s"])
    findings = [f for f in v.report["findings"] if f["kind"] == "hung"]
    if want - missing:
        v.ok("hung-finding", len(findings) == 1 and set(findings[0]["tids"]) == want - missing,
             "findings %s" % [(f["summary"], f["tids"]) for f in findings])
    else:
        v.ok("hung-no-finding", not findings, "findings %s" % [f["summary"] for f in findings])
    # Negatives: tasks that are blocked or busy, but not hung by the kernel's rule.
    for key in ("shortd_pid", "slp_holder_pid", "spin_holder_pid", "spin_waiter_pid"):
        if not v.info.get(key):
            continue
        t = v.by_pid.get(int(v.info[key]))
        if t is None and missing:
            continue
        v.ok("not-hung-" + key, t is not None and t["hung"] is False,
             "%s: %s" % (key, t and (t["sched_state"], t["hung"], t["blocked_s"])))
    if v.info.get("shortd_pid"):
        t = v.by_pid.get(int(v.info["shortd_pid"]))
        if t is None and missing:
            return
        v.ok("shortd-no-blocked", t is not None and (t["blocked_s"] is None or t["blocked_s"] < TIMEOUT_S),
             "blocked_s %s" % (t and t["blocked_s"]))
