#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest, as root: the stress program (mmio_shm_stress.c)
# against a freshly loaded module, then the checks of lib.sh (rmmod works,
# the buffer's memory comes back, the kernel log is clean). Prints TAP and
# exits non-zero on any failure.
#
# Usage: tests/stress/run.sh [--seconds N] [--procs N] [--seed N]
#                            [--ko PATH] [--build DIR] [--params '...']
# From the host: make vm-run CMD='tests/stress/run.sh --seconds 30'

set -u

# shellcheck source=tests/stress/lib.sh
. "$(dirname "$0")/lib.sh"

SECONDS_=30
PROCS=4
SEED=""
lib_opts "--seconds=SECONDS_ --procs=PROCS --seed=SEED" "$@"

lib_start stress
lib_run mmio_shm_stress $((SECONDS_ + 120)) \
	"$BUILD/stress/mmio_shm_stress" --device "$DEV" --seconds "$SECONDS_" \
	--procs "$PROCS" ${SEED:+--seed "$SEED"}
lib_finish
