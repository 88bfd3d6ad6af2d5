#!/bin/bash
# The inventory of vm-support bundles built here with the real tools (tar,
# gzip, xz, zip, split), checked against what was put in them (sizes and
# piece counts from stat/ls of the tree, names from the files written):
# `vmss2core --info BUNDLE` for the tree as a directory, .tar, .tgz,
# .tar.xz, .zip, a vCenter-style bundle holding two hosts' .tgz files, a zip
# holding a FRAG-split vc-support.tar.gz, and archives nested too deep.
# Then the VM choice: --vm NAME, none, several, and a broken checkpoint named.
# (Real guest RAM through bundles: bundle_convert.sh; hostile ones: bundle_hostile.sh.)
. "$(dirname "$0")/lib/common.sh"
. "$LIB/bundle_tree.sh"
V=$BIN/vmss2core
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR" "$T/tree"
for t in zip xz; do command -v $t >/dev/null || apt-get install -y -q $t >/dev/null 2>&1; done

# a stand-in checkpoint: the inventory never reads it (3 pieces of .vmss, 5 of .vmem)
head -c 25612 /dev/urandom >"$T/fake.vmss"
{ head -c 4096 /dev/urandom; head -c $((41 << 20)) /dev/zero; } >"$T/fake.vmem"
R=$(host_tree "$T/tree" h1 "$T/fake.vmss" "$T/fake.vmem")
SRC=$T/tree/$R/vmfs/volumes/5f00-uuid

# expect_host OUT ROOT HOST: every line the inventory must print for host_tree's tree whose root is ROOT ("" or ending in /)
expect_host() {
	local p=$2 h=$3.example.com
	local d=${p}vmfs/volumes/5f00-uuid
	cat >>"$1" <<EOF
host $h: root ${p:-.}, product VMware ESXi, version 7.0.3, build 21930508, release VMware ESXi 7.0 Update 3
vm web01: dir $d/vm1, vmx $d/vm1/vm1.vmx, guestOS debian12-64, host $h, vmInventory /vmfs/volumes/datastore1/vm1/vm1.vmx
vm db01: dir $d/db & cache, vmx $d/db & cache/db.vmx, guestOS -, host $h, vmInventory /vmfs/volumes/datastore1/db & cache/db.vmx
vm orphan01: dir $d/orphan, vmx $d/orphan/orphan.vmx, guestOS other-64, host $h, vmInventory -
vm novmx: dir $d/novmx, vmx -, guestOS -, host $h, vmInventory -
file $d/vm1/vm1.vmss: kind suspend, vm web01, host $h, $(bytes "$SRC"/vm1/vm1.vmss.FRAG-*) bytes, $(ls "$SRC"/vm1/vm1.vmss.FRAG-* | wc -l) pieces
file $d/vm1/vm1.vmem: kind vmem, vm web01, host $h, $(bytes "$SRC"/vm1/vm1.vmem.FRAG-*) bytes, $(ls "$SRC"/vm1/vm1.vmem.FRAG-* | wc -l) pieces
file $d/vm1/vm1.vmx: kind vmx, vm web01, host $h, $(bytes "$SRC/vm1/vm1.vmx") bytes, 1 piece
file $d/vm1/vmware.log: kind vm-log, vm web01, host $h, $(bytes "$SRC/vm1/vmware.log") bytes, 1 piece
file $d/vm1/vmware-1.log: kind vm-log, vm web01, host $h, $(bytes "$SRC/vm1/vmware-1.log") bytes, 1 piece
file $d/vm1/vmx-zdump.000: kind zdump, vm web01, host $h, 5000 bytes, 1 piece
file $d/vm1/vmmcores.gz: kind core, vm web01, host $h, $(bytes "$SRC/vm1/vmmcores.gz") bytes, 1 piece, gzip
file $d/novmx/novmx.vmss.gz: kind suspend, vm novmx, host $h, $(bytes "$SRC/novmx/novmx.vmss.gz") bytes, 1 piece, gzip
file ${p}var/run/log/vmkernel.log: kind host-log, vm -, host $h, $(bytes "$T/tree/$R/var/run/log/vmkernel.log") bytes, 1 piece
file ${p}var/run/log/hostd.log: kind host-log, vm -, host $h, $(bytes "$T/tree/$R/var/run/log/hostd.log") bytes, 1 piece
file ${p}var/run/log/vobd.log: kind host-log, vm -, host $h, $(bytes "$T/tree/$R/var/run/log/vobd.log") bytes, 1 piece
file ${p}var/run/log/vmkernel.0.gz: kind host-log, vm -, host $h, $(bytes "$T/tree/$R/var/run/log/vmkernel.0.gz") bytes, 1 piece, gzip
file ${p}var/core/vmkernel-zdump.1: kind zdump, vm -, host $h, 4096 bytes, 1 piece
file ${p}var/core/hostd-zdump.000: kind zdump, vm -, host $h, 4096 bytes, 1 piece
EOF
}

# check NAME BUNDLE EXPECTED SUMMARY: --info exits 0 without warnings and prints every expected line
check_inventory() {
	local n=$1 b=$2 want=$3 summary=$4 rc=0
	"$V" --info "$b" >"$T/out" 2>"$T/err" || rc=$?
	if [ $rc != 0 ] || [ -s "$T/err" ]; then fail "$n" "exit $rc: $(head -3 "$T/err")"; return; fi
	local missing; missing=$(grep -vxF -f "$T/out" "$want")
	if [ -n "$missing" ]; then fail "$n" "missing: $(echo "$missing" | head -3)"; return; fi
	grep -q "^bundle .*: $summary, 0 warnings$" "$T/out" && ok "$n" || fail "$n" "summary: $(head -1 "$T/out")"
}

: >"$T/want.top"
expect_host "$T/want.top" "$R/" h1
: >"$T/want.root"
expect_host "$T/want.root" "" h1
(cd "$T/tree" && tar cf "$T/h1.tar" "$R" && tar czf "$T/h1.tgz" "$R" && XZ_OPT=-0 tar cJf "$T/h1.tar.xz" "$R" &&
	zip -q -r -y "$T/h1.zip" "$R") || fail build "cannot build the bundles"
check_inventory inventory-directory "$T/tree/$R" "$T/want.root" "directory, 1 host, 4 VMs, 19 files"
for f in h1.tar h1.tgz h1.tar.xz h1.zip; do
	check_inventory "inventory-${f#h1.}" "$T/$f" "$T/want.top" "archive, 1 host, 4 VMs, 19 files"
done
# the directory given by its parent, and through a symbolic link to it
check_inventory inventory-parent-directory "$T/tree" "$T/want.top" "directory, 1 host, 4 VMs, 19 files"

# a vCenter bundle: two hosts' .tgz inside a tar (read through as nested streams)
mkdir -p "$T/vc/vc" "$T/t2" "$T/t3"
R2=$(host_tree "$T/t2" h2 "$T/fake.vmss" "$T/fake.vmem")
R3=$(host_tree "$T/t3" h3 "$T/fake.vmss" "$T/fake.vmem")
(cd "$T/t2" && tar czf "$T/vc/vc/$R2.tgz" "$R2") && (cd "$T/t3" && tar czf "$T/vc/vc/$R3.tgz" "$R3")
(cd "$T/vc" && tar cf "$T/vc.tar" vc)
: >"$T/want.vc"
expect_host "$T/want.vc" "vc/$R2.tgz/$R2/" h2
expect_host "$T/want.vc" "vc/$R3.tgz/$R3/" h3
echo "file vc/$R2.tgz: kind archive, vm -, host -, $(bytes "$T/vc/vc/$R2.tgz") bytes, 1 piece" >>"$T/want.vc"
check_inventory inventory-vcenter-nested "$T/vc.tar" "$T/want.vc" "archive, 2 hosts, 8 VMs, 40 files"

# a zip holding vc-support.tar.gz in 20000-byte FRAG pieces (zip keeps readdir order: any order)
mkdir -p "$T/vz/vc-bundle"
(cd "$T/vz/vc-bundle" && split -b 20000 -d -a 5 "$T/h1.tgz" vc-support.tar.gz.FRAG-)
(cd "$T/vz" && zip -q -r "$T/vcfrag.zip" vc-bundle)
: >"$T/want.vz"
expect_host "$T/want.vz" "vc-bundle/vc-support.tar.gz/$R/" h1
echo "file vc-bundle/vc-support.tar.gz: kind archive, vm -, host -, $(bytes "$T/h1.tgz") bytes, $(ls "$T/vz/vc-bundle" | wc -l) pieces" >>"$T/want.vz"
check_inventory inventory-vcenter-frag-pieces-zip "$T/vcfrag.zip" "$T/want.vz" "archive, 1 host, 4 VMs, 20 files"
# the same pieces in name order inside a tar: read straight through, nothing staged
(cd "$T/vz" && tar cf "$T/vcfrag.tar" --sort=name vc-bundle)
check_inventory inventory-vcenter-frag-pieces-in-order "$T/vcfrag.tar" "$T/want.vz" "archive, 1 host, 4 VMs, 20 files"

# nesting: three archives deep is read; a fourth is a warning naming it
mkdir -p "$T/deep" && cp "$T/vc.tar" "$T/deep/" && (cd "$T/deep" && tar cf "$T/deep3.tar" vc.tar)
"$V" --info "$T/deep3.tar" >"$T/out" 2>"$T/err" && grep -q "^host h2.example.com: root vc.tar/vc/$R2.tgz/" "$T/out" &&
	[ ! -s "$T/err" ] && ok nesting-three-deep || fail nesting-three-deep "$(head -2 "$T/err") $(head -2 "$T/out")"
mkdir -p "$T/deeper" && cp "$T/deep3.tar" "$T/deeper/" && (cd "$T/deeper" && tar cf "$T/deep4.tar" deep3.tar)
"$V" --info "$T/deep4.tar" >"$T/out" 2>"$T/err"
grep -q "warning: .*deep4.tar: member deep3.tar/vc.tar/vc/$R2.tgz: an archive nested more than 3 deep; not read" "$T/err" &&
	grep -q "0 hosts" "$T/out" && ok nesting-four-deep-warned || fail nesting-four-deep-warned "$(cat "$T/err")"

# an empty directory is an empty bundle
mkdir -p "$T/empty"
rc=0; "$V" --info "$T/empty" >"$T/out" 2>"$T/err" || rc=$?
[ $rc = 0 ] && [ ! -s "$T/err" ] && grep -q "^bundle $T/empty: directory, 0 hosts, 0 VMs, 0 files, 0 warnings$" "$T/out" &&
	ok inventory-empty-directory || fail inventory-empty-directory "exit $rc: $(cat "$T/err" "$T/out")"

# choosing the VM
expect_fail() {  # expect_fail NAME STATUS PATTERN CMD...
	local n=$1 want=$2 pat=$3 rc=0; shift 3
	"$@" >/dev/null 2>"$T/err" || rc=$?
	[ $rc = "$want" ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -qF -- "$pat" "$T/err" && ok "$n" ||
		fail "$n" "exit $rc (want $want): $(cat "$T/err")"
}
d=$R/vmfs/volumes/5f00-uuid
expect_fail vm-several-with-checkpoints 1 "2 VMs have a checkpoint: web01 ($d/vm1), novmx ($d/novmx) (choose one with --vm NAME)" \
	"$V" -o "$T/x.core" "$T/h1.tgz"
expect_fail vm-no-such-name 1 "no VM named 'nosuch' (VMs: web01 ($d/vm1), db01 ($d/db & cache), orphan01 ($d/orphan), novmx ($d/novmx))" \
	"$V" --vm nosuch -o "$T/x.core" "$T/h1.tgz"
expect_fail vm-same-name-twice 1 "2 VMs are named 'web01': web01 (vc/$R2.tgz/$R2/vmfs/volumes/5f00-uuid/vm1), web01 (vc/$R3.tgz/$R3/vmfs/volumes/5f00-uuid/vm1)" \
	"$V" --vm web01 -o "$T/x.core" "$T/vc.tar"
expect_fail vm-without-checkpoint 1 "VM db01 ($d/db & cache) has no checkpoint" "$V" --vm db01 -o "$T/x.core" "$T/h1.tgz"
# a broken checkpoint is bad input naming the member (random bytes: no checkpoint magic)
expect_fail vm-checkpoint-unreadable-named 2 "$T/h1.tgz: $d/vm1/vm1.vmss" "$V" --vm web01 -o "$T/x.core" "$T/h1.tgz"
expect_fail vm-option-needs-bundle 1 "--vm goes with a BUNDLE" "$V" --vm web01 -o "$T/x.core" "$T/fake.vmss"
expect_fail bundle-takes-no-vmem 1 "is a bundle: it takes no FILE.vmem" "$V" -o "$T/x.core" "$T/h1.tgz" "$T/fake.vmem"
[ ! -e "$T/x.core" ] && [ -z "$(ls -A "$T/tmp")" ] && [ -z "$(ls -A "$T" | grep '^\.')" ] && ok failures-leave-nothing ||
	fail failures-leave-nothing "$(ls -A "$T" "$T/tmp")"
finish
