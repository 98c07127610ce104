#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: host
#
# Description: the buffer shared with another machine over RDMA, for real:
# two guests of the kernel make check boots (MMIO_SHM_VMLINUZ), each with a
# virtio-net NIC, joined by a QEMU datagram link between two Unix sockets
# of the host (-netdev dgram: nothing of the host's network), soft-RoCE on
# each NIC, static addresses. Guest B loads the module (MMIO_SHM_KO) and
# serves its buffer with the README's example (rdma-share serve); guest A
# runs the example's client: one RDMA WRITE of 2,800 bytes across a page
# boundary, one RDMA READ of 2,000 bytes B had put in with pwrite(2). B's
# processes must see A's bytes through a fresh mapping (mmio-shm read) and
# through pread(2) (dd), and A must read B's. Each guest's part is
# tests/rdma/two_hosts_guest.sh; they meet in a directory of the build
# tree both mount, every wait with a time limit, and both guests are
# killed on any way out of this script (tests/runner/vm.sh kills a guest
# past its timeout; this script stops both vm.sh on a signal), which the
# last case checks: no process with this run's mark is left.
#
# Two TCG guests at once on a 2-core machine: the wall time is printed
# (92 to 132 s here beside other sessions' guests and builds, load 4 to
# 8; 201 s once; the boots are most of it, the RDMA part about 10 s of
# the guests' clocks). Without a kernel image
# or module to boot, or in a kernel without soft-RoCE, the cases skip with
# the reason.

. "$(dirname "$0")/tap.sh"

VMLINUZ=${MMIO_SHM_VMLINUZ:-}
KO=${MMIO_SHM_KO:-}
# each guest's limit, under run-suite.sh's 300 s for a program; a guest's own
# waits (two_hosts_guest.sh) are shorter
TIMEOUT=${TWO_HOSTS_TIMEOUT:-270}
WRITE_OFF=$((3 * 4096 - 1000))
READ_OFF=$((64 * 1024 + 2000))
CASES="both_guests_bring_up_soft_roce a_writes_b_buffer_one_sided
a_reads_b_buffer_one_sided both_guests_end_and_leave_no_process"

MARK=""		# scratch of the host: the link's sockets; on every QEMU's command line
DIR=""		# the guests' meeting place, in the build tree
VMS=""		# the two vm.sh still running

cleanup() {
	local pid

	for pid in $VMS; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $VMS; do
		wait "$pid" 2>/dev/null
	done
	[ -z "$MARK" ] || rm -rf "$MARK"
	[ -z "$DIR" ] || rm -rf "$DIR"
}
trap 'exit 130' INT TERM

plan 4
why=""
if [ -z "$VMLINUZ" ] || [ ! -r "$VMLINUZ" ]; then
	why="no kernel image to boot (MMIO_SHM_VMLINUZ; make check sets it)"
elif [ -z "$KO" ] || [ ! -r "$KO" ]; then
	why="no module for that kernel (MMIO_SHM_KO; make check sets it)"
fi
if [ -n "$why" ]; then
	for c in $CASES; do
		skip_case "$c" "$why"
	done
	tap_exit
fi
if ! command -v pgrep >/dev/null; then
	for c in $CASES; do
		fail_case "$c" "pgrep not found: procps is missing (tests/provision/deps.sh installs it)"
	done
	tap_exit
fi
for p in "$BUILD/user/examples/rdma-share" "$BUILD/user/mmio-shm"; do
	if [ ! -x "$p" ]; then
		for c in $CASES; do
			fail_case "$c" "no $p: make -C user (librdmacm-dev for rdma-share)"
		done
		tap_exit
	fi
done

MARK=$(mktemp -d "${TMPDIR:-/tmp}/mmio_shm_two_hosts.XXXXXX")
DIR=$(mktemp -d "$BUILD/two-hosts.XXXXXX")
# what A writes: 2,800 bytes of text across a page boundary; what B puts in
# for A to read: 2,000 others
for ((i = 0; i < 200; i++)); do printf 'A wrote %05d|' "$i"; done >"$DIR/write.txt"
for ((i = 0; i < 200; i++)); do printf 'B:%07d|' "$i"; done >"$DIR/read.txt"
echo "$WRITE_OFF $READ_OFF" >"$DIR/offsets"

# guest $1's NIC: MAC 52:54:00:25:01:0N, its socket and the other's
nic() {
	local me=$1 peer=$2 n=$3

	echo "-netdev dgram,id=link25,local.type=unix,local.path=$MARK/$me.sock,remote.type=unix,remote.path=$MARK/$peer.sock" \
		"-device virtio-net-pci,netdev=link25,mac=52:54:00:25:01:0$n"
}

start=$SECONDS
for g in A B; do
	if [ $g = A ]; then opts=$(nic A B 1); else opts=$(nic B A 2); fi
	VM_QEMU_OPTS=$opts "$TOP/tests/runner/vm.sh" "$VMLINUZ" "$TIMEOUT" "$BUILD" \
		"MMIO_SHM_BUILD=$BUILD $TOP/tests/rdma/two_hosts_guest.sh $g $DIR $KO" \
		>"$MARK/$g.out" 2>&1 &
	VMS="$VMS $!"
	eval "vm_$g=$!"
done
# shellcheck disable=SC2154  # set by the eval above
wait "$vm_A"
rc_A=$?
# shellcheck disable=SC2154
wait "$vm_B"
rc_B=$?
VMS=""
took=$((SECONDS - start))
left=$(pgrep -af -- "$MARK")
left_rc=$?
echo "# two guests: ${took} s from the first boot to the last power-off"
for g in A B; do
	sed "s/^/# guest $g: /" "$DIR/$g.log" 2>/dev/null | tail -n 8
	grep -E "^vm:|error" "$MARK/$g.out" | tail -n 3 | sed "s/^/# guest $g: /"
done

# "up: ..." of both guests, or the reason
fabric_of() {
	cat "$DIR/$1.fabric" 2>/dev/null || echo "fail: guest $1 said nothing (status ${2})"
}
FAB_A=$(fabric_of A "$rc_A")
FAB_B=$(fabric_of B "$rc_B")

# the fabric's cases skip without soft-RoCE; the last one holds anyway
setup() {
	[ "$CASE" != both_guests_end_and_leave_no_process ] || return 0
	case "$FAB_A$FAB_B" in
	*skip:*) skip "$(printf '%s\n%s\n' "$FAB_A" "$FAB_B" | sed -n 's/^skip: //p' | head -n 1)" ;;
	esac
}

both_guests_bring_up_soft_roce() {
	log "A: $FAB_A"
	log "B: $FAB_B"
	expect_prefix "up: " "$FAB_A" "guest A's fabric"
	expect_prefix "up: " "$FAB_B" "guest B's fabric"
	expect_true test -e "$DIR/b.ready"
	log "B's server: $(cat "$DIR/b.ready" 2>/dev/null)"
}

a_writes_b_buffer_one_sided() {
	assert_eq 0 "$(cat "$DIR/a.write.rc" 2>/dev/null)" "rdma-share connect ... write's status on A"
	expect_eq "rdma-share: wrote $(stat -c %s "$DIR/write.txt") bytes at $WRITE_OFF" \
		"$(cat "$DIR/a.write")" "the client's word on A"
	expect_true cmp "$DIR/write.txt" "$DIR/b.mapped"
	log "B's mapping (mmio-shm read) at $WRITE_OFF: $(head -c 42 "$DIR/b.mapped" | tr -d "\0")..."
	expect_true cmp "$DIR/write.txt" "$DIR/b.pread"
	log "B's pread (dd) at $WRITE_OFF: $(head -c 42 "$DIR/b.pread" | tr -d "\0")..."
}

a_reads_b_buffer_one_sided() {
	assert_eq 0 "$(cat "$DIR/a.read.rc" 2>/dev/null)" "rdma-share connect ... read's status on A"
	expect_true cmp "$DIR/read.txt" "$DIR/a.read"
	log "A read at $READ_OFF: $(head -c 40 "$DIR/a.read" | tr -d "\0")..."
}

both_guests_end_and_leave_no_process() {
	expect_eq 0 "$rc_A" "guest A's status (vm.sh; 124: killed after ${TIMEOUT}s)"
	expect_eq 0 "$rc_B" "guest B's status"
	expect_eq 1 "$left_rc" "pgrep's status after the run (1: no process matched)"
	expect_eq "" "$left" "processes left with $MARK in their command line"
}

for CASE in $CASES; do
	run_case "$CASE"
done
tap_exit
