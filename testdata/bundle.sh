#!/bin/bash
# testdata/bundle.sh SHAPE [--frag-size N] [--order vmem-first|vmss-first] [--layout full|bench]
# - make (if not cached) an ESXi vm-support bundle around the real guest of
# testdata/guest.sh SHAPE and print its directory.  SHAPE: hang (the ABBA and
# 3-task cycle deadlocks coresummary must name), small (quick tests), big
# (3 GiB of RAM, for bench/bundle.sh), or any other guest.sh shape.
#
#   --frag-size N   vm-support's piece size: files larger than N are stored as
#                   NAME.FRAG-00000, -00001, ... of N bytes (default 1048576;
#                   a multiple of 4096)
#   --order O       archive member order in the hung VM's directory:
#                   vmem-first (default): names sorted, as a sorted directory walk
#                   gives them (pgsql-01.vmem.* < pgsql-01.vmss.* < pgsql-01.vmx);
#                   vmss-first: its small files, then the .vmss pieces, then the .vmem
#                   pieces (the order a streaming reader needs)
#   --layout L      full (default): three VMs (the hung one with .vmss + .vmem
#                   in pieces, one with a .vmss.gz whose guest is the healthy
#                   shape, one running with no checkpoint), the bundle as a .tgz,
#                   an extracted tree, .tar.xz, .zip and a vCenter wrapper;
#                   bench: the hung VM and the host files only, .tgz + tree
#
# The directory (GUESTDIR/bundles/LAYOUT-ORDER-fN) holds facts.json, the
# ground truth for tests (testdata/README.md lists its keys).  Rebuilt when
# this script, mkbundle.py, mkvmss.py or a guest changes (stamp file .stamp);
# built in a work dir and renamed into place.  Progress goes to stderr.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SHAPE=${1:-}
usage() { echo "usage: $0 SHAPE [--frag-size N] [--order vmem-first|vmss-first] [--layout full|bench]" >&2; exit 1; }
[ -n "$SHAPE" ] && [ "${SHAPE#-}" = "$SHAPE" ] || usage
shift
FRAG=1048576 ORDER=vmem-first LAYOUT=full
while [ $# -gt 0 ]; do
	case $1 in
	--frag-size) FRAG=${2:-}; shift 2 || usage ;;
	--order) ORDER=${2:-}; shift 2 || usage ;;
	--layout) LAYOUT=${2:-}; shift 2 || usage ;;
	*) usage ;;
	esac
done
[[ $FRAG =~ ^[0-9]+$ ]] && [ $((FRAG % 4096)) = 0 ] && [ "$FRAG" -gt 0 ] || { echo "$0: --frag-size must be a positive multiple of 4096" >&2; exit 1; }
case $ORDER in vmem-first | vmss-first) ;; *) usage ;; esac
case $LAYOUT in full | bench) ;; *) usage ;; esac

GDIR=$("$HERE/guest.sh" "$SHAPE")
FX=$("$HERE/fixtures.sh" "$SHAPE")
OTHER=
[ "$LAYOUT" = full ] && OTHER=$("$HERE/guest.sh" healthy)
OUT=$GDIR/bundles/$LAYOUT-$ORDER-f$FRAG
# the guests' dir names carry their own content hashes
STAMP=$( (cat "$HERE/bundle.sh" "$HERE/mkbundle.py" "$HERE/mkvmss.py"
	echo "$GDIR $OTHER $FX $(cat "$FX/.stamp")") | sha256sum | cut -c1-16)
mkdir -p "$GDIR/bundles"
exec 9>"$GDIR/bundles/.lock"
flock 9
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP" ]; then
	echo "$OUT"
	exit 0
fi
WORK=$GDIR/bundles/.work.$$
trap 'rm -rf "$WORK"' EXIT
rm -rf "$GDIR"/bundles/.work.*
t0=$(date +%s)
python3 "$HERE/mkbundle.py" --guest "$GDIR" --fixtures "$FX" ${OTHER:+--other "$OTHER"} --out "$WORK" \
	--frag-size "$FRAG" --order "$ORDER" --layout "$LAYOUT"
echo "$STAMP" >"$WORK/.stamp"
rm -rf "$OUT"
mv "$WORK" "$OUT"
echo "bundle.sh[$SHAPE $LAYOUT $ORDER f$FRAG]: done in $(($(date +%s) - t0)) s, $(du -sh "$OUT" | cut -f1) on disk" >&2
echo "$OUT"
