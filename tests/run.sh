#!/bin/bash
# Run every test and print "N passed, N failed" as the last line.
#
# A test is a unit-test program ($COREKIT_TESTS/test_*) or an executable
# tests/integration/*.sh.  Each prints one line per case:
#     ok NAME
#     FAIL NAME: why
# A test that exits non-zero without printing a FAIL line counts as one failure.
# Environment for tests: COREKIT_BIN (programs), COREKIT_ROOT (source tree),
# COREKIT_CACHE (guest images, default ~/.cache/corekit).
# Usage: tests/run.sh [PATTERN]   (run only tests whose name contains PATTERN)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export COREKIT_ROOT=$ROOT
export COREKIT_BIN=${COREKIT_BIN:-$ROOT/build/asan/bin}
export COREKIT_TESTS=${COREKIT_TESTS:-$ROOT/build/asan/tests}
export COREKIT_CACHE=${COREKIT_CACHE:-$HOME/.cache/corekit}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pat=${1:-}
pass=0 fail=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
tests=()
for t in "$COREKIT_TESTS"/test_*; do [ -x "$t" ] && tests+=("$t"); done
for t in "$ROOT"/tests/integration/*.sh; do [ -x "$t" ] && tests+=("$t"); done
for t in "${tests[@]}"; do
	name=$(basename "$t")
	[ -n "$pat" ] && [[ "$name" != *"$pat"* ]] && continue
	start=$(date +%s)
	"$t" >"$log/out" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$log/out")
	f=$(grep -c '^FAIL ' "$log/out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name: exited $rc" >>"$log/out"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f))
	echo "== $name: $p ok, $f failed ($(( $(date +%s) - start )) s)"
	if [ "$f" -gt 0 ]; then tail -n 40 "$log/out" | sed 's/^/   | /'; fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
