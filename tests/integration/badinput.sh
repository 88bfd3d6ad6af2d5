#!/bin/bash
# badinput.sh - vmss2core must refuse corrupted real checkpoints cleanly.
#
# Takes the real fixtures of `testdata/fixtures.sh small`, corrupts copies of
# them in many distinct ways (header, group table, tag stream, registers,
# memory regions, .vmem, debug.guest) and runs
#     $COREKIT_BIN/vmss2core -o OUTDIR/out.core FILE [COMPANION]
# on each.  Every case must give: exit status 2; exactly one line on stderr,
# naming the file (and "offset 0x..." where the fault is at an offset); no
# sanitizer report; nothing at all left in OUTDIR (no core, no temp file).
# Prints "ok NAME" or "FAIL NAME: why" per case.
set -u
ROOT=${COREKIT_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${COREKIT_BIN:-$ROOT/build/asan/bin}
V2C=$BIN/vmss2core
if [ ! -x "$V2C" ]; then
	echo "FAIL badinput_setup: $V2C is not built"
	exit 1
fi
if ! FIX=$("$ROOT/testdata/fixtures.sh" small 2>/tmp/badinput.fixtures.$$); then
	echo "FAIL badinput_setup: testdata/fixtures.sh small failed: $(tail -n 3 /tmp/badinput.fixtures.$$ | tr '\n' ' ')"
	rm -f /tmp/badinput.fixtures.$$
	exit 1
fi
rm -f /tmp/badinput.fixtures.$$
W=$(mktemp -d /tmp/badinput.XXXXXX)
trap 'rm -rf "$W"' EXIT

# Build the corrupted inputs; one line per case on stdout:
#   NAME <TAB> FILE <TAB> COMPANION or "-" <TAB> EXPECTED SUBSTRING <TAB> 1 if "offset 0x" is required
python3 - "$FIX" "$W/cases" >"$W/list" <<'PY' || { echo "FAIL badinput_setup: making the corrupted inputs failed"; exit 1; }
import os, struct, sys

fix, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
BASE = os.path.join(fix, "vmem-bed2-both.vmsn")     # header-only, RAM in the .vmem
BASE_VMEM = os.path.join(fix, "vmem-bed2-both.vmem")
EMBED = os.path.join(fix, "embed-bed2-scalar.vmss")  # RAM embedded
GUEST = os.path.join(fix, "guest-v7")

def u(b, off, n):
    return int.from_bytes(b[off:off + n], "little")

def put(b, off, v, n):
    b[off:off + n] = v.to_bytes(n, "little")

def parse(b):
    """Groups and tags of a checkpoint: lists of dicts with every field offset."""
    magic, _, ng = struct.unpack_from("<III", b, 0)
    w = 4 if magic & 0xF == 0 else 8
    groups, tags = [], []
    for i in range(ng):
        d = 12 + 80 * i
        name = bytes(b[d:d + 64]).split(b"\0")[0].decode()
        off, size = struct.unpack_from("<QQ", b, d + 64)
        g = dict(name=name, desc=d, off=off, size=size, end=off + size)
        groups.append(g)
        pos = off
        while pos < g["end"]:
            h = u(b, pos, 2)
            if h == 0:
                break
            nl, ni, sc = h >> 8, (h >> 6) & 3, h & 0x3F
            t = dict(group=name, head=pos, name_off=pos + 2, nl=nl,
                     name=bytes(b[pos + 2:pos + 2 + nl]).decode(), idx_off=pos + 2 + nl)
            t["idx"] = tuple(u(b, t["idx_off"] + 4 * k, 4) for k in range(ni))
            p = t["idx_off"] + 4 * ni
            if sc < 62:
                t.update(data=p, size=sc, block=False)
                pos = p + sc
            else:
                disk = u(b, p, w)
                pad = u(b, p + 2 * w, 2)
                t.update(sizes=p, pad_off=p + 2 * w, data=p + 2 * w + 2 + pad, size=disk, block=True)
                pos = t["data"] + disk
            tags.append(t)
    return groups, tags

def tag(tags, group, name, idx=()):
    for t in tags:
        if t["group"] == group and t["name"] == name and t["idx"] == tuple(idx):
            return t
    raise KeyError((group, name, idx))

def group(groups, name):
    return next(g for g in groups if g["name"] == name)

base = bytearray(open(BASE, "rb").read())
G, T = parse(base)
cases = []

def case(name, mutate, expect, at_offset, vmem=True):
    d = os.path.join(out, name)
    os.makedirs(d)
    path = os.path.join(d, "cpt.vmss")
    b = bytearray(base)
    mutate(b)
    open(path, "wb").write(b)
    if vmem is True:
        os.symlink(BASE_VMEM, os.path.join(d, "cpt.vmem"))
    elif vmem:
        vmem(os.path.join(d, "cpt.vmem"))
    cases.append((name, path, "-", expect, at_offset))

cpu, mem, ckp, snap = (group(G, n) for n in ("cpu", "memory", "Checkpoint", "Snapshot"))
nv = tag(T, "cpu", "cpu:numVCPUs")
gi = {g["name"]: i for i, g in enumerate(G)}

def set_group(name, field, v):
    return lambda b: put(b, group(G, name)["desc"] + (64 if field == "off" else 72), v, 8)

def cut(n):
    def f(b):
        del b[n:]
    return f

def chain(*fs):
    def f(b):
        for x in fs:
            x(b)
    return f

# -- header and group table
case("empty_file", cut(0), "checkpoint header", 1)
case("truncated_in_header", cut(7), "checkpoint header", 1)
case("bad_magic", lambda b: put(b, 0, 0xDEADBEEF, 4), "unknown checkpoint magic 0xdeadbeef", 1)
case("byte_swapped_magic", lambda b: put(b, 0, 0xD2BED2BE, 4), "0xd2bed2be", 1)
case("huge_group_count", lambda b: put(b, 8, 0xFFFFFFFF, 4), "group count", 1)
case("group_table_past_eof", lambda b: put(b, 8, 1000, 4), "group table", 1)
case("truncated_in_group_table", cut(12 + 80 + 40), "group table", 1)
case("group_offset_past_eof", set_group("cpu", "off", len(base) + 100), "group 'cpu' starts", 1)
case("group_offset_in_table", set_group("Snapshot", "off", 30), "group 'Snapshot' starts", 1)
case("group_size_huge", set_group("cpu", "size", 1 << 62), "runs past end of file", 1)
case("truncated_in_cpu_group", cut(cpu["off"] + cpu["size"] // 2), "runs past end of file", 1)
# -- tag stream
case("group_end_in_tag_head", set_group("cpu", "size", nv["head"] + 1 - cpu["off"]), "tag head runs past", 1)
case("group_end_in_tag_name", set_group("cpu", "size", nv["name_off"] + 4 - cpu["off"]), "tag name", 1)
case("group_end_in_value", set_group("cpu", "size", nv["data"] + 2 - cpu["off"]), "value (4 bytes) runs past", 1)
last_ckp = [t for t in T if t["group"] == "Checkpoint"][-1]
case("name_length_past_group", lambda b: put(b, last_ckp["head"] + 1, 0xFF, 1), "tag name (255 bytes)", 1)
rip0 = tag(T, "cpu", "rip", (0,))
case("nul_in_tag_name", lambda b: put(b, rip0["name_off"] + 1, 0, 1), "NUL", 1)
pn = tag(T, "Checkpoint", "ProductName")
case("pad_len_huge", lambda b: put(b, pn["pad_off"], 0xFFFF, 2), "block padding", 1)
cfg = tag(T, "Snapshot", "cfgFile")
case("block_disk_size_huge", lambda b: put(b, cfg["sizes"], (1 << 64) - 1, 8), "block data", 1)
case("inline_tag_made_block", lambda b: put(b, nv["head"], (u(b, nv["head"], 1) & 0xC0) | 63, 1), "runs past", 1)
case("v0_magic_on_8byte_file", lambda b: put(b, 0, 0xBED2BED0, 4), "runs past", 1)
case("index_count_changed", lambda b: put(b, nv["head"], u(b, nv["head"], 1) | 0xC0, 1), "cpt.vmss", 0)
# -- cpu group
case("missing_numvcpus", lambda b: put(b, nv["name_off"] + 11, ord("X"), 1), "no cpu:numVCPUs tag", 0)
case("numvcpus_zero", lambda b: put(b, nv["data"], 0, 4), "cpu:numVCPUs is 0", 1)
case("numvcpus_huge", lambda b: put(b, nv["data"], 100000, 4), "cpu:numVCPUs is 100000", 1)
case("no_cpu_group", lambda b: put(b, cpu["desc"] + 2, ord("X"), 1), "no cpu group", 0)
gp = tag(T, "cpu", "gpregs", (0,))
case("gpregs_block_short", chain(lambda b: put(b, gp["sizes"], 120, 8), lambda b: put(b, gp["sizes"] + 8, 120, 8),
                                  lambda b: put(b, gp["pad_off"], u(b, gp["pad_off"], 2) + 8, 2)),
     "expected 128 bytes", 1)
# -- memory group
rc = tag(T, "memory", "regionsCount")
case("regions_count_huge", lambda b: put(b, rc["data"], 0x7FFFFFFF, 4), "regionsCount 2147483647", 1)
nreg = u(base, rc["data"], rc["size"])
case("regions_count_one_too_many", lambda b: put(b, rc["data"], nreg + 1, 4), "no regionPPN[%d] tag" % nreg, 0)
pg1 = tag(T, "memory", "regionPageNum", (nreg - 1,))
case("region_page_past_vmem", lambda b: put(b, pg1["data"], 0x7FFFFFFF, 4), "runs past the end", 1)
ppn0 = tag(T, "memory", "regionPPN", (0,))
ppn1 = tag(T, "memory", "regionPPN", (1,))
case("regions_overlap", lambda b: put(b, ppn1["data"], u(b, ppn0["data"], 4), 4), "overlap", 1)
rs0 = tag(T, "memory", "regionSize", (0,))
case("region_size_missing", lambda b: put(b, rs0["name_off"] + 6, ord("X"), 1), "no regionSize[0] tag", 0)
plat = tag(T, "Checkpoint", "Platform")
case("platform_arm64", lambda b: put(b, plat["data"], 3, 4), "ARM64", 1)
case("missing_vmem", lambda b: None, "cpt.vmem", 0, vmem=False)
def short_vmem(p):
    with open(p, "wb") as f:
        f.truncate(1 << 20)
case("vmem_too_short", lambda b: None, "runs past the end", 1, vmem=short_vmem)

# -- other fixtures
def raw_case(name, src, nbytes, expect, at_offset):
    d = os.path.join(out, name)
    os.makedirs(d)
    path = os.path.join(d, os.path.basename(src))
    with open(src, "rb") as f:
        open(path, "wb").write(f.read(nbytes) if nbytes else f.read())
    cases.append((name, path, "-", expect, at_offset))
raw_case("embedded_memory_truncated", EMBED, 1 << 20, "runs past end of file", 1)
for name, src, expect, off in (("compressed_memory", "embed-bed2-compressed.vmss", "compressed checkpoint memory is not supported", 1),
                               ("fixture_bad_magic", "bad-magic-deadbeef.vmss", "0xdeadbeef", 1),
                               ("fixture_no_numvcpus", "bad-embed-bed2-no-numvcpus.vmss", "no cpu:numVCPUs tag", 0)):
    d = os.path.join(out, name)
    os.makedirs(d)
    os.symlink(os.path.join(fix, src), os.path.join(d, src))
    cases.append((name, os.path.join(d, src), "-", expect, off))

# -- debug.guest (v7 fixture: header 83 bytes, meminfo at 16)
gbase = bytearray(open(os.path.join(GUEST, "debug.guest"), "rb").read())
def gcase(name, mutate, expect, at_offset, vmem=True):
    d = os.path.join(out, name)
    os.makedirs(d)
    b = bytearray(gbase)
    mutate(b)
    open(os.path.join(d, "debug.guest"), "wb").write(b)
    if vmem:
        os.symlink(os.path.join(GUEST, "debug.vmem"), os.path.join(d, "debug.vmem"))
    cases.append((name, os.path.join(d, "debug.guest"), "-", expect, at_offset))
gcase("guest_truncated", cut(len(gbase) - 1), "file size", 1)
gcase("guest_trailing_byte", lambda b: b.append(0), "file size", 1)
gcase("guest_bad_version", lambda b: put(b, 0, 2, 4), "unknown debug.guest version 2", 1)
gcase("guest_zero_vcpus", lambda b: put(b, 4, 0, 4), "0 vCPUs", 1)
gcase("guest_aarch64", lambda b: put(b, 72, 0, 4), "AArch64", 1)
gcase("guest_three_holes", lambda b: put(b, 16 + 20, 3, 4), "3 memory holes", 1)
gcase("guest_last_addr", lambda b: put(b, 16, 0x12345, 8), "last address", 1)
gcase("guest_header_truncated", cut(40), "header", 1)
gcase("guest_missing_vmem", lambda b: None, "debug.vmem", 0, vmem=False)

for c in cases:
    print("\t".join(str(x) for x in c))
PY

n=0
while IFS=$'\t' read -r name file comp expect need_off; do
	n=$((n + 1))
	o="$W/out/$name"
	mkdir -p "$o"
	args=(-o "$o/out.core" "$file")
	[ "$comp" != "-" ] && args+=("$comp")
	"$V2C" "${args[@]}" >"$W/stdout" 2>"$W/stderr"
	rc=$?
	lines=$(wc -l <"$W/stderr")
	msg=$(head -n 1 "$W/stderr")
	left=$(ls -A "$o")
	why=
	if grep -qE 'Sanitizer|runtime error|LeakSanitizer' "$W/stderr"; then
		why="sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' "$W/stderr")"
	elif [ "$rc" -ne 2 ]; then
		why="exit status $rc, expected 2 (stderr: $msg)"
	elif [ "$lines" -ne 1 ]; then
		why="$lines lines on stderr, expected 1: $(tr '\n' '|' <"$W/stderr" | cut -c1-300)"
	elif [[ "$msg" != *"$file"* ]]; then
		why="message does not name $file: $msg"
	elif [[ "$msg" != *"$expect"* ]]; then
		why="message lacks '$expect': $msg"
	elif [ "$need_off" = 1 ] && [[ "$msg" != *": offset 0x"* ]]; then
		why="message has no offset: $msg"
	elif [ -n "$left" ]; then
		why="left in the output directory: $left"
	fi
	[ -n "${BADINPUT_VERBOSE:-}" ] && echo "# $name: $msg"
	if [ -z "$why" ]; then
		echo "ok badinput_$name"
	else
		echo "FAIL badinput_$name: $why"
	fi
done <"$W/list"

# The uncorrupted inputs the cases start from are accepted.
for f in "$FIX/vmem-bed2-both.vmsn" "$FIX/guest-v7/debug.guest"; do
	if "$V2C" --info "$f" >/dev/null 2>"$W/stderr"; then
		echo "ok badinput_base_accepted_$(basename "$f")"
	else
		echo "FAIL badinput_base_accepted_$(basename "$f"): $(head -n 2 "$W/stderr")"
	fi
done
if [ "$n" -lt 25 ]; then
	echo "FAIL badinput_case_count: only $n cases"
fi
