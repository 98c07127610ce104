#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2016 # the demo shows commands with $R unexpanded, as typed
#
# `make demo`: the device shown step by step, each command echoed with a
# leading "+" before its output. Runs as root where the module can be
# loaded: inside the QEMU guest, or on the host for `make demo HOST=1`.
# Loads the module, shows the node and its sysfs attributes, shares data
# between two processes, rings the doorbell, streams through a ring in
# the buffer with mmio-shm send and recv (and kills a sender mid-stream),
# dumps the buffer and unloads.
#
# Usage: tests/runner/demo.sh MODULE.ko USER_BUILD_DIR
#        (USER_BUILD_DIR holds mmio-shm and examples/, as built by user/)

set -u

KO=$(realpath "$1")
U=$(realpath "$2")
SYS=/sys/class/misc/mmio_shm

# the commands are shown relative to the user build directory
cd "$U" || exit 1

step() {
	echo
	echo "# $*"
}

# show CMD...: the command line as a person would type it
show() {
	local a line="+"

	for a in "$@"; do
		case "$a" in
		*[!A-Za-z0-9_./=:-]*) line="$line '$a'" ;;
		*) line="$line $a" ;;
		esac
	done
	echo "$line"
}

# run CMD...: echo it, run it, stop the demo if it fails
run() {
	show "$@"
	"$@" || fail "$*"
}

# bg CMD...: echo it and start it in the background; its output is held
# back until collect, so the demo reads the same on every run
bg() {
	echo "$(show "$@") &"
	bg_out=$(mktemp)
	"$@" >"$bg_out" 2>&1 &
	bg_pid=$!
}

# collect: wait for the background command and show what it printed
collect() {
	echo "+ wait"
	wait "$bg_pid"
	local rc=$?

	cat "$bg_out"
	rm -f "$bg_out"
	[ "$rc" -eq 0 ] || fail "the background command"
}

fail() {
	echo "demo: '$1' failed" >&2
	grep -q '^mmio_shm ' /proc/modules 2>/dev/null && rmmod mmio_shm
	exit 1
}

# wait up to 10 s for a sysfs attribute to reach a value
await() {
	local i

	for i in $(seq 100); do
		[ "$(cat "$SYS/$1")" = "$2" ] && return 0
		sleep 0.1
	done
	fail "waiting for $1 = $2"
}

if grep -q '^mmio_shm ' /proc/modules; then
	echo "demo: mmio_shm is loaded already; rmmod it first" >&2
	exit 1
fi

step "load the module with a 1 MiB buffer (the default is 4M)"
run insmod "$KO" size=1M

step "the node, and what the device reports in sysfs"
run ls -l /dev/mmio_shm
run grep . $SYS/size $SYS/open_files $SYS/mappings $SYS/doorbell_seq

step "one process writes into its mapping and rings the doorbell; another maps and reads"
run ./examples/writer "hello from the writer process"
run ./examples/reader

step "the same bytes, seen through read(2)"
run ./mmio-shm dump -l 64

step "the doorbell: a process sleeps until the sequence passes 1, another one rings"
bg ./mmio-shm wait -s "$(cat $SYS/doorbell_seq)" -t 60000
await open_files 1
sleep 1
run grep . $SYS/open_files $SYS/doorbell_seq
run ./mmio-shm notify
collect

step "two processes share a pthread mutex and condition variable in the buffer"
bg ./examples/consumer 5
await mappings 1
run grep . $SYS/open_files $SYS/mappings
run ./examples/producer 5
collect

step "the counters once the others are gone (this info is the one open file)"
run ./mmio-shm info

step "a stream through the buffer: send puts its standard input into a ring as records, recv writes them out"
echo '+ R=$(mktemp -d)'
R=$(mktemp -d)
echo "+ seq 100000 | ./mmio-shm send --init -l 65920 &"
seq 100000 | ./mmio-shm send --init -l 65920 >"$R/send" 2>&1 &
send_pid=$!
echo '+ ./mmio-shm recv >$R/received'
./mmio-shm recv -t 60000 >"$R/received" || fail "mmio-shm recv"
echo "+ wait"
wait "$send_pid" || { cat "$R/send"; fail "mmio-shm send"; }
echo '+ tail -n 3 $R/received'
tail -n 3 "$R/received"
echo '+ seq 100000 | cmp - $R/received && echo "the same 100000 lines, in order"'
seq 100000 | cmp - "$R/received" || fail "the stream differs from its input"
echo "the same 100000 lines, in order"

step "a peer killed mid-stream: recv learns that the sender is gone, and says so"
echo '+ mkfifo $R/fifo'
mkfifo "$R/fifo"
bg ./mmio-shm recv --init -l 65920
echo '+ ./mmio-shm send --lines <$R/fifo & send=$!'
./mmio-shm send --lines <"$R/fifo" &
send_pid=$!
echo '+ exec 4>$R/fifo; echo "first record" >&4   (the stream stays open)'
exec 4>"$R/fifo"
echo "first record" >&4
# mid-stream: once recv has written the record out
for _ in $(seq 100); do
	[ -s "$bg_out" ] && break
	sleep 0.1
done
echo '+ kill -KILL $send'
kill -KILL "$send_pid"
wait "$send_pid" 2>/dev/null
echo "+ wait"
wait "$bg_pid"
rc=$?
cat "$bg_out"
rm -f "$bg_out"
exec 4>&-
rm -rf "$R"
echo "recv exited with status $rc"
[ "$rc" -eq 1 ] || fail "recv after the sender was killed (status $rc, not 1)"

step "unload: the node goes away with the module"
run rmmod mmio_shm
echo "+ ls /dev/mmio_shm"
if ls /dev/mmio_shm 2>&1; then
	fail "the node outlived the module"
fi
