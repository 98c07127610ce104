#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: host
#
# Description: the mmio-shm tool and the man pages, on the host: every man
# page renders without a warning; --help and --version work for the tool
# and each subcommand (exit 0), usage errors exit 2 with one line on
# stderr; info, write, read and dump work on a regular file, and the
# device-only subcommands fail there with exit 1 and one error line; send
# and recv pass streams through a message ring in a regular file (two
# processes at once, either one first, chunks or lines), and refuse bad
# regions, garbage and expired timeouts with one line; export refuses
# --exec without a command and a command without --exec (exit 2), and a
# file (exit 1: no dma-buf of a file; the device's exports are examples.sh's).

. "$(dirname "$0")/tap.sh"

TOOL=$BUILD/user/mmio-shm
SUBCOMMANDS="info dump read write zero resize notify wait watch send recv export"

# a 2-page file standing in for the device, new for every case
setup() {
	assert_true test -x "$TOOL"
	FILE=$(mktemp "${TMPDIR:-/tmp}/tool_test.XXXXXX")
	assert_true truncate -s 8192 "$FILE"
}

teardown() {
	rm -f "$FILE" "$FILE".*
}

man_pages_render_without_warnings() {
	local f n=0 w

	# from user/man, where the .so requests of the variants resolve
	cd "$TOP/user/man" || exit 1
	run eval '
		for f in man1/*.1 man3/*.3 man4/*.4 man7/*.7; do
			n=$((n + 1))
			w=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
			[ -z "$w" ] || echo "$f: $w"
			head -n 3 "$f" | grep -q SPDX-License-Identifier || echo "$f: no SPDX"
		done
		echo "pages: $n"'
	assert_eq 0 "$status"
	# 1 + 37 + 1 + 1 pages (mmio_shm_zero_range.3 came with 1.0, the ten
	# mmio_shm_ring_*.3, mmio_shm_bind.3, mmio_shm_peer_alive.3 and
	# mmio_shm_ring_bind.3 with 1.1, mmio_shm_ring_peer_alive.3 and
	# mmio_shm_ring.7 with 1.2, the six mmio_shm_fanin_*.3 and
	# mmio_shm_export_dmabuf.3 with 1.3), and no other line
	expect_eq $'pages: 40\n' "$out"
}

help_and_version() {
	local sub

	run "$TOOL" --help
	assert_eq 0 "$status"
	expect_prefix "Usage: mmio-shm [OPTIONS] COMMAND" "$out"
	run "$TOOL" -h
	expect_eq 0 "$status" "-h"
	run "$TOOL" --version
	assert_eq 0 "$status"
	expect_contains "mmio-shm (mmio_shm) 1.0.0" "$out"
	run "$TOOL" -v
	expect_eq 0 "$status" "-v"
	for sub in $SUBCOMMANDS; do
		run "$TOOL" "$sub" --help
		expect_eq 0 "$status" "$sub --help"
		expect_prefix "Usage: mmio-shm $sub [OPTIONS]" "$out"
		expect_contains "--device" "$out" "$sub --help"
		run "$TOOL" "$sub" -v
		expect_eq 0 "$status" "$sub -v"
	done
}

usage_errors_exit_2() {
	run2 "$TOOL" --no-such-option
	expect_eq 2 "$status" "--no-such-option"
	expect_eq 1 "$(lines "$out")" "lines"
	expect_prefix "mmio-shm: " "$out"
	run2 "$TOOL"
	expect_eq 2 "$status" "no command"
	run2 "$TOOL" frobnicate
	expect_eq 2 "$status" "frobnicate"
	expect_eq 1 "$(lines "$out")" "lines"
	run2 "$TOOL" info --bogus
	expect_eq 2 "$status" "info --bogus"
	# another command's option
	run2 "$TOOL" info --timeout 5
	expect_eq 2 "$status" "info --timeout 5"
	expect_eq $'mmio-shm: unknown option \'--timeout\' (try mmio-shm --help)\n' "$out"
	run2 "$TOOL" dump --offset
	expect_eq 2 "$status" "dump --offset"
	run2 "$TOOL" dump --offset 12x
	expect_eq 2 "$status" "dump --offset 12x"
	run2 "$TOOL" resize
	expect_eq 2 "$status" "resize"
	run2 "$TOOL" info extra
	expect_eq 2 "$status" "info extra"
	expect_eq 1 "$(lines "$out")" "lines"
}

file_info_write_read_dump() {
	run "$TOOL" -d "$FILE" info
	assert_eq 0 "$status"
	expect_contains $'\ntype: file\nsize: 8192\n' "$out"

	run "$TOOL" write -d "$FILE" --offset 4094 'hello'
	assert_eq 0 "$status"
	run "$TOOL" read -d "$FILE" -o 4094 -l 5
	assert_eq 0 "$status"
	expect_eq "hello" "$out"
	run "$TOOL" dump -d "$FILE" -o 4088 -l 16
	assert_eq 0 "$status"
	expect_eq "00000ff8  00 00 00 00 00 00 68 65  6c 6c 6f 00 00 00 00 00  |......hello.....|
" "$out"
	# from stdin, up to the last byte
	run eval 'printf end | "$TOOL" write -d "$FILE" -o 8189 -'
	assert_eq 0 "$status"
	run "$TOOL" read -d "$FILE" -o 8189
	assert_eq 0 "$status"
	expect_eq "end" "$out"
}

failures_exit_1_with_one_line() {
	run2 "$TOOL" write -d "$FILE" -o 8190 abc
	expect_eq 1 "$status"
	expect_eq $'mmio-shm: write 3 bytes at offset 8190: No space left on device\n' "$out"
	run2 "$TOOL" notify -d "$FILE"
	expect_eq 1 "$status"
	expect_eq $'mmio-shm: notify: Inappropriate ioctl for device\n' "$out"
	run2 "$TOOL" zero -d "$FILE"
	expect_eq 1 "$status" "zero"
	expect_eq 1 "$(lines "$out")" "lines"
	run2 "$TOOL" wait -d "$FILE" -t 10
	expect_eq 1 "$status" "wait"
	expect_eq 1 "$(lines "$out")" "lines"
	run2 "$TOOL" dump -d "$FILE" -o 9000
	expect_eq 1 "$status" "dump -o 9000"
	expect_eq 1 "$(lines "$out")" "lines"
	run2 "$TOOL" info -d /nonexistent/x
	expect_eq 1 "$status"
	expect_eq $'mmio-shm: open /nonexistent/x: No such file or directory\n' "$out"
	run2 "$TOOL" info -d /dev/null
	expect_eq 1 "$status"
	expect_eq $'mmio-shm: open /dev/null: No such device\n' "$out"
}

# 5 MiB of random bytes through a ring of 64 KiB (384 + 65536 bytes: 82
# wraps of its data area), sender and receiver running at once; first the
# receiver lays out the ring, then the sender
ring_stream_5mib_both_orders() {
	local pid

	assert_true truncate -s 1M "$FILE"
	assert_true head -c 5M /dev/urandom >"$FILE.in"
	timeout 60 "$TOOL" recv -d "$FILE" --init -l 65920 >"$FILE.out" &
	pid=$!
	run2 timeout 60 "$TOOL" send -d "$FILE" <"$FILE.in"
	expect_eq 0 "$status" "send"
	expect_eq "" "$out" "send's output"
	wait "$pid"
	expect_eq 0 "$?" "recv"
	expect_true cmp "$FILE.in" "$FILE.out"

	rm -f "$FILE.out"
	timeout 60 "$TOOL" send -d "$FILE" --init -l 65920 <"$FILE.in" &
	pid=$!
	timeout 60 "$TOOL" recv -d "$FILE" >"$FILE.out"
	expect_eq 0 "$?" "recv"
	wait "$pid"
	expect_eq 0 "$?" "send"
	expect_true cmp "$FILE.in" "$FILE.out"
}

# the side without --init waits for the ring; the end of the stream
# retires it, so a later recv waits for a new one
ring_recv_waits_for_sender() {
	local pid

	assert_true truncate -s 64K "$FILE"
	timeout 60 "$TOOL" recv -d "$FILE" -o 4K >"$FILE.out" 2>&1 &
	pid=$!
	sleep 0.3
	run eval 'printf "hello\nworld\n" | "$TOOL" send -d "$FILE" -o 4K --init'
	expect_eq 0 "$status" "send"
	wait "$pid"
	expect_eq 0 "$?" "recv"
	expect_eq $'hello\nworld\n' "$(<"$FILE.out")"$'\n' "recv's output"
	run2 "$TOOL" recv -d "$FILE" -o 4K -t 50
	expect_eq 1 "$status" "recv after the end"
	expect_eq $'mmio-shm: recv: no ring at offset 4096 (run send --init or recv --init): Connection timed out\n' "$out"
}

# --lines: one record per line, the newline kept, so an empty line is a
# record of its own and not the end of the stream; --count N stops after
# N records and leaves the rest in the ring (the timeouts only keep a
# broken tool from hanging the test)
ring_lines_and_count() {
	assert_true truncate -s 64K "$FILE"
	run eval 'printf "a\n\nbc\nlast" | "$TOOL" send -d "$FILE" --init --lines'
	assert_eq 0 "$status" "send"
	run "$TOOL" recv -d "$FILE" -c 1 -t 5000
	expect_eq 0 "$status"
	expect_eq $'a\n' "$out" "record 1"
	run "$TOOL" recv -d "$FILE" -c 1 -t 5000
	expect_eq $'\n' "$out" "record 2, an empty line"
	run "$TOOL" recv -d "$FILE" -c 2 -t 5000
	expect_eq 0 "$status"
	expect_eq $'bc\nlast' "$out" "records 3 and 4"
	run "$TOOL" recv -d "$FILE" -c 1 -t 50
	expect_eq 0 "$status" "the end of the stream"
	expect_eq "" "$out" "after the end"

	# a chunk as read() returns it, --record-size bytes at most
	run eval 'printf abcdefg | "$TOOL" send -d "$FILE" --init -r 3'
	assert_eq 0 "$status" "send -r 3"
	run "$TOOL" recv -d "$FILE" -c 1 -t 5000
	expect_eq "abc" "$out" "-r 3, record 1"
	run "$TOOL" recv -d "$FILE" -c 2 -t 5000
	expect_eq "defg" "$out" "-r 3, records 2 and 3"
	run "$TOOL" recv -d "$FILE" -t 5000
	expect_eq 0 "$status" "-r 3, the end"
	expect_eq "" "$out" "-r 3, after the end"

	# nothing at all: only the end of the stream
	run "$TOOL" send -d "$FILE" --init </dev/null
	expect_eq 0 "$status" "empty send"
	run "$TOOL" recv -d "$FILE" -t 50
	expect_eq 0 "$status" "empty recv"
	expect_eq "" "$out" "empty recv's output"
}

# a reader that leaves early ends recv with SIGPIPE, silently; where
# SIGPIPE is ignored, with one error line
ring_recv_into_closed_pipe() {
	# a data area of 2 MiB holds 1 MiB in records of 64 KiB
	assert_true truncate -s 3M "$FILE"
	run eval 'head -c 1M /dev/zero | timeout 60 "$TOOL" send -d "$FILE" --init'
	assert_eq 0 "$status" "send"
	run2 eval 'set -o pipefail; "$TOOL" recv -d "$FILE" | head -c 1 | od -An -c'
	expect_eq 141 "$status" "recv killed by SIGPIPE"
	expect_eq $'  \\0\n' "$out"
	run eval 'head -c 1M /dev/zero | timeout 60 "$TOOL" send -d "$FILE" --init'
	assert_eq 0 "$status" "send again"
	run eval '(trap "" PIPE; exec "$TOOL" recv -d "$FILE" 2>"$FILE.err") |
		head -c 1 >/dev/null; echo "${PIPESTATUS[0]}"'
	expect_eq $'1\n' "$out" "recv with SIGPIPE ignored"
	expect_eq 'mmio-shm: recv: write to stdout: Broken pipe' "$(<"$FILE.err")"
}

ring_usage_errors_exit_2() {
	local args

	for args in "send -o 100" "recv -o 4097" "send -l 400" "recv -l 0" \
		    "send -r 0" "send --lines -r 4" "recv --lines" "recv -r 4" \
		    "send -c 1" "send extra" "recv -t x"; do
		# shellcheck disable=SC2086 # split on purpose
		run2 "$TOOL" $args -d "$FILE" -t 50
		expect_eq 2 "$status" "$args"
		expect_eq 1 "$(lines "$out")" "$args: lines"
	done
	run2 "$TOOL" send -d "$FILE" -o 100
	expect_eq $'mmio-shm: send: offset 100 is not a multiple of 128 (try mmio-shm --help)\n' "$out"
	run2 "$TOOL" recv -d "$FILE" -l 400
	expect_eq $'mmio-shm: recv: length 400 is less than a ring\'s 448 bytes (try mmio-shm --help)\n' "$out"
}

ring_failures_exit_1_with_one_line() {
	# no room for a ring between the offset and the end
	run2 "$TOOL" send -d "$FILE" -o 7936 --init </dev/null
	expect_eq 1 "$status" "256 bytes"
	expect_eq $'mmio-shm: send: 256 bytes at offset 7936 (a ring needs 448): No space left on device\n' "$out"
	run2 "$TOOL" recv -d "$FILE" -o 16K
	expect_eq 1 "$status" "offset past the end"
	expect_eq 1 "$(lines "$out")" "offset past the end: lines"
	# garbage where the ring should be
	assert_true dd if=/dev/urandom of="$FILE" bs=512 count=1 conv=notrunc status=none
	assert_true printf 'ring' | dd of="$FILE" conv=notrunc status=none
	run2 "$TOOL" recv -d "$FILE" -t 50
	expect_eq 1 "$status" "garbage"
	expect_eq $'mmio-shm: recv: attach to the ring at offset 0: Protocol error\n' "$out"
	# a record longer than the ring holds (8192 - 384: 4096 bytes of data)
	run2 "$TOOL" send -d "$FILE" --init -r 5000 </dev/null
	expect_eq 1 "$status" "-r 5000"
	expect_eq $'mmio-shm: send: record size 5000 (the ring\'s records hold 4088): Message too long\n' "$out"
	run2 eval 'head -c 5000 /dev/zero | tr "\0" x | "$TOOL" send -d "$FILE" --init --lines'
	expect_eq 1 "$status" "a long line"
	expect_eq $'mmio-shm: send: a line of 5000 bytes (the ring\'s records hold 4088): Message too long\n' "$out"
	# timeouts: no ring, an empty ring, a full ring
	assert_true dd if=/dev/zero of="$FILE" bs=8192 count=1 conv=notrunc status=none
	run2 "$TOOL" send -d "$FILE" -t 50 </dev/null
	expect_eq 1 "$status" "no ring"
	expect_eq $'mmio-shm: send: no ring at offset 0 (run send --init or recv --init): Connection timed out\n' "$out"
	run2 "$TOOL" recv -d "$FILE" --init -t 50
	expect_eq 1 "$status" "empty ring"
	expect_eq $'mmio-shm: recv: no record within 50 ms: Connection timed out\n' "$out"
	run2 eval 'head -c 8192 /dev/zero | "$TOOL" send -d "$FILE" --init -t 50'
	expect_eq 1 "$status" "full ring"
	expect_eq $'mmio-shm: send: no room in the ring within 50 ms: Connection timed out\n' "$out"
}

# --fanin: recv lays out a fan-in and takes every sender's lines as they
# come; each send takes a slot of its own, its lines in their order; recv
# ends once the senders fell silent for --timeout (not a failure); --fanin
# with --init is a usage error on either side
export_usage_errors_and_a_file() {
	run2 "$TOOL" export -d "$FILE" --exec
	expect_eq 2 "$status" "--exec without a command"
	expect_eq $'mmio-shm: export: --exec needs a command (try mmio-shm --help)\n' "$out"
	run2 "$TOOL" export -d "$FILE" true
	expect_eq 2 "$status" "a command without --exec"
	expect_eq $'mmio-shm: export: a command needs --exec (try mmio-shm --help)\n' "$out"
	# options end at CMD: its own -l is CMD's
	run2 "$TOOL" export -d "$FILE" -x true -l 5
	expect_eq 1 "$status" "export -x true -l 5"
	expect_eq $'mmio-shm: export 0+8192: Inappropriate ioctl for device\n' "$out"
	run2 "$TOOL" export -d "$FILE" --read-only </dev/null
	expect_eq 1 "$status" "export --read-only of a file"
	expect_eq 1 "$(lines "$out")" "lines"
}

ring_fanin_merges_three_senders() {
	local pid i

	assert_true truncate -s 1M "$FILE"
	timeout 60 "$TOOL" recv -d "$FILE" --fanin -t 1000 >"$FILE.out" &
	pid=$!
	for i in 1 2 3; do
		seq 1 2000 | sed "s/^/p$i /" | timeout 60 "$TOOL" send -d "$FILE" --fanin --lines &
	done
	wait "$pid"
	expect_eq 0 "$?" "recv --fanin"
	for i in 1 2 3; do
		expect_eq "$(seq 1 2000 | sed "s/^/p$i /")" "$(grep "^p$i " "$FILE.out")" \
			"sender $i's lines, in order"
	done
	expect_eq 6000 "$(wc -l <"$FILE.out")" "lines"
	run2 "$TOOL" send -d "$FILE" --fanin --init
	expect_eq 2 "$status" "send --fanin --init"
	run2 "$TOOL" recv -d "$FILE" --fanin --init
	expect_eq 2 "$status" "recv --fanin --init"
}

plan 13
run_case man_pages_render_without_warnings
run_case help_and_version
run_case usage_errors_exit_2
run_case file_info_write_read_dump
run_case failures_exit_1_with_one_line
run_case ring_stream_5mib_both_orders
run_case ring_recv_waits_for_sender
run_case ring_lines_and_count
run_case ring_recv_into_closed_pipe
run_case ring_usage_errors_exit_2
run_case ring_failures_exit_1_with_one_line
run_case ring_fanin_merges_three_senders
run_case export_usage_errors_and_a_file
tap_exit
