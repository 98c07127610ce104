#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fault-injection sweep, run inside the debug guest by make check-debug
# (tests/provision/debug-kernel.sh: CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC,
# CONFIG_FAULT_INJECTION_DEBUG_FS). For each path into the module (load,
# open, mmap, read, write and each ioctl) it makes the call with
# /proc/self/fail-nth = 1, 2, 3, ... (the Nth slab or page allocation of the
# call fails, once), until a call runs with nothing injected. After each
# injected failure:
#   - the call returned (success or an errno), without a crash or a kernel
#     splat (BUG, WARNING, KASAN, UBSAN, lockdep...) beyond the injection's
#     own stack dump;
#   - a failed load left nothing registered: no /sys/module/mmio_shm, no
#     /dev/mmio_shm* and no misc class device;
#   - no open file or mapping is left counted (sysfs open_files, mappings);
#   - the module unloads (nothing holds it), loads again and works: open,
#     mmap, write and read back, on every device.
# Each injection's stack (failslab/fail_page_alloc verbose=2) is looked at:
# did the failed allocation come from mmio_shm's code? Allocations made with
# __GFP_NOWARN (those with a fallback: kvmalloc's first try) fail without
# a dump, so "logged" can be lower than "injected". What the failures
# leaked, tests/shell/kmemleak.sh finds afterwards.
#
# Output is TAP: one test point per path, then a table of the counts. A
# path into which nothing was injected passes (read, write... allocate
# nothing), but the load must have been injected into, in mmio_shm's own
# code too: otherwise the injection is not working and every zero is void.
# The whole kernel log of the sweep goes to LOG_DIR/faultinject-dmesg.log.
# The sweep empties the kernel log to read each injection's part of it, so
# it scans what it empties itself: the log before it (with the splat
# patterns run-suite.sh uses) and each injection's. At the end it writes
# "mmio_shm-test: log scanned by sweep.sh" to it, from which run-suite.sh
# scans on.
#
# Usage: sweep.sh [MODULE.ko [FI_CALL [LOG_DIR]]]
#   (defaults: $MMIO_SHM_KO, $MMIO_SHM_BUILD/faultinject/fi_call,
#   $MMIO_SHM_BUILD/logs/debug)
# Environment: FI_PATHS (default: all), FI_SIZE (buffer size parameter,
# default 8K: each page of the buffer adds injection points to the load),
# FI_DEVICES (default 2: the second device fails after the first was set
# up, and the unwind must take that one down),
# FI_MAX (highest N tried per path, default 3000).

set -u

BUILD=${MMIO_SHM_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
KO=${1:-${MMIO_SHM_KO:?no module: pass MODULE.ko}}
FI=${2:-$BUILD/faultinject/fi_call}
LOGDIR=${3:-$BUILD/logs/debug}
PATHS=${FI_PATHS:-insmod open mmap read write info resize zero notify wait bind}
SIZE=${FI_SIZE:-8K}
DEVICES=${FI_DEVICES:-2}
MAX=${FI_MAX:-3000}
# SPLAT_REPORT: what the log must not hold besides the injections' own dumps
# shellcheck source=tests/runner/splat.sh
. "$(dirname "$0")/../runner/splat.sh"
DBG=/sys/kernel/debug
DEV=/dev/mmio_shm
KLOG=$LOGDIR/faultinject-dmesg.log

passed=0
failed=0
n=0
summary=""

mkdir -p "$LOGDIR"
[ -e "$DBG/failslab" ] || mount -t debugfs debugfs "$DBG" 2>/dev/null

echo "TAP version 13"
# shellcheck disable=SC2086
set -- $PATHS
echo "1..$#"

if [ ! -e /proc/self/fail-nth ] || [ ! -d "$DBG/failslab" ] ||
   [ ! -d "$DBG/fail_page_alloc" ]; then
	echo "Bail out! no fault injection here (needs failslab, fail_page_alloc, fail-nth)"
	exit 1
fi

# Only fail-nth injects (probability 0), into every allocation: by default
# both ignore allocations that may sleep, which are nearly all of them.
for f in failslab fail_page_alloc; do
	echo 0 >"$DBG/$f/probability"
	echo N >"$DBG/$f/ignore-gfp-wait"
	echo 2 >"$DBG/$f/verbose"
done
echo N >"$DBG/failslab/cache-filter"
echo N >"$DBG/fail_page_alloc/ignore-gfp-highmem"
echo 0 >"$DBG/fail_page_alloc/min-order"

# what came before: kept, and scanned here, since it is emptied now
dmesg >"$LOGDIR/faultinject-dmesg-before.log"
dmesg -C
: >"$KLOG"
before_splat=$(grep -E "$SPLAT" "$LOGDIR/faultinject-dmesg-before.log" | head -n 3)

# the module's state between calls (few processes: under TCG and KASAN
# every exec counts)
loaded() { [ -e /sys/module/mmio_shm ]; }
load() { "$FI" - insmod "$KO" "size=$SIZE devices=$1" >/dev/null; }
unload() { ! loaded || "$FI" - rmmod mmio_shm >/dev/null; }
leftovers() {
	local what="" p
	loaded && what="$what /sys/module/mmio_shm"
	for p in /dev/mmio_shm* /sys/class/misc/mmio_shm*; do
		[ -e "$p" ] && what="$what $p"
	done
	echo "$what"
}

# Usage: use_all DEVICES: every device opens, maps, writes and reads back
use_all() {
	local i nodes=("$DEV")
	for ((i = 1; i < $1; i++)); do
		nodes+=("$DEV$i")
	done
	"$FI" "$DEV" use "${nodes[@]:1}" >/dev/null ||
		echo "open, mmap, write, read back failed on ${nodes[*]}"
}

# Usage: check_counts: no open file or mapping left counted on device 0
check_counts() {
	local a v
	for a in open_files mappings; do
		v=""
		read -r v <"/sys/class/misc/mmio_shm/$a"
		[ "$v" = 0 ] || { echo "$a is '$v' after the call"; return 1; }
	done
}

for path in $PATHS; do
	n=$((n + 1))
	injected=0
	logged=0
	reached=0
	bad=0
	last=0
	args=()
	devices=1
	case "$path" in
	insmod) args=(insmod "$KO" "size=$SIZE devices=$DEVICES"); devices=$DEVICES ;;
	# grow: the ioctl that allocates (each page of the new size)
	resize) args=(resize 65536) ;;
	*) args=("$path") ;;
	esac

	unload
	if [ "$path" != insmod ] && ! load 1; then
		echo "not ok $n faultinject $path # cannot load the module"
		failed=$((failed + 1))
		continue
	fi

	for ((nth = 1; nth <= MAX; nth++)); do
		echo "mmio_shm-faultinject: $path nth=$nth" >/dev/kmsg
		out=$("$FI" -n "$nth" "$DEV" "${args[@]}" 2>&1)
		rc=$?

		why=""
		case "$out" in
		*injected=yes*)
			injected=$((injected + 1))
			[ "$rc" -le 1 ] || why="rc $rc: $out"
			;;
		*injected=no*)
			# fewer than nth injection points: the sweep of this path is done
			[ "$rc" -eq 0 ] || why="failed with nothing injected (rc $rc): $out"
			last=$nth
			;;
		*)
			why="no result (rc $rc${out:+: $out})"
			;;
		esac

		# the state the call left: nothing half set up, the module usable
		if [ -z "$why" ] && [ "$path" = insmod ] && [ "$rc" -eq 1 ]; then
			left=$(leftovers)
			[ -z "$left" ] || why="failed load left$left"
			load "$devices" || why="${why:+$why; }cannot load the module after it"
		elif [ -z "$why" ] && [ "$path" != insmod ]; then
			why=$(check_counts)
		fi
		[ -n "$why" ] || why=$(use_all "$devices")
		if [ -z "$why" ]; then
			if ! unload; then
				why="rmmod fails: something still holds the module"
			elif left=$(leftovers) && [ -n "$left" ]; then
				why="unload left$left"
			elif [ "$path" != insmod ] && ! load 1; then
				why="cannot load the module again"
			fi
		fi

		# the injection's own stack dump (verbose=2) ends at </TASK>;
		# allocations with __GFP_NOWARN fail without one
		klog=$(dmesg -c)
		{ echo "=== $path nth=$nth rc=$rc: $out"; echo "$klog"; } >>"$KLOG"
		if [[ $out == *injected=yes* && $klog == *"FAULT_INJECTION: forcing a failure"* ]]; then
			logged=$((logged + 1))
			stack=${klog#*FAULT_INJECTION: forcing a failure}
			stack=${stack%%</TASK>*}
			[[ $stack != *"[mmio_shm]"* ]] || reached=$((reached + 1))
		fi
		if [[ $klog =~ $SPLAT_REPORT ]]; then
			splat=$(echo "$klog" | grep -E "$SPLAT_REPORT" | head -n 3 | tr '\n' ' ')
			why="${why:+$why; }kernel log: $splat"
		fi

		if [ -n "$why" ]; then
			bad=$((bad + 1))
			echo "# $path nth=$nth: $why"
			# a module in an unknown state: start it afresh
			unload 2>/dev/null
			[ "$path" = insmod ] || load 1 2>/dev/null
		fi
		[ "$last" -eq 0 ] || break
	done

	line="$path: $injected injected, $logged logged, $reached reached mmio_shm"
	summary="$summary
# $(printf '%-7s %8d %8d %8d %8d' "$path" "$injected" "$logged" "$reached" "$bad")"
	echo "# $line"
	if [ "$last" -eq 0 ]; then
		echo "not ok $n faultinject $path # still injecting at nth=$MAX (FI_MAX)"
		failed=$((failed + 1))
	elif [ "$bad" -ne 0 ]; then
		echo "not ok $n faultinject $path # $bad of $nth calls went wrong"
		failed=$((failed + 1))
	elif [ "$path" = insmod ] && { [ "$injected" -eq 0 ] || [ "$reached" -eq 0 ]; }; then
		# a load allocates, in the loader and in mmio_shm's init: a sweep
		# that injected nothing there, or never saw a stack in the
		# module, proves nothing about the other paths' zeroes either
		echo "not ok $n faultinject $path # $injected injected, $reached reached mmio_shm: the injection does not reach the load's allocations"
		failed=$((failed + 1))
	else
		echo "ok $n faultinject $path # $line"
		passed=$((passed + 1))
	fi
done
unload 2>/dev/null
# run-suite.sh's next program finds the module loaded, as after the others
insmod "$KO" 2>/dev/null

for f in failslab fail_page_alloc; do
	echo 1 >"$DBG/$f/verbose"
done

dmesg -c >>"$KLOG"
# run-suite.sh scans the kernel log from here on, for the sweep too
echo "$HANDBACK $(basename "$0")" >/dev/kmsg

echo "# path    injected   logged  reached      bad$summary"
if [ -n "$before_splat" ]; then
	echo "# the kernel log before the sweep has a splat ($LOGDIR/faultinject-dmesg-before.log):"
	echo "$before_splat" | sed 's/^/#   /'
	failed=$((failed + 1))
fi
[ "$failed" -eq 0 ]
