#!/usr/bin/env python3
"""Check `vmss2core --info BUNDLE` against testdata/bundle.sh's facts.json.

usage: bundle_facts.py FACTS.json LISTING PREFIX NAME
LISTING is the --info output; PREFIX is where the host's root lies in the
bundle's paths ("" when the host's directory itself was given, else e.g.
"ROOT/" or "vc-support.tar.gz/esx-….tgz/ROOT/").  Every host, VM and file fact
(host name, version, build, release; VM names, directories, .vmx, vmxCfgPath,
guestOS; each VM's checkpoint files with their stored size and piece count,
its logs; the host logs) must be a line of the listing.  Prints "ok NAME-…" /
"FAIL NAME-…: why" lines.
"""
import json, sys

facts_path, listing_path, prefix, name = sys.argv[1:5]
facts = json.load(open(facts_path))
lines = set(open(listing_path).read().splitlines())
fails = 0


def want(case, line):
    global fails
    if line in lines:
        return True
    near = [l for l in lines if l.split(":")[0] == line.split(":")[0]]
    print(f"FAIL {name}-{case}: missing '{line}'" + (f" (got '{near[0]}')" if near else ""))
    fails += 1
    return False


h = facts["host"]
root = prefix or "."
build = h["build"][len("build-"):] if h["build"].startswith("build-") else h["build"]
if want("host", f"host {h['name']}: root {root}, product VMware ESXi, version {h['version']}, build {build}, "
        f"release {h['release']}"):
    print(f"ok {name}-host")
ok = True
for vm in facts["vms"]:
    ok &= want("vms", f"vm {vm['name']}: dir {prefix}{vm['dir']}, vmx {prefix}{vm['vmx']}, guestOS {vm['guest_os']}, "
               f"host {h['name']}, vmInventory {vm['vmx_cfg_path']}")
    for f in vm["files"]:
        kind = {"vmss": "suspend", "vmem": "vmem", "gz": "suspend"}[f["name"].rsplit(".", 1)[1]]
        n = len(f["pieces"]) or 1
        ok &= want("vms", f"file {prefix}{vm['dir']}/{f['name']}: kind {kind}, vm {vm['name']}, host {h['name']}, "
                   f"{f['size']} bytes, {n} piece{'s' if n > 1 else ''}" + (", gzip" if f["name"].endswith(".gz") else ""))
    for log in vm["logs"]:
        hits = [l for l in lines if l.startswith(f"file {prefix}{log}: kind vm-log, vm {vm['name']}, host {h['name']}, ")]
        if not hits:
            print(f"FAIL {name}-vms: no vm-log line for {prefix}{log}")
            ok = False
for key, log in facts["logs"].items():
    hits = [l for l in lines if l.startswith(f"file {prefix}{log}: kind host-log, vm -, host {h['name']}, ")]
    if not hits:
        print(f"FAIL {name}-host-logs: no host-log line for {prefix}{log}")
        ok = False
if ok:
    print(f"ok {name}-vms-checkpoints-logs")
sys.exit(1 if fails or not ok else 0)
