#!/bin/bash
# Build the coresummary test programs (-g -O2) and dump their cores.
# Hanging programs are dumped with gcore once they print READY; crashing ones
# run under gdb to the signal and are dumped there with gcore (keeps
# NT_SIGINFO); crash_null is also dumped by the kernel (ulimit -c unlimited).
# Output: the cache directory on stdout, keyed by a hash of the sources:
#   ${COREKIT_CACHE:-~/.cache/corekit}/proc/<hash>/{NAME,NAME.core,NAME.out}
# Usage: mkcores.sh [--many N]   (N threads for many.c, default 1000)
set -eu
SRC=$(cd "$(dirname "$0")" && pwd)
NMANY=1000
[ "${1:-}" = --many ] && NMANY=$2
CACHE=${COREKIT_CACHE:-$HOME/.cache/corekit}
HASH=$( (cat "$SRC"/*.c "$SRC"/*.h "$SRC"/mkcores.sh; cc --version | head -1; echo "$NMANY") | sha256sum | cut -c1-16)
OUT=$CACHE/proc/$HASH
mkdir -p "$CACHE/proc"
exec 9>"$CACHE/proc/.lock"
flock 9
if [ -f "$OUT/.done" ]; then echo "$OUT"; exit 0; fi
rm -rf "$OUT" && mkdir -p "$OUT"
cd "$OUT"
log() { echo "mkcores: $*" >&2; }

for c in "$SRC"/*.c; do
	n=$(basename "$c" .c)
	flags="-g -O2"
	# no CFI at all in the program: its frames need the frame-pointer fallback
	[ "$n" = nocfi ] && flags="-g -O1 -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fno-unwind-tables"
	cc $flags -pthread -o "$n" "$c"
	[ "$n" = nocfi ] && objcopy --remove-section=.eh_frame --remove-section=.eh_frame_hdr --remove-section=.debug_frame "$n"
done

hang() {	# NAME [ARGS]: run until READY, gcore, kill
	local n=$1; shift
	"./$n" "$@" >"$n.out" 2>&1 &
	local pid=$! i
	for i in $(seq 1 400); do grep -q READY "$n.out" && break; sleep 0.05; done
	grep -q READY "$n.out" || { log "$n never became ready"; kill -9 $pid; exit 3; }
	# every thread asleep (state S) in two samples in a row: all are blocked
	local calm=0
	for i in $(seq 1 200); do
		if ! awk '{ sub(/^.*\) /, ""); if ($1 != "S") bad = 1 } END { exit bad }' /proc/$pid/task/*/stat 2>/dev/null; then
			calm=0
		else
			calm=$((calm + 1)); [ $calm -ge 2 ] && break
		fi
		sleep 0.1
	done
	gcore -o "$n.core" $pid >"$n.gcore.log" 2>&1 || { log "gcore $n failed"; cat "$n.gcore.log" >&2; kill -9 $pid; exit 3; }
	mv "$n.core.$pid" "$n.core"
	kill -9 $pid; wait $pid 2>/dev/null || true
	log "$n: $(du -h "$n.core" | cut -f1)"
}

crash_gdb() {	# NAME: run under gdb to the fatal signal, gcore there
	local n=$1
	gdb -batch -nx -ex run -ex "gcore $n.core" --args "./$n" >"$n.out" 2>&1 || true
	[ -s "$n.core" ] || { log "no core for $n"; cat "$n.out" >&2; exit 3; }
	log "$n: $(du -h "$n.core" | cut -f1)"
}

crash_kernel() {	# NAME: let the kernel dump it (core_pattern must be a file name)
	local n=$1 d
	d=$(mktemp -d "$OUT/k.XXXX")
	cp "$n" "$d/"
	( cd "$d" && ulimit -c unlimited && "./$n" >"$OUT/$n.kout" 2>&1 ) || true
	local f
	f=$(ls "$d" | grep -E '^core' | head -1 || true)
	if [ -n "$f" ]; then
		mv "$d/$f" "$n.kcore"; mv "$d/$n" "$n.kexe"; log "$n.kcore: kernel dump"
	else
		log "kernel did not write a core for $n (core_pattern: $(cat /proc/sys/kernel/core_pattern))"
	fi
	rm -rf "$d"
}

hang abba
hang cycle3
hang rwlock
hang rwreaders
hang condvar
hang joincycle
hang piabba
hang many "$NMANY"
hang nocfi
crash_gdb crash_null
crash_gdb crash_assert
crash_gdb crash_overflow
crash_kernel crash_null
touch .done
echo "$OUT"
