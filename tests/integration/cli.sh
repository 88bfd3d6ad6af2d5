#!/bin/bash
# The vmss2core command line: help, version, usage errors, -W refusal, no
# overwrite without -f, --info/--tags, a system error, and an undetected guest
# (no Linux kernel in RAM: a physical-only core plus a warning).
. "$(dirname "$0")/lib/common.sh"
V=$BIN/vmss2core
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
need_deps
GDIR=$("$ROOT/testdata/guest.sh" small) || { fail guest "testdata/guest.sh small failed"; finish; }
FX=$("$ROOT/testdata/fixtures.sh" small) || { fail fixtures "testdata/fixtures.sh small failed"; finish; }
IN=$FX/embed-bed2-scalar.vmss

expect() {  # expect NAME STATUS CMD...: exit status and, for failures, one stderr line
	local n=$1 want=$2; shift 2
	local rc=0
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	if [ "$rc" != "$want" ]; then fail "$n" "exit $rc, want $want: $(head -2 "$T/err")"; return 1; fi
	if [ "$want" != 0 ] && [ "$(wc -l <"$T/err")" != 1 ]; then fail "$n" "want one stderr line, got: $(cat "$T/err")"; return 1; fi
	ok "$n"
}

expect help 0 "$V" --help && grep -q '^usage: vmss2core' "$T/out" && grep -q 'Exit status' "$T/out" || fail help-text "no usage/exit status in --help"
expect version 0 "$V" --version && grep -q '^vmss2core (corekit)' "$T/out" || fail version-text "$(cat "$T/out")"
expect no-args 1 "$V"
expect three-args 1 "$V" a b c
expect bad-option 1 "$V" --bogus "$IN"
expect tags-without-info 1 "$V" --tags "$IN"
expect windows-W 2 "$V" -W "$IN" && grep -q 'not implemented' "$T/err" || fail windows-W-text "$(cat "$T/err")"
expect windows-W8 2 "$V" -W8 -o "$T/w.dmp" "$IN"
[ -e "$T/w.dmp" ] && fail windows-no-output "-W8 left $T/w.dmp"

# VMware's spellings (its how-tos use -N4/-N6 and -W<build>) and Mac OS refusals.
expect vmware-N4 0 "$V" -q -N4 -o "$T/n4.core" "$IN"
expect vmware-N6 0 "$V" -q -N6 -o "$T/n6.core" "$IN"
cmp -s "$T/n4.core" "$T/n6.core" && ok vmware-N-suffix-same-output || fail vmware-N-suffix-same-output "-N4 and -N6 differ"
expect vmware-W2195 2 "$V" -W2195 -o "$T/w.dmp" "$IN" && grep -q 'Windows' "$T/err" || fail vmware-W2195-text "$(cat "$T/err")"
expect vmware-W6000 2 "$V" -W6000 -o "$T/w.dmp" "$IN"
for m in -M -X32 -X64; do
	expect "macos$m" 2 "$V" "$m" "$IN" && grep -q 'Mac OS guests are not supported' "$T/err" || fail "macos$m-text" "$(cat "$T/err")"
done
expect output-named-like-option 0 "$V" -q -o "$T/-N4" "$IN" && [ -s "$T/-N4" ] && ok output-named-N4-kept || fail output-named-N4-kept "-o -N4 was rewritten"

# One style for both programs: version line, option errors, help layout.
CS=$BIN/coresummary
for p in vmss2core coresummary; do
	for vflag in -V --version; do
		expect "$p-version$vflag" 0 "$BIN/$p" $vflag && grep -qx "$p (corekit) [^ ]*" "$T/out" || fail "$p-version$vflag-form" "$(cat "$T/out")"
	done
	expect "$p-unknown-long" 1 "$BIN/$p" --bogus x && grep -qx "$p: unknown option '--bogus' (try --help)" "$T/err" || fail "$p-unknown-long-text" "$(cat "$T/err")"
	expect "$p-unknown-short" 1 "$BIN/$p" -Z x && grep -qx "$p: unknown option '-Z' (try --help)" "$T/err" || fail "$p-unknown-short-text" "$(cat "$T/err")"
	expect "$p-help" 0 "$BIN/$p" -h && grep -q "^usage: $p \[OPTIONS\]" "$T/out" && grep -q '^  -h, --help         this help$' "$T/out" &&
		grep -q '^  -V, --version      print the version$' "$T/out" && grep -q '^Exit status: ' "$T/out" || fail "$p-help-layout" "$(head -3 "$T/out")"
done
expect vmss2core-missing-arg 1 "$V" -o && grep -qx "vmss2core: option '-o' needs an argument (try --help)" "$T/err" || fail vmss2core-missing-arg-text "$(cat "$T/err")"
expect coresummary-missing-arg 1 "$CS" --dot && grep -qx "coresummary: option '--dot' needs an argument (try --help)" "$T/err" || fail coresummary-missing-arg-text "$(cat "$T/err")"
# the small guest holds the ABBA deadlock, the reader blocked behind the
# writer and their hung tasks: exit 4 for those kinds, 0 for the others
for k in crash lockup panic tools; do
	expect "fail-on-$k" 0 "$CS" --fail-on "$k" --json "$IN"
done
for k in deadlock blocked hung crash,deadlock,blocked,hung,lockup,panic,tools; do
	expect "fail-on-$k" 4 "$CS" --fail-on "$k" --json "$IN"
done
expect fail-on-unknown 1 "$CS" --fail-on crash,bogus "$IN" && grep -q "unknown finding kind 'bogus'" "$T/err" || fail fail-on-unknown-text "$(cat "$T/err")"
expect disable-unknown 1 "$CS" --disable bogus "$IN" && grep -q "unknown analyzer 'bogus'" "$T/err" || fail disable-unknown-text "$(cat "$T/err")"
expect disable-known 0 "$CS" --disable locks,signature "$IN"

cd "$T"
expect default-name 0 "$V" -q "$IN" && [ -s "$T/vmss.core" ] && ok default-name-vmss.core || fail default-name-vmss.core "no ./vmss.core"
echo keep >"$T/keep.core"
expect no-overwrite 1 "$V" -q -o "$T/keep.core" "$IN"
[ "$(cat "$T/keep.core")" = keep ] && ok no-overwrite-untouched || fail no-overwrite-untouched "existing output changed"
expect force-overwrite 0 "$V" -q -f -o "$T/keep.core" "$IN" && [ "$(stat -c %s "$T/keep.core")" -gt 1000000 ] ||
	fail force-overwrite-size "keep.core not replaced"
expect vmsn-with-vmem-arg 0 "$V" -N -q -o "$T/n.core" "$FX/vmem-bed2-both.vmsn" "$FX/vmem-bed2-both.vmem"
expect missing-dir-is-system-error 3 "$V" -q -o "$T/no/such/dir/x.core" "$IN"
ls "$T" | grep -q '\.tmp\|tmp\.' && fail no-temp-left "$(ls "$T")" || ok no-temp-left

# --info names vmss2core's own output as such (not as QEMU's dump) and prints phys_base in hex.
expect info-own-output 0 "$V" --info "$T/n4.core" && grep -q 'format *ELF vmcore (written by vmss2core' "$T/out" &&
	grep -qE 'phys_base *-?0x[0-9a-f]+$' "$T/out" || fail info-own-output-text "$(grep -E 'format|phys_base' "$T/out")"
# Progress on a terminal redraws at most ~10 times a second (script(1) gives it a pty).
if command -v script >/dev/null; then
	start=$(date +%s.%N)
	script -qec "$V -f -o $T/p.core $IN" /dev/null >"$T/pty.out" 2>&1
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
	redraws=$(tr -cd '\r' <"$T/pty.out" | wc -c)
	if grep -q 'vmss2core: 100%' "$T/pty.out" && awk -v r="$redraws" -v s="$secs" 'BEGIN { exit !(r <= 10 * s + 3) }'; then
		ok progress-redraw-rate
	else
		fail progress-redraw-rate "$redraws redraws in $secs s: $(tr '\r' '\n' <"$T/pty.out" | tail -2)"
	fi
fi
expect info 0 "$V" --info "$IN"
lacks=
for want in 'format' 'vCPUs *2' 'guest OS *debian12-64' 'vm name' 'missing:' 'kernel *Linux 6' 'KASLR offset' 'direct map *0xffff' 'regions'; do
	grep -qE "$want" "$T/out" || lacks="$lacks '$want'"
done
[ -z "$lacks" ] && ok info-content || fail info-content "--info lacks$lacks"
expect info-tags 0 "$V" --info --tags "$IN"
grep -q 'cpu:numVCPUs' "$T/out" && grep -q 'regionPPN' "$T/out" && ok info-tags-content || fail info-tags-content "tags missing"

# An undetected guest: real registers, RAM with no kernel in it.
mkdir -p "$T/blank"
cp "$GDIR/regs.txt" "$GDIR/info" "$T/blank/"
truncate -s 16M "$T/blank/ram-0.raw"
printf 'deadbeef' | dd of="$T/blank/ram-0.raw" bs=1 seek=8192 conv=notrunc 2>/dev/null
echo "0x0 0x1000000 ram-0.raw" >"$T/blank/ram.layout"
python3 "$ROOT/testdata/mkvmss.py" --guest "$T/blank" --out "$T/blank.vmss" --embed >/dev/null 2>&1 ||
	fail blank-fixture "mkvmss.py failed"
rc=0; "$V" -o "$T/blank.core" "$T/blank.vmss" 2>"$T/err" || rc=$?
if [ $rc = 0 ] && grep -q 'warning: no Linux kernel found' "$T/err"; then ok undetected-guest-warns; else fail undetected-guest-warns "rc=$rc $(cat "$T/err")"; fi
if readelf -lW "$T/blank.core" | awk '$1 == "LOAD" && $3 != "0x0000000000000000" { bad = 1 } END { exit bad }' &&
   ! readelf -nW "$T/blank.core" | grep -q VMCOREINFO; then
	ok undetected-guest-physical-only
else
	fail undetected-guest-physical-only "virtual PT_LOADs or VMCOREINFO in a core without a kernel"
fi
python3 "$LIB/cmp_phys.py" "$T/blank.core" "$T/blank" >/dev/null && ok undetected-guest-pages || fail undetected-guest-pages "pages differ"
finish
