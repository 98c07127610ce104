# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the TAP shell tests in this folder: the plan, one
# "ok N name" / "not ok N name" / "ok N name # SKIP reason" line per case,
# and the checks a case makes, named after the kselftest harness's.
#
#   plan N                 the plan line, 1..N
#   run_case NAME [FN]     runs function FN (default: NAME) in a subshell
#                          as case NAME: setup (when defined) first, then
#                          FN, then teardown (when defined) whatever
#                          happened
#   skip_case NAME REASON  a case that cannot run here
#   fail_case NAME REASON  a case that fails before it can run (a tool
#                          the project installs is missing, say)
#   swap_module BACK KO [PARAM...]
#                          (guest, as root) reloads the module as KO with
#                          PARAMs for the rest of the test; at exit BACK,
#                          the module every other test expects, is loaded
#                          again (a "Bail out!" if it cannot be)
#   suite_cases SUFFIX PROG...
#                          runs PROGs on the loaded module through
#                          run-suite.sh (timeouts, kernel-log scans), each
#                          program and the log check a case of this test,
#                          named with SUFFIX (and _m32 before it for a
#                          program of build/tests32/, unless SUFFIX is
#                          _m32); returns its status
#   tap_exit               exit status: 1 when a case failed, else 0
#   cleanup                a function the test may define: run once, when
#                          the script exits
#
# Inside a case:
#   run CMD...             runs CMD: its stdout, exactly (trailing newlines
#                          kept), in $out, its exit status in $status
#   run2 CMD...            the same with stdout and stderr together in $out
#   expect_eq WANT GOT [WHAT]  a failed check is logged, the case goes on
#   assert_eq WANT GOT [WHAT]  a failed check ends the case
#   expect_ne, assert_ne, expect_prefix (GOT starts with WANT),
#   expect_contains (GOT contains WANT), assert_true CMD..., expect_true CMD...
#   fail MSG               a failed check of the case's own: logged, the
#                          case goes on
#   lines STR              how many lines STR has (its newlines)
#   skip REASON            ends the case as skipped
#   log MSG                a "# " diagnostic line
#
# Everything a case prints (stdout and stderr) is shown as "# " lines
# before its result line.
#
# The paths every test needs: TOP (the checkout) and BUILD (its build
# directory), from MMIO_SHM_TOP and MMIO_SHM_BUILD as run-suite.sh sets
# them, else found from this file's place.

TOP=${MMIO_SHM_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${MMIO_SHM_BUILD:-$TOP/build}

_tap_n=0
_tap_failed=0
_tap_tmp=$(mktemp -d "${TMPDIR:-/tmp}/tap.XXXXXX")
_tap_ko_back=""
_tap_at_exit() {
	if declare -F cleanup >/dev/null; then
		cleanup
	fi
	if [ -n "$_tap_ko_back" ]; then
		rmmod mmio_shm 2>/dev/null
		insmod "$_tap_ko_back" ||
			echo "Bail out! cannot load $_tap_ko_back again"
	fi
	rm -rf "$_tap_tmp"
}
trap _tap_at_exit EXIT

plan() {
	echo "TAP version 13"
	echo "1..$1"
}

log() {
	echo "$*"
}

run() {
	out=$("$@"; _tap_s=$?; echo x; exit "$_tap_s")
	status=$?
	out=${out%x}
}

run2() {
	out=$("$@" 2>&1; _tap_s=$?; echo x; exit "$_tap_s")
	status=$?
	out=${out%x}
}

lines() {
	local _tap_nl=${1//[!$'\n']/}

	echo "${#_tap_nl}"
}

# the test script's line that made the failed check
_tap_where() {
	local _tap_i

	for ((_tap_i = 1; _tap_i < ${#BASH_SOURCE[@]}; _tap_i++)); do
		if [ "${BASH_SOURCE[_tap_i]}" != "${BASH_SOURCE[0]}" ]; then
			echo "$(basename "${BASH_SOURCE[_tap_i]}"):${BASH_LINENO[_tap_i - 1]}"
			return
		fi
	done
}

# what went wrong, with strings shown as $'...' so that newlines and
# control characters are visible
_tap_show() {
	log "$(_tap_where): ${1:+$1: }expected $(printf '%q' "$2"), got $(printf '%q' "$3")"
}

_tap_fail() {
	_tap_case_failed=1
}

expect_eq() {
	[ "$1" = "$2" ] && return 0
	_tap_show "${3:-}" "$1" "$2"
	_tap_fail
	return 1
}

assert_eq() {
	expect_eq "$@" || exit 1
}

expect_ne() {
	[ "$1" != "$2" ] && return 0
	_tap_show "${3:-}" "anything but $1" "$2"
	_tap_fail
	return 1
}

assert_ne() {
	expect_ne "$@" || exit 1
}

expect_prefix() {
	[ "${2:0:${#1}}" = "$1" ] && return 0
	_tap_show "${3:-}" "$1..." "$2"
	_tap_fail
	return 1
}

expect_contains() {
	case "$2" in
	*"$1"*) return 0 ;;
	esac
	_tap_show "${3:-}" "...$1..." "$2"
	_tap_fail
	return 1
}

fail() {
	log "$(_tap_where): $*"
	_tap_fail
}

expect_true() {
	"$@" && return 0
	log "$(_tap_where): failed: $*"
	_tap_fail
	return 1
}

assert_true() {
	expect_true "$@" || exit 1
}

# a skip says why: one without a reason fails
skip() {
	[ -n "$*" ] || { log "$(_tap_where): skip without a reason"; exit 1; }
	echo "$*" >"$_tap_tmp/skip"
	exit 77
}

run_case() {
	# names of its own: the case sees the test's variables, not these
	local _tap_name=$1 _tap_fn=${2:-$1} _tap_rc _tap_reason

	_tap_n=$((_tap_n + 1))
	rm -f "$_tap_tmp/skip"
	(
		_tap_case_failed=0
		if declare -F teardown >/dev/null; then
			trap 'teardown' EXIT
		fi
		if declare -F setup >/dev/null; then
			setup
		fi
		"$_tap_fn"
		exit "$_tap_case_failed"
	) 2>&1 </dev/null | sed 's/^/# /'
	_tap_rc=${PIPESTATUS[0]}
	_tap_reason=$(cat "$_tap_tmp/skip" 2>/dev/null)
	if [ "$_tap_rc" -eq 77 ] && [ -z "$_tap_reason" ]; then
		# an exit 77 of its own, not through skip: no reason given
		echo "# skipped without a reason"
		echo "not ok $_tap_n $_tap_name"
		_tap_failed=1
	elif [ "$_tap_rc" -eq 77 ]; then
		echo "ok $_tap_n $_tap_name # SKIP $_tap_reason"
	elif [ "$_tap_rc" -eq 0 ]; then
		echo "ok $_tap_n $_tap_name"
	else
		echo "not ok $_tap_n $_tap_name"
		_tap_failed=1
	fi
}

skip_case() {
	if [ -z "${2:-}" ]; then
		fail_case "$1" "skipped without a reason"
		return
	fi
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n $1 # SKIP $2"
}

fail_case() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=1
	echo "# $2"
	echo "not ok $_tap_n $1"
}

swap_module() {
	_tap_ko_back=$1
	shift
	rmmod mmio_shm 2>/dev/null
	if ! insmod "$@"; then
		echo "Bail out! insmod $* failed"
		exit 1
	fi
}

suite_cases() {
	local suffix=$1 rc

	shift
	# run-suite.sh's own lines, without its header, numbered after the
	# cases so far
	"$TOP/tests/runner/run-suite.sh" --loaded "$@" |
		awk -v at="$_tap_n" -v suffix="$suffix" -v progs="$*" '
	BEGIN {
		n = split(progs, p)
		for (i = 1; i <= n; i++)
			m32[i] = p[i] ~ /\/tests32\// && suffix != "_m32" ? "_m32" : ""
	}
	/^TAP version/ || /^1\.\./ { next }
	/^(not )?ok [0-9]+ / {
		i = $1 == "not" ? 3 : 2
		k = $i
		$i = $i + at
		sub(/ selftests: mmio_shm: /, " ")
		sub(/ kernel_log_has_no_bug_warning_or_oops/, " kernel_log_clean")
		$(i + 1) = $(i + 1) m32[k] suffix
	}
	{ print }'
	rc=${PIPESTATUS[0]}
	_tap_n=$((_tap_n + $# + 1))
	[ "$rc" -eq 0 ] || _tap_failed=1
	return "$rc"
}

tap_exit() {
	exit "$_tap_failed"
}
