#!/bin/bash
# Honest reports, on real cores the kernel writes into this test's directory
# (ulimit -c unlimited + cd there; kernel.core_pattern is read, never changed):
#   - a process killed by `kill -ABRT` from another process: "killed by SIGABRT
#     sent by pid N" (N: the pid of the kill command, and NT_SIGINFO's sender
#     PID per eu-readelf), never abort()
#   - assert()/abort(), dynamic and static executables: recognised from the
#     frames, the caller named with the line grep finds in the source, the
#     message once, no disassembly or registers of pthread_kill
#   - a checkpoint whose .vmem is gone: coresummary names the .vmem (exit 2),
#     vmss2core --info still shows the metadata and vCPUs (compared with --info
#     of the complete checkpoint and with vmssread.py), a truncated .vmss gets
#     the checkpoint reader's error
#   - an executable moved away, an empty --sysroot, an empty --debug-dir:
#     one warning each, in text and JSON
#   - lock objects named as gdb names them (gdb `output (void *)ADDR`)
. "$(dirname "$0")/lib/common.sh"
need_deps
CS=$BIN/coresummary
V2C=$BIN/vmss2core
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan-libdw.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
SRC=$ROOT/tests/integration/honest/victim.c
jq_py() { python3 -c "import json, sys; r = json.load(open(sys.argv[1])); $2" "$1" "${@:3}"; }

case $(cat /proc/sys/kernel/core_pattern) in
'|'*) fail core_pattern "kernel.core_pattern pipes cores to $(cat /proc/sys/kernel/core_pattern): no kernel core in the test directory"; finish ;;
esac

cc -g -O2 -o "$T/victim" "$SRC" && cc -g -O2 -static -o "$T/victim_static" "$SRC" ||
	{ fail build "cannot build victim.c"; finish; }

# kcore DIR EXE MODE: run EXE MODE in DIR with cores on; the kernel writes DIR/core*
kcore() {
	mkdir -p "$1"
	# not exec'd: the subshell, not this script, reports "Aborted (core dumped)"
	( cd "$1" && ulimit -c unlimited && "$2" "$3" >out 2>&1; true ) 2>/dev/null
	local f
	f=$(ls "$1" | grep -E '^core' | head -1)
	[ -n "$f" ] && [ "$f" != core ] && mv "$1/$f" "$1/core"
	[ -s "$1/core" ]
}

# --- 1. killed from outside with SIGABRT -----------------------------------
K=$T/killed
mkdir -p "$K"
( cd "$K" && ulimit -c unlimited && "$T/victim" hang >out 2>&1; true ) 2>/dev/null &
runner=$!
for i in $(seq 1 100); do grep -q READY "$K/out" 2>/dev/null && break; sleep 0.05; done
vpid=$(sed -n 's/^pid=//p' "$K/out")
# the sender: a shell that becomes kill (same pid), recorded before it sends
sh -c 'echo $$ >"$1"; exec kill -ABRT "$2"' sh "$K/sender" "$vpid"
wait $runner 2>/dev/null
sender=$(cat "$K/sender")
f=$(ls "$K" | grep -E '^core' | head -1)
[ -n "$f" ] && [ "$f" != core ] && mv "$K/$f" "$K/core"
if [ ! -s "$K/core" ]; then
	fail killed-core "the kernel wrote no core (core_pattern $(cat /proc/sys/kernel/core_pattern))"
else
	eu-readelf -n "$K/core" >"$K/notes" 2>&1
	grep -q "si_signo: 6, si_errno: 0, si_code: 0" "$K/notes" && grep -q "sender PID: $sender," "$K/notes" &&
		[ "$sender" != "$vpid" ] && ok "killed: NT_SIGINFO is SI_USER from pid $sender (eu-readelf)" ||
		fail killed-siginfo "eu-readelf: $(grep -A2 SIGINFO "$K/notes")"
	"$CS" --json "$K/core" >"$K/json" 2>"$K/err" || fail killed-json "exit $?: $(head -3 "$K/err")"
	"$CS" "$K/core" >"$K/txt" 2>&1 || fail killed-text "exit $?"
	jq_py "$K/json" '
c = r["crash"]; f = r["findings"]
sys.exit(0 if c and c["kind"] == "signal" and "sent by pid " + sys.argv[2] in c["reason"]
         and "abort" not in c["reason"] and "wait_for_work" in c["reason"]
         and f and f[0]["kind"] == "crash" and not c["disassembly"] else 1)' "$sender" &&
		ok "killed: crash kind signal, sent by pid $sender, in wait_for_work, no disassembly" ||
		fail killed-report "$(grep -A1 verdict "$K/txt" | tail -1)"
	grep -q "killed by SIGABRT sent by pid $sender" "$K/txt" && ! grep -q 'abort()' "$K/txt" &&
		ok "killed: text says killed by SIGABRT sent by pid $sender" ||
		fail killed-text "$(grep -A1 verdict "$K/txt" | tail -1)"
fi

# --- 2. assert() and abort(), dynamic and static ---------------------------
aline=$(grep -n 'assert(answer' "$SRC" | cut -d: -f1)
bline=$(grep -n '	abort();' "$SRC" | cut -d: -f1)
for exe in victim victim_static; do
	for mode in assert abort; do
		n=$exe-$mode
		d=$T/$n
		kcore "$d" "$T/$exe" "$mode" || { fail "$n core" "the kernel wrote no core"; continue; }
		# raised by the process itself: SI_TKILL from its own pid (eu-readelf, gdb's $_siginfo)
		pid=$(sed -n 's/^pid=//p' "$d/out")
		spid=$(gdb -batch -nx -ex 'p $_siginfo._sifields._kill.si_pid' "$T/$exe" "$d/core" 2>/dev/null | sed -n 's/^\$1 = //p')
		eu-readelf -n "$d/core" | grep -q "si_signo: 6, si_errno: 0, si_code: -6" && [ "$spid" = "$pid" ] ||
			fail "$n siginfo" "not SI_TKILL from pid $pid (gdb says sender $spid)"
		"$CS" --json "$d/core" >"$d/json" 2>"$d/err" || { fail "$n json" "exit $?: $(head -3 "$d/err")"; continue; }
		"$CS" "$d/core" >"$d/txt" 2>&1
		sed -n '/^== crash/,/^== threads/p' "$d/txt" >"$d/crash.txt"
		if [ $mode = assert ]; then
			want="assertion failed in check_config (victim.c:$aline)"
			kind=assert
		else
			want="abort() called from give_up (victim.c:$bline)"
			kind=abort
		fi
		jq_py "$d/json" 'c = r["crash"]; sys.exit(0 if c and c["kind"] == sys.argv[2] and c["reason"] == sys.argv[3] else 1)' \
			"$kind" "$want" && ok "$n: $want" ||
			fail "$n reason" "$(jq_py "$d/json" 'print(r["crash"] and (r["crash"]["kind"], r["crash"]["reason"]))')"
		# short: the message once in the whole text, no pthread_kill window, no registers
		if [ $mode = assert ]; then
			[ "$(grep -c 'Assertion `answer == 42' "$d/txt")" = 1 ] && ok "$n: the assertion once" ||
				fail "$n assertion once" "$(grep -c 'Assertion' "$d/txt") times"
		fi
		! grep -qE '^=>|pthread_kill|^rip ' "$d/crash.txt" && ok "$n: no disassembly or registers of pthread_kill" ||
			fail "$n short" "$(head -c 400 "$d/crash.txt")"
	done
done

# --- 3. a checkpoint without its .vmem; a truncated one ---------------------
FX=$("$ROOT/testdata/fixtures.sh" small) || { fail fixtures "testdata/fixtures.sh failed"; finish; }
cp "$FX/vmem-bad1-gpregs.vmss" "$T/x.vmss"
rc=0; "$CS" "$T/x.vmss" >/dev/null 2>"$T/x.err" || rc=$?
[ $rc = 2 ] && grep -q "$T/x.vmem" "$T/x.err" && ! grep -qi elf "$T/x.err" &&
	ok "missing .vmem: coresummary names $T/x.vmem (exit 2)" || fail "missing vmem coresummary" "exit $rc: $(cat "$T/x.err")"
rc=0; "$CS" "$T/x.vmss" "$FX/vmem-bad1-gpregs.vmem" >"$T/x2.txt" 2>"$T/x2.err" || rc=$?
[ $rc = 0 ] && ok "coresummary x.vmss x.vmem" || fail "coresummary with .vmem" "exit $rc: $(head -3 "$T/x2.err")"
rc=0; "$V2C" --info "$T/x.vmss" >"$T/info.txt" 2>"$T/info.err" || rc=$?
"$V2C" --info "$FX/vmem-bad1-gpregs.vmss" >"$T/full.txt" 2>/dev/null
# everything but the memory runs and the kernel found in RAM is the same
strip_mem() { sed -e '/^Memory:/,/^vCPU 0:/{/^vCPU 0:/!d}' -e '/^Guest kernel:/,/^Checkpoint container:/{/^Checkpoint container:/!d}' \
	-e 's#^  file .*(#  file (#' "$1"; }
rip=$(python3 "$ROOT/testdata/vmssread.py" tags "$T/x.vmss" | awk '$1 == "cpu/rip[0]" { print $4 }')
rip=$(python3 -c "import sys; print(bytes.fromhex(sys.argv[1])[::-1].hex())" "$rip")
if [ $rc = 0 ] && grep -q "warning: .*$T/x.vmem" "$T/info.err"; then
	ok "--info without .vmem: exit 0, warning names $T/x.vmem"
else
	fail "--info without vmem" "exit $rc: $(head -3 "$T/info.err")"
fi
diff <(strip_mem "$T/info.txt") <(strip_mem "$T/full.txt") >"$T/info.diff" &&
	grep -q "vm name" "$T/info.txt" && grep -q "guest OS" "$T/info.txt" && grep -q "rip  $rip" "$T/info.txt" &&
	grep -q "groups, .* tags" "$T/info.txt" &&
	ok "--info without .vmem: metadata, vCPUs (rip $rip per vmssread.py), groups as with the .vmem" ||
	fail "--info metadata" "$(head -20 "$T/info.diff")"
head -c 3000 "$FX/embed-bed2-scalar.vmss" >"$T/trunc.vmss"
rc=0; "$CS" "$T/trunc.vmss" 2>"$T/trunc.err" >/dev/null || rc=$?
[ $rc = 2 ] && grep -q "trunc.vmss: offset 0x" "$T/trunc.err" && ! grep -qi elf "$T/trunc.err" &&
	ok "truncated .vmss: the checkpoint reader's error" || fail "truncated vmss" "exit $rc: $(cat "$T/trunc.err")"
head -c 100 /etc/os-release >"$T/text.bin"
rc=0; "$CS" "$T/text.bin" 2>"$T/text.err" >/dev/null || rc=$?
[ $rc = 2 ] && grep -q "not a process core" "$T/text.err" && ok "unclaimed file: the generic message" ||
	fail "unclaimed file" "exit $rc: $(cat "$T/text.err")"

# --- 4. missing files: one warning each -------------------------------------
if [ -s "$K/core" ]; then
	jq_py "$K/json" 'sys.exit(0 if r["warnings"] == [] else 1)' && ok "warnings: none while every file is there" ||
		fail "warnings baseline" "$(jq_py "$K/json" 'print(r["warnings"])')"
	mv "$T/victim" "$T/victim.away"
	"$CS" --json "$K/core" >"$K/moved.json" 2>&1; "$CS" "$K/core" >"$K/moved.txt" 2>&1
	jq_py "$K/moved.json" '
w = r["warnings"]
sys.exit(0 if len(w) == 1 and sys.argv[2] in w[0] and "??" in w[0] else 1)' "$T/victim" &&
		[ "$(grep -c "^warning: module $T/victim: no file" "$K/moved.txt")" = 1 ] &&
		ok "executable moved away: one warning naming $T/victim (text and JSON)" ||
		fail "moved exe warning" "$(grep '^warning' "$K/moved.txt")"
	mv "$T/victim.away" "$T/victim"
	mkdir -p "$T/empty"
	"$CS" --json --sysroot "$T/empty" "$K/core" >"$K/sr.json" 2>&1; "$CS" --sysroot "$T/empty" "$K/core" >"$K/sr.txt" 2>&1
	nfiles=$(jq_py "$K/json" 'print(sum(1 for m in r["modules"] if m["path"]))')
	jq_py "$K/sr.json" '
w = r["warnings"]
sr = [x for x in w if x.startswith("--sysroot ")]
mods = [x for x in w if x.startswith("module ")]
sys.exit(0 if len(sr) == 1 and len(mods) == int(sys.argv[2]) else 1)' "$nfiles" &&
		[ "$(grep -c '^warning: --sysroot' "$K/sr.txt")" = 1 ] &&
		ok "empty --sysroot: one warning, plus one per module file ($nfiles)" ||
		fail "sysroot warning" "$(grep '^warning' "$K/sr.txt")"
	"$CS" --json --debug-dir "$T/empty" "$K/core" >"$K/dd.json" 2>&1; "$CS" --debug-dir "$T/empty" "$K/core" >"$K/dd.txt" 2>&1
	jq_py "$K/dd.json" 'sys.exit(0 if [x for x in r["warnings"] if x.startswith("--debug-dir ")] and len(r["warnings"]) == 1 else 1)' &&
		[ "$(grep -c '^warning: --debug-dir' "$K/dd.txt")" = 1 ] &&
		ok "empty --debug-dir: one warning" || fail "debug-dir warning" "$(grep '^warning' "$K/dd.txt")"
	# a --debug-dir that does provide the executable's debug file: no warning
	objcopy --only-keep-debug "$T/victim" "$T/v.debug"
	bid=$(readelf -n "$T/victim" | awk '/Build ID/ {print $3}')
	mkdir -p "$T/dd/.build-id/${bid:0:2}" && mv "$T/v.debug" "$T/dd/.build-id/${bid:0:2}/${bid:2}.debug"
	strip -o "$T/victim.stripped" "$T/victim"
	"$CS" --json --exe "$T/victim.stripped" --debug-dir "$T/dd" "$K/core" >"$K/dd2.json" 2>&1
	jq_py "$K/dd2.json" 'sys.exit(0 if r["warnings"] == [] else 1)' && ok "useful --debug-dir: no warning" ||
		fail "useful debug-dir" "$(jq_py "$K/dd2.json" 'print(r["warnings"])')"
fi

# --- 5. lock objects named as gdb names them --------------------------------
D=$("$ROOT/testdata/proc/mkcores.sh") || { fail mkcores "could not make the test cores"; finish; }
for c in abba condvar rwlock; do
	"$CS" --json "$D/$c.core" >"$T/$c.json" 2>/dev/null
	"$CS" "$D/$c.core" >"$T/$c.txt" 2>/dev/null
	jq_py "$T/$c.json" '
for o in sorted({(w["object"], w["object_name"] or "") for w in r["locks"]["waits"] if w["kind"] != "join"}):
    print("0x%x %s" % (int(o[0], 16), o[1]))' >"$T/$c.objs"
	[ -s "$T/$c.objs" ] || { fail "$c names" "no lock waits"; continue; }
	good=1
	while read -r addr name; do
		g=$(gdb -batch -nx -ex "output (void *)$addr" "$D/$c" "$D/$c.core" 2>/dev/null | tail -1)
		gname=$(sed -n 's/.*<\(.*\)>.*/\1/p' <<<"$g")
		[ "$gname" = "$name" ] || { good=0; fail "$c name $addr" "ours '$name', gdb '$g'"; }
		[ -z "$name" ] || grep -q "$addr <$name>" "$T/$c.txt" || { good=0; fail "$c text $addr" "no '$addr <$name>' in the text"; }
	done <"$T/$c.objs"
	[ $good = 1 ] && ok "$c: lock objects named as gdb names them ($(awk '{printf "%s<%s> ", $1, $2}' "$T/$c.objs"))"
done
finish
