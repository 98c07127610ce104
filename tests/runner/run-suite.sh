#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs test programs one after the other, each under a timeout, as the
# kselftest runner does. In the guest (first argument: the module) it loads
# the module first, writes a marker to /dev/kmsg before each program and
# scans the kernel log after it for what a bug leaves there (BUG, WARNING,
# Oops, lockdep, KASAN, kmemleak, UBSAN); with --host it runs them natively,
# without module or kernel log. With --loaded it runs in the guest on the
# module loaded already (make vm-run loads it), MMIO_SHM_KO if set.
#
# A program is a kselftest-harness binary or a TAP shell script; both
# print TAP. Each one's output is shown indented ("# "), with a last line
# "# NAME took N s" (.ci/run lists the slowest), then one line for
# the program: "not ok" when it exited non-zero (4 is a skip, with the
# first reason the program printed; a skip without one fails), timed out,
# printed no case at all, was not executable (a shell test without its
# execute bit: run it through bash and it would pass where the newcomer's
# `tests/shell/NAME.sh` cannot run), or left a splat; a kernel log that no longer
# holds the program's marker was not scanned, which fails too. In the
# guest a last line tells whether the whole run left the kernel log clean. Nothing is counted here: make check counts every
# tier's output in one place (results.awk). Exits 1 when a line says
# "not ok".
#
# The programs find the checkout and the build directory in MMIO_SHM_TOP
# and MMIO_SHM_BUILD (defaults: this script's checkout and its build/).
#
# Usage: run-suite.sh MODULE.ko|--loaded|--host PROGRAM...   (PROGRAM: a path)

set -u

KO=$1
shift
TIMEOUT=${TEST_TIMEOUT:-300}
# SPLAT: what a kernel bug, lockdep, KASAN or UBSAN leave in the log
# shellcheck source=tests/runner/splat.sh
. "$(dirname "$0")/splat.sh"

MMIO_SHM_TOP=${MMIO_SHM_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
MMIO_SHM_BUILD=${MMIO_SHM_BUILD:-$MMIO_SHM_TOP/build}
export MMIO_SHM_TOP MMIO_SHM_BUILD

echo "TAP version 13"

host=0
if [ "$KO" = --host ]; then
	host=1
	echo "1..$#"
elif [ "$KO" = --loaded ]; then
	echo "1..$(($# + 1))"
else
	echo "1..$(($# + 1))"
	# a kernel with kmemleak: what the boot left is marked known, so
	# tests/shell/kmemleak.sh reports only what the tests leaked
	kml=/sys/kernel/debug/kmemleak
	grep -q ' /sys/kernel/debug ' /proc/mounts ||
		mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	if [ -w $kml ]; then
		echo scan >$kml && echo clear >$kml
	fi
	if ! insmod "$KO"; then
		echo "Bail out! insmod $KO failed"
		exit 1
	fi
	# module_test reloads the module with other parameters, from the
	# directory the programs run in (below)
	KO=$(realpath "$KO")
	export MMIO_SHM_KO="$KO"
fi

# the programs as absolute paths: tests write scratch files into their
# working directory, which is not the caller's
for t in "$@"; do
	shift
	set -- "$@" "$(realpath "$t")"
done
cd "${TMPDIR:-/tmp}" || exit 1

n=0
bad=0
for t in "$@"; do
	n=$((n + 1))
	name=$(basename "$t")
	marker="mmio_shm-test: $n $name"
	[ "$host" -eq 1 ] || echo "$marker" >/dev/kmsg
	echo "# selftests: mmio_shm: $name"

	out=$(mktemp)
	# a shell test added without its execute bit: said, not exit 126
	noexec=""
	[ -f "$t" ] && [ ! -x "$t" ] &&
		noexec="not executable: chmod +x $t (git keeps the mode)"
	if [ -n "$noexec" ]; then
		echo "$noexec" >"$out"
		rc=126
	else
		t0=$(date +%s)
		timeout -k 5 "$TIMEOUT" "$t" >"$out" 2>&1
		rc=$?
		echo "$name took $(($(date +%s) - t0)) s" >>"$out"
	fi
	sed 's/^/# /' "$out"
	# a program that ran no case passed nothing; a skip says why (the
	# harness's SKIP() and tap.sh's skip both print a reason)
	cases=$(grep -cE '^(# )*(not )?ok [0-9]+' "$out")
	reason=$(sed -n 's/^\(# \)*ok [0-9]* .*# SKIP *\(..*\)$/\2/p' "$out" | head -n 1)
	rm -f "$out"

	why=""
	if [ -n "$noexec" ]; then
		why=$noexec
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		why="timed out after ${TIMEOUT}s"
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ]; then
		why="exited with $rc"
	elif [ "$cases" -eq 0 ]; then
		why="exited with $rc but reported no case"
	elif [ "$rc" -eq 4 ] && [ -z "$reason" ]; then
		why="skipped (exit 4) without a reason"
	fi
	if [ "$host" -eq 0 ]; then
		# the scan counts only from the test's marker: a log that
		# wrapped past it would give nothing to scan
		since=$(dmesg 2>&1 | sed -n "/$marker\$/,\$p")
		# a program that empties the log (the fail-nth sweep) scans
		# what it empties and hands the log back with a line of its own
		[ -n "$since" ] ||
			since=$(dmesg 2>&1 | sed -n "/$HANDBACK $name\$/,\$p")
		splat=$(printf '%s\n' "$since" | grep -E "$SPLAT")
		if [ -z "$since" ]; then
			why="${why:+$why, }its marker is not in dmesg: the kernel log was not scanned"
		elif [ -n "$splat" ]; then
			echo "$splat" | sed 's/^/# dmesg: /'
			why="${why:+$why, }kernel log has a splat"
		fi
	fi
	if [ -n "$why" ]; then
		echo "not ok $n selftests: mmio_shm: $name # $why"
		bad=1
	elif [ "$rc" -eq 4 ]; then
		echo "ok $n selftests: mmio_shm: $name # SKIP $reason"
	else
		echo "ok $n selftests: mmio_shm: $name"
	fi
done

# one more case: the whole run left the kernel log clean
if [ "$host" -eq 0 ]; then
	n=$((n + 1))
	log=$(dmesg 2>&1)
	splat=$(printf '%s\n' "$log" | grep -E "$SPLAT")
	first="mmio_shm-test: 1 "
	if ! printf '%s\n' "$log" | grep -q "$first" &&
	   printf '%s\n' "$log" | grep -q "$HANDBACK "; then
		# emptied by a program that scanned what it emptied
		first=$HANDBACK
		echo "# the kernel log before '$(printf '%s\n' "$log" | grep -o "$HANDBACK .*" | tail -n 1)' was scanned by that program"
	fi
	if ! printf '%s\n' "$log" | grep -q "$first"; then
		echo "# dmesg has not the first test's marker: the kernel log was not scanned whole"
		echo "not ok $n kernel_log_has_no_bug_warning_or_oops"
		bad=1
	elif [ -z "$splat" ]; then
		echo "ok $n kernel_log_has_no_bug_warning_or_oops"
	else
		echo "$splat" | sed 's/^/# dmesg: /'
		echo "not ok $n kernel_log_has_no_bug_warning_or_oops"
		bad=1
	fi
fi
exit "$bad"
