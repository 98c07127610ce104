#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel under QEMU (TCG, never KVM: /dev/kvm here hangs stock
# kernels) on the host's own filesystem with virtme-ng, run one command in
# it and return that command's exit status. The guest sees the host's files
# read-only; BUILD_DIR is writable at the same path.
#
# virtme-ng is trixie's package, unpacked into BUILD_DIR/virtme-ng by
# tests/provision/deps.sh and run from there (PATH and PYTHONPATH below): a
# vng installed in the system is never used.
#
# A guest still running after TIMEOUT seconds is killed and this returns
# 124. coreutils timeout does it: it runs vng in its own process group and
# on expiry signals the whole group, so vng, virtme-run and the QEMU that
# virtme-run forks all get SIGTERM, and SIGKILL 10 s later if vng is still
# there (-k). setsid starts timeout in a session of its own: the group's
# id is its pid from the first instant (no race with timeout's own
# setpgid), and QEMU has no controlling terminal to touch. Whatever of the
# group is left when timeout returns gets SIGKILL, and this waits until
# it has ended (up to 10 s), so no QEMU of this run outlives it;
# tests/shell/vm-timeout.sh proves that.
#
# COMMAND reaches the guest as a script in BUILD_DIR, not on the kernel
# command line, where virtme-ng puts --exec: the list of tests make
# check-debug runs (about 1,050 bytes) made the debug kernel's command
# line too long, and the guest died at once (status 255) without a word.
#
# Usage: [VM_APPEND=...] [VM_QEMU_OPTS=...] tests/runner/vm.sh VMLINUZ TIMEOUT BUILD_DIR COMMAND
#        (COMMAND empty: an interactive shell, without a timeout;
#        VM_APPEND: more kernel command line; VM_QEMU_OPTS: more QEMU
#        options, words without spaces: a NIC, say, as
#        tests/shell/rdma_two_hosts.sh joins two guests)

set -u

VMLINUZ=$1
TIMEOUT=$2
BUILD=$(realpath -m "$3")
CMD=${4:-}

VNG_ROOT=$BUILD/virtme-ng
VNG=$VNG_ROOT/usr/bin/vng
if [ ! -x "$VNG" ]; then
	echo "vm: no $VNG: run tests/provision/deps.sh $BUILD" >&2
	exit 1
fi
# vng starts virtme-run through PATH; both import their modules from here
export PATH="$VNG_ROOT/usr/bin:$PATH"
export PYTHONPATH="$VNG_ROOT/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}"

# --force-9p: virtme-ng tries virtio-fs first, with a virtiofsd of the Rust
# implementation. Bookworm has none, but QEMU's own C virtiofsd answers
# --version, so virtme-ng starts it with options it does not take and waits
# 3.1 s for it (five tries) before it falls back to 9p: 2.8 s of every
# boot, measured with --dry-run.
args=(--run "$VMLINUZ" --disable-kvm --cpus 2 --memory 1G --force-9p
      --rwdir "$BUILD=$BUILD")
[ -z "${VM_APPEND:-}" ] || args+=(--append "$VM_APPEND")
# virtme-ng splits the words again; "=": the value starts with a dash
[ -z "${VM_QEMU_OPTS:-}" ] || args+=("--qemu-opts=$VM_QEMU_OPTS")

if [ -z "$CMD" ]; then
	exec "$VNG" "${args[@]}"
fi

# QEMU reopens our stdout and stderr by path, truncating a log file they
# may point to; pipes keep what was already written there.
start=$SECONDS
script=$(mktemp "$BUILD/vm-cmd.XXXXXX") || exit 1
printf '%s\n' "$CMD" >"$script"
setsid timeout -s TERM -k 10 "$TIMEOUT" "$VNG" "${args[@]}" \
	--exec "bash $script" \
	</dev/null > >(cat) 2> >(cat >&2) &
vm=$!
trap 'kill -TERM -- "-$vm" 2>/dev/null; sleep 2; kill -KILL -- "-$vm" 2>/dev/null; rm -f "$script"; exit 130' INT TERM

# a process of the group $1 that has not ended (a zombie has)
group_alive() {
	local f st state pgrp

	for f in /proc/[0-9]*/stat; do
		{ read -r st <"$f"; } 2>/dev/null || continue
		# after the command's name, in parentheses: state, ppid, pgrp
		read -r state _ pgrp _ <<<"${st##*) }"
		[ "$pgrp" != "$1" ] || [ "$state" = Z ] || return 0
	done
	return 1
}

wait "$vm"
rc=$?
kill -KILL -- "-$vm" 2>/dev/null
# SIGKILL ends a process asynchronously: a loaded machine showed
# virtme-run still there when this returned; wait for the group to end
# (up to 10 s)
for ((i = 0; i < 100; i++)); do
	group_alive "$vm" || break
	sleep 0.1
done
rm -f "$script"
# 124: the guest got SIGTERM in time; 137: timeout itself went with the
# SIGKILL it sent to its group (a guest command of its own may exit 137)
if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && [ $((SECONDS - start)) -ge "$TIMEOUT" ]; }; then
	echo "vm: guest still running after ${TIMEOUT}s: killed" >&2
	rc=124
fi
exit "$rc"
