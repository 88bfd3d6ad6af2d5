#!/bin/bash
# Benchmark: coresummary on a Linux guest kernel image vs drgn and crash doing
# the same job ("stacks of the D-state tasks"), in the same run, warm cache,
# median of BENCH_RUNS (default 5) runs each, output to /dev/null.
# Input: the small guest (256 MiB, 2 vCPUs, testdata/guest.sh small; BENCH_SHAPE=hang
# for the hang-scenario guest, 3 vCPUs, 90 tasks, every verdict firing) converted
# to an ELF vmcore by vmss2core (drgn 0.0.22 cannot open QEMU's qemu.elf).
#   coresummary             text report, DWARF from the installed debug vmlinux
#   coresummary --no-debuginfo   guest memory only (kallsyms, BTF, ORC)
#   drgn -c CORE -s VMLINUX D.py   for_each_task + task_state_to_char == 'D'
#   crash -s VMLINUX CORE          `foreach UN bt` (vmlinux: crashfix-vmlinux.sh)
# Prints wall and CPU (user+sys) time, peak RSS (/usr/bin/time %M, which counts
# mapped file pages too) and the ratios coresummary/drgn (issue's target:
# <= 0.5 for wall and RSS).  drgn indexes DWARF on every core, so on an idle
# box its wall time is below its CPU time and the wall ratio depends on the
# load: read the CPU ratio too.  Then coresummary's phases, from --disable runs
# and from callgrind instruction counts.
# Each tool's answer is checked once against the guest's ground truth (the
# D-state pids in $G/info); timings are reported, never asserted.
# usage: bench/kernel.sh BINDIR
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "${1:-$ROOT/build/bin}" && pwd)
RUNS=${BENCH_RUNS:-5}
CS=$BIN/coresummary
for t in "$CS" "$BIN/vmss2core"; do
	[ -x "$t" ] || { echo "bench: $t not built" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
for t in drgn crash; do
	command -v $t >/dev/null || { echo "bench: $t missing (scripts/install-deps.sh)" >&2; exit 1; }
done
SHAPE=${BENCH_SHAPE:-small}
G=$("$ROOT/testdata/guest.sh" "$SHAPE")
KVER=$(sed -n 's/^kver=//p' "$G/info")
WANT=$(sed -n 's/^d_state_pids=//p' "$G/info" | tr ' ' '\n' | sort -n | xargs)
VMLINUX=/usr/lib/debug/boot/vmlinux-$KVER
[ -r "$VMLINUX" ] || { echo "bench: $VMLINUX missing (linux-image-$KVER-dbg)" >&2; exit 1; }
[ -n "$WANT" ] || { echo "bench: no d_state_pids in $G/info" >&2; exit 1; }
CRASH_VMLINUX=$(KVER=$KVER "$ROOT/testdata/crashfix-vmlinux.sh")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CORE=$TMP/$SHAPE.vmcore
"$BIN/vmss2core" -q -o "$CORE" "$G/qemu.elf"
cat >"$TMP/dstate.py" <<'EOF'
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.sched import task_state_to_char
for task in for_each_task(prog):
    if task_state_to_char(task) == 'D':
        print("PID:", task.pid.value_())
        print(prog.stack_trace(task))
EOF
printf 'foreach UN bt\nquit\n' >"$TMP/crash.cmds"

DRGN=(drgn -q -c "$CORE" -s "$VMLINUX" "$TMP/dstate.py")
CRASH=(crash -s "$CRASH_VMLINUX" "$CORE")

# Correctness once (also warms the page cache): each tool must name exactly the
# guest's D-state pids, else its timing would measure a failure.
cat "$CORE" "$VMLINUX" "$CRASH_VMLINUX" >/dev/null
pids() { sort -n | xargs; }
check() {	# check NAME GOT
	if [ "$2" = "$WANT" ]; then return 0; fi
	echo "bench: $1 found D-state pids '$2', the guest has '$WANT'" >&2
	exit 1
}
cs_pids() { "$CS" "$@" --all-threads "$CORE" 2>/dev/null | sed -n 's/^pid \([0-9]*\) "[^"]*" \[D\].*/\1/p' | pids; }
check "coresummary" "$(cs_pids)"
check "coresummary --no-debuginfo" "$(cs_pids --no-debuginfo)"
check "drgn" "$("${DRGN[@]}" 2>/dev/null | sed -n 's/^PID: \([0-9]*\)$/\1/p' | pids)"
check "crash" "$("${CRASH[@]}" <"$TMP/crash.cmds" 2>/dev/null | sed -n 's/^PID: *\([0-9]*\) .*/\1/p' | pids)"

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
# runN CMD... [< stdin via $STDIN]: "WALL CPU RSS_KIB WALLMIN WALLMAX" medians
runN() {
	local i
	: >"$TMP/all"
	for ((i = 0; i < RUNS; i++)); do
		/usr/bin/time -f '%e %U %S %M' -o "$TMP/time" "$@" <"${STDIN:-/dev/null}" >/dev/null 2>&1 ||
			{ echo "bench: failed: $*" >&2; exit 1; }
		cat "$TMP/time" >>"$TMP/all"
	done
	echo "$(awk '{print $1}' "$TMP/all" | median) $(awk '{print $2 + $3}' "$TMP/all" | median)" \
		"$(awk '{print $4}' "$TMP/all" | median)" \
		"$(awk '{print $1}' "$TMP/all" | sort -g | head -1) $(awk '{print $1}' "$TMP/all" | sort -g | tail -1)"
}
row() {	# row LABEL WALL CPU RSS MIN MAX
	printf '  %-30s %6.2f s %6.2f s %7.1f MiB   %.2f-%.2f s\n' "$1" "$2" "$3" "$(awk -v k="$4" 'BEGIN{print k / 1024}')" "$5" "$6"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }

printf 'kernel bench: %s, %s guest (%s MiB, %s vCPUs), vmcore %s on disk, %d runs each, load %s\n' \
	"$KVER" "$(sed -n 's/^shape=//p' "$G/info")" "$(sed -n 's/^mem_mb=//p' "$G/info")" \
	"$(sed -n 's/^vcpus=//p' "$G/info")" "$(du -h "$CORE" | cut -f1)" "$RUNS" \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  %-30s %8s %8s %11s   %s\n' tool "wall" "cpu" "peak RSS" "wall min-max"
read -r cs_w cs_c cs_m cs_lo cs_hi < <(runN "$CS" "$CORE")
row "coresummary (DWARF)" "$cs_w" "$cs_c" "$cs_m" "$cs_lo" "$cs_hi"
read -r nd_w nd_c nd_m nd_lo nd_hi < <(runN "$CS" --no-debuginfo "$CORE")
row "coresummary --no-debuginfo" "$nd_w" "$nd_c" "$nd_m" "$nd_lo" "$nd_hi"
read -r dr_w dr_c dr_m dr_lo dr_hi < <(runN "${DRGN[@]}")
row "drgn D-state stacks" "$dr_w" "$dr_c" "$dr_m" "$dr_lo" "$dr_hi"
read -r cr_w cr_c cr_m cr_lo cr_hi < <(STDIN=$TMP/crash.cmds runN "${CRASH[@]}")
row "crash foreach UN bt" "$cr_w" "$cr_c" "$cr_m" "$cr_lo" "$cr_hi"
echo "  ratios (issue's target: coresummary/drgn <= 0.50 for wall and RSS):"
printf '  %-30s wall %s  cpu %s  RSS %s   (vs crash: wall %s  RSS %s)\n' "coresummary/drgn" \
	"$(ratio "$cs_w" "$dr_w")" "$(ratio "$cs_c" "$dr_c")" "$(ratio "$cs_m" "$dr_m")" \
	"$(ratio "$cs_w" "$cr_w")" "$(ratio "$cs_m" "$cr_m")"
printf '  %-30s wall %s  cpu %s  RSS %s   (vs crash: wall %s  RSS %s)\n' "coresummary --no-debuginfo/drgn" \
	"$(ratio "$nd_w" "$dr_w")" "$(ratio "$nd_c" "$dr_c")" "$(ratio "$nd_m" "$dr_m")" \
	"$(ratio "$nd_w" "$cr_w")" "$(ratio "$nd_m" "$cr_m")"

# Phases with existing flags: each step enables one more analyzer
# (coresummary --list-analyzers).  The kernel target itself (kallsyms, BTF, ORC,
# task list) is built when the image is opened, whatever --disable says, so the
# first line is not a bare open.  Delta = CPU time minus the previous line's.
echo "coresummary phases by --disable (--no-debuginfo unless noted):"
printf '  %-38s %8s %8s %11s   %s\n' step "wall" "cpu" "peak RSS" "delta cpu"
prev=
phase() {	# phase LABEL ARGS...
	local label=$1 w c m lo hi
	shift
	read -r w c m lo hi < <(runN "$CS" "$@" "$CORE")
	printf '  %-38s %6.2f s %6.2f s %7.1f MiB   %s\n' "$label" "$w" "$c" \
		"$(awk -v k="$m" 'BEGIN{print k / 1024}')" \
		"$([ -n "$prev" ] && awk -v a="$c" -v b="$prev" 'BEGIN{printf "%+.2f s", a - b}')"
	prev=$c
}
phase "--disable kernel,klog,backtrace" --no-debuginfo --disable kernel,klog,backtrace
phase "+ kernel (release, vCPUs, states)" --no-debuginfo --disable klog,backtrace
phase "+ backtrace (ORC stacks of all tasks)" --no-debuginfo --disable klog
phase "+ klog (= --no-debuginfo)" --no-debuginfo
phase "+ vmlinux DWARF (= default)"
prev=
phase "--dmesg (log only)" --no-debuginfo --dmesg

# Phases by instruction count: one callgrind run per mode; unlike time, the
# counts do not depend on the machine's load.  Inclusive Ir of the functions
# that make up each phase (n/a: the function is not in this build's profile).
if [ "${BENCH_CALLGRIND:-1}" = 0 ] || ! command -v valgrind >/dev/null ||
	! command -v callgrind_annotate >/dev/null; then
	echo "coresummary phases by instructions: skipped (valgrind missing or BENCH_CALLGRIND=0)"
	exit 0
fi
PHASES=(target_open linux_kernel_detect kallsyms_load kallsyms_add_modules
	ktypes_open_btf_memory orc_add_vmlinux ktasks_read kernel_debuginfo_open
	kernel_moddebug_find cu_index_create analyzers_run kernel_run backtrace_run sym_lookup
	cu_index_lookup dwarf_getsrclines cu_index_getscopes cu_index_scopes_die dwfl_module_getsrc
	dwarf_getscopes dwfl_module_addrinfo dwarf_cfi_addrframe dwfl_getmodules klog_run render_text dwfl_end)
for mode in nodi dwarf; do
	args=(--no-debuginfo); [ $mode = dwarf ] && args=()
	valgrind -q --tool=callgrind --callgrind-out-file="$TMP/cg.$mode" \
		"$CS" "${args[@]}" "$CORE" >/dev/null 2>"$TMP/cg.$mode.err" ||
		{ echo "bench: callgrind of coresummary ${args[*]} failed" >&2; exit 1; }
	callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$TMP/cg.$mode" >"$TMP/cga.$mode" 2>/dev/null
done
echo "coresummary phases by instructions (callgrind, inclusive Ir, millions and % of the run):"
printf '  %-24s %20s %20s\n' function "--no-debuginfo" "DWARF (default)"
for f in TOTALS "${PHASES[@]}"; do
	line=$f
	for mode in nodi dwarf; do
		line="$line $(awk -v f="$f" '
			f == "TOTALS" && $NF == "TOTALS" { gsub(",", "", $1); t = $1 }
			f != "TOTALS" && $0 ~ (":" f "( |$)") && !seen { gsub(",", "", $1); v = $1; seen = 1 }
			$NF == "TOTALS" { gsub(",", "", $1); tot = $1 }
			END {
				if (f == "TOTALS") v = t
				if (v == "") printf "n/a"; else printf "%.1f(%.1f%%)", v / 1e6, 100 * v / tot
			}' "$TMP/cga.$mode")"
	done
	read -r name a b <<<"$line"
	printf '  %-24s %20s %20s\n' "$name" "$a" "$b"
done
