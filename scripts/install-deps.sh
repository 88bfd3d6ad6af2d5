#!/bin/bash
# Install (idempotently) every Debian 12 package corekit's build, tests, demo and
# benchmarks need.  --if-missing: do nothing when all are already installed.
set -eu
KVER=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}' | sed 's/^linux-image-//')
if [ -z "$KVER" ]; then
	apt-get update -qq
	KVER=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}' | sed 's/^linux-image-//')
fi
PKGS=(build-essential pkg-config clang libclang-rt-14-dev
	libelf-dev libdw-dev libiberty-dev zlib1g-dev libdeflate-dev libarchive-dev libcapstone-dev libbpf-dev libkdumpfile-dev makedumpfile
	elfutils debuginfod gdb crash python3 python3-drgn libc6-dbg time xz-utils libdebuginfod1
	qemu-system-x86 busybox-static cpio gzip
	zstd lz4 bzip2
	linux-image-amd64 linux-headers-amd64 "linux-image-$KVER-dbg" "linux-headers-$KVER")
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${1:-}" = --if-missing ] && [ ${#missing[@]} -eq 0 ]; then exit 0; fi
[ ${#missing[@]} -eq 0 ] && { echo "install-deps: all ${#PKGS[@]} packages present"; exit 0; }
echo "install-deps: installing ${missing[*]}"
[ "$(id -u)" = 0 ] || { echo "install-deps: need root for apt-get" >&2; exit 3; }
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
