# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the host-side runners that print their checks as TAP cases
# (lint.sh, check-deb.sh): one "ok N NAME" or "not ok N NAME" line per
# check, the output of a failed one before it as "# " lines. N counts from
# 1 in the sourcing script.

n=0

# result NAME STATUS OUTPUT
result() {
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $n $1"
	else
		printf '%s\n' "$3" | sed 's/^/# /'
		echo "not ok $n $1"
	fi
}
