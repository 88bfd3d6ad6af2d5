#!/bin/bash
# testdata/fixtures.sh SHAPE - make (if not cached) the standard VMware
# checkpoint fixture set for a guest made by testdata/guest.sh SHAPE, and print
# its directory (GUESTDIR/fixtures).  The set is listed in GUESTDIR/fixtures/README.
# Built in a work dir and renamed into place; rebuilt when mkvmss.py or this
# script change (stamp file .stamp).  Progress goes to stderr.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SHAPE=${1:-}
[ -n "$SHAPE" ] || { echo "usage: $0 small|big|demo" >&2; exit 1; }
GDIR=$("$HERE/guest.sh" "$SHAPE")
OUT=$GDIR/fixtures
STAMP=$(cat "$HERE/fixtures.sh" "$HERE/mkvmss.py" | sha256sum | cut -c1-16)
exec 9>"$GDIR/.lock-fixtures"
flock 9
if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP" ]; then
	echo "$OUT"
	exit 0
fi
WORK=$GDIR/.fixtures.work.$$
trap 'rm -rf "$WORK"' EXIT
rm -rf "$GDIR"/.fixtures.work.*
mkdir -p "$WORK"
t0=$(date +%s)
mk() { python3 "$HERE/mkvmss.py" --guest "$GDIR" "$@"; }

# name                                  options
mk --out "$WORK/embed-bed2-scalar.vmss" --magic 0xbed2bed2 --embed --regs scalar
mk --out "$WORK/vmem-bad1-gpregs.vmss" --magic 0xbad1bad1 --vmem --regs gpregs
mk --out "$WORK/vmem-bed2-both.vmsn" --magic 0xbed2bed2 --vmem --regs both
mk --out "$WORK/embed-bed3-scalar.vmss" --magic 0xbed3bed3 --embed
mk --out "$WORK/embed-bad2-scalar.vmss" --magic 0xbad2bad2 --embed
mk --out "$WORK/embed-v0-bed2bed0.vmss" --magic 0xbed2bed0 --embed
mk --out "$WORK/embed-bed2-padlen16.vmss" --padlen 16 --embed
mk --out "$WORK/embed-bed2-split6.vmss" --split-regions 6 --embed
mk --out "$WORK/embed-bed2-split6-reversed.vmss" --split-regions 6 --reverse-blob --embed
mk --out "$WORK/embed-bed2-cr32.vmss" --cr32 --embed
mk --out "$WORK/embed-bed2-compressed.vmss" --compressed
# bad or unsupported input
mk --out "$WORK/bad-embed-bed0-old32.vmss" --magic 0xbed0bed0 --embed
mk --out "$WORK/bad-embed-bed2-no-rsp.vmss" --no-cpu-tag rsp --embed
mk --out "$WORK/bad-embed-bed2-no-numvcpus.vmss" --no-cpu-tag cpu:numVCPUs --embed
mk --out "$WORK/bad-magic-deadbeef.vmss" --magic 0xdeadbeef --embed
for v in 1 3 4 5 6 7; do
	mk --guest-dump $v --out "$WORK/guest-v$v"
done

{
	cat <<EOF
VMware checkpoint fixtures made by testdata/mkvmss.py from the real guest in
$GDIR (shape $SHAPE; see ../info and ../serial.log).
RAM regions: $(tr '\n' ';' <"$GDIR/ram.layout")
All RAM and registers are the guest's real ones (ram-*.raw, regs.txt).

file                                   what it is
embed-bed2-scalar.vmss                 0xbed2bed2, RAM embedded in memory/Memory[0][0], scalar registers
                                       (rax..r15, rip, eflags, CR64[cpu][n], IDTR[cpu][0..2], GDTR, S, S.base64, EFER)
vmem-bad1-gpregs.vmss + .vmem          0xbad1bad1 ("restored"), RAM in the .vmem, registers as blocks
                                       gpregs[cpu] (x86 encoding order), CR64[cpu] (72 B), IDTR[cpu] (10 B) + scalar rip/eflags
vmem-bed2-both.vmsn + .vmem            snapshot (.vmsn) naming, block AND scalar register forms (same values)
embed-bed3-scalar.vmss                 0xbed3bed3 ("partial") magic
embed-bad2-scalar.vmss                 0xbad2bad2 ("no-restore") magic
embed-v0-bed2bed0.vmss                 version-0 magic 0xbed2bed0: block sizes are u32 (diskSize, memSize)
embed-bed2-padlen16.vmss               every block has padLen >= 16; the Memory data starts page-aligned
embed-bed2-split6.vmss                 RAM split into >= 6 regions (regionPPN/PageNum/Size), blob in PA order
embed-bed2-split6-reversed.vmss        same regions, blob stored in reverse order (PageNum decreases)
embed-bed2-cr32.vmss                   control registers only as 32-bit CR[cpu][n] (4 B, low 32 bits).
                                       In the big shape CR3 lies above 4 GiB, so CR3 is truncated there
                                       (a reader that walks page tables from it must fail or say so)
embed-bed2-compressed.vmss             Memory is a compressed block (size code 62; zlib here): must be refused
bad-embed-bed0-old32.vmss              0xbed0bed0: crash's "old/32-bit" magic (crash refuses it)
bad-embed-bed2-no-rsp.vmss             cpu tag rsp missing on every vCPU (incomplete registers)
bad-embed-bed2-no-numvcpus.vmss        cpu:numVCPUs missing
bad-magic-deadbeef.vmss                unknown magic 0xdeadbeef
guest-vN/debug.guest + debug.vmem      ESXi guest dump version N (1,3,4,5,6,7); debug.vmem = RAM with the
                                       holes removed (crash needs the exact names debug.guest/debug.vmem)

Layout notes: groups Checkpoint, cpu, memory, Snapshot.  Checkpoint has
fileversion, ProductName (0x100-byte block "corekit mkvmss"), VersionNumber,
Platform=1, memSize (MiB).  Snapshot/cfgFile is a .vmx text with displayName
"corekit-$SHAPE" and guestOS "debian12-64".  cpu has cpu:numVCPUs first, then
per vCPU the register tags and halted[cpu] (1 B).  memory has align_mask,
regionsCount, regionPPN/regionPageNum/regionSize[i] (the blob is the regions
back to back, holes removed) and, when embedded, Memory[0][0].  Small files are
padded with zeros to 12+numGroups*6400 bytes because crash 8.x reads that much
group table.  Files are sparse (zero pages skipped).
EOF
} >"$WORK/README"
echo "$STAMP" >"$WORK/.stamp"
rm -rf "$OUT"
mv "$WORK" "$OUT"
echo "fixtures.sh[$SHAPE]: done in $(($(date +%s) - t0)) s" >&2
echo "$OUT"
