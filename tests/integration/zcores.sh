#!/bin/bash
# Compressed inputs (issue 8, "systemd-coredump and compressed cores"): real
# process cores (testdata/proc/mkcores.sh) and a real guest's QEMU dump,
# compressed by the zstd, lz4, xz, gzip and bzip2 tools under systemd-coredump's
# file name core.PROG.UID.BOOTID.PID.TIME.EXT, must give the report of the
# uncompressed file (JSON, with the input's own name taken out); vmss2core
# converts a compressed checkpoint into the same bytes.  Truncated and
# corrupted files exit 2 with one line naming the file and an offset, and
# $TMPDIR is left as it was - after errors, SIGINT, SIGTERM and SIGKILL too.
# Never writes kernel.core_pattern or any other sysctl: the cores come from
# mkcores.sh and the guest cache.
. "$(dirname "$0")/lib/common.sh"
CS=$BIN/coresummary
V2C=$BIN/vmss2core
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan-libdw.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
need_deps
for tool in zstd lz4 xz gzip bzip2; do
	command -v $tool >/dev/null || { fail deps "$tool missing after install-deps.sh"; finish; }
done
D=$("$ROOT/testdata/proc/mkcores.sh") || { fail mkcores "could not make the test cores"; finish; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# A private TMPDIR for the runs: its listing before and after must be equal (empty).
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR" "$T/cores"
tmp_clean() { [ -z "$(ls -A "$TMPDIR")" ]; }

BOOT=8f3a9c2e1b4d4e6f9a0b1c2d3e4f5a6b
# compress SRC PROG TOOL: print the systemd-coredump-style name of SRC compressed by TOOL
compress() {
	local src=$1 prog=$2 tool=$3 ext out
	case $tool in zstd) ext=zst ;; lz4) ext=lz4 ;; xz) ext=xz ;; gzip) ext=gz ;; bzip2) ext=bz2 ;; esac
	out=$T/cores/core.$prog.1000.$BOOT.$RANDOM.1700000000000000.$ext
	case $tool in
	zstd) zstd -q -T0 -c "$src" >"$out" ;;
	lz4) lz4 -q -c "$src" >"$out" ;;
	*) $tool -c "$src" >"$out" ;;
	esac
	echo "$out"
}
# same_report A.json B.json NAME_A NAME_B: equal once the input's name is taken out
same_report() {
	python3 - "$@" <<'PY'
import json, sys
def norm(path, name):
    r = json.load(open(path))
    r.pop('input', None)
    def walk(x):
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        if isinstance(x, str):
            return x.replace(name + ' (decompressed)', 'INPUT').replace(name, 'INPUT')
        return x
    return walk(r)
a, b = norm(sys.argv[1], sys.argv[3]), norm(sys.argv[2], sys.argv[4])
if a != b:
    for k in sorted(set(a) | set(b)):
        if a.get(k) != b.get(k):
            print('first difference in', k, file=sys.stderr)
            break
    sys.exit(1)
PY
}
# one_line_error NAME FILE RC ERRFILE: exit 2, one line naming FILE with an offset, TMPDIR clean
one_line_error() {
	local n=$1 f=$2 rc=$3 e=$4
	if [ "$rc" = 2 ] && [ "$(wc -l <"$e")" = 1 ] && grep -qF "coresummary: $f: offset 0x" "$e" && tmp_clean; then
		ok "$n"
	else
		fail "$n" "exit $rc, $(wc -l <"$e") lines: $(head -c 300 "$e"); TMPDIR: $(ls -A "$TMPDIR" | head -3)"
	fi
}

# --- 1. the same report, compressed or not --------------------------------------
# crash_null: gcore's core; crash_null.kcore: the kernel's own (what systemd-coredump
# stores), executable and libraries found from its NT_FILE and build-ids; abba: threads + locks
declare -A EXE=([crash_null.kcore]="--exe $D/crash_null.kexe")
for c in crash_null.core crash_null.kcore abba.core; do
	[ -f "$D/$c" ] || { fail "$c" "missing from mkcores.sh"; continue; }
	"$CS" --json ${EXE[$c]:-} "$D/$c" >"$T/$c.json" 2>"$T/$c.err" || { fail "$c plain" "$(head -c 300 "$T/$c.err")"; continue; }
	for tool in zstd lz4 xz gzip bzip2; do
		z=$(compress "$D/$c" "${c%%.*}" $tool)
		if "$CS" --json ${EXE[$c]:-} "$z" >"$T/z.json" 2>"$T/z.err"; then
			[ -s "$T/z.err" ] && fail "$c $tool stderr" "$(head -c 300 "$T/z.err")"
			same_report "$T/$c.json" "$T/z.json" "$D/$c" "$z" && ok "$c $tool: same report" \
				|| fail "$c $tool: same report" "reports differ"
		else
			fail "$c $tool" "exit $?: $(head -c 300 "$T/z.err")"
		fi
		tmp_clean && ok "$c $tool: TMPDIR clean" || fail "$c $tool: TMPDIR clean" "$(ls -A "$TMPDIR")"
	done
done
# the kernel-written core without --exe: the program is found from NT_FILE + build-id
z=$(compress "$D/crash_null.kcore" crash_null zstd)
"$CS" --json "$z" >"$T/nf.json" 2>/dev/null
python3 - "$T/nf.json" "$D/crash_null.kexe" <<'PY' && ok "kernel core .zst: executable from NT_FILE" || fail "kernel core .zst: executable from NT_FILE" "$(head -c 300 "$T/nf.json")"
import json, subprocess, sys
r = json.load(open(sys.argv[1]))
bid = subprocess.run(['readelf', '-n', sys.argv[2]], capture_output=True, text=True).stdout.split('Build ID:')[1].split()[0]
main = [m for m in r['modules'] if m['build_id'] == bid]
sys.exit(0 if main and r['crash'] and r['threads'] else 1)
PY
# the text report too
"$CS" "$z" >"$T/z.txt" 2>&1 && "$CS" "$D/crash_null.kcore" >"$T/k.txt" 2>&1
diff <(sed "s#$z#INPUT#g" "$T/z.txt") <(sed "s#$D/crash_null.kcore#INPUT#g" "$T/k.txt") >/dev/null \
	&& ok "text report equal" || fail "text report equal" "$(diff "$T/z.txt" "$T/k.txt" | head -5)"

# --- 2. a machine image: a real guest's QEMU dump, zstd ----------------------------
G=$("$ROOT/testdata/guest.sh" hang 2>/dev/null) || { fail guest "testdata/guest.sh hang failed"; finish; }
gz=$(compress "$G/qemu.elf" vmlinux zstd)
"$CS" --json --no-debuginfo "$G/qemu.elf" >"$T/g.json" 2>"$T/g.err" &&
	"$CS" --json --no-debuginfo "$gz" >"$T/gz.json" 2>"$T/gz.err" &&
	same_report "$T/g.json" "$T/gz.json" "$G/qemu.elf" "$gz" && ok "guest qemu.elf.zst: same kernel report" \
	|| fail "guest qemu.elf.zst" "$(head -c 300 "$T/g.err" "$T/gz.err")"
"$V2C" --info "$gz" >"$T/gi.txt" 2>&1 && "$V2C" --info "$G/qemu.elf" >"$T/pi.txt" 2>&1 &&
	diff <(sed "s#$gz (decompressed)#INPUT#g" "$T/gi.txt") <(sed "s#$G/qemu.elf#INPUT#g" "$T/pi.txt") >/dev/null \
	&& ok "vmss2core --info of qemu.elf.zst" || fail "vmss2core --info of qemu.elf.zst" "$(head -c 300 "$T/gi.txt")"
# vmss2core: a compressed checkpoint converts to the same core as the plain one
FX=$("$ROOT/testdata/fixtures.sh" small 2>/dev/null)
if [ -n "$FX" ] && [ -f "$FX/embed-bed2-scalar.vmss" ]; then
	vz=$T/cores/guest.vmss.xz
	xz -T0 -c "$FX/embed-bed2-scalar.vmss" >"$vz"
	"$V2C" -q -o "$T/plain.core" "$FX/embed-bed2-scalar.vmss" 2>"$T/v.err" &&
		"$V2C" -q -o "$T/xz.core" "$vz" 2>>"$T/v.err" && cmp -s "$T/plain.core" "$T/xz.core" \
		&& ok "vmss2core: .vmss.xz converts to the same core" || fail "vmss2core .vmss.xz" "$(head -c 300 "$T/v.err")"
	rm -f "$T/plain.core" "$T/xz.core"
	# RAM in a separate .vmem, named second; --info names the user's file, never the copy
	zstd -q -c "$FX/vmem-bad1-gpregs.vmss" >"$T/cores/vm.vmss.zst"
	"$V2C" --info "$T/cores/vm.vmss.zst" "$FX/vmem-bad1-gpregs.vmem" >"$T/vi.txt" 2>&1 &&
		grep -qF "file           $T/cores/vm.vmss.zst (decompressed)" "$T/vi.txt" && ! grep -q /proc/self "$T/vi.txt" \
		&& ok "vmss2core --info of .vmss.zst + .vmem" || fail "vmss2core --info .vmss.zst" "$(head -c 300 "$T/vi.txt")"
	tmp_clean && ok "vmss2core: TMPDIR clean" || fail "vmss2core: TMPDIR clean" "$(ls -A "$TMPDIR")"
else
	fail "vmss2core .vmss.xz" "no fixtures from testdata/fixtures.sh small"
fi

# --- 3. bad compressed data: one line, exit 2, nothing left -----------------------
for tool in zstd lz4 xz gzip bzip2; do
	z=$(compress "$D/crash_null.core" crash_null $tool)
	size=$(stat -c %s "$z")
	for cut in 2 3 10; do
		head -c $((size * (cut - 1) / cut)) "$z" >"$T/cores/trunc"
		mv "$T/cores/trunc" "$z.cut$cut"
		rc=0; "$CS" "$z.cut$cut" >/dev/null 2>"$T/e" || rc=$?
		one_line_error "$tool truncated at $((100 * (cut - 1) / cut))%" "$z.cut$cut" $rc "$T/e"
	done
	for at in 3 2; do
		cp "$z" "$z.bad$at"
		printf '\xff\x00\xff\x00\xff\x00\xff\x00' | dd of="$z.bad$at" bs=1 seek=$((size / at)) conv=notrunc 2>/dev/null
		rc=0; "$CS" "$z.bad$at" >/dev/null 2>"$T/e" || rc=$?
		one_line_error "$tool corrupted at 1/$at" "$z.bad$at" $rc "$T/e"
	done
	# the magic and nothing else
	head -c 6 "$z" >"$z.magic"
	rc=0; "$CS" "$z.magic" >/dev/null 2>"$T/e" || rc=$?
	one_line_error "$tool magic only" "$z.magic" $rc "$T/e"
	rc=0; "$V2C" -o "$T/out.core" "$z.cut2" >/dev/null 2>"$T/e" || rc=$?
	[ $rc = 2 ] && [ "$(wc -l <"$T/e")" = 1 ] && grep -qF "vmss2core: $z.cut2: offset 0x" "$T/e" && [ ! -e "$T/out.core" ] && tmp_clean \
		&& ok "vmss2core: $tool truncated" || fail "vmss2core: $tool truncated" "exit $rc: $(head -c 300 "$T/e")"
done
# content no reader takes; a tar archive is a bundle (compressed too): listed, nothing extracted
printf 'not a core\n' | zstd -q >"$T/cores/core.text.0.$BOOT.1.1.zst"
rc=0; "$CS" "$T/cores/core.text.0.$BOOT.1.1.zst" 2>"$T/e" >/dev/null || rc=$?
[ $rc = 2 ] && grep -q "zstd-compressed, but not a process core" "$T/e" && ok "compressed text: not a core" \
	|| fail "compressed text" "exit $rc: $(cat "$T/e")"
tar -C "$D" -cf "$T/cores/bundle.tar" crash_null.core
zstd -q -c "$T/cores/bundle.tar" >"$T/cores/bundle.tar.zst"
for f in bundle.tar bundle.tar.zst; do
	rc=0; "$CS" "$T/cores/$f" 2>"$T/e" >"$T/o" || rc=$?
	[ $rc = 0 ] && grep -q "^coresummary: $T/cores/$f (bundle, " "$T/o" && grep -q "^analysed: no checkpoint" "$T/o" && tmp_clean &&
		ok "coresummary $f: a bundle" || fail "coresummary $f" "exit $rc: $(cat "$T/e")"
	rc=0; "$V2C" --info "$T/cores/$f" 2>"$T/e" >"$T/o" || rc=$?
	[ $rc = 0 ] && grep -q "^bundle $T/cores/$f: archive, 0 hosts, 0 VMs, 1 file, 0 warnings" "$T/o" &&
		grep -q "^file crash_null.core: kind other, vm -, host -, $(stat -c %s "$D/crash_null.core") bytes, 1 piece" "$T/o" && tmp_clean && ok "vmss2core --info $f: a bundle's inventory" \
		|| fail "vmss2core --info $f" "exit $rc: $(cat "$T/e" "$T/o")"
done
# a $TMPDIR that cannot hold the copy: a system error (3), not a bad input
z=$(compress "$D/crash_null.core" crash_null zstd)
rc=0; TMPDIR=$T/nonexistent "$CS" "$z" 2>"$T/e" >/dev/null || rc=$?
[ $rc = 3 ] && grep -q "$T/nonexistent" "$T/e" && ok "missing TMPDIR: exit 3" || fail "missing TMPDIR" "exit $rc: $(cat "$T/e")"

# --- 4. the 1002-thread core: signals mid-decompression, memory ---------------------
MZ=$(compress "$D/many.core" many zstd)
# (a non-interactive shell starts background jobs with SIGINT ignored: env restores it)
for sig in INT TERM KILL; do
	env --default-signal=INT "$CS" --json "$MZ" >/dev/null 2>"$T/sig.err" &
	pid=$!
	seen=""
	# the copy lives in TMPDIR with no name: /proc shows it as deleted, ls shows nothing
	for i in $(seq 1 200); do
		if ls -l /proc/$pid/fd 2>/dev/null | grep -qF "$TMPDIR/"; then seen=1; break; fi
		sleep 0.02
	done
	named=$(ls -A "$TMPDIR")
	kill -$sig $pid 2>/dev/null
	wait $pid
	rc=$?
	if [ -n "$seen" ] && [ -z "$named" ] && [ $rc = $((128 + $(kill -l $sig))) ] && tmp_clean; then
		ok "SIG$sig while decompressing: killed, TMPDIR clean"
	else
		fail "SIG$sig while decompressing" "exit $rc; copy seen in TMPDIR: ${seen:-no}, named there: '$named', after: $(ls -A "$TMPDIR")"
	fi
done
# memory: the copy is streamed, never held - peak RSS within 64 MiB of the plain run
/usr/bin/time -f %M -o "$T/rss.plain" "$CS" --json "$D/many.core" >"$T/m.json" 2>/dev/null
/usr/bin/time -f %M -o "$T/rss.zst" "$CS" --json "$MZ" >"$T/mz.json" 2>/dev/null
rp=$(tail -1 "$T/rss.plain") rz=$(tail -1 "$T/rss.zst")
[ -n "$rp" ] && [ -n "$rz" ] && [ "$rz" -le $((rp + 65536)) ] && ok "many.core.zst: peak RSS ${rz} KiB vs ${rp} KiB plain" \
	|| fail "many.core.zst RSS" "${rz} KiB compressed vs ${rp} KiB plain"
same_report "$T/m.json" "$T/mz.json" "$D/many.core" "$MZ" && ok "many.core zstd: same report" || fail "many.core zstd" "reports differ"
# libarchive is loaded only for a compressed input: hidden (a private mount
# namespace binds /dev/null over it), a compressed core is one line naming the
# library, exit 3, and the plain core still gives its report
LA=$(readlink -f /lib/x86_64-linux-gnu/libarchive.so.13)
unshare -m sh -c "mount --bind /dev/null '$LA' && { '$CS' '$MZ' >'$T/nola.out' 2>'$T/nola.err'; echo \$? >'$T/nola.rc'; \
	'$CS' --json '$D/many.core' >'$T/nola.json' 2>'$T/nola.perr'; echo \$? >'$T/nola.prc'; }" 2>"$T/unshare.err"
if [ "$(cat "$T/nola.rc" 2>/dev/null)" = 3 ] && [ "$(wc -l <"$T/nola.err")" = 1 ] &&
	grep -q "^coresummary: $MZ: libarchive.so.13 (needed for zstd-compressed input) cannot be loaded: " "$T/nola.err"; then
	ok "no libarchive: compressed input exits 3 naming it"
else
	fail "no libarchive: compressed input" "rc $(cat "$T/nola.rc" 2>/dev/null) $(head -c 300 "$T/nola.err" "$T/unshare.err" 2>/dev/null)"
fi
[ "$(cat "$T/nola.prc" 2>/dev/null)" = 0 ] && same_report "$T/m.json" "$T/nola.json" "$D/many.core" "$D/many.core" \
	&& ok "no libarchive: plain core, same report" || fail "no libarchive: plain core" "$(head -c 300 "$T/nola.perr")"
tmp_clean && ok "TMPDIR clean at the end" || fail "TMPDIR clean at the end" "$(ls -A "$TMPDIR")"
finish
