#!/bin/bash
# Benchmark: coresummary vs eu-stack vs gdb `thread apply all bt` on gcore'd
# cores of testdata/proc/many.c with 1000, 2000 and 4000 threads.
# Prints wall time, peak RSS and ratios; same machine, same run, warm cache.
# Usage: bench/coresummary.sh BINDIR [THREADS...]     (default 1000 2000 4000)
set -eu
BIN=${1:?usage: bench/coresummary.sh BINDIR [THREADS...]}
shift
COUNTS=("$@")
[ ${#COUNTS[@]} -eq 0 ] && COUNTS=(1000 2000 4000)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CS=$BIN/coresummary
[ -x "$CS" ] || { echo "bench: $CS not built" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
. "$ROOT/bench/lib.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
printf '%-8s %-9s | %-17s | %-17s | %-17s | %-13s %-13s\n' threads core \
	"coresummary s/MB" "eu-stack s/MB" "gdb s/MB" "eu-stack/cs" "gdb/cs"
declare -A CS_T
for n in "${COUNTS[@]}"; do
	D=$("$ROOT/testdata/proc/mkcores.sh" --many "$n" 2>/dev/null)
	core=$D/many.core exe=$D/many
	"$CS" "$core" >/dev/null || { echo "bench: coresummary failed on $core" >&2; exit 1; }	# also warms the cache
	read -r cs_s cs_m <<<"$(measure "$CS" "$core")"
	read -r eu_s eu_m <<<"$(measure eu-stack -i --core "$core" -e "$exe")"
	read -r gdb_s gdb_m <<<"$(measure gdb -batch -nx -ex 'thread apply all bt' "$exe" "$core")"
	CS_T[$n]=$cs_s
	printf '%-8s %-9s | %7s s %5s MB | %7s s %5s MB | %7s s %5s MB | %10sx %12sx\n' "$((n + 2))" \
		"$(du -h "$core" | cut -f1)" "$cs_s" "$cs_m" "$eu_s" "$eu_m" "$gdb_s" "$gdb_m" \
		"$(awk -v a="$eu_s" -v b="$cs_s" 'BEGIN{printf "%.1f", (b > 0 ? a / b : 0)}')" \
		"$(awk -v a="$gdb_s" -v b="$cs_s" 'BEGIN{printf "%.1f", (b > 0 ? a / b : 0)}')"
done
first=${COUNTS[0]} last=${COUNTS[${#COUNTS[@]}-1]}
awk -v a="${CS_T[$first]}" -v b="${CS_T[$last]}" -v n1="$first" -v n2="$last" \
	'BEGIN{ if (a > 0) printf "coresummary scaling %s -> %s threads: time x%.1f for threads x%.1f\n", n1, n2, b / a, n2 / n1 }'
