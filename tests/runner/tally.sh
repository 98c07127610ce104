# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by the runners that run whole test commands one after the other
# (tests/runner/check-matrix.sh, .ci/run), each of which ends with the line
# "N passed, N failed, N skipped": keeps each command's counts and time,
# then prints them and their sum.
#
#   tally_run NAME LOG CMD...  runs CMD with its output shown and kept in
#                              LOG; a command that printed no counts, or
#                              failed with none counted, counts as one
#                              failure
#   tally_add NAME LOG RC SECS counts LOG of a command run elsewhere, which
#                              exited RC after SECS seconds
#   tally_finish               the report, one line per NAME, then the sum
#                              as the last line; returns 1 when a case failed
#
# Each NAME's line has its time and where it went: the sum of the
# "== time: build N s, boot N s, tests N s" lines check.sh printed in
# LOG (one per kernel for check-matrix); "other" is what none of them
# counts (make, the matrix's own steps). A second line names the five
# slowest programs (run-suite.sh's "# NAME took N s"; for the matrix, the
# sum over its kernels).

tally_passed=0
tally_failed=0
tally_skipped=0
tally_report=()

tally_run() {
	local name=$1 log=$2 start=$SECONDS rc

	shift 2
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	tally_add "$name" "$log" "$rc" $((SECONDS - start))
}

# Usage: tally_add NAME LOG RC SECONDS: the counts of a command that ran
# elsewhere (in the background) with its output in LOG
tally_add() {
	local name=$1 log=$2 rc=$3 t=$4 line p f s b=0 o=0 x=0

	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		line="0 passed, 1 failed, 0 skipped"
		echo "tally: no counts from $name: counted as one failure"
	fi
	read -r p _ f _ s _ <<<"$line"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "tally: $name exited $rc with no failure counted: counted as one"
	fi
	tally_passed=$((tally_passed + p))
	tally_failed=$((tally_failed + f))
	tally_skipped=$((tally_skipped + s))
	read -r b o x < <(sed -n 's/^== time: build \([0-9]*\) s, boot \([0-9]*\) s, tests \([0-9]*\) s$/\1 \2 \3/p' "$log" |
		awk '{ b += $1; o += $2; x += $3 } END { print b + 0, o + 0, x + 0 }')
	tally_report+=("$(printf '%-8s %d passed, %d failed, %d skipped (%d s: build %d s, boot %d s, tests %d s, other %d s)' \
		"$name" "$p" "$f" "$s" "$t" "$b" "$o" "$x" $((t - b - o - x > 0 ? t - b - o - x : 0)))")
	tally_report+=("$(printf '%-8s slowest: ' '')$(sed -n 's/^# \([^ #]*\) took \([0-9]*\) s$/\1 \2/p' "$log" |
		awk '{ t[$1] += $2 } END { for (n in t) print t[n], n }' | sort -rn | head -n 5 |
		awk '{ printf "%s%s %d s", (NR > 1 ? ", " : ""), $2, $1 }')")
}

tally_finish() {
	printf '%s\n' "${tally_report[@]}"
	echo "$tally_passed passed, $tally_failed failed, $tally_skipped skipped"
	[ "$tally_failed" -eq 0 ]
}
