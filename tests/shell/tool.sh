#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: host
#
# Description: the mmio-shm tool and the man pages, on the host: every man
# page renders without a warning; --help and --version work for the tool
# and each subcommand (exit 0), usage errors exit 2 with one line on
# stderr; info, write, read and dump work on a regular file, and the
# device-only subcommands fail there with exit 1 and one error line.

. "$(dirname "$0")/tap.sh"

TOOL=$BUILD/user/mmio-shm
SUBCOMMANDS="info dump read write zero resize notify wait watch"

# a 2-page file standing in for the device, new for every case
setup() {
	assert_true test -x "$TOOL"
	FILE=$(mktemp "${TMPDIR:-/tmp}/tool_test.XXXXXX")
	assert_true truncate -s 8192 "$FILE"
}

teardown() {
	rm -f "$FILE"
}

man_pages_render_without_warnings() {
	local f n=0 w

	# from user/man, where the .so requests of the variants resolve
	cd "$TOP/user/man" || exit 1
	run eval '
		for f in man1/*.1 man3/*.3 man4/*.4; do
			n=$((n + 1))
			w=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null)
			[ -z "$w" ] || echo "$f: $w"
			head -n 3 "$f" | grep -q SPDX-License-Identifier || echo "$f: no SPDX"
		done
		echo "pages: $n"'
	assert_eq 0 "$status"
	# 1 + 29 + 1 pages (mmio_shm_zero_range.3 came with 1.0, the ten
	# mmio_shm_ring_*.3, mmio_shm_bind.3, mmio_shm_peer_alive.3 and
	# mmio_shm_ring_bind.3 with 1.1), and no other line
	expect_eq $'pages: 31\n' "$out"
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

plan 5
run_case man_pages_render_without_warnings
run_case help_and_version
run_case usage_errors_exit_2
run_case file_info_write_read_dump
run_case failures_exit_1_with_one_line
tap_exit
