#!/bin/bash
# guest_scenarios.sh - the hang and panic guests (testdata/guest.sh hang|panic,
# from the cache when built) carry complete, self-consistent ground truth:
#   * every DLTRUTH key is there; the 3-task cycle closes; hung-task and
#     soft-lockup reports name exactly the tasks that must (not) hang;
#   * lock addresses sit at deadlock.ko's own symbol distances (readelf);
#   * crash on the dump (qemu.elf) agrees: pids, task addresses, states (UN /
#     IN / RU), CPUs of the spinners and of the panicking task, mutex and rwsem
#     owners, semaphore count, completion, spinlock value, backtraces, PANIC;
#   * so does guest_memcheck.py, which reads qemu.elf itself (page-table walk
#     from VMCOREINFO, member offsets from the DWARF vmlinux via gdb).
# With CK_KERNEL=6.12 (fetches the kernel once if not in the cache) the same
# runs on the 6.12 guests, without crash: Debian's crash 8.0.2 cannot read
# 6.12 (module_core_size, mm_rss_stat_count, struct pid).  On 6.1 crash needs
# testdata/crashfix-vmlinux.sh's vmlinux.
set -u
ROOT=${COREKIT_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
CHECK="python3 $ROOT/tests/integration/guest_scenarios_check.py"
T=$(mktemp -d /tmp/guest_scenarios.XXXXXX)
trap 'rm -rf "$T"' EXIT
export CK_KERNEL=${CK_KERNEL:-}
for c in crash readelf python3 gdb; do
	command -v $c >/dev/null || { echo "FAIL setup: $c is missing (scripts/install-deps.sh)"; exit 1; }
done
sfx=${CK_KERNEL:+-$CK_KERNEL}

if [ -z "$CK_KERNEL" ]; then
	VMLINUX=$("$ROOT/testdata/crashfix-vmlinux.sh" 2>"$T/crashfix.err") ||
		{ echo "FAIL setup: crashfix-vmlinux.sh: $(tail -n 2 "$T/crashfix.err" | tr '\n' ' ')"; exit 1; }
fi
for shape in hang panic; do
	if ! G=$("$ROOT/testdata/guest.sh" $shape 2>"$T/$shape.err"); then
		echo "FAIL $shape$sfx build: $(tail -n 3 "$T/$shape.err" | tr '\n' ' ')"
		continue
	fi
	echo "ok $shape$sfx build"
	python3 "$ROOT/tests/integration/guest_memcheck.py" $shape "$G" 2>&1 | sed "s/^\(ok\|FAIL\) $shape /\1 $shape$sfx /"
	if [ -n "$CK_KERNEL" ]; then
		# no crash: the info and readelf checks only
		$CHECK check $shape "$G" - | sed "s/^\(ok\|FAIL\) $shape /\1 $shape$sfx /"
		continue
	fi
	$CHECK cmds $shape "$G" >"$T/$shape.cmds" || { echo "FAIL $shape$sfx cmds: info unreadable"; continue; }
	crash -s "$VMLINUX" "$G/qemu.elf" <"$T/$shape.cmds" >"$T/$shape.crash" 2>&1
	$CHECK check $shape "$G" "$T/$shape.crash" | sed "s/^\(ok\|FAIL\) $shape /\1 $shape$sfx /"
done

# the plain shapes keep their keys: small on this kernel has exactly the keys
# the module always printed (none of the hang/panic ones)
if G=$("$ROOT/testdata/guest.sh" small 2>"$T/small.err"); then
	keys=$(cut -d= -f1 "$G/info" | tr '\n' ' ')
	want="kver shape vcpus mem_mb machine cpu writer_blocks user_spin kernel_args hash kernel vmlinux_debug qemu cpu_modes built boot_seconds dump_seconds total_seconds lock_a lock_b dl_rwsem dl_ab_pid dl_ab_task dl_ba_pid dl_ba_task dl_writer_pid dl_writer_task dl_reader_pid dl_reader_task hung_task_reports d_state_pids "
	[ "$keys" = "$want" ] && echo "ok small$sfx info keys" || echo "FAIL small$sfx info keys: $keys"
	grep -q "^kver=${CK_KERNEL:-6.1.}" "$G/info" && echo "ok small$sfx kver" ||
		echo "FAIL small$sfx kver: $(grep ^kver= "$G/info")"
else
	echo "FAIL small$sfx build: $(tail -n 3 "$T/small.err" | tr '\n' ' ')"
fi
