#!/bin/bash
# The kernel hang verdicts (locks, deadlocks, chains, hung tasks, lockups,
# panics) on the scenario guests of Debian's 6.1 and 6.12 kernels, asserted
# against the ground truth the guest module printed (the guest's info file).
# Every guest is read in three forms - QEMU's ELF dump, a VMware checkpoint
# (mkvmss.py, .vmss + .vmem) and makedumpfile's kdump-compressed copy (zlib,
# -d 31 for 6.1 and -d 7 for 6.12: see testdata/kdump.sh) - and
# 6.1 with the vmlinux's DWARF and with --no-debuginfo (6.12 has no -dbg
# package here: guest memory only).  The checks live in lib/verdict_*.py, one
# module per verdict family; lib/kernel_verdicts_check.py runs them all.
. "$(dirname "$0")/lib/common.sh"
CS=$BIN/coresummary
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
need_deps

run_forms() {  # run_forms LABEL GUESTDIR KDUMPDIR MODE...
	local label=$1 g=$2 kd=$3; shift 3
	# 6.12: makedumpfile 1.7.2 drops some slab pages (task_structs) at -d 31,
	# taking them for user or free pages (see testdata/kdump.sh): -d 7 there
	local kdump=z.kdump
	case $label in 6.12-*) kdump=z7.kdump ;; esac
	local vm=$T/$label
	if ! python3 "$ROOT/testdata/mkvmss.py" --guest "$g" --out "$vm.vmss" --vmem >/dev/null 2>"$T/err"; then
		fail "$label-vmss" "mkvmss.py: $(head -1 "$T/err")"
	fi
	local -a forms=("elf:$g/qemu.elf" "vmss:$vm.vmss" "kdump:$kd/$kdump")
	for form in "${forms[@]}"; do
		local kind=${form%%:*} file=${form#*:}
		[ -e "$file" ] || { fail "$label-$kind" "$file missing"; continue; }
		for mode in "$@"; do
			local name="$label $kind${mode:+ $mode}" out=$T/$label-$kind-${mode#--}.json
			if ! "$CS" --json $mode "$file" >"$out" 2>"$T/err"; then
				fail "$name" "exit $?: $(head -2 "$T/err")"
				continue
			fi
			python3 "$LIB/kernel_verdicts_check.py" "$name" "$g/info" "$out" || FAILS=$((FAILS + 1))
		done
	done
	rm -f "$vm.vmss" "$vm.vmem"
}

for kern in 6.1 6.12; do
	for shape in hang panic; do
		env=()
		[ "$kern" = 6.12 ] && env=(CK_KERNEL=6.12)
		if ! g=$(env "${env[@]}" "$ROOT/testdata/guest.sh" "$shape"); then
			fail "guest-$kern-$shape" "guest.sh failed"; continue
		fi
		if ! kd=$(env "${env[@]}" COREKIT_BIN=$BIN "$ROOT/testdata/kdump.sh" "$shape" 2>"$T/err"); then
			fail "kdump-$kern-$shape" "testdata/kdump.sh: $(tail -1 "$T/err")"; kd=$T/none
		fi
		if [ "$kern" = 6.12 ]; then
			run_forms "$kern-$shape" "$g" "$kd" --no-debuginfo
		else
			run_forms "$kern-$shape" "$g" "$kd" "" --no-debuginfo
		fi
	done
done
# the healthy guest (no module): no waits, no findings, in every form
if g=$("$ROOT/testdata/guest.sh" healthy); then
	if kd=$(COREKIT_BIN=$BIN "$ROOT/testdata/kdump.sh" healthy 2>"$T/err"); then
		run_forms 6.1-healthy "$g" "$kd" "" --no-debuginfo
	else
		fail kdump-6.1-healthy "testdata/kdump.sh: $(tail -1 "$T/err")"
	fi
else
	fail guest-6.1-healthy "guest.sh failed"
fi

# 5-level paging (-cpu qemu64,+la57): the same ABBA verdicts through 5-level
# page tables; the guest really ran with CR4.LA57 (bit 12) on every vCPU
if g=$("$ROOT/testdata/guest.sh" la57); then
	cr4=$(grep -o 'CR4=[0-9a-f]*' "$g/regs.txt" | cut -d= -f2)
	la=0 n=0
	for c in $cr4; do n=$((n + 1)); [ $((0x$c & 0x1000)) -ne 0 ] && la=$((la + 1)); done
	if [ "$n" -gt 0 ] && [ "$la" -eq "$n" ]; then
		ok "la57 guest runs with CR4.LA57"
	else
		fail "la57 guest runs with CR4.LA57" "$(grep -o 'CR4=[0-9a-f]*' "$g/regs.txt" | xargs)"
	fi
	if kd=$(COREKIT_BIN=$BIN "$ROOT/testdata/kdump.sh" la57 2>"$T/err"); then
		run_forms 6.1-la57 "$g" "$kd" "" --no-debuginfo
	else
		fail kdump-6.1-la57 "testdata/kdump.sh: $(tail -1 "$T/err")"
		run_forms 6.1-la57 "$g" "$T/none" "" --no-debuginfo
	fi
else
	fail guest-6.1-la57 "guest.sh failed"
fi

# writer_blocks=1 (the big guest, 3 GiB: ELF only): reader -> writer -> the ABBA cycle
if g=$("$ROOT/testdata/guest.sh" big); then
	for mode in "" --no-debuginfo; do
		out=$T/big${mode#--}.json
		if "$CS" --json $mode "$g/qemu.elf" >"$out" 2>"$T/err"; then
			python3 "$LIB/kernel_verdicts_check.py" "6.1-big elf${mode:+ $mode}" "$g/info" "$out" || FAILS=$((FAILS + 1))
		else
			fail "6.1-big elf${mode:+ $mode}" "exit $?: $(head -2 "$T/err")"
		fi
	done
else
	fail guest-6.1-big "guest.sh failed"
fi

# A corrupt waiter record is a warning, never a false verdict: break the
# wait-list link of dl_cyc1's mutex_waiter (on its vmalloc'd stack, written
# through the page tables into a copy of the dump) and the 3-task cycle must
# disappear with a warning naming the pid, while the ABBA cycle stays.
if g=$("$ROOT/testdata/guest.sh" hang); then
	cyc1=$(sed -n 's/^cyc1_pid=//p' "$g/info")
	cp --reflink=auto "$g/qemu.elf" "$T/bad.elf"
	"$CS" --json "$T/bad.elf" >"$T/good.json"
	if python3 "$LIB/corrupt_waiter.py" "$T/bad.elf" "$T/good.json" "$cyc1" 2>"$T/err" &&
		"$CS" --json "$T/bad.elf" >"$T/bad.json" 2>>"$T/err"; then
		python3 - "$T/bad.json" "$cyc1" "$(sed -n 's/^dl_ab_pid=//p' "$g/info")" <<'PY' && ok "corrupt waiter: warning, no false cycle" ||
import json, sys
r, cyc1, ab = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
cyc = [c["tids"] for c in r["locks"]["cycles"]]
warned = any("pid %d " % cyc1 in w and "waiter record" in w for w in r["warnings"])
sys.exit(0 if warned and not any(cyc1 in c for c in cyc) and any(ab in c for c in cyc)
         and cyc1 not in [w["tid"] for w in r["locks"]["waits"]] else 1)
PY
			fail "corrupt waiter: warning, no false cycle" "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["locks"]["cycles"], r["warnings"])' "$T/bad.json")"
	else
		fail "corrupt waiter" "$(head -3 "$T/err")"
	fi
	rm -f "$T/bad.elf"
fi
finish
