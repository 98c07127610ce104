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

# vivid's video capture node (/sys/class/video4linux/*/name: vivid-NNN-vid-cap),
# loading vivid with only that node when none is there; empty when none
vivid_node() {
	local n i

	for i in 1 2; do
		for n in /sys/class/video4linux/video*; do
			case $(cat "$n/name" 2>/dev/null) in
			vivid-*-vid-cap) echo "/dev/${n##*/}"; return ;;
			esac
		done
		[ $i = 2 ] || modprobe vivid node_types=1 2>/dev/null || return
	done
}

capture_frames_then_read_frame() {
	local cam f=${TMPDIR:-/tmp}/frame.$$ off

	cam=$(vivid_node)
	[ -n "$cam" ] || skip "no vivid capture node: modprobe vivid failed"
	run "$E/capture-frames" -d "$DEV" "$cam" 4
	assert_eq 0 "$status"
	# vivid's webcam input has 320x180 nearest to the 320x240 asked
	expect_eq $'capture-frames: 4 frames of 320x180 YUYV, 115200 bytes each, in 3 slots from offset '"$PS"$'\n' "$out"
	# frame 1 into slot 0, 2 into 1, 3 into 2 (0 queued again), 4 into 0
	run "$E/read-frame" -d "$DEV" "$f"
	assert_eq 0 "$status"
	expect_eq "frame 4: 320x180 YUYV, 115200 bytes at offset $PS
" "$out"
	# what the reader's mapping gave is what read(2) of the device gives,
	# and vivid wrote all of it: the buffer was zeroes, and a picture's
	# first and last pages are not (YUYV's black is 0x10 0x80)
	off=$PS
	run eval 'dd if="$DEV" bs="$PS" skip=$((off / PS)) count=$((115200 / PS + 1)) status=none |
		head -c 115200 | cmp - "$f"'
	expect_eq 0 "$status" "read-frame's frame against the device's bytes"
	run eval 'head -c "$PS" "$f" | tr -d "\\0" | wc -c'
	expect_ne $'0\n' "$out" "the frame's first page is zeroes: vivid did not write there"
	run eval 'tail -c "$PS" "$f" | tr -d "\\0" | wc -c'
	expect_ne $'0\n' "$out" "the frame's last page is zeroes: vivid did not write there"
	rm -f "$f"
	# an unwritten header: read-frame refuses it
	run "$U/mmio-shm" zero -d "$DEV"
	run2 "$E/read-frame" -d "$DEV"
	expect_eq 1 "$status"
	expect_eq $'read-frame: header: Bad message\n' "$out"
}

# export prints the dma-buf's fd and holds it until its standard input
# ends; --exec runs CMD with the fd (MMIO_SHM_DMABUF_FD) and its size
tool_export_prints_or_passes_the_fd() {
	local fifo=${TMPDIR:-/tmp}/export.$$ pid n

	mkfifo "$fifo"
	"$U/mmio-shm" export -d "$DEV" -o "$PS" -l $((2 * PS)) <"$fifo" >"$fifo.out" &
	pid=$!
	exec 4>"$fifo"
	for n in $(seq 100); do [ -s "$fifo.out" ] && break; sleep 0.1; done
	n=$(cat "$fifo.out")
	run cat "/proc/$pid/fdinfo/$n"
	exec 4>&-
	wait "$pid"
	expect_eq 0 "$?" "export's status once its input ended"
	rm -f "$fifo" "$fifo.out"
	expect_contains "exp_name:	mmio_shm" "$out"
	expect_contains "size:	$((2 * PS))" "$out"

	run "$U/mmio-shm" export -d "$DEV" -l "$PS" --exec \
		sh -c 'echo "$MMIO_SHM_DMABUF_SIZE"; grep -E "^(exp_name|size):" /proc/self/fdinfo/$MMIO_SHM_DMABUF_FD'
	assert_eq 0 "$status"
	expect_eq "$PS
size:	$PS
exp_name:	mmio_shm
" "$out"
	# read-only: the fd CMD gets is O_RDONLY (flags' low octal digit 0)
	run "$U/mmio-shm" export -d "$DEV" -R --exec \
		sh -c 'sed -n "s/^flags:[[:space:]]*//p" /proc/self/fdinfo/$MMIO_SHM_DMABUF_FD'
	assert_eq 0 "$status"
	expect_eq 0 "$(( 8#$out & 3 ))" "the read-only export's access mode"
	# CMD's exit status is the tool's; a CMD that cannot run is 127
	run2 "$U/mmio-shm" export -d "$DEV" --exec sh -c 'exit 7'
	expect_eq 7 "$status"
	run2 "$U/mmio-shm" export -d "$DEV" --exec /nonexistent/cmd
	expect_eq 127 "$status"
	expect_eq $'mmio-shm: exec /nonexistent/cmd: No such file or directory\n' "$out"
	# the kernel's refusals: a misaligned offset, past the end
	run2 "$U/mmio-shm" export -d "$DEV" -o 1 -l "$PS" --exec true
	expect_eq 1 "$status"
	expect_eq $'mmio-shm: export 1+'"$PS"$': Invalid argument\n' "$out"
	run2 "$U/mmio-shm" export -d "$DEV" -o "$SIZE" -l "$PS" --exec true
	expect_eq 1 "$status"
	expect_eq $'mmio-shm: export '"$SIZE+$PS"$': Invalid argument\n' "$out"
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

plan 9
run_case writer_then_reader
run_case map_page_aliases
run_case autocomplete_loads_and_queries
run_case producer_and_consumer
run_case capture_frames_then_read_frame
run_case tool_export_prints_or_passes_the_fd
run_case tool_info_write_read_dump_zero
run_case tool_resize
run_case tool_notify_wait_watch
tap_exit
