#!/bin/bash
# coresummary LOGFILE: every public log sample (testdata/log-samples) against
# the facts of its NOTE line and a reader's view (lib/logs_check.py); the
# cached guests' real serial consoles against their ground truth (the hung
# tasks the hang module reported, the pid that oopsed); text layout and
# --fail-on on logs.
. "$(dirname "$0")/lib/common.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
CS=$BIN/coresummary
python3 "$LIB/logs_check.py" "$CS" "$ROOT/testdata/log-samples" || FAILS=$((FAILS + 1))

# Real guest consoles (QEMU serial.log of the scenario guests).
G=$("$ROOT/testdata/guest.sh" hang) || { fail guest_hang "testdata/guest.sh hang failed"; finish; }
want=$(grep ^hung_task_reports= "$G/info" | cut -d= -f2)
"$CS" --json "$G/serial.log" >"$T/hang.json" 2>"$T/err" || fail serial_hang "exit $?: $(head -c 200 "$T/err")"
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(" ".join("%s:%d" % (e["comm"], e["pid"]) for e in d["events"] if e["kind"] == "hung-task"))' "$T/hang.json")
kinds=$(python3 -c 'import json,sys; print(" ".join(sorted(f["kind"] for f in json.load(open(sys.argv[1]))["findings"])))' "$T/hang.json")
kver=$(grep ^kver= "$G/info" | cut -d= -f2)
krel=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["logs"][0]["kernel"])' "$T/hang.json")
[ -n "$want" ] && [ "$got" = "$want" ] && ok serial_hang_tasks_equal_info || fail serial_hang_tasks_equal_info "got '$got' want '$want'"
case " $kinds " in *" hung "*) ok serial_hang_verdict_hung ;; *) fail serial_hang_verdict_hung "findings: $kinds" ;; esac
[ "$krel" = "$kver" ] && ok serial_hang_kernel_release || fail serial_hang_kernel_release "$krel vs $kver"
G=$("$ROOT/testdata/guest.sh" panic) || { fail guest_panic "testdata/guest.sh panic failed"; finish; }
opid=$(grep ^oops_pid= "$G/info" | cut -d= -f2)
"$CS" --json "$G/serial.log" >"$T/panic.json" 2>"$T/err" || fail serial_panic "exit $?: $(head -c 200 "$T/err")"
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
o=[e for e in d["events"] if e["kind"] == "oops"]; p=[e for e in d["events"] if e["kind"] == "panic"]
print(o[0]["pid"] if o else "-", len(p), "panic" in [f["kind"] for f in d["findings"]])' "$T/panic.json")
[ "$got" = "$opid 1 True" ] && ok serial_panic_oops_pid_equals_info || fail serial_panic_oops_pid_equals_info "got '$got' want oops pid $opid, 1 panic, panic finding"

# Text: the verdict, the problems newest first, then the timeline in time order.
S=$ROOT/testdata/log-samples
"$CS" "$S/lnx-10-rcu-stall-plus-soft-lockup-dmesg-T.log" >"$T/t.txt"
if grep -q '^lockup: ' "$T/t.txt" &&
	[ "$(sed -n '/^problems, newest first:/,/^$/p' "$T/t.txt" | grep -o '^  \[[^]]*\] [a-z-]*' | awk '{print $NF}' | tr '\n' ' ')" = "soft-lockup rcu-stall " ] &&
	[ "$(sed -n '/^== timeline/,$p' "$T/t.txt" | grep -o '^\[[^]]*\] [a-z-]*' | awk '{print $NF}' | tr '\n' ' ')" = "rcu-stall soft-lockup " ]; then
	ok text_problems_newest_first_then_timeline
else
	fail text_problems_newest_first_then_timeline "$(head -c 600 "$T/t.txt")"
fi
"$CS" "$S/vmx-18-cpu-reset-soft-vic.log" >"$T/r.txt"
grep -q '^no problem found' "$T/r.txt" && grep -q 'cpu-reset: CPU reset: soft' "$T/r.txt" &&
	ok text_soft_reset_no_problem || fail text_soft_reset_no_problem "$(head -c 400 "$T/r.txt")"

# Log findings have signatures; the report's is its main finding's (a PSOD: panic).
"$CS" --json "$S/vmk-01-psod-crashme-esxi6.log" >"$T/sig.json"
python3 - "$T/sig.json" <<'PY' && ok log_report_signature_is_the_panics || fail log_report_signature_is_the_panics "$(head -c 300 "$T/sig.json")"
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["kind"] == "panic"]
s = d["signature"]
sys.exit(0 if f and s and s["kind"] == "panic" and s["hash"] == f[0]["signature"]["hash"]
         and any("CrashMe" in x for x in s["frames"]) else 1)
PY

# --fail-on on logs: exit 4 only for a listed finding kind.
"$CS" --fail-on panic "$S/vmk-01-psod-crashme-esxi6.log" >/dev/null; rc=$?
"$CS" --fail-on hung,crash "$S/vmk-01-psod-crashme-esxi6.log" >/dev/null; rc2=$?
[ $rc = 4 ] && [ $rc2 = 0 ] && ok fail_on_log || fail fail_on_log "rc=$rc rc2=$rc2"
# Options of other targets are refused on a log.
"$CS" --vmlinux /dev/null "$S/vmx-18-cpu-reset-soft-vic.log" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q 'does not apply to a log' "$T/err" && ok log_rejects_vmlinux || fail log_rejects_vmlinux "rc=$rc $(cat "$T/err")"
finish
