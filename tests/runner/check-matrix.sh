#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-matrix`: the whole `make check` suite (tests/runner/check.sh) for
# each kernel in turn, one guest at a time. The host-side checks and tests
# do not depend on the kernel: they run once, with HOST_KERNEL (6.1, or the
# first kernel listed when 6.1 is not; none: no kernel), and the other
# kernels run --guest-only. Prints each kernel's counts and time, then one line
# "N passed, N failed, N skipped" summing them all; exits non-zero if any
# case failed or a kernel's run gave no counts.
#
# Usage: tests/runner/check-matrix.sh BUILD_DIR KERNEL...

set -u -o pipefail

BUILD=$(realpath -m "$1")
shift
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1

# HOST_KERNEL=none: guests only (CI ran the host tiers in make check)
host=${HOST_KERNEL:-6.1}
case " $* " in
*" $host "*) ;;
*) [ "$host" = none ] || host=$1 ;;
esac

mkdir -p "$BUILD/logs"
passed=0
failed=0
skipped=0
report=()

for k in "$@"; do
	opt=--guest-only
	[ "$k" = "$host" ] && opt=
	echo "=== check-matrix: Linux $k${opt:+ ($opt)}"
	log=$BUILD/logs/check-$k.log
	start=$(date +%s)
	# shellcheck disable=SC2086
	tests/runner/check.sh $opt "$k" "$BUILD" 2>&1 | tee "$log"
	rc=$?
	secs=$(($(date +%s) - start))
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		line="0 passed, 1 failed, 0 skipped"
		echo "check-matrix: no counts from Linux $k: counted as one failure"
	elif [ "$rc" -ne 0 ] && [ "$(echo "$line" | cut -d' ' -f3)" = 0 ]; then
		line="$(echo "$line" | cut -d' ' -f1-2) 1 failed, $(echo "$line" | cut -d' ' -f5-)"
		echo "check-matrix: Linux $k exited $rc with no failure counted: counted as one"
	fi
	read -r p _ f _ s _ <<<"$line"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	report+=("$(printf '%-6s %s (%d s)' "$k" "$line" "$secs")")
done

echo "=== check-matrix"
printf '%s\n' "${report[@]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
