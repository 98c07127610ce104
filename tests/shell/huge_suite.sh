#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: guest
#
# Description: the device keeps its promises with huge pages. Reloads the
# module with huge=within_size (MMIO_SHM_HUGE= picks another value), checks
# that the buffer's pages are huge from load on, then runs the selftests of
# the device's semantics again through run-suite.sh (today mmap, read/write,
# ioctls, futexes, sharing, get_user_pages, the doorbell). Their results are
# this test's cases, named with a _huge suffix. Last it loads the module
# again with its defaults, as every test leaves it.
#
# The list is every tests/selftests/*_test.c but those NOT_HUGE names, each
# with its reason: a new selftest of the device runs here too unless it is
# added there.
#
# Needs MMIO_SHM_KO, the module (run-suite.sh sets it; a relative path is
# taken from the checkout). Without it, or without transparent huge pages
# in the kernel, every case skips.

. "$(dirname "$0")/tap.sh"

KO=${MMIO_SHM_KO:-}
case $KO in [!/]*) KO=$TOP/$KO ;; esac
HUGE=${MMIO_SHM_HUGE:-within_size}
# left out: module_test reloads the module itself, with its own
# parameters; huge_test is the huge pages' own test; sysfs_test, lib_test,
# endpoint_test, peer_test and fanin_test to keep the run short under TCG
# (attributes, the library's calls, endpoints, the ring and the fan-in run
# the same on either page size: mmap_test, rw_test and share_test cover the
# mappings they use); pin_test because a pin counts for a whole huge page,
# so a shrink that keeps the pinned small pages of one is refused there, as
# it should be
NOT_HUGE="module_test huge_test sysfs_test lib_test endpoint_test peer_test fanin_test pin_test"
TESTS=""
for t in "$TOP"/tests/selftests/*_test.c; do
	t=$(basename "$t" .c)
	case " $NOT_HUGE " in
	*" $t "*) ;;
	*) TESTS="$TESTS $t" ;;
	esac
done
if [ -z "$TESTS" ]; then
	plan 1
	fail_case selftests_to_run_found "no *_test.c in $TOP/tests/selftests"
	tap_exit
fi
# the cases: the load, one per program, run-suite.sh's kernel log check
NCASES=$(($(echo "$TESTS" | wc -w) + 2))

skip_all() {
	local t

	plan "$NCASES"
	skip_case "loaded_with_huge_${HUGE}_and_huge_pages" "$1"
	for t in $TESTS; do
		skip_case "${t}_huge" "$1"
	done
	skip_case "kernel_log_clean_huge" "$1"
	tap_exit
}

[ -f "$KO" ] || skip_all "no module '${MMIO_SHM_KO:-}' (MMIO_SHM_KO)"
[ -d /sys/kernel/mm/transparent_hugepage ] ||
	skip_all "no transparent huge pages in this kernel"

plan "$NCASES"
# huge pages for the rest of the test; the module's defaults at exit
swap_module "$KO" "$KO" "huge=$HUGE"

# the parameter took, and the whole buffer was brought in as huge pages
loaded_with_huge_pages() {
	local size huge_kb

	expect_eq "$HUGE" "$(cat /sys/module/mmio_shm/parameters/huge)" "huge="
	size=$(cat /sys/class/misc/mmio_shm/size)
	# fold the CPUs' counter deltas first: 5.10 counts a huge page as 1
	echo 1 >/proc/sys/vm/stat_refresh 2>/dev/null
	huge_kb=$(sed -n 's/^ShmemHugePages: *\([0-9]*\) kB$/\1/p' /proc/meminfo)
	log "buffer $size bytes, ShmemHugePages $huge_kb kB"
	# an absent counter or size would compare nothing
	assert_ne "" "$huge_kb" "ShmemHugePages in /proc/meminfo"
	assert_true test "${size:-0}" -gt 0
	[ "$((huge_kb * 1024))" -ge "$size" ] ||
		fail "ShmemHugePages $huge_kb kB: less than the buffer, $size bytes"
}
run_case "loaded_with_huge_${HUGE}_and_huge_pages" loaded_with_huge_pages

progs=""
for t in $TESTS; do
	progs="$progs $BUILD/tests/$t"
done
start=$(date +%s)
# shellcheck disable=SC2086
suite_cases _huge $progs
echo "# the suite with huge=$HUGE took $(($(date +%s) - start)) s"
tap_exit
