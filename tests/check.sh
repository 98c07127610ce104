#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: install what is missing, build the module for the chosen
# kernel, the library and the tests, run the host-side checks and tests,
# then boot the kernel once under QEMU and run the whole kselftest suite in
# it. Ends with the line "N passed, N failed, N skipped" summing every test
# case, and exits non-zero if any failed.
#
# Usage: tests/check.sh [KERNEL] [BUILD_DIR]     (KERNEL: 5.10, 6.1, 6.12)

set -u -o pipefail

KERNEL=${1:-6.1}
BUILD=$(realpath -m "${2:-build}")
TOP=$(cd "$(dirname "$0")/.." && pwd)
VM_TIMEOUT=${VM_TIMEOUT:-1200}
cd "$TOP" || exit 1

passed=0
failed=0
skipped=0

# add the counts from a "cases passed=N failed=N skipped=N" line in $1
add_counts() {
	local line p f s
	line=$(grep -E 'cases passed=[0-9]+ failed=[0-9]+ skipped=[0-9]+' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		echo "check: no summary in $(basename "$1"): counted as one failure"
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/.*passed=([0-9]+).*/\1/')
	f=$(echo "$line" | sed -E 's/.*failed=([0-9]+).*/\1/')
	s=$(echo "$line" | sed -E 's/.*skipped=([0-9]+).*/\1/')
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

finish() {
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

# a step that must succeed for anything after it to mean something
step() {
	local what=$1
	shift
	echo "== $what"
	if ! "$@"; then
		echo "check: $what failed"
		failed=$((failed + 1))
		finish
	fi
}

step "dependencies" tests/deps.sh "$BUILD"

kvars=$(tests/kernels.sh "$KERNEL" "$BUILD") || { failed=$((failed + 1)); finish; }
eval "$kvars"
echo "== kernel $KERNEL: $VMLINUZ, headers $KDIR"

KMOD=$BUILD/kmod/$KERNEL
step "module for $KERNEL" tests/build-module.sh "$KDIR" "$KMOD" "$KMAKE"
# docs/lab.md exercise 8's solution, checked in the guest by tests/shell/lab_fault.sh
step "lab module for $KERNEL" tests/build-module.sh "$KDIR" "$KMOD-lab-fault" \
	"$KMAKE" "$TOP/docs/lab/fault-handler.patch"
step "library, tools and examples" make -s -C user O="$BUILD/user" CFLAGS="-O2 -g -Werror"
step "tests" make -s -C tests BUILD="$BUILD"

mkdir -p "$BUILD/logs"

echo "== host checks"
tests/lint.sh "$BUILD" "$KMOD" | tee "$BUILD/logs/lint.log"
add_counts "$BUILD/logs/lint.log"

echo "== host tests"
hosttests=$(make -s -C tests list-hosttests)
# shellcheck disable=SC2086
tests/run-suite.sh --host "$BUILD/host" $hosttests | tee "$BUILD/logs/host.log"
add_counts "$BUILD/logs/host.log"

echo "== kselftests in the $KERNEL guest"
selftests=$(make -s -C tests list-selftests)
# then the shell tests (lab_fault: exercise 8), in the same guest boot
selftests="$selftests $(make -s -C tests list-shelltests)"
tests/vm.sh "$VMLINUZ" "$VM_TIMEOUT" "$BUILD" \
	"$TOP/tests/run-suite.sh $KMOD/mmio_shm.ko $BUILD/tests $selftests" |
	tee "$BUILD/logs/vm-$KERNEL.log"
add_counts "$BUILD/logs/vm-$KERNEL.log"

finish
