#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Locate (and for kernels other than the installed 6.1, fetch into the build
# directory) a Debian kernel to build the module against and boot in QEMU.
# Prints shell assignments for the caller to eval:
#   KDIR=...      kernel build tree for `make -C $KDIR M=...`
#   VMLINUZ=...   kernel image for the guest
#   KMAKE=...     extra make arguments the tree needs (for example CC=gcc)
#
# Usage: tests/kernels.sh 5.10|6.1|6.12 [BUILD_DIR]

set -eu

KERNEL=${1:-6.1}
BUILD=$(realpath -m "${2:-build}")

newest() {
	# newest of the paths given, by version order
	ls -d "$@" 2>/dev/null | sort -V | tail -n 1
}

case "$KERNEL" in
6.1)
	kdir=$(newest /usr/src/linux-headers-6.1.*-amd64)
	ver=${kdir#/usr/src/linux-headers-}
	vmlinuz=/boot/vmlinuz-$ver
	kmake=""
	;;
*)
	echo "kernels: unknown KERNEL=$KERNEL (5.10, 6.1 or 6.12)" >&2
	exit 2
	;;
esac

if [ ! -d "$kdir" ] || [ ! -f "$vmlinuz" ]; then
	echo "kernels: no usable $KERNEL kernel (headers: '$kdir', image: '$vmlinuz')" >&2
	exit 1
fi
echo "KDIR=$kdir"
echo "VMLINUZ=$vmlinuz"
echo "KMAKE='$kmake'"
