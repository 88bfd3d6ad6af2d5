#!/bin/bash
# testdata/check-fixtures.sh [SHAPE] - independent check of the mkvmss.py fixtures:
# Debian's crash (which has its own .vmss and debug.guest readers) must see the
# same machine in each fixture it accepts as in QEMU's ELF dump of that guest
# (same sys summary, tasks, registers and stack frames for 'bt -a' and
# 'foreach UN bt'), and must refuse the fixtures it is known not to support.
# Before that, vmssread.py checks every fixture's RAM and registers against the
# guest directory (this part also covers what crash cannot read).
# Prints one line per case: 'ok NAME' or 'FAIL NAME: why' (corekit test protocol).
# CK_NO_CRASH=1 runs only the vmssread.py part.
# SHAPE defaults to small (crash 8.0.2 aborts on a .vmss with a vCPU in user
# mode, so big is not expected to pass).  Keeps crash outputs in
# GUESTDIR/fixtures/crash/ for inspection.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SHAPE=${1:-small}
command -v crash >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y crash >&2
GDIR=$("$HERE/guest.sh" "$SHAPE") || { echo "FAIL guest-$SHAPE: guest.sh failed"; exit 1; }
FX=$("$HERE/fixtures.sh" "$SHAPE") || { echo "FAIL fixtures-$SHAPE: fixtures.sh failed"; exit 1; }
VMLINUX=$("$HERE/crashfix-vmlinux.sh") || { echo "FAIL crashfix: crashfix-vmlinux.sh failed"; exit 1; }
OUT=$FX/crash
mkdir -p "$OUT"
CMDS='sys\nbt -a\nforeach UN bt\nq\n'

# Expected verdicts with Debian 12's crash 8.0.2:
#   match  - crash opens it and the normalised output equals the qemu.elf one
#   refuse - crash does not open it as a dump (no "TASKS:" line)
#   differ - crash opens it but cannot use the registers, so its output differs:
#            gpregs: crash 8.0.2 takes the block as rax rcx rdx rbx RBP RSP ...,
#              our block is in x86 encoding order (rsp before rbp), so it gets
#              RSP=rbp, rejects the registers and falls back to a stack search;
#   unusable - differ or refuse: cr32 / no-rsp: CPU 0's register set is
#              incomplete for crash (it reads only CR64), so its KASLR detection
#              has no CR3/IDTR; it finds almost no tasks (small) or gives up (demo).
#   crash 8.0.2 reads debug.guest version 4 only; split6 has > 3 regions (crash
#   keeps 3 and overruns its array).
expect() {
	case $1 in
	vmem-bad1-gpregs.vmss) echo differ ;;
	embed-bed2-cr32.vmss | bad-embed-bed2-no-rsp.vmss) echo unusable ;;
	embed-bed2-compressed.vmss | bad-embed-bed0-old32.vmss | bad-magic-deadbeef.vmss | \
		embed-v0-bed2bed0.vmss | bad-embed-bed2-no-numvcpus.vmss) echo refuse ;;
	embed-bed2-split6.vmss | embed-bed2-split6-reversed.vmss) echo refuse ;;
	guest-v1 | guest-v3 | guest-v5 | guest-v6 | guest-v7) echo refuse ;;
	*) echo match ;;
	esac
}

# Keep what must agree: sys lines (less file names), task headers, registers,
# frames.  Whitespace is squeezed; the ELF-only "CS: ... SS: ..." line is dropped.
normalise() {
	sed -e 's/\t/ /g' -e 's/  */ /g' -e 's/^ //' "$1" | grep -E \
		'^(CPUS|DATE|UPTIME|LOAD AVERAGE|TASKS|RELEASE|VERSION|MACHINE|MEMORY|PANIC):|^PID:|^#[0-9]+ \[|^\[exception RIP|^(RIP|RAX|RDX|RBP|R10|R13): '
}

run_crash() {	# DUMP OUTFILE
	# subshell: crash segfaults on some inputs; keep bash's job notice quiet
	(printf "$CMDS" | timeout 600 crash -s "$VMLINUX" "$1" >"$2" 2>&1) 2>/dev/null
}

# Part 1: structure.  vmssread.py (independent of mkvmss.py) maps every RAM page
# of every fixture back through its regions / holes and compares it with
# ram-*.raw, and compares the registers with regs.txt.
fail=0
cd "$FX"
for f in *.vmss *.vmsn guest-v*; do
	case $f in guest-v*) dump=$f/debug.guest ;; *) dump=$f ;; esac
	case $f in
	bad-* | *compressed*) want=bad ;;
	*) want=ok ;;
	esac
	res=$(python3 "$HERE/vmssread.py" check "$GDIR" "$dump" --full 2>&1)
	got=${res%% *}
	[ "$got" = ok ] || got=bad
	if [ "$got" = "$want" ]; then
		echo "ok selfcheck-$SHAPE-$f (${res#* })"
	else
		echo "FAIL selfcheck-$SHAPE-$f: want $want, got: $res"
		fail=1
	fi
done
[ -n "${CK_NO_CRASH:-}" ] && exit $fail

# Part 2: crash.
run_crash "$GDIR/qemu.elf" "$OUT/qemu.elf.txt"
normalise "$OUT/qemu.elf.txt" >"$OUT/qemu.elf.norm"
nref=$(grep -c '^PID:' "$OUT/qemu.elf.norm")
nun=$(grep -c 'COMMAND: "dl_' "$OUT/qemu.elf.norm")
if grep -q '^TASKS:' "$OUT/qemu.elf.norm" && [ "$nun" -ge 3 ]; then
	echo "ok crash-qemu-elf-$SHAPE ($nref task stacks, $nun dl_* tasks)"
else
	echo "FAIL crash-qemu-elf-$SHAPE: crash on qemu.elf did not show the hung dl_* tasks (see $OUT/qemu.elf.txt)"
	exit 1
fi

for f in *.vmss *.vmsn guest-v*; do
	case $f in guest-v*) dump=$f/debug.guest ;; *) dump=$f ;; esac
	name=crash-$SHAPE-$f
	txt=$OUT/$f.txt
	run_crash "$dump" "$txt"
	normalise "$txt" >"$OUT/$f.norm"
	want=$(expect "$f")
	if grep -q '^TASKS:' "$OUT/$f.norm"; then
		if cmp -s "$OUT/$f.norm" "$OUT/qemu.elf.norm"; then got=match; else got=differ; fi
	else
		got=refuse
	fi
	if [ "$got" = "$want" ] || { [ "$want" = unusable ] && [ "$got" != match ]; }; then
		echo "ok $name ($got)"
	else
		why=$(grep -m1 -iE 'vmw:|error|cannot|invalid' "$txt" | cut -c1-120)
		[ "$got" = differ ] && why="$(diff "$OUT/qemu.elf.norm" "$OUT/$f.norm" | grep -c '^[<>]') lines differ"
		echo "FAIL $name: want $want, got $got${why:+ ($why)}"
		fail=1
	fi
done
exit $fail
