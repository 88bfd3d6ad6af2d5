#!/usr/bin/env python3
"""bundle_check.py CORESUMMARY ROOT BUNDLEDIR [WORKDIR] - check a testdata/bundle.sh
bundle against independent tools and data: GNU tar, xz, unzip, gzip, xmllint,
cmp, sha256sum, the guest's own info/serial.log, testdata/vmssread.py (a checkpoint reader
sharing no code with the writer), and `coresummary LOGFILE` for the log lines.
Prints "ok NAME" / "FAIL NAME: why"; exit 1 if any failed.
WORKDIR (default: a temporary directory) receives the extracted archive."""
import datetime, json, os, re, shutil, subprocess, sys, tempfile

CS, ROOT, B = sys.argv[1], sys.argv[2], sys.argv[3]
F = json.load(open(os.path.join(B, "facts.json")))
TAG = "%s-%s" % (F["layout"], F["order"])
fails = 0


def ok(n):
    print("ok %s_%s" % (TAG, n))


def fail(n, why):
    global fails
    fails += 1
    print("FAIL %s_%s: %s" % (TAG, n, why))


def check(n, cond, why):
    ok(n) if cond else fail(n, why)


def run(*cmd, data=None):
    r = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return r.returncode, r.stdout, r.stderr


def names(out):
    return out.decode("utf-8", "surrogateescape").splitlines()


def sha(path):
    return subprocess.check_output(["sha256sum", path]).split()[0].decode()


def cat_cmp(pieces, original):
    """cat PIECES | cmp - ORIGINAL (the shell tools, not our code)."""
    p1 = subprocess.Popen(["cat"] + pieces, stdout=subprocess.PIPE)
    rc = subprocess.call(["cmp", "-", original], stdin=p1.stdout, stdout=subprocess.DEVNULL)
    p1.stdout.close()
    return p1.wait() == 0 and rc == 0


def utc(s):
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.datetime.strptime(s, fmt).replace(tzinfo=datetime.timezone.utc).timestamp()
        except ValueError:
            pass
    raise ValueError(s)


def info(gdir):
    d = {}
    for line in open(os.path.join(gdir, "info")):
        k, _, v = line.rstrip("\n").partition("=")
        d[k] = v
    return d


arch = F["archives"]
members = F["members"]
tgz = os.path.join(B, arch["tgz"])
root = F["root"]
work = sys.argv[4] if len(sys.argv) > 4 else tempfile.mkdtemp()

# --- archive listings by the archivers themselves
rc, out, err = run("gzip", "-t", tgz)
check("tgz_gzip_t", rc == 0, err.decode()[:200])
rc, out, err = run("tar", "-tzf", tgz)
check("tgz_members_in_order", rc == 0 and names(out) == members,
      "tar -tzf differs from facts members (rc %d, %d vs %d names)" % (rc, len(names(out)), len(members)))
m = re.match(r"^esx-(.+)-(\d{4}-\d\d-\d\d)--(\d\d)\.(\d\d)-(\d+)$", root)
check("root_name", m and m.group(1) == F["host"]["name"] and arch["tgz"] == root + ".tgz",
      "root %s / %s" % (root, arch["tgz"]))
if "txz" in arch:
    txz = os.path.join(B, arch["txz"])
    rc, out, err = run("xz", "-t", txz)
    check("txz_xz_t", rc == 0, err.decode()[:200])
    rc, out, err = run("tar", "-tJf", txz)
    check("txz_members_in_order", rc == 0 and names(out) == members, "tar -tJf differs (rc %d)" % rc)
if "zip" in arch:
    z = os.path.join(B, arch["zip"])
    rc, out, err = run("unzip", "-tq", z)
    check("zip_unzip_t", rc == 0, (out + err).decode()[:200])
    rc, out, err = run("unzip", "-Z1", z)
    check("zip_members_in_order", rc == 0 and names(out) == members, "unzip -Z1 differs (rc %d)" % rc)
if "vc" in arch:
    vc = os.path.join(B, arch["vc"])
    rc, out, err = run("gzip", "-t", vc)
    rc2, out2, _ = run("tar", "-tzf", vc)
    check("vc_wrapper_members", rc == 0 and rc2 == 0 and names(out2) == arch["vc_members"],
          "gzip -t rc %d, tar -tzf %s" % (rc, names(out2)))
    p = subprocess.Popen(["tar", "-xOzf", vc, arch["tgz"]], stdout=subprocess.PIPE)
    same = subprocess.call(["cmp", "-", tgz], stdin=p.stdout, stdout=subprocess.DEVNULL) == 0
    p.stdout.close()
    check("vc_wrapper_holds_host_tgz", p.wait() == 0 and same, "tar -xOzf | cmp differs")
    pieces = [os.path.join(B, x) for x in arch["vc_frag"]]
    sizes = [os.path.getsize(x) for x in pieces]
    check("vc_frag_pieces", cat_cmp(pieces, vc) and all(s == 10485760 for s in sizes[:-1])
          and 0 < sizes[-1] <= 10485760 and all(x.endswith(".FRAG-%05d" % i) for i, x in enumerate(pieces)),
          "pieces %s" % sizes)

# --- the member order the option asks for (from tar's own listing)
rc, out, err = run("tar", "-tzf", tgz)
listing = names(out)
vm1 = F["vms"][0]
vmss_i = [i for i, n in enumerate(listing) if n.startswith(root + "/" + vm1["dir"] + "/") and ".vmss" in n]
vmem_i = [i for i, n in enumerate(listing) if n.startswith(root + "/" + vm1["dir"] + "/") and ".vmem" in n]
vmx_i = listing.index(root + "/" + vm1["vmx"])
if F["order"] == "vmss-first":
    check("order_vmss_first", vmss_i and vmem_i and max(vmss_i) < min(vmem_i) and vmx_i < min(vmss_i),
          "vmss %s.. vmem %s.. vmx %d" % (vmss_i[:1], vmem_i[:1], vmx_i))
else:
    check("order_vmem_first", vmss_i and vmem_i and max(vmem_i) < min(vmss_i) and
          listing[min(vmem_i):max(vmem_i) + 1] == sorted(listing[min(vmem_i):max(vmem_i) + 1]),
          "vmss %s.. vmem %s.." % (vmss_i[:1], vmem_i[:1]))

# --- extract with GNU tar; the cached tree must be the same bytes
x = os.path.join(work, "x")
os.makedirs(x)
rc, out, err = run("tar", "-xzf", tgz, "-C", x)
check("tgz_extracts", rc == 0, err.decode()[:200])
rc, out, err = run("diff", "-r", os.path.join(B, arch["dir"]), os.path.join(x, root))
check("tree_equals_tgz", rc == 0, (out + err).decode()[:300])
R = os.path.join(x, root)

# --- host files
vl = open(os.path.join(R, "commands/vmware_-vl.txt")).read().splitlines()
check("vmware_vl", vl[0] == "VMware ESXi %s %s" % (F["host"]["version"], F["host"]["build"]), vl)
readme = open(os.path.join(R, "README")).read()
cap = re.search(r"^Captured on: (\d{4}-\d\d-\d\d) (\d\d):(\d\d):\d\d\.\d+$", readme, re.M)
check("readme_captured_on_matches_root", cap and m and cap.groups() == (m.group(2), m.group(3), m.group(4)),
      readme[:200])
inv = os.path.join(R, "etc/vmware/hostd/vmInventory.xml")
rc, out, err = run("xmllint", "--noout", inv)
check("inventory_xmllint", rc == 0, err.decode()[:200])
rc, out, err = run("xmllint", "--xpath", "//ConfigEntry/vmxCfgPath/text()", inv)
paths = names(out)
check("inventory_paths", rc == 0 and paths == [v["vmx_cfg_path"] for v in F["vms"]] and
      all(p.startswith("/vmfs/volumes/") and os.path.isfile(os.path.join(R, p[1:])) for p in paths),
      "xmllint paths %s" % paths)
bad = []
for v in F["vms"]:
    vmx = open(os.path.join(R, v["vmx"])).read()
    dn = re.search(r'^displayName = "(.*)"$', vmx, re.M)
    go = re.search(r'^guestOS = "(.*)"$', vmx, re.M)
    if not dn or dn.group(1) != v["name"] or not go or go.group(1) != v["guest_os"]:
        bad.append(v["vmx"])
check("vmx_display_names", not bad, "wrong displayName/guestOS in %s" % bad)
zd = os.path.join(R, F["placeholders"][0])
check("zdump_placeholder_marked", open(zd, "rb").read().startswith(b"COREKIT-PLACEHOLDER"), zd)

# --- checkpoints: FRAG pieces reassembled with cat equal the originals
ck = os.path.join(work, "ck")
os.makedirs(ck)
for v in F["vms"]:
    for f in v["files"]:
        d = os.path.join(R, v["dir"])
        tag = f["name"].replace(" ", "_")
        if f["pieces"]:
            pieces = sorted(n for n in os.listdir(d) if n.startswith(f["name"] + ".FRAG-"))
            sizes = [os.path.getsize(os.path.join(d, p)) for p in pieces]
            check("frag_names_%s" % tag, pieces == f["pieces"] ==
                  ["%s.FRAG-%05d" % (f["name"], i) for i in range(len(pieces))] and
                  os.path.exists(os.path.join(d, f["name"])) is False, "pieces %s" % pieces[:3])
            check("frag_sizes_%s" % tag, all(s == F["frag_size"] for s in sizes[:-1]) and 0 < sizes[-1] <= F["frag_size"]
                  and sum(sizes) == f["size"] and f["size"] > F["frag_size"], "sizes %s.." % sizes[:3])
            with open(os.path.join(ck, f["name"]), "wb") as o:
                subprocess.check_call(["cat"] + [os.path.join(d, p) for p in pieces], stdout=o)
        else:
            check("whole_%s" % tag, f["size"] <= F["frag_size"], "%d bytes not split" % f["size"])
            shutil.copyfile(os.path.join(d, f["name"]), os.path.join(ck, f["name"]))
        got = os.path.join(ck, f["name"])
        if f.get("original"):
            orig = f["original"] if os.path.isabs(f["original"]) else os.path.join(B, f["original"])
            check("cat_pieces_cmp_original_%s" % tag, subprocess.call(["cmp", got, orig]) == 0, orig)
        check("sha256_%s" % tag, sha(got) == f["sha256"], "sha256 differs")

# the hung VM's checkpoint: its RAM and registers are the guest's (vmssread.py)
g1 = vm1["guest"]["guest_dir"]
vmss1 = [f["name"] for f in vm1["files"] if f["name"].endswith(".vmss")][0]
rc, out, err = run(sys.executable, os.path.join(ROOT, "testdata/vmssread.py"), "check", g1, os.path.join(ck, vmss1))
check("vm1_checkpoint_is_guest_ram_and_regs", rc == 0 and out.startswith(b"ok"), (out + err).decode()[:300])
check("vm1_checkpoint_names_vm", ('displayName = "%s"' % vm1["name"]).encode() in open(os.path.join(ck, vmss1), "rb").read(),
      "displayName of the .vmx not in the checkpoint's cfgFile")
# what the bundle analysis must find there: the guest's own deadlock cycles (info file)
rc, out, err = run(CS, "--json", os.path.join(ck, vmss1))
dl = sorted(sorted(f["tids"]) for f in json.loads(out)["findings"] if f["kind"] == "deadlock") if rc == 0 else None
check("vm1_checkpoint_deadlocks_are_facts", dl == sorted(sorted(c["pids"]) for c in vm1["guest"]["deadlock_cycles"]),
      "coresummary rc %d deadlocks %s" % (rc, dl))
vmem_orig = [f["original"] for f in vm1["files"] if f["name"].endswith(".vmem")][0]
check("vm1_vmem_is_fixture_vmem", os.path.dirname(vmem_orig) == F["fixtures_dir"] and
      re.match(r"vmem-.*\.vmem$", os.path.basename(vmem_orig)), vmem_orig)
for v in F["vms"][1:]:
    if v["checkpoint"] != "vmss.gz":
        continue
    gz = os.path.join(ck, v["files"][0]["name"])
    rc, _, err = run("gzip", "-t", gz)
    vmss = gz[:-3]
    with open(vmss, "wb") as o:
        rc2 = subprocess.call(["gzip", "-dc", gz], stdout=o)
    rc3, out, err3 = run(sys.executable, os.path.join(ROOT, "testdata/vmssread.py"), "check", v["guest"]["guest_dir"], vmss)
    check("vm_gz_checkpoint_is_guest_%s" % v["guest"]["shape"], rc == 0 and rc2 == 0 and rc3 == 0 and
          sha(vmss) == v["vmss_sha256"], "gzip -t %d, gunzip %d, vmssread: %s" % (rc, rc2, (out + err3).decode()[:200]))
    rc, out, err = run(CS, "--json", vmss)
    kinds = [f["kind"] for f in json.loads(out)["findings"]] if rc == 0 else None
    check("vm_gz_checkpoint_no_deadlock_%s" % v["guest"]["shape"], kinds is not None and "deadlock" not in kinds
          and not v["guest"]["deadlock_cycles"], "coresummary rc %d findings %s" % (rc, kinds))
    os.unlink(vmss)

# --- ground truth of the guest: from its info file and console
i1 = info(g1)
serial = open(os.path.join(g1, "serial.log"), errors="replace").read()
reported = set(re.findall(r"INFO: task (\S+):(\d+) blocked for more than", serial))
cyc = vm1["guest"]["deadlock_cycles"]
want = [[int(i1["dl_ab_pid"]), int(i1["dl_ba_pid"])]]
if "cyc1_pid" in i1:
    want.append([int(i1["cyc%d_pid" % k]) for k in (1, 2, 3)])
check("facts_deadlock_pids_from_info", [c["pids"] for c in cyc] == want, "%s vs %s" % (cyc, want))
check("facts_deadlock_pids_hung_on_console",
      all((comm, str(pid)) in reported for c in cyc for comm, pid in zip(c["comms"], c["pids"])),
      "console reports %s" % sorted(reported)[:6])

# --- logs: coresummary finds exactly the planted events, on the lines the facts name
planted = {}
for e in F["events"]:
    planted.setdefault(e["file"], []).append(e)
all_logs = [l for v in F["vms"] for l in v["logs"]] + [F["logs"]["vmkernel"]]
for rel in all_logs:
    rc, out, err = run(CS, "--json", os.path.join(R, rel))
    tag = rel.split("/")[-2].replace(" ", "_") + "_" + os.path.basename(rel) if "vmfs/" in rel else os.path.basename(rel)
    if rc != 0:
        fail("log_%s" % tag, "coresummary exit %d: %s" % (rc, err.decode()[:200]))
        continue
    d = json.loads(out)
    got = sorted((e["kind"], e["line_no"], e["text"]) for e in d["events"])
    want = sorted((e["kind"], e["line_no"], e["text"]) for e in planted.get(rel, []))
    check("log_events_%s" % tag, got == want, "coresummary %s, planted %s" % (got, want))
    lg = d["logs"][0]
    if os.path.basename(rel).startswith("vmware"):
        hdr = open(os.path.join(R, rel)).readline()
        ver = re.search(r"version=(\S+) build=(\S+)", hdr)
        check("log_header_%s" % tag, lg["format"] == "vmware.log" and ver and (lg["version"], lg["build"]) ==
              ver.groups() and lg["host"] == F["host"]["name"], "%s" % lg)
    else:
        check("log_format_%s" % tag, lg["format"] == "vmkernel.log", "%s" % lg)
rc, out, err = run(CS, "--json", os.path.join(R, F["logs"]["hostd"]))
check("log_format_hostd", rc == 0 and json.loads(out)["logs"][0]["format"] == "hostd.log", (out + err).decode()[:200])
# the current vmware.log header names the host's ESXi (commands/vmware_-vl.txt)
hdr = open(os.path.join(R, vm1["dir"], "vmware.log")).readline()
check("vmware_log_version_is_host_version", "version=%s build=%s" % (F["host"]["version"], F["host"]["build"]) in hdr
      and vl[0].endswith("%s %s" % (F["host"]["version"], F["host"]["build"])), hdr)

# --- times: the hung VM's log agrees with the guest (power-on, console, stop)
ev = {e["kind"]: utc(e["text"].split(" ")[0]) for e in planted[vm1["logs"][0]]}
built = utc(i1["built"])
p, s = built - int(i1["total_seconds"]), built - int(i1["dump_seconds"])
first_hung = min(float(u) for u in re.findall(r"\[\s*(\d+\.\d+)\] INFO: task \S+ blocked for more than", serial))
check("times_consistent_with_guest",
      p <= ev["power-on"] < p + first_hung < ev["guestrpc-timeout"] < ev["tools-heartbeat"] < ev["suspend"] <= s
      < ev["vmx-exit"] < utc(F["captured_utc"]), "power-on %s, guest P %s S %s, events %s" % (ev["power-on"], p, s, ev))
uw = [e for e in F["events"] if e["kind"] == "userworld-dump"]
check("vmkernel_userdump_names_zdump", len(uw) == 1 and ("/" + F["placeholders"][0]) in uw[0]["text"] and
      ev["tools-heartbeat"] < utc(uw[0]["text"].split(" ")[0]) < ev["suspend"], "%s" % uw)

shutil.rmtree(x)
shutil.rmtree(ck)
sys.exit(1 if fails else 0)
