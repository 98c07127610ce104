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
# deregistered (pin_test.c: the same guard under io_uring's pins). The
# program is BUILD/rdma/rdma_mr.
#
# Two rxe devices of one host talk through the veth pair only with policy
# routing: by default the kernel routes between two local addresses over
# lo, which rxe drops. Each address gets a rule (iif lo) whose table sends
# it out of the other veth end, the local table moves below those rules,
# and rp_filter=0 with accept_local=1 lets the packets in. A 1 MiB READ is
# a burst of 1024 packets: netdev_max_backlog goes to 10000, or veth drops
# them and each READ waits seconds on retries. Everything is put back at
# the end. Without rdma_rxe (or root) every case skips with the reason.

. "$(dirname "$0")/tap.sh"

DEV=${MMIO_SHM_DEV:-/dev/mmio_shm}
PROG=$BUILD/rdma/rdma_mr
CASES="peer_writes_and_reads_the_buffer_one_sided
peer_writes_and_reads_a_memfd_one_sided
resize_is_busy_while_the_region_is_registered"
A=10.225.0.1	# veth0, rxe0
B=10.225.0.2	# veth1, rxe1
T=""		# scratch: cmd.log, the sysctls' old values
WHY=""		# why there is no fabric, or ""
UP=0		# what bring_up did: 1 veth, 2 rules, 3 rxe

quiet() {
	"$@" >>"$T/cmd.log" 2>&1
}

sysctl_set() {
	echo "$1 $(sysctl -n "$1")" >>"$T/sysctls"
	quiet sysctl -w "$1=$2"
}

bring_up() {
	local why

	[ "$(id -u)" = 0 ] || { WHY="not root"; return; }
	if ! why=$(modprobe -a ib_uverbs rdma_rxe 2>&1); then
		WHY="no soft-RoCE in this kernel: modprobe rdma_rxe: ${why##*: }"
		return
	fi
	quiet ip link add veth0 type veth peer name veth1 ||
		{ WHY="ip link add veth0 type veth failed"; return; }
	UP=1
	quiet ip addr add $A/24 dev veth0 && quiet ip addr add $B/24 dev veth1 &&
		quiet ip link set veth0 up && quiet ip link set veth1 up ||
		{ WHY="cannot set up veth0/veth1"; return; }
	: >"$T/sysctls"
	sysctl_set net.core.netdev_max_backlog 10000
	for i in all veth0 veth1; do
		sysctl_set net.ipv4.conf.$i.rp_filter 0
		sysctl_set net.ipv4.conf.$i.accept_local 1
	done
	UP=2
	quiet ip route add $B dev veth0 src $A table 225 &&
		quiet ip route add $A dev veth1 src $B table 226 &&
		quiet ip rule add pref 100 to $B iif lo table 225 &&
		quiet ip rule add pref 101 to $A iif lo table 226 &&
		quiet ip rule add pref 1000 lookup local &&
		quiet ip rule del pref 0 lookup local ||
		{ WHY="cannot set up the policy routing"; return; }
	UP=3
	quiet rdma link add rxe0 type rxe netdev veth0 &&
		quiet rdma link add rxe1 type rxe netdev veth1 ||
		{ WHY="rdma link add ... type rxe failed: $(tail -n 1 "$T/cmd.log")"; return; }
}

cleanup() {
	local name value

	[ -n "$T" ] || return
	if [ "$UP" -ge 3 ]; then
		rdma link delete rxe0 2>/dev/null
		rdma link delete rxe1 2>/dev/null
	fi
	if [ "$UP" -ge 2 ]; then
		ip rule add pref 0 lookup local 2>/dev/null
		ip rule del pref 1000 lookup local 2>/dev/null
		ip rule del pref 100 2>/dev/null
		ip rule del pref 101 2>/dev/null
		ip route flush table 225 2>/dev/null
		ip route flush table 226 2>/dev/null
		while read -r name value; do
			sysctl -qw "$name=$value"
		done <"$T/sysctls"
	fi
	[ "$UP" -ge 1 ] && ip link del veth0 2>/dev/null
	rm -rf "$T"
}

setup() {
	[ -z "$WHY" ] || skip "$WHY"
	[ -x "$PROG" ] || fail "$PROG is missing: make -C tests rdma"
}

peer_writes_and_reads_the_buffer_one_sided() {
	run2 "$PROG" -d "$DEV" rxe0 rxe1 write-read
	log "$out"
	assert_eq 0 "$status" "rdma_mr's status"
	expect_contains "peer: the READ returned what pwrite put" "$out"
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

T=$(mktemp -d "${TMPDIR:-/tmp}/rdma.XXXXXX")
t0=$(date +%s%N)
bring_up
echo "# fabric: ${WHY:-rxe0 on veth0 ($A), rxe1 on veth1 ($B)}," \
	"$((($(date +%s%N) - t0) / 1000000)) ms"
plan 3
for c in $CASES; do
	run_case "$c"
done
tap_exit
