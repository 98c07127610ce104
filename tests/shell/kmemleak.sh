#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: debug
#
# Description: kmemleak, the last test of make check-debug: after the
# whole suite, the stress runs, the fuzzers and the fault-injection sweep,
# has the kernel's leak detector found memory that mmio_shm allocated
# (itself, or through the kernel functions it called) and nobody
# references any more? Asked twice: with the module loaded, then after
# unloading it, for what its exit path forgot to free.
#
# run-suite.sh marks what the boot left as known before the first test,
# so only what was allocated since is reported. kmemleak reports an object
# once it is older than 5 s and two scans agree (a stale pointer that sat
# in a register or on a stack is gone by the second one). A suspect is
# the module's when its allocation backtrace names [mmio_shm], or holds a
# raw address in the module area: the code of a module unloaded since, or
# of its __init functions, whose symbols are dropped after the load.
# mmio_shm is the only module the debug kernel loads (the rest is built
# in: tests/provision/debug.config), so such an address is its.
#
# It runs in the debug kernel (make check-debug), which
# tests/provision/debug.config builds with CONFIG_DEBUG_KMEMLEAK: there a
# missing $KML is a failure, not a skip (a scan that cannot run finds no
# leak and proves nothing). KMEMLEAK_OPTIONAL=1 turns it into a skip, for
# a run by hand in another kernel.

. "$(dirname "$0")/tap.sh"

KML=/sys/kernel/debug/kmemleak
WAIT=${KMEMLEAK_WAIT:-6}
CASES="nothing_of_the_module_leaked_while_loaded
nothing_of_the_module_leaked_after_rmmod"

# Usage: module_suspects: scans, prints each suspect of the module's,
# sets $out to "N suspect(s), M of them from mmio_shm" and returns M > 0
module_suspects() {
	local report

	echo scan >"$KML" || { out="cannot scan: kmemleak is off"; return 2; }
	sleep "$WAIT"
	echo scan >"$KML" || { out="cannot scan: kmemleak is off"; return 2; }
	report=$(cat "$KML")
	out=$(echo "$report" | awk -v lo=ffffffffc0000000 -v hi=ffffffffff000000 '
	function flush() {
		if (block == "")
			return
		total++
		if (ours) {
			mine++
			printf "%s", block
		}
		block = ""
		ours = 0
	}
	/^unreferenced object/ { flush() }
	{
		block = block $0 "\n"
		if ($0 ~ /\[mmio_shm\]/)
			ours = 1
		# "[<ffffffffc0201234>] 0xffffffffc0201234": no symbol for it
		if (match($0, /\] 0x[0-9a-f]+$/)) {
			a = substr($0, RSTART + 4)
			if (length(a) == 16 && a >= lo && a < hi)
				ours = 1
		}
	}
	END {
		flush()
		printf "%d suspect(s), %d of them from mmio_shm\n", total, mine
	}')
	# the suspects in full, then the count alone in $out
	echo "$out" | sed '$d'
	out=$(echo "$out" | tail -n 1)
	# the next question reports only what is new by then
	echo clear >"$KML"
	case "$out" in
	*" 0 of them"*) return 0 ;;
	*) return 1 ;;
	esac
}

nothing_of_the_module_leaked_while_loaded() {
	if [ ! -e /sys/module/mmio_shm ]; then
		assert_true insmod "${MMIO_SHM_KO:?no module loaded and no MMIO_SHM_KO}"
	fi
	module_suspects
	assert_eq 0 $? "module suspects ($out)"
	log "$out"
}

nothing_of_the_module_leaked_after_rmmod() {
	if [ -e /sys/module/mmio_shm ]; then
		assert_true rmmod mmio_shm
	fi
	module_suspects
	assert_eq 0 $? "module suspects ($out)"
	log "$out"
}

plan 2
[ -e "$KML" ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
for c in $CASES; do
	if [ "$(id -u)" -ne 0 ]; then
		skip_case "$c" "needs root"
	elif [ ! -e "$KML" ] && [ -n "${KMEMLEAK_OPTIONAL:-}" ]; then
		skip_case "$c" "no $KML: a kernel without CONFIG_DEBUG_KMEMLEAK"
	elif [ ! -e "$KML" ]; then
		fail_case "$c" "no $KML in the debug kernel (CONFIG_DEBUG_KMEMLEAK, debugfs): nothing can be scanned"
	else
		run_case "$c"
	fi
done
# leave the module loaded, as run-suite.sh's other programs find it
[ -e /sys/module/mmio_shm ] || [ -z "${MMIO_SHM_KO:-}" ] ||
	insmod "$MMIO_SHM_KO" 2>/dev/null
tap_exit
