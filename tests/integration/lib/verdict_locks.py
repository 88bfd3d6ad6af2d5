"""Lock waits, deadlock cycles and chains (analyzers/kernel/an_klocks.c)
against the module's ground truth.  Every guest has the ABBA pair and the
rwsem reader behind dl_writer (writer_blocks=1: the writer itself waits for
lock_a, chaining reader -> writer -> the ABBA cycle); the hang guests add a
semaphore, a completion, a wait queue, a 3-task mutex/rwsem cycle, three waiters behind a
holder sleeping in S, a user read() behind a D kthread and an rt_mutex
waiter and a waiter on a mutex inside the holder's task_struct, behind a
holder in S.  The healthy guest has no waits and no findings.  The set of
waiting pids must be exactly the expected one: no invented waits."""


def check(v):
    i, r = v.info, v.report
    waits = {w["tid"]: w for w in r["locks"]["waits"]}
    cycles = r["locks"]["cycles"]
    if v.shape == "healthy":    # no module: nothing waits, nothing is wrong
        v.ok("healthy: no lock waits", not waits and not cycles, str(r["locks"]))
        v.ok("healthy: no findings", not r["findings"], str(r["findings"]))
        v.ok("healthy: no signature", r["signature"] is None, str(r["signature"]))
        return
    h = lambda k: int(i[k], 16)
    pid = lambda k: int(i[k])

    def wait(name, p, kind, obj, owner=None, mode=None, in_cycle=False, owner_hint=False):
        w = waits.get(p)
        ok = (w is not None and w["kind"] == kind and int(w["object"], 16) == obj
              and w["owner_tid"] == owner and w["in_cycle"] == in_cycle and w["futex"] is None
              and (mode is None or w["mode"] == mode) and w["owner_is_hint"] == owner_hint
              and (w["waiter"] is not None) == (kind != "spinlock"))
        v.ok("wait " + name, ok, "pid %d: %s" % (p, w))

    def cycle(name, members):   # members: {pid: object}
        c = [c for c in cycles if sorted(c["tids"]) == sorted(members)]
        ok = len(c) == 1 and {t: int(o, 16) for t, o in zip(c[0]["tids"], c[0]["objects"])} == members
        v.ok("cycle " + name, ok, "cycles %s, want %s" % (cycles, members))

    def finding(name, kind, tids, first=None):
        f = [f for f in r["findings"] if f["kind"] == kind and sorted(f["tids"]) == sorted(tids)]
        ok = len(f) == 1 and (first is None or f[0]["tids"][0] == first)
        if ok and kind == "deadlock":
            s = f[0]["signature"]
            ok = s is not None and len(s["hash"]) == 16 and s["kind"] == "deadlock"
        v.ok("finding " + name, ok, "want %s %s; findings %s" % (kind, tids, [(f["kind"], f["tids"]) for f in r["findings"]]))

    ab, ba, wr, rd = pid("dl_ab_pid"), pid("dl_ba_pid"), pid("dl_writer_pid"), pid("dl_reader_pid")
    wait("dl_ab", ab, "mutex", h("lock_b"), ba, in_cycle=True)
    wait("dl_ba", ba, "mutex", h("lock_a"), ab, in_cycle=True)
    cycle("ABBA", {ab: h("lock_b"), ba: h("lock_a")})
    finding("ABBA deadlock", "deadlock", [ab, ba])
    names = {w["tid"]: w["object_name"] for w in r["locks"]["waits"]}
    v.ok("lock names", names.get(ab) == "lock_b [deadlock]" and names.get(ba) == "lock_a [deadlock]"
         and names.get(rd) == "dl_rwsem [deadlock]", str(names))
    wait("dl_reader", rd, "rwsem", h("dl_rwsem"), wr, mode="read")
    expect = {ab, ba, rd}
    if i.get("writer_blocks") == "1":
        wait("dl_writer", wr, "mutex", h("lock_a"), ab)
        finding("chain into ABBA", "blocked", [wr, rd])
        expect.add(wr)
    else:
        finding("reader behind writer", "blocked", [wr, rd], first=wr)
    if v.shape == "hang":
        c1, c2, c3 = pid("cyc1_pid"), pid("cyc2_pid"), pid("cyc3_pid")
        wait("sem", pid("sem_waiter_pid"), "semaphore", h("sem"))
        wait("completion", pid("comp_waiter_pid"), "completion", h("comp"))
        wait("waitqueue", pid("waitq_waiter_pid"), "waitqueue", h("waitq"))
        wq = waits.get(pid("waitq_waiter_pid"), {})
        v.ok("waitqueue name and place", wq.get("object_name") == "dl_wq [deadlock]"
             and (wq.get("frame") or "").startswith("dl_wq_wait"), str(wq))
        wait("cyc1", c1, "mutex", h("cyc1_wants"), c2, in_cycle=True)
        wait("cyc2", c2, "rwsem", h("cyc2_wants"), c3, mode="write", in_cycle=True, owner_hint=True)
        wait("cyc3", c3, "mutex", h("cyc3_wants"), c1, in_cycle=True)
        cycle("mutex+rwsem x3", {c1: h("cyc1_wants"), c2: h("cyc2_wants"), c3: h("cyc3_wants")})
        finding("3-task deadlock", "deadlock", [c1, c2, c3])
        holder = pid("slp_holder_pid")
        sw = [int(p) for p in i["slp_waiter_pids"].split(",")]
        for k, p in enumerate(sw):
            wait("sleeper waiter %d" % k, p, "mutex", h("slp_mutex"), holder)
        v.ok("sleeping holder not waiting", holder not in waits, str(waits.get(holder)))
        v.ok("sleeping holder in S", v.by_pid[holder]["sched_state"] == "S", v.by_pid[holder]["sched_state"])
        finding("waiters behind the S holder", "blocked", [holder] + sw, first=holder)
        uh, ur = pid("user_holder_pid"), pid("user_reader_pid")
        wait("user read()", ur, "mutex", h("user_mutex"), uh)
        wait("user holder", uh, "completion", h("user_never"))
        finding("user read() behind D kthread", "blocked", [uh, ur], first=uh)
        spw = pid("spin_waiter_pid")      # spinning on CPU 2: a spinlock wait without an owner
        wait("spinlock", spw, "spinlock", h("spin_lock"))
        v.ok("spinlock has no owner", waits.get(spw, {}).get("owner_tid", 0) is None
             and waits.get(spw, {}).get("waiter") is None, str(waits.get(spw)))
        rh, rw = pid("rt_holder_pid"), pid("rt_waiter_pid")
        wait("rt_mutex", rw, "rt_mutex", h("rt_lock"), rh)
        v.ok("rt_mutex name", waits.get(rw, {}).get("object_name") == "rt_lock [deadlock]", str(waits.get(rw)))
        tw = pid("tm_waiter_pid")
        wait("task-member mutex", tw, "mutex", h("tm_mutex"), rh)
        v.ok("task-member mutex name",
             waits.get(tw, {}).get("object_name") == 'task_struct.perf_event_mutex of pid %d "dl_rt_hold"' % rh,
             str(waits.get(tw)))
        finding("waiters behind the rt holder", "blocked", [rh, rw, tw], first=rh)
        expect |= {pid("sem_waiter_pid"), pid("comp_waiter_pid"), pid("waitq_waiter_pid"), c1, c2, c3, ur, uh, rw, tw, spw, *sw}
        v.ok("shortd has no lock wait", pid("shortd_pid") not in waits, str(waits.get(pid("shortd_pid"))))
    v.ok("exactly the expected waiters", set(waits) == expect,
         "extra %s missing %s" % (sorted(set(waits) - expect), sorted(expect - set(waits))))
    v.ok("cycle count", len(cycles) == (2 if v.shape == "hang" else 1), str(cycles))
    v.ok("deadlock verdict first", r["signature"] is None or r["signature"]["kind"] in ("deadlock", "panic"),
         str(r["signature"]))
