#!/bin/bash
# coresummary on process cores like the ones users bring (issue 8), all real:
# programs built here with Debian's gcc/g++ and real Debian programs we did not
# write (testdata/wild/mkwild.sh; the kernel writes the cores into our own
# directory, kernel.core_pattern is only read):
#   - every thread's frame list equal to `eu-stack -i` (inline chains of 5,
#     C++ templates/lambdas, clang's cc1, python3, a gcore of debuginfod)
#   - C++ names exactly as c++filt prints the frames' ELF symbols, with and
#     without debug info; the signature the same with and without it
#   - raise(SIGABRT) from a signal handler, dynamic and -static: never abort()
#   - a core without NT_SIGINFO: no invented fault address, text = JSON
#   - an --exe of another build: warned and not used; a --sysroot file of
#     another build likewise
#   - truncated cores (several sizes) and a note that does not parse: warnings,
#     incomplete threads with an unwind_error, never a signature from nothing
#   - a 32-bit ELF class named as such
. "$(dirname "$0")/lib/common.sh"
need_deps
CS=$BIN/coresummary
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan-libdw.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
FR="python3 $LIB/wild_frames.py"
ED="python3 $LIB/core_edit.py"
D=$("$ROOT/testdata/wild/mkwild.sh") || { fail mkwild "could not make the cores"; finish; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
jq_py() { python3 -c "import json, sys; r = json.load(open(sys.argv[1])); $2" "$1" "${@:3}"; }
report() {	# NAME CORE [ARGS]: JSON into $T/NAME.json, text into $T/NAME.txt
	local n=$1 core=$2; shift 2
	"$CS" --json "$@" "$core" >"$T/$n.json" 2>"$T/$n.err" || { fail "$n report" "exit $?: $(head -3 "$T/$n.err")"; return 1; }
	"$CS" "$@" "$core" >"$T/$n.txt" 2>&1
}

# --- frame lists against eu-stack -i, names against c++filt ------------------
for n in inline5 inline5c cxx cxx_throw raise raise_static threads clang python3 debuginfod; do
	report $n "$D/$n/core" || continue
	$FR frames $n "$T/$n.json" "$D/$n/core"
done
# the inline chain, exactly: five frames at one PC, the physical one by its DWARF subprogram
jq_py "$T/inline5.json" '
f = r["threads"][0]["frames"][0]
sys.exit(0 if [i["function"] for i in f["inlines"]] == ["fubar", "foobar", "bar", "foo"] and f["function"] == "fu(int)"
         and f["symbol"] == "_Z2fui" else 1)' && ok "inline5: fubar foobar bar foo [inline] then fu(int) (symbol _Z2fui)" ||
	fail "inline5 chain" "$(jq_py "$T/inline5.json" 'print(r["threads"][0]["frames"][0])')"
$FR cxxfilt clang "$T/clang.json"
# without DWARF: every C++ frame named by its ELF symbol, exactly as c++filt prints it
for n in cxx cxx_throw inline5; do
	strip -g -o "$T/$n.nodebug" "$D/$n/exe"
	report $n-nodebug "$D/$n/core" --exe "$T/$n.nodebug" || continue
	$FR cxxfilt $n-nodebug "$T/$n-nodebug.json"
	python3 - "$T/$n.json" "$T/$n-nodebug.json" <<'PY' && ok "$n: the same signature with and without debug info" || fail "$n signature" "differs without debug info"
import json, sys
a, b = (json.load(open(p))['signature'] for p in sys.argv[1:])
sys.exit(0 if a and b and a['hash'] == b['hash'] and a['frames'] == b['frames'] else 1)
PY
done
jq_py "$T/cxx-nodebug.json" 'sys.exit(0 if r["threads"][0]["frames"][0]["function"] == "corekit::wild::Box<int>::operator*() const [clone .isra.0]" else 1)' &&
	ok "cxx without DWARF: corekit::wild::Box<int>::operator*() const [clone .isra.0] (as c++filt)" ||
	fail "cxx nodebug name" "$(jq_py "$T/cxx-nodebug.json" 'print(r["threads"][0]["frames"][0]["function"])')"
[ "$(echo _Z7cxxfunci | c++filt)" = "cxxfunc(int)" ] || fail "c++filt" "c++filt does not print cxxfunc(int)"

# --- crash reasons from the frames that are there ----------------------------
hline=$(grep -n '	kill(getpid(), SIGUSR1);' "$ROOT/testdata/wild/raise_handler.c" | cut -d: -f1)
for n in raise raise_static; do
	want="raise(SIGABRT) called from a signal handler, which interrupted work (raise_handler.c:$hline)"
	jq_py "$T/$n.json" 'c = r["crash"]; sys.exit(0 if c["kind"] == "raise" and c["reason"] == sys.argv[2] and not c["disassembly"] else 1)' "$want" &&
		! grep -q 'abort()' "$T/$n.txt" && ok "$n: $want" ||
		fail "$n reason" "$(jq_py "$T/$n.json" 'print(r["crash"]["kind"], r["crash"]["reason"])')"
done
jq_py "$T/cxx_throw.json" 'sys.exit(0 if r["crash"]["kind"] == "abort" else 1)' && ok "cxx_throw: abort (std::terminate)" ||
	fail "cxx_throw kind" "$(jq_py "$T/cxx_throw.json" 'print(r["crash"]["kind"], r["crash"]["reason"])')"
jq_py "$T/python3.json" 'sys.exit(0 if r["crash"]["kind"] == "abort" and r["process"]["executable"] == "/usr/bin/python3.11" else 1)' &&
	ok "python3: abort, executable /usr/bin/python3.11" ||
	fail "python3" "$(jq_py "$T/python3.json" 'print(r["crash"]["kind"], r["process"]["executable"])')"
# a module shown as [name]+0x..: never like a function
grep -qE ' in \[[^]]+\]\+0x[0-9a-f]+  \[' "$T/python3.txt" && ! grep -qE ' in [a-z0-9._-]+\+0x' "$T/python3.txt" &&
	ok "modules shown as [name]+0x..." || fail "module form" "$(grep -m2 ' in ' "$T/python3.txt")"

# --- no NT_SIGINFO: what is known, nothing more -----------------------------
$ED dropnote "$D/threads/core" "$T/nosig.core" 0x53494749
! eu-readelf -n "$T/nosig.core" | grep -q SIGINFO || fail "nosig" "eu-readelf still sees NT_SIGINFO"
if report nosig "$T/nosig.core"; then
	jq_py "$T/nosig.json" '
s = r["process"]["signal"]; c = r["crash"]
sys.exit(0 if s["number"] == 11 and s["address"] is None and s["code"] is None and "0x0" not in c["reason"]
         and "unknown" in c["reason"] else 1)' &&
		! grep -qE 'fault address 0x|at 0x0\b|address 0x0' "$T/nosig.txt" && grep -q "the fault address is unknown" "$T/nosig.txt" &&
		ok "no NT_SIGINFO: SIGSEGV from NT_PRSTATUS, no address in text or JSON" ||
		fail "nosig" "$(jq_py "$T/nosig.json" 'print(r["process"]["signal"], r["crash"]["reason"])')"
fi

# --- an --exe of another build; a --sysroot file of another build ------------
report other "$D/inline5/core" --exe "$D/inline5_other/exe" &&
	jq_py "$T/other.json" '
w = [x for x in r["warnings"] if x.startswith("--exe ") and "not used" in x]
f = r["threads"][0]["frames"][0]
sys.exit(0 if len(w) == 1 and r["process"]["executable"] == sys.argv[2] and f["inlines"] and f["function"] == "fu(int)" else 1)' "$D/inline5/exe" &&
	grep -q "^warning: --exe $D/inline5_other/exe: build-id" "$T/other.txt" &&
	ok "--exe of another build: one warning, not used, executable is the core's program" ||
	fail "other exe" "$(grep '^warning' "$T/other.txt")"
SR=$T/sysroot
mkdir -p "$SR$D/inline5" && cp "$D/inline5_other/exe" "$SR$D/inline5/exe"
report sr "$D/inline5/core" --sysroot "$SR" &&
	jq_py "$T/sr.json" 'sys.exit(0 if any("has build-id" in x and "not used" in x for x in r["warnings"]) else 1)' &&
	ok "--sysroot file of another build: warned, not used" || fail "sysroot other" "$(grep '^warning' "$T/sr.txt")"

# --- damaged cores -----------------------------------------------------------
sz=$(stat -c %s "$D/threads/core")
for frac in 2 3 5; do
	head -c $((sz / frac)) "$D/threads/core" >"$T/cut$frac.core"
	report cut$frac "$T/cut$frac.core" || continue
	jq_py "$T/cut$frac.json" '
th = r["threads"]
inc = all(t["incomplete"] and t["unwind_error"] for t in th)
trunc = any("truncated" in w for w in r["warnings"])
sig = r["signature"]
named = sig is None or any(not f.endswith("+?") for f in sig["frames"])
sys.exit(0 if len(th) == 5 and inc and trunc and named else 1)' &&
		tail -c1 "$T/cut$frac.txt" | od -c | grep -q '\\n' &&
		ok "core cut to 1/$frac: a truncation warning, all 5 threads incomplete with an unwind_error" ||
		fail "cut 1/$frac" "$(jq_py "$T/cut$frac.json" 'print(r["warnings"], [(t["incomplete"], t["unwind_error"]) for t in r["threads"]])')"
done
$ED breaknote "$D/threads/core" "$T/badnote.core" 10
report badnote "$T/badnote.core" &&
	jq_py "$T/badnote.json" 'sys.exit(0 if any("does not parse" in w for w in r["warnings"]) and len(r["threads"]) < 5 else 1)' &&
	grep -q '^warning: .*does not parse' "$T/badnote.txt" &&
	ok "a note that does not parse: warned (threads after it lost)" || fail "bad note" "$(grep '^warning' "$T/badnote.txt")"
# every incomplete thread says why, on a complete core too (the --max-frames limit)
report maxf "$D/threads/core" --max-frames 2 &&
	jq_py "$T/maxf.json" 'sys.exit(0 if all((not t["incomplete"]) or t["unwind_error"] for t in r["threads"]) and any(t["incomplete"] for t in r["threads"]) else 1)' &&
	ok "--max-frames 2: incomplete threads carry an unwind_error" || fail "maxf" "incomplete without unwind_error"

# --- a 32-bit ELF class ------------------------------------------------------
cp "$D/raise/core" "$T/c32.core" && printf '\x01' | dd of="$T/c32.core" bs=1 seek=4 conv=notrunc 2>/dev/null
rc=0; "$CS" "$T/c32.core" >/dev/null 2>"$T/c32.err" || rc=$?
[ $rc = 2 ] && grep -q "32-bit core (ELFCLASS32, e_machine 62: x32)" "$T/c32.err" && ! grep -q "not an x86-64" "$T/c32.err" &&
	ok "32-bit class: named as such, not 'not x86-64'" || fail "32-bit" "exit $rc: $(cat "$T/c32.err")"
finish
