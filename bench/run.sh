#!/bin/bash
# make bench: every benchmark in bench/, each compares against its anchor tools.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-$HERE/../build/bin}
rc=0
for b in "$HERE"/vmss2core.sh "$HERE"/bundle.sh "$HERE"/coresummary.sh "$HERE"/kernel.sh "$HERE"/zdump.sh; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b" "$BIN" || rc=1
done
exit $rc
