#!/usr/bin/env python3
"""Write a tar holding a good host tree plus hostile members (for bundle_hostile.sh).

usage: hostile_tar.py OUT.tar TREE_DIR ROOT VICTIM [CASE...]
TREE_DIR/ROOT is added as it is (the good part); each CASE adds members:
  dotdot     ../../../../../../VICTIM/dotdot                 (a regular file)
  absolute   VICTIM/absolute                                   (an absolute name)
  symlinks   ROOT/evil-abs -> /etc/passwd, ROOT/evil-rel -> ../../../../../../etc/shadow,
             ROOT/evil-rel/through (a file "through" the link), ROOT/vmfs/volumes/gone -> /vmfs/volumes/nowhere
  hardlinks  ROOT/hl-rel -> ../../../etc/passwd, ROOT/hl-abs -> /etc/passwd (hard links)
  devices    ROOT/dev-null (char 1,3), ROOT/dev-sda (block 8,0), ROOT/fifo (FIFO)
  duplicate  ROOT/.../vm1/vm1.vmx again, with displayName "evil"
  newline    ROOT/evil\\nname\\x1b[31m (a name with a newline and an escape sequence)
  overlong   ROOT/over.txt declaring 100 bytes but holding 3000, then ROOT/after.txt
Python's tarfile writes the members; the overlong header is patched afterwards (size and checksum).
"""
import io, os, sys, tarfile

out, tree, root, victim = sys.argv[1:5]
cases = sys.argv[5:]
vm1 = root + "/vmfs/volumes/5f00-uuid/vm1"


def reg(t, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = 0o644
    t.addfile(ti, io.BytesIO(data))


def special(t, name, kind, target="", major=0, minor=0):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = target
    ti.devmajor, ti.devminor = major, minor
    ti.mode = 0o644
    t.addfile(ti)


with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
    if "dotdot" in cases:
        reg(t, "../../../../../.." + victim + "/dotdot", b"escaped by ..\n")
    if "absolute" in cases:
        reg(t, victim + "/absolute", b"absolute name\n")
    t.add(os.path.join(tree, root), arcname=root)
    if "symlinks" in cases:
        special(t, root + "/evil-abs", tarfile.SYMTYPE, "/etc/passwd")
        special(t, root + "/evil-rel", tarfile.SYMTYPE, "../../../../../../etc/shadow")
        reg(t, root + "/evil-rel/through", b"through a link\n")
        special(t, root + "/vmfs/volumes/gone", tarfile.SYMTYPE, "/vmfs/volumes/nowhere")
    if "hardlinks" in cases:
        special(t, root + "/hl-rel", tarfile.LNKTYPE, "../../../etc/passwd")
        special(t, root + "/hl-abs", tarfile.LNKTYPE, "/etc/passwd")
    if "devices" in cases:
        special(t, root + "/dev-null", tarfile.CHRTYPE, major=1, minor=3)
        special(t, root + "/dev-sda", tarfile.BLKTYPE, major=8, minor=0)
        special(t, root + "/fifo", tarfile.FIFOTYPE)
    if "duplicate" in cases:
        reg(t, vm1 + "/vm1.vmx", b'displayName = "evil"\n')
    if "newline" in cases:
        reg(t, root + "/evil\nname\x1b[31m", b"x\n")
    if "overlong" in cases:
        reg(t, root + "/over.txt", b"o" * 3000)
        reg(t, root + "/after.txt", b"after\n")

if "overlong" in cases:
    data = bytearray(open(out, "rb").read())
    name = (root + "/over.txt").encode()
    h = data.find(name)
    while h % 512:
        h = data.find(name, h + 1)
    data[h + 124:h + 136] = b"%011o\0" % 100
    data[h + 148:h + 156] = b" " * 8
    data[h + 148:h + 156] = b"%06o\0 " % sum(data[h:h + 512])
    open(out, "wb").write(data)
