#!/bin/bash
# vmss2core [--vm NAME] BUNDLE on the small real guest's checkpoint put into
# vm-support-shaped bundles here (FRAG pieces made by split(1), archives by
# tar, gzip, zip): every guest-physical page of the core equals the RAM QEMU
# saved (cmp_phys.py, independent of corekit's readers), whatever the member
# order (.vmss pieces before or after the .vmem's), the archive (.tgz, .tar,
# .zip, a directory, a vCenter bundle with the host's .tgz inside, also
# FRAG-split), a .vmss.gz; the captured .vmem becomes the output (it fits on
# a filesystem with room for the output alone); FRAG gaps and duplicate
# indices are errors naming the file; --vm picks among VMs; interrupted runs
# (signals from outside at several delays, and at fixed points under gdb)
# leave nothing in the output directory or $TMPDIR; bundles are never changed.
. "$(dirname "$0")/lib/common.sh"
. "$LIB/bundle_tree.sh"
V=$BIN/vmss2core
small_guest_setup
export TMPDIR=$T/tmp
OUT=$T/out
mkdir -p "$TMPDIR" "$OUT" "$T/tree" "$MNT"
R=$(host_tree "$T/tree" h1 "$FX/vmem-bad1-gpregs.vmss" "$FX/vmem-bad1-gpregs.vmem")
VM1=$T/tree/$R/vmfs/volumes/5f00-uuid/vm1
rm -rf "$T/tree/$R/vmfs/volumes/5f00-uuid/novmx"	# one VM with a checkpoint: no --vm needed

# convert NAME BUNDLE [ARGS...]: vmss2core into $OUT/NAME.core; the pages equal QEMU's RAM; nothing else is left
convert() {
	local n=$1 b=$2 rc=0; shift 2
	"$V" -o "$OUT/$n.core" "$@" "$b" 2>"$T/$n.err" || rc=$?
	if [ $rc != 0 ]; then fail "$n" "exit $rc: $(head -3 "$T/$n.err")"; return 1; fi
	if ! python3 "$LIB/cmp_phys.py" "$OUT/$n.core" "$GDIR" >"$T/cmp" 2>&1; then fail "$n" "$(cat "$T/cmp")"; return 1; fi
	local left; left=$(ls -A "$OUT" "$TMPDIR" | grep -v -e "^$n.core$" -e '^$' -e ':$')
	if [ -n "$left" ]; then fail "$n" "left behind: $left"; return 1; fi
	ok "$n"
}
in_place() {  # in_place NAME: the run said it wrote over the captured .vmem
	grep -q 'written in place of the staged .vmem' "$T/$1.err" && ok "$1-in-place" || fail "$1-in-place" "$(cat "$T/$1.err")"
	rm -f "$OUT/$1.core"
}

(cd "$T/tree" && tar czf "$T/h1.tgz" "$R" && tar cf "$T/sorted.tar" --sort=name "$R" && zip -q -r -y "$T/h1.zip" "$R")
tar tf "$T/sorted.tar" | grep -n 'vm1.vm[es][ms]' | head -1 | grep -q 'vmem.FRAG-00000' && ok sorted-tar-has-vmem-first ||
	fail sorted-tar-has-vmem-first "$(tar tf "$T/sorted.tar" | grep -m3 vm1.vm)"
sha256sum "$T/h1.tgz" "$T/sorted.tar" "$T/h1.zip" >"$T/sums"
convert tgz "$T/h1.tgz" && in_place tgz
convert tar-vmem-pieces-first "$T/sorted.tar" && in_place tar-vmem-pieces-first
convert zip "$T/h1.zip" && in_place zip
# the checkpoint before the .vmem (an order a reader can stream): the .vmem's copy is placed where the
# writer puts RAM, so the core is byte for byte the one vmss2core writes from the files themselves
D1=$R/vmfs/volumes/5f00-uuid/vm1
(cd "$T/tree" && tar cf "$T/vmss-first.tar" "$R/commands" "$R/etc" "$R/vmfs/volumes/datastore1" "$D1/vm1.vmx" \
	"$D1"/vm1.vmss.FRAG-* "$D1"/vm1.vmem.FRAG-*)
"$V" -q -o "$T/files.core" "$FX/vmem-bad1-gpregs.vmss"
convert vmss-first "$T/vmss-first.tar" && cmp "$OUT/vmss-first.core" "$T/files.core" &&
	ok vmss-first-core-identical-to-the-files-core || fail vmss-first-core-identical-to-the-files-core "cmp differs"
in_place vmss-first
rm -f "$T/files.core"
convert directory-frag-pieces "$T/tree/$R" && in_place directory-frag-pieces
convert vm-option "$T/h1.tgz" --vm web01 && rm -f "$OUT/vm-option.core"

# a directory of whole files: read where they are, nothing staged
mkdir -p "$T/whole" && cp -al "$T/tree/$R" "$T/whole/"
W1=$T/whole/$R/vmfs/volumes/5f00-uuid/vm1
cat "$W1"/vm1.vmss.FRAG-* >"$W1/vm1.vmss" && cat "$W1"/vm1.vmem.FRAG-* >"$W1/vm1.vmem" && rm "$W1"/*.FRAG-*
convert directory-whole-files "$T/whole/$R" && ! grep -q 'in place' "$T/directory-whole-files.err" &&
	ok directory-whole-files-not-staged || fail directory-whole-files-not-staged "$(cat "$T/directory-whole-files.err")"
rm -f "$OUT"/*.core
# the output must never replace a file of a directory bundle
rc=0; "$V" -f -o "$W1/vm1.vmem" "$T/whole/$R" 2>"$T/err" || rc=$?
[ $rc = 1 ] && grep -q 'is a file of the bundle' "$T/err" && cmp -s "$W1/vm1.vmem" "$FX/vmem-bad1-gpregs.vmem" &&
	ok output-is-bundle-vmem-refused || fail output-is-bundle-vmem-refused "exit $rc: $(cat "$T/err")"

# .vmss.gz (as vm-support -Z packs it), itself in FRAG pieces
mkdir -p "$T/gz" && cp -al "$T/tree/$R" "$T/gz/"
G1=$T/gz/$R/vmfs/volumes/5f00-uuid/vm1
cat "$G1"/vm1.vmss.FRAG-* | gzip | (cd "$G1" && split -b 4000 -d -a 5 - vm1.vmss.gz.FRAG-) && rm "$G1"/vm1.vmss.FRAG-*
(cd "$T/gz" && tar czf "$T/gz.tgz" "$R")
convert vmss-gz-pieces "$T/gz.tgz" && in_place vmss-gz-pieces

# vCenter: the host's .tgz inside a tar, and FRAG-split inside a .tgz (pieces in readdir order)
mkdir -p "$T/vc/vc" "$T/vcf/vc"
cp "$T/h1.tgz" "$T/vc/vc/$R.tgz" && (cd "$T/vc" && tar cf "$T/vc.tar" vc)
(cd "$T/vcf/vc" && split -b 10485760 -d -a 5 "$T/h1.tgz" vc-support.tar.gz.FRAG-) && (cd "$T/vcf" && tar czf "$T/vcf.tgz" vc)
convert vcenter-nested "$T/vc.tar" && in_place vcenter-nested
convert vcenter-frag-pieces "$T/vcf.tgz" && in_place vcenter-frag-pieces
sha256sum -c --quiet "$T/sums" && ok bundles-unchanged || fail bundles-unchanged "a bundle changed"

# no extra disk: the in-place output fits where only the output itself does (pieces in order;
# out of order, the first piece seen may wait aside until a second one gives the pieces' size)
"$V" -q -o "$T/ref.core" "$FX/vmem-bad1-gpregs.vmss" && used=$(du -k "$T/ref.core" | cut -f1) && rm -f "$T/ref.core"
# room for the output's blocks, 5 MiB reserve (the stage keeps 5% free) and a few MiB of slack; not for a copy of the RAM too
mount -t tmpfs -o size=$(( (used + 9 * 1024) ))k tmpfs "$MNT"
rc=0; "$V" -q -o "$MNT/x.core" "$T/sorted.tar" 2>"$T/err" || rc=$?
[ $rc = 0 ] && python3 "$LIB/cmp_phys.py" "$MNT/x.core" "$GDIR" >/dev/null && [ "$(ls -A "$MNT")" = x.core ] &&
	ok "in-place-needs-no-disk-beyond-the-output (${used} KiB output, $((used + 9216)) KiB filesystem)" ||
	fail in-place-needs-no-disk-beyond-the-output "exit $rc: $(cat "$T/err") $(ls -A "$MNT")"
rm -f "$MNT/x.core"
# the route it replaces (a staged .vmem, then a copy) does not fit there
cat "$FX/vmem-bad1-gpregs.vmem" | cp --sparse=always /dev/stdin "$MNT/staged.vmem" 2>/dev/null
"$V" -q -o "$MNT/y.core" "$FX/vmem-bad1-gpregs.vmss" "$MNT/staged.vmem" 2>/dev/null && fail staged-route-does-not-fit "it fit" ||
	ok staged-route-does-not-fit
rm -f "$MNT"/* && umount "$MNT"

# FRAG gaps and duplicate indices: bad input naming the file, nothing left
mkdir -p "$T/gap" "$T/dup" && cp -al "$T/tree/$R" "$T/gap/" && cp -al "$T/tree/$R" "$T/dup/"
rm "$T/gap/$R/vmfs/volumes/5f00-uuid/vm1/vm1.vmem.FRAG-00003"
cp "$VM1/vm1.vmem.FRAG-00001" "$T/dup/$R/vmfs/volumes/5f00-uuid/vm1/vm1.vmem.FRAG-000001"
(cd "$T/gap" && tar czf "$T/gap.tgz" "$R") && (cd "$T/dup" && tar czf "$T/dup.tgz" "$R")
refused() {  # refused NAME BUNDLE PATTERN: exit 2, the error (the last line; the inventory's warnings before it) names the file
	local rc=0
	"$V" -o "$OUT/x.core" "$2" 2>"$T/err" || rc=$?
	[ $rc = 2 ] && tail -1 "$T/err" | grep -v 'warning:' | grep -qF -- "$3" && [ -z "$(ls -A "$OUT" "$TMPDIR" | grep -v ':$' | grep .)" ] &&
		ok "$1" || fail "$1" "exit $rc: $(cat "$T/err"); left: $(ls -A "$OUT" "$TMPDIR")"
}
refused frag-gap-named "$T/gap.tgz" "$T/gap.tgz: $R/vmfs/volumes/5f00-uuid/vm1/vm1.vmem: FRAG-00003 is missing"
refused frag-gap-directory-named "$T/gap/$R" "vmfs/volumes/5f00-uuid/vm1/vm1.vmem: FRAG-00003 is missing"
refused frag-duplicate-index-named "$T/dup.tgz" "vm1/vm1.vmem: FRAG index 00001 is stored twice ($R/vmfs/volumes/5f00-uuid/vm1/vm1.vmem.FRAG-00001 and $R/vmfs/volumes/5f00-uuid/vm1/vm1.vmem.FRAG-000001)"

# two VMs with checkpoints: --vm chooses; none given names both
mkdir -p "$T/two" && cp -al "$T/tree/$R" "$T/two/"
D2=$T/two/$R/vmfs/volumes/5f00-uuid
cp -al "$D2/vm1" "$D2/vm2" && rm "$D2/vm2/vm1.vmx" && printf 'displayName = "web02"\n' >"$D2/vm2/vm2.vmx"
for f in "$D2"/vm2/vm1.*; do mv "$f" "${f/\/vm1./\/vm2.}"; done
rc=0; "$V" -o "$OUT/x.core" "$T/two/$R" 2>"$T/err" || rc=$?
[ $rc = 1 ] && grep -qF "2 VMs have a checkpoint: web01 (vmfs/volumes/5f00-uuid/vm1), web02 (vmfs/volumes/5f00-uuid/vm2) (choose one with --vm NAME)" "$T/err" &&
	ok vm-ambiguous-names-both || fail vm-ambiguous-names-both "exit $rc: $(cat "$T/err")"
convert vm-choose-second "$T/two/$R" --vm web02 && rm -f "$OUT/vm-choose-second.core"

# interrupted: signals from outside at a few delays; whatever the moment, nothing but a complete core remains
for sig in INT TERM; do
	for d in 0.05 0.3 1; do
		rm -rf "${OUT:?}"/* "$OUT"/.[!.]*
		rc=0; timeout --preserve-status -s $sig $d "$V" -q -o "$OUT/i.core" "$T/h1.tgz" 2>"$T/err" || rc=$?
		left=$(ls -A "$OUT" "$TMPDIR" | grep -v ':$' | grep .)
		if [ $rc = 0 ]; then
			python3 "$LIB/cmp_phys.py" "$OUT/i.core" "$GDIR" >/dev/null && [ "$left" = i.core ] &&
				ok "sig$sig-after-${d}s-finished" || fail "sig$sig-after-${d}s" "left: $left"
		elif [ $rc = $((128 + $(kill -l $sig))) ] && [ -z "$left" ]; then
			ok "sig$sig-after-${d}s-leaves-nothing"
		else
			fail "sig$sig-after-${d}s" "exit $rc, left: $left: $(cat "$T/err")"
		fi
	done
done
# at fixed points under gdb: in the capture (before any output exists) and in the in-place write
interrupt() {  # interrupt NAME SIGNAL BREAK IGNORE
	local n=$1 sig=$2 brk=$3 ign=$4 num; num=$(kill -l "$sig")
	rm -rf "${OUT:?}"/* "$OUT"/.[!.]*
	ASAN_OPTIONS=detect_leaks=0 gdb -q -batch -nx -ex 'set pagination off' -ex 'set confirm off' \
		-ex "handle SIG$sig nostop noprint pass" -ex "break $brk" -ex "ignore 1 $ign" \
		-ex "run -q -o $OUT/g.core $T/h1.tgz 2>$T/sig.err" \
		-ex "call (int)kill((int)getpid(), $num)" -ex 'delete' -ex 'continue' "$V" >"$T/gdb.out" 2>&1
	local left; left=$(ls -A "$OUT" "$TMPDIR" | grep -v ':$' | grep .)
	if grep -qE "terminated with signal SIG$sig|exited with code 0*$(printf %o $((128 + num)))\]" "$T/gdb.out" && [ -z "$left" ]; then
		ok "$n"
	else
		fail "$n" "left: $left; $(grep -v '^\[' "$T/gdb.out" | tail -3 | tr '\n' ' ')"
	fi
}
interrupt sigint-while-capturing-vmss INT spool_piece_data 0
interrupt sigterm-while-capturing-vmem TERM spool_piece_data 100
interrupt sighup-in-place-write HUP outfile_poll 20
interrupt sigint-at-commit INT outfile_commit 0
finish
