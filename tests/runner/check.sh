#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: install what is missing, build the module for the chosen
# kernel, the library and the tests, run the host-side checks and tests,
# then boot the kernel once under QEMU and run the whole kselftest suite
# (and the shell tests that need the device) in it.
#
# Every tier writes TAP into build/logs/; results.awk counts all of it, in
# one place, and prints the last line, "N passed, N failed, N skipped". The
# exit status is non-zero when anything failed. A build step that fails
# ends the run as one failed case.
#
# Before the results, one line says where the run's time went:
#   == time: build N s, boot N s, tests N s
# build: dependencies, kernels, the module, user/ and the tests; boot: the
# guest's start and end (vm.sh's time less the suite's time inside it);
# tests: the host checks and tests and the suite in the guest.
# .ci/run (tests/runner/tally.sh) sums these lines per tier.
#
# --guest-only leaves out the host-side checks and tests, which do not
# depend on the kernel (make check-matrix runs them once).
#
# KERNEL=debug (make check-debug) boots 6.1 built with KASAN, lockdep,
# kmemleak, UBSAN and fault injection (tests/provision/debug-kernel.sh),
# and after the suite runs what tests/Makefile's list-debug names: the
# stress runs, the fuzzers, the fault-injection sweep and kmemleak.
#
# Usage: tests/runner/check.sh [--guest-only] [KERNEL] [BUILD_DIR]
#        (KERNEL: 5.10, 6.1, 6.12, 7.2, sid, debug)

set -u -o pipefail

HOST_TIERS=1
if [ "${1:-}" = --guest-only ]; then
	HOST_TIERS=0
	shift
fi
KERNEL=${1:-6.1}
BUILD=$(realpath -m "${2:-build}")
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# the guest's time limit: VM_TIMEOUT when the caller set it, else 1200 s
# (the debug kernel: VM_TIMEOUT_DEBUG, else the caller's VM_TIMEOUT, else
# 5400 s)
CALLER_VM_TIMEOUT=${VM_TIMEOUT:-}
VM_TIMEOUT=${VM_TIMEOUT:-1200}
# the debug tiers in the debug kernel; each program's own time limit
DEBUG_LIST=""
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
if [ "$KERNEL" = debug ]; then
	DEBUG_LIST=list-debug
	VM_TIMEOUT=${VM_TIMEOUT_DEBUG:-${CALLER_VM_TIMEOUT:-5400}}
	TEST_TIMEOUT=1800
	# room in the kernel log for what a test leaves there, between the
	# markers run-suite.sh scans from
	export VM_APPEND="log_buf_len=16M"
fi
# the tier, for the guest tests that say where they run ("# Tiers:" in
# tests/shell/, tests/Makefile)
TIER=check
[ "$HOST_TIERS" = 1 ] || TIER=matrix
[ "$KERNEL" != debug ] || TIER=debug
LOGS=$BUILD/logs
cd "$TOP" || exit 1

# only this run's logs are counted
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log

t_build=0
t_boot=0
t_tests=0

finish() {
	echo "== time: build $t_build s, boot $t_boot s, tests $t_tests s"
	echo "== results"
	awk -f tests/runner/results.awk "$LOGS"/*.log
	exit
}

# a step that must succeed for anything after it to mean something
step() {
	local what=$1

	shift
	echo "== $what"
	t0=$SECONDS
	if ! "$@"; then
		t_build=$((t_build + SECONDS - t0))
		echo "not ok 1 $what" >"$LOGS/step.log"
		finish
	fi
	t_build=$((t_build + SECONDS - t0))
}

step "dependencies" tests/provision/deps.sh "$BUILD"
step "kernel $KERNEL" eval 'kvars=$(tests/provision/kernels.sh "$KERNEL" "$BUILD")'
eval "$kvars"
echo "== kernel $KERNEL: $VMLINUZ, headers $KDIR"

KMOD=$BUILD/kmod/$KERNEL
step "module for $KERNEL" tests/runner/build-module.sh "$KDIR" "$KMOD" "$KMAKE" "$KCHROOT"
# docs/lab.md exercise 8's solution, checked in the guest by tests/shell/lab_fault.sh
step "lab module for $KERNEL" tests/runner/build-module.sh "$KDIR" "$KMOD-lab-fault" \
	"$KMAKE" "$KCHROOT" "$TOP/docs/lab/fault-handler.patch"
# docs/lab.md exercise 9's starting point, which tests/shell/lab_dmabuf.sh
# (make check's tier only) checks fails where the solution passes
if [ "$TIER" = check ]; then
	step "lab starting point for $KERNEL" tests/runner/build-module.sh "$KDIR" \
		"$KMOD-lab-dmabuf-start" "$KMAKE" "$KCHROOT" "$TOP/docs/lab/dmabuf-start.patch"
fi
# argument structs grown by one field, checked in the guest by tests/shell/grown_suite.sh
step "grown module for $KERNEL" tests/runner/build-module.sh "$KDIR" "$KMOD-grown" \
	"$KMAKE MMIO_SHM_TEST_GROW=1" "$KCHROOT"
step "library, tools and examples" make -s -C user O="$BUILD/user" CFLAGS="-O2 -g -Werror"
step "tests" make -s -C tests BUILD="$BUILD"

if [ "$HOST_TIERS" = 1 ]; then
	# sparse in lint.sh runs the kernel tree's make here: for a kernel
	# built in a chroot, lint the module built for this system's kernel
	LINTMOD=$KMOD
	if [ -n "$KCHROOT" ]; then
		hvars=$(tests/provision/kernels.sh 6.1 "$BUILD") ||
			step "kernel 6.1 for the host checks" false
		LINTMOD=$BUILD/kmod/6.1
		step "module for 6.1, for the host checks" \
			tests/runner/build-module.sh \
			"$(echo "$hvars" | sed -n 's/^KDIR=//p')" "$LINTMOD"
	fi

	echo "== host checks"
	t0=$SECONDS
	tests/runner/lint.sh "$BUILD" "$LINTMOD" | tee "$LOGS/lint.log"

	echo "== host tests"
	# the vm.sh test boots this kernel; the two-guest RDMA test
	# (rdma_two_hosts.sh) loads this module in one of its two guests
	# shellcheck disable=SC2046
	MMIO_SHM_BUILD=$BUILD MMIO_SHM_VMLINUZ=$VMLINUZ MMIO_SHM_KO=$KMOD/mmio_shm.ko \
		tests/runner/run-suite.sh --host $(make -s -C tests BUILD="$BUILD" list-host) |
		tee "$LOGS/host.log"
	t_tests=$((t_tests + SECONDS - t0))
fi

# what the guest runs: the tier's list, then the debug kernel's runs; a
# debug list that came out empty would leave a debug tier that passes on
# the suite alone
programs=$(make -s -C tests BUILD="$BUILD" TIER="$TIER" list-guest | tr '\n' ' ')
debug_programs=""
if [ -n "$DEBUG_LIST" ]; then
	debug_programs=$(make -s -C tests BUILD="$BUILD" list-debug | tr '\n' ' ')
	[ -n "$debug_programs" ] ||
		step "the debug tier's runs (make -C tests list-debug printed none)" false
fi

echo "== kselftests in the $KERNEL guest"
t0=$SECONDS
# the suite's own time, in the guest's clock, for the boot's to be the rest
tests/runner/vm.sh "$VMLINUZ" "$VM_TIMEOUT" "$BUILD" \
	"t0=\$(date +%s); env MMIO_SHM_BUILD=$BUILD TEST_TIMEOUT=$TEST_TIMEOUT \
$TOP/tests/runner/run-suite.sh $KMOD/mmio_shm.ko \
$programs $debug_programs; \
rc=\$?; echo \"# the suite took \$((\$(date +%s) - t0)) s in the guest\"; exit \$rc" |
	tee "$LOGS/vm-$KERNEL.log"
rc=${PIPESTATUS[0]}
t_vm=$((SECONDS - t0))
t_suite=$(sed -n 's/^# the suite took \([0-9]*\) s in the guest$/\1/p' "$LOGS/vm-$KERNEL.log" | tail -n 1)
[ -n "$t_suite" ] && [ "$t_suite" -le "$t_vm" ] || t_suite=0
t_tests=$((t_tests + t_suite))
t_boot=$((t_boot + t_vm - t_suite))
# 0: all passed, 1: run-suite.sh reported a failure; anything else is the
# guest's own end (124: killed after VM_TIMEOUT, 255: it died)
if [ "$rc" -gt 1 ]; then
	echo "Bail out! the guest ended with status $rc" | tee -a "$LOGS/vm-$KERNEL.log"
fi

finish
