#!/usr/bin/env python3
"""Small ELF core editor for tests/integration/kernel_image.sh (reads the ELF
program headers itself, independent of corekit):
  kimage_core.py prpid CORE PID...     set pr_pid of the Nth NT_PRSTATUS to the Nth PID
                                       (kdump's convention: the pid running on that CPU,
                                       0 for idle; QEMU and vmss2core write cpu+1)
  kimage_core.py offset CORE VADDR     file offset of a kernel virtual address
  kimage_core.py peek CORE VADDR       the u64 there (hex)
  kimage_core.py poke CORE VADDR VALUE write a u64 there
  kimage_core.py unmapped CORE         a canonical direct-map address that no PT_LOAD holds
                                       (64 GiB above the direct map's start)"""
import struct
import sys

M64 = (1 << 64) - 1     # the shell hands over addresses as signed numbers


def headers(f):
    f.seek(0)
    eh = f.read(64)
    if eh[:4] != b"\x7fELF" or eh[4] != 2:
        sys.exit("not an ELF64 file")
    phoff, = struct.unpack_from("<Q", eh, 32)
    phentsize, phnum = struct.unpack_from("<HH", eh, 54)
    for i in range(phnum):
        f.seek(phoff + i * phentsize)
        yield struct.unpack("<IIQQQQQQ", f.read(56))


def offset(f, va):
    for typ, _flags, off, vaddr, _paddr, filesz, _memsz, _align in headers(f):
        if typ == 1 and vaddr and vaddr <= va and va + 8 <= vaddr + filesz:
            return off + va - vaddr
    sys.exit("0x%x is in no virtual PT_LOAD" % va)


def prstatus_pid_offsets(f):
    for typ, _flags, off, _v, _p, filesz, _m, _a in headers(f):
        if typ != 4:
            continue
        f.seek(off)
        d = f.read(filesz)
        pos = 0
        while pos + 12 <= len(d):
            nsz, dsz, ntype = struct.unpack_from("<III", d, pos)
            desc = pos + 12 + ((nsz + 3) & ~3)
            if ntype == 1 and d[pos + 12:pos + 12 + nsz].rstrip(b"\0") == b"CORE":
                yield off + desc + 32      # pr_pid after siginfo(12) cursig(2+2) sigpend sighold
            pos = desc + ((dsz + 3) & ~3)


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    with open(path, "r+b" if cmd in ("prpid", "poke") else "rb") as f:
        if cmd == "prpid":
            offs = list(prstatus_pid_offsets(f))
            pids = [int(p) for p in sys.argv[3:]]
            if len(offs) != len(pids):
                sys.exit("%d NT_PRSTATUS notes, %d pids" % (len(offs), len(pids)))
            for o, p in zip(offs, pids):
                f.seek(o)
                f.write(struct.pack("<i", p))
        elif cmd == "offset":
            print(offset(f, int(sys.argv[3], 0) & M64))
        elif cmd == "peek":
            f.seek(offset(f, int(sys.argv[3], 0) & M64))
            print(hex(struct.unpack("<Q", f.read(8))[0]))
        elif cmd == "poke":
            f.seek(offset(f, int(sys.argv[3], 0) & M64))
            f.write(struct.pack("<Q", int(sys.argv[4], 0) & M64))
        elif cmd == "unmapped":
            base = min(v - p for t, _f, _o, v, p, _s, _m, _a in headers(f) if t == 1 and v >= 0xffff800000000000 and v - p < 0xffffffff80000000)
            va = base + (64 << 30)
            if any(t == 1 and v and v <= va < v + s for t, _f, _o, v, _p, s, _m, _a in headers(f)):
                sys.exit("0x%x is mapped" % va)
            print(hex(va))
        else:
            sys.exit(__doc__)


main()
