#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel under QEMU (TCG, never KVM: /dev/kvm here hangs stock
# kernels) on the host's own filesystem with virtme-ng, run one command in
# it and return that command's exit status. The guest sees the host's files
# read-only; BUILD_DIR is writable at the same path.
#
# A guest that runs longer than TIMEOUT seconds is killed with its whole
# process group, so no QEMU is ever left behind; that returns 124.
#
# Usage: tests/runner/vm.sh VMLINUZ TIMEOUT BUILD_DIR COMMAND
#        (COMMAND empty: an interactive shell)

set -u

VMLINUZ=$1
TIMEOUT=$2
BUILD=$(realpath -m "$3")
CMD=${4:-}

args=(--run "$VMLINUZ" --disable-kvm --cpus 2 --memory 1G
      --rwdir "$BUILD=$BUILD")

if [ -z "$CMD" ]; then
	exec vng "${args[@]}"
fi

# Own session and process group: the watchdog kills vng and QEMU together.
# QEMU reopens our stdout and stderr by path, truncating a log file they
# may point to; pipes keep what was already written there.
setsid vng "${args[@]}" --exec "$CMD" </dev/null > >(cat) 2> >(cat >&2) &
vm=$!
cleanup() {
	kill -TERM -- "-$vm" 2>/dev/null
	sleep 1
	kill -KILL -- "-$vm" 2>/dev/null
}
trap 'cleanup; exit 130' INT TERM

# The watchdog keeps no stdout/stderr open: a reader of our output (tee,
# a pipe) must see EOF as soon as the guest is done, not when it expires.
flag=$(mktemp)
# A sleep killed early (the guest finished) fails, and nothing else runs.
(
	sleep "$TIMEOUT" && {
		echo timeout >"$flag"
		kill -TERM -- "-$vm"
		sleep 5
		kill -KILL -- "-$vm"
	}
) >/dev/null 2>&1 &
watchdog=$!

wait "$vm"
rc=$?
pkill -P "$watchdog" 2>/dev/null
kill "$watchdog" 2>/dev/null
wait "$watchdog" 2>/dev/null
if [ -s "$flag" ]; then
	echo "vm: guest still running after ${TIMEOUT}s: killed" >&2
	rc=124
fi
rm -f "$flag"
exit "$rc"
