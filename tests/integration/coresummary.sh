#!/bin/bash
# coresummary on real process cores made at test time (testdata/proc/mkcores.sh):
# exact deadlock cycles (TIDs + lock addresses the programs print), rwlock and
# condvar waits, join edges, crash reasons with inline frames, 1000+ threads,
# every thread's functions vs `eu-stack -i` and gdb `thread apply all bt`,
# exit statuses, error messages, --dot.
set -u
ROOT=${COREKIT_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${COREKIT_BIN:-$ROOT/build/bin}
CS=$BIN/coresummary
CHECK="python3 $ROOT/tests/integration/coresummary_check.py"
# libdw keeps a few allocations for the life of the process; suppress only those.
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan-libdw.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
"$ROOT/scripts/install-deps.sh" --if-missing >&2 || { echo "FAIL deps: install-deps.sh failed"; exit 1; }
D=$("$ROOT/testdata/proc/mkcores.sh") || { echo "FAIL mkcores: could not make the test cores"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; }

for c in abba cycle3 piabba rwlock rwreaders condvar joincycle crash_null crash_assert many nocfi; do
	if "$CS" --json --dot "$T/$c.dot" "$D/$c.core" >"$T/$c.json" 2>"$T/$c.err"; then
		ok "$c report"
	else
		fail "$c report" "exit $?: $(head -c 300 "$T/$c.err")"; continue
	fi
	[ -s "$T/$c.err" ] && fail "$c stderr" "$(head -c 300 "$T/$c.err")"
	$CHECK expect "$c" "$T/$c.json" "$D/$c.out"
	$CHECK compare "$T/$c.json" "$D/$c" "$D/$c.core" | sed "s/^\(ok\|FAIL\) /\1 $c /"
	"$CS" "$D/$c.core" >"$T/$c.txt" 2>&1 && grep -q '== verdict ==' "$T/$c.txt" \
		&& ok "$c text" || fail "$c text" "$(head -c 300 "$T/$c.txt")"
done

# stack overflow (deep recursion: gdb would print ~16000 frames, so no tool comparison)
"$CS" --json "$D/crash_overflow.core" >"$T/ov.json" 2>"$T/ov.err" \
	&& $CHECK expect crash_overflow "$T/ov.json" "$D/crash_overflow.out" || fail "crash_overflow" "$(cat "$T/ov.err")"

# the kernel-written core of the same crash (NT_SIGINFO from the kernel), with --exe
if [ -f "$D/crash_null.kcore" ]; then
	"$CS" --json --exe "$D/crash_null.kexe" "$D/crash_null.kcore" >"$T/k.json" 2>"$T/k.err" \
		&& $CHECK expect crash_null_kernel "$T/k.json" "$D/crash_null.kout" \
		|| fail "kernel core" "$(cat "$T/k.err")"
	# same crash, different process, ASLR on vs off, gdb vs kernel dump: same signature
	python3 - "$T/crash_null.json" "$T/k.json" <<'PY' && ok "signature stable across dumps" || fail "signature stable across dumps" "hashes differ"
import json, sys
a, b = (json.load(open(p))['signature'] for p in sys.argv[1:])
sys.exit(0 if a and b and a['hash'] == b['hash'] and a['frames'] == b['frames'] else 1)
PY
else
	fail "kernel core" "mkcores.sh could not get a kernel core dump"
fi

# --exe with a stripped binary + --debug-dir holding its build-id debug file
objcopy --only-keep-debug "$D/crash_null" "$T/cn.debug"
bid=$(readelf -n "$D/crash_null" | awk '/Build ID/ {print $3}')
mkdir -p "$T/dd/.build-id/${bid:0:2}" && mv "$T/cn.debug" "$T/dd/.build-id/${bid:0:2}/${bid:2}.debug"
strip -o "$T/cn.stripped" "$D/crash_null"
"$CS" --json --exe "$T/cn.stripped" --debug-dir "$T/dd" "$D/crash_null.core" >"$T/dd.json" 2>"$T/dd.err" \
	&& $CHECK expect crash_null "$T/dd.json" "$D/crash_null.out" | sed 's/^\(ok\|FAIL\) /\1 debug-dir /' \
	|| fail "debug-dir" "$(cat "$T/dd.err")"
python3 - "$T/dd.json" "$T/dd" <<'PY' && ok "debug-dir file used" || fail "debug-dir file used" "module debug_file not under $T/dd"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if any((m['debug_file'] or '').startswith(sys.argv[2]) for m in r['modules']) else 1)
PY

# debuginfod: the stripped binary's debug file served over HTTP by build-id
mkdir -p "$T/dfd/buildid/$bid"
objcopy --only-keep-debug "$D/crash_null" "$T/dfd/buildid/$bid/debuginfo"
python3 - "$T/dfd" "$T/dfd.port" <<'PY' >"$T/dfd.log" 2>&1 &
import functools, http.server, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h)
open(sys.argv[2], 'w').write(str(s.server_address[1]))
s.serve_forever()
PY
srv=$!
for i in $(seq 1 50); do [ -s "$T/dfd.port" ] && break; sleep 0.1; done
DEBUGINFOD_URLS="http://127.0.0.1:$(cat "$T/dfd.port")" DEBUGINFOD_CACHE_PATH="$T/dfd.cache" \
	"$CS" --json --exe "$T/cn.stripped" "$D/crash_null.core" >"$T/dfd.json" 2>"$T/dfd.err" \
	&& $CHECK expect crash_null "$T/dfd.json" "$D/crash_null.out" | sed 's/^\(ok\|FAIL\) /\1 debuginfod /' \
	|| fail "debuginfod" "$(cat "$T/dfd.err")"
grep -q "GET /buildid/$bid/debuginfo HTTP/1.1\" 200" "$T/dfd.log" && ok "debuginfod fetched" || fail "debuginfod fetched" "$(tail -3 "$T/dfd.log")"
kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null

# --sysroot: every mapped ELF file from SYSROOT/PATH (paths as recorded in the core)
SR=$T/sysroot
for f in $(eu-readelf -n "$D/abba.core" | awk '$NF ~ /^\// {print $NF}' | sort -u); do
	[ -f "$f" ] && mkdir -p "$SR$(dirname "$f")" && cp "$f" "$SR$f"
done
"$CS" --json --sysroot "$SR" "$D/abba.core" >"$T/sr.json" 2>"$T/sr.err" || fail "sysroot" "$(cat "$T/sr.err")"
python3 - "$T/sr.json" "$SR" <<'PY' && ok "sysroot modules" || fail "sysroot modules" "paths not under sysroot"
import json, sys
r = json.load(open(sys.argv[1]))
paths = [m['path'] for m in r['modules'] if m['path']]
sys.exit(0 if len(paths) >= 3 and all(p.startswith(sys.argv[2]) for p in paths) and r['locks']['cycles'] else 1)
PY
$CHECK compare "$T/sr.json" "$D/abba" "$D/abba.core" | sed 's/^\(ok\|FAIL\) /\1 sysroot /'

# machine images go to the second target kind, a Linux guest's kernel analysed
# from its memory: the demo checkpoint, and the ELF vmcore vmss2core makes of it
xz -dkc "$ROOT/testdata/demo/demo.vmss.xz" >"$T/demo.vmss"
rip=$("$BIN/vmss2core" --info "$T/demo.vmss" | awk '$1 == "rip" {print $2; exit}')
"$BIN/vmss2core" -q -f -o "$T/demo.core" "$T/demo.vmss" >/dev/null 2>&1 || fail "demo vmcore" "vmss2core failed"
for f in demo.vmss demo.core; do
	"$CS" --json "$T/$f" >"$T/$f.json" 2>"$T/$f.err" || { fail "$f kernel-image" "exit $?: $(cat "$T/$f.err")"; continue; }
	python3 - "$T/$f.json" "$rip" <<'PY' && ok "$f kernel-image" || fail "$f kernel-image" "$(head -c 400 "$T/$f.json")"
import json, sys
r = json.load(open(sys.argv[1]))
t = {x['task']: x for x in r['threads']}
cpu0 = t.get(r['cpus'][0]['task']) if r['cpus'] else None
d = sorted(x['name'] for x in r['threads'] if x['sched_state'] == 'D')
sys.exit(0 if r['target'] == 'kernel-image' and r['process'] is None and cpu0
         and int(cpu0['frames'][0]['pc'], 16) == int(sys.argv[2], 16)
         and d == ['dl_ab', 'dl_ba', 'dl_reader'] and r['kernel']['release'] == '6.1.0-56-amd64' else 1)
PY
done
# the demo's ABBA pair and the reader behind the sleeping writer, as its serial console names them
la=$(sed -n 's/.*deadlock: lock_a=\([0-9a-f]*\) lock_b=\([0-9a-f]*\).*/\1/p' "$ROOT/testdata/demo/serial.log")
lb=$(sed -n 's/.*deadlock: lock_a=\([0-9a-f]*\) lock_b=\([0-9a-f]*\).*/\2/p' "$ROOT/testdata/demo/serial.log")
ab=$(sed -n 's/.*deadlock: dl_ab pid=\([0-9]*\) .* dl_ba pid=\([0-9]*\) .*/\1/p' "$ROOT/testdata/demo/serial.log")
ba=$(sed -n 's/.*deadlock: dl_ab pid=\([0-9]*\) .* dl_ba pid=\([0-9]*\) .*/\2/p' "$ROOT/testdata/demo/serial.log")
wr=$(sed -n 's/.*deadlock: dl_writer pid=\([0-9]*\) .* dl_reader pid=\([0-9]*\) .*/\1/p' "$ROOT/testdata/demo/serial.log")
rd=$(sed -n 's/.*deadlock: dl_writer pid=\([0-9]*\) .* dl_reader pid=\([0-9]*\) .*/\2/p' "$ROOT/testdata/demo/serial.log")
"$CS" "$T/demo.vmss" >"$T/demo.txt"
grep -q "^deadlock: 2 tasks in a cycle: pid $ab \"dl_ab\" waits for mutex 0x$lb <lock_b \[deadlock\]> held by pid $ba \"dl_ba\".*; pid $ba \"dl_ba\" waits for mutex 0x$la <lock_a \[deadlock\]> held by pid $ab " "$T/demo.txt" &&
	grep -q "^blocked: 1 task waits behind pid $wr \"dl_writer\", which is sleeping (S) .*: pid $rd\$" "$T/demo.txt" &&
	ok "demo text verdict" || fail "demo text verdict" "$(grep -A3 '== verdict' "$T/demo.txt")"
# the wait-for graph as DOT: the ABBA pair in red through both locks, the writer holding the rwsem
"$CS" --dot - "$T/demo.vmss" >"$T/demo.dot"
grep -q "t$ab \[shape=box color=red.*label=\"pid $ab dl_ab \[D\]" "$T/demo.dot" &&
	grep -q "t$ab -> l$lb \[label=\"waits\" color=red" "$T/demo.dot" && grep -q "l$lb -> t$ba \[label=\"held by\" color=red" "$T/demo.dot" &&
	grep -q "t$ba -> l$la \[label=\"waits\" color=red" "$T/demo.dot" && grep -q "l$la -> t$ab \[label=\"held by\" color=red" "$T/demo.dot" &&
	grep -q "t$rd -> l.* \[label=\"waits\"\]" "$T/demo.dot" && grep -q "label=\"rwsem.*dl_rwsem \[deadlock\]\"" "$T/demo.dot" &&
	grep -q -- "-> t$wr \[label=\"held by\"\]" "$T/demo.dot" &&
	ok "demo dot" || fail "demo dot" "$(head -12 "$T/demo.dot")"
# the hung verdict names the pids the guest kernel reported on its serial console
pids=$(sed -n 's/.*INFO: task [^:]*:\([0-9]*\) blocked for more than.*/\1/p' "$ROOT/testdata/demo/serial.log" | sort -un | paste -sd, | sed 's/,/, /g')
grep -q "^hung: 3 tasks hung (.*): pids $pids; the kernel reported all 3 of them" "$T/demo.txt" && ok "demo hung verdict" ||
	fail "demo hung verdict" "want pids $pids: $(grep -A4 '== verdict' "$T/demo.txt")"

# verdict lines a human reads
grep -q '^deadlock: 2 threads in a cycle' "$T/abba.txt" && ok "abba text verdict" || fail "abba text verdict" "$(grep -A2 verdict "$T/abba.txt")"
grep -q 'threads like this' "$T/many.txt" && ok "many text grouping" || fail "many text grouping" "no group line"
grep -q 'NULL pointer dereference' "$T/crash_null.txt" && grep -q '^=> ' "$T/crash_null.txt" \
	&& ok "crash_null text" || fail "crash_null text" "$(head -20 "$T/crash_null.txt")"
grep -q 'color=red' "$T/abba.dot" && grep -q -- '-> t' "$T/abba.dot" && ok "abba dot" || fail "abba dot" "$(head -5 "$T/abba.dot")"
command -v dot >/dev/null && { dot -Tsvg "$T/abba.dot" >/dev/null 2>&1 && ok "dot parses" || fail "dot parses" "graphviz rejected it"; }

# libraries loaded only when a run needs them (the dynamic loader's own list):
# a plain hang core needs neither libarchive (compressed inputs), capstone (a
# crash's disassembly) nor libdebuginfod (DEBUGINFOD_URLS unset); the crash does need capstone
optional() { env -u DEBUGINFOD_URLS LD_DEBUG=files "$CS" "$1" 2>&1 >/dev/null |
	grep -oE 'file=lib(archive|capstone|debuginfod)[^ ]*' | sort -u | tr '\n' ' '; }
l=$(optional "$D/abba.core")
[ -z "$l" ] && ok "plain core loads no optional library" || fail "plain core loads no optional library" "loaded: $l"
l=$(optional "$D/crash_null.core")
[[ "$l" =~ ^file=libcapstone\.so\.[0-9]+\ $ ]] && ok "crash core loads capstone only" || fail "crash core loads capstone only" "loaded: $l"

# exit statuses
st() { "$@" >/dev/null 2>"$T/st.err"; echo $?; }
[ "$(st "$CS" --fail-on deadlock "$D/abba.core")" = 4 ] && ok "fail-on deadlock" || fail "fail-on deadlock" "not 4"
[ "$(st "$CS" --fail-on deadlock,crash "$D/condvar.core")" = 0 ] && ok "fail-on condvar" || fail "fail-on condvar" "not 0"
[ "$(st "$CS" --fail-on crash "$D/crash_null.core")" = 4 ] && ok "fail-on crash" || fail "fail-on crash" "not 4"
[ "$(st "$CS" --fail-on crash "$D/abba.core")" = 0 ] && ok "fail-on crash on hang" || fail "fail-on crash on hang" "not 0"
[ "$(st "$CS")" = 1 ] && ok "usage no args" || fail "usage no args" "not 1"
[ "$(st "$CS" --bogus "$D/abba.core")" = 1 ] && ok "usage bad flag" || fail "usage bad flag" "not 1"
[ "$(st "$CS" --fail-on nonsense "$D/abba.core")" = 1 ] && ok "usage bad fail-on" || fail "usage bad fail-on" "not 1"
"$CS" --help | grep -q -- '--debug-dir' && ok "help" || fail "help" "no --debug-dir"
for f in --json --dot --exe --sysroot --debug-dir --all-threads --modules --max-frames --disable --list-analyzers --fail-on --version; do
	"$CS" --help | grep -q -- "$f" || fail "help lists $f" "missing"
done
bad_input() {	# NAME FILE: exit 2 and one stderr line naming the file
	local rc; "$CS" "$2" >/dev/null 2>"$T/bad.err"; rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$T/bad.err")" = 1 ] && grep -qF "$2" "$T/bad.err"; then ok "$1"
	else fail "$1" "exit $rc: $(cat "$T/bad.err")"; fi
}
bad_input "missing file" "$T/nonexistent.core"
bad_input "not a core" /bin/true
head -c 100 "$D/abba.core" >"$T/trunc100.core"; bad_input "truncated header" "$T/trunc100.core"
: >"$T/empty.core"; bad_input "empty file" "$T/empty.core"
head -c 5000 "$D/abba.core" >"$T/trunc5k.core"
rc=$(st "$CS" "$T/trunc5k.core"); { [ "$rc" = 2 ] || [ "$rc" = 0 ]; } && ok "truncated notes" || fail "truncated notes" "exit $rc: $(cat "$T/st.err")"
head -c 2000000 "$D/abba.core" >"$T/trunc2m.core"
rc=$(st "$CS" "$T/trunc2m.core"); { [ "$rc" = 2 ] || [ "$rc" = 0 ]; } && ok "truncated memory" || fail "truncated memory" "exit $rc: $(cat "$T/st.err")"
$CHECK corrupt "$CS" "$D/crash_null.core" 80 "$T"
$CHECK corrupt "$CS" "$D/joincycle.core" 40 "$T"
for o in "--exe $T/nonexistent" "--debug-dir $T/nonexistent" "--sysroot /bin/true"; do
	# shellcheck disable=SC2086
	rc=$(st "$CS" $o "$D/abba.core"); [ "$rc" = 2 ] && [ "$(wc -l <"$T/st.err")" = 1 ] \
		&& ok "bad ${o%% *}" || fail "bad ${o%% *}" "exit $rc: $(cat "$T/st.err")"
done
"$CS" --list-analyzers | grep -q '^locks' && ok "list analyzers" || fail "list analyzers" "no locks"
"$CS" --json --disable locks,signature "$D/abba.core" | python3 -c 'import json,sys; r=json.load(sys.stdin); sys.exit(0 if not r["locks"]["waits"] and r["signature"] is None else 1)' \
	&& ok "disable analyzers" || fail "disable analyzers" "locks still ran"
"$CS" --all-threads "$D/condvar.core" | grep -cE '^thread [0-9]+$' | grep -qx 5 && ok "all threads" || fail "all threads" "not 5 thread headers"
exit 0
