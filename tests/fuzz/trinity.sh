#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the guest, as root: trinity, the kernel community's system
# call fuzzer, aimed at the device node alone (-V) and at the calls the
# device serves, with no other kind of fd (--enable-fds=pseudo: the -V
# files only), as the unprivileged user nobody (trinity refuses root;
# the node is made 0666 for the run, then put back). It stops after
# --syscalls calls or --seconds, whichever comes first (a SIGINT at the
# deadline, which trinity takes as "finish now"). Then the fuzzer's
# --smoke check that the device still works, and the checks of lib.sh
# (rmmod works, the buffer's memory comes back, the kernel log is clean).
# Prints TAP, exits non-zero on any failure.
#
# Usage: tests/fuzz/trinity.sh [--seconds N] [--syscalls N] [--children N]
#                              [--seed N] [--ko PATH] [--build DIR]
#                              [--params '...']
# From the host: make vm-run KERNEL=debug CMD='tests/fuzz/trinity.sh --seconds 600'

set -u

# shellcheck source=tests/stress/lib.sh
. "$(dirname "$0")/../stress/lib.sh"

# 30 s: about 10,000 calls in the debug guest (19,808 in 60 s, measured),
# half of the 60 s it had, for CI's 20 minutes; longer runs by hand
# (--seconds, as above)
SECONDS_=30
SYSCALLS=100000
CHILDREN=2
SEED=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
lib_opts "--seconds=SECONDS_ --syscalls=SYSCALLS --children=CHILDREN --seed=SEED" "$@"

# the calls a character device with mmap, read/write and ioctls serves
CALLS="ioctl mmap munmap mremap madvise mprotect msync mlock munlock mincore
read write pread64 pwrite64 readv writev preadv pwritev preadv2 pwritev2
lseek poll ppoll select pselect6 splice tee vmsplice sendfile
copy_file_range fcntl fadvise64 readahead fallocate sync_file_range flock
dup dup2"

lib_start trinity
if ! command -v trinity >/dev/null; then
	t_case fail trinity "trinity is not installed (tests/provision/deps.sh)"
	lib_finish
	exit 1
fi

mode=$(stat -c %a "$DEV")
chmod 0666 "$DEV"
# trinity writes its state into the working directory: one of nobody's own
work=$scratch/trinity
mkdir -p "$work"
chown nobody:nogroup "$work"
chmod 0755 "$scratch"
cd "$work" || exit 1

cflags=""
for c in $CALLS; do
	cflags="$cflags -c $c"
done
# shellcheck disable=SC2086 # one line, the calls separated by spaces
echo "# trinity: seed $SEED, $CHILDREN children, at most $SYSCALLS calls or ${SECONDS_}s, calls:" $CALLS
# shellcheck disable=SC2086
timeout -s INT -k 60 "$SECONDS_" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
	trinity -q -l off -V "$DEV" \
	--enable-fds=pseudo \
	$cflags -N "$SYSCALLS" -C "$CHILDREN" -s "$SEED" \
	>"$scratch/trinity.out" 2>&1 </dev/null
rc=$?
cd / || exit 1
chmod "$mode" "$DEV"
# what trinity says about itself: its last lines, and any complaint
grep -E 'Ran [0-9]+ syscalls|filenames|fd providers|taint|Bail|ERROR|Error|exiting|stopped' \
	"$scratch/trinity.out" | tail -n 20 | sed 's/^/# /'
calls=$(sed -n 's/.*Ran \([0-9]*\) syscalls.*/\1/p' "$scratch/trinity.out" | tail -n 1)
echo "# trinity ran ${calls:-an unknown number of} syscalls, exit status $rc"
# 0: done with its calls; 124: stopped by SIGINT at the deadline
if { [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; } && [ -n "$calls" ] && [ "$calls" -gt 0 ]; then
	t_case ok trinity
else
	tail -n 40 "$scratch/trinity.out" | sed 's/^/# trinity: /'
	t_case fail trinity "exit status $rc"
fi
lib_run device_works_after_trinity 120 \
	"$BUILD/fuzz/mmio_shm_fuzz" --smoke --device "$DEV"
lib_finish
