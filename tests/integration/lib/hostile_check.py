#!/usr/bin/env python3
"""hostile_check.py ROOT WORKDIR - make the hostile archives twice (they must be
byte-identical) and check each with GNU tar / unzip / gzip: the archivers
themselves see the hostile member the manifest names and the legit ones, and
the damaged cases are damaged the way the manifest says.  Prints ok/FAIL lines."""
import json, os, subprocess, sys

ROOT, W = sys.argv[1], sys.argv[2]
fails = 0


def check(n, cond, why):
    global fails
    if cond:
        print("ok hostile_%s" % n)
    else:
        fails += 1
        print("FAIL hostile_%s: %s" % (n, why))


def listing(path):
    cmd = ["unzip", "-Z1", path] if path.endswith(".zip") else ["tar", "-tzf", path]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # GNU tar prints names as stored, including leading '/' and '../'
    return r.returncode, r.stdout.decode("utf-8", "surrogateescape").splitlines(), r.stderr.decode()


outs = []
for k in (1, 2):
    d = os.path.join(W, "h%d" % k)
    subprocess.check_call([sys.executable, os.path.join(ROOT, "testdata/hostile-bundles.py"), d])
    outs.append(d)
m = json.load(open(os.path.join(outs[0], "manifest.json")))
same = all(open(os.path.join(outs[0], f), "rb").read() == open(os.path.join(outs[1], f), "rb").read()
           for f in os.listdir(outs[0]))
check("reproducible", same and sorted(os.listdir(outs[0])) == sorted(os.listdir(outs[1])), "two runs differ")
want = {"dotdot", "absolute", "symlink-out", "symlink-chain", "hardlink-out", "hardlink-to-symlink", "device",
        "fifo", "duplicate", "size-short", "size-long", "truncated-gzip", "frag-gap", "frag-dup",
        "zip-backslash", "deep-nesting"}
check("all_cases", {c["case"] for c in m["cases"]} == want, sorted({c["case"] for c in m["cases"]} ^ want))
D = outs[0]
for c in m["cases"]:
    p = os.path.join(D, c["archive"])
    rc, names, err = listing(p)
    damaged = c["kind"] in ("size-mismatch", "truncated-compression")
    seen = all(h in names for h in c["hostile"]) and all(l in names for l in c["legit"])
    check("%s_listed" % c["case"], seen and (rc != 0) == damaged and c["report"],
          "rc %d, names %s, stderr %s" % (rc, names, err[:120]))
    if not p.endswith(".zip"):
        g = subprocess.call(["gzip", "-t", p], stderr=subprocess.DEVNULL)
        check("%s_gzip" % c["case"], (g != 0) == (c["kind"] == "truncated-compression"), "gzip -t rc %d" % g)
c = {x["case"]: x for x in m["cases"]}
# tar -tv shows the member types the cases claim
tv = lambda case: subprocess.run(["tar", "-tvzf", os.path.join(D, c[case]["archive"])], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL).stdout.decode().splitlines()
types = lambda case: [l[0] for l in tv(case)]
check("device_types", types("device")[-2:] == ["c", "b"], types("device"))
check("fifo_type", types("fifo")[-1] == "p", types("fifo"))
check("symlink_types", types("symlink-out")[2:4] == ["l", "l"] and types("symlink-chain")[2:5] == ["l"] * 3,
      types("symlink-out"))
check("hardlink_types", types("hardlink-out")[-2:] == ["h", "h"] and types("hardlink-to-symlink")[-2:] == ["l", "h"],
      types("hardlink-out") + types("hardlink-to-symlink"))
dup = [n for n in listing(os.path.join(D, c["duplicate"]["archive"]))[1] if n == c["duplicate"]["hostile"][0]]
contents = subprocess.run(["tar", "-xOzf", os.path.join(D, c["duplicate"]["archive"]), c["duplicate"]["hostile"][0]],
                          stdout=subprocess.PIPE).stdout.splitlines()
check("duplicate_differs", len(dup) == 2 and len(contents) == 2 and contents[0] != contents[1], contents)
frag = lambda case: sorted(n.rsplit("-", 1)[1] for n in listing(os.path.join(D, c[case]["archive"]))[1] if ".FRAG-" in n)
check("frag_gap_indices", frag("frag-gap") == ["00000", "00002"], frag("frag-gap"))
check("frag_dup_indices", frag("frag-dup") == ["00000", "00001", "00001"], frag("frag-dup"))
# nesting: unwrap with tar until the innermost bundle
data = open(os.path.join(D, c["deep-nesting"]["archive"]), "rb").read()
depth = 0
while True:
    r = subprocess.run(["tar", "-tzf", "-"], input=data, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    nest = [n for n in r.stdout.decode().splitlines() if n.startswith("nest-")]
    if not nest:
        break
    data = subprocess.run(["tar", "-xOzf", "-", nest[0]], input=data, stdout=subprocess.PIPE).stdout
    depth += 1
inner = subprocess.run(["tar", "-tzf", "-"], input=data, stdout=subprocess.PIPE).stdout.decode().splitlines()
check("deep_nesting_depth", depth == 40 and inner == c["deep-nesting"]["legit"], "depth %d, inner %s" % (depth, inner))
sys.exit(1 if fails else 0)
