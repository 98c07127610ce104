#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest, as root: stress-ng's device stressor against the
# device node (open, read, write, lseek, mmap, poll, ioctl and more, from
# several processes), then the fuzzer's --smoke check that the device
# still works, then the checks of lib.sh (rmmod works, the buffer's memory
# comes back, the kernel log is clean). Prints TAP, exits non-zero on any
# failure.
#
# Usage: tests/stress/stress-ng.sh [--seconds N] [--instances N] [--seed N]
#                                  [--ko PATH] [--build DIR] [--params '...']
# From the host: make vm-run CMD='tests/stress/stress-ng.sh --seconds 30'

set -u

# shellcheck source=tests/stress/lib.sh
. "$(dirname "$0")/lib.sh"

# 20 s: about 200 of its device rounds in the debug guest (307 in 30 s,
# measured), for CI's 20 minutes; longer runs by hand (--seconds)
SECONDS_=20
INSTANCES=4
SEED=""
lib_opts "--seconds=SECONDS_ --instances=INSTANCES --seed=SEED" "$@"

lib_start stress-ng
# stress-ng wants a writable working directory for its temporary files
cd "$scratch" || exit 1
lib_run stress_ng_dev $((SECONDS_ + 120)) \
	stress-ng --dev "$INSTANCES" --dev-file "$DEV" --timeout "${SECONDS_}s" \
	--metrics-brief --temp-path "$scratch" ${SEED:+--seed "$SEED"}
lib_run device_works_after_stress_ng 120 \
	"$BUILD/fuzz/mmio_shm_fuzz" --smoke --device "$DEV"
cd / || exit 1
lib_finish
