#!/bin/bash
# vmss2core on the test data another engineer made for issue 9, whose facts
# this reader never saw while written: testdata/bundle.sh small (an ESXi
# bundle around the small guest's checkpoint in 1 MiB FRAG pieces, .vmem
# pieces before the .vmss, a second VM suspended into a .vmss.gz with its RAM
# embedded; as .tgz, .tar.xz, .zip, the extracted directory, a vCenter
# bundle holding it, and that vCenter bundle in FRAG pieces) against its
# facts.json; the VMs' cores against their guests' raw RAM (cmp_phys.py);
# and testdata/hostile-bundles.py's 16 hostile archives against their
# manifest.json: a warning naming each hostile member, every legit member
# listed, none of the must_not_exist paths created.
. "$(dirname "$0")/lib/common.sh"
V=$BIN/vmss2core
need_deps
B=$("$ROOT/testdata/bundle.sh" small) || { fail bundle-data "testdata/bundle.sh small failed"; finish; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export TMPDIR=$T/tmp
OUT=$T/out
mkdir -p "$TMPDIR" "$OUT"
F=$B/facts.json
fact() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$F" "$1"; }
ROOTDIR=$(fact 'd["root"]')
TGZ=$(fact 'd["archives"]["tgz"]')
VC=$(fact 'd["archives"]["vc"]')
G1=$(fact 'd["vms"][0]["guest"]["guest_dir"]')
VM1=$(fact 'd["vms"][0]["name"]')
VM2=$(fact '[v for v in d["vms"] if v["checkpoint"] == "vmss.gz"][0]["name"]')
G2=$(fact '[v for v in d["vms"] if v["checkpoint"] == "vmss.gz"][0]["guest"]["guest_dir"]')

# the inventory, each form
inventory() {  # inventory NAME BUNDLE PREFIX
	local rc=0
	"$V" --info "$2" >"$T/$1.txt" 2>"$T/$1.err" || rc=$?
	[ $rc = 0 ] && [ ! -s "$T/$1.err" ] || { fail "$1" "exit $rc: $(head -3 "$T/$1.err")"; return; }
	python3 "$LIB/bundle_facts.py" "$F" "$T/$1.txt" "$3" "$1"
}
inventory inventory-tgz "$B/$TGZ" "$ROOTDIR/"
inventory inventory-txz "$B/$(fact 'd["archives"]["txz"]')" "$ROOTDIR/"
inventory inventory-zip "$B/$(fact 'd["archives"]["zip"]')" "$ROOTDIR/"
inventory inventory-dir "$B/$(fact 'd["archives"]["dir"]')" ""
inventory inventory-vcenter "$B/$VC" "$TGZ/$ROOTDIR/"
inventory inventory-vcenter-frag-dir "$B/vc-frag" "$VC/$TGZ/$ROOTDIR/"

# the cores
convert() {  # convert NAME BUNDLE VM GUESTDIR
	local rc=0
	"$V" -q --vm "$3" -o "$OUT/$1.core" "$2" 2>"$T/$1.err" || rc=$?
	if [ $rc = 0 ] && python3 "$LIB/cmp_phys.py" "$OUT/$1.core" "$4" >"$T/cmp" 2>&1 &&
		[ "$(ls -A "$OUT" "$TMPDIR" | grep -v ':$' | grep .)" = "$1.core" ]; then
		ok "$1 ($(cat "$T/cmp"))"
	else
		fail "$1" "exit $rc: $(head -3 "$T/$1.err") $(cat "$T/cmp" 2>/dev/null) $(ls -A "$OUT" "$TMPDIR")"
	fi
	rm -f "$OUT/$1.core"
}
convert convert-tgz "$B/$TGZ" "$VM1" "$G1"
convert convert-dir "$B/$(fact 'd["archives"]["dir"]')" "$VM1" "$G1"
convert convert-txz "$B/$(fact 'd["archives"]["txz"]')" "$VM1" "$G1"
convert convert-zip "$B/$(fact 'd["archives"]["zip"]')" "$VM1" "$G1"
convert convert-vcenter "$B/$VC" "$VM1" "$G1"
convert convert-vcenter-frag-dir "$B/vc-frag" "$VM1" "$G1"
# the .vmss.gz with its RAM embedded (the healthy guest)
convert convert-vmss-gz-embedded "$B/$TGZ" "$VM2" "$G2"
# two VMs have a checkpoint: no --vm names both
rc=0; "$V" -o "$OUT/x.core" "$B/$TGZ" 2>"$T/err" || rc=$?
[ $rc = 1 ] && grep -q "2 VMs have a checkpoint: $VM1 (.*), $VM2 (.*) (choose one with --vm NAME)" "$T/err" &&
	ok vm-choice-names-both || fail vm-choice-names-both "exit $rc: $(cat "$T/err")"

# the hostile archives
H=$T/hostile
mkdir -p "$H/a/b/work"
python3 "$ROOT/testdata/hostile-bundles.py" "$H/data" >/dev/null 2>&1 || { fail hostile-data "hostile-bundles.py failed"; finish; }
python3 - "$H/data/manifest.json" >"$T/cases" <<'EOF'
import json, sys
for c in json.load(open(sys.argv[1]))["cases"]:
    print(c["case"], c["archive"])
EOF
while read -r case archive; do
	cd "$H/a/b/work" || exit 1
	rc=0; timeout 120 "$V" --info "$H/data/$archive" >"$T/h.txt" 2>"$T/h.err" || rc=$?
	cd "$ROOT" || exit 1
	python3 - "$H/data/manifest.json" "$case" "$T/h.txt" "$T/h.err" "$H/a/b/work" "$rc" <<'EOF'
import json, os, re, sys
man, case, out, err, work, rc = sys.argv[1:7]
c = [x for x in json.load(open(man))["cases"] if x["case"] == case][0]
listing, warnings = open(out).read(), open(err).read()
bad = []
if rc != "0":
    bad.append("exit " + rc)
if any(not l.startswith("vmss2core: warning: ") for l in warnings.splitlines()):
    bad.append("a stderr line that is not one warning")
for h in c["hostile"]:
    forms = {h, h.replace("\\", "/"), re.sub(r"\.FRAG-\d+$", "", h)}
    if not any("member " + f in warnings or ": " + f + ": " in warnings or "link " + f + ";" in warnings
               for f in forms):
        bad.append("no warning names " + h)
for l in c["legit"]:
    if "\nfile " + l + ": " not in "\n" + listing:
        bad.append("legit member not listed: " + l)
for p in c["must_not_exist"]:
    if os.path.lexists(p if os.path.isabs(p) else os.path.join(work, p)):
        bad.append("created: " + p)
print(("FAIL hostile-%s: %s" % (case, "; ".join(bad))) if bad else "ok hostile-" + case)
EOF
done <"$T/cases"
left=$(find "$H/a" "$TMPDIR" -mindepth 1 ! -path "$H/a/b" ! -path "$H/a/b/work")
[ -z "$left" ] && ok hostile-nothing-written || fail hostile-nothing-written "$left"
finish
