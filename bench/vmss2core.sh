#!/bin/bash
# Benchmark: vmss2core on a >= 2 GiB real-guest checkpoint vs `cp --sparse=always`
# of the same RAM, same run, warm page cache.  Prints wall times, their ratio,
# output size on disk and peak RSS.  Target: ratio <= 1.0, RSS <= 32 MiB.
# usage: bench/vmss2core.sh BINDIR
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${1:-$ROOT/build/bin}" && pwd)
GDIR=$("$ROOT/testdata/guest.sh" big)
FX=$("$ROOT/testdata/fixtures.sh" big)
IN=$(ls "$FX"/vmem-*.vmss | head -1)
VMEM=${IN%.vmss}.vmem
OUTDIR=${BENCH_OUT:-$(dirname "$FX")/bench}
mkdir -p "$OUTDIR"
rm -f "$OUTDIR"/*
trap 'rm -f "$OUTDIR"/*' EXIT
ram=$(stat -c %s "$VMEM")
cat "$IN" "$VMEM" >/dev/null            # warm the page cache
wall() { /usr/bin/time -f '%e %M' -o "$OUTDIR/time" "$@" >/dev/null 2>&1; cat "$OUTDIR/time"; }
read -r t_cp rss_cp < <(wall cp --sparse=always "$VMEM" "$OUTDIR/copy.vmem")
read -r t_ck rss_ck < <(wall "$BIN/vmss2core" -q -f -o "$OUTDIR/vmss.core" "$IN" "$VMEM")
printf 'vmss2core bench: input %s (%d MiB RAM, %s)\n' "$(basename "$IN")" $((ram >> 20)) "$(basename "$VMEM")"
printf '  %-28s %8s s  peak RSS %6d KiB  on disk %s\n' "cp --sparse=always" "$t_cp" "$rss_cp" "$(du -h "$OUTDIR/copy.vmem" | cut -f1)"
printf '  %-28s %8s s  peak RSS %6d KiB  on disk %s\n' "vmss2core -N" "$t_ck" "$rss_ck" "$(du -h "$OUTDIR/vmss.core" | cut -f1)"
awk -v a="$t_ck" -v b="$t_cp" 'BEGIN { if (b > 0) printf "  ratio vmss2core/cp = %.2f (target <= 1.0)\n", a / b }'
awk -v r="$rss_ck" 'BEGIN { printf "  vmss2core peak RSS = %.1f MiB (target <= 32)\n", r / 1024 }'
