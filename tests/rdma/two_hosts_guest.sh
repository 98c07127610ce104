#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One guest's part of tests/shell/rdma_two_hosts.sh: two guests joined by
# a QEMU datagram link, soft-RoCE (rdma_rxe) on each one's virtio-net NIC,
# static addresses, no other network. ROLE B owns the buffer: it loads the
# module, puts the bytes A is to read into the device with pwrite(2)
# (dd), serves the buffer with the README's example
# (user/examples/rdma-share serve), and once A is done reads what A wrote
# through a fresh mapping (mmio-shm read) and through pread(2) (dd). ROLE A
# is the client on the other machine: rdma-share connect, one RDMA WRITE,
# one RDMA READ. Both take the steps of the README's "Sharing the buffer
# with other machines" as written there: modprobe -a rdma_rxe rdma_ucm,
# rdma link add rxe0 type rxe netdev NIC, rdma-share serve ADDR and
# rdma-share connect ADDR write|read.
#
# The guests meet in DIR, a directory of the build tree both see (virtme-ng
# mounts the build directory read-write in each): the host put there
# write.txt (what A writes) and read.txt (what B puts in for A to read) and
# the offsets, in offsets (WRITE_OFF READ_OFF). Each guest leaves there:
#   ROLE.fabric    "up", or "skip: REASON" (the kernel has no soft-RoCE:
#                  outside the project's reach), or "fail: REASON"
#   b.ready        B serves (A waits for it, or for b.failed: B cannot)
#   a.write, a.read  A's client output, a.write.rc, a.read.rc its statuses
#   a.done         A has finished, whatever happened (B waits for it)
#   b.mapped, b.pread  what B's processes see where A wrote
#   ROLE.log       the commands' own messages
# Every wait has a time limit (WAIT seconds); the host kills both guests
# after its own.
#
# Usage: two_hosts_guest.sh A|B DIR KO   (KO: the module, loaded by B)

set -u

ROLE=$1
DIR=$2
KO=$3
WAIT=${TWO_HOSTS_WAIT:-200}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${MMIO_SHM_BUILD:-$TOP/build}
EX=$BUILD/user/examples/rdma-share
TOOL=$BUILD/user/mmio-shm
DEV=/dev/mmio_shm
# each guest's address and its NIC's MAC (tests/shell/rdma_two_hosts.sh
# gives the NICs these)
A_IP=10.225.1.1
B_IP=10.225.1.2
A_MAC=52:54:00:25:01:01
B_MAC=52:54:00:25:01:02
LOG=$DIR/$ROLE.log

# load_modules
. "$TOP/tests/rdma/load_modules.sh"

# a step's time on the guest's clock, in ROLE.log: where the run's time goes
mark() {
	echo "$ROLE: $(cut -d' ' -f1 /proc/uptime) s since boot: $*" >>"$LOG"
}

say() {
	printf '%s\n' "$2" >"$DIR/$1.tmp" && mv "$DIR/$1.tmp" "$DIR/$1"
}

# waits up to WAIT seconds for one of the files named to exist
wait_for() {
	local i f

	for ((i = 0; i < WAIT * 5; i++)); do
		for f in "$@"; do
			[ -e "$DIR/$f" ] && return 0
		done
		sleep 0.2
	done
	return 1
}

# soft-RoCE on the NIC with MAC $1, address $2; says how in ROLE.fabric
fabric() {
	local mac=$1 ip=$2 nic why

	# the NIC's driver, then the modules the README names for soft-RoCE
	if ! why=$(load_modules virtio_net 2>&1) ||
	   ! why=$(load_modules rdma_rxe rdma_ucm 2>&1); then
		say "$ROLE.fabric" "skip: no soft-RoCE in this kernel: ${why##*: }"
		return 1
	fi
	nic=$(ip -o link | awk -v mac="$mac" '$0 ~ "link/ether " mac { sub(/:$/, "", $2); print $2 }')
	if [ -z "$nic" ]; then
		say "$ROLE.fabric" "fail: no NIC with MAC $mac: $(ip -o link | awk '{ print $2 }' | tr '\n' ' ')"
		return 1
	fi
	if ! ip addr add "$ip/24" dev "$nic" >>"$LOG" 2>&1 ||
	   ! ip link set "$nic" up >>"$LOG" 2>&1; then
		say "$ROLE.fabric" "fail: cannot give $nic the address $ip: $(tail -n 1 "$LOG")"
		return 1
	fi
	if ! rdma link add rxe0 type rxe netdev "$nic" >>"$LOG" 2>&1; then
		say "$ROLE.fabric" "fail: rdma link add rxe0 type rxe netdev $nic: $(tail -n 1 "$LOG")"
		return 1
	fi
	rdma link >>"$LOG" 2>&1
	say "$ROLE.fabric" "up: rxe0 on $nic ($ip)"
	mark "rxe0 is up"
}

read -r WRITE_OFF READ_OFF <"$DIR/offsets"
WRITE_LEN=$(stat -c %s "$DIR/write.txt")

mark "the command starts"
case $ROLE in
B)
	server=""
	trap '[ -z "$server" ] || kill "$server" 2>/dev/null
	      [ -e "$DIR/b.ready" ] || say b.failed "see B.fabric"' EXIT
	insmod "$KO" || { say B.fabric "fail: insmod $KO failed"; exit 1; }
	fabric "$B_MAC" "$B_IP" || exit 1
	dd if="$DIR/read.txt" of="$DEV" bs=1M oflag=seek_bytes seek="$READ_OFF" \
		conv=notrunc status=none 2>>"$LOG"
	"$EX" -d "$DEV" serve "$B_IP" >"$DIR/b.serve" 2>&1 &
	server=$!
	for ((i = 0; i < 100; i++)); do
		grep -q serving "$DIR/b.serve" && break
		sleep 0.1
	done
	say b.ready "$(cat "$DIR/b.serve")"
	mark "serving"
	wait_for a.done || echo "B: no a.done after ${WAIT}s" >>"$LOG"
	mark "A is done"
	"$TOOL" read -d "$DEV" -o "$WRITE_OFF" -l "$WRITE_LEN" >"$DIR/b.mapped" 2>>"$LOG"
	dd if="$DEV" bs=1M iflag=skip_bytes,count_bytes skip="$WRITE_OFF" \
		count="$WRITE_LEN" status=none >"$DIR/b.pread" 2>>"$LOG"
	;;
A)
	trap 'say a.done finished' EXIT
	fabric "$A_MAC" "$A_IP" || exit 1
	wait_for b.ready b.failed || echo "A: no b.ready after ${WAIT}s" >>"$LOG"
	[ -e "$DIR/b.ready" ] || exit 1
	mark "B serves"
	"$EX" connect "$B_IP" write "$WRITE_OFF" "$(cat "$DIR/write.txt")" \
		>"$DIR/a.write" 2>&1
	echo $? >"$DIR/a.write.rc"
	"$EX" connect "$B_IP" read "$READ_OFF" "$(stat -c %s "$DIR/read.txt")" \
		>"$DIR/a.read" 2>&1
	echo $? >"$DIR/a.read.rc"
	mark "wrote and read"
	;;
*)
	echo "usage: $0 A|B DIR KO" >&2
	exit 2
	;;
esac
