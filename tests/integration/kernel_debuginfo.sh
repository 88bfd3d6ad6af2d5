#!/bin/bash
# coresummary on a kernel image with and without the vmlinux's DWARF: the same
# tasks, states and physical frames (names normalised) in both modes; DWARF
# adds file:line and inline frames; found by build-id through debuginfod when
# it is not on disk; a vmlinux with another build-id is ignored
# with a warning naming both ids; options of the other target kind are usage
# errors.  Loaded modules get their DWARF from a .ko whose build-id matches
# the one in guest memory (--debug-dir DIR/NAME.ko here): frames equal to
# eu-addr2line's on the same .ko, on 6.1 and 6.12; another build of the .ko
# is a warning, never used.
. "$(dirname "$0")/lib/common.sh"
CS=$BIN/coresummary
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
need_deps
G=$("$ROOT/testdata/guest.sh" small) || { fail guest "testdata/guest.sh small failed"; finish; }
D=$("$ROOT/testdata/proc/mkcores.sh") || { fail mkcores "testdata/proc/mkcores.sh failed"; finish; }
KVER=$(sed -n 's/^kver=//p' "$G/info")
VMLINUX=/usr/lib/debug/boot/vmlinux-$KVER
BUILD_ID=$(strings "$G/qemu.elf" | sed -n 's/^BUILD-ID=//p' | head -1)

run() {  # run NAME OUT ARGS...: exit 0 and valid JSON
	local n=$1 out=$2; shift 2
	if "$CS" --json "$@" >"$out" 2>"$T/err" && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out"; then
		ok "$n"
	else
		fail "$n" "$(head -3 "$T/err")"
	fi
}
run dwarf-mode "$T/dwarf.json" "$G/qemu.elf"
run memory-mode "$T/mem.json" --no-debuginfo "$G/qemu.elf"
run explicit-vmlinux "$T/explicit.json" --vmlinux "$VMLINUX" "$G/qemu.elf"

python3 - "$T/dwarf.json" "$T/mem.json" "$T/explicit.json" "$VMLINUX" <<'EOF'
import json, re, sys
dw, mem, ex = (json.load(open(p)) for p in sys.argv[1:4])
vmlinux = sys.argv[4]
norm = lambda f: re.sub(r"\.(constprop|isra|part|cold)(\.\d+)?$", "", f or "?")
def view(r):
    return [(t["tid"], t["task"], t["sched_state"], t["cpu"], [norm(f["function"]) for f in t["frames"]])
            for t in r["threads"]]
def check(name, cond, why=""):
    print(("ok " if cond else "FAIL ") + name + ("" if cond else ": " + why))
check("same-tasks-states-frames", view(dw) == view(mem), "DWARF and memory-only reports differ")
check("same-cpus", dw["cpus"] == mem["cpus"])
check("dwarf-source", dw["kernel"]["vmlinux"] == vmlinux and "DWARF" in dw["kernel"]["symbols"],
      str(dw["kernel"]["vmlinux"]))
check("memory-source", mem["kernel"]["vmlinux"] is None and mem["kernel"]["symbols"] == "kallsyms (guest memory)")
frames = [f for t in dw["threads"] for f in t["frames"] if f["module"] == "vmlinux"]
with_line = [f for f in frames if f["file"] and f["line"]]
check("dwarf-file-line", len(with_line) == len(frames) and frames,
      "%d of %d vmlinux frames have file:line" % (len(with_line), len(frames)))
sched = [f for f in frames if f["function"] == "__schedule"]
check("dwarf-inline-context_switch", sched and all(any(i["function"] == "context_switch" for i in f["inlines"]) for f in sched),
      "__schedule frames lack the inlined context_switch")
check("memory-no-file-line", not any(f["file"] or f["inlines"] for t in mem["threads"] for f in t["frames"]))
mod = [f for t in dw["threads"] for f in t["frames"] if f["module"] == "deadlock"]
check("module-frames-named", mod and all(f["function"] for f in mod), "module frames: %r" % mod[:2])
check("explicit-vmlinux-same", view(ex) == view(dw) and ex["kernel"]["vmlinux"] == vmlinux)
EOF

# A "vmlinux" of another build: a static ELF linked at the kernel's address, with its own build-id.
printf 'void _start(void) { for (;;) ; }\n' >"$T/fake.c"
cc -nostdlib -static -Wl,--build-id -Wl,-Ttext-segment=0xffffffff81000000 -o "$T/fake-vmlinux" "$T/fake.c" 2>"$T/cc.err" ||
	fail fake-vmlinux "$(head -2 "$T/cc.err")"
FAKE_ID=$(readelf -n "$T/fake-vmlinux" | sed -n 's/.*Build ID: //p')
run wrong-vmlinux "$T/wrong.json" --vmlinux "$T/fake-vmlinux" "$G/qemu.elf"
python3 - "$T/wrong.json" "$T/mem.json" "$FAKE_ID" "$BUILD_ID" <<'EOF'
import json, sys
w, mem = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
fake, real = sys.argv[3], sys.argv[4]
warn = [x for x in w["warnings"] if "ignored" in x]
ok = len(warn) == 1 and fake in warn[0] and real in warn[0] and w["kernel"]["vmlinux"] is None
print(("ok" if ok else "FAIL") + " wrong-vmlinux-warns-with-both-ids" + ("" if ok else ": %r" % w["warnings"]))
same = [t["frames"] for t in w["threads"]] == [t["frames"] for t in mem["threads"]]
print(("ok" if same else "FAIL") + " wrong-vmlinux-not-used" + ("" if same else ": frames differ from memory-only"))
EOF

# debuginfod: with no vmlinux on disk (an empty directory mounted over
# /usr/lib/debug/boot in a private mount namespace), the vmlinux is fetched by
# the guest kernel's build-id from a local debuginfod-style HTTP server.
mkdir -p "$T/dfd/buildid/$BUILD_ID" "$T/empty"
ln -s "$VMLINUX" "$T/dfd/buildid/$BUILD_ID/executable"
ln -s "$VMLINUX" "$T/dfd/buildid/$BUILD_ID/debuginfo"
python3 - "$T/dfd" "$T/dfd.port" <<'PY' >"$T/dfd.log" 2>&1 &
import functools, http.server, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h)
open(sys.argv[2], 'w').write(str(s.server_address[1]))
s.serve_forever()
PY
srv=$!
for i in $(seq 1 50); do [ -s "$T/dfd.port" ] && break; sleep 0.1; done
if unshare -m sh -c 'mount --bind "$1" /usr/lib/debug/boot && shift && exec "$@"' sh "$T/empty" \
	env DEBUGINFOD_URLS="http://127.0.0.1:$(cat "$T/dfd.port")" DEBUGINFOD_CACHE_PATH="$T/dfd.cache" \
	"$CS" --json "$G/qemu.elf" >"$T/dfd.json" 2>"$T/dfd.err"; then
	python3 - "$T/dfd.json" "$T/dwarf.json" <<'PY' && ok debuginfod-vmlinux || fail debuginfod-vmlinux "$(head -c 300 "$T/dfd.json")"
import json, sys
d, w = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sys.exit(0 if d["kernel"]["vmlinux"] == "debuginfod" and d["threads"] == w["threads"] else 1)
PY
else
	fail debuginfod-vmlinux "$(head -3 "$T/dfd.err")"
fi
grep -q "GET /buildid/$BUILD_ID/executable HTTP/1.1\" 200" "$T/dfd.log" && ok debuginfod-fetched-by-build-id ||
	fail debuginfod-fetched-by-build-id "$(tail -3 "$T/dfd.log")"
kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null

st() { "$@" >/dev/null 2>"$T/st.err"; echo $?; }
[ "$(st "$CS" --vmlinux "$T/nonexistent" "$G/qemu.elf")" = 2 ] && ok missing-vmlinux-exit-2 || fail missing-vmlinux-exit-2 "$(cat "$T/st.err")"
[ "$(st "$CS" --exe /bin/true "$G/qemu.elf")" = 1 ] && grep -q -- '--exe does not apply to a kernel image' "$T/st.err" &&
	ok exe-with-kernel-is-usage || fail exe-with-kernel-is-usage "$(cat "$T/st.err")"
[ "$(st "$CS" --vmlinux "$VMLINUX" "$D/abba.core")" = 1 ] && grep -q -- '--vmlinux does not apply to a process core' "$T/st.err" &&
	ok vmlinux-with-process-is-usage || fail vmlinux-with-process-is-usage "$(cat "$T/st.err")"
[ "$(st "$CS" --dmesg "$D/abba.core")" = 1 ] && ok dmesg-with-process-is-usage || fail dmesg-with-process-is-usage "$(cat "$T/st.err")"
# module DWARF: the ABBA waiter's frame in deadlock.ko, against eu-addr2line -i
moddw() {  # moddw LABEL GUESTDIR DEBUGDIR
	local label=$1 g=$2 dir=$3
	if ! "$CS" --json --no-debuginfo --debug-dir "$dir" "$g/qemu.elf" >"$T/m0.json" 2>"$T/err"; then
		fail "$label module dwarf" "exit $?: $(head -2 "$T/err")"; return
	fi
	"$CS" --json --debug-dir "$dir" "$g/qemu.elf" >"$T/m.json" 2>"$T/err" || { fail "$label module dwarf" "$(head -2 "$T/err")"; return; }
	local pid text off
	pid=$(sed -n 's/^dl_ab_pid=//p' "$g/info")
	text=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); t=[t for t in r["threads"] if t["tid"]==int(sys.argv[2])][0]
f=[f for f in t["frames"] if (f["module"] or "")=="deadlock"][0]; print(f["module_offset"], f["pc"])' "$T/m.json" "$pid")
	off=$(printf '0x%x' $(( ${text%% *} - 1 )))
	eu-addr2line -e "$g/deadlock.ko" -i -f -j .text "$off" >"$T/a2l" 2>&1
	python3 - "$T/m.json" "$T/a2l" "$pid" "$label" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1])); pid = int(sys.argv[3]); label = sys.argv[4]
lines = [l.strip() for l in open(sys.argv[2])]
# eu-addr2line -i -f: "func [inlined at ...]" / "file:line:col" pairs, innermost first
want = [(lines[i].split()[0], os.path.basename(lines[i + 1]).rsplit(":", 1)[0]) for i in range(0, len(lines) - 1, 2)]
t = [t for t in r["threads"] if t["tid"] == pid][0]
f = [f for f in t["frames"] if (f["module"] or "") == "deadlock"][0]
got = [(i["function"], "%s:%d" % (os.path.basename(i["file"]), i["line"])) for i in f["inlines"]]
got.append((f["function"], "%s:%d" % (os.path.basename(f["file"] or "?"), f["line"] or 0)))
ok = got == want and not any("module deadlock" in w for w in r["warnings"])
print(("ok " if ok else "FAIL ") + label + " module dwarf equals eu-addr2line" + ("" if ok else ": got %s want %s warnings %s" % (got, want, r["warnings"])))
PY
	python3 - "$T/m0.json" "$label" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
# --no-debuginfo: guest memory only, the .ko is not read
ok = all(not f["file"] for t in r["threads"] for f in t["frames"] if f["module"] == "deadlock")
print(("ok " if ok else "FAIL ") + sys.argv[2] + " --no-debuginfo reads no .ko")
PY
}
G61=$("$ROOT/testdata/guest.sh" hang) && moddw 6.1 "$G61" "$G61" || fail guest-6.1-hang "guest.sh failed"
G612=$(CK_KERNEL=6.12 "$ROOT/testdata/guest.sh" hang) && moddw 6.12 "$G612" "$G612" || fail guest-6.12-hang "guest.sh failed"
# another build of deadlock.ko (6.12's for the 6.1 guest): a warning naming both ids, no file:line
if [ -n "${G61:-}" ] && [ -n "${G612:-}" ] && "$CS" --json --debug-dir "$G612" "$G61/qemu.elf" >"$T/w.json" 2>"$T/err"; then
	python3 - "$T/w.json" <<'PY' && ok "module .ko of another build: warned, not used" || fail "module .ko of another build" "$(head -c 600 "$T/w.json" | tail -c 300)"
import json, sys
r = json.load(open(sys.argv[1]))
w = [x for x in r["warnings"] if "module deadlock" in x and "another build" in x]
sys.exit(0 if w and all(not f["file"] for t in r["threads"] for f in t["frames"] if f["module"] == "deadlock") else 1)
PY
fi
finish
