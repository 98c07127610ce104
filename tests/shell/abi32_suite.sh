#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: guest
# Tiers: check matrix (the i386 programs reach the native handlers through
# compat_ptr_ioctl, which the debug tier runs with the native programs: 44 s
# of that tier, for no path of its own)
#
# Description: every ioctl from a 32-bit caller. tests/Makefile builds the
# selftests that own the commands (ioctl_test: every command and its
# argument rules; doorbell_test: NOTIFY and WAIT; endpoint_test: BIND and
# PEER) again as static i386 programs into build/tests32/; this runs them
# on the loaded module through run-suite.sh, so they reach it through the
# kernel's compat ioctl path. Their results are this test's cases, named
# with an _m32 suffix. Without the programs (no gcc-multilib when the tests
# were built) every case skips.

. "$(dirname "$0")/tap.sh"

TESTS="ioctl_test doorbell_test endpoint_test"
# the cases: the programs are i386, one per program, the kernel log check
NCASES=$(($(echo "$TESTS" | wc -w) + 2))

skip_all() {
	local t

	plan "$NCASES"
	skip_case "programs_are_static_i386" "$1"
	for t in $TESTS; do
		skip_case "${t}_m32" "$1"
	done
	skip_case "kernel_log_clean_m32" "$1"
	tap_exit
}

progs=""
for t in $TESTS; do
	[ -x "$BUILD/tests32/$t" ] ||
		skip_all "no $BUILD/tests32/$t (tests/Makefile builds it with gcc-multilib)"
	progs="$progs $BUILD/tests32/$t"
done

# the sysctl exists where the kernel runs i386 programs (the debug kernel
# without IA32_EMULATION ran them as shell scripts)
[ -e /proc/sys/abi/vsyscall32 ] ||
	skip_all "this kernel runs no i386 programs (no /proc/sys/abi/vsyscall32: CONFIG_IA32_EMULATION is off)"

plan "$NCASES"

# ELF class 1 (32-bit), machine 3 (i386), and no interpreter: static
are_i386() {
	local p hdr

	for p in $progs; do
		hdr=$(od -An -tx1 -j4 -N1 "$p" | tr -d ' ')
		expect_eq 01 "$hdr" "$p: ELF class"
		hdr=$(od -An -tx1 -j18 -N2 "$p" | tr -d ' ')
		expect_eq 0300 "$hdr" "$p: ELF machine"
		if readelf -l "$p" | grep -q INTERP; then
			fail "$p has a program interpreter: not static"
		fi
	done
}
run_case "programs_are_static_i386" are_i386

start=$(date +%s)
# shellcheck disable=SC2086
suite_cases _m32 $progs
echo "# the i386 programs took $(($(date +%s) - start)) s"
tap_exit
