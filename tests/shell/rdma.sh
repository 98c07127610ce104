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
# Two rxe devices of one host talk through the veth pair only with policy
# routing: by default the kernel routes between two local addresses over
# lo, which rxe drops. Each address gets a rule (iif lo) whose table sends
# it out of the other veth end, the local table moves below those rules,
# and rp_filter=0 with accept_local=1 lets the packets in. A 2 MiB READ is
# a burst of 2048 packets: netdev_max_backlog goes to 10000, or veth drops
# them and each READ waits seconds on retries. Everything is put back at
# the end. Without rdma_rxe (or root) every case skips with the reason;
# where rxe loads, a step of the setup that fails fails every case.

. "$(dirname "$0")/tap.sh"
# load_modules
. "$TOP/tests/rdma/load_modules.sh"

DEV=${MMIO_SHM_DEV:-/dev/mmio_shm}
PROG=$BUILD/rdma/rdma_mr
CASES="peer_writes_and_reads_the_buffer_one_sided
peer_writes_and_reads_a_memfd_one_sided
resize_is_busy_while_the_region_is_registered
rdma_share_example_serves_the_buffer_over_rdma_cm"
A=10.225.0.1	# veth0, rxe0
B=10.225.0.2	# veth1, rxe1
T=""		# scratch: cmd.log, the sysctls' old values
WHY=""		# why this kernel or user cannot have the fabric: the cases skip
BROKEN=""	# what failed in setting it up where it can be: the cases fail
UP=0		# how far bring_up got: 1 veth, 2 sysctls, 3 routing, 4 rxe

quiet() {
	"$@" >>"$T/cmd.log" 2>&1
}

# SYSCTLS: what bring_up sets, each NAME=VALUE; their old values are kept
# in $T/sysctls. Every command is a process, and under TCG each costs a
# good part of a second: ip and rdma take their commands in one batch.
SYSCTLS="net.core.netdev_max_backlog=10000
net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.all.accept_local=1
net.ipv4.conf.veth0.rp_filter=0 net.ipv4.conf.veth0.accept_local=1
net.ipv4.conf.veth1.rp_filter=0 net.ipv4.conf.veth1.accept_local=1"

bring_up() {
	local why kv names=""

	[ "$(id -u)" = 0 ] || { WHY="not root"; return; }
	if ! why=$(load_modules veth ib_uverbs rdma_ucm rdma_rxe 2>&1); then
		WHY="no soft-RoCE in this kernel: ${why##*: }"
		return
	fi
	UP=1
	quiet ip -batch - <<-EOF || { BROKEN="cannot set up veth0/veth1: $(tail -n 1 "$T/cmd.log")"; return; }
		link add veth0 type veth peer name veth1
		addr add $A/24 dev veth0
		addr add $B/24 dev veth1
		link set veth0 up
		link set veth1 up
	EOF
	for kv in $SYSCTLS; do
		names="$names ${kv%%=*}"
	done
	# shellcheck disable=SC2086  # one word a name
	sysctl -e $names >"$T/sysctls" 2>>"$T/cmd.log"
	UP=2
	# shellcheck disable=SC2086  # one word a setting
	quiet sysctl -w $SYSCTLS || { BROKEN="cannot set$names"; return; }
	UP=3
	quiet ip -batch - <<-EOF || { BROKEN="cannot set up the policy routing: $(tail -n 1 "$T/cmd.log")"; return; }
		route add $B dev veth0 src $A table 225
		route add $A dev veth1 src $B table 226
		rule add pref 100 to $B iif lo table 225
		rule add pref 101 to $A iif lo table 226
		rule add pref 1000 lookup local
		rule del pref 0 lookup local
	EOF
	UP=4
	quiet rdma --batch - <<-EOF || { BROKEN="rdma link add ... type rxe failed: $(tail -n 1 "$T/cmd.log")"; return; }
		link add rxe0 type rxe netdev veth0
		link add rxe1 type rxe netdev veth1
	EOF
}

# puts back what bring_up changed, as far as it got (a rule that exists
# already is not added twice: ip rule add says EEXIST)
cleanup() {
	local settings

	[ -n "$T" ] || return
	if [ "$UP" -ge 4 ]; then
		printf 'link delete rxe0\nlink delete rxe1\n' |
			rdma --force --batch - >/dev/null 2>&1
	fi
	if [ "$UP" -ge 3 ]; then
		ip -force -batch - >/dev/null 2>&1 <<-EOF
			rule add pref 0 lookup local
			rule del pref 1000 lookup local
			rule del pref 100
			rule del pref 101
			route flush table 225
			route flush table 226
		EOF
	fi
	if [ "$UP" -ge 2 ]; then
		settings=$(sed 's/ = /=/' "$T/sysctls")
		# shellcheck disable=SC2086  # one word a setting
		[ -z "$settings" ] || sysctl -qw $settings
	fi
	[ "$UP" -ge 1 ] && ip link del veth0 2>/dev/null
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
