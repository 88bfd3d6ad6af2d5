#!/bin/bash
# testdata/kdump.sh [SHAPE] - make (if not cached) makedumpfile's kdump-compressed
# dumps of the guest testdata/guest.sh SHAPE (default small) made, and print
# their directory (GUESTDIR/kdump):
#   X.core      ELF vmcore of qemu.elf written by our vmss2core (the input of all below)
#   z.kdump     makedumpfile -c -d 31  (zlib)
#   l.kdump     makedumpfile -l -d 31  (lzo)
#   p.kdump     makedumpfile -p -d 31  (snappy asked for)
#   zs.kdump    makedumpfile -z -d 31  (zstd asked for)
#   u31.kdump   makedumpfile -d 31     (pages not compressed)
#   full.kdump  makedumpfile -d 0      (every page, not compressed)
#   f.flat      makedumpfile -c -d 31 -F  (flattened stream of z.kdump)
#   z7.kdump    makedumpfile -c -d 7   (zlib; zero and page-cache pages left out,
#               user and free pages kept: Debian's makedumpfile 1.7.2 takes
#               some of 6.12's slab pages - task_structs among them - for user
#               or free pages and drops them at -d 8/16, so 6.12 guests are
#               checked on this one)
#   status      "FILE 0xSTATUS" per dump: the header's compression bits as written
# Rebuilt when this script, the guest or makedumpfile's version changes (.stamp).
# vmss2core comes from $COREKIT_BIN (default build/bin).  Progress goes to stderr.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
SHAPE=${1:-small}
GDIR=$("$HERE/guest.sh" "$SHAPE")
OUT=$GDIR/kdump
VMSS2CORE=${COREKIT_BIN:-$ROOT/build/bin}/vmss2core
[ -x "$VMSS2CORE" ] || { echo "kdump.sh: $VMSS2CORE not built (make)" >&2; exit 1; }
MDF_VERSION=$(makedumpfile -v 2>&1 | head -1)
STAMP=$({ cat "$HERE/kdump.sh"; echo "$GDIR $MDF_VERSION"; } | sha256sum | cut -c1-16)
exec 9>"$GDIR/.lock-kdump"
flock 9
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP" ]; then
	echo "$OUT"
	exit 0
fi
WORK=$GDIR/.kdump.work.$$
trap 'rm -rf "$WORK"' EXIT
rm -rf "$GDIR"/.kdump.work.*
mkdir -p "$WORK"
t0=$(date +%s)
"$VMSS2CORE" -q -o "$WORK/X.core" "$GDIR/qemu.elf"
mdf() { makedumpfile "$@" >"$WORK/mdf.log" 2>&1 || { cat "$WORK/mdf.log" >&2; exit 1; }; }
mdf -c -d 31 "$WORK/X.core" "$WORK/z.kdump"
mdf -l -d 31 "$WORK/X.core" "$WORK/l.kdump"
mdf -p -d 31 "$WORK/X.core" "$WORK/p.kdump"
mdf -z -d 31 "$WORK/X.core" "$WORK/zs.kdump"
mdf -d 31 "$WORK/X.core" "$WORK/u31.kdump"
mdf -d 0 "$WORK/X.core" "$WORK/full.kdump"
mdf -c -d 7 "$WORK/X.core" "$WORK/z7.kdump"
makedumpfile -c -d 31 -F "$WORK/X.core" >"$WORK/f.flat" 2>"$WORK/mdf.log" || { cat "$WORK/mdf.log" >&2; exit 1; }
rm -f "$WORK/mdf.log"
for f in "$WORK"/*.kdump; do
	# disk_dump_header.status: little-endian u32 at offset 424
	echo "$(basename "$f") 0x$(od -An -tx4 -j424 -N4 "$f" | tr -d ' ')"
done >"$WORK/status"
echo "$STAMP" >"$WORK/.stamp"
rm -rf "$OUT"
mv "$WORK" "$OUT"
echo "kdump.sh[$SHAPE]: done in $(($(date +%s) - t0)) s ($MDF_VERSION)" >&2
echo "$OUT"
