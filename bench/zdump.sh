#!/bin/bash
# Benchmark: coresummary on zdump-like files (constructed: random bytes with
# log text, zlib streams of log text and one of a real core, as
# tests/integration/lib/zdump_make.py builds them) of 256 MiB and 1 GiB, against
# the anchor `strings -a -w -n 32` (the same text carving, nothing else) on the
# same file in the same run.  Prints wall time, peak RSS and the ratio; the
# RSS must not grow with the file.
# Usage: bench/zdump.sh BINDIR [MIB...]     (default 256 1024)
set -eu
BIN=${1:?usage: bench/zdump.sh BINDIR [MIB...]}
shift
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(256 1024)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CS=$BIN/coresummary
[ -x "$CS" ] || { echo "bench: $CS not built" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
. "$ROOT/bench/lib.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
D=$("$ROOT/testdata/proc/mkcores.sh" 2>/dev/null)
printf '%-8s | %-17s | %-17s | %-10s\n' size "coresummary s/MB" "strings s/MB" "strings/cs"
for mib in "${SIZES[@]}"; do
	z=$TMP/vmkernel-zdump.1
	python3 - "$z" "$mib" "$ROOT/testdata/log-samples" "$D/abba.core" <<'PY'
import os, sys, zlib
path, mib, samples, core = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
text = b''.join(l for n in sorted(os.listdir(samples)) if n.startswith(('vmk-', 'lnx-'))
                for l in open(os.path.join(samples, n), 'rb') if not l.startswith(b'# '))
with open(path, 'wb') as f:
    f.write(zlib.compress(open(core, 'rb').read()))
    while f.tell() < mib << 20:
        f.write(os.urandom(1 << 20))
        f.write(text if f.tell() % (16 << 20) < (1 << 20) else zlib.compress(text))
PY
	"$CS" "$z" >/dev/null	# warms the cache
	read -r cs_s cs_m <<<"$(measure "$CS" "$z")"
	read -r st_s st_m <<<"$(measure strings -a -w -n 32 "$z")"
	printf '%-8s | %7s s %5s MB | %7s s %5s MB | %9sx\n' "${mib}M" "$cs_s" "$cs_m" "$st_s" "$st_m" \
		"$(awk -v a="$st_s" -v b="$cs_s" 'BEGIN{printf "%.1f", (b > 0 ? a / b : 0)}')"
	rm -f "$z"
done
