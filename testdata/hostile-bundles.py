#!/usr/bin/env python3
"""hostile-bundles.py OUTDIR - small hostile vm-support archives, one case each.

Every archive also holds legit members (an ESXi bundle root with
commands/vmware_-vl.txt and a vmkernel.log line) so a safe reader can warn
about the hostile member and still analyse the rest.  OUTDIR/manifest.json
says, per case: the archive, its hostile member(s), the legit ones, what a
safe reader must report, and paths that must not exist afterwards (relative
to the directory the reader works in, or absolute).  Deterministic output
(fixed times, owners and gzip headers); python3 stdlib only (tarfile,
zipfile, gzip), except the truncated and size-mismatched cases, whose tar
blocks are put together by hand because tarfile refuses to write them.
"""
import gzip, io, json, os, sys, tarfile, zipfile

MTIME = 1764460800          # 2025-11-30T00:00:00Z
ROOT = "esx-hostile.example-2025-11-30--00.00-4242"
VL = b"VMware ESXi 8.0.1 build-21495797\nVMware ESXi 8.0 Update 1\n"
VMK = (b"2025-11-29T23:59:58.000Z In(182) vmkernel: cpu1:131211)NRandomHwrng: 500: "
       b"Out of entropy, refreshing.\n")
LEGIT = [(ROOT + "/commands/vmware_-vl.txt", VL), (ROOT + "/var/run/log/vmkernel.log", VMK)]


def ti(name, kind=tarfile.REGTYPE, size=0, link="", mode=0o644, dev=(0, 0)):
    t = tarfile.TarInfo(name)
    t.type, t.size, t.linkname, t.mode, t.mtime = kind, size, link, mode, MTIME
    t.uid = t.gid = 0
    t.uname = t.gname = "root"
    t.devmajor, t.devminor = dev
    return t


def blocks(data):
    return data + b"\0" * (-len(data) % 512)


def member(name, data=b"", **kw):
    """Header + data blocks of one tar member (GNU format, as GNU tar writes)."""
    t = ti(name, size=len(data) if kw.get("kind", tarfile.REGTYPE) == tarfile.REGTYPE else 0, **kw)
    return t.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape") + blocks(data)


def legit():
    return b"".join(member(n, d) for n, d in LEGIT)


def end():
    return b"\0" * 1024


def tgz(raw):
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as g:
        g.write(raw)
    return out.getvalue()


def pattern(i, n):
    return bytes((i * 37 + k) & 0xFF for k in range(n))


CASES = []


def case(name, archive, data, hostile, kind, report, must_not_exist=(), legit_names=None):
    CASES.append({"case": name, "archive": archive, "kind": kind, "hostile": hostile,
                  "legit": legit_names if legit_names is not None else [n for n, _ in LEGIT],
                  "report": report, "must_not_exist": list(must_not_exist), "_data": data})


def build():
    case("dotdot", "dotdot.tgz",
         tgz(legit() + member("../corekit-escape-dotdot.txt", b"escaped\n") +
             member(ROOT + "/../../corekit-escape-dotdot2.txt", b"escaped\n") + end()),
         ["../corekit-escape-dotdot.txt", ROOT + "/../../corekit-escape-dotdot2.txt"], "path-escape",
         "a warning naming each member whose name leaves the archive root through '..'; nothing written "
         "outside the private staging directory; the legit members analysed",
         ["../corekit-escape-dotdot.txt", "../corekit-escape-dotdot2.txt"])
    case("absolute", "absolute.tgz",
         tgz(legit() + member("/tmp/corekit-hostile-absolute.txt", b"absolute\n") + end()),
         ["/tmp/corekit-hostile-absolute.txt"], "absolute-name",
         "a warning naming the member with an absolute name; /tmp/corekit-hostile-absolute.txt never created",
         ["/tmp/corekit-hostile-absolute.txt"])
    case("symlink-out", "symlink-out.tgz",
         tgz(legit() + member(ROOT + "/etc/passwd-link", kind=tarfile.SYMTYPE, link="/etc/passwd") +
             member(ROOT + "/outdir", kind=tarfile.SYMTYPE, link="../../corekit-symlink-target") +
             member(ROOT + "/outdir/corekit-through-symlink.txt", b"through a symlink\n") + end()),
         [ROOT + "/etc/passwd-link", ROOT + "/outdir", ROOT + "/outdir/corekit-through-symlink.txt"],
         "symlink-escape",
         "a warning naming each symlink that points outside the archive (absolute or '..' target) and the "
         "member written through one; /etc/passwd never read as a bundle file; nothing created outside",
         ["../corekit-symlink-target", "../../corekit-symlink-target"])
    case("symlink-chain", "symlink-chain.tgz",
         tgz(legit() + member(ROOT + "/a", kind=tarfile.SYMTYPE, link="b") +
             member(ROOT + "/b", kind=tarfile.SYMTYPE, link="c") +
             member(ROOT + "/c", kind=tarfile.SYMTYPE, link="../..") +
             member(ROOT + "/a/corekit-chain-escape.txt", b"through a chain\n") + end()),
         [ROOT + "/a", ROOT + "/b", ROOT + "/c", ROOT + "/a/corekit-chain-escape.txt"], "symlink-escape",
         "a warning for the chain a -> b -> c -> ../.. that resolves outside the archive (each link alone "
         "looks harmless but c leaves the root) and for the member written through it; nothing created outside",
         ["../corekit-chain-escape.txt", "../../corekit-chain-escape.txt"])
    case("hardlink-out", "hardlink-out.tgz",
         tgz(legit() + member(ROOT + "/etc/shadow-hl", kind=tarfile.LNKTYPE, link="/etc/shadow") +
             member(ROOT + "/hl-up", kind=tarfile.LNKTYPE, link="../corekit-hardlink-target") + end()),
         [ROOT + "/etc/shadow-hl", ROOT + "/hl-up"], "hardlink-escape",
         "a warning naming each hard link whose target is not an earlier member of the archive; /etc/shadow "
         "never read or linked")
    case("hardlink-to-symlink", "hardlink-to-symlink.tgz",
         tgz(legit() + member(ROOT + "/sl", kind=tarfile.SYMTYPE, link="/etc/shadow") +
             member(ROOT + "/hl", kind=tarfile.LNKTYPE, link=ROOT + "/sl") + end()),
         [ROOT + "/sl", ROOT + "/hl"], "hardlink-escape",
         "a warning naming the symlink to /etc/shadow and the hard link to it (a link to a link that points "
         "out); neither followed")
    case("device", "device.tgz",
         tgz(legit() + member(ROOT + "/dev-null", kind=tarfile.CHRTYPE, dev=(1, 3)) +
             member(ROOT + "/dev-sda", kind=tarfile.BLKTYPE, dev=(8, 0)) + end()),
         [ROOT + "/dev-null", ROOT + "/dev-sda"], "device-node",
         "a warning naming each device node (character 1,3 and block 8,0); none created, none opened")
    case("fifo", "fifo.tgz",
         tgz(legit() + member(ROOT + "/var/run/log/vmkernel.fifo", kind=tarfile.FIFOTYPE) + end()),
         [ROOT + "/var/run/log/vmkernel.fifo"], "fifo",
         "a warning naming the FIFO; not created, never opened (opening a FIFO for reading blocks)")
    log = ROOT + "/vmfs/volumes/datastore1/vm/vmware.log"
    case("duplicate", "duplicate.tgz",
         tgz(legit() + member(log, b"2025-11-29T23:00:00.000Z In(05) vmx - first copy\n") +
             member(log, b"2025-11-29T23:00:01.000Z In(05) vmx - second copy, different\n") + end()),
         [log], "duplicate-name",
         "a warning naming the member that appears twice with different content (which copy is used must "
         "be stated, or neither); no silent overwrite")
    # declared size shorter than the data: the surplus is read as headers
    body = pattern(1, 2000)
    short = ti(ROOT + "/short.bin", size=100).tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
    case("size-short", "size-short.tgz",
         tgz(legit() + short + blocks(body) + member(ROOT + "/after-short.txt", b"after\n") + end()),
         [ROOT + "/short.bin"], "size-mismatch",
         "the member declares 100 bytes but 2000 follow: the bytes after its first block are no valid "
         "header; a warning naming short.bin (damaged archive after it), the legit members before it "
         "analysed; no crash, no endless loop",
         legit_names=[n for n, _ in LEGIT])
    # declared size longer than the data: the archive ends inside the member
    longm = ti(ROOT + "/long.bin", size=1 << 20).tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
    case("size-long", "size-long.tgz", tgz(legit() + longm + blocks(pattern(2, 1000))),
         [ROOT + "/long.bin"], "size-mismatch",
         "the member declares 1 MiB but the archive ends after 1000 bytes of it: a warning naming long.bin "
         "(truncated), the legit members before it analysed")
    full = tgz(legit() + member(ROOT + "/big.bin", pattern(3, 256 * 1024)) + end())
    case("truncated-gzip", "truncated-gzip.tgz", full[:len(full) * 3 // 5],
         [ROOT + "/big.bin"], "truncated-compression",
         "the gzip stream ends early (gzip -t fails): a warning naming the member being read when the "
         "data ran out, the legit members before it analysed")
    vmdir = ROOT + "/vmfs/volumes/datastore1/fragvm"
    inv = ("<ConfigRoot>\n  <ConfigEntry id=\"0000\">\n    <objID>1</objID>\n    <secDomain/>\n"
           "    <vmxCfgPath>/vmfs/volumes/datastore1/fragvm/fragvm.vmx</vmxCfgPath>\n  </ConfigEntry>\n"
           "</ConfigRoot>\n").encode()
    vmx = b'.encoding = "UTF-8"\ndisplayName = "frag-vm"\nguestOS = "debian12-64"\n'
    vmfiles = legit() + member(ROOT + "/etc/vmware/hostd/vmInventory.xml", inv) + member(vmdir + "/fragvm.vmx", vmx)
    vmlegit = [n for n, _ in LEGIT] + [ROOT + "/etc/vmware/hostd/vmInventory.xml", vmdir + "/fragvm.vmx"]
    case("frag-gap", "frag-gap.tgz",
         tgz(vmfiles + member(vmdir + "/fragvm.vmem.FRAG-00000", pattern(4, 4096)) +
             member(vmdir + "/fragvm.vmem.FRAG-00002", pattern(5, 4096)) + end()),
         [vmdir + "/fragvm.vmem.FRAG-00000", vmdir + "/fragvm.vmem.FRAG-00002"], "frag-gap",
         "fragvm.vmem is not reassembled: a clear error naming the missing piece FRAG-00001 (pieces must be "
         "consecutive from 00000); the VM's other files and the host files still listed",
         legit_names=vmlegit)
    case("frag-dup", "frag-dup.tgz",
         tgz(vmfiles + member(vmdir + "/fragvm.vmem.FRAG-00000", pattern(6, 4096)) +
             member(vmdir + "/fragvm.vmem.FRAG-00001", pattern(7, 4096)) +
             member(vmdir + "/fragvm.vmem.FRAG-00001", pattern(8, 4096)) + end()),
         [vmdir + "/fragvm.vmem.FRAG-00001"], "frag-duplicate",
         "fragvm.vmem is not reassembled: a clear error naming the duplicate piece index 00001 (two members, "
         "different content)", legit_names=vmlegit)
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in LEGIT:
            zf.writestr(zipfile.ZipInfo(n, (2025, 11, 30, 0, 0, 0)), d)
        for n in ("..\\..\\corekit-zip-backslash.txt", ROOT + "\\..\\..\\corekit-zip-backslash2.txt"):
            zf.writestr(zipfile.ZipInfo(n, (2025, 11, 30, 0, 0, 0)), b"backslash escape\n")
    case("zip-backslash", "zip-backslash.zip", z.getvalue(),
         ["..\\..\\corekit-zip-backslash.txt", ROOT + "\\..\\..\\corekit-zip-backslash2.txt"], "path-escape",
         "names with '..\\' (backslash separators, as Windows tools write them) are treated as escaping: a "
         "warning naming each; nothing created outside",
         ["../corekit-zip-backslash.txt", "../../corekit-zip-backslash.txt", "../corekit-zip-backslash2.txt",
          "../../corekit-zip-backslash2.txt"])
    # a bundle inside a bundle inside ... (40 levels): legit inner bundle at the bottom
    inner = tgz(legit() + end())
    depth = 40
    for i in range(depth, 1, -1):
        inner = tgz(member("nest-%02d.tgz" % i, inner) + end())
    case("deep-nesting", "deep-nesting.tgz", tgz(legit() + member("nest-01.tgz", inner) + end()),
         ["nest-01.tgz"], "nesting",
         "%d archives nested in each other: a reader opens nested bundles only to a small fixed depth (a "
         "vCenter bundle needs 2) and warns naming the member where it stopped; no unbounded recursion, "
         "no unbounded temporary files" % depth)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: hostile-bundles.py OUTDIR\n")
        sys.exit(1)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    build()
    for c in CASES:
        with open(os.path.join(out, c["archive"]), "wb") as f:
            f.write(c.pop("_data"))
        os.utime(os.path.join(out, c["archive"]), (MTIME, MTIME))
    manifest = {"about": "hostile vm-support archives made by testdata/hostile-bundles.py; each holds the "
                         "legit members listed so a safe reader can warn about the hostile ones and analyse "
                         "the rest; must_not_exist paths are relative to the reader's working/staging "
                         "directory unless absolute",
                "root": ROOT, "cases": CASES}
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
