#!/bin/bash
# vmss2core on real guest memory (QEMU/TCG boot of Debian's kernel with a
# module that deadlocks kthreads), checked with independent tools:
#   - every guest-physical page of our core equals QEMU's raw RAM (pmemsave)
#   - crash on our core prints the same `bt -a` / `foreach UN bt` as crash on
#     QEMU's own ELF of the same stopped guest, and its `log` has the hung-task
#     lines the guest printed on its serial console
#   - drgn opens our core with no options and shows the D-state stacks
#   - gdb shows every vCPU's registers
# (crash's own .vmss reader as an oracle for the fixtures: fixtures_oracle.sh)
# crash 8.0.2 lists only idle tasks on Debian's 6.1.1xx kernels (a backported
# `struct pid` size change): we use a copy of vmlinux whose DWARF byte size of
# struct pid is patched (testdata/crashfix-vmlinux.sh), for crash only.
# Usage: vmss2core_real.sh [SHAPE]   (default: small)
. "$(dirname "$0")/lib/common.sh"
SHAPE=${1:-small}
need_deps
GDIR=$("$ROOT/testdata/guest.sh" "$SHAPE") || { fail "guest-$SHAPE" "testdata/guest.sh failed"; finish; }
FX=$("$ROOT/testdata/fixtures.sh" "$SHAPE") || { fail "fixtures-$SHAPE" "testdata/fixtures.sh failed"; finish; }
KVER=$(sed -n 's/^kver=//p' "$GDIR/info")
VMLINUX=/usr/lib/debug/boot/vmlinux-$KVER
CRASHLINUX=$("$ROOT/testdata/crashfix-vmlinux.sh") || { fail crashfix "crashfix-vmlinux failed"; finish; }
NCPU=$(sed -n 's/^vcpus=//p' "$GDIR/info")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

crash_run() {  # crash_run CORE OUT : bt -a, foreach UN bt, log
	printf 'bt -a\nforeach UN bt\nlog\nquit\n' | timeout 600 crash -s "$CRASHLINUX" "$1" >"$2" 2>&1
}
crash_run "$GDIR/qemu.elf" "$T/qemu.crash"
crash_frames "$T/qemu.crash" >"$T/qemu.frames"
[ "$(grep -c '^PID:' "$T/qemu.frames")" -gt "$NCPU" ] ||
	fail "oracle-$SHAPE" "crash on qemu.elf found too few tasks: $(head -5 "$T/qemu.crash")"

convert() {  # convert NAME INPUT... -> $T/NAME.core
	local n=$1; shift
	local rc=0
	"$BIN/vmss2core" -q -o "$T/$n.core" "$@" 2>"$T/$n.err" || rc=$?
	[ $rc = 0 ] && return 0
	fail "convert-$SHAPE-$n" "vmss2core exited $rc: $(head -3 "$T/$n.err")"
	return 1
}

first=
# Every fixture that must convert (bad-* and compressed ones are refused: badinput.sh)
for fx in "$FX"/*.vmss "$FX"/*.vmsn "$FX"/guest-v*/debug.guest; do
	[ -e "$fx" ] || continue
	n=$(basename "$fx"); n=${n%.*}
	[ "$n" = debug ] && n=$(basename "$(dirname "$fx")")
	case "$n" in bad-*|*compressed*) continue;; esac
	convert "$n" "$fx" || continue
	ok "convert-$SHAPE-$n"
	check "pages-$SHAPE-$n" python3 "$LIB/cmp_phys.py" "$T/$n.core" "$GDIR"
	[ -z "$first" ] && first=$n
	[ "$n" = "$first" ] || rm -f "$T/$n.core"
done
[ -n "$first" ] || { fail "fixtures-$SHAPE" "no fixture converted"; finish; }
CORE=$T/$first.core

# Round trips through the ELF reader: QEMU's ELF -> ours, and ours -> ours again.
convert qemu-elf "$GDIR/qemu.elf" && check "pages-$SHAPE-from-qemu-elf" python3 "$LIB/cmp_phys.py" "$T/qemu-elf.core" "$GDIR"
rm -f "$T/qemu-elf.core"
convert again "$CORE" && check "pages-$SHAPE-roundtrip" python3 "$LIB/cmp_phys.py" "$T/again.core" "$GDIR"
rm -f "$T/again.core"

# 1. crash: same bt -a / foreach UN bt as on QEMU's ELF; hung-task lines in log
crash_run "$CORE" "$T/ours.crash"
crash_frames "$T/ours.crash" >"$T/ours.frames"
if diff -u "$T/qemu.frames" "$T/ours.frames" >"$T/frames.diff"; then
	ok "crash-bt-matches-qemu-$SHAPE ($(grep -c '^PID:' "$T/ours.frames") task stacks)"
else
	fail "crash-bt-matches-qemu-$SHAPE" "$(head -20 "$T/frames.diff")"
fi
if grep -q '__mutex_lock' "$T/ours.frames" && grep -q 'rwsem_down_read_slowpath' "$T/ours.frames"; then
	ok "crash-foreach-UN-$SHAPE"
else
	fail "crash-foreach-UN-$SHAPE" "foreach UN bt lacks __mutex_lock / rwsem_down_read_slowpath"
fi
hung=$(grep -o 'task [a-z_]*:[0-9]* blocked for more than [0-9]* seconds' "$GDIR/serial.log" | sort -u)
[ -n "$hung" ] || fail "serial-hung-$SHAPE" "no hung-task line in serial.log"
missing=0
while IFS= read -r l; do grep -qF "$l" "$T/ours.crash" || { missing=1; fail "crash-log-$SHAPE" "log lacks: $l"; }; done <<<"$hung"
[ $missing = 0 ] && ok "crash-log-has-hung-task-lines-$SHAPE ($(wc -l <<<"$hung") lines)"

# 2. drgn with no options: D-state tasks and their stacks
if timeout 600 drgn -q -c "$CORE" -s "$VMLINUX" "$LIB/dstate.py" >"$T/drgn.out" 2>&1; then
	want=3; [ "$SHAPE" = big ] && want=4
	got=$(grep -c ' < ' "$T/drgn.out")
	if grep -q 'dl_ab: .*mutex_lock' "$T/drgn.out" && grep -q 'dl_ba: .*mutex_lock' "$T/drgn.out" &&
	   grep -q 'dl_reader: .*rwsem_down_read' "$T/drgn.out" && [ "$got" -ge "$want" ]; then
		ok "drgn-dstate-$SHAPE ($got D tasks)"
	else
		fail "drgn-dstate-$SHAPE" "$(head -12 "$T/drgn.out")"
	fi
else
	fail "drgn-opens-$SHAPE" "$(tail -3 "$T/drgn.out")"
fi

# 3. gdb: one thread per vCPU, registers as QEMU printed them
timeout 300 gdb -nx -batch -ex 'info threads' -ex 'thread apply all info registers rip rsp' \
	-c "$CORE" >"$T/gdb.out" 2>&1
threads=$(grep -cE '^[* ] +[0-9]+ +(Thread|process|LWP)' "$T/gdb.out")
[ "$threads" = "$NCPU" ] && ok "gdb-threads-$SHAPE ($threads)" ||
	fail "gdb-threads-$SHAPE" "gdb shows $threads threads, want $NCPU: $(head -5 "$T/gdb.out")"
bad=0
for rip in $(grep -o 'RIP=[0-9a-f]*' "$GDIR/regs.txt" | cut -d= -f2 | sed 's/^0*//'); do
	grep -qiE "^rip +0x0*$rip( |$)" "$T/gdb.out" || bad=1
done
[ $bad = 0 ] && ok "gdb-registers-$SHAPE" || fail "gdb-registers-$SHAPE" "RIPs differ from regs.txt"

finish
