#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: guest
# Tiers: check (dmabuf_test itself runs on every kernel; this is the
# exercise's check, on the lab's kernel)
#
# Description: docs/lab.md exercise 9. The exporter's map_dma_buf,
# unmap_dma_buf, begin_cpu_access and end_cpu_access (a student's, in
# MMIO_SHM_LAB_KO; by default the shipped module, whose kernel/dmabuf.c is
# the solution) pass the cases of dmabuf_test that reach them: vgem's PRIME
# import, DMA_BUF_IOCTL_SYNC, the importer and the files closed in every
# order, rmmod refused while an importer holds the dma-buf. The exercise's
# starting point (docs/lab/dmabuf-start.patch, which make check builds into
# <module dir>-lab-dmabuf-start/; MMIO_SHM_LAB_START_KO to name another)
# must fail each of them: otherwise the exercise would be solved before it
# is begun, and this check could not tell a solution from none.
#
# Needs MMIO_SHM_KO, the shipped module, loaded (run-suite.sh MODULE.ko
# sets it up); loads it again at the end, as every test leaves it.

. "$(dirname "$0")/tap.sh"

KO=${MMIO_SHM_KO:-}
LAB_KO=${MMIO_SHM_LAB_KO:-$KO}
START_KO=${MMIO_SHM_LAB_START_KO:-${KO:+${KO%/*}-lab-dmabuf-start/mmio_shm.ko}}
# paths relative to the checkout, where the guest starts: run-suite.sh
# runs us from elsewhere
case $KO in [!/]*) KO=$TOP/$KO ;; esac
case $LAB_KO in [!/]*) LAB_KO=$TOP/$LAB_KO ;; esac
case $START_KO in [!/]*) START_KO=$TOP/$START_KO ;; esac
# per run: a broken map_dma_buf can leave the test stuck in the kernel
TIMEOUT=${LAB_TEST_TIMEOUT:-120}
# what the four calls are for, as dmabuf_test names it
NEEDED="dev.vgem_imports_the_dmabuf_and_bufinfo_shows_it
dev.dmabuf_sync_takes_start_and_end
dev.dmabuf_importer_and_device_close_in_every_order
mod.unload_refused_while_a_mapping_or_an_importer_holds_the_dmabuf"

W=$(mktemp -d)
cleanup() {
	rm -rf "$W"
	rmmod mmio_shm 2>/dev/null
	[ ! -f "$KO" ] || insmod "$KO" || echo "Bail out! cannot load $KO again"
}

# Usage: run_with KO OUT: dmabuf_test on KO (which its unload cases load
# again), its output into OUT
run_with() {
	rmmod mmio_shm 2>/dev/null
	if ! insmod "$1"; then
		echo "insmod $1 failed" >"$2"
		return
	fi
	MMIO_SHM_KO=$1 timeout -k 5 "$TIMEOUT" "$BUILD/tests/dmabuf_test" >"$2" 2>&1
	echo "exit status $?" >>"$2"
}

# Usage: result_of NAME OUT: "pass", "fail", "skipped: REASON" or "did
# not run" for dmabuf_test's case NAME in OUT
result_of() {
	local line

	line=$(grep -E "^(not )?ok [0-9]+ $1( |$)" "$2" | head -n 1)
	case $line in
	"") echo "did not run" ;;
	"not ok"*) echo fail ;;
	*"# SKIP"*) echo "skipped:${line#*# SKIP}" ;;
	*) echo pass ;;
	esac
}

plan "$(($(echo "$NEEDED" | wc -l) * 2))"
if [ ! -f "$KO" ] || [ ! -f "$LAB_KO" ]; then
	for n in $NEEDED; do
		skip_case "lab_dmabuf_solution_${n#*.}" \
			"no module '${MMIO_SHM_KO:-}' or no lab module '$LAB_KO'"
		skip_case "lab_dmabuf_starting_point_${n#*.}" "no module '${MMIO_SHM_KO:-}'"
	done
	tap_exit
fi

run_with "$LAB_KO" "$W/solution.out"
sed 's/^/# solution: /' "$W/solution.out" | grep -E '^# solution: (not ok|ok .*SKIP|insmod|exit)'
have_start=0
if [ -f "$START_KO" ]; then
	have_start=1
	run_with "$START_KO" "$W/start.out"
	sed 's/^/# starting point: /' "$W/start.out" |
		grep -E '^# starting point: (not ok|ok .*SKIP|insmod|exit)'
fi

for n in $NEEDED; do
	solved() {
		expect_eq pass "$(result_of "$n" "$W/solution.out")" "$n on $LAB_KO"
	}
	unsolved() {
		expect_eq fail "$(result_of "$n" "$W/start.out")" "$n on $START_KO"
	}
	run_case "lab_dmabuf_solution_${n#*.}" solved
	if [ "$have_start" = 1 ]; then
		run_case "lab_dmabuf_starting_point_${n#*.}" unsolved
	elif [ -n "${MMIO_SHM_LAB_KO:-}" ]; then
		# a student's run, from a tree that does not build it
		skip_case "lab_dmabuf_starting_point_${n#*.}" \
			"no starting-point module '$START_KO' (make check builds it)"
	else
		fail_case "lab_dmabuf_starting_point_${n#*.}" \
			"no starting-point module '$START_KO': make check builds it from docs/lab/dmabuf-start.patch"
	fi
done
tap_exit
