#!/usr/bin/env python3
"""vmssread.py - a small independent reader for the fixtures, used by
check-fixtures.sh to verify what crash cannot (more than 3 regions, version-0
magics, padLen, compressed blocks, other debug.guest versions).  It shares no
code with mkvmss.py: it follows vmware-checkpoint.md (canonical region mapping,
width from the magic's low nibble, padLen honoured).

  vmssread.py tags FILE                    list groups and tags
  vmssread.py check GUESTDIR FILE [--full] compare RAM (sampled pages, or all with
                                           --full) and registers with the guest dir
FILE is a .vmss/.vmsn (RAM embedded or in the sibling .vmem) or a debug.guest.
Exit 0 and 'ok' on success, 1 and a reason otherwise.
"""
import os, re, struct, sys

PG = 4096


class Bad(Exception):
    pass


def parse_vmss(path):
    with open(path, "rb") as f:
        magic, _, ngroups = struct.unpack("<III", f.read(12))
        if magic == 0xbed0bed0:     # crash: old 32-bit checkpoint, refused (as the fact sheet advises)
            raise Bad("32-bit checkpoint (magic 0xbed0bed0)")
        if magic not in (0xbed2bed2, 0xbed3bed3, 0xbad1bad1, 0xbad2bad2, 0xbed2bed0):
            raise Bad("unknown magic %#x" % magic)
        wide = (magic & 0xF) != 0
        if ngroups > 1000:
            raise Bad("too many groups")
        table = [struct.unpack("<64sQQ", f.read(80)) for _ in range(ngroups)]
        tags = {}
        for rawname, off, size in table:
            gname = rawname.split(b"\0")[0].decode()
            f.seek(off)
            while True:
                head, = struct.unpack("<H", f.read(2))
                if head == 0:
                    break
                nlen, nidx, code = head >> 8, (head >> 6) & 3, head & 0x3F
                name = f.read(nlen).decode()
                idx = struct.unpack("<%dI" % nidx, f.read(4 * nidx))
                if code >= 62:
                    fmt = "<QQH" if wide else "<IIH"
                    disk, mem, pad = struct.unpack(fmt, f.read(struct.calcsize(fmt)))
                    data_off = f.tell() + pad
                    small = None
                    if disk <= 4096:
                        f.seek(data_off)
                        small = f.read(disk)
                    tags[(gname, name, idx)] = ("block", data_off, disk, mem, code == 62, small)
                    f.seek(data_off + disk)
                else:
                    tags[(gname, name, idx)] = ("val", f.read(code))
        return magic, tags


def ival(t):
    return int.from_bytes(t[1], "little") if t and t[0] == "val" else None


def guest_layout(gdir):
    out = []
    for line in open(os.path.join(gdir, "ram.layout")):
        pa, ln, name = line.split()
        out.append((int(pa, 16), int(ln, 16), os.path.join(gdir, name)))
    return out


def qemu_regs(gdir):
    cpus = []
    text = open(os.path.join(gdir, "regs.txt")).read()
    for blk in re.split(r"^CPU#\d+\s*$", text, flags=re.M)[1:]:
        r = {k.lower(): int(v, 16) for k, v in re.findall(r"\b(R[A-Z0-9]+)\s*=([0-9a-f]+)", blk)}
        for n in (0, 2, 3, 4):
            r["cr%d" % n] = int(re.search(r"CR%d=([0-9a-f]+)" % n, blk).group(1), 16)
        r["idt"] = int(re.search(r"^IDT=\s*([0-9a-f]+)", blk, re.M).group(1), 16)
        cpus.append(r)
    return cpus


def sample_pages(npages, full):
    if full or npages <= 64:
        return range(npages)
    step = max(1, npages // 509)
    return sorted(set(list(range(0, npages, step)) + [npages - 1]))


def check_ram(gdir, read_pa, full):
    """read_pa(pa) -> 4 KiB of guest memory from the fixture."""
    n = 0
    for pa, ln, raw in guest_layout(gdir):
        with open(raw, "rb") as f:
            for p in sample_pages(ln // PG, full):
                f.seek(p * PG)
                if read_pa(pa + p * PG) != f.read(PG):
                    raise Bad("RAM differs at PA %#x" % (pa + p * PG))
                n += 1
    return n


def check_vmss(gdir, path, full):
    magic, tags = parse_vmss(path)
    t = lambda g, n, *i: tags.get((g, n, tuple(i)))
    # memory
    count = ival(t("memory", "regionsCount")) or 0
    regions = [(ival(t("memory", "regionPPN", i)), ival(t("memory", "regionPageNum", i)),
                ival(t("memory", "regionSize", i))) for i in range(count)]
    mem = t("memory", "Memory", 0, 0)
    if mem:
        if mem[4]:
            raise Bad("Memory is a compressed block")
        dfile, base, dsize = path, mem[1], mem[2]
    else:
        dfile = path[:-4] + "vmem"
        base, dsize = 0, os.path.getsize(dfile)
    with open(dfile, "rb") as d:
        def read_pa(pa):
            for ppn, pnum, size in regions:
                if ppn * PG <= pa < (ppn + size) * PG:
                    off = pnum * PG + pa - ppn * PG
                    if off + PG > dsize:
                        raise Bad("region beyond the RAM data")
                    d.seek(base + off)
                    return d.read(PG)
            raise Bad("PA %#x in no region" % pa)
        npages = check_ram(gdir, read_pa, full)
    # registers
    ncpu = ival(t("cpu", "cpu:numVCPUs"))
    if ncpu is None:
        raise Bad("no cpu:numVCPUs")
    want = qemu_regs(gdir)
    if ncpu != len(want):
        raise Bad("numVCPUs %d, guest has %d" % (ncpu, len(want)))
    names = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"] + ["r%d" % i for i in range(8, 16)]
    for c, w in enumerate(want):
        got = {}
        gp = t("cpu", "gpregs", c)
        if gp:
            got.update(zip(names, struct.unpack("<16Q", gp[5])))
        for n in names + ["rip"]:
            if t("cpu", n, c):
                got[n] = ival(t("cpu", n, c))
        got["rfl"] = ival(t("cpu", "eflags", c))
        cr = t("cpu", "CR64", c)
        if cr:
            for k, v in enumerate(struct.unpack("<9Q", cr[5])[:5]):
                got["cr%d" % k] = v
        for k in (0, 2, 3, 4):
            for tn in ("CR64", "CR"):
                if t("cpu", tn, c, k):
                    got["cr%d" % k] = ival(t("cpu", tn, c, k))
        idt = t("cpu", "IDTR", c)
        if idt:
            got["idt"] = struct.unpack("<HQ", idt[5])[1]
        if t("cpu", "IDTR", c, 1):
            got["idt"] = ival(t("cpu", "IDTR", c, 1)) | ival(t("cpu", "IDTR", c, 2)) << 32
        # 32-bit CR[cpu][n] tags only: the low 32 bits (a CR3 above 4 GiB is lost)
        cr32 = not cr and not t("cpu", "CR64", c, 2)
        for k in names + ["rip", "rfl", "cr0", "cr2", "cr3", "cr4", "idt"]:
            if k not in got:
                raise Bad("cpu %d: no %s" % (c, k))
            wk = w[k] & 0xFFFFFFFF if cr32 and k.startswith("cr") else w[k]
            if got[k] != wk:
                raise Bad("cpu %d: %s=%#x, regs.txt says %#x" % (c, k, got[k], wk))
    cfg = t("Snapshot", "cfgFile")
    if not cfg or b'guestOS = "debian12-64"' not in (cfg[5] or b""):
        raise Bad("no guestOS in Snapshot/cfgFile")
    return "magic %#x, %d regions, %d pages compared, %d vCPUs" % (magic, count, npages, ncpu)


def check_guest(gdir, path, full):
    d = open(path, "rb").read()
    ver, ncpu = struct.unpack_from("<II", d, 0)
    if ver == 1:
        last, npg, _, nholes = struct.unpack_from("<QIII", d, 21)
        holes = [struct.unpack_from("<II", d, 41 + 8 * i) for i in range(nholes)]
        voff = 61 + 8 * nholes
    else:
        moff = {3: 22, 4: 22, 5: 22, 6: 23, 7: 16}[ver]
        last, npg, _, nholes = struct.unpack_from("<QQII", d, moff)
        holes = [struct.unpack_from("<QQ", d, moff + 24 + 16 * i) for i in range(nholes)]
        voff = moff + 56 + (11 if ver == 7 else 0)
        if ver == 7 and struct.unpack_from("<I", d, 72)[0] != 1:
            raise Bad("v7 cpu arch is not x86")
    gap = 45 if ver < 4 else 42
    rec = 116 + gap + 233
    if len(d) != voff + ncpu * (rec + PG):
        raise Bad("file size %d, expected %d" % (len(d), voff + ncpu * (rec + PG)))
    if last + 1 != (npg + sum(h[1] for h in holes)) * PG:
        raise Bad("last_addr does not match pages + holes")
    vmem = path[:-5] + "vmem"
    if os.path.getsize(vmem) != npg * PG:
        raise Bad("debug.vmem size")
    with open(vmem, "rb") as v:
        def read_pa(pa):
            sub = 0
            for hp, hn in holes:
                if hp * PG <= pa < (hp + hn) * PG:
                    raise Bad("PA %#x in a hole" % pa)
                if (hp + hn) * PG <= pa:
                    sub += hn * PG
            v.seek(pa - sub)
            return v.read(PG)
        npages = check_ram(gdir, read_pa, full)
    want = qemu_regs(gdir)
    order = ["r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx",
             "rdx", "rsi", "rdi", "orig", "rip", "cs", "rfl", "rsp", "ss"]
    for c, w in enumerate(want):
        o = voff + c * rec
        cr0, cr2, cr3, cr4 = struct.unpack_from("<IQQQ", d, o)
        idt, = struct.unpack_from("<Q", d, o + 108)
        got = dict(zip(order, struct.unpack_from("<21Q", d, o + 116 + gap)))
        got.update(cr0=cr0, cr2=cr2, cr3=cr3, cr4=cr4, idt=idt)
        for k in order + ["cr0", "cr2", "cr3", "cr4", "idt"]:
            if k in w and got[k] != w[k]:
                raise Bad("cpu %d: %s=%#x, regs.txt says %#x" % (c, k, got[k], w[k]))
    return "debug.guest v%d, %d holes, %d pages compared, %d vCPUs" % (ver, nholes, npages, ncpu)


def main():
    a = sys.argv[1:]
    try:
        if a[0] == "tags":
            magic, tags = parse_vmss(a[1])
            print("magic %#x" % magic)
            for (g, n, i), v in tags.items():
                desc = ("block disk=%d mem=%d at %#x%s" % (v[2], v[3], v[1], " compressed" if v[4] else "")
                        if v[0] == "block" else "%d B %s" % (len(v[1]), v[1].hex()))
                print("%s/%s%s %s" % (g, n, "".join("[%d]" % x for x in i), desc))
        elif a[0] == "check":
            full = "--full" in a
            fn = check_guest if a[2].endswith(".guest") else check_vmss
            print("ok", fn(a[1], a[2], full))
        else:
            raise SystemExit(__doc__)
    except (Bad, struct.error, OSError) as e:
        print("bad:", e)
        sys.exit(1)


if __name__ == "__main__":
    main()
