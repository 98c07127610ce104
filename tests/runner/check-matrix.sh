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

# shellcheck source=tests/runner/tally.sh
. tests/runner/tally.sh

# not in logs/ itself: each check.sh empties logs/*.log as it starts
mkdir -p "$BUILD/logs/matrix"
for k in "$@"; do
	opt=--guest-only
	[ "$k" = "$host" ] && opt=
	echo "=== check-matrix: Linux $k${opt:+ ($opt)}"
	# shellcheck disable=SC2086
	tally_run "$k" "$BUILD/logs/matrix/$k.log" tests/runner/check.sh $opt "$k" "$BUILD"
done

echo "=== check-matrix"
tally_finish
