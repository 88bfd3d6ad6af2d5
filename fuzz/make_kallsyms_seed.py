#!/usr/bin/env python3
"""Write the seed for fuzz_kallsyms (see fuzz/fuzz_kallsyms.c for the input
format): a 300-symbol kallsyms table in Debian 6.1's layout (offsets,
relative_base, num_syms, names, markers, seqs_of_names, token table/index)
and one module with four symbols, at image base 0xffffffff81000000."""
import struct
import sys

BASE = 0xffffffff81000000
img = bytearray(0x8000)


def al8(x):
    return (x + 7) & ~7


used = set(range(ord('a'), ord('z') + 1)) | set(range(ord('A'), ord('Z') + 1)) | \
    set(range(ord('0'), ord('9') + 1)) | {ord('_'), ord('.')}
tokens = [chr(c) if c in used else "tk%d" % c for c in range(256)]
tokens[200] = "func_"

syms = [(0, "Dfixed_percpu_data")] + \
    [(BASE + 0x1000 + 0x40 * i, "tfunc_%03d" % i) for i in range(298)] + [(BASE + 0x7000, "B_end")]
n = len(syms)


def encode(name):
    out, i = [], 0
    while i < len(name):
        if name.startswith("func_", i):
            out.append(200)
            i += 5
        else:
            out.append(ord(name[i]))
            i += 1
    return bytes(out)


o = 0x40
offs_at = o
o = al8(o + 4 * n)
rb_at = o
o += 8
num_at = o
o = al8(o + 4)
names_at = o
marks = []
for i, (_, name) in enumerate(syms):
    if i % 256 == 0:
        marks.append(o - names_at)
    e = encode(name)
    img[o] = len(e)
    img[o + 1:o + 1 + len(e)] = e
    o += 1 + len(e)
o = al8(o)
for m in marks:
    struct.pack_into("<I", img, o, m)
    o += 4
o = al8(o)
for i in range(n):
    img[o:o + 3] = i.to_bytes(3, "big")
    o += 3
o = al8(o)
tt = o
idx = []
for t in tokens:
    idx.append(o - tt)
    img[o:o + len(t) + 1] = t.encode() + b"\0"
    o += len(t) + 1
o = al8(o)
ti = o
for x in idx:
    struct.pack_into("<H", img, o, x)
    o += 2
struct.pack_into("<Q", img, rb_at, BASE)
struct.pack_into("<I", img, num_at, n)
for i, (a, _) in enumerate(syms):
    off = a if a < (1 << 63) else BASE - 1 - a
    struct.pack_into("<i", img, offs_at + 4 * i, off)

# One module (layout of fuzz_kallsyms.c): head, struct module, mod_kallsyms, symtab, strtab, typetab.
H, M, K, S, STR, TY = 0x6000, 0x6100, 0x6200, 0x6300, 0x6400, 0x6480
TEXT = 0xffffffffc0001000
struct.pack_into("<Q", img, H, BASE + M + 16)
struct.pack_into("<Q", img, M + 16, BASE + H)
img[M + 40:M + 44] = b"mod\0"
struct.pack_into("<Q", img, M + 72, BASE + K)
struct.pack_into("<Q", img, M + 88, TEXT)
struct.pack_into("<I", img, M + 100, 0x100)
struct.pack_into("<I", img, K, 4)
struct.pack_into("<QQQ", img, K + 8, BASE + S, BASE + STR, BASE + TY)
strtab = b"\0mod_a\0mod_b\0mod_c\0"
img[STR:STR + len(strtab)] = strtab
for i, (nm, val, shndx, ty) in enumerate([(0, 0, 0, b"?"), (1, TEXT, 1, b"t"), (7, TEXT + 0x40, 1, b"T"),
                                         (13, TEXT + 0x8000, 2, b"d")]):
    struct.pack_into("<IBBHQQ", img, S + 24 * i, nm, 0, 0, shndx, val, 0)
    img[TY + i:TY + i + 1] = ty

struct.pack_into("<8I", img, 0, names_at, num_at, tt, ti, offs_at, rb_at, H, 1)
sys.stdout.buffer.write(bytes(img))
