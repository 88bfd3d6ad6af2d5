#!/usr/bin/env python3
"""Write small kdump-compressed seeds for fuzz_kdump: a plain file (zlib and
plain pages, one excluded page, the shared zero page, CPU and VMCOREINFO
notes) and the same as a flattened (-F) stream.  usage: make_kdump_seed.py DIR"""
import os, struct, sys, zlib

BS, NPAGES = 4096, 16
out = sys.argv[1]


def note(name, ntype, desc):
    n = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(n), len(desc), ntype) + pad(n) + pad(desc)


vmci = b"OSRELEASE=6.1.0-fuzz\nPAGESIZE=4096\n"
prstatus = bytearray(336)
struct.pack_into("<Q", prstatus, 112 + 16 * 8, 0xffffffff81000000)   # rip
notes = note("CORE", 1, bytes(prstatus)) + note("VMCOREINFO", 0, vmci)

hdr = bytearray(BS)
hdr[0:8] = b"KDUMP   "
struct.pack_into("<i", hdr, 8, 6)
hdr[12 + 4 * 65:12 + 4 * 65 + 6] = b"x86_64"
struct.pack_into("<IiiIIIIIIi", hdr, 424, 1, BS, 1, 2, NPAGES, 0, 0, 0, 0, 1)
sub = bytearray(BS)
note_off = BS + 104
struct.pack_into("<QiiQQ", sub, 0, 0, 31, 0, 0, NPAGES)
struct.pack_into("<QQQQ", sub, 32, note_off + notes.index(b"OSRELEASE"), len(vmci), note_off, len(notes))
struct.pack_into("<QQQ", sub, 96 - 16, 0, NPAGES, NPAGES)
sub[104:104 + len(notes)] = notes
bmp1 = bytearray(BS)
bmp2 = bytearray(BS)
present = [p for p in range(NPAGES) if p != 5]
for p in range(NPAGES):
    bmp1[p >> 3] |= 1 << (p & 7)
for p in present:
    bmp2[p >> 3] |= 1 << (p & 7)
pd_off = 4 * BS
data_off = pd_off + 24 * len(present)
data = bytearray(b"\0" * BS)            # the shared zero page first
pds = b""
for p in present:
    page = bytes(((p * 31 + i) & 0xff) for i in range(BS)) if p % 3 else bytes(BS)
    if not any(page):
        pds += struct.pack("<qIIQ", data_off, BS, 0, 0)
        continue
    z = zlib.compress(page)
    blob, flags = (z, 1) if p % 2 else (page, 0)
    pds += struct.pack("<qIIQ", data_off + len(data), len(blob), flags, 0)
    data += blob
plain = bytes(hdr) + bytes(sub) + bytes(bmp1) + bytes(bmp2) + pds + bytes(data)
os.makedirs(out, exist_ok=True)
open(os.path.join(out, "seed.kdump"), "wb").write(plain)

flat = bytearray(4096)
flat[0:12] = b"makedumpfile"
struct.pack_into(">qq", flat, 16, 1, 1)
for off in range(0, len(plain), 8192):
    chunk = plain[off:off + 8192]
    flat += struct.pack(">qq", off, len(chunk)) + chunk
flat += struct.pack(">qq", -1, -1)
open(os.path.join(out, "seed.flat"), "wb").write(bytes(flat))
