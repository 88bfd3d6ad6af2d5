#!/bin/bash
# testdata/kernel612.sh - fetch (if not cached) Debian bookworm-backports' 6.12
# kernel for CK_KERNEL=6.12 guests and print the directory it is unpacked in.
#
# Nothing is installed and the system's apt sources are not touched: a private
# apt configuration (sources.list with only bookworm-backports, its own lists
# and archives) under the cache is used for 'apt-get update' and
# 'apt-get download', and the packages are unpacked with dpkg-deb -x:
#   linux-image-KVER-unsigned   boot/vmlinuz-KVER, lib/modules/KVER (qemu_fw_cfg.ko.xz)
#   linux-image-KVER-dbg        only usr/lib/debug/boot/vmlinux-KVER (the DWARF
#                               vmlinux; the .deb is 1 GB, the rest is modules)
#   linux-headers-KVER, linux-headers-KVER-common, linux-kbuild-KVER
#                               usr/src/linux-headers-KVER: the module build
#                               tree (its Makefile is pointed at the unpacked
#                               common headers instead of /usr/src)
# bookworm-backports, not trixie: its kernel is built with bookworm's gcc-12,
# so deadlock.ko builds with the host compiler (trixie's headers want gcc-14).
#
# Output: ${COREKIT_CACHE:-$HOME/.cache/corekit}/kernels/6.12/KVER (with a
# 'kver' file); kernels/6.12/current names it.  Once fetched, no network is
# used.  Progress goes to stderr.
set -euo pipefail
CACHE=${COREKIT_CACHE:-$HOME/.cache/corekit}
TOP=$CACHE/kernels/6.12
log() { echo "kernel612.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 3; }
mkdir -p "$TOP"
exec 9>"$TOP/.lock"
flock 9
if [ -f "$TOP/current" ] && [ -f "$TOP/$(cat "$TOP/current")/kver" ]; then
	echo "$TOP/$(cat "$TOP/current")"
	exit 0
fi
for c in apt-get apt-cache dpkg-deb tar xz; do
	command -v $c >/dev/null || die "$c is missing"
done

APT=$TOP/.apt
mkdir -p "$APT/lists/partial" "$APT/archives/partial"
echo "deb http://deb.debian.org/debian bookworm-backports main" >"$APT/sources.list"
aptopts=(-o Dir::Etc::sourcelist="$APT/sources.list" -o Dir::Etc::sourceparts=-
	-o Dir::State::Lists="$APT/lists" -o Dir::Cache::archives="$APT/archives"
	-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root)
log "apt-get update (private lists: bookworm-backports only)"
apt-get "${aptopts[@]}" -q update >&2 || die "apt-get update of bookworm-backports failed"
img=$(apt-cache "${aptopts[@]}" search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' |
	cut -d' ' -f1 | sort -V | tail -n1)
[ -n "$img" ] || die "bookworm-backports has no linux-image-6.12.*+deb12-amd64-unsigned"
KVER=${img#linux-image-}
KVER=${KVER%-unsigned}
ABI=${KVER%-amd64}
pkgs=("linux-image-$KVER-unsigned" "linux-image-$KVER-dbg" "linux-headers-$KVER"
	"linux-headers-$ABI-common" "linux-kbuild-$ABI")

WORK=$TOP/.work-$KVER.$$
trap 'rm -rf "$WORK"' EXIT
rm -rf "$TOP"/.work-*
mkdir -p "$WORK/dl" "$WORK/root"
log "downloading ${pkgs[*]} (about 1.2 GB)"
(cd "$WORK/dl" && apt-get "${aptopts[@]}" -q download "${pkgs[@]}") >&2 || die "apt-get download failed"
R=$WORK/root
for p in "${pkgs[@]}"; do
	deb=$(ls "$WORK/dl/${p}_"*.deb)
	case $p in
	*-dbg)
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$R" "./usr/lib/debug/boot/vmlinux-$KVER" ||
			die "no vmlinux-$KVER in $deb"
		;;
	*) dpkg-deb -x "$deb" "$R" ;;
	esac
	rm -f "$deb"
done
B=$R/usr/src/linux-headers-$KVER
[ -f "$B/Makefile" ] && [ -r "$R/boot/vmlinuz-$KVER" ] || die "unpacked tree is incomplete"
# the headers' Makefile includes /usr/src/linux-headers-ABI-common/Makefile
sed -i "s|^include /usr/src/|include $TOP/$KVER/usr/src/|" "$B/Makefile"
echo "$KVER" >"$R/kver"
rm -rf "${TOP:?}/$KVER"
mv "$R" "$TOP/$KVER"
echo "$KVER" >"$TOP/current"
log "unpacked $KVER: $(du -sh "$TOP/$KVER" | cut -f1)"
echo "$TOP/$KVER"
