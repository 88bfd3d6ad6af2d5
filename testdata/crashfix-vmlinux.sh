#!/bin/bash
# testdata/crashfix-vmlinux.sh - make (once) and print the path of
#   ${COREKIT_CACHE:-$HOME/.cache/corekit}/vmlinux-KVER.crashfix
# a copy of Debian's /usr/lib/debug/boot/vmlinux-KVER in which every DWARF
# "struct pid" definition says DW_AT_byte_size 112 instead of 96.
#
# Why: Debian's 6.1.1xx kernels carry the backport that turned struct pid's
# numbers[1] into a flexible array, so sizeof(struct pid) dropped from 112 to 96.
# Debian 12's crash 8.0.2 reads only SIZE(pid) bytes of each struct pid and then
# looks at numbers[0].ns, beyond what it read; it then rejects every pid and
# lists only the idle/active tasks ("TASKS: 3", empty "foreach UN bt").  Telling
# it the struct is 112 bytes (the old size, which includes numbers[0]) fixes
# that.  Only those bytes change: code, symbols and file size stay the same.
#
# How: readelf (binutils) decodes the DIEs; for each top-level
# DW_TAG_structure_type named "pid" whose byte_size is 96 in a one-byte form we
# patch that byte in the copy, after checking the byte really is 0x60.
# KVER is the version linux-image-amd64 depends on (override with KVER=...).
set -euo pipefail
log() { echo "crashfix-vmlinux: $*" >&2; }
KVER=${KVER:-$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*\)$/\1/p' | head -n1)}
[ -n "$KVER" ] || { log "cannot find the kernel version (apt-cache depends linux-image-amd64)"; exit 3; }
SRC=/usr/lib/debug/boot/vmlinux-$KVER
if [ ! -r "$SRC" ]; then
	log "installing linux-image-$KVER-dbg (large)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "linux-image-$KVER-dbg" >&2
fi
CACHE=${COREKIT_CACHE:-$HOME/.cache/corekit}
OUT=$CACHE/vmlinux-$KVER.crashfix
STAMP=$(cat "$0" | sha256sum | cut -c1-16)-$(stat -c %s-%Y "$SRC")
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock-crashfix"
flock 9
if [ -f "$OUT" ] && [ "$(cat "$OUT.stamp" 2>/dev/null)" = "$STAMP" ]; then
	echo "$OUT"
	exit 0
fi
TMP=$OUT.tmp.$$
trap 'rm -f "$TMP" "$TMP.dies"' EXIT
# Top-level DIEs only (depth 2 = CU + its children): struct pid is file scope.
readelf --wide --dwarf-depth=2 --debug-dump=info "$SRC" |
	grep -B1 -A2 -E 'DW_AT_name +: (\((string|strp|line_strp|strx[0-9]?)\)( \(offset: 0x[0-9a-f]+\))?:? )?pid$' >"$TMP.dies"
cp --sparse=always "$SRC" "$TMP"
python3 - "$SRC" "$TMP" "$TMP.dies" <<'EOF'
import re, subprocess, sys
src, out, dies = sys.argv[1:4]
# file offset of .debug_info
sec = subprocess.run(["readelf", "--wide", "-S", src], capture_output=True, text=True, check=True).stdout
m = re.search(r"\]\s+\.debug_info\s+\S+\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)", sec)
base, size = int(m.group(1), 16), int(m.group(2), 16)
patched = skipped = 0
for group in open(dies).read().split("--\n"):
    lines = group.strip().splitlines()
    if len(lines) < 4 or "DW_TAG_structure_type" not in lines[0]:
        continue
    name = re.match(r"\s*<([0-9a-f]+)>\s+DW_AT_name", lines[1])
    bs = re.match(r"\s*<([0-9a-f]+)>\s+DW_AT_byte_size\s*:\s*\(data1\)\s*(\d+)\s*$", lines[2])
    nxt = re.match(r"\s*<([0-9a-f]+)>", lines[3])
    if not (name and bs and nxt) or int(bs.group(2)) != 96:
        skipped += 1
        continue
    off = int(bs.group(1), 16)
    if int(nxt.group(1), 16) != off + 1 or off >= size:   # must be a 1-byte form (data1)
        skipped += 1
        continue
    with open(out, "r+b") as f:
        f.seek(base + off)
        if f.read(1) != b"\x60":
            sys.exit("byte at .debug_info+%#x is not 0x60; refusing" % off)
        f.seek(base + off)
        f.write(b"\x70")
    patched += 1
if patched == 0:
    sys.exit("no struct pid with byte_size 96 found: nothing to fix")
print("crashfix-vmlinux: patched %d struct pid DIEs (96 -> 112), %d other 'pid' DIEs left alone"
      % (patched, skipped), file=sys.stderr)
EOF
mv "$TMP" "$OUT"
echo "$STAMP" >"$OUT.stamp"
echo "$OUT"
