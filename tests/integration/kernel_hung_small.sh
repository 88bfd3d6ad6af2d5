#!/bin/bash
# Hung-task and lockup verdicts on the guests outside the scenario set of
# kernel_verdicts.sh: the small guest (2 vCPUs, only the ABBA module tasks in
# D, nothing spinning) and the big one (4 vCPUs, a user-mode busy loop on a
# CPU: not a kernel lockup).  Their hung tasks must be exactly the ones the
# kernel reported (info hung_task_reports), and no CPU may be called locked
# up; both QEMU ELF dumps, with and without DWARF.
. "$(dirname "$0")/lib/common.sh"
CS=$BIN/coresummary
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
need_deps
for shape in small big; do
	if ! g=$("$ROOT/testdata/guest.sh" "$shape"); then
		fail "guest-$shape" "guest.sh failed"; continue
	fi
	for mode in "" --no-debuginfo; do
		name="6.1-$shape elf${mode:+ $mode}" out=$T/$shape.json
		if ! "$CS" --json $mode "$g/qemu.elf" >"$out" 2>"$T/err"; then
			fail "$name" "exit $?: $(head -2 "$T/err")"; continue
		fi
		VERDICTS=hung,lockup python3 "$LIB/kernel_verdicts_check.py" "$name" "$g/info" "$out" || FAILS=$((FAILS + 1))
		python3 - "$name" "$out" <<'PY' || FAILS=$((FAILS + 1))
import json, sys
name, path = sys.argv[1:3]
r = json.load(open(path))
bad = [f["summary"] for f in r["findings"] if f["kind"] == "lockup"]
print(("ok %s no-lockup-finding" % name) if not bad else ("FAIL %s no-lockup-finding: %s" % (name, bad)))
sys.exit(1 if bad else 0)
PY
	done
done
finish
