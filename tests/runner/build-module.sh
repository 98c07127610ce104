#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the module out of the source tree, in OUT_DIR, against the kernel
# tree KDIR, with W=1. Kbuild writes objects next to the sources, so the
# sources are copied first; that lets one checkout hold modules for several
# kernels at once. Fails on any compiler warning.
#
# With CHROOT (KCHROOT from tests/provision/kernels.sh, for kernels whose kbuild runs
# only in a chroot: see tests/provision/sid-chroot.sh), KDIR lies inside
# CHROOT: a copy of the sources is built in CHROOT/tmp, and the module and
# the build log come back to OUT_DIR. A PATCH (a lab solution,
# docs/lab/*.patch) is applied to the copy, never to kernel/.
#
# The module is stripped of its debug information (kept in
# mmio_shm.ko.debug, for addr2line and gdb): the guest loads it from the
# build directory over 9p, which virtme-ng mounts uncached, and Debian's
# kernels build modules with debug information, 1.5 MB against about
# 150 KB without, read again at every load (module_test alone loads it
# over a hundred times). Its symbols stay: stack traces name its
# functions as before.
#
# Usage: tests/runner/build-module.sh KDIR OUT_DIR [EXTRA_MAKE_ARGS] [CHROOT] [PATCH]

set -eu

KDIR=$1
OUT=$(realpath -m "$2")
EXTRA=${3:-}
CHROOT=${4:-}
PATCH=${5:-}
TOP=$(cd "$(dirname "$0")/../.." && pwd)

mkdir -p "$OUT/kernel/uapi/linux"
cp "$TOP/Kbuild" "$TOP/dkms.conf" "$OUT/"
cp "$TOP"/kernel/*.c "$TOP"/kernel/*.h "$OUT/kernel/"
cp "$TOP/kernel/uapi/linux/mmio_shm.h" "$OUT/kernel/uapi/linux/"
[ -z "$PATCH" ] || patch -s -p1 -d "$OUT" <"$PATCH"

# the debug information of module $1 into $1.debug (with the chroot's
# binutils for the chroot's compiler's objects)
SPLIT='x86_64-linux-gnu-objcopy --only-keep-debug "$1" "$1.debug" &&
	x86_64-linux-gnu-objcopy --strip-debug --add-gnu-debuglink="$1.debug" "$1"'

log=$OUT/build.log
# shellcheck disable=SC2086
if [ -n "$CHROOT" ]; then
	CHROOT=$(realpath "$CHROOT")
	src=$(mktemp -d "$CHROOT/tmp/mmio_shm-build.XXXXXX")
	trap 'rm -rf "$src"' EXIT
	cp -r "$OUT/Kbuild" "$OUT/dkms.conf" "$OUT/kernel" "$src/"
	if ! "$TOP/tests/provision/sid-chroot.sh" run "$CHROOT" \
		make -C "${KDIR#"$CHROOT"}" M="${src#"$CHROOT"}" W=1 $EXTRA modules \
		>"$log" 2>&1; then
		cat "$log"
		exit 1
	fi
	for ko in "$src"/*.ko; do
		"$TOP/tests/provision/sid-chroot.sh" run "$CHROOT" \
			sh -c "$SPLIT" sh "${ko#"$CHROOT"}"
	done
	cp "$src"/*.ko "$src"/*.ko.debug "$src/Module.symvers" "$OUT/"
elif ! make -C "$KDIR" M="$OUT" W=1 $EXTRA modules >"$log" 2>&1; then
	cat "$log"
	exit 1
fi
if grep -E 'warning:|error:' "$log"; then
	echo "build-module: the build has warnings (see above)"
	exit 1
fi

if [ -z "$CHROOT" ]; then
	for ko in "$OUT"/*.ko; do
		sh -c "$SPLIT" sh "$ko"
	done
fi
