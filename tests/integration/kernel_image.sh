#!/bin/bash
# coresummary on a Linux guest image (tasks, states, ORC stacks, vCPUs, kernel
# log) against independent tools on the same stopped guest:
#  - crash (crashfix vmlinux, one session on qemu.elf): ps (every task both
#    ways: pid, task, comm, state, on-CPU), ps -m (time since it ran), bt -a (the task per vCPU), bt PID
#    of the deadlock module's D tasks (whole stack, module frames included);
#  - drgn on the vmss2core conversion (its NT_PRSTATUS pr_pid set to the task
#    running on each CPU, kdump's convention: QEMU's cpu+1 makes drgn 0.0.22
#    unwind pid 1..N from the vCPU registers) and deadlock.ko's DWARF: every
#    task's stack, named non-inline frames up to the first frame drgn cannot
#    name (assembly: ret_from_fork, the syscall entry);
#  - the guest's serial log and info (hung-task reports);
#  - the same report from qemu.elf, the vmss2core core and two checkpoints;
#  - corrupted task/thread lists: exit 0 in time, a warning, a true partial list;
#  - the big guest (4 vCPUs, one in user mode; crash cannot read it): drgn only.
. "$(dirname "$0")/lib/common.sh"
need_deps
CS=$BIN/coresummary
CMP=cmp_
cmp_() { python3 "$LIB/kimage_cmp.py" "$@" || FAILS=$((FAILS + 1)); }
KC="python3 $LIB/kimage_core.py"
G=$("$ROOT/testdata/guest.sh" small) || { fail kimage_guest "testdata/guest.sh small failed"; finish; }
F=$("$ROOT/testdata/fixtures.sh" small) || { fail kimage_fixtures "testdata/fixtures.sh small failed"; finish; }
CV=$("$ROOT/testdata/crashfix-vmlinux.sh") || { fail kimage_crashfix "testdata/crashfix-vmlinux.sh failed"; finish; }
KVER=$(grep ^kver= "$G/info" | cut -d= -f2)
VMLINUX=/usr/lib/debug/boot/vmlinux-$KVER
info() { grep "^$2=" "$1/info" | cut -d= -f2; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# run NAME ARGS...: coresummary (the ASan build) within 60 s, exit 0, no sanitizer report
run() {
	local n=$1 rc
	shift
	timeout 60 "$CS" "$@" >"$T/$n.out" 2>"$T/$n.err"
	rc=$?
	if [ $rc -ne 0 ] || grep -qE 'Sanitizer|runtime error' "$T/$n.err"; then
		fail "run_$n" "exit $rc: $(grep -m3 -E 'ERROR|error|Sanitizer' "$T/$n.err" | tr '\n' '|')"
		return 1
	fi
	ok "run_$n"
}
# drgn_oracle CORE OUT KO: drgn's cpus, then its stacks on a copy whose pr_pids name the
# running tasks (with the module's DWARF drgn names its frames too and goes on to kthread)
drgn_oracle() {
	# shellcheck disable=SC2046 # the prpid arguments: one pid per CPU
	drgn -q -c "$1" -s "$VMLINUX" "$LIB/kimage_drgn.py" cpus >"$2.cpus" 2>"$2.err" &&
		cp --sparse=always "$1" "$T/drgn.core" &&
		$KC prpid "$T/drgn.core" $(awk '$1 == "cpu" {print $3}' "$2.cpus") &&
		drgn -q -c "$T/drgn.core" -s "$VMLINUX" -s "$3" "$LIB/kimage_drgn.py" >"$2" 2>>"$2.err"
	local rc=$?
	rm -f "$T/drgn.core"
	[ $rc -eq 0 ] || fail "drgn_$(basename "$2")" "$(head -c 300 "$2.err")"
	return $rc
}

# ---- the small guest: every input form ----
"$BIN/vmss2core" -q -o "$T/v.core" "$G/qemu.elf" || fail vmss2core "conversion failed"
run qemu --json "$G/qemu.elf"
run vcore --json "$T/v.core"
run vmss --json "$F/embed-bed2-scalar.vmss"
run vmsn --json "$F/vmem-bed2-both.vmsn"
run dmesg --dmesg "$G/qemu.elf"
for f in vcore vmss vmsn; do $CMP same "qemu_vs_$f" "$T/qemu.out" "$T/$f.out"; done

# ---- crash: one session ----
D="$(info "$G" dl_ab_pid) $(info "$G" dl_ba_pid) $(info "$G" dl_reader_pid)"
NCPU=$(info "$G" vcpus)
{ echo ps; echo ps -m; echo bt -a; for p in $D; do echo "bt $p"; done; echo quit; } |
	crash -s "$CV" "$G/qemu.elf" >"$T/crash.txt" 2>"$T/crash.err"
$CMP tasks "$T/qemu.out" "$T/crash.txt"
$CMP lastran "$T/qemu.out" "$T/crash.txt"
# shellcheck disable=SC2086
$CMP crashbt "$T/qemu.out" "$T/crash.txt" "$NCPU" $D
$CMP cpus "$T/qemu.out" "$T/crash.txt" "$NCPU"

# ---- drgn ----
if drgn_oracle "$T/v.core" "$T/small.drgn" "$G/deadlock.ko"; then
	$CMP dtasks "$T/qemu.out" "$T/small.drgn"
	$CMP stacks "$T/qemu.out" "$T/small.drgn"
	$CMP inlines "$T/qemu.out" "$T/small.drgn"
	$CMP cpus "$T/qemu.out" "$T/small.drgn" "$NCPU"
fi

# ---- the kernel log ----
$CMP dmesg "$G/serial.log" "$T/dmesg.out"
$CMP events "$T/qemu.out" "$G/info"
BUILD_ID=$(readelf -n "$VMLINUX" | awk '/Build ID/ {print $3}')
$CMP kernel "$T/qemu.out" "$KVER" "$BUILD_ID" "$NCPU"

# ---- corrupted task lists (copies of the vmss2core core) ----
off() { awk -v m="$1" '$1 == "off" && $2 == m {print $3}' "$T/small.drgn.cpus"; }
TASKS=$(off tasks) THREAD=$(off thread_node)
# the leaders in list order (our report lists the idle tasks first, then init_task.tasks)
mapfile -t L < <(python3 -c 'import json, sys
for t in json.load(open(sys.argv[1]))["threads"]:
    if t["tid"] and t["tid"] == t["tgid"]: print(t["task"])' "$T/qemu.out")
N=${#L[@]}
VICTIM=${L[N * 2 / 3]} EARLIER=${L[N / 4]} INIT=${L[0]} LAST=${L[N - 1]}
corrupt() {
	local n=$1 at=$2 val=$3 upto=${4:-}
	cp --sparse=always "$T/v.core" "$T/c.core" && $KC poke "$T/c.core" "$at" "$val" ||
		{ fail "corrupt_$n" "cannot patch 0x$at"; return; }
	run "c_$n" --json "$T/c.core" && $CMP partial "$n" "$T/c_$n.out" "$T/vcore.out" "$upto"
}
if [ -n "$TASKS" ] && [ -n "$THREAD" ] && [ "$N" -gt 10 ]; then
	corrupt task_list_loop $((VICTIM + TASKS)) $((EARLIER + TASKS)) "$VICTIM"
	corrupt task_list_noncanonical $((VICTIM + TASKS)) 0x4141414141414141 "$VICTIM"
	corrupt task_list_unmapped $((VICTIM + TASKS)) "$($KC unmapped "$T/v.core")" "$VICTIM"
	# a thread list is one task long here: the leader's, the other tasks stay listed
	corrupt thread_list_self_loop $((INIT + THREAD)) $((INIT + THREAD))
	corrupt thread_list_into_other_group $((INIT + THREAD)) $((LAST + THREAD))
	corrupt thread_list_noncanonical $((INIT + THREAD)) 0xdead000000000100
	rm -f "$T/c.core"
else
	fail corrupt "no task_struct offsets from drgn or too few tasks ($N)"
fi
rm -f "$T/v.core"

# ---- the big guest: 4 vCPUs, one in user mode (crash cannot read it) ----
BG=$("$ROOT/testdata/guest.sh" big) || { fail kimage_big_guest "testdata/guest.sh big failed"; finish; }
"$BIN/vmss2core" -q -o "$T/big.core" "$BG/qemu.elf" || fail vmss2core_big "conversion failed"
run big_dmesg --dmesg "$BG/qemu.elf" && $CMP dmesg "$BG/serial.log" "$T/big_dmesg.out"
if run big --json "$BG/qemu.elf" && run big_vcore --json "$T/big.core"; then
	$CMP same big_qemu_vs_vcore "$T/big.out" "$T/big_vcore.out"
	if drgn_oracle "$T/big.core" "$T/big.drgn" "$BG/deadlock.ko"; then
		$CMP dtasks "$T/big.out" "$T/big.drgn"
		$CMP stacks "$T/big.out" "$T/big.drgn"
		$CMP cpus "$T/big.out" "$T/big.drgn" "$(info "$BG" vcpus)"
	fi
	$CMP uservcpu "$T/big.out" "$BG/regs.txt"
	$CMP events "$T/big.out" "$BG/info"
	$CMP kernel "$T/big.out" "$KVER" "$BUILD_ID" "$(info "$BG" vcpus)"
fi
finish
