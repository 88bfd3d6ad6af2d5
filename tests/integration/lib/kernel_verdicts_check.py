#!/usr/bin/env python3
"""Check one coresummary --json report of a scenario guest against the guest's
info file with every lib/verdict_*.py module.  Prints ok/FAIL lines; exits 1
if any check failed.

A verdict module defines check(v) and uses the Verdict object it gets:
  v.label, v.info (dict of the info file), v.report (the JSON), v.shape,
  v.guest_dir (the guest's cache directory: serial.log, deadlock.ko, ...)
  v.ok(name, cond, why="")     one ok/FAIL line
  v.task(key)                  the threads[] entry whose task address is info[key]
  v.by_pid[pid]                the threads[] entry of a pid
  v.funcs(thread)              its frames' function names, .constprop etc. dropped
usage: kernel_verdicts_check.py LABEL INFO REPORT.json
VERDICTS=hung,lockup in the environment runs only those modules (verdict_NAME.py)."""
import glob
import importlib.util
import json
import os
import re
import sys


class Verdict:
    def __init__(self, label, info_path, report_path):
        self.label = label
        self.guest_dir = os.path.dirname(os.path.abspath(info_path))
        self.info = {}
        for line in open(info_path):
            k, _, val = line.rstrip("\n").partition("=")
            self.info[k] = val
        self.shape = self.info.get("shape")
        self.report = json.load(open(report_path))
        self.failed = 0
        self.by_pid = {}
        for t in self.report["threads"]:
            self.by_pid.setdefault(t["tid"], t)
        self.by_task = {int(t["task"], 16): t for t in self.report["threads"] if t.get("task")}

    def ok(self, name, cond, why=""):
        if cond:
            print("ok %s %s" % (self.label, name))
        else:
            self.failed += 1
            print("FAIL %s %s: %s" % (self.label, name, why))
        return bool(cond)

    @staticmethod
    def norm(f):
        return re.sub(r"\.(constprop|isra|part|cold)(\.\d+)?$", "", f or "?")

    def funcs(self, t):
        return [self.norm(f["function"]) for f in t["frames"]]

    def task(self, key):
        return self.by_task.get(int(self.info[key], 16)) if self.info.get(key) else None


def main():
    v = Verdict(*sys.argv[1:4])
    here = os.path.dirname(os.path.abspath(__file__))
    only = [m for m in os.environ.get("VERDICTS", "").split(",") if m]
    # Every form must hold every task the guest had in D: a dump that lost
    # tasks (see testdata/kdump.sh on makedumpfile and 6.12) fails here, so
    # the modules' partial-dump branches never hide a regression.
    dpids = [int(p) for p in v.info.get("d_state_pids", "").split()]
    v.ok("no D task lost", all(p in v.by_pid for p in dpids),
         "missing %s" % [p for p in dpids if p not in v.by_pid])
    for path in sorted(glob.glob(os.path.join(here, "verdict_*.py"))):
        if only and os.path.basename(path)[len("verdict_"):-3] not in only:
            continue
        spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        try:
            mod.check(v)
        except Exception as e:  # a checker bug is a failure, not a crash of the test
            v.ok(os.path.basename(path), False, "%s: %s" % (type(e).__name__, e))
    sys.exit(1 if v.failed else 0)


main()
