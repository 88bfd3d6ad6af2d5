#!/bin/bash
# Cores for coresummary_wild.sh: this directory's programs built with Debian's
# gcc/g++, and real Debian programs we did not write.  Every core is written by
# the kernel into a directory of ours (ulimit -c unlimited; kernel.core_pattern
# is read, never written) or by gdb's gcore.
# Output: the cache directory on stdout, keyed by a hash of the sources:
#   ${COREKIT_CACHE:-~/.cache/corekit}/wild/<hash>/NAME/{exe,core,out}
#     inline5 inline5c      SIGSEGV in 5 nested always_inline functions (-O2 -g)
#     cxx cxx_throw         C++ names; an uncaught exception
#     raise raise_static    raise(SIGABRT) from a signal handler, dynamic and -static
#     inline5_other         inline5 built again with -DOTHER (another build-id)
#     threads               5 threads, main dereferences NULL (kernel core: notes first)
#     clang                 clang-14's cc1 (forked: -fno-integrated-cc1) crashing on `#pragma clang __debug crash`
#     python3               /usr/bin/python3 calling os.abort()
#     debuginfod            gcore of a running debuginfod (multi-threaded C++ server)
set -eu
SRC=$(cd "$(dirname "$0")" && pwd)
CACHE=${COREKIT_CACHE:-$HOME/.cache/corekit}
HASH=$( (cat "$SRC"/*.c "$SRC"/*.cc "$SRC"/mkwild.sh; gcc --version | head -1; g++ --version | head -1) | sha256sum | cut -c1-16)
OUT=$CACHE/wild/$HASH
mkdir -p "$CACHE/wild"
exec 9>"$CACHE/wild/.lock"
flock 9
if [ -f "$OUT/.done" ]; then echo "$OUT"; exit 0; fi
rm -rf "$OUT" && mkdir -p "$OUT"
log() { echo "mkwild: $*" >&2; }
case $(cat /proc/sys/kernel/core_pattern) in
'|'*) log "kernel.core_pattern pipes cores away ($(cat /proc/sys/kernel/core_pattern)): no core in our directory"; exit 3 ;;
esac

# kcore NAME CMD...: run CMD in OUT/NAME with cores on; the kernel writes the core there
kcore() {
	local n=$1 d=$OUT/$1 f; shift
	mkdir -p "$d"
	( cd "$d" && ulimit -c unlimited && "$@" >out 2>&1 ) 2>/dev/null || true
	f=$(ls "$d" | grep -E '^core' | head -1 || true)
	[ -n "$f" ] || { log "$n: no core (core_pattern $(cat /proc/sys/kernel/core_pattern))"; exit 3; }
	[ "$f" = core ] || mv "$d/$f" "$d/core"
	log "$n: $(du -h "$d/core" | cut -f1)"
}

build() {	# NAME COMPILER FLAGS... SOURCE
	local n=$1; shift
	mkdir -p "$OUT/$n"
	"$@" -o "$OUT/$n/exe"
}
build inline5 g++ -g -O2 "$SRC/inline5.cc"
build inline5c gcc -g -O2 "$SRC/inline5c.c"
build inline5_other g++ -g -O2 -DOTHER -fno-inline "$SRC/inline5.cc"
build cxx g++ -g -O2 "$SRC/cxx.cc"
build cxx_throw g++ -g -O2 "$SRC/cxx.cc"
build raise gcc -g -O2 "$SRC/raise_handler.c"
build raise_static gcc -g -O2 -static "$SRC/raise_handler.c"
build threads gcc -g -O2 -pthread "$SRC/threads.c"
for n in inline5 inline5c cxx raise raise_static threads; do
	kcore $n "$OUT/$n/exe"
done
kcore cxx_throw "$OUT/cxx_throw/exe" throw

# clang's cc1 (C++, libLLVM/libclang-cpp) crashing: the driver forks cc1, whose core lands here
printf '#pragma clang __debug crash\nint x;\n' >"$OUT/crash.c"
mkdir -p "$OUT/clang"
kcore clang clang-14 -fno-integrated-cc1 -fno-crash-diagnostics -c "$OUT/crash.c" -o /dev/null
kcore python3 /usr/bin/python3 -c 'import os; os.abort()'

# a running multi-threaded server, dumped with gcore
mkdir -p "$OUT/debuginfod/db"
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
debuginfod -d "$OUT/debuginfod/db/d.sqlite" -p "$port" -c 2 -g 1 >"$OUT/debuginfod/out" 2>&1 &
pid=$!
for i in $(seq 1 100); do
	[ "$(ls /proc/$pid/task 2>/dev/null | wc -l)" -ge 4 ] && break
	sleep 0.1
done
sleep 1
nthr=$(ls /proc/$pid/task | wc -l)
[ "$nthr" -ge 4 ] || { log "debuginfod has $nthr threads"; kill $pid; exit 3; }
gcore -o "$OUT/debuginfod/core" $pid >"$OUT/debuginfod/gcore.log" 2>&1 || { log "gcore debuginfod failed"; kill $pid; exit 3; }
mv "$OUT/debuginfod/core.$pid" "$OUT/debuginfod/core"
kill $pid; wait $pid 2>/dev/null || true
log "debuginfod: $(du -h "$OUT/debuginfod/core" | cut -f1)"
touch "$OUT/.done"
echo "$OUT"
