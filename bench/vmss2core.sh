#!/bin/bash
# Benchmark: vmss2core on a >= 2 GiB real-guest checkpoint vs `cp --sparse=always`
# of the same RAM, in the same run, warm page cache, fresh output file each
# time (median of 5).  Two inputs: the .vmem as a dense file (as VMware writes
# it) and as a sparse file.  Prints wall times, their ratio, output size on
# disk and peak RSS (/usr/bin/time -v counts mapped file pages too; vmss2core
# streams with pread/pwrite).  Targets: ratio <= 1.0, RSS <= 32 MiB.
# usage: bench/vmss2core.sh BINDIR
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${1:-$ROOT/build/bin}" && pwd)
"$ROOT/testdata/guest.sh" big >/dev/null
FX=$("$ROOT/testdata/fixtures.sh" big)
IN=$(ls "$FX"/vmem-*.vmss | head -1)
SPARSE=${IN%.vmss}.vmem
W=${BENCH_OUT:-$(dirname "$FX")/bench}
mkdir -p "$W"
rm -rf "${W:?}"/*
trap 'rm -rf "${W:?}"/*' EXIT
cp --sparse=never "$SPARSE" "$W/dense.vmem"
ram=$(stat -c %s "$SPARSE")

run5() {  # run5 OUT CMD...: median wall seconds and max RSS KiB of 5 runs
	local out=$1; shift
	local ts=() rss=0
	for _ in 1 2 3 4 5; do
		rm -f "$out"; sync
		/usr/bin/time -f '%e %M' -o "$W/time" "$@" >/dev/null 2>&1
		read -r t r <"$W/time"
		ts+=("$t"); [ "$r" -gt "$rss" ] && rss=$r
	done
	echo "$(printf '%s\n' "${ts[@]}" | sort -n | sed -n 3p) $rss"
}

printf 'vmss2core bench: %s, %d MiB of guest RAM in the .vmem\n' "$(basename "$IN")" $((ram >> 20))
for kind in dense sparse; do
	vmem=$SPARSE; [ $kind = dense ] && vmem=$W/dense.vmem
	cat "$IN" "$vmem" >/dev/null            # warm the page cache
	read -r t_cp rss_cp < <(run5 "$W/copy.vmem" cp --sparse=always "$vmem" "$W/copy.vmem")
	du_cp=$(du -h "$W/copy.vmem" | cut -f1); rm -f "$W/copy.vmem"
	read -r t_ck rss_ck < <(run5 "$W/vmss.core" "$BIN/vmss2core" -q -o "$W/vmss.core" "$IN" "$vmem")
	du_ck=$(du -h "$W/vmss.core" | cut -f1); rm -f "$W/vmss.core"
	echo "  $kind .vmem ($(du -h "$vmem" | cut -f1) on disk):"
	printf '    %-22s %6s s  peak RSS %6d KiB  output on disk %s\n' "cp --sparse=always" "$t_cp" "$rss_cp" "$du_cp"
	printf '    %-22s %6s s  peak RSS %6d KiB  output on disk %s\n' "vmss2core -N" "$t_ck" "$rss_ck" "$du_ck"
	awk -v a="$t_ck" -v b="$t_cp" -v r="$rss_ck" 'BEGIN {
		if (b > 0) printf "    ratio vmss2core/cp = %.2f (target <= 1.0)\n", a / b
		printf "    vmss2core peak RSS = %.1f MiB (target <= 32)\n", r / 1024 }'
done
