#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: guest
# Tiers: check (a later interface meets older programs in args.c, over
# copy_struct_from_user(), which every kernel of the matrix has alike;
# under the debug kernel it would rerun the paths the native programs take
# there, for 54 s)
#
# Description: old programs on a newer kernel. The module built with
# MMIO_SHM_TEST_GROW=1 (make check builds it into <module dir>-grown/) plays
# a later interface in which every argument struct has one more __u64
# output field at its end (the UAPI header's test_grown). This
# reloads the module as that one, checks what a caller of each size sees,
# runs today's programs against it (the ioctl, doorbell, endpoint and
# library selftests, and the i386 ioctl_test), then loads the shipped
# module again with its defaults, as every test leaves it. Their results
# are this test's cases, named with a _grown suffix.
#
# Needs MMIO_SHM_KO, the shipped module (run-suite.sh sets it; a relative
# path is taken from the checkout); MMIO_SHM_GROWN_KO names another grown
# module. Without them every case skips.

. "$(dirname "$0")/tap.sh"

KO=${MMIO_SHM_KO:-}
GROWN_KO=${MMIO_SHM_GROWN_KO:-${KO:+${KO%/*}-grown/mmio_shm.ko}}
case $KO in [!/]*) KO=$TOP/$KO ;; esac
case $GROWN_KO in [!/]*) GROWN_KO=$TOP/$GROWN_KO ;; esac
PROGS="$BUILD/tests/ioctl_test $BUILD/tests/doorbell_test $BUILD/tests/endpoint_test
$BUILD/tests/lib_test $BUILD/tests32/ioctl_test"
# the cases: the probe, one per program, run-suite.sh's kernel log check
NCASES=$(($(echo "$PROGS" | wc -w) + 2))
# the i386 program needs a kernel that runs i386 programs: else its case
# is skipped, last, with the reason
NO_M32=""
if [ ! -e /proc/sys/abi/vsyscall32 ]; then
	NO_M32="this kernel runs no i386 programs (no /proc/sys/abi/vsyscall32: CONFIG_IA32_EMULATION is off)"
	PROGS=$(echo "$PROGS" | tr ' ' '\n' | grep -v '/tests32/' | tr '\n' ' ')
fi

# a program's case name: tests32/ioctl_test is ioctl_test_m32
case_name() {
	case $1 in
	*/tests32/*) echo "${1##*/}_m32_grown" ;;
	*) echo "${1##*/}_grown" ;;
	esac
}

skip_all() {
	local p

	plan "$NCASES"
	skip_case "each_caller_size_gets_what_it_can_hold" "$1"
	for p in $PROGS; do
		skip_case "$(case_name "$p")" "$1"
	done
	skip_case "kernel_log_clean_grown" "$1"
	tap_exit
}

if [ ! -f "$KO" ] || [ ! -f "$GROWN_KO" ]; then
	skip_all "no module '${MMIO_SHM_KO:-}' or no grown module '$GROWN_KO' (make check builds it)"
fi

plan "$NCASES"
# the grown module for the rest of the test; the shipped one at exit
swap_module "$KO" "$GROWN_KO"

# INFO from callers of three sizes: the first published one (an old
# program), the grown kernel's own, and a newer one still; the value the
# grown module writes into its field comes from the header
probe() {
	local value

	value=$(sed -n 's/^#define MMIO_SHM_TEST_GROWN_VALUE[[:space:]]*\(0x[0-9a-fA-F]*\)ULL$/\1/p' \
		"$TOP/kernel/uapi/linux/mmio_shm.h")
	assert_ne "" "$value" "MMIO_SHM_TEST_GROWN_VALUE in the header"
	run2 python3 - "$value" <<'PY'
import errno, fcntl, os, struct, sys

GROWN = int(sys.argv[1], 16)
INFO, WAIT = 0xe2 << 8 | 0, 0xe2 << 8 | 4   # _IO(0xe2, nr)
VER0 = {INFO: 40, WAIT: 32}
bad = 0


def check(what, want, got):
    global bad
    if want != got:
        print(f"{what}: expected {want!r}, got {got!r}")
        bad = 1


def call(cmd, usize, buflen, fill=None):
    """the command with a struct of usize bytes in a buffer of buflen
    bytes, 0xa5 past usize; returns (errno or 0, the buffer)"""
    buf = bytearray(b"\xa5" * buflen)
    buf[:usize] = bytes(usize)
    struct.pack_into("<I", buf, 0, usize)
    for at, byte in (fill or {}).items():
        buf[at] = byte
    try:
        fcntl.ioctl(fd, cmd, buf, True)
        return 0, buf
    except OSError as e:
        return e.errno, buf


fd = os.open("/dev/mmio_shm", os.O_RDWR)
for cmd, name in ((INFO, "INFO"), (WAIT, "WAIT")):
    v0 = VER0[cmd]
    # an old program: accepted, nothing past its struct, its own size back
    err, buf = call(cmd, v0, v0 + 16)
    check(f"{name} size {v0}: errno", 0 if cmd == INFO else errno.ETIMEDOUT, err)
    check(f"{name} size {v0}: size back", v0, struct.unpack_from("<I", buf)[0])
    check(f"{name} size {v0}: bytes past it", b"\xa5" * 16, bytes(buf[v0:]))
    # a program of the grown kernel's own size: the field is filled
    err, buf = call(cmd, v0 + 8, v0 + 16)
    check(f"{name} size {v0 + 8}: size back", v0 + 8, struct.unpack_from("<I", buf)[0])
    check(f"{name} size {v0 + 8}: grown field", GROWN, struct.unpack_from("<Q", buf, v0)[0])
    check(f"{name} size {v0 + 8}: bytes past it", b"\xa5" * 8, bytes(buf[v0 + 8:]))
    # newer still: the size back says where the kernel stopped
    err, buf = call(cmd, v0 + 16, v0 + 24)
    check(f"{name} size {v0 + 16}: size back", v0 + 8, struct.unpack_from("<I", buf)[0])
    check(f"{name} size {v0 + 16}: grown field", GROWN, struct.unpack_from("<Q", buf, v0)[0])
    check(f"{name} size {v0 + 16}: its own field", bytes(8), bytes(buf[v0 + 8:v0 + 16]))
    # a byte the grown kernel knows is no tail; one past it is
    check(f"{name} size {v0 + 16}, byte {v0} set: errno",
          0 if cmd == INFO else errno.ETIMEDOUT,
          call(cmd, v0 + 16, v0 + 16, {v0: 1})[0])
    check(f"{name} size {v0 + 16}, byte {v0 + 8} set: errno", errno.E2BIG,
          call(cmd, v0 + 16, v0 + 16, {v0 + 8: 1})[0])
    # shorter than the first published size
    check(f"{name} size {v0 - 8}: errno", errno.EINVAL, call(cmd, v0 - 8, v0)[0])
sys.exit(bad)
PY
	echo "$out"
	assert_eq 0 "$status" "the probe"
}
run_case "each_caller_size_gets_what_it_can_hold" probe

start=$(date +%s)
# shellcheck disable=SC2086
suite_cases _grown $PROGS
[ -z "$NO_M32" ] || skip_case ioctl_test_m32_grown "$NO_M32"
echo "# the suite on the grown module took $(($(date +%s) - start)) s"
tap_exit
