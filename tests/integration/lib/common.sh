# Shared helpers for integration tests (sourced).  Protocol: "ok NAME" / "FAIL NAME: why".
set -u
ROOT=${COREKIT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
BIN=${COREKIT_BIN:-$ROOT/build/asan/bin}
export COREKIT_CACHE=${COREKIT_CACHE:-$HOME/.cache/corekit}
LIB=$ROOT/tests/integration/lib
FAILS=0
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; FAILS=$((FAILS + 1)); }
# check NAME CMD... : run CMD, ok if it exits 0
check() { local n=$1; shift; if "$@"; then ok "$n"; else fail "$n" "command failed: $*"; fi; }
finish() { exit $((FAILS > 0)); }
need_deps() { "$ROOT/scripts/install-deps.sh" --if-missing >&2 || { fail deps "install-deps failed"; finish; }; }
# crash_frames FILE: the PID and frame lines of crash's output, addresses kept
crash_frames() { grep -E '^(PID:|  ?#[0-9]+ )' "$1"; }
