#!/usr/bin/env python3
"""Write small zdump-like seeds for fuzz_zdump (made from the fact sheet's
facts, as tests/integration/lib/zdump_make.py does): log text as it is, the
same text as zlib and gzip streams, a minimal ELF core raw and compressed,
and a plain header followed by ESXi's crypto envelope.  usage: make_zdump_seed.py DIR"""
import gzip, os, struct, sys, zlib

out = sys.argv[1]
log = (b"2020-10-07T13:07:09.864Z cpu36:1001599386)@BlueScreen: #PF Exception 14 in world 1001599386:fdsAIO IP "
       b"0x420017c7c1d2 addr 0xe8\n2020-10-07T13:07:09.874Z cpu36:1001599386)0x4538da49aeb0:[0x420017c7c1d2]"
       b"LibAIODoAsyncIO@vmkernel#nover+0x12a stack: 0x0\n")
# a minimal ELF64 core: header, PT_NOTE and PT_LOAD program headers, 256 bytes of segment
eh = b"\x7fELF\x02\x01\x01" + b"\0" * 9 + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, 2, 0, 0, 0)
ph = struct.pack("<IIQQQQQQ", 4, 0, 176, 0, 0, 20, 0, 4) + struct.pack("<IIQQQQQQ", 1, 4, 256, 0x400000, 0, 256, 256, 4096)
core = eh + ph + b"\0" * (256 - len(eh) - len(ph)) + bytes(range(256))
seeds = {
    "text.zdump": b"\0" * 64 + log + b"\0" * 64,
    "zlib.zdump": b"\xff" * 16 + zlib.compress(log) + b"\xff" * 16,
    "gzip.zdump": b"\xff" * 16 + gzip.compress(log, mtime=0),
    "core.zdump": b"\x01" * 8 + core,
    "zcore.zdump": b"\x01" * 8 + zlib.compress(b"\0" * 100 + core + log),
    "envelope.zdump": b"H" * 4096 + b"DataTransformEnvelope" + b"\0" * 483 + struct.pack("<II", 4096, 2) + b"\x5a" * 512,
}
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    open(os.path.join(out, name), "wb").write(data)
