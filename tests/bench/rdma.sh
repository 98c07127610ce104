#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench's RDMA rows, in the guest with the module loaded
# (tests/bench/guest.sh runs this): the buffer as an RDMA memory region
# against a TCP stream of the same bytes over the same link, soft-RoCE
# rxe0/rxe1 on a veth pair with the policy routing of
# tests/rdma/fabric.sh, which TCP between the two addresses takes too.
# tests/bench/rdma_bench.c moves the whole buffer, one-sided RDMA WRITE and
# READ, then TCP into the buffer's mapping, in messages of each SIZE; its
# CSV rows go to standard output. Without soft-RoCE (a kernel without
# rdma_rxe) it says why on standard error and writes no row; a fabric that
# cannot be set up, or a transfer that moved the wrong bytes, exits 1.
#
# Usage: tests/bench/rdma.sh RDMA_BENCH REPS SIZE...

set -u

PROG=$1
REPS=$2
shift 2
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC2034  # fabric.sh's load_modules reads it
BUILD=${MMIO_SHM_BUILD:-$TOP/build}
A=10.225.0.1	# veth0, rxe0: the initiator and the TCP sender
B=10.225.0.2	# veth1, rxe1: the buffer's owner and the TCP receiver

# bring_up, fabric_down
. "$TOP/tests/rdma/fabric.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/bench-rdma.XXXXXX") || exit 1
trap 'fabric_down; rm -rf "$T"' EXIT
bring_up
if [ -n "$WHY$BROKEN" ]; then
	echo "bench[guest]: no RDMA rows: $WHY$BROKEN" >&2
	[ -z "$BROKEN" ]
	exit
fi
echo "bench[guest]: RDMA WRITE, READ and TCP over veth0-veth1 (rxe1 owns the buffer)" >&2
"$PROG" -r "$REPS" rxe1 rxe0 "$B" "$A" "$@"
