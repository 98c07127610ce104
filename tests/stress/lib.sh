# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Sourced by the stress and fuzz wrappers (tests/stress/*.sh,
# tests/fuzz/*.sh), which run as root inside the guest. Each wrapper prints
# TAP: the tool's own output indented with "# ", one line per tool, then
# the cases every run ends with:
#
#   module_unloads_after_the_run      rmmod succeeds once the tool is done
#   unload_returns_the_buffer_memory  the Unevictable pages of the buffer
#                                     are gone after rmmod (a page
#                                     reference leaked in the driver keeps
#                                     them there). Only where the load was
#                                     seen to raise Unevictable by the
#                                     buffers' size: otherwise "0 kB
#                                     before, 0 kB after" would prove
#                                     nothing, and the case fails (no
#                                     counter in /proc/meminfo) or skips
#                                     with the numbers (this kernel does
#                                     not count the buffer as unevictable)
#   kernel_log_has_no_splat           nothing like BUG, WARNING, Oops,
#                                     lockdep, KASAN or kmemleak in dmesg
#                                     since the wrapper started
#
# and a summary line (results.awk counts the ok/not ok lines, not this):
#   # mmio_shm-<name>: cases passed=N failed=N skipped=N
#
# The module is loaded again afterwards (when its .ko is known), so
# wrappers can follow each other in one guest:
#   make vm-run CMD='tests/stress/run.sh && tests/fuzz/run.sh'
#
# Common options (lib_opts): --ko PATH (default $MMIO_SHM_KO, else
# build/kmod/<major.minor of the running kernel>/mmio_shm.ko), --build DIR
# (default build/ of this checkout), --params 'size=... devices=...'.

TOP=$(cd "$(dirname "$0")/../.." && pwd)
# SPLAT: what a kernel bug, lockdep, KASAN or UBSAN leave in the log
# shellcheck source=tests/runner/splat.sh
. "$TOP/tests/runner/splat.sh"
BUILD=${MMIO_SHM_BUILD:-$TOP/build}
KO=${MMIO_SHM_KO:-}
PARAMS=""
DEV=/dev/mmio_shm

t_n=0
t_pass=0
t_fail=0
t_skip=0

# ok|fail|skip NAME [REASON]
t_case() {
	t_n=$((t_n + 1))
	case $1 in
	ok)
		t_pass=$((t_pass + 1))
		echo "ok $t_n $2"
		;;
	skip)
		t_skip=$((t_skip + 1))
		echo "ok $t_n $2 # SKIP ${3:-}"
		;;
	*)
		t_fail=$((t_fail + 1))
		echo "not ok $t_n $2${3:+ # $3}"
		;;
	esac
}

# Parse the options: the ones every wrapper takes and the wrapper's own,
# each of which takes a value, named in SPEC as --option=VARIABLE. An
# option of neither kind prints the usage and exits 2.
# Usage: lib_opts "--seconds=SECONDS_ --seed=SEED ..." "$@"
lib_opts() {
	spec=$1
	shift
	while [ $# -gt 0 ]; do
		var=""
		case $1 in
		--ko) var=KO ;;
		--build) var=BUILD ;;
		--params) var=PARAMS ;;
		*)
			for o in $spec; do
				[ "${o%%=*}" = "$1" ] && var=${o#*=}
			done
			;;
		esac
		if [ -z "$var" ] || [ $# -lt 2 ]; then
			usage=""
			for o in $spec; do
				usage="$usage [${o%%=*} N]"
			done
			echo "usage: $0$usage [--ko PATH] [--build DIR] [--params '...']" >&2
			exit 2
		fi
		eval "$var=\$2"
		shift 2
	done
	if [ -z "$KO" ]; then
		KO=$BUILD/kmod/$(uname -r | cut -d. -f1,2)/mmio_shm.ko
	fi
	[ -f "$KO" ] || KO=""
}

loaded() {
	grep -q '^mmio_shm ' /proc/modules
}

unevictable_kb() {
	sed -n 's/^Unevictable: *\([0-9]*\) kB/\1/p' /proc/meminfo
}

# kB of all the module's buffers together, from sysfs; empty when no
# device reports a size
buffers_kb() {
	cat /sys/class/misc/mmio_shm*/size 2>/dev/null |
		awk '{ b += $1; n++ } END { if (n) print int(b / 1024) }'
}

# Start: reload the module with $PARAMS so the memory baseline is known,
# and mark the kernel log. NAME names the run in the marker and summary.
lib_start() {
	name=$1
	echo "TAP version 13"
	if [ "$(id -u)" -ne 0 ]; then
		echo "Bail out! $name runs as root in the guest"
		echo "# mmio_shm-$name: cases passed=0 failed=1 skipped=0"
		exit 1
	fi
	base_kb=""
	loaded_kb=""
	bufs_kb=""
	if [ -n "$KO" ]; then
		if loaded && ! rmmod mmio_shm; then
			echo "Bail out! mmio_shm is in use before the run"
			echo "# mmio_shm-$name: cases passed=0 failed=1 skipped=0"
			exit 1
		fi
		sync
		echo 3 >/proc/sys/vm/drop_caches
		base_kb=$(unevictable_kb)
		# shellcheck disable=SC2086
		if ! insmod "$KO" $PARAMS; then
			echo "Bail out! insmod $KO $PARAMS failed"
			echo "# mmio_shm-$name: cases passed=0 failed=1 skipped=0"
			exit 1
		fi
		echo "# module $KO${PARAMS:+ $PARAMS}"
		# what the load added, for lib_finish to know that the
		# counter tracks the buffers at all
		loaded_kb=$(unevictable_kb)
		bufs_kb=$(buffers_kb)
	elif ! loaded; then
		echo "Bail out! mmio_shm is not loaded and no .ko was found (--ko)"
		echo "# mmio_shm-$name: cases passed=0 failed=1 skipped=0"
		exit 1
	else
		echo "# module loaded before the run; no .ko given: memory not compared"
	fi
	# let udev (if any) settle on the new node: its rules set the mode
	# and would undo a chmod made before
	if command -v udevadm >/dev/null; then
		udevadm settle --timeout=60 2>/dev/null || :
	fi
	i=0
	while [ ! -c "$DEV" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	marker="mmio_shm-$name: start $$"
	echo "$marker" >/dev/kmsg
	scratch=$(mktemp -d)
}

# Run a tool: its output goes to the log indented, its own ok/not ok lines
# are counted, and one line for the whole tool says whether it finished.
# Usage: lib_run LABEL TIMEOUT COMMAND...
lib_run() {
	label=$1
	limit=$2
	shift 2
	out=$scratch/out
	timeout -k 10 "$limit" "$@" >"$out" 2>&1
	rc=$?
	sed 's/^/# /' "$out"
	p=$(grep -cE '^ok [0-9]+ ' "$out")
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out")
	f=$(grep -cE '^not ok [0-9]+ ' "$out")
	t_pass=$((t_pass + p - s))
	t_skip=$((t_skip + s))
	t_fail=$((t_fail + f))
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		t_case fail "$label" "timed out after ${limit}s"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		t_case fail "$label" "exited with $rc"
	elif [ "$rc" -ne 0 ]; then
		# its failures are counted in its own cases
		t_n=$((t_n + 1))
		echo "not ok $t_n $label"
	elif [ $((p + f)) -eq 0 ]; then
		# a tool without cases of its own is one case
		t_case ok "$label"
	else
		t_n=$((t_n + 1))
		echo "ok $t_n $label"
	fi
	return "$rc"
}

# unload_returns_the_buffer_memory: counts only when the load was seen to
# add the buffers to Unevictable (per-CPU LRU batches may hold back a few
# pages either way: 1 MiB of slack)
memory_case() {
	mcase=unload_returns_the_buffer_memory
	if [ -z "$KO" ]; then
		t_case skip $mcase "the module was loaded before the run (no --ko): no baseline"
		return
	fi
	if [ -z "$base_kb" ] || [ -z "$loaded_kb" ]; then
		t_case fail $mcase "no Unevictable line in /proc/meminfo"
		return
	fi
	if [ -z "$bufs_kb" ] || [ "$bufs_kb" -eq 0 ]; then
		t_case fail $mcase "no buffer size in /sys/class/misc/mmio_shm*/size after the load"
		return
	fi
	if loaded; then
		t_case fail $mcase "the module is still loaded"
		return
	fi
	sync
	echo 3 >/proc/sys/vm/drop_caches
	after_kb=$(unevictable_kb)
	echo "# Unevictable: ${base_kb} kB before load, ${loaded_kb} kB loaded (buffers: ${bufs_kb} kB), ${after_kb} kB after unload"
	if [ $((loaded_kb - base_kb)) -lt $((bufs_kb - 1024)) ]; then
		t_case skip $mcase "Unevictable rose by $((loaded_kb - base_kb)) kB on loading ${bufs_kb} kB of buffers: this kernel does not count them as unevictable, so the unload's figure would prove nothing"
	elif [ "$after_kb" -le $((base_kb + 1024)) ]; then
		t_case ok $mcase
	else
		t_case fail $mcase "$((after_kb - base_kb)) kB still unevictable"
	fi
}

# End: the module must unload and give its memory back, the kernel log
# must be clean; then load the module again for whoever runs next.
lib_finish() {
	if rmmod mmio_shm 2>"$scratch/rmmod"; then
		t_case ok module_unloads_after_the_run
	else
		sed 's/^/# rmmod: /' "$scratch/rmmod"
		t_case fail module_unloads_after_the_run
	fi

	memory_case

	# the scan counts only when it found the run's marker: a log that
	# wrapped past it, or a dmesg that failed, gives nothing to scan
	since=$(dmesg 2>&1 | sed -n "/$marker\$/,\$p")
	splat=$(printf '%s\n' "$since" | grep -E "$SPLAT")
	if [ -z "$since" ]; then
		t_case fail kernel_log_has_no_splat \
			"the run's marker '$marker' is not in dmesg: nothing was scanned"
	elif [ -z "$splat" ]; then
		t_case ok kernel_log_has_no_splat
	else
		dmesg | sed -n "/$marker\$/,\$p" | head -n 80 | sed 's/^/# dmesg: /'
		t_case fail kernel_log_has_no_splat
	fi

	# shellcheck disable=SC2086
	if [ -n "$KO" ] && ! loaded && ! insmod "$KO" $PARAMS; then
		echo "# could not load $KO again"
	fi
	rm -rf "$scratch"
	echo "1..$t_n"
	echo "# mmio_shm-$name: cases passed=$t_pass failed=$t_fail skipped=$t_skip"
	[ "$t_fail" -eq 0 ]
}
