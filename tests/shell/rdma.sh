#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: guest
#
# Description: the buffer as an RDMA memory region, over soft-RoCE
# (rdma_rxe) on a veth pair inside the guest: registered with ibv_reg_mr(),
# it is written and read one-sided by a second process on the other rxe
# device, and the bytes show through the owner's mapping, a fresh mapping
# and pread(2); a memfd does the same (the control); while the region is
# registered a shrinking RESIZE fails with EBUSY, and succeeds once it is
# deregistered (pin_test.c: the same guard under io_uring's and AF_XDP's
# pins). The program is BUILD/rdma/rdma_mr (tests/rdma/rdma_mr.c). Last,
# the README's example, user/examples/rdma-share, serves the buffer over
# rdma_cm to clients that write and read it.
#
# The fabric: rxe0 on veth0, rxe1 on veth1, with the policy routing that
# makes their packets cross the veth pair (tests/rdma/fabric.sh says why).
# Everything is put back at the end. Without rdma_rxe (or root) every case
# skips with the reason; where rxe loads, a step of the setup that fails
# fails every case.

. "$(dirname "$0")/tap.sh"
# bring_up, fabric_down: the veth pair, its routing and the rxe devices
. "$TOP/tests/rdma/fabric.sh"

DEV=${MMIO_SHM_DEV:-/dev/mmio_shm}
PROG=$BUILD/rdma/rdma_mr
CASES="peer_writes_and_reads_the_buffer_one_sided
peer_writes_and_reads_a_memfd_one_sided
resize_is_busy_while_the_region_is_registered
rdma_share_example_serves_the_buffer_over_rdma_cm"
A=10.225.0.1	# veth0, rxe0
B=10.225.0.2	# veth1, rxe1
T=""		# scratch: cmd.log, the sysctls' old values

cleanup() {
	[ -n "$T" ] || return
	fabric_down
	rm -rf "$T"
}

setup() {
	[ -z "$WHY" ] || skip "$WHY"
	[ -z "$BROKEN" ] || { fail "$BROKEN"; exit 1; }
	[ -x "$PROG" ] || fail "$PROG is missing: make -C tests rdma"
}

peer_writes_and_reads_the_buffer_one_sided() {
	run2 "$PROG" -d "$DEV" rxe0 rxe1 write-read
	log "$out"
	assert_eq 0 "$status" "rdma_mr's status"
	expect_contains "ok: peer: the READ returned what pwrite put" "$out"
	expect_contains "ok: peer: a READ after MMIO_SHM_IOC_ZERO returns zeroes" "$out"
}

peer_writes_and_reads_a_memfd_one_sided() {
	run2 "$PROG" -m -d "$DEV" rxe0 rxe1 write-read
	log "$out"
	assert_eq 0 "$status" "rdma_mr's status"
	expect_contains "a memfd" "$out"
}

resize_is_busy_while_the_region_is_registered() {
	run2 "$PROG" -d "$DEV" rxe0 rxe1 guard
	log "$out"
	assert_eq 0 "$status" "rdma_mr's status"
	expect_contains "(want EBUSY)" "$out"
}

# the README's example: a server on rxe0's address, clients from rxe1's
rdma_share_example_serves_the_buffer_over_rdma_cm() {
	local ex=$BUILD/user/examples/rdma-share pid i

	[ -x "$ex" ] || { fail "no $ex: user/Makefile builds it where pkg-config finds librdmacm"; return; }
	"$ex" -d "$DEV" serve $A >"$T/serve.out" 2>&1 &
	pid=$!
	for i in $(seq 100); do
		grep -q serving "$T/serve.out" && break
		sleep 0.1
	done
	run2 "$ex" connect -s $B $A write 4096 'hello from afar'
	expect_eq $'rdma-share: wrote 15 bytes at 4096\n' "$out" "the client's write"
	expect_eq 'hello from afar' \
		"$(dd if="$DEV" bs=1 skip=4096 count=15 status=none)" "pread of the device"
	printf 'from pwrite' | dd of="$DEV" bs=1 seek=8192 conv=notrunc status=none
	run2 "$ex" connect -s $B $A read 8192 11
	expect_eq 'from pwrite' "$out" "the client's read"
	kill "$pid"
	wait "$pid"
	log "the server said: $(cat "$T/serve.out")"
}

T=$(mktemp -d "${TMPDIR:-/tmp}/rdma.XXXXXX")
t0=$(date +%s%N)
bring_up
echo "# fabric: ${WHY:-${BROKEN:-rxe0 on veth0 ($A), rxe1 on veth1 ($B)}}," \
	"$((($(date +%s%N) - t0) / 1000000)) ms"
plan 4
for c in $CASES; do
	run_case "$c"
done
tap_exit
