#!/usr/bin/env python3
"""mkvmss.py - wrap a real guest memory image (made by testdata/guest.sh) into
VMware checkpoint files, for testing vmss2core.  python3 stdlib only.

The input is a guest directory: ram.layout (PA LEN FILE per RAM region), the
ram-N.raw files, regs.txt (QEMU 'info registers -a') and info (key=value).

Checkpoint (.vmss) mode:
  mkvmss.py --guest DIR --out X.vmss [options]
    --magic HEX          header magic (default 0xbed2bed2).  Low nibble 0
                         (0xbed2bed0, 0xbed0bed0, ...) = version 0 = 4-byte block sizes
    --embed | --vmem     RAM inside the memory/Memory[0][0] block (default), or in
                         X.vmem next to X.vmss (same basename; no Memory tag)
    --padlen N           padLen N on every block; the Memory data is also page-aligned
    --regs scalar|gpregs|both
                         scalar: rax..r15/rip[cpu], CR64[cpu][n], IDTR[cpu][0..2];
                         gpregs: block forms gpregs[cpu] (128 B, x86 encoding order
                         rax rcx rdx rbx rsp rbp rsi rdi r8..r15), CR64[cpu] (72 B),
                         IDTR[cpu] (10 B) + scalar rip; both: blocks then scalars
    --cr32               control registers as 32-bit CR[cpu][n] (4 B) instead of CR64
    --no-cpu-tag NAME    leave out cpu-group tag NAME (all vCPUs) or NAME@CPU (one vCPU);
                         repeatable, e.g. --no-cpu-tag rsp --no-cpu-tag CR64@1
    --compressed         Memory as a compressed block (size code 62; zlib data here,
                         the real VMware algorithm is undocumented)
    --split-regions N    split RAM regions until there are at least N of them
    --reverse-blob       store the regions in the RAM blob in reverse order
                         (regionPageNum then decreases with regionPPN)
    --name NAME          displayName in the embedded .vmx (default corekit-SHAPE)
    --no-tail-pad        do not pad a small file to the size crash 8.x reads
                         (crash reads numGroups*80*80 bytes of group table)

Guest-dump mode (ESXi debug.guest + debug.vmem):
  mkvmss.py --guest DIR --guest-dump VERSION --out OUTDIR
    VERSION 1, 3, 4, 5, 6 or 7; writes OUTDIR/debug.guest and OUTDIR/debug.vmem
    (RAM from PA 0 to the end with the holes between regions removed).
    debug.guest = header (version-specific, see vmware-checkpoint.md section 5),
    then num_vcpus vCPU states back to back (116 B part 1, 42 B gap (45 for
    v1/v3), 233 B part 2 in user_regs_struct order), then num_vcpus * 4 KiB of
    zeros.  (crash reads the states contiguously; a 4 KiB block after each
    state would put vCPU 1's registers into vCPU 0's reserved bytes.)

Big copies are streamed in 1 MiB chunks; zero pages are skipped with seek, so
outputs are sparse where the filesystem allows.
"""
import argparse, os, re, struct, sys, zlib

PAGE = 4096
CHUNK = 1 << 20
ZERO_CHUNK = bytes(CHUNK)
ZERO_PAGE = bytes(PAGE)

GPR_NAMES = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
             "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
SEG_NAMES = ["ES", "CS", "SS", "DS", "FS", "GS", "LDT", "TR"]   # VMware/x86 index order


def die(msg):
    sys.stderr.write("mkvmss: %s\n" % msg)
    sys.exit(2)


# ---------------------------------------------------------------- input

def read_info(gdir):
    info = {}
    path = os.path.join(gdir, "info")
    if os.path.exists(path):
        for line in open(path):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                info[k] = v
    return info


def read_layout(gdir):
    """[(pa, len, path)] sorted by pa; every value page-aligned."""
    regions = []
    for n, line in enumerate(open(os.path.join(gdir, "ram.layout")), 1):
        f = line.split()
        if not f:
            continue
        if len(f) != 3:
            die("ram.layout:%d: want 'PA LEN FILE'" % n)
        pa, ln, name = int(f[0], 0), int(f[1], 0), f[2]
        path = os.path.join(gdir, name)
        if pa % PAGE or ln % PAGE or ln == 0:
            die("ram.layout:%d: region not page-aligned" % n)
        if os.path.getsize(path) != ln:
            die("%s: size %d, ram.layout says %d" % (path, os.path.getsize(path), ln))
        regions.append((pa, ln, path))
    regions.sort()
    for a, b in zip(regions, regions[1:]):
        if a[0] + a[1] > b[0]:
            die("ram.layout: regions overlap at %#x" % b[0])
    if not regions:
        die("ram.layout is empty")
    return regions


def parse_regs(path):
    """Per-vCPU dicts from QEMU 'info registers -a'."""
    text = open(path).read()
    cpus = []
    for block in re.split(r"^CPU#\d+\s*$", text, flags=re.M)[1:]:
        r = {}
        for name, val in re.findall(r"\b(RAX|RBX|RCX|RDX|RSI|RDI|RBP|RSP|R8|R9|R1[0-5]|RIP|RFL)\s*=([0-9a-fA-F]+)", block):
            r[name.lower()] = int(val, 16)
        r["rflags"] = r.pop("rfl")
        m = re.search(r"\bCPL=(\d)", block)
        r["cpl"] = int(m.group(1)) if m else 0
        r["halted"] = 1 if re.search(r"\bHLT=1\b", block) else 0
        segs = []
        for s in SEG_NAMES:
            m = re.search(r"^%s\s*=([0-9a-fA-F]{4}) ([0-9a-fA-F]+) ([0-9a-fA-F]+) ([0-9a-fA-F]+)" % s, block, re.M)
            if not m:
                die("%s: no %s register" % (path, s))
            segs.append(tuple(int(m.group(i), 16) for i in range(1, 5)))   # sel base limit flags
        r["seg"] = segs
        for t in ("GDT", "IDT"):
            m = re.search(r"^%s=\s*([0-9a-fA-F]+) ([0-9a-fA-F]+)" % t, block, re.M)
            r[t.lower()] = (int(m.group(1), 16), int(m.group(2), 16))
        cr = [0] * 5
        for n in (0, 2, 3, 4):
            cr[n] = int(re.search(r"\bCR%d=([0-9a-fA-F]+)" % n, block).group(1), 16)
        r["cr"] = cr
        r["efer"] = int(re.search(r"\bEFER=([0-9a-fA-F]+)", block).group(1), 16)
        missing = [g for g in GPR_NAMES + ["rip", "rflags"] if g not in r]
        if missing:
            die("%s: missing %s" % (path, ",".join(missing)))
        cpus.append(r)
    if not cpus:
        die("%s: no CPU#N sections" % path)
    return cpus


# ---------------------------------------------------------------- RAM blob

class Blob:
    """The RAM as VMware stores it: regions back to back (holes removed)."""

    def __init__(self, regions, split=0, reverse=False):
        pieces = [(pa, ln, path, 0) for pa, ln, path in regions]   # (pa, len, file, file_off)
        while len(pieces) < split:
            i = max(range(len(pieces)), key=lambda k: pieces[k][1])
            pa, ln, path, off = pieces[i]
            if ln < 2 * PAGE:
                break
            half = (ln // 2) & ~(PAGE - 1)
            pieces[i:i + 1] = [(pa, half, path, off), (pa + half, ln - half, path, off + half)]
        self.pieces = pieces
        self.order = list(reversed(pieces)) if reverse else pieces
        first_page, page = {}, 0
        for p in self.order:
            first_page[p[0]] = page
            page += p[1] // PAGE
        self.length = page * PAGE
        # (regionPPN, regionPageNum, regionSize) in PA order
        self.regions = [(p[0] // PAGE, first_page[p[0]], p[1] // PAGE) for p in pieces]

    def chunks(self):
        """Yield the blob's bytes in blob order, at most CHUNK at a time."""
        for pa, ln, path, off in self.order:
            with open(path, "rb") as f:
                f.seek(off)
                left = ln
                while left:
                    b = f.read(min(CHUNK, left))
                    if not b:
                        die("%s: short read" % path)
                    left -= len(b)
                    yield b


def sparse_write(f, data):
    """Write data at f's position, seeking over zero pages."""
    if data == ZERO_CHUNK[:len(data)]:
        f.seek(len(data), 1)
        return
    for i in range(0, len(data), PAGE):
        page = data[i:i + PAGE]
        if page == ZERO_PAGE[:len(page)]:
            f.seek(len(page), 1)
        else:
            f.write(page)


def write_vmem(path, chunks):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        for c in chunks:
            sparse_write(f, c)
        f.truncate(f.tell())
    os.replace(tmp, path)


# ---------------------------------------------------------------- tag stream

class Group:
    """One group's tag stream; items are bytes or ('blob', n) placeholders."""

    def __init__(self, name, ctx):
        self.name, self.ctx, self.items = name, ctx, []

    def _head(self, name, idx, code):
        nb = name.encode()
        if len(nb) > 255 or len(idx) > 3 or code > 63:
            raise ValueError(name)
        head = struct.pack("<H", (len(nb) << 8) | (len(idx) << 6) | code) + nb
        return head + b"".join(struct.pack("<I", i) for i in idx)

    def value(self, name, idx, data):
        """Inline value (0..61 bytes)."""
        if self.ctx.omitted(self.name, name, idx):
            return
        if len(data) > 61:
            raise ValueError("%s: inline value too long" % name)
        self.items.append(self._head(name, idx, len(data)) + data)

    def int(self, name, idx, val, size):
        self.value(name, idx, (val & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))

    def block(self, name, idx, data=None, disk=None, mem=None, compressed=False, align=0):
        """Block value: diskSize, memSize, padLen, pad, data.  data: bytes, or an
        iterator of chunks together with disk=its total length."""
        if self.ctx.omitted(self.name, name, idx):
            return
        disk = len(data) if disk is None else disk
        mem = disk if mem is None else mem
        self.items.append(("block", self._head(name, idx, 62 if compressed else 63),
                           disk, mem, align, data))

    def end(self):
        self.items.append(b"\0\0")


class Ctx:
    def __init__(self, args, width):
        self.width = width           # 4 or 8: block size fields
        self.padlen = args.padlen
        self.omit = args.no_cpu_tag or []

    def omitted(self, group, name, idx):
        if group != "cpu":
            return False
        for o in self.omit:
            n, _, c = o.partition("@")
            if n == name and (c == "" or (idx and idx[0] == int(c))):
                return True
        return False


def layout(groups, ctx, start):
    """Resolve padding; return [(offset, size)] per group and the file size."""
    pos = start
    table = []
    for g in groups:
        g.resolved = []
        first = pos
        for it in g.items:
            if isinstance(it, bytes):
                g.resolved.append(it)
                pos += len(it)
                continue
            _, head, disk, mem, align, data = it
            if ctx.width == 4 and (disk > 0xFFFFFFFF or mem > 0xFFFFFFFF):
                die("block %r too big for a version-0 (32-bit sizes) file" % head)
            fmt = "<IIH" if ctx.width == 4 else "<QQH"
            hdr_end = pos + len(head) + struct.calcsize(fmt)
            pad = ctx.padlen
            if align:
                pad = (-hdr_end) % align
                if pad < ctx.padlen:
                    pad += ((ctx.padlen - pad + align - 1) // align) * align
            if pad > 0xFFFF:
                die("padLen %d too big" % pad)
            g.resolved.append(head + struct.pack(fmt, disk, mem, pad) + bytes(pad))
            g.resolved.append(data if isinstance(data, (bytes, bytearray)) else ("stream", disk, data))
            pos = hdr_end + pad + disk
        table.append((first, pos - first))
    return table, pos


def write_checkpoint(path, magic, groups, table, size, min_size):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<III", magic, 0, len(groups)))
        for g, (off, sz) in zip(groups, table):
            nm = g.name.encode()
            f.write(nm + bytes(64 - len(nm)) + struct.pack("<QQ", off, sz))
        for g, (off, sz) in zip(groups, table):
            if f.tell() < off:
                f.seek(off)
            for it in g.resolved:
                if isinstance(it, (bytes, bytearray)):
                    f.write(it)
                else:
                    _, n, gen = it
                    done = 0
                    for c in gen:
                        sparse_write(f, c)
                        done += len(c)
                    if done != n:
                        die("internal: block data %d != %d" % (done, n))
        end = max(f.tell(), size, min_size)
        f.truncate(end)
    os.replace(tmp, path)


def vmx_text(info, name, vcpus, out_base):
    return ("\n".join([
        '.encoding = "UTF-8"',
        'config.version = "8"',
        'virtualHW.version = "19"',
        'displayName = "%s"' % name,
        'guestOS = "debian12-64"',
        'memsize = "%s"' % info.get("mem_mb", "0"),
        'numvcpus = "%d"' % vcpus,
        'annotation = "corekit test guest: Linux %s, deadlock.ko (ABBA mutexes + rwsem)"' % info.get("kver", "?"),
        'checkpoint.vmState = "%s"' % out_base,
    ]) + "\n").encode()


def make_checkpoint(args):
    info = read_info(args.guest)
    regions = read_layout(args.guest)
    cpus = parse_regs(os.path.join(args.guest, "regs.txt"))
    blob = Blob(regions, args.split_regions, args.reverse_blob)
    width = 4 if (args.magic & 0xF) == 0 else 8
    ctx = Ctx(args, width)
    out = args.out
    vmem = None
    if args.vmem:
        if not re.search(r"\.vms[sn]$", out):
            die("--vmem needs an output name ending in .vmss or .vmsn")
        vmem = out[:-4] + "vmem"

    ck = Group("Checkpoint", ctx)
    ck.int("fileversion", (), 10, 4)
    ck.block("ProductName", (), b"corekit mkvmss".ljust(0x100, b"\0"))
    ck.value("VersionNumber", (), b"1.0\0")
    ck.int("Platform", (), 1, 4)
    ck.int("memSize", (), int(info.get("mem_mb", blob.length >> 20)), 4)
    ck.end()

    cpu = Group("cpu", ctx)
    cpu.int("cpu:numVCPUs", (), len(cpus), 4)
    for n, r in enumerate(cpus):
        if args.regs in ("gpregs", "both"):
            cpu.block("gpregs", (n,), b"".join(struct.pack("<Q", r[g]) for g in GPR_NAMES))
            if not args.cr32:
                cpu.block("CR64", (n,), b"".join(struct.pack("<Q", v) for v in r["cr"] + [0] * 4))
            cpu.block("IDTR", (n,), struct.pack("<HQ", r["idt"][1], r["idt"][0]))
        if args.regs in ("scalar", "both"):
            for g in GPR_NAMES:
                cpu.int(g, (n,), r[g], 8)
        cpu.int("rip", (n,), r["rip"], 8)
        cpu.int("eflags", (n,), r["rflags"], 4)
        if args.cr32:
            for k in range(5):
                cpu.int("CR", (n, k), r["cr"][k], 4)
        elif args.regs in ("scalar", "both"):
            for k in range(5):
                cpu.int("CR64", (n, k), r["cr"][k], 8)
        if args.regs in ("scalar", "both"):
            cpu.int("IDTR", (n, 0), r["idt"][1], 2)
            cpu.int("IDTR", (n, 1), r["idt"][0], 4)
            cpu.int("IDTR", (n, 2), r["idt"][0] >> 32, 4)
        cpu.int("GDTR", (n, 0), r["gdt"][1], 2)
        cpu.int("GDTR", (n, 1), r["gdt"][0], 4)
        cpu.int("GDTR", (n, 2), r["gdt"][0] >> 32, 4)
        for s, (sel, base, limit, flags) in enumerate(r["seg"]):
            cpu.int("S", (n, s), sel, 4)
        for s, (sel, base, limit, flags) in enumerate(r["seg"]):
            cpu.int("S.base64", (n, s), base, 8)
        cpu.int("EFER", (n,), r["efer"], 8)
        cpu.int("halted", (n,), r["halted"], 1)
    cpu.end()

    mem = Group("memory", ctx)
    mem.int("align_mask", (), 0xFF, 4)
    mem.int("regionsCount", (), len(blob.regions), 4)
    for i, (ppn, pagenum, npages) in enumerate(blob.regions):
        mem.int("regionPPN", (i,), ppn, 4)
        mem.int("regionPageNum", (i,), pagenum, 4)
        mem.int("regionSize", (i,), npages, 4)
    if not args.vmem:
        if args.compressed:
            zc = zlib.compressobj(1)
            parts = [zc.compress(c) for c in blob.chunks()]
            parts.append(zc.flush())
            data = b"".join(parts)
            mem.block("Memory", (0, 0), data, mem=blob.length, compressed=True,
                      align=PAGE if args.padlen else 0)
        else:
            mem.block("Memory", (0, 0), blob.chunks(), disk=blob.length,
                      align=PAGE if args.padlen else 0)
    mem.end()

    snap = Group("Snapshot", ctx)
    name = args.name or "corekit-%s" % info.get("shape", "guest")
    snap.block("cfgFile", (), vmx_text(info, name, len(cpus), os.path.basename(out)))
    snap.end()

    groups = [ck, cpu, mem, snap]
    start = 12 + 80 * len(groups)
    table, size = layout(groups, ctx, start)
    min_size = 0 if args.no_tail_pad else 12 + len(groups) * 80 * 80
    if vmem:
        write_vmem(vmem, blob.chunks())
    write_checkpoint(out, args.magic, groups, table, size, min_size)
    sys.stderr.write("mkvmss: wrote %s%s: magic %#x, %d vCPUs, %d regions, RAM %d MiB%s\n" % (
        out, " + " + vmem if vmem else "", args.magic, len(cpus), len(blob.regions),
        blob.length >> 20, " (compressed)" if args.compressed else ""))


# ---------------------------------------------------------------- debug.guest

def make_guest_dump(args):
    ver = args.guest_dump
    if ver not in (1, 3, 4, 5, 6, 7):
        die("--guest-dump: version must be 1, 3, 4, 5, 6 or 7")
    regions = read_layout(args.guest)
    cpus = parse_regs(os.path.join(args.guest, "regs.txt"))
    holes, prev = [], 0
    for pa, ln, _ in regions:
        if pa > prev:
            holes.append((prev // PAGE, (pa - prev) // PAGE))
        prev = pa + ln
    if len(holes) > 2:
        die("debug.guest holds at most 2 memory holes; this guest has %d" % len(holes))
    last_addr = prev - 1
    mem_pages = sum(ln for _, ln, _ in regions) // PAGE
    h2 = holes + [(0, 0)] * (2 - len(holes))

    if ver == 1:
        meminfo = struct.pack("<QIII", last_addr, mem_pages, 0, len(holes))
        meminfo += b"".join(struct.pack("<II", p, n) for p, n in h2)
        hdr = struct.pack("<II", ver, len(cpus)) + bytes(13) + meminfo + bytes(8 * len(holes) + 4)
    else:
        meminfo = struct.pack("<QQII", last_addr, mem_pages, 0, len(holes))
        meminfo += b"".join(struct.pack("<QQ", p, n) for p, n in h2)
        if ver in (3, 4, 5):
            # u8 magic1 = 1, u8 reserved, u32 cpu vendor, u64 magic2 = 0
            gap = struct.pack("<BBIQ", 1, 0, 0, 0)
            hdr = struct.pack("<II", ver, len(cpus)) + gap + meminfo
        elif ver == 6:
            hdr = struct.pack("<II", ver, len(cpus)) + struct.pack("<BBIQ", 1, 0, 0, 0) + bytes(1) + meminfo
        else:   # 7: 8 reserved bytes, meminfo, u32 cpu arch (1 = x86) in an 11-byte gap
            hdr = struct.pack("<II", ver, len(cpus)) + bytes(8) + meminfo + struct.pack("<I", 1) + bytes(7)
    want = {1: 61 + 8 * len(holes), 3: 78, 4: 78, 5: 78, 6: 79, 7: 83}[ver]
    assert len(hdr) == want, (len(hdr), want)

    gap = 45 if ver < 4 else 42
    recs = []
    for r in cpus:
        p1 = struct.pack("<IQQQ", r["cr"][0], r["cr"][2], r["cr"][3], r["cr"][4]) + bytes(80)
        p1 += struct.pack("<Q", r["idt"][0])
        sel = [s[0] for s in r["seg"]]
        base = [s[1] for s in r["seg"]]
        regs = [r["r15"], r["r14"], r["r13"], r["r12"], r["rbp"], r["rbx"], r["r11"], r["r10"],
                r["r9"], r["r8"], r["rax"], r["rcx"], r["rdx"], r["rsi"], r["rdi"],
                0xFFFFFFFFFFFFFFFF, r["rip"], sel[1], r["rflags"], r["rsp"], sel[2],
                base[4], base[5], sel[3], sel[0], sel[4], sel[5]]
        p2 = b"".join(struct.pack("<Q", v) for v in regs) + bytes(17)
        assert len(p1) == 116 and len(p2) == 233
        recs.append(p1 + bytes(gap) + p2)
    # crash (the reference reader, written by VMware) reads the vCPU states back
    # to back and only counts num_vcpus * 4 KiB more in the file size, so the
    # 4 KiB reserved blocks come after all the states.
    recs.append(bytes(PAGE * len(cpus)))

    os.makedirs(args.out, exist_ok=True)
    blob = Blob(regions)
    write_vmem(os.path.join(args.out, "debug.vmem"), blob.chunks())
    gpath = os.path.join(args.out, "debug.guest")
    with open(gpath + ".tmp", "wb") as f:
        f.write(hdr + b"".join(recs))
    os.replace(gpath + ".tmp", gpath)
    sys.stderr.write("mkvmss: wrote %s + debug.vmem: version %d, %d vCPUs, %d holes, %d pages\n"
                     % (gpath, ver, len(cpus), len(holes), mem_pages))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__)
    ap.add_argument("--guest", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--magic", type=lambda s: int(s, 0), default=0xbed2bed2)
    m = ap.add_mutually_exclusive_group()
    m.add_argument("--embed", action="store_true")
    m.add_argument("--vmem", action="store_true")
    ap.add_argument("--padlen", type=int, default=0)
    ap.add_argument("--regs", choices=["scalar", "gpregs", "both"], default="scalar")
    ap.add_argument("--cr32", action="store_true")
    ap.add_argument("--no-cpu-tag", action="append")
    ap.add_argument("--compressed", action="store_true")
    ap.add_argument("--split-regions", type=int, default=0)
    ap.add_argument("--reverse-blob", action="store_true")
    ap.add_argument("--name")
    ap.add_argument("--no-tail-pad", action="store_true")
    ap.add_argument("--guest-dump", type=int)
    args = ap.parse_args()
    if not 0 <= args.padlen <= 0xFFFF:
        die("--padlen must be 0..65535")
    if args.compressed and args.vmem:
        die("--compressed needs embedded RAM")
    if args.guest_dump is not None:
        make_guest_dump(args)
    else:
        make_checkpoint(args)


if __name__ == "__main__":
    main()
