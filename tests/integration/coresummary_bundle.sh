#!/bin/bash
# coresummary BUNDLE on vm-support bundles built from the real hung guest
# (testdata/bundle.sh hang): the report names the VM, the GuestRPC timeout and
# the guest kernel's deadlocks, checked against facts.json (the writer's record
# of members and planted log lines) and the guest's info file (its deadlock
# cycles: pids, comms, locks), in text and JSON, for the .tgz and the extracted
# directory (one VM with a checkpoint: no --vm), and with --vm for the .zip,
# the .tar.xz and the vCenter wrapper of the bundle with three VMs; --vm
# ambiguity; hostile bundles (testdata/hostile-bundles.py): a warning naming
# the member, the rest analysed, the filesystem untouched; SIGINT/SIGTERM
# while staging leaves nothing.
. "$(dirname "$0")/lib/common.sh"
CS=$BIN/coresummary
need_deps
BB=$("$ROOT/testdata/bundle.sh" hang --layout bench --order vmss-first) || { fail bundle_sh "bundle.sh hang --layout bench failed"; finish; }
BF=$("$ROOT/testdata/bundle.sh" hang) || { fail bundle_sh "bundle.sh hang failed"; finish; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export TMPDIR=$T/tmp
O=$T/o	# the test's own files, outside what the snapshots list
mkdir -p "$TMPDIR" "$T/work" "$O"
cd "$T/work" || exit 1
fact() { python3 -c 'import json,sys; f=json.load(open(sys.argv[1]+"/facts.json")); print(eval(sys.argv[2]))' "$1" "$2"; }
VM=$(fact "$BF" '[v["name"] for v in f["vms"] if v["checkpoint"] == "vmss+vmem"][0]')

# analyse LABEL BUNDLEDIR BUNDLE [--vm NAME]: text and JSON reports, checked
analyse() {
	local label=$1 dir=$2 b=$3; shift 3
	local rc=0 rc2=0
	"$CS" --no-debuginfo "$@" "$b" >"$T/$label.txt" 2>"$T/$label.err" || rc=$?
	"$CS" --no-debuginfo --json "$@" "$b" >"$T/$label.json" 2>>"$T/$label.err" || rc2=$?
	if [ $rc != 0 ] || [ $rc2 != 0 ]; then fail "$label" "exit $rc/$rc2: $(head -3 "$T/$label.err")"; return; fi
	python3 "$LIB/bundle_report_check.py" "$label" "$dir" "$T/$label.json" "$T/$label.txt" "$ROOT/docs/coresummary.md" ||
		FAILS=$((FAILS + 1))
}
analyse bundle_tgz "$BB" "$BB/$(fact "$BB" 'f["archives"]["tgz"]')"
analyse bundle_dir "$BB" "$BB/$(fact "$BB" 'f["archives"]["dir"]')"
analyse bundle_zip "$BF" "$BF/$(fact "$BF" 'f["archives"]["zip"]')" --vm "$VM"
analyse bundle_txz "$BF" "$BF/$(fact "$BF" 'f["archives"]["txz"]')" --vm "$VM"
analyse bundle_vcenter "$BF" "$BF/$(fact "$BF" 'f["archives"]["vc"]')" --vm "$VM"

# several VMs with checkpoints and no --vm: nothing analysed, both named, exit 1
TGZ=$BF/$(fact "$BF" 'f["archives"]["tgz"]')
rc=0; "$CS" "$TGZ" >"$T/amb.out" 2>"$T/amb.err" || rc=$?
want=$(fact "$BF" '" ".join(sorted(v["name"] for v in f["vms"] if v["checkpoint"]))')
named=1; for v in $want; do grep -qF "$v (" "$T/amb.err" || named=0; done
[ $rc = 1 ] && [ $named = 1 ] && grep -q -- "--vm" "$T/amb.err" && [ ! -s "$T/amb.out" ] && ok bundle_several_checkpoints_exit1 ||
	fail bundle_several_checkpoints_exit1 "rc $rc: $(head -2 "$T/amb.err")"
rc=0; "$CS" --vm no-such-vm "$TGZ" >/dev/null 2>"$T/amb.err" || rc=$?
[ $rc = 1 ] && grep -q "no VM named 'no-such-vm'" "$T/amb.err" && ok bundle_vm_unknown_exit1 || fail bundle_vm_unknown_exit1 "rc $rc: $(cat "$T/amb.err")"
rc=0; "$CS" --vm "$VM" "$BB/orig/"*.vmss >/dev/null 2>"$T/amb.err" || rc=$?
[ $rc = 1 ] && grep -q -- "--vm goes with a BUNDLE" "$T/amb.err" && ok bundle_vm_needs_bundle || fail bundle_vm_needs_bundle "rc $rc: $(cat "$T/amb.err")"
# a VM without a checkpoint: its bundle's logs and their verdict (the toolbox-dnd timeout alone is no problem)
NOCPT=$(fact "$BF" '[v["name"] for v in f["vms"] if not v["checkpoint"]][0]')
rc=0; "$CS" --json --vm "$NOCPT" "$TGZ" >"$T/nocpt.json" 2>"$T/nocpt.err" || rc=$?
python3 - "$T/nocpt.json" "$BF" <<'PY' && [ $rc = 0 ] && ok bundle_vm_without_checkpoint || fail bundle_vm_without_checkpoint "rc $rc $(head -2 "$T/nocpt.err")"
import json, sys
r = json.load(open(sys.argv[1])); f = json.load(open(sys.argv[2] + "/facts.json"))
b = r["bundle"]
planted = {(e["file"], e["line_no"]) for e in f["events"]}
got = {(e["source"].split(f["root"] + "/", 1)[-1], e["line_no"]) for e in r["events"]}
assert r["target"] == "bundle" and b["analysed"] is None and b["not_analysed"] and r["kernel"] is None, b
assert planted <= got, planted - got
assert [x["kind"] for x in r["findings"]] == ["tools"], r["findings"]
PY

# hostile bundles: each is analysed (its legit vmkernel.log read), warns naming the member, touches nothing
python3 "$ROOT/testdata/hostile-bundles.py" "$T/hostile" >/dev/null || fail hostile "hostile-bundles.py failed"
# what a hostile name aims at: the working and staging directories and their parent (the manifest's
# must_not_exist paths are checked one by one: /tmp is shared with other runs)
snap() { find "$T" -maxdepth 1 -printf '%p %y\n'; find "$T/work" "$TMPDIR" -printf '%p %s %y\n'; }
python3 -c 'import json,sys; [print(c["case"], c["archive"]) for c in json.load(open(sys.argv[1]))["cases"]]' "$T/hostile/manifest.json" |
while read -r c a; do
	snap >"$O/before"
	rc=0; "$CS" --json "$T/hostile/$a" >"$O/h.json" 2>"$O/h.err" || rc=$?
	snap >"$O/after"
	why=$(python3 - "$O/h.json" "$T/hostile/manifest.json" "$c" "$T/work" "$TMPDIR" <<'PY'
import json, os, re, sys
r = json.load(open(sys.argv[1])); c = [x for x in json.load(open(sys.argv[2]))["cases"] if x["case"] == sys.argv[3]][0]
b = r["bundle"]
text = "\n".join(b["warnings"]) + "\n" + json.dumps(b)
def base(n):
    n = re.split(r"[/\\]", n.rstrip("/"))[-1]
    return re.sub(r"\.FRAG-\d+$", "", n)
# a member under a hostile link is only a name here (nothing is extracted): the link's warning is the one
links = [h for h in c["hostile"] if c["kind"] == "symlink-escape" and "/" in h]
miss = [h for h in c["hostile"] if base(h) not in text and not any(h.startswith(l + "/") for l in links)]
made = [p for p in c["must_not_exist"] for d in sys.argv[4:6] if os.path.lexists(os.path.join(d, p))]
if made:
    print("created", made)
elif miss:
    print("no warning names", miss)
elif not [l for l in r["logs"] if l["source"].endswith("var/run/log/vmkernel.log")] and \
        any(l.endswith("var/run/log/vmkernel.log") for l in c["legit"]):
    print("legit vmkernel.log not read; warnings", b["warnings"][:3])
PY
)
	if [ $rc != 0 ]; then fail "bundle_hostile_$c" "exit $rc: $(head -2 "$O/h.err")"
	elif [ -n "$why" ]; then fail "bundle_hostile_$c" "$why"
	elif ! cmp -s "$O/before" "$O/after"; then fail "bundle_hostile_$c" "filesystem changed: $(diff "$O/before" "$O/after" | head -3)"
	else ok "bundle_hostile_$c"; fi
	# the report's exit is the shell's; FAILS of this subshell are counted by the marker below
done | tee "$T/hostile.out"
grep -q '^FAIL' "$T/hostile.out" && FAILS=$((FAILS + 1))

# interrupted while staging the checkpoint: nothing left in $TMPDIR or the working directory
for sig in INT TERM; do
	snap >"$O/before"
	# a background job of a script ignores SIGINT: give the program the default action back
	python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
		"$CS" --json --vm "$VM" "$TGZ" >/dev/null 2>&1 &
	pid=$!
	staged=0
	for _ in $(seq 1 2000); do
		# a staged copy is an unnamed file in $TMPDIR held open by the process
		if ls -l /proc/$pid/fd 2>/dev/null | grep -q "$TMPDIR/"; then staged=1; break; fi
		kill -0 $pid 2>/dev/null || break
		sleep 0.01
	done
	kill -$sig $pid 2>/dev/null
	rc=0; wait $pid || rc=$?
	snap >"$O/after"
	if [ $staged = 1 ] && [ $rc -gt 128 ] && cmp -s "$O/before" "$O/after"; then ok "bundle_interrupted_$sig"
	else fail "bundle_interrupted_$sig" "staged $staged, exit $rc, $(diff "$O/before" "$O/after" | head -3)"; fi
done
finish
