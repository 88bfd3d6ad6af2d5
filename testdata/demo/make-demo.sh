#!/bin/bash
# testdata/demo/make-demo.sh - (re)make the committed demo checkpoint:
#   demo.vmss.xz  embedded-RAM 0xbed2bed2 .vmss of the 'demo' guest, xz -9
#   serial.log    excerpt of the guest console (boot banner, deadlock.ko lines,
#                 the kernel's hung-task reports, GUEST-READY)
#   README        what the guest is and what is deadlocked (generated)
# If crash is installed, crash on demo.vmss must agree with crash on the
# guest's qemu.elf (same tasks and stacks) or nothing is replaced.
# Every run boots a new guest (if the cache is stale): KASLR and addresses change.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TD=$(cd "$HERE/.." && pwd)
GDIR=$("$TD/guest.sh" demo)
TMP=$(mktemp -d /tmp/ck-demo.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
python3 "$TD/mkvmss.py" --guest "$GDIR" --out "$TMP/demo.vmss" --magic 0xbed2bed2 --embed \
	--regs scalar --name corekit-demo

crash_ok=
if command -v crash >/dev/null; then
	VMLINUX=$("$TD/crashfix-vmlinux.sh")
	for d in "$GDIR/qemu.elf" "$TMP/demo.vmss"; do
		printf 'sys\nbt -a\nforeach UN bt\nq\n' | crash -s "$VMLINUX" "$d" >"$TMP/$(basename "$d").crash" 2>&1 || true
		sed -e 's/\t/ /g' -e 's/  */ /g' -e 's/^ //' "$TMP/$(basename "$d").crash" |
			grep -E '^(CPUS|TASKS|RELEASE|PANIC):|^PID:|^#[0-9]+ \[|^\[exception RIP' \
				>"$TMP/$(basename "$d").norm" || true
	done
	if ! grep -q '^TASKS:' "$TMP/demo.vmss.norm" || ! cmp -s "$TMP/qemu.elf.norm" "$TMP/demo.vmss.norm"; then
		diff "$TMP/qemu.elf.norm" "$TMP/demo.vmss.norm" >&2 || true
		echo "make-demo: crash sees something else in demo.vmss than in qemu.elf" >&2
		exit 1
	fi
	printf 'foreach UN bt\nq\n' | crash -s "$VMLINUX" "$TMP/demo.vmss" >"$TMP/un.crash" 2>&1 || true
	crash_ok=1
fi

sha=$(sha256sum "$TMP/demo.vmss" | cut -d' ' -f1)
size=$(stat -c %s "$TMP/demo.vmss")
xz -9 -T1 "$TMP/demo.vmss"
xzsize=$(stat -c %s "$TMP/demo.vmss.xz")

# serial.log excerpt: no terminal escapes; banner, our lines, hung-task reports
sed -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1bc//g' -e 's/\r$//' "$GDIR/serial.log" |
	awk '/Linux version|Command line:|deadlock:|^ck:|^GUEST-READY/ { print; next }
	     /INFO: task .* blocked for more than/ { inrep = 1 }
	     inrep { print; if (/<\/TASK>/) inrep = 0 }' >"$TMP/serial.log"

. <(grep -E '^(kver|mem_mb|vcpus|machine|writer_blocks|kernel_args|qemu)=' "$GDIR/info" | sed 's/=\(.*\)/="\1"/')
{
	cat <<EOF
demo.vmss.xz - a real VMware-format checkpoint for trying vmss2core
====================================================================

What it is: testdata/mkvmss.py wrapped the RAM and vCPU registers of a real
QEMU guest into a VMware suspend file (.vmss, magic 0xbed2bed2, RAM embedded in
memory/Memory[0][0], scalar cpu tags).  Regenerate with testdata/demo/make-demo.sh.

  uncompressed   demo.vmss, $size bytes, sha256 $sha
  compressed     demo.vmss.xz, $xzsize bytes (xz -9)
  use            xz -dk demo.vmss.xz   (keeps the .xz)

The guest
  kernel         Linux $(grep -o 'Linux version [^ ]*' "$TMP/serial.log" | head -n1 | cut -d' ' -f3), Debian package version $(sed -n 's/.* Debian \([0-9][^ ]*\) ([0-9-]*).*/\1/p' "$TMP/serial.log" | head -n1),
                 /boot/vmlinuz-$kver,
                 KASLR on; debug symbols: /usr/lib/debug/boot/vmlinux-$kver
                 (package linux-image-$kver-dbg)
  machine        qemu-system-x86_64 -accel tcg -M $machine -smp $vcpus -m ${mem_mb}M ($qemu)
  command line   $kernel_args
  userland       busybox initramfs; /init loads deadlock.ko (testdata/guest/kmod,
                 writer_blocks=$writer_blocks), starts 'sleep 1000' and rg_loop
                 (a sleeping shell loop), waits for the hung-task reports, prints
                 GUEST-READY; the VM was then stopped with the vCPU idle in kernel mode.
  memory         RAM regions (PA, length): $(awk '{printf "%s+%s ", $1, $2}' "$GDIR/ram.layout")
                 (0xa0000-0xc0000 is the VGA window, not RAM)

What is deadlocked (from the module's own pr_info lines):
$(grep 'deadlock: ' "$TMP/serial.log" | grep -v taint | sed 's/^/  /')

  dl_ab     holds lock_a, waits for lock_b  } ABBA deadlock, both D
  dl_ba     holds lock_b, waits for lock_a  }
  dl_writer holds dl_rwsem for write, sleeps interruptibly (S)
  dl_reader waits in down_read(dl_rwsem) (D), blocked by dl_writer

The kernel's hung-task detector (hung_task_timeout_secs=5) said, on the serial console:
$(grep -E 'INFO: task|^\[ *[0-9.]+\] task:' "$TMP/serial.log" | sed 's/^/  /')

The full reports with call traces are in serial.log next to this file.
EOF
	if [ -n "$crash_ok" ]; then
		echo
		echo "crash 8.0.2 (with the struct-pid fix, testdata/crashfix-vmlinux.sh) gives the"
		echo "same output on demo.vmss as on QEMU's ELF dump of the same instant.  Its"
		echo "'foreach UN bt' on demo.vmss:"
		echo
		grep -v '^$' "$TMP/un.crash" | sed 's/^/  /' || true
		echo
		grep -E '^ +(TASKS|RELEASE):' "$TMP/demo.vmss.crash" | sed 's/^ */  /' || true
	fi
} >"$TMP/README"

for f in demo.vmss.xz serial.log README; do
	cp "$TMP/$f" "$HERE/.$f.tmp"
	mv "$HERE/.$f.tmp" "$HERE/$f"
done
echo "make-demo: demo.vmss.xz $xzsize bytes ($size uncompressed)" >&2
