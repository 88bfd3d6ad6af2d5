#!/bin/bash
# make demo: convert the bundled real-guest checkpoint (a Debian 12 VM whose
# kernel threads deadlock, see testdata/demo/README) into an ELF vmcore and
# open it with drgn and crash; then coresummary on the checkpoint itself, which
# needs no debug info: the deadlocked kernel threads, their stacks, the kernel log.
# usage: scripts/demo.sh BINDIR
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${1:-$ROOT/build/bin}" && pwd)
W=$ROOT/build/demo
mkdir -p "$W"
if [ ! -s "$W/demo.vmss" ] || [ "$ROOT/testdata/demo/demo.vmss.xz" -nt "$W/demo.vmss" ]; then
	echo "+ xz -dc testdata/demo/demo.vmss.xz > build/demo/demo.vmss"
	xz -dc "$ROOT/testdata/demo/demo.vmss.xz" >"$W/demo.vmss.tmp" && mv "$W/demo.vmss.tmp" "$W/demo.vmss"
fi
cd "$W"
echo "+ vmss2core --info demo.vmss   (first lines)"
"$BIN/vmss2core" --info demo.vmss | sed -n '1,12p;/^Guest kernel/,$p'
echo
echo "+ vmss2core -N -f -o vmss.core demo.vmss"
"$BIN/vmss2core" -N -f -o vmss.core demo.vmss
ls -ls vmss.core
KVER=$(grep -o "Linux [0-9][^ ,]*" "$ROOT/testdata/demo/README" | head -1 | cut -d" " -f2)
VMLINUX=/usr/lib/debug/boot/vmlinux-$KVER
echo
echo "The core opens with no extra options:"
echo "  drgn -c $W/vmss.core -s $VMLINUX"
echo "  crash $VMLINUX $W/vmss.core      (crash 8.0.2 on Debian 6.1.1xx kernels: see README)"
echo "  gdb -c $W/vmss.core"
if [ -r "$VMLINUX" ] && command -v drgn >/dev/null; then
	echo
	echo "+ drgn -c vmss.core -s $VMLINUX tests/integration/lib/dstate.py   (tasks in D state)"
	drgn -q -c vmss.core -s "$VMLINUX" "$ROOT/tests/integration/lib/dstate.py"
else
	# Never skipped silently: say why, and how to get the step.
	echo
	echo "(drgn/crash step not run: the demo guest's kernel is $KVER and $VMLINUX is not"
	echo " installed; Debian's archive keeps only the current ABI's linux-image-*-dbg."
	echo " Try: apt-get install linux-image-$KVER-dbg, or give the file to drgn/crash and to"
	echo " coresummary --vmlinux.  coresummary below needs no debug info at all.)"
fi
echo
echo "+ coresummary demo.vmss   (the guest kernel from its memory alone: verdicts, lock waits, tasks, stacks, kernel log)"
"$BIN/coresummary" demo.vmss | sed -n '1,/^== tasks/p'
"$BIN/coresummary" demo.vmss | awk '/^== tasks/ {on = 1} on && /\[D\]/ {p = 1} p && /^$/ {print; p = 0; n++} p; n >= 3 {exit}'
