#!/bin/bash
# The printk ring read by klog_read() (through tests/unit/test_klog_guest
# --dmesg) against Debian's crash on the same QEMU ELF dump of the small guest:
# crash's `log` and `log -m` (which read the ring with the vmlinux's DWARF)
# must print exactly the lines we print, levels included.
. "$(dirname "$0")/lib/common.sh"
need_deps
TESTS=${COREKIT_TESTS:-$ROOT/build/asan/tests}
G=$("$ROOT/testdata/guest.sh" small) || { fail klog_guest "testdata/guest.sh small failed"; finish; }
KVER=$(grep ^kver= "$G/info" | cut -d= -f2)
VMLINUX=/usr/lib/debug/boot/vmlinux-$KVER
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

printf 'log\nlog -m\nquit\n' | crash -s "$VMLINUX" "$G/qemu.elf" >"$T/crash.txt" 2>"$T/crash.err"
"$TESTS/test_klog_guest" --dmesg >"$T/ours.txt" 2>"$T/ours.err" &&
	"$TESTS/test_klog_guest" --dmesg --level >"$T/ours_m.txt" 2>>"$T/ours.err" ||
	{ fail klog_dmesg "test_klog_guest --dmesg failed: $(head -c 300 "$T/ours.err")"; finish; }
n=$(wc -l <"$T/ours.txt")
head -n "$n" "$T/crash.txt" >"$T/crash_log.txt"
tail -n +"$((n + 1))" "$T/crash.txt" >"$T/crash_log_m.txt"

if [ "$n" -gt 300 ] && cmp -s "$T/ours.txt" "$T/crash_log.txt"; then
	ok klog_equals_crash_log
else
	fail klog_equals_crash_log "$n lines; diff: $(diff "$T/ours.txt" "$T/crash_log.txt" | head -5 | tr '\n' '|')"
fi
if cmp -s "$T/ours_m.txt" "$T/crash_log_m.txt"; then
	ok klog_levels_equal_crash_log_m
else
	fail klog_levels_equal_crash_log_m "diff: $(diff "$T/ours_m.txt" "$T/crash_log_m.txt" | head -5 | tr '\n' '|')"
fi
# The multi-line record ("Unstable clock ...") keeps crash's indentation.
if grep -q '^               If you want to keep using the local clock' "$T/ours.txt"; then
	ok klog_continuation_indent
else
	fail klog_continuation_indent "no indented continuation line"
fi
# The event parser on crash's `log` text (continuation lines indented, no
# prefix) and on `log -m` text ("<3>" levels) finds what it finds in the ring:
# the module's three hung-task reports with their call traces.
"$TESTS/test_klog_guest" --events >"$T/ev_ring.txt" &&
	"$TESTS/test_klog_guest" --events "$T/crash_log.txt" >"$T/ev_crash.txt" &&
	"$TESTS/test_klog_guest" --events "$T/crash_log_m.txt" | sed 's/ line=[0-9]*//' >"$T/ev_crash_m.txt" ||
	fail klog_events_crash_log "test_klog_guest --events failed"
want=$(grep ^hung_task_reports= "$G/info" | cut -d= -f2)
got=$(sed -n 's/^hung-task .* pid=\([0-9]*\) comm=\([^ ]*\) .*/\2:\1/p' "$T/ev_ring.txt" | tr '\n' ' ' | sed 's/ $//')
if [ -n "$want" ] && [ "$got" = "$want" ] && [ "$(wc -l <"$T/ev_ring.txt")" -eq 3 ] &&
	cmp -s "$T/ev_ring.txt" "$T/ev_crash.txt" &&
	sed 's/ line=[0-9]*//' "$T/ev_ring.txt" | cmp -s - "$T/ev_crash_m.txt"; then
	ok klog_events_crash_log
else
	fail klog_events_crash_log "ring: '$got' want '$want'; $(diff "$T/ev_ring.txt" "$T/ev_crash.txt" | head -3 | tr '\n' '|')"
fi
finish
