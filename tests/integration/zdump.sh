#!/bin/bash
# coresummary on ESXi zdumps.  No public zdump sample or specification exists:
# every file here is CONSTRUCTED (lib/zdump_make.py) from the fact sheet's
# documented facts (names, gzip/zlib dump data, the crypto envelope at 4096,
# standard ELF cores) around real data: public log-sample lines and real
# process cores.  Checked: where each piece was put, the samples' NOTE facts
# and their own reports (lib/zdump_check.py), the embedded cores' threads and
# functions against eu-stack and gdb on the original core files, the deadlock
# of abba's core, a VMX core named so by its content; errors, --fail-on,
# vmss2core's refusal; inputs unchanged and nothing left in $TMPDIR, SIGTERM
# included.
. "$(dirname "$0")/lib/common.sh"
need_deps
# libdw keeps a few allocations for the life of the process; suppress only those.
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan-libdw.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
D=$("$ROOT/testdata/proc/mkcores.sh") || { fail mkcores "could not make the test cores"; finish; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
CS=$BIN/coresummary
CHECK="python3 $ROOT/tests/integration/coresummary_check.py"
mkdir -p "$T/z" "$T/tmp" "$T/vmx"

# A core whose program is called vmx (crash_null.c built under that name), dumped by gdb.
cc -g -O2 -o "$T/vmx/vmx" "$ROOT/testdata/proc/crash_null.c"
(cd "$T/vmx" && gdb -batch -nx -ex run -ex "gcore vmx.core" ./vmx >gdb.out 2>&1) || true
[ -s "$T/vmx/vmx.core" ] || fail vmx_core "gdb made no core: $(tail -3 "$T/vmx/gdb.out")"
python3 "$LIB/zdump_make.py" "$T/z" "$ROOT/testdata/log-samples" "$D" "$T/vmx/vmx.core" ||
	{ fail zdump_make "could not build the zdumps"; finish; }
sha256sum "$T"/z/* >"$T/before.sum"

# Reports, checked against the layout, the samples and their own reports; nothing in TMPDIR after.
export TMPDIR=$T/tmp
python3 "$LIB/zdump_check.py" "$CS" "$T/z" "$ROOT/testdata/log-samples" || FAILS=$((FAILS + 1))

# The embedded cores are analysed as the cores they are: the process-core checks on the zdump's report.
"$CS" --json "$T/z/hostd-worker-zdump.000" >"$T/raw.json" 2>"$T/err" || fail raw_core_report "$(head -c 300 "$T/err")"
$CHECK expect crash_null "$T/raw.json" "$D/crash_null.out" | sed 's/^\(ok\|FAIL\) /\1 raw_core_zdump /'
$CHECK compare "$T/raw.json" "$D/crash_null" "$D/crash_null.core" | sed 's/^\(ok\|FAIL\) /\1 raw_core_zdump /'
"$CS" --json "$T/z/vpxa-zdump.001" >"$T/zlib.json" 2>"$T/err" || fail zlib_core_report "$(head -c 300 "$T/err")"
$CHECK expect abba "$T/zlib.json" "$D/abba.out" | sed 's/^\(ok\|FAIL\) /\1 zlib_core_zdump /'
$CHECK compare "$T/zlib.json" "$D/abba" "$D/abba.core" | sed 's/^\(ok\|FAIL\) /\1 zlib_core_zdump /'
"$CS" --json "$T/z/vmx-zdump.000" >"$T/vmx.json" 2>"$T/err" || fail vmx_core_report "$(head -c 300 "$T/err")"
$CHECK compare "$T/vmx.json" "$T/vmx/vmx" "$T/vmx/vmx.core" | sed 's/^\(ok\|FAIL\) /\1 vmx_core_zdump /'
# the zdump's text report holds the core's (verdict, threads) and says where it came from
"$CS" "$T/z/vpxa-zdump.001" >"$T/zlib.txt" 2>&1
grep -q '^deadlock: ' "$T/zlib.txt" && grep -q 'at 0x0 of the zlib stream at 0x1b58' "$T/zlib.txt" &&
	grep -q '^== threads' "$T/zlib.txt" && ok zlib_core_text || fail zlib_core_text "$(head -c 600 "$T/zlib.txt")"

# --fail-on: the PSOD in the kernel zdump's log is a panic; the core's crash a crash.
"$CS" --fail-on panic "$T/z/vmkernel-zdump.1" >/dev/null 2>"$T/err"; rc=$?
"$CS" --fail-on deadlock "$T/z/hostd-worker-zdump.000" >/dev/null 2>&1; rc2=$?
[ $rc = 4 ] && [ $rc2 = 0 ] && grep -q 'fail-on' "$T/err" && ok fail_on_zdump || fail fail_on_zdump "rc=$rc rc2=$rc2"

# Errors: one line naming the file, exit 2; options of other targets refused.
mkdir "$T/vmkernel-zdump.3"
# (a directory is never a zdump, whatever its name: it is read as a bundle, here an empty one)
"$CS" "$T/vmkernel-zdump.3" >"$T/out" 2>"$T/err"; rc=$?
[ $rc = 0 ] && grep -q "vmkernel-zdump.3 (bundle, 0 events)" "$T/out" && [ ! -s "$T/err" ] && ok zdump_directory_is_a_bundle ||
	fail zdump_directory_is_a_bundle "rc=$rc $(cat "$T/err")"
"$CS" "$T/z/vmkernel-zdump.9" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q "vmkernel-zdump.9: cannot open" "$T/err" && ok zdump_missing || fail zdump_missing "rc=$rc $(cat "$T/err")"
"$CS" --vmlinux /dev/null "$T/z/vmkernel-zdump.1" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q 'does not apply to a zdump' "$T/err" && ok zdump_rejects_vmlinux || fail zdump_rejects_vmlinux "rc=$rc $(cat "$T/err")"
"$BIN/vmss2core" -o "$T/out.core" "$T/z/vmkernel-zdump.1" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q 'an ESXi zdump' "$T/err" && [ ! -e "$T/out.core" ] && ok vmss2core_refuses_zdump ||
	fail vmss2core_refuses_zdump "rc=$rc $(cat "$T/err")"

# SIGTERM while a core is being copied out of a big stream: nothing left behind.
python3 - "$D/many.core" "$T/big-zdump.000" <<'PY'
import sys, zlib
core = open(sys.argv[1], 'rb').read()
with open(sys.argv[2], 'wb') as f:
    for i in range(4):
        f.write(b'\x00' * 4096 + zlib.compress(core, 1))
PY
"$CS" "$T/big-zdump.000" >/dev/null 2>&1 &
pid=$!
sleep 1
kill -TERM $pid 2>/dev/null
wait $pid; rc=$?
[ "$rc" = 143 ] || [ "$rc" = 0 ] && [ -z "$(ls -A "$T/tmp")" ] && ok sigterm_leaves_nothing ||
	fail sigterm_leaves_nothing "rc=$rc, in TMPDIR: $(ls -A "$T/tmp" | head -3)"
rm -f "$T/big-zdump.000"

# Inputs never modified, no temporary left.
sha256sum -c --quiet "$T/before.sum" >/dev/null 2>&1 && ok inputs_unchanged || fail inputs_unchanged "a zdump changed"
[ -z "$(ls -A "$T/tmp")" ] && ok tmpdir_empty || fail tmpdir_empty "$(ls -A "$T/tmp" | head -3)"
finish
