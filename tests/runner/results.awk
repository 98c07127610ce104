# SPDX-License-Identifier: GPL-2.0
#
# The one place where test results are counted. Every tier of make check
# writes (K)TAP, the lines the kselftest harness, the TAP shell tests and
# lint.sh print:
#
#   1..N                     the plan of the lines at this level
#   ok N name                passed
#   ok N name # SKIP reason  skipped
#   not ok N name            failed
#   Bail out! reason         the run stopped: one failure
#
# run-suite.sh nests each program's output under it with a "# " prefix and
# follows it with one line for the program itself, as the kselftest runner
# does. A result with results nested above it is the parent of those: they
# are counted, it is not, except when it failed while none of them did
# (the program crashed, timed out or left a kernel splat): that counts as
# one failure. Any other result counts as one test case.
#
# A log whose top level runs fewer results than its plan (the run ended
# early) counts one more failure, and so does a log with no result at all.
#
# Usage: awk -f results.awk LOG...
# Prints "N passed, N failed, N skipped"; exits 1 when a case failed.

function finish_file() {
	if (file == "")
		return
	if (!results && !bailed) {
		printf "results: %s: no test results\n", file > "/dev/stderr"
		failed++
	} else if (plan > top && !bailed) {
		printf "results: %s: planned %d, ran %d\n", file, plan, top > "/dev/stderr"
		failed++
	}
}

FNR == 1 {
	finish_file()
	file = FILENAME
	plan = top = results = bailed = 0
	delete kids
	delete kidfail
}

{
	line = $0
	depth = 0
	while (sub(/^# /, "", line))
		depth++
}

line ~ /^Bail out!/ {
	failed++
	bailed = 1
	next
}

depth == 0 && line ~ /^1\.\.[0-9]+/ {
	plan = substr(line, 4) + 0
	next
}

line ~ /^(not )?ok [0-9]+/ {
	results++
	if (depth == 0)
		top++
	bad = line ~ /^not ok/
	skip = line ~ /# [Ss][Kk][Ii][Pp]/
	if ((depth + 1) in kids) {
		if (bad && !kidfail[depth + 1])
			failed++
	} else if (skip) {
		skipped++
	} else if (bad) {
		failed++
	} else {
		passed++
	}
	# the lines nested above this one are its own, done with
	for (d = depth + 1; d in kids; d++) {
		delete kids[d]
		delete kidfail[d]
	}
	kids[depth]++
	if (bad && !skip)
		kidfail[depth]++
}

END {
	finish_file()
	printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped
	exit failed > 0
}
