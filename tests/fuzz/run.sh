#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest, as root: the structure-aware fuzzer
# (mmio_shm_fuzz.c) alone on a freshly loaded module, then the checks of
# tests/stress/lib.sh (rmmod works, the buffer's memory comes back, the
# kernel log is clean). Prints TAP and exits non-zero on any failure.
#
# Usage: tests/fuzz/run.sh [--seconds N] [--iterations N] [--seed N]
#                          [--ko PATH] [--build DIR] [--params '...']
# From the host: make vm-run CMD='tests/fuzz/run.sh --seconds 30'

set -u

# shellcheck source=tests/stress/lib.sh
. "$(dirname "$0")/../stress/lib.sh"

SECONDS_=30
ITER=""
SEED=""
lib_opts "--seconds=SECONDS_ --iterations=ITER --seed=SEED" "$@"

lib_start fuzz
lib_run mmio_shm_fuzz $((SECONDS_ + 120)) \
	"$BUILD/fuzz/mmio_shm_fuzz" --device "$DEV" --seconds "$SECONDS_" \
	${ITER:+--iterations "$ITER"} ${SEED:+--seed "$SEED"}
lib_finish
