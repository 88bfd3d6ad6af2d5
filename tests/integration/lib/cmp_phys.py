#!/usr/bin/env python3
"""Check that every guest-physical page of an ELF core equals the raw RAM QEMU
saved (pmemsave), independently of corekit's own readers.

usage: cmp_phys.py CORE GUESTDIR
GUESTDIR/ram.layout has lines "PA LEN FILE" (hex PA and LEN).  Prints one line
and exits 0 when every RAM page is present in the core with identical bytes
(p_filesz < p_memsz tails and file holes read as zeros), 1 otherwise."""
import os, struct, sys

core, gdir = sys.argv[1], sys.argv[2]
f = open(core, "rb")
eh = f.read(64)
if eh[:4] != b"\x7fELF" or eh[4] != 2:
    sys.exit("not an ELF64 file: " + core)
phoff, shoff = struct.unpack_from("<QQ", eh, 32)
phnum, shnum = struct.unpack_from("<H", eh, 56)[0], struct.unpack_from("<H", eh, 60)[0]
if phnum == 0xFFFF:
    f.seek(shoff)
    phnum = struct.unpack_from("<I", f.read(64), 44)[0]
loads = []                       # (paddr, memsz, offset, filesz), physical view only
for i in range(phnum):
    f.seek(phoff + 56 * i)
    p_type, _, off, vaddr, paddr, filesz, memsz = struct.unpack("<IIQQQQQ", f.read(48))
    if p_type == 1 and vaddr == 0:
        loads.append((paddr, memsz, off, filesz))
loads.sort()

def core_read(pa, n):
    for paddr, memsz, off, filesz in loads:
        if paddr <= pa and pa + n <= paddr + memsz:
            rel = pa - paddr
            if rel >= filesz:
                return b"\0" * n
            f.seek(off + rel)
            data = f.read(min(n, filesz - rel))
            return data + b"\0" * (n - len(data))
    return None

pages = bad = missing = 0
first_bad = None
for line in open(os.path.join(gdir, "ram.layout")):
    if not line.strip() or line.startswith("#"):
        continue
    pa, ln, name = line.split()[:3]
    pa, ln = int(pa, 16), int(ln, 16)
    raw = open(os.path.join(gdir, name), "rb")
    CH = 1 << 20
    for base in range(0, ln, CH):
        n = min(CH, ln - base)
        want = raw.read(n)
        got = core_read(pa + base, n)
        if got is None:
            missing += n // 4096
            first_bad = first_bad or ("missing", pa + base)
            pages += n // 4096
            continue
        if got != want:
            for p in range(0, n, 4096):
                if got[p:p + 4096] != want[p:p + 4096]:
                    bad += 1
                    first_bad = first_bad or ("differs", pa + base + p)
        pages += n // 4096
print("%s: %d pages compared, %d differ, %d missing%s" % (
    os.path.basename(core), pages, bad, missing,
    "" if not first_bad else " (first %s at PA 0x%x)" % first_bad))
sys.exit(0 if bad == 0 and missing == 0 and pages > 0 else 1)
