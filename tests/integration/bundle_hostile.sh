#!/bin/bash
# Hostile bundles: `..` and absolute member names, symbolic and hard links
# pointing out, device nodes and FIFOs, duplicate names, a name holding a
# newline and an escape sequence, a member whose data runs beyond its
# declared size, a truncated archive, the same in a zip and in a directory
# (links to /etc, a FIFO, a device node), and data beyond the free space of
# the output's filesystem.  Each is a warning (or for the data that does not
# fit, an error) naming the member, the rest is analysed (the good VM is
# listed, and converted with every hostile member present: its pages equal
# QEMU's RAM), and the filesystem is untouched: listings of /, the victim
# directory the names aim at, the output directory, $TMPDIR and the working
# directory are the same before and after.
. "$(dirname "$0")/lib/common.sh"
. "$LIB/bundle_tree.sh"
V=$BIN/vmss2core
small_guest_setup
command -v zip >/dev/null || apt-get install -y -q zip >/dev/null 2>&1
export TMPDIR=$T/tmp
OUT=$T/out VICTIM=$T/victim WORK=$T/work
mkdir -p "$TMPDIR" "$OUT" "$VICTIM" "$WORK" "$T/tree" "$T/fake" "$MNT"
cd "$WORK" || exit 1
# the good part: a host tree whose VM has the real guest's checkpoint
R=$(host_tree "$T/tree" h1 "$FX/vmem-bad1-gpregs.vmss" "$FX/vmem-bad1-gpregs.vmem")
rm -rf "$T/tree/$R/vmfs/volumes/5f00-uuid/novmx"
# and a small one for the listing-only cases
head -c 25612 /dev/urandom >"$T/fake.vmss"
head -c 100000 /dev/urandom >"$T/fake.vmem"
RF=$(host_tree "$T/fake" h1 "$T/fake.vmss" "$T/fake.vmem")

snap() {  # snap FILE: what must not change
	{ find / -maxdepth 1 -printf '%p %i %y\n'; find "$VICTIM" "$OUT" "$TMPDIR" "$WORK" -printf '%p %s %y\n'
	  ls -l /etc/passwd /etc/shadow; } 2>/dev/null | sort >"$1"
}
untouched() {  # untouched NAME
	snap "$T/after"
	if cmp -s "$T/before" "$T/after"; then ok "$1-filesystem-untouched"
	else fail "$1-filesystem-untouched" "$(diff "$T/before" "$T/after" | head -5 | tr '\n' ' ')"; fi
}
# listing NAME BUNDLE PATTERN...: --info exits 0, lists the good VM, and warns once per pattern
listing() {
	local n=$1 b=$2 rc=0; shift 2
	snap "$T/before"
	timeout 120 "$V" --info "$b" >"$T/out.txt" 2>"$T/err" || rc=$?
	local bad=
	[ $rc = 0 ] || bad="exit $rc"
	grep -q '^vm web01: ' "$T/out.txt" || bad="$bad; web01 not listed"
	for p in "$@"; do
		grep -qF -- "$p" "$T/err" || bad="$bad; no warning '$p'"
	done
	[ "$(grep -c '^vmss2core: warning: ' "$T/err")" = "$(wc -l <"$T/err")" ] || bad="$bad; a warning is not one line"
	[ -z "$bad" ] && ok "$n" || fail "$n" "$bad: $(head -5 "$T/err")"
	untouched "$n"
}
hostile() {  # hostile OUT TREE ROOT CASE...
	python3 "$LIB/hostile_tar.py" "$1" "$2" "$3" "$VICTIM" "${@:4}" || fail "build-$1" "hostile_tar.py failed"
}

hostile "$T/dotdot.tar" "$T/fake" "$RF" dotdot
listing dotdot-name "$T/dotdot.tar" "member ../../../../../..$VICTIM/dotdot: a \`..\` component; skipped"
hostile "$T/abs.tar" "$T/fake" "$RF" absolute
listing absolute-name "$T/abs.tar" "member $VICTIM/absolute: an absolute name; skipped"
hostile "$T/sym.tar" "$T/fake" "$RF" symlinks
listing symlinks-out "$T/sym.tar" "member $RF/evil-abs: a symbolic link to /etc/passwd, which is not in the bundle; not followed" \
	"member $RF/evil-rel: a symbolic link to ../../../../../../etc/shadow, out of the bundle; not followed" \
	"member $RF/vmfs/volumes/gone: a symbolic link to /vmfs/volumes/nowhere, which is not in the bundle; not followed"
grep -q "^file $RF/evil-rel/through: kind other" "$T/out.txt" && ok symlink-not-followed-by-name ||
	fail symlink-not-followed-by-name "$(grep evil "$T/out.txt")"
hostile "$T/hard.tar" "$T/fake" "$RF" hardlinks
listing hardlinks-out "$T/hard.tar" "member $RF/hl-rel: a hard link to a name out of the bundle, not a file of the bundle before it; skipped" \
	"member $RF/hl-abs: a hard link to a name out of the bundle, not a file of the bundle before it; skipped"
hostile "$T/dev.tar" "$T/fake" "$RF" devices
listing devices "$T/dev.tar" "member $RF/dev-null: a character device; skipped" "member $RF/dev-sda: a block device; skipped" \
	"member $RF/fifo: a FIFO; skipped"
hostile "$T/dup.tar" "$T/fake" "$RF" duplicate
listing duplicate-name "$T/dup.tar" "member $RF/vmfs/volumes/5f00-uuid/vm1/vm1.vmx: a duplicate name; the first one is used"
hostile "$T/nl.tar" "$T/fake" "$RF" newline
listing newline-name "$T/nl.tar"
grep -qF "file $RF/evil\\x0aname\\x1b[31m: kind other" "$T/out.txt" && ok newline-name-escaped ||
	fail newline-name-escaped "$(grep evil "$T/out.txt")"
hostile "$T/over.tar" "$T/fake" "$RF" overlong
listing data-beyond-declared-size "$T/over.tar" "damaged archive data after member $RF/over.txt skipped (its data runs beyond its declared size?)"
grep -q "^file $RF/after.txt: kind other, vm -, host h1.example.com, 6 bytes" "$T/out.txt" && ok data-beyond-declared-size-rest-read ||
	fail data-beyond-declared-size-rest-read "$(grep -E 'over|after' "$T/out.txt")"
# truncated: cut inside the .vmem pieces (the tree's files come in readdir order: what precedes is listed)
(cd "$T/fake" && tar czf "$T/whole.tgz" "$RF")
head -c $(( $(stat -c %s "$T/whole.tgz") * 2 / 3 )) "$T/whole.tgz" >"$T/cut.tgz"
snap "$T/before"
rc=0; "$V" --info "$T/cut.tgz" >"$T/out.txt" 2>"$T/err" || rc=$?
[ $rc = 0 ] && grep -q "warning: $T/cut.tgz: damaged archive after member $RF/" "$T/err" && [ "$(wc -l <"$T/err")" -ge 1 ] &&
	ok truncated-archive-warned || fail truncated-archive-warned "exit $rc: $(cat "$T/err")"
untouched truncated-archive

# a zip with a `..` name and an absolute one (zip(1) refuses to write them: Python's zipfile does)
python3 - "$T/evil.zip" "$T/fake" "$RF" "$VICTIM" <<'EOF'
import os, sys, zipfile
out, tree, root, victim = sys.argv[1:5]
with zipfile.ZipFile(out, "w") as z:
    z.writestr("../../../../../.." + victim + "/zip-dotdot", "x\n")
    z.writestr(victim + "/zip-absolute", "x\n")
    for d, _, files in os.walk(os.path.join(tree, root)):
        for f in files:
            p = os.path.join(d, f)
            if not os.path.islink(p):
                z.write(p, os.path.relpath(p, tree))
EOF
listing zip-dotdot-and-absolute "$T/evil.zip" "member ../../../../../..$VICTIM/zip-dotdot: a \`..\` component; skipped" \
	"member $VICTIM/zip-absolute: an absolute name; skipped"

# a directory: links out are never followed, a FIFO does not block the walk, a device node is skipped
mkdir -p "$T/dir" && cp -a "$T/fake/$RF" "$T/dir/"
DD=$T/dir/$RF
ln -s /etc "$DD/etc-link"
ln -s /etc/passwd "$DD/vmfs/volumes/5f00-uuid/vm1/vmware-9.log"
mkfifo "$DD/var/run/log/fifo.log"
mknod "$DD/var/run/log/null.log" c 1 3
# (a directory's members are named by their real paths)
listing directory-hostile "$T/dir" "member $DD/var/run/log/fifo.log: a FIFO; skipped" \
	"member $DD/var/run/log/null.log: a character device; skipped" \
	"member $DD/etc-link: a symbolic link to /etc, which is not in the bundle; not followed" \
	"member $DD/vmfs/volumes/5f00-uuid/vm1/vmware-9.log: a symbolic link to /etc/passwd, which is not in the bundle; not followed"
! grep -qE 'etc-link/|passwd|vmware-9.log' "$T/out.txt" && ok directory-links-not-listed-as-files ||
	fail directory-links-not-listed-as-files "$(grep -E 'etc-link|passwd|vmware-9' "$T/out.txt")"

# everything at once beside the real guest's checkpoint: warnings, and the VM still converts
hostile "$T/all.tar" "$T/tree" "$R" dotdot absolute symlinks hardlinks devices duplicate newline
snap "$T/before.all"
rc=0; "$V" -q -o "$OUT/all.core" "$T/all.tar" 2>"$T/err" || rc=$?
[ $rc = 0 ] && [ "$(grep -c 'warning:' "$T/err")" -ge 11 ] && python3 "$LIB/cmp_phys.py" "$OUT/all.core" "$GDIR" >"$T/cmp" &&
	ok all-hostile-members-and-the-vm-converts || fail all-hostile-members-and-the-vm-converts "exit $rc: $(head -3 "$T/err") $(cat "$T/cmp" 2>/dev/null)"
rm -f "$OUT/all.core"
snap "$T/after"
cmp -s "$T/before.all" "$T/after" && ok all-hostile-filesystem-untouched ||
	fail all-hostile-filesystem-untouched "$(diff "$T/before.all" "$T/after" | head -5 | tr '\n' ' ')"

# data beyond the free space: the output's filesystem (40 MiB) cannot hold the guest's RAM
(cd "$T/tree" && tar cf "$T/h1.tar" --sort=name "$R")
mount -t tmpfs -o size=40m tmpfs "$MNT"
rc=0; "$V" -o "$MNT/x.core" "$T/h1.tar" 2>"$T/err" || rc=$?
[ $rc = 3 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q "$T/h1.tar: member $R/vmfs/volumes/5f00-uuid/vm1/vm1.vmem.FRAG-[0-9]*: no space left to stage it in $MNT" "$T/err" &&
	[ -z "$(ls -A "$MNT")" ] && [ "$(df -k --output=used "$MNT" | tail -1)" -lt 1024 ] && ok no-space-named-and-nothing-left ||
	fail no-space-named-and-nothing-left "exit $rc: $(cat "$T/err"); left: $(ls -A "$MNT")"
# a gzip bomb: 4 GiB of zeros in a 4 MiB .vmss.gz inflates to holes (no ratio limit), and fails as a checkpoint
mkdir -p "$T/bomb" && cp -a "$T/fake/$RF" "$T/bomb/"
B1=$T/bomb/$RF/vmfs/volumes/5f00-uuid/vm1
rm "$B1"/vm1.vmss.FRAG-* "$B1"/vm1.vmem.FRAG-*
head -c 4G /dev/zero | gzip -1 >"$B1/vm1.vmss.gz"
(cd "$T/bomb" && tar cf "$T/bomb.tar" "$RF")
rc=0; "$V" --vm web01 -o "$MNT/b.core" "$T/bomb.tar" 2>"$T/err" || rc=$?
[ $rc = 2 ] && grep -q "vm1.vmss.gz (decompressed)" "$T/err" && [ -z "$(ls -A "$MNT")" ] && ok gzip-bomb-of-zeros-costs-no-disk ||
	fail gzip-bomb-of-zeros-costs-no-disk "exit $rc: $(cat "$T/err"); left: $(ls -A "$MNT")"
# and 300 MiB of non-zero data does not fit: stopped at the free-space check, named
head -c 300M /dev/zero | tr '\0' '\1' | gzip -1 >"$B1/vm1.vmss.gz"
(cd "$T/bomb" && tar cf "$T/bomb2.tar" "$RF")
rc=0; "$V" --vm web01 -o "$MNT/b.core" "$T/bomb2.tar" 2>"$T/err" || rc=$?
[ $rc = 3 ] && grep -q "vm1.vmss.gz.*no space left to stage it in $MNT" "$T/err" && [ -z "$(ls -A "$MNT")" ] &&
	ok gzip-bomb-of-data-stopped-by-free-space || fail gzip-bomb-of-data-stopped-by-free-space "exit $rc: $(cat "$T/err")"
umount "$MNT"
finish
