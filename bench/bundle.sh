#!/bin/bash
# Benchmark (issue 9): convert the hung VM's checkpoint straight from a
# vm-support bundle vs the manual route, in the same run.
#
#   bundle   testdata/bundle.sh big --layout bench --order $BENCH_ORDER: an ESXi
#            bundle .tgz whose VM "pg-primary-01" has the big guest's 3 GiB
#            checkpoint as pgsql-01.vmss + pgsql-01.vmem in 1 MiB FRAG pieces
#   route 1  vmss2core --vm pg-primary-01 -o CORE BUNDLE.tgz
#   route 2  tar xzf BUNDLE.tgz; cat pgsql-01.vmss.FRAG-* > pgsql-01.vmss;
#            cat pgsql-01.vmem.FRAG-* > pgsql-01.vmem; vmss2core -o CORE pgsql-01.vmss
#
# Each route runs 3 times (warm page cache, fresh work dir); printed: the median
# wall time, the peak RSS (/usr/bin/time -v's maximum over the route's
# processes) and the extra disk: the peak allocated size of the route's work
# dir (du -sB1 sampled every 0.2 s while it runs) minus the core it leaves,
# i.e. what the route needs beyond the output.  TMPDIR points into each route's
# work dir, so whatever vmss2core stages is counted.  Then the wall-time ratio
# and whether both cores are identical.  Targets (issue 9): ratio < 1.0, and no
# extra disk beyond the output for route 1 with BENCH_ORDER=vmss-first.
# BENCH_ORDER=vmem-first measures the order in which the .vmem comes first
# (a reader must then stage it).  Needs 4x the checkpoint + 1 GiB free next to
# the guest cache, 13 GiB for big (BENCH_OUT overrides the work dir).
# BENCH_SHAPE=small runs the same on the 256 MiB guest (a quick check of the
# script, not the issue's benchmark).  du cannot see files without a name
# (vmss2core stages into O_TMPFILE files beside its output): BENCH_TMPFS=SIZE
# (e.g. 2G; root) mounts a private tmpfs of that size as the work dir and
# samples the extra disk with df instead, which counts them (wall times are
# then tmpfs times for both routes).
#
# usage: bench/bundle.sh BINDIR
# Until vmss2core has --vm (the bundle reader of issue 9) it says so and exits 1.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${1:-$ROOT/build/bin}" && pwd)
ORDER=${BENCH_ORDER:-vmss-first}
SHAPE=${BENCH_SHAPE:-big}
VM=pg-primary-01
if ! "$BIN/vmss2core" --help 2>&1 | grep -q -- '--vm'; then
	echo "bench/bundle.sh: $BIN/vmss2core has no --vm option yet (issue 9's bundle reader): nothing to measure" >&2
	exit 1
fi
B=$("$ROOT/testdata/bundle.sh" "$SHAPE" --layout bench --order "$ORDER")
TGZ=$B/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["archives"]["tgz"])' "$B/facts.json")
REL=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["root"] + "/" + d["vms"][0]["dir"])' "$B/facts.json")
W=${BENCH_OUT:-$(dirname "$(dirname "$B")")/bench-bundle}
mkdir -p "$W"
rm -rf "${W:?}"/*
trap 'rm -rf "${W:?}"/*' EXIT
if [ -n "${BENCH_TMPFS:-}" ]; then
	mount -t tmpfs -o size="$BENCH_TMPFS" tmpfs "$W"
	trap 'rm -rf "${W:?}"/*; umount "$W"' EXIT
fi
# used DIR: bytes allocated in DIR (du), or on the private tmpfs (df: files without a name too)
used() {
	if [ -n "${BENCH_TMPFS:-}" ]; then echo $(( $(df -B1 --output=used "$W" | tail -1) - base ))
	else du -sB1 "$1" 2>/dev/null | cut -f1; fi
}
free=$(df -B1 --output=avail "$W" | tail -1)
need=$((4 * $(python3 -c 'import json,sys; print(sum(f["size"] for f in json.load(open(sys.argv[1]))["vms"][0]["files"]))' "$B/facts.json") + (1 << 30)))
[ "$free" -gt "$need" ] || { echo "bench/bundle.sh: $W has $((free >> 30)) GiB free, needs $((need >> 30))" >&2; exit 3; }

# measure DIR CMD...: run CMD with DIR as its work dir; prints "wall rss_kib peak_bytes core_bytes"
measure() {
	local dir=$1; shift
	rm -rf "$dir"; mkdir -p "$dir/tmp"; sync
	base=$(df -B1 --output=used "$W" | tail -1)
	TMPDIR=$dir/tmp /usr/bin/time -f '%e %M' -o "$W/time" "$@" >"$W/out" 2>&1 &
	local pid=$! peak=0 u
	while kill -0 $pid 2>/dev/null; do
		u=$(used "$dir") || u=0
		[ "${u:-0}" -gt "$peak" ] && peak=$u
		sleep 0.2
	done
	wait $pid || { echo "bench/bundle.sh: failed: $*" >&2; cat "$W/out" >&2; exit 3; }
	u=$(used "$dir"); [ "$u" -gt "$peak" ] && peak=$u
	read -r t r <"$W/time"
	echo "$t $r $peak $(du -B1 "$dir/vmss.core" | cut -f1)"
}
manual() {  # manual DIR: the route by hand
	tar xzf "$TGZ" -C "$1"
	cat "$1/$REL"/pgsql-01.vmss* >"$1/pgsql-01.vmss"
	cat "$1/$REL"/pgsql-01.vmem.FRAG-* >"$1/pgsql-01.vmem"
	"$BIN/vmss2core" -q -o "$1/vmss.core" "$1/pgsql-01.vmss"
}
export -f manual
export TGZ REL BIN

cat "$TGZ" >/dev/null     # warm the page cache
r1=() r2=()
for i in 1 2 3; do
	r1+=("$(measure "$W/direct" "$BIN/vmss2core" -q --vm "$VM" -o "$W/direct/vmss.core" "$TGZ")")
	[ "$i" = 3 ] || rm -rf "$W/direct"
	r2+=("$(measure "$W/manual" bash -c 'manual "$0"' "$W/manual")")
	[ "$i" = 3 ] || rm -rf "$W/manual"
done
same=no
cmp -s "$W/direct/vmss.core" "$W/manual/vmss.core" && same=yes
# summary of 3 runs: median wall, max RSS, max extra disk (peak - core)
summ() {
	echo "$(printf '%s\n' "$@" | sort -n | sed -n 2p | cut -d' ' -f1) $(printf '%s\n' "$@" |
		awk '{ if ($2 > r) r = $2; e = $3 - $4; if (e > x) x = e } END { printf "%d %d\n", r, x }')"
}
read -r t1 rss1 x1 < <(summ "${r1[@]}")
read -r t2 rss2 x2 < <(summ "${r2[@]}")
echo "bundle bench: $(basename "$TGZ") ($(du -h "$TGZ" | cut -f1)), VM $VM, member order $ORDER, RAM $(($(stat -c %s "$W/manual/pgsql-01.vmem") >> 20)) MiB in 1 MiB FRAG pieces"
printf '  %-36s %8s s  peak RSS %8d KiB  extra disk %8d MiB\n' "vmss2core --vm (from the .tgz)" "$t1" "$rss1" $((x1 >> 20))
printf '  %-36s %8s s  peak RSS %8d KiB  extra disk %8d MiB\n' "tar xzf + cat + vmss2core" "$t2" "$rss2" $((x2 >> 20))
awk -v a="$t1" -v b="$t2" 'BEGIN { if (b > 0) printf "  ratio vmss2core --vm / manual = %.2f (target < 1.0)\n", a / b }'
echo "  extra disk beyond the core: $((x1 >> 20)) MiB vs $((x2 >> 20)) MiB (target 0 for vmss-first); cores identical: $same"
