#!/bin/bash
# The test data of the bundle readers (testdata/bundle.sh, hostile-bundles.py)
# checked against independent tools and data: tar/xz/unzip/gzip listings in
# the recorded member order, xmllint on vmInventory.xml, `cat` of the FRAG
# pieces = the original checkpoint files (cmp; the .vmem = the fixture's),
# vmssread.py on the reassembled checkpoints against the guests' RAM and
# registers, the deadlocked pids against the guest's info and console,
# `coresummary LOGFILE` finding exactly the planted events on their lines,
# the log times against the guest's power-on and stop; the hostile archives
# as tar/unzip see them.  BUNDLE_SHAPE (default small; hang is the one the
# bundle analysis tests use) picks the guest.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
SHAPE=${BUNDLE_SHAPE:-small}
for t in xmllint unzip xz; do
	command -v $t >/dev/null || apt-get install -y -qq libxml2-utils unzip xz-utils >/dev/null 2>&1 || { fail deps "apt-get install $t failed"; finish; }
done
B=$("$ROOT/testdata/bundle.sh" "$SHAPE" 2>"$T/err") || { fail bundle_full "bundle.sh $SHAPE: $(tail -3 "$T/err")"; finish; }
mkdir "$T/full"
python3 "$LIB/bundle_check.py" "$BIN/coresummary" "$ROOT" "$B" "$T/full" || FAILS=$((FAILS + 1))
# the streaming order in the small layout
B2=$("$ROOT/testdata/bundle.sh" "$SHAPE" --layout bench --order vmss-first 2>"$T/err") ||
	{ fail bundle_bench "bundle.sh $SHAPE --layout bench --order vmss-first: $(tail -3 "$T/err")"; finish; }
mkdir "$T/bench"
python3 "$LIB/bundle_check.py" "$BIN/coresummary" "$ROOT" "$B2" "$T/bench" || FAILS=$((FAILS + 1))
# options are checked before anything is built
"$ROOT/testdata/bundle.sh" "$SHAPE" --frag-size 1000 >/dev/null 2>"$T/err"; rc=$?
"$ROOT/testdata/bundle.sh" "$SHAPE" --order sideways >/dev/null 2>&1; rc2=$?
[ $rc = 1 ] && [ $rc2 = 1 ] && grep -q 'multiple of 4096' "$T/err" && ok bundle_sh_bad_options || fail bundle_sh_bad_options "rc $rc $rc2"
python3 "$LIB/hostile_check.py" "$ROOT" "$T" || FAILS=$((FAILS + 1))
finish
