#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Locate (and for kernels other than the installed 6.1, fetch into the build
# directory) a Debian kernel to build the module against and boot in QEMU.
# Prints shell assignments for the caller to eval:
#   KDIR=...      kernel build tree for `make -C $KDIR M=...`
#   VMLINUZ=...   kernel image for the guest
#   KMAKE=...     extra make arguments the tree needs (for example CC=gcc)
#   KCHROOT=...   the chroot that KDIR lies in and the build must run in
#                 (empty: build on this system)
#
# 6.12 comes from bookworm-backports, 5.10 from bullseye: the newest ABI of
# the suite is downloaded once through a private apt configuration (the
# system's apt sources are never touched) and unpacked into
# BUILD_DIR/kernels/KERNEL/. Later runs use that cache without the network;
# KERNELS_REFRESH=1 looks for a newer ABI again. Everything but the three
# assignments goes to stderr.
#
# 7.2 (sid: the newest 7.x in Debian unstable, whatever its version) is
# built and unpacked in a sid chroot, CACHE/sid, by
# tests/provision/sid-chroot.sh: its kbuild tools need a newer glibc and
# gcc than this system has.
#
# debug is 6.1 built with the kernel's bug detectors on, by
# tests/provision/debug-kernel.sh (make check-debug).
#
# Usage: tests/provision/kernels.sh 5.10|6.1|6.12|7.2|sid|debug [BUILD_DIR]

set -eu

KERNEL=${1:-6.1}
BUILD=$(realpath -m "${2:-build}")
# shellcheck source=tests/provision/cache.sh
. "$(dirname "$0")/cache.sh"
CACHE=$(mmio_shm_cache_dir)

die() {
	echo "kernels: $*" >&2
	exit 1
}

newest() {
	# newest of the paths given, by version order
	ls -d "$@" 2>/dev/null | sort -V | tail -n 1
}

# apt_suite: the private apt configuration shared with tests/provision/deps.sh
. "$(dirname "$0")/apt-suite.sh"

# Download and unpack the newest kernel of a suite into $cache/root, make
# its headers usable from there, and set kdir, vmlinuz.
# Usage: fetch SUITE ABI_REGEX   (ABI: the part of linux-headers-ABI-amd64)
fetch() {
	suite=$1
	abire=$2
	cache=$CACHE/kernels/$KERNEL
	root=$cache/root

	# one fetch at a time per kernel: others wait, then find the cache
	mkdir -p "$CACHE/kernels"
	exec 9>"$CACHE/kernels/.lock-$KERNEL"
	flock 9
	if [ -f "$cache/abi" ] && [ -z "${KERNELS_REFRESH:-}" ]; then
		abi=$(cat "$cache/abi")
	else
		apt_suite "$suite" || die "cannot read the $suite suite"
		# shellcheck disable=SC2086
		abi=$(apt-cache $opts pkgnames linux-headers- |
			sed -nE "s/^linux-headers-($abire)-amd64\$/\\1/p" |
			sort -V | tail -n 1)
		[ -n "$abi" ] || die "no linux-headers-$abire-amd64 in $suite at $MIRROR"
		if [ -f "$cache/abi" ] && [ "$(cat "$cache/abi")" = "$abi" ]; then
			:
		else
			download "$suite" "$abi"
		fi
	fi

	kdir=$root/usr/src/linux-headers-$abi-amd64
	vmlinuz=$root/boot/vmlinuz-$abi-amd64
}

# Usage: download SUITE ABI   (with $opts, $cache, $root set)
download() {
	echo "kernels: fetching Linux $abi from $suite into $cache" >&2
	rm -rf "$cache"
	mkdir -p "$cache/debs" "$root"

	hdr=linux-headers-$2-amd64
	# shellcheck disable=SC2086
	show=$(apt-cache $opts show "$hdr") ||
		die "cannot read the package $hdr"
	# the headers name the kbuild package they need
	kbuild=$(echo "$show" | sed -n 's/^Depends: //p' | head -n 1 |
		grep -oE 'linux-kbuild-[^ ,]+' | head -n 1)
	[ -n "$kbuild" ] || die "$hdr depends on no linux-kbuild package"
	# the unsigned image when there is one: it is the same vmlinuz
	image=linux-image-$2-amd64-unsigned
	# shellcheck disable=SC2086
	apt-cache $opts show "$image" >/dev/null 2>&1 || image=linux-image-$2-amd64

	# shellcheck disable=SC2086
	(cd "$cache/debs" && apt-get $opts -q download \
		"$image" "$hdr" "linux-headers-$2-common" "$kbuild" >&2) ||
		die "downloading $image $hdr linux-headers-$2-common $kbuild failed"
	for deb in "$cache"/debs/*.deb; do
		dpkg -x "$deb" "$root" || die "cannot unpack $deb"
	done

	relocate
	rm -rf "$cache/debs"
	echo "$2" >"$cache/abi"
}

# The packages expect to live in /usr/src and /usr/lib/linux-kbuild-*: point
# every absolute symlink into them (lib/modules/VER/build, and on some
# kernels the headers' scripts/ and tools/) and the top Makefile's include of
# the -common tree at the unpacked copies instead.
relocate() {
	find "$root" -type l | while read -r link; do
		target=$(readlink "$link")
		case "$target" in
		/usr/src/*|/usr/lib/linux-kbuild-*)
			ln -sfn "$root$target" "$link"
			;;
		esac
	done
	# the compiler the kernel was built with, when this system lacks it
	# (5.10 wants gcc-10): the system's gcc builds modules that work
	for kv in "$root"/usr/src/linux-headers-*-amd64/.kernelvariables; do
		cc=$(sed -nE 's/^CC = .*\$\(CROSS_COMPILE\)(gcc-[0-9]+)$/\1/p' "$kv")
		if [ -n "$cc" ] && ! command -v "$cc" >/dev/null 2>&1; then
			echo "kernels: no $cc here: building with gcc" >&2
			sed -i "s/(CROSS_COMPILE)$cc\$/(CROSS_COMPILE)gcc/" "$kv"
		fi
	done
	for mk in "$root"/usr/src/linux-headers-*-amd64/Makefile; do
		sed -i "s|/usr/src/linux-headers-|$root/usr/src/linux-headers-|" "$mk"
		grep -q "include $root/usr/src/" "$mk" ||
			die "$mk: no include of the -common tree to relocate"
	done
}

case "$KERNEL" in
6.1)
	kdir=$(newest /usr/src/linux-headers-6.1.*-amd64)
	ver=${kdir#/usr/src/linux-headers-}
	vmlinuz=/boot/vmlinuz-$ver
	kmake=""
	kchroot=""
	;;
6.12)
	fetch bookworm-backports '6\.12\.[0-9]+\+deb12[.0-9]*'
	kmake=""
	kchroot=""
	;;
5.10)
	fetch bullseye '5\.10\.0-[0-9]+'
	# the headers ask for gcc-10; bookworm's gcc-12 builds a working module
	kmake="CC=gcc"
	kchroot=""
	;;
debug)
	# 6.1 with KASAN, lockdep, kmemleak, UBSAN and fault injection, built
	# from linux-source-6.1 into the cache (make check-debug)
	dbg=$("$(dirname "$0")/debug-kernel.sh" "$BUILD") ||
		die "no debug kernel"
	kdir=$(echo "$dbg" | sed -n 's/^KDIR=//p')
	vmlinuz=$(echo "$dbg" | sed -n 's/^VMLINUZ=//p')
	kmake=""
	kchroot=""
	;;
7.2|sid)
	sid=$("$(dirname "$0")/sid-chroot.sh" setup "$CACHE") ||
		die "no sid chroot with 7.x headers"
	sid_root=$(echo "$sid" | sed -n 's/^ROOT=//p')
	abi=$(echo "$sid" | sed -n 's/^ABI=//p')
	case "$KERNEL:$abi" in
	sid:*|7.2:7.2.*) ;;
	*) die "sid has Linux $abi now, not $KERNEL: use KERNEL=sid" ;;
	esac
	kdir=$sid_root/usr/src/linux-headers-$abi-amd64
	vmlinuz=$sid_root/usr/lib/modules/$abi-amd64/vmlinuz
	kmake=""
	kchroot=$sid_root
	;;
*)
	echo "kernels: unknown KERNEL=$KERNEL (5.10, 6.1, 6.12, 7.2, sid or debug)" >&2
	exit 2
	;;
esac

if [ ! -d "$kdir" ] || [ ! -f "$vmlinuz" ]; then
	echo "kernels: no usable $KERNEL kernel (headers: '$kdir', image: '$vmlinuz')" >&2
	exit 1
fi
# the modules tests/shell/rdma.sh (soft-RoCE on a veth pair),
# tests/shell/rdma_two_hosts.sh (soft-RoCE on each guest's virtio-net),
# tests/selftests/dmabuf_test.c (vgem) and vivid_test.c (vivid), importers
# of dma-bufs, load, where the guest of a kernel other than the system's own
# finds them (vivid brings videobuf2, v4l2 core, media, the test pattern
# generator and the frame buffer helpers its modinfo names):
# BUILD_DIR/guest-modules (tests/provision/guest-modules.sh)
case "$KERNEL" in
5.10|6.12|7.2|sid)
	if [ -d "$(dirname "$vmlinuz")/kernel" ]; then
		moddir=$(dirname "$vmlinuz")
	else
		moddir=${vmlinuz%/boot/*}/lib/modules/${vmlinuz##*/vmlinuz-}
	fi
	"$(dirname "$0")/guest-modules.sh" "$moddir" "$BUILD/guest-modules" \
		veth virtio_net ib_uverbs rdma_ucm rdma_rxe crc32_generic vgem vivid >&2 ||
		die "cannot copy $KERNEL's modules into $BUILD/guest-modules"
	;;
esac

echo "KDIR=$kdir"
echo "VMLINUZ=$vmlinuz"
echo "KMAKE='$kmake'"
echo "KCHROOT=$kchroot"
