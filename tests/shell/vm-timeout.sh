#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: host
#
# Description: tests/runner/vm.sh kills a guest that outlives its timeout
# and leaves no QEMU behind. It boots the kernel make check uses
# (MMIO_SHM_VMLINUZ) with a command that sleeps forever and a timeout of
# 20 s, and a scratch directory as the build directory: vm.sh hands
# that to QEMU (--rwdir), so the path marks this run's QEMU on the process
# list, apart from any other guest on the machine. While it runs, a QEMU
# with the marker must appear, started by the virtme-run of the unpacked
# virtme-ng (BUILD/virtme-ng, never the system's); vm.sh must then return
# 124, within the timeout plus the 10 s of its SIGKILL grace and some
# slack, and once it has returned no process with the marker may be left.
# That last check means something only where pgrep (procps) works and has
# seen the run's QEMU: without pgrep, or when pgrep ends in an error, or
# when it never saw the QEMU, an empty list proves nothing and the case
# fails with the reason.
#
# 20 s: enough for Python to start vng and virtme-run and for them to
# start QEMU on a loaded machine (8 s were not, under four other guests),
# so that the kill always finds a QEMU to kill; on a quiet machine the
# guest has booted into the command by then.

. "$(dirname "$0")/tap.sh"

TIMEOUT=${VM_TIMEOUT_TEST:-20}
VMLINUZ=${MMIO_SHM_VMLINUZ:-}

cleanup() {
	[ -z "${MARK:-}" ] || { pkill -KILL -f -- "$MARK"; rm -rf "$MARK"; }
}

CASES="qemu_of_the_run_starts virtme_ng_is_the_unpacked_one vm_sh_returns_124
vm_sh_returns_in_time no_process_of_the_run_is_left"

plan 5
if ! command -v pgrep >/dev/null || ! command -v pkill >/dev/null; then
	# procps is the project's to install (tests/provision/deps.sh): a
	# machine without it is set up wrong, which is a failure, not a skip
	for c in $CASES; do
		fail_case "$c" "pgrep or pkill not found: procps is missing (tests/provision/deps.sh installs it)"
	done
	tap_exit
fi
if [ -z "$VMLINUZ" ] || [ ! -r "$VMLINUZ" ]; then
	for c in $CASES; do
		skip_case "$c" "no kernel image to boot (MMIO_SHM_VMLINUZ; make check sets it)"
	done
	tap_exit
fi

# a build directory of its own, holding virtme-ng as deps.sh unpacked it
MARK=$(mktemp -d "${TMPDIR:-/tmp}/mmio_shm_vm_timeout.XXXXXX")
ln -s "$BUILD/virtme-ng" "$MARK/virtme-ng"

start=$SECONDS
"$TOP/tests/runner/vm.sh" "$VMLINUZ" "$TIMEOUT" "$MARK" \
	'echo guest-up; while :; do sleep 1000; done' >"$MARK/out" 2>&1 &
vm=$!
# until this run's QEMU shows up, or vm.sh is gone
seen=0
unpacked=0
# pgrep's status: 0 found, 1 none, anything else an error of its own
pgrep_err=0
while [ "$seen" -eq 0 ] && kill -0 "$vm" 2>/dev/null; do
	procs=$(pgrep -af -- "$MARK")
	[ $? -le 1 ] || pgrep_err=1
	grep -q "python3 $MARK/virtme-ng/usr/bin/virtme-run " <<<"$procs" && unpacked=1
	grep -q "qemu-system.*$MARK" <<<"$procs" && seen=1
	sleep 0.2
done
wait "$vm"
rc=$?
took=$((SECONDS - start))
left=$(pgrep -af -- "$MARK")
left_rc=$?

sed 's/^/# vm.sh: /' "$MARK/out" | grep -E 'guest-up|vm:|qemu' | head -n 5

qemu_of_the_run_starts() {
	expect_eq 1 "$seen" "a qemu-system process with $MARK on its command line"
}

virtme_ng_is_the_unpacked_one() {
	expect_eq 1 "$unpacked" "a virtme-run of $MARK/virtme-ng, found through PATH"
}

vm_sh_returns_124() {
	expect_eq 124 "$rc" "exit status of vm.sh"
}

vm_sh_returns_in_time() {
	expect_true test "$took" -le $((TIMEOUT + 10 + 20))
	log "returned after ${took}s (timeout ${TIMEOUT}s)"
}

no_process_of_the_run_is_left() {
	# an empty list counts only from a pgrep that works and that saw
	# this run's QEMU while it ran
	expect_eq 0 "$pgrep_err" "pgrep errors while looking for the run's QEMU"
	expect_eq 1 "$left_rc" "pgrep's status after the run (1: no process matched)"
	expect_eq 1 "$seen" "pgrep saw the run's QEMU (else an empty list proves nothing)"
	expect_eq "" "$left" "processes left with $MARK in their command line"
}

for c in $CASES; do
	run_case "$c"
done
tap_exit
