#!/usr/bin/env python3
"""bundle_report_check.py LABEL BUNDLEDIR REPORT.json REPORT.txt DOC - check one
`coresummary [--vm NAME] BUNDLE` report of a testdata/bundle.sh bundle against
what the bundle was built from (facts.json: the writer's own record of the
members and of every log line it planted) and the guest's info file (the
deadlock cycles the guest module made: pids, comms, lock addresses), and its
`bundle` object against the fields docs/coresummary.md documents.
Prints ok/FAIL lines; exits 1 if any failed."""
import json, os, re, sys

LABEL, B, RJ, RT, DOC = sys.argv[1:6]
F = json.load(open(os.path.join(B, "facts.json")))
R = json.load(open(RJ))
TXT = open(RT).read()
fails = 0


def check(n, cond, why=""):
    global fails
    if cond:
        print("ok %s_%s" % (LABEL, n))
    else:
        fails += 1
        print("FAIL %s_%s: %s" % (LABEL, n, why))


b = R.get("bundle") or {}


def at(path, rel):
    """path (in the bundle: ROOT/rel in an archive, rel in the extracted directory) is rel"""
    return path == rel or path.endswith("/" + rel)



hung = [v for v in F["vms"] if v["checkpoint"] == "vmss+vmem"][0]
check("target", R.get("target") == "bundle", R.get("target"))
an = b.get("analysed") or {}
check("analysed_vm", an.get("vm") == hung["name"] and at(an.get("checkpoint") or "", hung["dir"] + "/"
      + hung["files"][0]["name"]), an)

# hosts and VMs: what the writer put in (names, guestOS, directories, piece counts)
h = (b.get("hosts") or [{}])[0]
check("host", h.get("name") == F["host"]["name"] and h.get("version") == F["host"]["version"]
      and F["host"]["build"].endswith(h.get("build") or "?"), h)
vms = {v["name"]: v for v in b.get("vms", [])}
check("vm_names", set(vms) == {v["name"] for v in F["vms"]}, sorted(vms))
for fv in F["vms"]:
    v = vms.get(fv["name"], {})
    cps = {os.path.basename(c["path"]): c["pieces"] for c in v.get("checkpoints", [])}
    want = {f["name"]: len(f["pieces"]) or 1 for f in fv["files"]}
    logs = sorted(l["path"].split(fv["dir"] + "/")[-1] for l in v.get("logs", []))
    check("vm_%s" % re.sub(r"\W", "_", fv["name"]),
          v.get("guest_os") == fv["guest_os"] and (v.get("dir") or "").endswith(fv["dir"]) and cps == want
          and logs == sorted(os.path.basename(p) for p in fv["logs"]) and v.get("analysed") == (fv is hung),
          "%s: %s vs %s" % (fv["name"], cps, want))
zd = [os.path.basename(z["path"]) for z in b.get("host_zdumps", [])]
check("zdumps_listed", sorted(zd) == sorted(os.path.basename(p) for p in F["placeholders"]), zd)

# the guest kernel's deadlocks: exactly the cycles of the guest's info file (pids, comms, locks)
threads = {t["tid"]: t for t in R.get("threads", [])}
got = sorted((sorted(c["tids"]), sorted(o.lower() for o in c["objects"])) for c in R["locks"]["cycles"])
want = sorted((sorted(c["pids"]), sorted("0x" + l.lower() for l in c["locks"])) for c in hung["guest"]["deadlock_cycles"])
check("deadlock_cycles", got == want, "%s vs %s" % (got, want))
comms = sorted(sorted(threads[p]["name"] for p in c["tids"] if p in threads) for c in R["locks"]["cycles"])
check("deadlock_comms", comms == sorted(sorted(c["comms"]) for c in hung["guest"]["deadlock_cycles"]), comms)
kinds = [f["kind"] for f in R["findings"]]
check("findings", "deadlock" in kinds and "tools" in kinds and "crash" not in kinds, kinds)

# every event planted in a log of this bundle, at its line, from its member path
missing = []
for e in F["events"]:
    hit = [x for x in R["events"] if at(x["source"], e["file"]) and x["line_no"] == e["line_no"]]
    if not hit or hit[0]["kind"] != e["kind"] or hit[0]["text"] != e["text"]:
        missing.append((e["file"], e["line_no"], e["kind"]))
check("planted_events", not missing, missing[:3])
rpc = [x for x in R["events"] if x["kind"] == "guestrpc-timeout" and x["problem"]]
want_rpc = [e for e in F["events"] if e["kind"] == "guestrpc-timeout" and e["vm"] == hung["name"]]
check("guestrpc_timeout", len(rpc) == len(want_rpc) == 1 and at(rpc[0]["source"], want_rpc[0]["file"])
      and rpc[0]["line_no"] == want_rpc[0]["line_no"], rpc)
dnd = [x for x in R["events"] if x["kind"] == "guestrpc-timeout" and x["channel"] == "toolbox-dnd"]
check("toolbox_dnd_not_a_problem", all(not x["problem"] for x in dnd), dnd)
ud = [x for x in R["events"] if x["kind"] == "userworld-dump"]
check("vmsupport_vmx_dump_not_a_crash", len(ud) == 1 and not ud[0]["problem"], ud)
vmlogs = {l["source"]: l["vm"] for l in R["logs"]}
check("logs_tagged_with_vm", all(vmlogs.get(s) == v["name"] for v in F["vms"] for s in vmlogs
                                 if s.endswith(tuple(v["logs"]))) and len(vmlogs) >= len(hung["logs"]), vmlogs)

# the documented fields: every key of the bundle object is in docs/coresummary.md's bundle section
doc = open(DOC).read()
sec = doc[doc.find("### `bundle`"):]
sec = sec[:sec.find("\n### ", 5)] if "\n### " in sec[5:] else sec
keys = set(b) | {k for v in b.get("vms", []) for k in v} | {k for h2 in b.get("hosts", []) for k in h2} | \
       {k for v in b.get("vms", []) for c in v.get("checkpoints", []) for k in c}
undoc = sorted(k for k in keys if "`%s`" % k not in sec)
check("json_fields_documented", sec and not undoc, undoc)

# the text report: the inventory first, the VM named, the verdict with the guest's deadlocks and the timeout
inv = TXT.find("== bundle ==")
check("text_inventory_first", 0 < inv < TXT.find("== verdict ==") and
      re.search(r"^vm: +%s .*\[analysed\]$" % re.escape(hung["name"]), TXT, re.M), TXT[:300])
verdict = TXT[TXT.find("== verdict =="):]
verdict = verdict[:verdict.find("\n\n")]
ok_dl = all(all('pid %d "%s"' % (p, c) in verdict for p, c in zip(cy["pids"], cy["comms"]))
            for cy in hung["guest"]["deadlock_cycles"])
check("text_verdict", ok_dl and re.search(r"^tools: GuestRPC .*toolbox", verdict, re.M) and "\ncrash:" not in verdict,
      verdict[:400])
check("text_timeline", re.search(r"guestrpc-timeout: .*\(%s: vmware\.log:%d\)" % (re.escape(hung["name"]),
                                  want_rpc[0]["line_no"]), TXT) is not None, "no timeout line in the timeline")
sys.exit(1 if fails else 0)
