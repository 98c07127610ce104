#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: guest
# Tiers: check (the examples make the calls the selftests make on every
# kernel; under the debug kernel they took 64 s on a busy machine)
#
# Description: the example programs and the mmio-shm tool against the real
# device, as a user would run them: their output is deterministic and
# asserted whole. They are found in BUILD/user.

. "$(dirname "$0")/tap.sh"

U=$BUILD/user
E=$U/examples
DEV=${MMIO_SHM_DEV:-/dev/mmio_shm}
SYSFS=/sys/class/misc/$(basename "$DEV")
PS=$(getconf PAGESIZE)
UAPI=$TOP/kernel/uapi/linux/mmio_shm.h

# per case: the device opens, its size, and a buffer of zeroes (written
# with dd, not with the tool under test)
setup() {
	local why

	why=$( { exec 3<>"$DEV"; } 2>&1) || skip "cannot open $DEV: ${why##*: }"
	SIZE=$(cat "$SYSFS/size")
	assert_ne "" "$SIZE" "size of the buffer"
	assert_true dd if=/dev/zero of="$DEV" bs="$PS" count=$((SIZE / PS)) \
		conv=notrunc status=none
}

writer_then_reader() {
	run "$E/writer" -d "$DEV" 'hello from the writer'
	assert_eq 0 "$status"
	expect_eq $'writer: wrote 22 bytes\n' "$out"
	run "$E/reader" -d "$DEV"
	assert_eq 0 "$status"
	expect_eq $'hello from the writer\n' "$out"
	# a shorter message after a longer one: its NUL ends it
	run "$E/writer" -d "$DEV" abc
	assert_eq 0 "$status"
	expect_eq $'writer: wrote 4 bytes\n' "$out"
	run "$E/reader"
	assert_eq 0 "$status"
	expect_eq $'abc\n' "$out"
	run2 "$E/writer" -d "$DEV"
	expect_eq 2 "$status" "writer without a message"
}

map_page_aliases() {
	local pages=$((SIZE / PS))

	run "$E/map-page" -d "$DEV" 5
	assert_eq 0 "$status"
	expect_eq "page 5 mapped alone at offset $((5 * PS))
whole -> page: yes
page -> whole: yes
" "$out"
	run eval '"$E/map-page" -d "$DEV" $((pages - 1)) | head -n 1'
	assert_eq 0 "$status"
	# one page past the end: refused by the library
	run2 "$E/map-page" -d "$DEV" "$pages"
	expect_eq 1 "$status"
	expect_eq $'map-page: map page: Invalid argument\n' "$out"
}

autocomplete_loads_and_queries() {
	run eval 'printf "pear\nbanana\napple\napricot\n\navocado\nbanana\napp\nblueberry\n" |
		"$E/autocomplete" -d "$DEV" load'
	assert_eq 0 "$status"
	expect_eq $'loaded 7 words\n' "$out"
	run "$E/autocomplete" -d "$DEV" query ap
	assert_eq 0 "$status"
	expect_eq $'app\napple\napricot\n' "$out"
	run "$E/autocomplete" query b
	assert_eq 0 "$status"
	expect_eq $'banana\nblueberry\n' "$out"
	run "$E/autocomplete" query pear
	assert_eq 0 "$status"
	expect_eq $'pear\n' "$out"
	run "$E/autocomplete" query zebra
	assert_eq 0 "$status"
	expect_eq "" "$out"
	run "$E/autocomplete" query ''
	assert_eq 0 "$status"
	expect_eq $'app\napple\napricot\navocado\nbanana\nblueberry\npear\n' "$out"
	# in a zeroed buffer there is no list
	run "$U/mmio-shm" zero -d "$DEV"
	assert_eq 0 "$status"
	run eval '"$E/autocomplete" query a 2>/dev/null'
	expect_eq 1 "$status"
}

producer_and_consumer() {
	local want c=${TMPDIR:-/tmp}/consumer.$$

	want=$'item 1: 1\nitem 2: 4\nitem 3: 9\nitem 4: 16\nitem 5: 25\n'
	want+=$'item 6: 36\nitem 7: 49\nitem 8: 64\nitem 9: 81\nitem 10: 100\n'
	want+=$'item 11: 121\nitem 12: 144\n'
	want+=$'consumer: received 12 items, sum 650\n'
	want+=$'producer: sent 12 items\n'

	# consumer first: it sleeps on the doorbell until the channel is set up
	run eval '("$E/consumer" -d "$DEV" 12 >"$c" & p=$!; sleep 0.2
		"$E/producer" -d "$DEV" 12 >"$c.p" && wait $p && cat "$c" "$c.p"
		rc=$?; rm -f "$c" "$c.p"; exit $rc)'
	assert_eq 0 "$status"
	expect_eq "$want" "$out"
	# producer first: the ring fills and it waits for the consumer
	run eval '("$E/producer" -d "$DEV" 12 >"$c.p" & p=$!; sleep 0.2
		"$E/consumer" -d "$DEV" 12 >"$c" && wait $p && cat "$c" "$c.p"
		rc=$?; rm -f "$c" "$c.p"; exit $rc)'
	assert_eq 0 "$status"
	expect_eq "$want" "$out"
}

tool_info_write_read_dump_zero() {
	local major minor

	major=$(sed -n 's/^#define MMIO_SHM_VERSION_MAJOR[[:space:]]*\([0-9]*\)$/\1/p' "$UAPI")
	minor=$(sed -n 's/^#define MMIO_SHM_VERSION_MINOR[[:space:]]*\([0-9]*\)$/\1/p' "$UAPI")
	assert_ne "" "$major$minor" "MMIO_SHM_VERSION_MAJOR/MINOR in $UAPI"
	run eval '"$U/mmio-shm" info -d "$DEV" | sed -n 2,4p'
	assert_eq 0 "$status"
	expect_eq "type: device
size: $SIZE
version: $major.$minor
" "$out"

	run "$U/mmio-shm" write -d "$DEV" -o 4100 'shared bytes'
	assert_eq 0 "$status"
	run "$U/mmio-shm" read -d "$DEV" -o 4100 -l 12
	assert_eq 0 "$status"
	expect_eq "shared bytes" "$out"
	run "$U/mmio-shm" dump -d "$DEV" -o 4096 -l 20
	assert_eq 0 "$status"
	# a short last line is padded to keep the text column in place
	expect_eq "00001000  00 00 00 00 73 68 61 72  65 64 20 62 79 74 65 73  |....shared bytes|
00001010  00 00 00 00                                       |....|
" "$out"
	run eval 'echo -n piped | "$U/mmio-shm" write -d "$DEV" &&
		"$U/mmio-shm" read -d "$DEV" -l 6 | od -An -c | tr -s " "'
	assert_eq 0 "$status"
	expect_eq $' p i p e d \\0\n' "$out"
	run eval '"$U/mmio-shm" zero -d "$DEV" &&
		"$U/mmio-shm" read -d "$DEV" -o 4100 -l 12 | tr -d "\0" | wc -c'
	assert_eq 0 "$status"
	expect_eq $'0\n' "$out"
	run2 "$U/mmio-shm" write -d "$DEV" -o $((SIZE - 1)) xy
	expect_eq 1 "$status"
	expect_prefix "mmio-shm: write 2 bytes" "$out"
}

tool_resize() {
	run eval '"$U/mmio-shm" resize -d "$DEV" 5000 &&
		"$U/mmio-shm" info -d "$DEV" | grep "^size:"'
	assert_eq 0 "$status"
	expect_eq "size: $((2 * PS))"$'\n' "$out"
	run "$U/mmio-shm" resize -d "$DEV" "$SIZE"
	assert_eq 0 "$status"
	run cat "$SYSFS/size"
	assert_eq 0 "$status"
	expect_eq "$SIZE"$'\n' "$out" "size after resizing back"
	run2 "$U/mmio-shm" resize -d "$DEV" 0
	expect_eq 1 "$status"
	expect_eq $'mmio-shm: resize to 0: Invalid argument\n' "$out"
}

tool_notify_wait_watch() {
	local seq w=${TMPDIR:-/tmp}/watch.$$

	run "$U/mmio-shm" notify -d "$DEV"
	assert_eq 0 "$status"
	seq=$(sed -n 's/^seq: \([0-9]*\).*/\1/p' <<<"$out" | head -n 1)
	assert_ne "" "$seq" "seq: in $out"
	# --seq in the past returns at once, with the current sequence
	run "$U/mmio-shm" wait -d "$DEV" --seq $((seq - 1))
	assert_eq 0 "$status"
	expect_eq "seq: $seq"$'\n' "$out"
	run2 "$U/mmio-shm" wait -d "$DEV" --timeout 50
	expect_eq 1 "$status"
	expect_eq $'mmio-shm: wait: Connection timed out\n' "$out"
	# a wait woken by a notify from another process
	run eval '(sleep 0.2; "$U/mmio-shm" notify -d "$DEV" >/dev/null) &
		"$U/mmio-shm" wait -d "$DEV" --seq $seq -t 10000'
	assert_eq 0 "$status"
	expect_eq "seq: $((seq + 1))"$'\n' "$out"

	# watch from a known sequence: three rings, three lines
	run eval '("$U/mmio-shm" watch -d "$DEV" --seq $((seq + 1)) --count 3 -t 10000 >"$w" &
		p=$!
		for i in 1 2 3; do
			"$U/mmio-shm" notify -d "$DEV" >/dev/null; sleep 0.05
		done
		wait $p && sed "s/^[-0-9T:.]* //" "$w"; rc=$?; rm -f "$w"; exit $rc)'
	assert_eq 0 "$status"
	expect_eq "seq $((seq + 2))
seq $((seq + 3))
seq $((seq + 4))
" "$out"
	run2 "$U/mmio-shm" watch -d "$DEV" -t 50
	expect_eq 1 "$status"
	expect_eq $'mmio-shm: watch: Connection timed out\n' "$out"
}

plan 7
run_case writer_then_reader
run_case map_page_aliases
run_case autocomplete_loads_and_queries
run_case producer_and_consumer
run_case tool_info_write_read_dump_zero
run_case tool_resize
run_case tool_notify_wait_watch
tap_exit
