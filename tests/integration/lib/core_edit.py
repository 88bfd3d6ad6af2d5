#!/usr/bin/env python3
"""Damaged copies of a real ELF core, for coresummary_wild.sh.

  core_edit.py dropnote SRC DST TYPE   the notes of type TYPE (e.g. 0x53494749,
                                       NT_SIGINFO) removed from PT_NOTE, the
                                       notes after them moved up, p_filesz shrunk
  core_edit.py breaknote SRC DST N     the N-th note's header made unparsable
                                       (n_namesz past the segment): libelf stops there
  core_edit.py notes SRC               "TYPE OFFSET" of every note, one a line
"""
import struct
import sys


def phdrs(d):
    phoff, = struct.unpack_from('<Q', d, 32)
    phnum, = struct.unpack_from('<H', d, 56)
    for i in range(phnum):
        yield phoff + 56 * i, struct.unpack_from('<IIQQQQQQ', d, phoff + 56 * i)


def notes(d):
    """(phdr offset, [(type, start, end)]) for the first PT_NOTE."""
    for at, (t, _, off, _, _, fsz, _, _) in phdrs(d):
        if t != 4:
            continue
        res, o = [], off
        while o + 12 <= off + fsz:
            nsz, dsz, typ = struct.unpack_from('<III', d, o)
            end = o + 12 + ((nsz + 3) & ~3) + ((dsz + 3) & ~3)
            res.append((typ, o, end))
            o = end
        return at, off, fsz, res
    raise SystemExit('no PT_NOTE')


def main():
    cmd, src = sys.argv[1], sys.argv[2]
    d = bytearray(open(src, 'rb').read())
    at, off, fsz, ns = notes(d)
    if cmd == 'notes':
        for typ, s, _ in ns:
            print(f'{typ:#x} {s}')
        return
    dst = sys.argv[3]
    if cmd == 'dropnote':
        typ = int(sys.argv[4], 0)
        kept = b''.join(bytes(d[s:e]) for t, s, e in ns if t != typ)
        if len(kept) == fsz:
            raise SystemExit(f'no note of type {typ:#x}')
        d[off:off + fsz] = kept + bytes(fsz - len(kept))
        struct.pack_into('<Q', d, at + 32, len(kept))
    elif cmd == 'breaknote':
        _, s, _ = ns[int(sys.argv[4])]
        struct.pack_into('<I', d, s, 0x7fffffff)
    open(dst, 'wb').write(d)


if __name__ == '__main__':
    main()
