#!/bin/bash
# coresummary on the scenario guests (testdata/guest.sh hang|panic, Debian's
# 6.1 and 6.12 kernels; see testdata/README.md), asserted against the ground
# truth the guest module printed on its console (the guest's info file):
# the D tasks, the task on each spinning vCPU, the user process blocked in
# the kernel ending at its syscall entry, the panicking CPU with its stack
# through the exception frame into the module, and the kernel's own reports
# (hung task, soft lockup, Oops, panic) as events.  Every check runs with the
# vmlinux's DWARF and with --no-debuginfo (6.12: memory only, no -dbg here).
. "$(dirname "$0")/lib/common.sh"
CS=$BIN/coresummary
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
need_deps

check_guest() {  # check_guest LABEL GUESTDIR MODE...
	local label=$1 g=$2; shift 2
	for mode in "$@"; do
		local out=$T/$label-${mode#--}.json
		if ! "$CS" --json $mode "$g/qemu.elf" >"$out" 2>"$T/err"; then
			fail "$label$mode" "exit $?: $(head -2 "$T/err")"
			continue
		fi
		python3 "$LIB/kernel_scenarios_check.py" "$label${mode:+ $mode}" "$g/info" "$out"
	done
}

for kern in 6.1 6.12; do
	for shape in hang panic; do
		if [ "$kern" = 6.12 ]; then
			g=$(CK_KERNEL=6.12 "$ROOT/testdata/guest.sh" "$shape") || { fail "guest-$kern-$shape" "guest.sh failed"; continue; }
			check_guest "$kern-$shape" "$g" --no-debuginfo
		else
			g=$("$ROOT/testdata/guest.sh" "$shape") || { fail "guest-$kern-$shape" "guest.sh failed"; continue; }
			check_guest "$kern-$shape" "$g" "" --no-debuginfo
		fi
	done
done
finish
