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
finish
