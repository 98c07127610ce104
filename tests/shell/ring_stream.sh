#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: guest
#
# Description: mmio-shm send and recv through a ring in the real device: a
# file goes through unchanged; a sender killed with SIGKILL mid-stream
# makes recv fail with "the sender is gone" (no timing asserted: timeout 60
# only catches a hang); a receiver that stopped makes a waiting send fail
# with "the receiver is gone"; with --fanin, a sender killed is a note on
# stderr and the other senders' lines all come through.

. "$(dirname "$0")/tap.sh"

TOOL=$BUILD/user/mmio-shm
DEV=${MMIO_SHM_DEV:-/dev/mmio_shm}
SYSFS=/sys/class/misc/$(basename "$DEV")
PS=$(getconf PAGESIZE)

# the device opens, and its first 128 KiB are zeroes (no ring left over)
setup() {
	local why

	assert_true test -x "$TOOL"
	why=$( { exec 3<>"$DEV"; } 2>&1) || skip "cannot open $DEV: ${why##*: }"
	SIZE=$(cat "$SYSFS/size")
	[ "$SIZE" -ge $((128 << 10)) ] || skip "buffer of $SIZE bytes"
	assert_true dd if=/dev/zero of="$DEV" bs="$PS" count=$(((128 << 10) / PS)) \
		conv=notrunc status=none
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/ring_stream.XXXXXX")
}

teardown() {
	rm -rf "$TMP"
}

file_through_device() {
	local pid

	assert_true head -c 2M /dev/urandom >"$TMP/in"
	timeout 60 "$TOOL" recv -d "$DEV" --init -l 65920 >"$TMP/out" &
	pid=$!
	run2 timeout 60 "$TOOL" send -d "$DEV" <"$TMP/in"
	expect_eq 0 "$status" "send"
	expect_eq "" "$out" "send's output"
	wait "$pid"
	expect_eq 0 "$?" "recv"
	expect_true cmp "$TMP/in" "$TMP/out"
}

sender_killed_mid_stream() {
	local pid rpid i

	assert_true head -c 256K /dev/urandom >"$TMP/in"
	assert_true mkfifo "$TMP/fifo"
	timeout 60 "$TOOL" recv -d "$DEV" --init -l 65920 >"$TMP/out" 2>"$TMP/err" &
	rpid=$!
	"$TOOL" send -d "$DEV" <"$TMP/fifo" &
	pid=$!
	# the stream stays open: fd 4 holds the FIFO's write end
	exec 4>"$TMP/fifo"
	cat "$TMP/in" >&4
	# mid-stream: once recv has written something
	for ((i = 0; i < 600; i++)); do
		[ -s "$TMP/out" ] && break
		sleep 0.1
	done
	assert_true test -s "$TMP/out"
	kill -KILL "$pid"
	wait "$rpid"
	expect_eq 1 "$?" "recv's status"
	expect_eq "mmio-shm: recv: the sender is gone (EPIPE)" "$(<"$TMP/err")"
	# what it wrote is the start of the stream
	expect_true cmp -n "$(stat -c %s "$TMP/out")" "$TMP/in" "$TMP/out"
	exec 4>&-
}

receiver_gone() {
	local pid

	timeout 60 "$TOOL" recv -d "$DEV" --init -l 65920 -c 3 >/dev/null &
	pid=$!
	run2 timeout 60 "$TOOL" send -d "$DEV" </dev/zero
	expect_eq 1 "$status" "send's status"
	expect_eq $'mmio-shm: send: the receiver is gone (EPIPE)\n' "$out"
	wait "$pid"
	expect_eq 0 "$?" "recv -c 3"
}

# recv --fanin on the device: a sender killed mid-stream (it never ends
# its stream: fd 4 holds its FIFO's write end) is a note on stderr, which
# the kernel's word causes; then two more senders' lines all come through
fanin_sender_killed() {
	local rpid kpid i

	timeout 60 "$TOOL" recv -d "$DEV" --fanin -l 128K -c 6100 \
		>"$TMP/out" 2>"$TMP/err" &
	rpid=$!
	assert_true mkfifo "$TMP/fifo3"
	"$TOOL" send -d "$DEV" --fanin --lines <"$TMP/fifo3" &
	kpid=$!
	exec 4>"$TMP/fifo3"
	seq 1 100 | sed 's/^/p3 /' >&4
	for ((i = 0; i < 600; i++)); do
		grep -q "^p3 100$" "$TMP/out" && break
		sleep 0.1
	done
	kill -KILL "$kpid"
	exec 4>&-
	for ((i = 0; i < 600; i++)); do
		grep -q " is gone" "$TMP/err" && break
		sleep 0.1
	done
	expect_eq "mmio-shm: recv: the sender in slot 0 is gone" "$(<"$TMP/err")"
	for i in 1 2; do
		seq 1 3000 | sed "s/^/p$i /" | timeout 60 "$TOOL" send -d "$DEV" --fanin --lines &
	done
	wait "$rpid"
	expect_eq 0 "$?" "recv --fanin -c 6100"
	for i in 1 2; do
		expect_eq "$(seq 1 3000 | sed "s/^/p$i /")" "$(grep "^p$i " "$TMP/out")" \
			"sender $i's lines"
	done
	expect_eq "$(seq 1 100 | sed 's/^/p3 /')" "$(grep "^p3 " "$TMP/out")" "the killed one's"
}

plan 4
run_case file_through_device
run_case sender_killed_mid_stream
run_case receiver_gone
run_case fanin_sender_killed
tap_exit
