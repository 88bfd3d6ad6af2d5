#!/usr/bin/env python3
"""Check an ELF core that corekit made from a kdump-compressed dump, with a
reader of the kdump format written here (independent of libkdumpfile and of
corekit's C code).

usage: kdump_check.py DUMP XCORE OURCORE
DUMP is a kdump-compressed file or its flattened (-F) stream; XCORE the ELF
core makedumpfile read to make DUMP; OURCORE what `vmss2core -o OURCORE DUMP`
wrote.  Checks, for every page:
  - OURCORE's physical PT_LOADs hold exactly the pages DUMP's 2nd bitmap says
    were dumped (excluded pages are left out, not invented as zeros);
  - each of them equals the same page of XCORE;
  - each page descriptor's compression flag is one the header's status allows.
Prints one summary line ("status 0x.. pages N (flags: ...)") and exits 0, or
prints the first problem and exits 1."""
import bisect, struct, sys

PAGE = 4096


class Flat:
    """The plain dump described by a flattened stream: (offset, size, stream pos) records."""
    def __init__(self, f):
        self.f, self.recs = f, []
        f.seek(4096)
        while True:
            off, size = struct.unpack(">qq", f.read(16))
            if off == -1:
                break
            self.recs.append((off, size, f.tell()))
            f.seek(size, 1)
        self.recs.sort()
        self.starts = [r[0] for r in self.recs]

    def read(self, off, n):
        out = bytearray(n)
        i = max(bisect.bisect_right(self.starts, off) - 1, 0)
        while i < len(self.recs) and self.recs[i][0] < off + n:
            ro, rs, rp = self.recs[i]
            s, e = max(ro, off), min(ro + rs, off + n)
            if s < e:
                self.f.seek(rp + s - ro)
                out[s - off:e - off] = self.f.read(e - s)
            i += 1
        return bytes(out)


class Plain:
    def __init__(self, f):
        self.f = f

    def read(self, off, n):
        self.f.seek(off)
        return self.f.read(n)


def open_dump(path):
    f = open(path, "rb")
    return Flat(f) if f.read(12) == b"makedumpfile" else Plain(f)


def elf_phys_loads(path):
    f = open(path, "rb")
    eh = f.read(64)
    assert eh[:4] == b"\x7fELF", path + ": not ELF"
    phoff, shoff = struct.unpack_from("<QQ", eh, 32)
    phnum = struct.unpack_from("<H", eh, 56)[0]
    if phnum == 0xFFFF:
        f.seek(shoff)
        phnum = struct.unpack_from("<I", f.read(64), 44)[0]
    loads = []
    for i in range(phnum):
        f.seek(phoff + 56 * i)
        p_type, _, off, vaddr, paddr, filesz, memsz = struct.unpack("<IIQQQQQ", f.read(48))
        if p_type == 1 and vaddr == 0:
            loads.append((paddr, memsz, off, filesz))
    loads.sort()
    return f, loads


def page_reader(path):
    f, loads = elf_phys_loads(path)
    starts = [l[0] for l in loads]

    def read(pa):
        i = bisect.bisect_right(starts, pa) - 1
        if i < 0:
            return None
        paddr, memsz, off, filesz = loads[i]
        if pa + PAGE > paddr + memsz:
            return None
        rel = pa - paddr
        if rel >= filesz:
            return b"\0" * PAGE
        f.seek(off + rel)
        d = f.read(min(PAGE, filesz - rel))
        return d + b"\0" * (PAGE - len(d))
    return read, loads


def main():
    dump_path, xcore, ours = sys.argv[1:4]
    d = open_dump(dump_path)
    h = d.read(0, 464)
    if h[:8] != b"KDUMP   ":
        sys.exit("%s: no KDUMP signature" % dump_path)
    version, = struct.unpack_from("<i", h, 8)
    status, bs, sub_blocks, bmp_blocks, max_mapnr = struct.unpack_from("<IiiII", h, 424)
    if version >= 6:
        max_mapnr, = struct.unpack_from("<Q", d.read(bs + 96, 8))
    half = bmp_blocks * bs // 2
    bmp2 = d.read((1 + sub_blocks) * bs + half, half)
    pd_off = (1 + sub_blocks + bmp_blocks) * bs
    dumped = [pfn for pfn in range(max_mapnr) if bmp2[pfn >> 3] >> (pfn & 7) & 1]

    flags_seen = {}
    allowed = status & 0x27
    for i in range(0, len(dumped), 4096):        # page descriptors, in batches
        chunk = d.read(pd_off + 24 * i, 24 * min(4096, len(dumped) - i))
        for j in range(0, len(chunk), 24):
            _, size, flags, _ = struct.unpack_from("<qIIQ", chunk, j)
            flags_seen[flags] = flags_seen.get(flags, 0) + 1
            if flags & ~allowed & 0x27:
                print("page 0x%x: descriptor flags 0x%x not allowed by header status 0x%x"
                      % (dumped[i + j // 24], flags, status))
                return 1

    xread, _ = page_reader(xcore)
    oread, oloads = page_reader(ours)
    have = set()
    for paddr, memsz, _, _ in oloads:
        if paddr % PAGE or memsz % PAGE:
            print("%s: physical PT_LOAD 0x%x+0x%x is not page-aligned" % (ours, paddr, memsz))
            return 1
        have.update(range(paddr // PAGE, (paddr + memsz) // PAGE))
    want = set(dumped)
    if have != want:
        extra, missing = sorted(have - want), sorted(want - have)
        print("%s: pages differ from the dump's bitmap: %d extra (first 0x%x), %d missing (first 0x%x)"
              % (ours, len(extra), extra[0] if extra else 0, len(missing), missing[0] if missing else 0))
        return 1
    for pfn in dumped:
        x, o = xread(pfn * PAGE), oread(pfn * PAGE)
        if x is None:
            print("page 0x%x is in the dump but not in %s" % (pfn, xcore))
            return 1
        if o != x:
            print("page 0x%x of %s differs from %s" % (pfn, ours, xcore))
            return 1
    print("status 0x%x pages %d of max_mapnr %d (descriptor flags: %s)" % (
        status, len(dumped), max_mapnr,
        ", ".join("0x%x x%d" % kv for kv in sorted(flags_seen.items()))))
    return 0


sys.exit(main())
