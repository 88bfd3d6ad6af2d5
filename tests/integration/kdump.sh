#!/bin/bash
# kdump.sh - makedumpfile's kdump-compressed dumps (and the flattened -F
# stream) as input, on real guest memory (testdata/kdump.sh: our ELF core of
# the small guest, X.core, fed to Debian's makedumpfile in several forms).
#   - each form converts (vmss2core -o) to an ELF core that holds exactly the
#     pages the dump's bitmap lists, each equal to X.core's page
#     (lib/kdump_check.py: its own reader of the format, not libkdumpfile)
#   - the header's compression bits match what was asked, or (Debian's build
#     for -p snappy / -z zstd) honestly say "uncompressed" with every page so
#   - crash on the converted zlib dump prints the same `sys`, `bt -a` and
#     `foreach UN bt` as crash on X.core and as crash on the kdump file itself
#   - coresummary on the kdump file reports the tasks, stacks, vCPUs and
#     kernel log events it reports on X.core
#   - truncated / corrupted dumps and flattened streams with wild records:
#     exit 2, one line naming the file and offset, no sanitizer report, no
#     output and no temporary file left behind
#   - memory: converting the 270 MB -d 0 dump needs no more RSS than the 16 MB one
. "$(dirname "$0")/lib/common.sh"
need_deps
GDIR=$("$ROOT/testdata/guest.sh" small) || { fail guest "testdata/guest.sh failed"; finish; }
KD=$(COREKIT_BIN=$BIN "$ROOT/testdata/kdump.sh" small) || { fail kdump-fixtures "testdata/kdump.sh failed"; finish; }
CRASHLINUX=$("$ROOT/testdata/crashfix-vmlinux.sh") || { fail crashfix "crashfix-vmlinux failed"; finish; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/tmp" "$T/out"
export TMPDIR=$T/tmp	# where the flattened rebuild's temporary goes: must stay empty

# --- compression bits as written
status() { sed -n "s/^$1 //p" "$KD/status"; }
for c in "z 1 zlib" "l 2 lzo"; do
	set -- $c
	s=$(status "$1.kdump")
	if (( s & $2 )); then ok "status-$3"; else fail "status-$3" "$1.kdump header status $s lacks 0x$2"; fi
done
for c in "p 4 snappy" "zs 32 zstd"; do
	set -- $c
	s=$(status "$1.kdump")
	if (( s & $2 )); then
		ok "status-$3 (header says $3)"
	elif (( s == 0 )); then
		# Debian's makedumpfile lacks the library: it writes plain pages and says so
		# (kdump_check.py below checks every page descriptor agrees).
		ok "status-$3 (asked $3, header 0x0: this makedumpfile wrote the pages uncompressed)"
	else
		fail "status-$3" "$1.kdump header status $s"
	fi
done
for f in u31 full; do
	[ "$(status $f.kdump)" = 0x00000000 ] && ok "status-$f-uncompressed" || fail "status-$f-uncompressed" "$(status $f.kdump)"
done

# --- every form converts, holds exactly the dumped pages, equal to X.core's
convert() {  # convert NAME INPUT -> $T/NAME.core, time -v in $T/NAME.time
	local rc=0
	/usr/bin/time -v -o "$T/$1.time" "$BIN/vmss2core" -q -o "$T/$1.core" "$2" 2>"$T/$1.err" || rc=$?
	[ $rc = 0 ] && return 0
	fail "convert-$1" "vmss2core exited $rc: $(head -3 "$T/$1.err")"
	return 1
}
for f in z.kdump l.kdump p.kdump zs.kdump u31.kdump full.kdump f.flat; do
	n=${f%.*}; [ "$f" = f.flat ] && n=flat
	convert "$n" "$KD/$f" || continue
	ok "convert-$n"
	if out=$(python3 "$LIB/kdump_check.py" "$KD/$f" "$KD/X.core" "$T/$n.core" 2>&1); then
		ok "pages-$n ($out)"
	else
		fail "pages-$n" "$out"
	fi
	[ -z "$(ls -A "$T/tmp")" ] && ok "no-temp-left-$n" || fail "no-temp-left-$n" "$(ls "$T/tmp")"
	[ "$n" = z ] || [ "$n" = full ] || rm -f "$T/$n.core"
done
convert xcore "$KD/X.core" && rm -f "$T/xcore.core"
rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/$1.time"; }
wall() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$T/$1.time"; }
echo "# vmss2core -o: z.kdump $(wall z) s, $(rss z) KiB; full.kdump $(wall full) s, $(rss full) KiB;" \
	"X.core $(wall xcore) s, $(rss xcore) KiB (this build: $BIN)"
if [ -n "$(rss z)" ] && [ -n "$(rss full)" ] && (( $(rss full) < $(rss z) + 32768 )); then
	ok "rss-independent-of-dump-size ($(rss z) KiB for 16 MB, $(rss full) KiB for 270 MB)"
else
	fail "rss-independent-of-dump-size" "z $(rss z) KiB, full $(rss full) KiB"
fi

# --- crash: the converted dump, X.core and the kdump file tell the same story
crash_run() {  # crash_run CORE OUT
	printf 'sys\n!echo ==BTA==\nbt -a\n!echo ==UN==\nforeach UN bt\nquit\n' | timeout 600 crash -s "$CRASHLINUX" "$1" 2>&1 |
		grep -v '^ *DUMPFILE:' >"$2"
}
if [ -f "$T/z.core" ]; then
	crash_run "$KD/X.core" "$T/x.crash"
	crash_run "$T/z.core" "$T/z.crash"
	crash_run "$KD/z.kdump" "$T/zk.crash"
	if ! grep -q '^ *TASKS:' "$T/x.crash" || [ "$(grep -c '^PID:' "$T/x.crash")" -lt 3 ]; then
		fail crash-oracle "crash on X.core: $(head -5 "$T/x.crash")"
	else
		cmp -s "$T/x.crash" "$T/z.crash" && ok "crash-converted-equals-xcore ($(grep -c '^PID:' "$T/x.crash") stacks)" ||
			fail crash-converted-equals-xcore "$(diff "$T/x.crash" "$T/z.crash" | head -5)"
		# crash itself takes the running tasks' registers differently from a kdump file
		# and from an ELF core (bt -a of idle CPUs): compare sys and the blocked tasks.
		nobta() { sed '/^==BTA==$/,/^==UN==$/d' "$1"; }
		[ "$(nobta "$T/zk.crash")" = "$(nobta "$T/z.crash")" ] && ok "crash-converted-equals-crash-on-kdump (sys, foreach UN bt)" ||
			fail crash-converted-equals-crash-on-kdump "$(diff <(nobta "$T/zk.crash") <(nobta "$T/z.crash") | head -5)"
	fi
fi

# --- coresummary on the kdump file (and the flattened stream) reports what it
# reports on X.core: the same tasks, stacks, vCPUs, kernel log events
cs_json() { "$BIN/coresummary" --json "$1" >"$2" 2>"$2.err"; }
cs_json "$KD/X.core" "$T/x.json"; cs_json "$KD/z.kdump" "$T/z.json"; cs_json "$KD/f.flat" "$T/f.json"
if out=$(python3 - "$T/x.json" "$T/z.json" "$T/f.json" <<'PY' 2>&1
import json, sys
x, z, f = (json.load(open(p)) for p in sys.argv[1:4])
# Legitimately different: the input's name and format, RAM (the dump keeps
# 19157 of the pages).
def strip(r):
    r = dict(r)
    r.pop("input")
    r["kernel"] = {k: v for k, v in r["kernel"].items() if k not in ("source_format", "ram_bytes")}
    return r
assert x["target"] == "kernel-image" and x["thread_count"] > 10, "X.core: %s" % x["target"]
for name, r in (("z.kdump", z), ("f.flat", f)):
    if strip(r) != strip(x):
        diff = [k for k in x if strip(x).get(k) != strip(r).get(k)]
        sys.exit("%s differs from X.core in %s" % (name, diff))
print("%d tasks, %d vCPUs, %d events; banner on X.core %s, on z.kdump %s" % (
    x["thread_count"], len(x["cpus"]), len(x["events"]), x["kernel"]["banner"] is not None,
    z["kernel"]["banner"] is not None))
PY
); then ok "coresummary-equals-xcore ($out)"; else fail coresummary-equals-xcore "$out $(head -2 "$T/z.json.err")"; fi

# --- bad input
python3 - "$KD" "$T/bad" >"$T/cases" <<'PY' || fail bad-setup "making the corrupted inputs failed"
import os, struct, sys
kd, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
z = open(os.path.join(kd, "z.kdump"), "rb").read()
flat = open(os.path.join(kd, "f.flat"), "rb").read()
bs = struct.unpack_from("<i", z, 428)[0]
sub = struct.unpack_from("<i", z, 432)[0]
bmb = struct.unpack_from("<I", z, 436)[0]
pd0 = (1 + sub + bmb) * bs
note_off, note_size = struct.unpack_from("<QQ", z, bs + 48)

def case(name, data, ext="kdump"):
    p = os.path.join(out, name + "." + ext)
    open(p, "wb").write(data)
    print(name + "\t" + p)

def put(data, off, fmt, *v):
    b = bytearray(data)
    struct.pack_into(fmt, b, off, *v)
    return bytes(b)

for n in (100, 600, bs + 50, 5000, 14000, pd0 + 24 * 100, len(z) // 2, len(z) - 1):
    case("trunc-%d" % n, z[:n])
case("hdr-version", put(z, 8, "<i", 99))
case("hdr-machine", put(z, 12 + 4 * 65, "8s", b"aarch64\0"))
case("hdr-block-size", put(z, 428, "<i", 1234))
case("hdr-sub-hdr-size", put(z, 432, "<i", 0))
case("hdr-bitmap-blocks", put(z, 436, "<I", 0x7ffffffe))
case("hdr-bitmap-odd", put(z, 436, "<I", 3))
case("hdr-nr-cpus", put(z, 460, "<i", 100000))
case("sub-max-mapnr", put(z, bs + 96, "<Q", 1 << 60))
case("sub-max-mapnr-big-for-bitmap", put(z, bs + 96, "<Q", bmb * bs * 8))
case("sub-split", put(z, bs + 12, "<i", 1))
case("sub-note-offset", put(z, bs + 48, "<Q", 1 << 62))
case("sub-note-size", put(z, bs + 56, "<Q", 1 << 40))
case("sub-vmcoreinfo-offset", put(z, bs + 32, "<Q", len(z) - 10))
case("note-namesz", put(z, note_off, "<I", 0x7fffffff))
case("note-descsz", put(z, note_off + 4, "<I", note_size))
# page data: a zlib page in the middle scrambled; a descriptor pointing far away
npages = 0
for i in range(0, (len(z) - pd0) // 24):
    off, size, flags, _ = struct.unpack_from("<qIIQ", z, pd0 + 24 * i)
    if i > 1000 and flags == 1 and size > 200:
        b = bytearray(z)
        b[off + 20:off + 120] = bytes(range(100))
        case("page-zlib-garbage", bytes(b))
        case("page-desc-offset", put(z, pd0 + 24 * i, "<q", 1 << 40))
        case("page-desc-size", put(z, pd0 + 24 * i + 8, "<I", 1 << 20))
        break
# flattened streams
first = 4096            # first record header
off0, size0 = struct.unpack_from(">qq", flat, first)
second = first + 16 + size0
case("flat-trunc-header", flat[:2000], "flat")
case("flat-trunc-record", flat[:100000], "flat")
case("flat-no-end-marker", flat[:-16], "flat")
case("flat-type", put(flat, 16, ">q", 7), "flat")
case("flat-version", put(flat, 24, ">q", 9), "flat")
case("flat-wild-offset", put(flat, second, ">q", 0x7ffffffffffff000), "flat")
case("flat-big-offset", put(flat, second, ">q", 1 << 40), "flat")
case("flat-negative-offset", put(flat, second, ">q", -5), "flat")
case("flat-wild-size", put(flat, second + 8, ">q", 0x7fffffffffffffff), "flat")
case("flat-size-past-end", put(flat, second + 8, ">q", len(flat)), "flat")
# a flattened stream whose plain file is garbage: the rebuilt file's checks apply
b = bytearray(flat)
b[first + 16:first + 24] = b"KDUMP   "
struct.pack_into("<i", b, first + 16 + 428, 12345)
case("flat-bad-inner-header", bytes(b), "flat")
PY
while IFS=$'\t' read -r name file; do
	rc=0
	"$BIN/vmss2core" -q -o "$T/out/out.core" "$file" >"$T/bad.stdout" 2>"$T/bad.err" || rc=$?
	lines=$(wc -l <"$T/bad.err")
	why=
	[ $rc = 2 ] || why="exit $rc"
	[ "$lines" = 1 ] || why="$why; $lines stderr lines"
	grep -q "$(basename "$file")" "$T/bad.err" || why="$why; file not named"
	grep -q "offset 0x" "$T/bad.err" || why="$why; no offset"
	grep -qiE "sanitizer|runtime error" "$T/bad.err" && why="$why; sanitizer report"
	[ -z "$(ls -A "$T/out")" ] || why="$why; left $(ls "$T/out")"
	[ -z "$(ls -A "$T/tmp")" ] || why="$why; temp left $(ls "$T/tmp")"
	if [ -z "$why" ]; then ok "bad-$name: $(cat "$T/bad.err")"; else fail "bad-$name" "$why: $(head -3 "$T/bad.err")"; fi
	rm -rf "$T/out"/* "$T/tmp"/*
done <"$T/cases"
[ "$(wc -l <"$T/cases")" -ge 30 ] && ok "bad-cases-made ($(wc -l <"$T/cases"))" || fail bad-cases-made "$(wc -l <"$T/cases")"
finish
