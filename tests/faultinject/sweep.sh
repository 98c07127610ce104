#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fault-injection sweep, run inside the debug guest by make check-debug
# (tests/provision/debug-kernel.sh: CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC,
# CONFIG_FAULT_INJECTION_DEBUG_FS). For each path into the module (load,
# open, mmap, read, write and each ioctl) fi_call makes the call with
# /proc/self/fail-nth = 1, 2, 3, ... (the Nth slab or page allocation of the
# call fails, once), until a call runs with nothing injected: one process
# per path, so that the sweep runs at the speed of the kernel, not of fork
# and exec. After each injected failure (fi_call.c has the details):
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
# The whole kernel log of the sweep goes to LOG_DIR/faultinject-dmesg.log,
# each call's part under a "=== PATH nth=N" line: fi_call reads it through
# /dev/kmsg and scans it with SPLAT_REPORT (the injections dump stacks on
# purpose). The log before the sweep is kept and scanned here with the
# patterns run-suite.sh uses; then the log is emptied, and at the end
# "mmio_shm-test: log scanned by sweep.sh" written to it, from which
# run-suite.sh scans on.
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
PATHS=${FI_PATHS:-insmod open mmap read write info resize zero notify wait bind export}
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
	# every injection's dump: at the sweep's pace the default (10 in 5 s)
	# would drop most, and "logged" and "reached" would count the limit
	echo 0 >"$DBG/$f/verbose_ratelimit_interval_ms"
done
echo N >"$DBG/failslab/cache-filter"
echo N >"$DBG/fail_page_alloc/ignore-gfp-highmem"
echo 0 >"$DBG/fail_page_alloc/min-order"

# what came before: kept, and scanned here, since it is emptied now
dmesg >"$LOGDIR/faultinject-dmesg-before.log"
dmesg -C
: >"$KLOG"
before_splat=$(grep -E "$SPLAT" "$LOGDIR/faultinject-dmesg-before.log" | head -n 3)

export SPLAT_REPORT
for path in $PATHS; do
	n=$((n + 1))
	args=()
	# grow: the ioctl that allocates (each page of the new size)
	[ "$path" != resize ] || args=(65536)
	out=$("$FI" -s "$MAX" -k "$KO" -p "size=$SIZE" -D "$DEVICES" \
		-L "$KLOG" "$DEV" "$path" "${args[@]}" 2>&1)
	rc=$?
	# the bad calls, one line each
	printf '%s\n' "$out" | grep '^# ' | head -n 20
	counts=$(printf '%s\n' "$out" | sed -n "s/^fi_call: sweep $path //p")
	injected=0 logged=0 reached=0 bad=0 calls=0 done=""
	for kv in $counts; do
		case "$kv" in
		calls=* | injected=* | logged=* | reached=* | bad=* | done=*)
			printf -v "${kv%%=*}" '%s' "${kv#*=}" ;;
		esac
	done
	line="$path: $injected injected, $logged logged, $reached reached mmio_shm ($calls calls)"
	summary="$summary
# $(printf '%-7s %8d %8d %8d %8d' "$path" "$injected" "$logged" "$reached" "$bad")"
	echo "# $line"
	if [ -z "$done" ]; then
		echo "not ok $n faultinject $path # fi_call gave no counts (exit $rc): $(printf '%s\n' "$out" | tail -n 1)"
		failed=$((failed + 1))
	elif [ "$done" != yes ]; then
		echo "not ok $n faultinject $path # stopped before a call ran with nothing injected (FI_MAX=$MAX)"
		failed=$((failed + 1))
	elif [ "$bad" -ne 0 ] || [ "$rc" -ne 0 ]; then
		echo "not ok $n faultinject $path # $bad of $calls calls went wrong"
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
# run-suite.sh's next program finds the module loaded as it loads it
rmmod mmio_shm 2>/dev/null
insmod "$KO" 2>/dev/null

for f in failslab fail_page_alloc; do
	echo 1 >"$DBG/$f/verbose"
	echo 5000 >"$DBG/$f/verbose_ratelimit_interval_ms"
done

# fi_call has read it all (through /dev/kmsg, which emptying does not touch)
dmesg -C
# run-suite.sh scans the kernel log from here on, for the sweep too
echo "$HANDBACK $(basename "$0")" >/dev/kmsg

echo "# path    injected   logged  reached      bad$summary"
if [ -n "$before_splat" ]; then
	echo "# the kernel log before the sweep has a splat ($LOGDIR/faultinject-dmesg-before.log):"
	echo "$before_splat" | sed 's/^/#   /'
	failed=$((failed + 1))
fi
[ "$failed" -eq 0 ]
