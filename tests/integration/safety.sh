#!/bin/bash
# Never lose a user's file (both commands, every output): an output that is an
# input (same inode: the .vmss, the .vmem found by name, through a symlink or
# a hard link) is refused with or without -f; devices, FIFOs, sockets and
# directories are never replaced; '-' is standard output where the format can
# stream and refused where it cannot; SIGINT/SIGTERM/SIGHUP/SIGPIPE at several
# points of a real conversion remove the temporary and exit 128+signal; nothing
# in the input's directory changes unless it is the named output.
. "$(dirname "$0")/lib/common.sh"
V=$BIN/vmss2core
CS=$BIN/coresummary
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
need_deps
FX=$("$ROOT/testdata/fixtures.sh" small) || { fail fixtures "testdata/fixtures.sh small failed"; finish; }

# A private copy of a checkpoint whose RAM lives in the .vmem found by name.
IN=$T/in
mkdir -p "$IN"
cp --sparse=always "$FX/vmem-bed2-both.vmsn" "$IN/g.vmsn"
cp --sparse=always "$FX/vmem-bed2-both.vmem" "$IN/g.vmem"
"$V" -q -o "$IN/g.core" "$IN/g.vmsn" || { fail setup "cannot convert the fixture"; finish; }
mkfifo "$IN/fifo"
snap() { (cd "$1" && find . -printf '%p %i %s %T@ %y\n' | sort; sha256sum g.vmsn g.vmem g.core) >"$2"; }
snap "$IN" "$T/before"

# expect NAME STATUS CMD...: exit status, and one stderr line for a failure
expect() {
	local n=$1 want=$2; shift 2
	local rc=0
	"$@" >"$T/out" 2>"$T/err" </dev/null || rc=$?
	if [ "$rc" != "$want" ]; then fail "$n" "exit $rc, want $want: $(head -2 "$T/err")"; return 1; fi
	if [ "$want" != 0 ] && [ "$(wc -l <"$T/err")" != 1 ]; then fail "$n" "want one stderr line, got: $(cat "$T/err")"; return 1; fi
	ok "$n"
}
unchanged() { snap "$IN" "$T/after"; if cmp -s "$T/before" "$T/after"; then ok "$1"; else fail "$1" "$(diff "$T/before" "$T/after" | head -4)"; fi; }

# Outputs that are inputs.
expect out-is-checkpoint 1 "$V" -f -o "$IN/g.vmsn" "$IN/g.vmsn" && grep -q 'is the input' "$T/err" || fail out-is-checkpoint-msg "$(cat "$T/err")"
expect out-is-vmem-found-by-name 1 "$V" -f -o "$IN/g.vmem" "$IN/g.vmsn"
expect out-is-vmem-argument 1 "$V" -f -o "$IN/g.vmem" "$IN/g.vmsn" "$IN/g.vmem"
ln -s "$IN/g.vmsn" "$T/link.vmsn"
expect out-symlink-to-input 1 "$V" -f -o "$T/link.vmsn" "$IN/g.vmsn"
ln "$IN/g.vmem" "$T/hard.vmem"
expect out-hardlink-to-vmem 1 "$V" -f -o "$T/hard.vmem" "$IN/g.vmsn"
rm -f "$T/hard.vmem"
expect out-is-elf-input 1 "$V" -f -o "$IN/g.core" "$IN/g.core"
expect dot-is-core 1 "$CS" --dot "$IN/g.core" "$IN/g.core"
expect dot-is-core-forced 1 "$CS" -f --dot "$IN/g.core" "$IN/g.core"
expect dot-is-vmem 1 "$CS" -f --dot "$IN/g.vmem" "$IN/g.vmsn" "$IN/g.vmem"
unchanged inputs-unchanged-after-refusals

# Not regular files: never replaced, -f or not.
mknod "$T/fullnode" c 1 7 2>/dev/null || fail mknod "cannot make a device node in $T"
mkfifo "$T/fifo"
mkdir "$T/dir"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/sock"
for o in fullnode fifo dir sock; do
	expect "vmss2core-refuses-$o" 1 "$V" -q -f -o "$T/$o" "$IN/g.vmsn"
	expect "coresummary-dot-refuses-$o" 1 "$CS" -f --dot "$T/$o" "$IN/g.core"
done
grep -q 'only regular files' "$T/err" && ok refusal-says-why || fail refusal-says-why "$(cat "$T/err")"
[ -c "$T/fullnode" ] && [ -p "$T/fifo" ] && [ -d "$T/dir" ] && [ -S "$T/sock" ] && ok special-files-untouched ||
	fail special-files-untouched "$(ls -l "$T")"

# '-': standard output where the format streams.
cd "$T"
expect vmcore-to-stdout-refused 1 "$V" -q -o - "$IN/g.vmsn" && grep -q 'standard output' "$T/err" || fail vmcore-stdout-msg "$(cat "$T/err")"
[ -e "$T/-" ] && fail no-file-named-dash "vmss2core created ./-" || ok no-file-named-dash
expect dot-to-stdout 0 "$CS" --dot - "$IN/g.core"
head -1 "$T/out" | grep -q '^digraph' && ! grep -q '== ' "$T/out" && ok dot-stdout-only-graph || fail dot-stdout-only-graph "$(head -3 "$T/out")"
[ -e "$T/-" ] && fail dot-no-file-named-dash "coresummary created ./-" || ok dot-no-file-named-dash
expect dot-stdout-and-json 1 "$CS" --json --dot - "$IN/g.core"
echo keep >"$T/keep.dot"
expect dot-no-overwrite 1 "$CS" --dot "$T/keep.dot" "$IN/g.core"
[ "$(cat "$T/keep.dot")" = keep ] && ok dot-existing-untouched || fail dot-existing-untouched "replaced without -f"
expect dot-force 0 "$CS" -f --dot "$T/keep.dot" "$IN/g.core" && head -1 "$T/keep.dot" | grep -q digraph ||
	fail dot-force-content "$(head -2 "$T/keep.dot")"

# Signals at several points of a real conversion, made deterministic with gdb:
# stop at the Nth poll of the copy loop (or at the final commit), send the signal
# from inside the process, go on (LeakSanitizer cannot run under ptrace).  Expected: exit 128+signal, no temporary left,
# no output, a one-line message.
OUT=$T/sig
mkdir -p "$OUT"
interrupt() {  # interrupt NAME SIGNAL BREAK IGNORE
	local n=$1 sig=$2 brk=$3 ign=$4
	local num; num=$(kill -l "$sig")
	rm -rf "${OUT:?}"/* "$OUT"/.[!.]* 2>/dev/null
	ASAN_OPTIONS=detect_leaks=0 gdb -q -batch -nx -ex 'set pagination off' -ex 'set confirm off' \
		-ex "handle SIG$sig nostop noprint pass" -ex "break $brk" -ex "ignore 1 $ign" \
		-ex "run -q -o $OUT/x.core $IN/g.vmsn 2>$T/sig.err" \
		-ex "call (int)kill((int)getpid(), $num)" -ex 'delete' -ex 'continue' "$V" >"$T/gdb.out" 2>&1
	local code; code=$(sed -n 's/.*exited with code \([0-7]*\)\].*/\1/p' "$T/gdb.out" | tail -1)
	local want=$((128 + num))
	if [ -z "$code" ] || [ $((8#$code)) != $want ]; then
		fail "$n" "exit ${code:+$((8#$code))}, want $want: $(grep -v '^\[' "$T/gdb.out" | tail -3 | tr '\n' ' ')"
	elif [ -n "$(ls -A "$OUT")" ]; then
		fail "$n" "left behind: $(ls -A "$OUT")"
	elif ! grep -q "interrupted by SIG$sig" "$T/sig.err"; then
		fail "$n" "message: $(cat "$T/sig.err")"
	else
		ok "$n"
	fi
}
interrupt sigint-first-chunk INT outfile_poll 0
interrupt sigterm-early TERM outfile_poll 10
interrupt sighup-middle HUP outfile_poll 300
interrupt sigpipe-late PIPE outfile_poll 700
interrupt sigint-at-commit INT outfile_commit 0
# The same conversion, not interrupted, under the same gdb set-up: it does finish.
ASAN_OPTIONS=detect_leaks=0 gdb -q -batch -nx -ex "run -q -o $OUT/x.core $IN/g.vmsn" "$V" >"$T/gdb.out" 2>&1
grep -q 'exited normally' "$T/gdb.out" && [ -s "$OUT/x.core" ] && ok uninterrupted-under-gdb ||
	fail uninterrupted-under-gdb "$(tail -2 "$T/gdb.out")"
rm -f "$OUT/x.core"

# A real asynchronous signal from outside, at a few delays (wherever it lands:
# nothing but a complete output may remain).
for d in 0.02 0.1 0.3; do
	rm -rf "${OUT:?}"/* "$OUT"/.[!.]* 2>/dev/null
	"$V" -q -o "$OUT/x.core" "$IN/g.vmsn" 2>/dev/null & pid=$!
	sleep "$d"; kill -TERM $pid 2>/dev/null; rc=0; wait $pid || rc=$?
	left=$(ls -A "$OUT")
	if { [ $rc = 143 ] && [ -z "$left" ]; } || { [ $rc = 0 ] && [ "$left" = x.core ]; }; then
		ok "sigterm-after-$d"
	else
		fail "sigterm-after-$d" "exit $rc, left: $left"
	fi
done
unchanged inputs-unchanged-at-end
finish
