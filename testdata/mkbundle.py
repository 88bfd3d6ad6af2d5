#!/usr/bin/env python3
"""mkbundle.py - write an ESXi vm-support bundle around real guest checkpoints.

Called by testdata/bundle.sh (which caches the result); python3 stdlib only,
plus GNU tar, gzip and xz for the archives.  Layout facts come from
shared/reference/vmware-checkpoint.md section 7 and esxi-zdump-and-logs.md
sections 2-4; every log line has the shape of a real line in
testdata/log-samples (the file is named next to each writer below).

  mkbundle.py --guest GDIR --fixtures FXDIR [--other GDIR2] --out DIR
              [--frag-size N] [--order vmem-first|vmss-first] [--layout full|bench]

VMs (full layout; bench has only the first):
  1. displayName "pg-primary-01" in directory pgsql-01/ (renamed after it was
     created, so the directory and file names differ from the displayName):
     suspended by vm-support's hung-VM flow.  pgsql-01.vmss + .vmem made by
     mkvmss.py from GDIR (the same RAM as FXDIR's vmem-*.vmem), split into
     FRAG pieces.
  2. "ldap-02": suspended earlier, its checkpoint (RAM embedded, guest GDIR2)
     gzip-compressed as ldap-02.vmss.gz (what vm-support -Z leaves), also in
     pieces when larger than the piece size.
  3. "build agent 3" (spaces in the name): running, no checkpoint.
Outputs in DIR: tree/ROOT/ (the bundle as extracted), ROOT.tgz, and for full
ROOT.tar.xz, ROOT.zip, vc-support.tar.gz (+ vc-frag/ pieces of it),
orig/ (the first VM's .vmss before splitting) and facts.json.
"""
import argparse, datetime, gzip, hashlib, json, os, re, shutil, subprocess, sys, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = 4096
HOST = "esxi07.corp.example"
ESX_VERSION, ESX_BUILD, ESX_RELEASE = "8.0.1", "build-21495797", "VMware ESXi 8.0 Update 1"
OLD_VERSION, OLD_BUILD = "6.5.0", "build-6765664"     # the host before its upgrade (rotated logs)
DS1 = "6554a3f1-2c9e81d0-7b3a-0050569c41e2"          # VMFS datastore by UUID, as hostd records it
DS2 = "datastore2"                                   # a datastore by its name
VMSUPPORT_PID = 2119876
HOSTD_PID = 2099020
VC_FRAG = 10485760      # vCenter's vc-support.tar.gz.FRAG-NNNNN size (fact sheet section 7.2)
# A real ESXi .vmss holds device state (SVGA memory, ...) and is several MB;
# mkvmss.py writes only CPU state and the memory layout (25 KiB).  Its tail is
# zero-padded to this size, as mkvmss itself pads small files, so that the
# "larger than 1 MB" rule splits it like a real one (3 pieces at 1 MiB).
VMSS_SIZE = 2 * 1048576 + 12345


def die(msg):
    sys.stderr.write("mkbundle: %s\n" % msg)
    sys.exit(3)


def read_info(gdir):
    info = {}
    with open(os.path.join(gdir, "info")) as f:
        for line in f:
            k, sep, v = line.rstrip("\n").partition("=")
            if sep:
                info[k] = v
    return info


def utc(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def iso(t):
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


class Log:
    """Lines of one log file; events planted in it are recorded with their line number."""

    def __init__(self, rel):
        self.rel, self.lines, self.events, self.mtime = rel, [], [], 0

    def add(self, t, line, kind=None):
        self.lines.append(line)
        self.mtime = max(self.mtime, int(t))
        if kind:
            self.events.append({"file": self.rel, "line_no": len(self.lines), "kind": kind, "text": line})

    def text(self):
        return "".join(l + "\n" for l in self.lines)


# vmware.log, ESXi 8: "TIME In(05) THREAD OPID|- MSG" (vmx-15 ESXi 8.0.1 header, vmx-16)
def g4(log, t, thread, msg, sev="In(05)", opid="-", kind=None):
    log.add(t, "%s %s %s %s %s" % (iso(t), sev, thread, opid, msg), kind)


# vmware.log, ESXi 5.x-7.x: "TIME| THREAD| I125: MSG" (vmx-15 ESXi 6.5 header, vmx-06, vmx-18)
def g3(log, t, thread, msg, lvl="I125", kind=None):
    log.add(t, "%s| %s| %s: %s" % (iso(t), thread, lvl, msg), kind)


# vmkernel.log, ESXi 8: "TIME In(182) vmkernel: cpuN:WORLD[ opID=X])BODY" (vmk-09, vmk-08)
def vmk(log, t, cpu, world, body, opid=None, kind=None):
    log.add(t, "%s In(182) vmkernel: cpu%d:%d%s)%s" % (iso(t), cpu, world, " opID=" + opid if opid else "", body), kind)


# hostd.log, ESXi 8: "TIME In(166) Hostd[PID]: [Originator@6876 sub=X[ opID=Y]] MSG" (vmk-08, vmk-09, vmx-16)
def hostd(log, t, sub, msg, opid=None, sev="In(166)"):
    log.add(t, "%s %s Hostd[%d]: [Originator@6876 sub=%s%s] %s" % (
        iso(t), sev, HOSTD_PID, sub, " opID=" + opid if opid else "", msg))


def vmx_header_g4(log, t, pid):
    # The first lines carry a later time than the ones after them (vmx-15).
    for m in ("Log for VMware ESX pid=%d version=%s build=%s option=Release" % (pid, ESX_VERSION, ESX_BUILD),
              "The host is x86_64.", "Host codepage=UTF-8 encoding=UTF-8", "Host offset from UTC is +00:00."):
        g4(log, t + 0.052, "vmx", m)
    g4(log, t, "vmx", 'VTHREAD %d "vmx" wid %d' % (617309888896 + pid, pid))
    g4(log, t, "vmx", "Msg_SetLocaleEx: HostLocale=UTF-8 UserLocale=NULL")
    g4(log, t + 0.061, "vmx", "Hostname=%s" % HOST)


def vmx_header_g3(log, t, pid):
    for m in ("Log for VMware ESX pid=%d version=%s build=%s option=Release" % (pid, OLD_VERSION, OLD_BUILD),
              "The process is 64-bit.", "Host codepage=UTF-8 encoding=UTF-8", "Host is VMkernel %s" % OLD_VERSION):
        g3(log, t + 0.009, "vmx", m)
    g3(log, t, "vmx", 'VTHREAD initialize main thread 0 "vmx" tid %d' % pid)
    g3(log, t + 0.011, "vmx", "Hostname=%s" % HOST)


POWER_ON = "VMXVmdbCbVmVmxExecState: Exec state change requested to state poweredOn without reset"
SUSPEND = "VMXVmdbCbVmVmxExecState: Exec state change requested to state suspended without reset"
EXIT0 = "VMX has left the building: 0."


def vmx_text(vm, mem_mb, vcpus):
    # Keys as a .vmx has them; checkpoint.vmState names the suspend file.
    lines = ['.encoding = "UTF-8"', 'config.version = "8"', 'virtualHW.version = "20"',
             'displayName = "%s"' % vm["name"], 'guestOS = "%s"' % vm["guest_os"],
             'memSize = "%d"' % mem_mb, 'numvcpus = "%d"' % vcpus,
             'scsi0.present = "TRUE"', 'scsi0.virtualDev = "pvscsi"',
             'scsi0:0.present = "TRUE"', 'scsi0:0.fileName = "%s.vmdk"' % vm["base"],
             'ethernet0.present = "TRUE"', 'ethernet0.virtualDev = "vmxnet3"',
             'ethernet0.networkName = "VM Network"', 'tools.syncTime = "FALSE"',
             'nvram = "%s.nvram"' % vm["base"]]
    if vm.get("vmstate"):
        lines.append('checkpoint.vmState = "%s"' % vm["vmstate"])
    return "".join(l + "\n" for l in lines)


def vmdk_text(base, sectors):
    return ("# Disk DescriptorFile\nversion=1\nencoding=\"UTF-8\"\nCID=fffffffe\nparentCID=ffffffff\n"
            "createType=\"vmfs\"\n\n# Extent description\nRW %d VMFS \"%s-flat.vmdk\"\n\n"
            "# The Disk Data Base\n#DDB\n\nddb.adapterType = \"pvscsi\"\nddb.virtualHWVersion = \"20\"\n"
            % (sectors, base))


def sparse_copy_range(src, dst_path, off, n):
    """Write n bytes of src from off into dst_path, leaving zero pages as holes."""
    with open(dst_path, "wb") as d:
        src.seek(off)
        left = n
        while left:
            c = src.read(min(left, 1 << 20))
            if not c:
                die("short read in %s" % src.name)
            for i in range(0, len(c), PAGE):
                p = c[i:i + PAGE]
                if p.count(0) == len(p):
                    d.seek(len(p), 1)
                else:
                    d.write(p)
            left -= len(c)
        d.truncate(n)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for c in iter(lambda: f.read(1 << 20), b""):
            h.update(c)
    return h.hexdigest()


def place(src, dst_dir, name, frag, mtime):
    """Put file src into dst_dir as name, or as name.FRAG-00000... pieces of frag bytes
    when larger than frag (vm-support's rule); returns its facts."""
    size = os.path.getsize(src)
    fact = {"name": name, "size": size, "sha256": sha256(src), "pieces": []}
    if size > frag:
        with open(src, "rb") as f:
            for i, off in enumerate(range(0, size, frag)):
                piece = "%s.FRAG-%05d" % (name, i)
                sparse_copy_range(f, os.path.join(dst_dir, piece), off, min(frag, size - off))
                os.utime(os.path.join(dst_dir, piece), (mtime, mtime))
                fact["pieces"].append(piece)
    else:
        with open(src, "rb") as f:
            sparse_copy_range(f, os.path.join(dst_dir, name), 0, size)
        os.utime(os.path.join(dst_dir, name), (mtime, mtime))
    return fact


def write(path, text, mtime):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.utime(path, (mtime, mtime))


def first_hung_uptime(gdir):
    """Kernel uptime of the guest's first hung-task report (None if it has none)."""
    with open(os.path.join(gdir, "serial.log"), errors="replace") as f:
        for line in f:
            m = re.search(r"\[\s*(\d+\.\d+)\] INFO: task \S+ blocked for more than", line)
            if m:
                return float(m.group(1))
    return None


def last_uptime(gdir):
    last = 0.0
    with open(os.path.join(gdir, "serial.log"), errors="replace") as f:
        for line in f:
            m = re.search(r"\[\s*(\d+\.\d+)\]", line)
            if m:
                last = max(last, float(m.group(1)))
    return last


def guest_times(gdir, info):
    """Power-on, kernel start and stop (suspend) instants of a guest.dir build:
    QEMU started total_seconds before 'built'; the VM was stopped dump_seconds before it."""
    built = utc(info["built"])
    p = built - int(info["total_seconds"])
    s = built - int(info["dump_seconds"])
    k0 = p + 1.0            # BIOS and boot loader before the kernel's uptime 0 (approximate)
    if k0 + last_uptime(gdir) >= s:
        die("%s: the console runs past the stop time; cannot place the log events" % gdir)
    return p, k0, s


def run(cmd, **kw):
    r = subprocess.run(cmd, **kw)
    if r.returncode:
        die("%s failed (exit %d)" % (" ".join(cmd[:3]), r.returncode))


def mkvmss(gdir, out, name, embed):
    run([sys.executable, os.path.join(HERE, "mkvmss.py"), "--guest", gdir, "--out", out, "--magic", "0xbed2bed2",
         "--regs", "both", "--name", name, "--embed" if embed else "--vmem"], stdout=subprocess.DEVNULL)


def guest_facts(gdir, info):
    ints = lambda k: [int(x) for x in info.get(k, "").replace(",", " ").split()]
    cycles = []
    if "dl_ab_pid" in info:
        cycles.append({"kind": "abba", "pids": [int(info["dl_ab_pid"]), int(info["dl_ba_pid"])],
                       "comms": ["dl_ab", "dl_ba"], "locks": [info["lock_a"], info["lock_b"]]})
    if "cyc1_pid" in info:
        cycles.append({"kind": "mutex-rwsem-cycle", "pids": [int(info["cyc%d_pid" % i]) for i in (1, 2, 3)],
                       "comms": ["dl_cyc1", "dl_cyc2", "dl_cyc3"],
                       "locks": [info["cyc_m1"], info["cyc_m2"], info["cyc_rwsem"]]})
    return {"guest_dir": gdir, "shape": info.get("shape"), "kver": info.get("kver"),
            "vcpus": int(info["vcpus"]), "mem_mb": int(info["mem_mb"]),
            "deadlock_cycles": cycles, "d_state_pids": sorted(ints("d_state_pids")),
            "hung_task_reports": info.get("hung_task_reports", "").split()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--guest", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--other")
    ap.add_argument("--out", required=True)
    ap.add_argument("--frag-size", type=int, default=1048576)
    ap.add_argument("--order", choices=("vmem-first", "vmss-first"), default="vmem-first")
    ap.add_argument("--layout", choices=("full", "bench"), default="full")
    a = ap.parse_args()
    if a.frag_size < PAGE or a.frag_size % PAGE:
        die("--frag-size must be a multiple of 4096")
    full = a.layout == "full"
    if full and not a.other:
        die("the full layout needs --other (the second VM's guest)")
    out = a.out
    stage = os.path.join(out, "stage")
    os.makedirs(stage)

    info1 = read_info(a.guest)
    p1, k1, s1 = guest_times(a.guest, info1)
    hung = first_hung_uptime(a.guest)
    t_hung = k1 + hung if hung is not None else p1 + int(info1.get("boot_seconds", 10)) / 2
    span = s1 - t_hung
    vms = [{"name": "pg-primary-01", "base": "pgsql-01", "ds": DS1, "guest_os": "debian12-64",
            "vmstate": "pgsql-01.vmss", "info": info1, "gdir": a.guest}]
    if full:
        info2 = read_info(a.other)
        p2, k2, s2 = guest_times(a.other, info2)
        vms.append({"name": "ldap-02", "base": "ldap-02", "ds": DS1, "guest_os": "debian12-64",
                    "vmstate": "ldap-02.vmss", "info": info2, "gdir": a.other})
        vms.append({"name": "build agent 3", "base": "build agent 3", "ds": DS2, "guest_os": "ubuntu-64",
                    "info": None, "gdir": None})
    captured = max(s1, s2 if full else s1) + 150.0
    # between the guest's first hung-task report and the stop: Tools give up,
    # then vm-support's hung-VM flow runs (screenshot, vmx core, suspend)
    at = lambda frac: t_hung + frac * span
    vm_support_start = at(0.6)

    date = datetime.datetime.fromtimestamp(captured, datetime.timezone.utc)
    root = "esx-%s-%s-%d" % (HOST, date.strftime("%Y-%m-%d--%H.%M"), VMSUPPORT_PID)
    tree = os.path.join(out, "tree")
    R = os.path.join(tree, root)
    os.makedirs(R)
    cap = int(captured)
    facts = {"shape": info1.get("shape"), "layout": a.layout, "order": a.order, "frag_size": a.frag_size,
             "host": {"name": HOST, "version": ESX_VERSION, "build": ESX_BUILD, "release": ESX_RELEASE},
             "root": root, "captured_utc": iso(captured), "fixtures_dir": a.fixtures,
             "vms": [], "events": [], "placeholders": []}

    # --- host files (esxi-zdump-and-logs.md section 4)
    write(os.path.join(R, "README"),
          "Options: corekit test bundle (testdata/mkbundle.py): hung VM %s suspended\nCaptured on: %s\n"
          % (vms[0]["name"], date.strftime("%Y-%m-%d %H:%M:%S.%f")), cap)
    write(os.path.join(R, "commands", "vmware_-vl.txt"),
          "VMware ESXi %s %s\n%s\n" % (ESX_VERSION, ESX_BUILD, ESX_RELEASE), cap)
    write(os.path.join(R, "commands", "uname_-a.txt"),
          "VMkernel %s %s #1 SMP Release %s x86_64 x86_64 x86_64 ESXi\n" % (HOST, ESX_VERSION, ESX_BUILD), cap)
    inv = ['<ConfigRoot>']
    for i, vm in enumerate(vms):
        vm["dir"] = "vmfs/volumes/%s/%s" % (vm["ds"], vm["base"])
        vm["vmx_cfg_path"] = "/%s/%s.vmx" % (vm["dir"], vm["base"])
        inv += ['  <ConfigEntry id="%04d">' % i, "    <objID>%d</objID>" % (i + 1), "    <secDomain/>",
                "    <vmxCfgPath>%s</vmxCfgPath>" % vm["vmx_cfg_path"], "  </ConfigEntry>"]
    inv.append("</ConfigRoot>")
    write(os.path.join(R, "etc", "vmware", "hostd", "vmInventory.xml"), "\n".join(inv) + "\n", cap)
    running = [vm for vm in vms if not vm.get("vmstate")]
    write(os.path.join(R, "commands", "localcli_vm-process-list.txt"), "".join(
        "%s\n   World ID: %d\n   Process ID: 0\n   VMX Cartel ID: %d\n   Display Name: %s\n   Config File: %s\n\n"
        % (vm["name"], 2135170, 2135160, vm["name"], vm["vmx_cfg_path"]) for vm in running), cap)
    # vm-support's hung-VM flow takes a vmx core before it suspends the VM
    # (reference 7.1); this one is only a marked placeholder: no zdump format is public.
    zdump = "var/core/vmx-zdump.000"
    write(os.path.join(R, zdump), "COREKIT-PLACEHOLDER: not a real zdump.  testdata/mkbundle.py writes this "
          "text where vm-support would leave the VMX core of %s; nothing in it is dump data.\n" % vms[0]["name"],
          int(at(0.8)))
    facts["placeholders"].append(zdump)

    # --- per-VM files and logs
    logs = []
    vmk_log = Log("var/run/log/vmkernel.log")
    hostd_log = Log("var/run/log/hostd.log")
    wid1, cartel1 = 2115351, 2115340
    for vm in vms:
        d = os.path.join(R, vm["dir"])
        os.makedirs(d)
        info = vm["info"]
        mem_mb = int(info["mem_mb"]) if info else 4096
        vcpus = int(info["vcpus"]) if info else 2
        write(os.path.join(d, vm["base"] + ".vmx"), vmx_text(vm, mem_mb, vcpus), cap - 3600)
        write(os.path.join(d, vm["base"] + ".vmsd"), ".encoding = \"UTF-8\"\n", cap - 86400)
        write(os.path.join(d, vm["base"] + ".vmdk"), vmdk_text(vm["base"], 33554432), cap - 86400)
        vf = {"name": vm["name"], "dir": vm["dir"], "vmx": "%s/%s.vmx" % (vm["dir"], vm["base"]),
              "vmx_cfg_path": vm["vmx_cfg_path"], "guest_os": vm["guest_os"], "checkpoint": None, "files": [],
              "logs": [], "guest": guest_facts(vm["gdir"], info) if info else None}
        cur = Log("%s/vmware.log" % vm["dir"])
        old = Log("%s/vmware-1.log" % vm["dir"])
        if vm is vms[0]:
            # the hung VM: powered on, the guest deadlocks (its own console says when),
            # Tools stop answering, vm-support screenshots it, dumps the vmx and suspends it
            vmx_header_g4(cur, p1, wid1)
            g4(cur, p1 + 0.31, "vmx", POWER_ON, kind="power-on")
            g4(cur, at(0.35), "vmx", "GuestRpcSendTimedOut: message to toolbox timed out.",
               kind="guestrpc-timeout")
            g4(cur, at(0.5), "vcpu-0", "Tools: Tools heartbeat timeout.", kind="tools-heartbeat")
            g4(cur, at(0.7), "vmx", "MKSVMX: Vigor requested a screenshot")
            g4(cur, at(0.7) + 0.1, "svga", "MKSScreenShotMgr: Taking a screenshot")
            g4(cur, s1 - min(1.2, 0.05 * span), "vmx", SUSPEND, kind="suspend")
            g4(cur, s1 + 0.8, "vmx", EXIT0, sev="Wa(03)", kind="vmx-exit")
            # the run before, on ESXi 6.5 (G3): a guest reboot, then a clean exit
            t0 = p1 - 121 * 86400 + 3721.5
            vmx_header_g3(old, t0, 68247)
            g3(old, t0 + 0.29, "vmx", POWER_ON, kind="power-on")
            g3(old, t0 + 9000.0, "vcpu-1", "CPU reset: soft (mode 0)", kind="cpu-reset")
            g3(old, t0 + 86000.0, "vmx", EXIT0, kind="vmx-exit")
            vmk(vmk_log, at(0.8), 3, wid1 + 9,
                "UserDump: 3157: vmx: Dumping cartel %d (from world %d) to file /%s ..." % (cartel1, wid1, zdump),
                kind="userworld-dump")
            hostd(hostd_log, p1 + 0.2, "Vimsvc.ha-eventmgr",
                  "Event 412 : %s on %s in ha-datacenter is powered on" % (vm["name"], HOST))
            hostd(hostd_log, s1 - min(1.3, 0.06 * span), "Vmsvc.vm:%s" % vm["vmx_cfg_path"],
                  "State Transition (VM_STATE_ON -> VM_STATE_SUSPENDING)", opid="vm-support-%d" % VMSUPPORT_PID)
            hostd(hostd_log, s1 + 0.5, "Vmsvc.vm:%s" % vm["vmx_cfg_path"],
                  "State Transition (VM_STATE_SUSPENDING -> VM_STATE_SUSPENDED)", opid="vm-support-%d" % VMSUPPORT_PID)
            hostd(hostd_log, s1 + 0.6, "Vimsvc.ha-eventmgr",
                  "Event 419 : %s on %s in ha-datacenter is suspended" % (vm["name"], HOST))
            # checkpoint: .vmss (CPU state, memory layout) + .vmem (RAM), both in pieces
            vmss = os.path.join(stage, vm["base"] + ".vmss")
            mkvmss(vm["gdir"], vmss, vm["name"], embed=False)
            raw = os.path.getsize(vmss)
            os.truncate(vmss, max(raw, VMSS_SIZE))
            os.makedirs(os.path.join(out, "orig"))
            shutil.copyfile(vmss, os.path.join(out, "orig", vm["base"] + ".vmss"))
            vf["checkpoint"] = "vmss+vmem"
            vf["vmss_written_size"] = raw
            for ext in ("vmss", "vmem"):
                src = os.path.join(stage, "%s.%s" % (vm["base"], ext))
                f = place(src, d, "%s.%s" % (vm["base"], ext), a.frag_size, int(s1))
                if ext == "vmem":
                    f["original"] = fixture_vmem(a.fixtures)
                else:
                    f["original"] = "orig/" + vm["base"] + ".vmss"
                vf["files"].append(f)
                os.unlink(src)
        elif vm.get("vmstate"):
            # suspended earlier, on this host (G4); its .vmss holds the RAM and is kept gzipped
            vmx_header_g4(cur, p2, 2106633)
            g4(cur, p2 + 0.28, "vmx", POWER_ON, kind="power-on")
            g4(cur, s2 - 0.9, "vmx", SUSPEND, opid="esxui-4f1a-9c2e", kind="suspend")
            g4(cur, s2 + 0.7, "vmx", EXIT0, sev="Wa(03)", kind="vmx-exit")
            hostd(hostd_log, s2 + 0.5, "Vimsvc.ha-eventmgr",
                  "Event 417 : %s on %s in ha-datacenter is suspended" % (vm["name"], HOST))
            vmss = os.path.join(stage, vm["base"] + ".vmss")
            mkvmss(vm["gdir"], vmss, vm["name"], embed=True)
            with open(vmss, "rb") as src, open(vmss + ".gz", "wb") as raw_gz:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw_gz, compresslevel=6, mtime=0) as gz:
                    shutil.copyfileobj(src, gz, 1 << 20)
            vf["checkpoint"] = "vmss.gz"
            vf["vmss_sha256"] = sha256(vmss)
            vf["vmss_size"] = os.path.getsize(vmss)
            os.unlink(vmss)
            vf["files"].append(place(vmss + ".gz", d, vm["base"] + ".vmss.gz", a.frag_size, int(s2)))
            os.unlink(vmss + ".gz")
        else:
            # running for days, healthy: only a GuestRPC timeout on the drag-and-drop
            # channel (harmless, reference 2.6); its previous run on ESXi 6.5 (G3)
            p3 = s1 - 3 * 86400 - 4 * 3600 + 17.25
            vmx_header_g4(cur, p3, 2135170)
            g4(cur, p3 + 0.27, "vmx", POWER_ON, kind="power-on")
            g4(cur, p3 + 7322.4, "vmx", "GuestRpcSendTimedOut: message to toolbox-dnd timed out.",
               kind="guestrpc-timeout")
            g4(cur, s1 - 3600.0, "vmx", "MKSVMX: Vigor requested a screenshot")
            g4(cur, s1 - 3599.9, "svga", "MKSScreenShotMgr: Taking a screenshot")
            t0 = p3 - 200 * 86400 + 1234.5
            vmx_header_g3(old, t0, 71210)
            g3(old, t0 + 0.3, "vmx", POWER_ON, kind="power-on")
            g3(old, t0 + 43200.0, "vmx", EXIT0, kind="vmx-exit")
        for lg in (cur, old):
            if lg.lines:
                write(os.path.join(tree, root, lg.rel), lg.text(), lg.mtime)
                logs.append(lg)
                vf["logs"].append(lg.rel)
        facts["vms"].append(vf)

    # --- host logs: vmkernel.log / hostd.log lines in time order
    vmk(vmk_log, p1 - 300.0, 1, 131211, "NRandomHwrng: 500: Out of entropy, refreshing.")
    vmk(vmk_log, vm_support_start, 0, 170428, 'Config: 727: "TrackMigrations" = 1, Old Value: 0, (Status: 0x0)')
    vmk(vmk_log, captured - 2.0, 5, 2099084, "SunRPC: 1096: Destroying world 0x%x" % 2099084, opid="a9f5cca4")
    for lg in (vmk_log, hostd_log):
        order = sorted(range(len(lg.lines)), key=lambda i: lg.lines[i][:24])
        ev = {e["line_no"] - 1: e for e in lg.events}
        lines, lg.lines = lg.lines, []
        for i in order:
            lg.lines.append(lines[i])
            if i in ev:
                ev[i]["line_no"] = len(lg.lines)
        write(os.path.join(R, lg.rel), lg.text(), lg.mtime)
        logs.append(lg)
    for lg in logs:
        for e in lg.events:
            e["vm"] = next((v["name"] for v in facts["vms"] if e["file"].startswith(v["dir"] + "/")), None)
            facts["events"].append(e)
    facts["logs"] = {"vmkernel": vmk_log.rel, "hostd": hostd_log.rel}

    # --- directory times, member order, archives
    for dirpath, dirnames, _ in os.walk(tree, topdown=False):
        os.utime(dirpath, (cap, cap))
    members = member_order(tree, root, vms[0], a.order)
    facts["members"] = members
    shutil.rmtree(stage)
    lst = os.path.join(out, ".members")
    with open(lst, "wb") as f:
        f.write(b"".join(m.rstrip("/").encode() + b"\0" for m in members))
    tar = ["tar", "-C", tree, "--owner=0", "--group=0", "--numeric-owner", "--format=gnu", "-cf", "-",
           "--null", "--no-recursion", "-T", lst]
    arch = {"tgz": root + ".tgz", "dir": "tree/" + root}
    pipe(tar, ["gzip", "-n", "-6"], os.path.join(out, arch["tgz"]))
    os.utime(os.path.join(out, arch["tgz"]), (cap, cap))
    if full:
        arch["txz"] = root + ".tar.xz"
        pipe(tar, ["xz", "-T1", "-3"], os.path.join(out, arch["txz"]))
        arch["zip"] = root + ".zip"
        write_zip(tree, members, os.path.join(out, arch["zip"]))
        arch.update(vc_wrapper(out, arch["tgz"], cap, date))
    os.unlink(lst)
    facts["archives"] = arch
    with open(os.path.join(out, "facts.json"), "w") as f:
        json.dump(facts, f, indent=1)
        f.write("\n")


def fixture_vmem(fx):
    names = sorted(n for n in os.listdir(fx) if re.match(r"vmem-.*\.vmss$", n))
    if not names:
        die("%s has no vmem-*.vmss fixture" % fx)
    return os.path.join(fx, names[0][:-4] + "vmem")


def member_order(tree, root, vm1, order):
    """Archive members, directories first, names sorted (a sorted walk: VM.vmem.* <
    VM.vmss.* < VM.vmx).  vmss-first moves the first VM's small files and then its
    .vmss pieces ahead of its .vmem pieces."""
    out = []
    for dirpath, dirnames, filenames in os.walk(tree):
        dirnames.sort()
        rel = os.path.relpath(dirpath, tree)
        if rel != ".":
            out.append(rel + "/")
        names = sorted(filenames)
        if order == "vmss-first" and rel == os.path.join(root, vm1["dir"]):
            key = lambda n: (2 if ".vmem" in n else 1 if ".vmss" in n else 0, n)
            names.sort(key=key)
        out += [os.path.join(rel, n) for n in names]
    return out


def pipe(producer, filt, dst):
    with open(dst + ".tmp", "wb") as f:
        p1 = subprocess.Popen(producer, stdout=subprocess.PIPE)
        p2 = subprocess.Popen(filt, stdin=p1.stdout, stdout=f)
        p1.stdout.close()
        if p2.wait() or p1.wait():
            die("%s | %s failed" % (producer[0], filt[0]))
    os.replace(dst + ".tmp", dst)


def write_zip(tree, members, dst):
    with zipfile.ZipFile(dst + ".tmp", "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=6) as z:
        for m in members:
            p = os.path.join(tree, m.rstrip("/"))
            zi = zipfile.ZipInfo.from_file(p, m)
            if m.endswith("/"):
                z.writestr(zi, b"")
            else:
                zi.compress_type = zipfile.ZIP_DEFLATED
                with open(p, "rb") as src, z.open(zi, "w") as d:
                    shutil.copyfileobj(src, d, 1 << 20)
    os.replace(dst + ".tmp", dst)


def vc_wrapper(out, host_tgz, cap, date):
    """vCenter-style bundle: vc-support.tar.gz holding the host bundle and vCenter's
    own (tiny) part, and the same file in vCenter's 10 MiB FRAG pieces."""
    vc = os.path.join(out, "vc")
    vcroot = "vc-vcsa01.corp.example-%s-3306" % date.strftime("%Y-%m-%d--%H.%M")
    os.makedirs(os.path.join(vc, vcroot))
    write(os.path.join(vc, vcroot, "README"), "Captured on: %s\n" % date.strftime("%Y-%m-%d %H:%M:%S.%f"), cap)
    pipe(["tar", "-C", vc, "--owner=0", "--group=0", "--numeric-owner", "--mtime=@%d" % cap, "-cf", "-", vcroot],
         ["gzip", "-n", "-6"], os.path.join(vc, vcroot + ".tgz"))
    shutil.rmtree(os.path.join(vc, vcroot))
    os.link(os.path.join(out, host_tgz), os.path.join(vc, host_tgz))
    os.utime(os.path.join(vc, vcroot + ".tgz"), (cap, cap))
    pipe(["tar", "-C", vc, "--owner=0", "--group=0", "--numeric-owner", "-cf", "-", vcroot + ".tgz", host_tgz],
         ["gzip", "-n", "-6"], os.path.join(out, "vc-support.tar.gz"))
    shutil.rmtree(vc)
    fd = os.path.join(out, "vc-frag")
    os.makedirs(fd)
    f = place(os.path.join(out, "vc-support.tar.gz"), fd, "vc-support.tar.gz", VC_FRAG, cap)
    return {"vc": "vc-support.tar.gz", "vc_members": [vcroot + ".tgz", host_tgz],
            "vc_frag": ["vc-frag/" + p for p in f["pieces"]] or ["vc-frag/vc-support.tar.gz"]}


if __name__ == "__main__":
    main()
