#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest: loads the module, runs each kselftest binary with
# a timeout, and after each one scans the kernel log for what a bug leaves
# there. With --host instead of a module it runs host-side tests natively:
# no module, no kernel log. Output is KTAP: the binaries' own lines indented under one line
# per binary. The last line counts every test case:
#   # mmio_shm-suite: cases passed=N failed=N skipped=N
# A binary that crashes, times out or leaves a kernel splat counts as one
# more failed case.
#
# Usage: run-suite.sh MODULE.ko|--host TESTDIR TEST...

set -u

KO=$1
DIR=$2
shift 2
TIMEOUT=${TEST_TIMEOUT:-300}
# what a kernel bug, lockdep, KASAN or kmemleak leave in the log
SPLAT='BUG:|WARNING:|Oops|general protection|Call Trace|possible recursive locking|circular locking|KASAN:|kmemleak:|UBSAN:|refcount_t:'

passed=0
failed=0
skipped=0

echo "TAP version 13"

host=0
if [ "$KO" = --host ]; then
	host=1
	echo "1..$#"
else
	echo "1..$(($# + 1))"
fi
if [ "$host" -eq 0 ] && ! insmod "$KO"; then
	echo "Bail out! insmod $KO failed"
	echo "# mmio_shm-suite: cases passed=0 failed=1 skipped=0"
	exit 1
fi

# module_test reloads the module with other parameters
export MMIO_SHM_KO="$KO"

# tests write scratch files into their working directory
cd "${TMPDIR:-/tmp}" || exit 1

n=0
for t in "$@"; do
	n=$((n + 1))
	marker="mmio_shm-test: $n $t"
	[ "$host" -eq 1 ] || echo "$marker" >/dev/kmsg
	echo "# selftests: mmio_shm: $t"

	out=$(mktemp)
	timeout -k 5 "$TIMEOUT" "$DIR/$t" >"$out" 2>&1
	rc=$?
	sed 's/^/# /' "$out"

	p=$(grep -cE '^ok [0-9]+ ' "$out")
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out")
	f=$(grep -cE '^not ok [0-9]+ ' "$out")
	rm -f "$out"
	p=$((p - s))

	why=""
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		why="timed out after ${TIMEOUT}s"
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ] && [ "$f" -eq 0 ]; then
		why="exited with $rc"
	fi
	splat=""
	[ "$host" -eq 1 ] ||
		splat=$(dmesg | sed -n "/$marker\$/,\$p" | grep -E "$SPLAT")
	if [ -n "$splat" ]; then
		echo "$splat" | sed 's/^/# dmesg: /'
		why="${why:+$why, }kernel log has a splat"
	fi
	if [ -n "$why" ]; then
		f=$((f + 1))
	fi

	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$rc" -eq 4 ] && [ "$f" -eq 0 ]; then
		echo "ok $n selftests: mmio_shm: $t # SKIP"
	elif [ "$f" -eq 0 ]; then
		echo "ok $n selftests: mmio_shm: $t"
	else
		echo "not ok $n selftests: mmio_shm: $t${why:+ # $why}"
	fi
done

# one more case: the whole run left the kernel log clean
if [ "$host" -eq 0 ]; then
	n=$((n + 1))
	splat=$(dmesg | grep -E "$SPLAT")
	if [ -z "$splat" ]; then
		echo "ok $n kernel_log_has_no_bug_warning_or_oops"
		passed=$((passed + 1))
	else
		echo "$splat" | sed 's/^/# dmesg: /'
		echo "not ok $n kernel_log_has_no_bug_warning_or_oops"
		failed=$((failed + 1))
	fi
fi

echo "# mmio_shm-suite: cases passed=$passed failed=$failed skipped=$skipped"
[ "$failed" -eq 0 ]
