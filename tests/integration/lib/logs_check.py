#!/usr/bin/env python3
"""Check `coresummary --json LOGFILE` on the public log samples (testdata/log-samples).

The expectations are the facts each sample's `# NOTE:` line states and what a
reader sees in its lines (kinds, lines, pids, comms, CPUs, worlds, signals,
durations, product/version, the verdict); they were written from the files,
not from our output.  Usage: logs_check.py BIN SAMPLES_DIR.  Prints
"ok NAME" / "FAIL NAME: why".
"""
import json
import math
import subprocess
import sys

N = None  # field must be null

# file -> (log facts, [events: subset of fields, in timeline order], sorted finding kinds)
EXPECT = {
    "lnx-01-hung-task-jbd2-vmware-scsi-abort.log": (
        {"format": "kernel-log", "kernel": "5.10.0-garden-cloud-amd64", "product": N, "version": N},
        [{"kind": "hung-task", "line_no": 4, "comm": "jbd2/sda3-8", "pid": 373, "duration_s": 120,
          "uptime_s": 1984687.769162, "frames": ["__schedule", "schedule", "jbd2_journal_commit_transaction",
                                                  "kjournald2", "kthread", "ret_from_fork"]},
         {"kind": "hung-task", "line_no": 24, "comm": "systemd-journal", "pid": 470, "duration_s": 120}],
        ["hung"]),
    "lnx-04-soft-lockup-vmware-guest-regs.log": (
        {"format": "kernel-log", "kernel": "4.4.180+"},
        [{"kind": "soft-lockup", "line_no": 3, "cpu": 1, "duration_s": 41, "comm": "migration/1", "pid": 12,
          "ip": "multi_cpu_stop+0x3c/0xc0"}],
        ["lockup"]),
    "lnx-07-hard-lockup-panic-el7.log": (
        {"format": "kernel-log", "kernel": "3.10.0-862.mt20190308.130.el7.x86_64"},
        [{"kind": "panic", "line_no": 3, "summary": "Kernel panic - not syncing: Hard LOCKUP", "cpu": 0,
          "pid": 282859, "comm": "dockerd-current", "frames": ["dump_stack", "panic", "nmi_panic",
                                                              "watchdog_overflow_callback"]}],
        ["lockup", "panic"]),
    "lnx-09-rcu-stall-sched-kthread-starved.log": (
        {"format": "kernel-log", "kernel": N},
        [{"kind": "rcu-stall", "line_no": 3, "cpu": 0, "uptime_s": 553.456118}],
        ["lockup"]),
    "lnx-10-rcu-stall-plus-soft-lockup-dmesg-T.log": (
        {"format": "kernel-log"},
        [{"kind": "rcu-stall", "line_no": 3, "cpu": 9, "time": "Thu Mar 25 00:50:20 2021", "time_utc": N},
         {"kind": "soft-lockup", "line_no": 8, "cpu": 1, "duration_s": 2471, "comm": "CPU 0/KVM", "pid": 31664}],
        ["lockup"]),
    "lnx-12-oops-null-deref-vmnet-host.log": (
        {"format": "kernel-log", "kernel": "6.10.6-200.fc40.x86_64"},
        [{"kind": "oops", "line_no": 3, "address": "0000000000000000", "cpu": 7, "pid": 9533,
          "comm": "vmx-vcpu-0", "ip": "VNetBridgeReceiveFromVNet+0x112/0x470", "module": "vmnet"}],
        ["panic"]),
    "lnx-14-oops-null-deref-syslog-prefix.log": (
        {"format": "kernel-log", "kernel": "5.15.0-43-generic", "host": "TR"},
        [{"kind": "oops", "line_no": 3, "address": "0000000000000008", "cpu": 21, "pid": 1065141,
          "comm": "CPU 7/KVM", "ip": "handle_removed_tdp_mmu_page+0x88/0x280", "module": "kvm",
          "time": "Aug 18 08:54:42", "time_utc": N}],
        ["panic"]),
    "lnx-15-panic-fatal-exception-kaslr-reboot.log": (
        {"format": "kernel-log"},
        [{"kind": "panic", "line_no": 3, "summary": "Kernel panic - not syncing: Fatal exception", "uptime_s": 5.390622}],
        ["panic"]),
    "vmk-01-psod-crashme-esxi6.log": (
        {"format": "vmkernel.log"},
        [{"kind": "psod", "line_no": 3, "summary": "CrashMe", "cpu": 3, "world": 47209,
          "uptime_s": 1 * 3600 + 14 * 60 + 16.524, "time_utc": "2015-12-17T20:34:03.603Z",
          "frames": ["PanicvPanicInt"], "module": "vmkernel"}],
        ["panic"]),
    "vmk-02-psod-assert-esx4-coredump-to-disk.log": (
        {"format": "vmkernel.log"},
        [{"kind": "psod", "line_no": 3, "summary": "ASSERT bora/vmkernel/main/pframe_int.h:527", "cpu": 1,
          "world": 4553, "uptime_s": 1 * 3600 + 39 * 60 + 57.763, "time_utc": N,
          "frames": ["Panic", "VmMemMigrateAddPageDirToDest", "VmMemMigrate_TransferMemory", "FSR_ResumeDone",
                     "Migrate_RestoreDone", "VMMVMKCall_Call", "VMKVMMEnterVMKernel", "<unknown>"]},
         {"kind": "core-dump", "line_no": 15, "problem": False}],
        ["panic"]),
    "vmk-05-psod-pf14-backtrace-for-current-cpu-esxi701.log": (
        {"format": "vmkernel.log", "product": "VMware ESXi", "version": "7.0.1", "build": "build-16850804"},
        [{"kind": "psod", "line_no": 8, "cpu": 36, "world": 1001599386, "comm": "fdsAIO", "ip": "0x420017c7c1d2",
          "address": "0xe8", "frames": ["LibAIODoAsyncIO", "HelperQueueFunc", "CpuSched_StartWorld"]}],
        ["panic"]),
    # NOT a PSOD: a logged WARNING with its backtrace; no finding
    "vmk-07-nonfatal-backtrace-netdev-watchdog-esxi65.log": (
        {"format": "vmkernel.log"},
        [{"kind": "warning", "line_no": 5, "cpu": 1, "world": 65936, "problem": False,
          "summary": "WARNING: LinNet: netdev_watchdog:3688: NETDEV WATCHDOG: vmnic0: transmit timed out",
          "frames": ["vmk_LogBacktraceMessage", "watchdog_work_cb", "vmklnx_workqueue_callout", "helpFunc"]}],
        []),
    "vmk-08-userworld-dump-iofilterd-zdump-esxi803.log": (
        {"format": "vmkernel.log"},
        [{"kind": "userworld-dump", "line_no": 3, "cpu": 23, "world": 139941674, "cartel": N, "comm": "iofltd-emcsplit",
          "core_file": "/var/core/iofilterd-zdump.001", "time_utc": "2026-02-20T13:34:30.434Z"},
         {"kind": "userworld-dump", "line_no": 4, "cpu": 48, "world": 143316680, "core_file": "/var/core/iofilterd-zdump.000"},
         {"kind": "userworld-dump", "line_no": 5, "cpu": 33, "world": 147947490, "core_file": "/var/core/iofilterd-zdump.001"}],
        ["crash"]),
    "vmk-09-esxi8-vmkernel-line-formats.log": ({"format": "vmkernel.log"}, [], []),
    "vmx-03-mks-panic-signal4-backtrace-ws16.log": (
        {"format": "vmware.log", "product": N},
        [{"kind": "vmx-crash", "line_no": 9, "thread": "mks", "signal": 4, "time_utc": "2021-11-14T23:23:51.000Z",
          "time": "2021-11-15T00:23:51+01:00[+0.000]", "core_file": "/VIRTUALMACHINES/MidgardAM/core",
          "frames": ["0x0000564269e70516"]},
         {"kind": "core-dump", "line_no": 13, "core_file": "/VIRTUALMACHINES/MidgardAM/core", "problem": False}],
        ["crash"]),
    "vmx-06-tools-timeout-quiesce-esxi60.log": (
        {"format": "vmware.log", "product": N, "version": N},  # ESXi 6.0 is only in the header comment
        [{"kind": "guestrpc-timeout", "line_no": 7, "thread": "vmx", "channel": "toolbox",
          "time_utc": "2016-07-29T19:26:56.292Z"},
         {"kind": "tools-heartbeat", "line_no": 8, "thread": "vcpu-0"}],
        ["tools"]),
    "vmx-09-tools-running-status-vix-esxi.log": (
        {"format": "vmware.log"},
        [{"kind": "tools-heartbeat", "line_no": 5, "thread": "vmx"}],
        ["tools"]),
    "vmx-10-kb-monitor-panic-vmm-fault-templates.log": (
        {"format": "vmware.log"},
        [{"kind": "monitor-panic", "line_no": 3, "thread": "vcpu-0", "cpu": 0, "ip": "0xfffffffffc000000", "time_utc": N},
         {"kind": "monitor-panic", "line_no": 4, "thread": "vmx", "ip": "0xb01dc"}],
        ["crash"]),
    "vmx-11-kb-winbsod-synthetic-msr-esxi8.log": (
        {"format": "vmware.log"},
        [{"kind": "panic", "line_no": 3, "thread": "vcpu-0", "time_utc": N},
         {"kind": "panic", "line_no": 9, "thread": "Hostd"}],
        ["panic"]),
    "vmx-12-old-format-vcpu-assert-msgpost-ws6.log": (
        {"format": "vmware.log", "product": "VMware Workstation", "version": "6.0.0", "build": "build-45731",
         "host": "christian-laptop"},
        [{"kind": "power-on", "line_no": 6, "problem": False, "time": "Aug 22 11:49:11.742", "time_utc": N},
         {"kind": "vmx-crash", "line_no": 9, "thread": "vcpu-0", "cpu": 0,
          "core_file": "/home/christian/vmware/minix3/core",
          "frames": ["0x8053410", "0x80f187d", "0x8373f53", "0xb7f1a504", "0xb7eae51e"]},
         {"kind": "unrecoverable-error", "line_no": 19, "thread": "vcpu-0"},
         {"kind": "core-dump", "line_no": 21, "core_file": "/home/christian/vmware/minix3/core"}],
        ["crash"]),
    # headers only: product/version/build from the first "Log for VMware" line; no event, no finding
    "vmx-15-headers-esxi51-60-65-801-ws12.log": (
        {"format": "vmware.log", "product": "VMware ESX", "version": "5.1.0", "build": "build-1483097",
         "kernel": "VMkernel 5.1.0", "host": "new-host.home"},
        [], []),
    "vmx-16-esxi8-opid-column-snapshot-guestops.log": ({"format": "vmware.log"}, [], []),
    "vmx-17-checkpoint-unstun-stun-times.log": (
        {"format": "vmware.log"},
        [{"kind": "stun", "line_no": 3, "thread": "vcpu-0", "duration_s": 3.658889, "problem": True},
         {"kind": "stun", "line_no": 5, "thread": "vmx", "duration_s": 3.711025, "time": N},
         {"kind": "stun", "line_no": 6, "duration_s": 0.574655, "problem": False},
         {"kind": "stun", "line_no": 7, "duration_s": 2.191061}],
        ["hung"]),
    # a soft CPU reset is a guest reboot: an event, no finding
    "vmx-18-cpu-reset-soft-vic.log": (
        {"format": "vmware.log"},
        [{"kind": "cpu-reset", "line_no": 3, "thread": "vcpu-1", "cpu": 1, "problem": False}],
        []),
    "vmx-20-vcpu-panic-core-in-vm-dir-vmx-zdump-esxi65.log": (
        {"format": "vmware.log"},
        [{"kind": "vmx-crash", "line_no": 5, "thread": "vcpu-0", "summary": "vcpu-0: PANIC: MXUserAllocSerialNumber: too many locks!",
          "core_file": "/vmfs/volumes/VOLUME_UUID/VM_NAME/vmx-zdump.000"},
         {"kind": "core-dump", "line_no": 6, "core_file": "/vmfs/volumes/VOLUME_UUID/VM_NAME/vmx-zdump.000"}],
        ["crash"]),
}

FAILS = 0


def ok(name):
    print(f"ok {name}")


def fail(name, why):
    global FAILS
    FAILS += 1
    print(f"FAIL {name}: {why}")


def same(a, b):
    if isinstance(b, float) or isinstance(a, float):
        return a is not None and b is not None and math.isclose(a, b, abs_tol=1e-6)
    return a == b


def check(binary, path, name, exp):
    facts, events, kinds = exp
    p = subprocess.run([binary, "--json", path], capture_output=True, text=True)
    if p.returncode != 0:
        return fail(name, f"exit {p.returncode}: {p.stderr.strip()[:200]}")
    d = json.loads(p.stdout)
    if d["target"] != "log" or len(d["logs"]) != 1:
        return fail(name, f"target {d['target']}, {len(d['logs'])} logs")
    log = d["logs"][0]
    bad = [f"{k}={log.get(k)!r} (want {v!r})" for k, v in facts.items() if log.get(k) != v]
    if bad:
        return fail(name, "log facts: " + ", ".join(bad))
    got = d["events"]
    if len(got) != len(events):
        return fail(name, f"{len(got)} events ({[e['kind'] + ':' + str(e['line_no']) for e in got]}), want {len(events)}")
    for i, (g, w) in enumerate(zip(got, events)):
        bad = [f"{k}={g.get(k)!r} (want {v!r})" for k, v in w.items() if not same(g.get(k), v)]
        if g["source"] != path or not g["text"]:
            bad.append("source/text")
        if bad:
            return fail(name, f"event {i} ({g['kind']} line {g['line_no']}): " + ", ".join(bad))
    fk = sorted(f["kind"] for f in d["findings"])
    if fk != sorted(kinds):
        return fail(name, f"findings {fk}, want {sorted(kinds)}")
    # every problem event is under a finding; no problem without one
    if any(e["problem"] for e in got) != bool(kinds):
        return fail(name, "problem flags disagree with the findings")
    ok(name)


def main():
    binary, samples = sys.argv[1], sys.argv[2]
    for name, exp in sorted(EXPECT.items()):
        check(binary, f"{samples}/{name}", name, exp)
    # not logs: the directory listing and the README are refused with exit 2
    for name in ("dir-01-vm-directory-vmx-zdump-vmmcores.txt", "README.md"):
        p = subprocess.run([binary, f"{samples}/{name}"], capture_output=True, text=True)
        if p.returncode == 2 and "not a process core" in p.stderr:
            ok(f"not-a-log {name}")
        else:
            fail(f"not-a-log {name}", f"exit {p.returncode}: {p.stderr.strip()[:200]}")
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
