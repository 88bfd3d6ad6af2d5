#!/bin/bash
# testdata/guest.sh SHAPE - build (if not cached) a real Linux guest memory image
# and print the absolute path of its directory.
#
# SHAPE:
#   small  -M pc,  2 vCPUs, 256 MiB, writer_blocks=0, every vCPU idle in kernel mode
#   big    -M q35, 4 vCPUs, 3 GiB (RAM at 0-2 GiB and 4-5 GiB), writer_blocks=1,
#          a user-mode busy loop (rg_spin) so that one vCPU is in user mode
#   demo   -M pc,  1 vCPU, 128 MiB, writer_blocks=0, idle in kernel mode
#   hang   -M pc,  3 vCPUs, 256 MiB, writer_blocks=0, plus the module's hang
#          scenarios (semaphore, completion, wait queue, 3-task mutex/rwsem cycle, waiters
#          behind a sleeping holder, a user read() blocked in the module, a
#          short-D task, an rt_mutex waiter behind a holder in S, a spinlock
#          pair spinning on CPUs 1 and 2 until the soft-lockup watchdog reports
#          them)
#   panic  -M pc,  2 vCPUs, 256 MiB, writer_blocks=0, then an Oops in dl_oops
#          with oops=panic (panic_on_oops) panic=0; stopped after "end Kernel panic"
#   healthy -M pc, 2 vCPUs, 256 MiB, no deadlock.ko: an idle guest with nothing
#          wrong (the negative case of the hang verdicts)
#   la57   -M pc,  2 vCPUs, 256 MiB, writer_blocks=0, -cpu qemu64,+la57: the kernel
#          runs with 5-level page tables
#
# CK_KERNEL=6.12 uses Debian bookworm-backports' 6.12 kernel fetched by
# testdata/kernel612.sh into the cache instead of the installed 6.1.
#
# The guest is Debian's current kernel (linux-image-amd64) under QEMU/TCG, KASLR
# on, with testdata/guest/kmod/deadlock.ko loaded (ABBA mutex deadlock + blocked
# rwsem reader).  When the hung-task detector has reported the blocked threads
# the VM is stopped and dumped.  The directory holds:
#   ram.layout   one line per RAM region: PA_HEX LEN_HEX FILE
#   ram-N.raw    the RAM regions (pmemsave; sparse on disk)
#   qemu.elf     dump-guest-memory (no paging) of the same instant
#   regs.txt     'info registers -a'      mtree.txt  'info mtree -f'
#   serial.log   guest console            deadlock.ko the module (with DWARF)
#   info         key=value: kver shape vcpus mem_mb machine writer_blocks ...,
#                and the ground truth from the console: lock_a lock_b dl_rwsem,
#                dl_*_pid / dl_*_task, hung_task_reports, d_state_pids; hang
#                and panic add the module's DLTRUTH keys (testdata/README.md)
#
# Cache: ${COREKIT_CACHE:-$HOME/.cache/corekit}/guests/KVER-SHAPE-HASH, HASH over
# this script, testdata/guest/* and the shape's settings.  Built in a work dir
# and renamed into place, so an interrupted build is never taken as cached.
# Older entries of the same shape are removed.  Progress goes to stderr.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
G=$HERE/guest
SHAPE=${1:-}
# SCEN: ck.scen for /init (empty: the plain ABBA set); PANIC: the panic= args
SCEN= PANIC=panic=-1 READY='^GUEST-READY' CPU=qemu64
case $SHAPE in
small) MACHINE=pc VCPUS=2 MEM_MB=256 WB=0 SPIN=0 KARGS= ;;
big) MACHINE=q35 VCPUS=4 MEM_MB=3072 WB=1 SPIN=1 KARGS= ;;
# demo: init_on_free=1 zeroes freed pages, so the image compresses well
demo) MACHINE=pc VCPUS=1 MEM_MB=128 WB=0 SPIN=0 KARGS=init_on_free=1 ;;
# hang: 3 vCPUs because the spinlock pair takes two of them for good; no RCU
# stall report (21 s), whose NMI backtraces would interrupt the spinners
hang) MACHINE=pc VCPUS=3 MEM_MB=256 WB=0 SPIN=0 KARGS=rcupdate.rcu_cpu_stall_timeout=300 SCEN=hang ;;
# panic: panic=0 makes the panicking CPU wait for ever, so we can dump it
panic) MACHINE=pc VCPUS=2 MEM_MB=256 WB=0 SPIN=0 KARGS= SCEN=panic PANIC="panic=0 oops=panic" \
	READY='end Kernel panic - not syncing' ;;
# healthy: no deadlock.ko, nothing wrong: the negative case of every verdict
healthy) MACHINE=pc VCPUS=2 MEM_MB=256 WB=0 SPIN=0 KARGS= SCEN=healthy ;;
# la57: the plain ABBA set on a CPU with 5-level paging (CR4.LA57; Debian's kernel enables it)
la57) MACHINE=pc VCPUS=2 MEM_MB=256 WB=0 SPIN=0 KARGS= CPU=qemu64,+la57 ;;
*) echo "usage: $0 small|big|demo|hang|panic|healthy|la57" >&2; exit 1 ;;
esac
CMDLINE="console=ttyS0 $PANIC ck.wb=$WB ck.spin=$SPIN${SCEN:+ ck.scen=$SCEN}${KARGS:+ $KARGS}"
log() { echo "guest.sh[$SHAPE]: $*" >&2; }
die() { log "ERROR: $*"; exit 3; }

CACHE=${COREKIT_CACHE:-$HOME/.cache/corekit}
need_pkgs=()
case ${CK_KERNEL:-} in
"")
	KVER=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*\)$/\1/p' | head -n1)
	[ -n "$KVER" ] || die "cannot find the kernel version: apt-cache depends linux-image-amd64 names no linux-image-X (run apt-get update)"
	[ -r /boot/vmlinuz-"$KVER" ] || need_pkgs+=("linux-image-$KVER")
	[ -d /lib/modules/"$KVER"/build ] || need_pkgs+=("linux-headers-$KVER")
	KROOT= KBUILD=/lib/modules/$KVER/build MAKEARGS=
	;;
6.12)
	# unpacked in the cache, never installed: see kernel612.sh
	KROOT=$("$HERE/kernel612.sh") || die "kernel612.sh failed"
	KVER=$(cat "$KROOT/kver")
	KBUILD=$KROOT/usr/src/linux-headers-$KVER
	# no pahole on the host: modules go without BTF (the kernel accepts that)
	command -v pahole >/dev/null && MAKEARGS= || MAKEARGS=PAHOLE=true
	;;
*) die "CK_KERNEL=$CK_KERNEL: only 6.12 (or unset for Debian's current kernel)" ;;
esac
KERNEL=$KROOT/boot/vmlinuz-$KVER
VMLINUX_DEBUG=$KROOT/usr/lib/debug/boot/vmlinux-$KVER
command -v qemu-system-x86_64 >/dev/null || need_pkgs+=(qemu-system-x86)
[ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || need_pkgs+=(busybox-static)
for c in cpio gzip make gcc flock fallocate python3; do
	command -v $c >/dev/null || need_pkgs+=("$c")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
	log "installing ${need_pkgs[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_pkgs[@]}" >&2 ||
		die "apt-get install ${need_pkgs[*]} failed"
fi

GUESTS=$CACHE/guests
mkdir -p "$GUESTS"
HASH=$( {
	echo "shape=$SHAPE machine=$MACHINE cpu=$CPU vcpus=$VCPUS mem=$MEM_MB wb=$WB spin=$SPIN kargs=$KARGS kver=$KVER cmdline=$CMDLINE"
	cd "$HERE" && find guest.sh guest -type f | LC_ALL=C sort | xargs sha256sum
} | sha256sum | cut -c1-12)
NAME=$KVER-$SHAPE-$HASH
DIR=$GUESTS/$NAME

# One builder per shape at a time; a second caller waits and then finds the cache.
exec 9>"$GUESTS/.lock-$SHAPE"
flock 9
if [ -f "$DIR/info" ]; then
	echo "$DIR"
	exit 0
fi

WORK=$GUESTS/.work-$NAME.$$
SOCKDIR=$(mktemp -d /tmp/ck-guest.XXXXXX)
SOCK=$SOCKDIR/qmp.sock
QPID=
cleanup() {
	[ -n "$QPID" ] && kill "$QPID" 2>/dev/null && wait "$QPID" 2>/dev/null
	rm -rf "$WORK" "$SOCKDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# stale work dirs of this shape (we hold the shape lock, so nobody uses them)
for d in "$GUESTS"/.work-*-"$SHAPE"-*; do [ -e "$d" ] && rm -rf "$d"; done
mkdir -p "$WORK"
t_start=$(date +%s)

# 1. the module
log "building deadlock.ko for $KVER"
cp -r "$G/kmod" "$WORK/kmod"
make -C "$KBUILD" M="$WORK/kmod" $MAKEARGS modules >"$WORK/kmod.log" 2>&1 ||
	{ cat "$WORK/kmod.log" >&2; die "module build failed"; }
cp "$WORK/kmod/deadlock.ko" "$WORK/deadlock.ko"

# 2. the initramfs: static busybox, /init, two user programs, the modules
R=$WORK/root
mkdir -p "$R"/bin "$R"/lib "$R"/proc "$R"/sys "$R"/dev "$R"/tmp
cp /bin/busybox "$R/bin/busybox"
for a in $("$R/bin/busybox" --list); do
	[ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"
done
install -m 755 "$G/init" "$R/init"
install -m 755 "$G/rg_loop" "$G/rg_spin" "$R/bin/"
cp "$WORK/deadlock.ko" "$R/lib/"
fwcfg=$KROOT/lib/modules/$KVER/kernel/drivers/firmware/qemu_fw_cfg.ko
[ -e "$fwcfg" ] || fwcfg=$fwcfg.xz	# 6.12 ships its modules xz-compressed
case $fwcfg in
*.xz) xz -dc "$fwcfg" >"$R/lib/qemu_fw_cfg.ko" ;;
*) [ -e "$fwcfg" ] && cp "$fwcfg" "$R/lib/" ;;
esac
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -9 >"$WORK/initramfs.cpio.gz"
rm -rf "$R" "$WORK/kmod"

# 3. boot.  Only one of our QEMUs at a time (the machine is shared).
exec 8>"$CACHE/.qemu.lock"
flock 8
mon() { python3 "$G/guesttool.py" hmp "$SOCK" "$1"; }
log "booting: -M $MACHINE -smp $VCPUS -m ${MEM_MB}M (TCG)"
t_boot=$(date +%s)
qemu-system-x86_64 -accel tcg -M "$MACHINE" -cpu "$CPU" -m "${MEM_MB}M" -smp "$VCPUS" \
	-nographic -no-reboot -nic none -device vmcoreinfo \
	-kernel "$KERNEL" -initrd "$WORK/initramfs.cpio.gz" -append "$CMDLINE" \
	-qmp unix:"$SOCK",server=on,wait=off </dev/null >"$WORK/serial.log" 2>&1 8>&- 9>&- &
QPID=$!
deadline=$((t_boot + ${COREKIT_GUEST_TIMEOUT:-900}))
until grep -q -- "$READY" "$WORK/serial.log" 2>/dev/null; do
	# panic: /init prints GUEST-READY only when the Oops did not panic
	[ "$READY" = '^GUEST-READY' ] || ! grep -q '^GUEST-READY' "$WORK/serial.log" ||
		{ tail -n 30 "$WORK/serial.log" >&2; die "the guest did not panic"; }
	kill -0 "$QPID" 2>/dev/null || { tail -n 30 "$WORK/serial.log" >&2; QPID=; die "QEMU exited before GUEST-READY"; }
	[ "$(date +%s)" -lt "$deadline" ] || { tail -n 30 "$WORK/serial.log" >&2; die "no GUEST-READY after $((deadline - t_boot)) s"; }
	sleep 0.5
done
t_ready=$(date +%s)
log "GUEST-READY after $((t_ready - t_boot)) s"
sleep 1

# 4. stop at an instant with the wanted vCPU modes.  small/demo: every vCPU in
#    kernel mode (crash's .vmss reader gives up on a user-mode vCPU).  big: at
#    least one vCPU in user mode (the spinner).
ok=
for try in $(seq 1 20); do
	mon stop >/dev/null
	mon 'info registers -a' >"$WORK/regs.txt"
	if [ "$SPIN" = 1 ]; then
		python3 "$G/guesttool.py" modes "$WORK/regs.txt" >"$WORK/modes.txt" || true
		grep -q 'CPL=3' "$WORK/modes.txt" && { ok=1; break; }
	else
		python3 "$G/guesttool.py" modes "$WORK/regs.txt" >"$WORK/modes.txt" && { ok=1; break; }
	fi
	log "stop #$try: vCPU modes not as wanted ($(tr '\n' ' ' <"$WORK/modes.txt")), retrying"
	mon cont >/dev/null
	sleep "0.$((RANDOM % 9 + 1))"
done
[ -n "$ok" ] || die "could not stop the guest with the wanted vCPU modes"
log "stopped: $(tr '\n' ' ' <"$WORK/modes.txt")"
mon 'info mtree -f' >"$WORK/mtree.txt"
t_dump=$(date +%s)
mon "dump-guest-memory $WORK/qemu.elf" >"$WORK/dump.out"
[ -s "$WORK/qemu.elf" ] || { cat "$WORK/dump.out" >&2; die "dump-guest-memory wrote nothing"; }
python3 "$G/guesttool.py" layout "$WORK/qemu.elf" "$WORK/mtree.txt" >"$WORK/ram.layout"
while read -r pa len file; do
	# HMP reads an unquoted file name as part of an expression: quote it
	mon "pmemsave $pa $len \"$WORK/$file\"" >>"$WORK/dump.out"
	[ "$(stat -c %s "$WORK/$file" 2>/dev/null)" = $((len)) ] ||
		{ cat "$WORK/dump.out" >&2; die "pmemsave $pa $len gave a wrong size"; }
done <"$WORK/ram.layout"
mon quit >/dev/null 2>&1 || true
wait "$QPID" 2>/dev/null || true
QPID=
exec 8>&-
t_end_dump=$(date +%s)

# 5. check and finish: the raw files must equal the ELF's PT_LOADs (VM was stopped)
python3 "$G/guesttool.py" verify "$WORK/qemu.elf" "$WORK/ram.layout" >&2 ||
	die "ram-*.raw differ from qemu.elf"
chmod 644 "$WORK/qemu.elf"
for f in "$WORK"/ram-*.raw "$WORK/qemu.elf"; do fallocate --dig-holes "$f" 2>/dev/null || true; done
rm -f "$WORK/initramfs.cpio.gz" "$WORK/dump.out" "$WORK/kmod.log"
{
	echo "kver=$KVER"
	echo "shape=$SHAPE"
	echo "vcpus=$VCPUS"
	echo "mem_mb=$MEM_MB"
	echo "machine=$MACHINE"
	echo "cpu=$CPU"
	echo "writer_blocks=$WB"
	echo "user_spin=$SPIN"
	echo "kernel_args=$CMDLINE"
	echo "hash=$HASH"
	echo "kernel=$KERNEL"
	echo "vmlinux_debug=$VMLINUX_DEBUG"
	echo "qemu=$(qemu-system-x86_64 --version | head -n1)"
	echo "cpu_modes=$(tr '\n' ' ' <"$WORK/modes.txt" | sed 's/ $//')"
	echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "boot_seconds=$((t_ready - t_boot))"
	echo "dump_seconds=$((t_end_dump - t_dump))"
	echo "total_seconds=$(($(date +%s) - t_start))"
	[ -z "$SCEN" ] || echo "scenario=$SCEN"
	python3 "$G/guesttool.py" truth "$WORK/serial.log"
} >"$WORK/info.tmp"
mv "$WORK/info.tmp" "$WORK/info"
rm -f "$WORK/modes.txt"
mv "$WORK" "$DIR"
# only this kernel family's (6.1.0-* vs 6.12.*): both may be wanted at once
fam=$(echo "$KVER" | cut -d. -f1,2)
for d in "$GUESTS"/"$fam".*-"$SHAPE"-*; do
	[ -d "$d" ] && [ "$d" != "$DIR" ] && rm -rf "$d"
done
log "done in $(($(date +%s) - t_start)) s"
echo "$DIR"
