# bench/lib.sh - what the benchmarks share (sourced; needs $TMP, a private directory).
# measure CMD...: run CMD, print "WALL_S RSS_MB" (GNU time); the command's output is discarded.
measure() {
	/usr/bin/time -f '%e %M' -o "$TMP/time" "$@" >/dev/null 2>&1 || true
	awk '{printf "%.2f %.0f", $1, $2/1024}' "$TMP/time"
}
