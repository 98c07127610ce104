#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install, only when missing, what building and testing mmio_shm needs.
# Everything comes from Debian's archive. Only the system's own suite
# (bookworm) is installed into the system, through its apt sources. What
# bookworm lacks comes through a private apt configuration under the build
# directory and stays there: virtme-ng from trixie is unpacked into
# BUILD_DIR/virtme-ng (tests/runner/vm.sh runs it from there), other
# kernels are fetched by tests/provision/kernels.sh.
#
# Usage: tests/provision/deps.sh [BUILD_DIR]

set -eu

BUILD=${1:-build}

# Debian package -> what it gives us (gcc-multilib: -m32 -static builds of
# the ioctl tests, tests/shell/abi32_suite.sh)
PACKAGES="
build-essential
clang
gcc-multilib
libclang-rt-14-dev
linux-headers-amd64
linux-image-amd64
linux-source-6.1
qemu-system-x86
kmod
cpio
busybox-static
sparse
dwarves
pkg-config
udev
systemd
dkms
man-db
groff-base
stress-ng
trinity
python3
xz-utils
debootstrap
flex
bison
bc
libelf-dev
gnuplot-nox
"

# the packages of "$@" that are not installed
missing_of() {
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
			printf ' %s' "$p"
		fi
	done
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "deps: need root to run: $*" >&2
		exit 1
	fi
}

# install "$@" from the system's own apt sources
install_system() {
	echo "deps: installing:$*"
	as_root apt-get update -q
	# shellcheck disable=SC2068
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $@
}

missing=$(missing_of $PACKAGES)
[ -z "$missing" ] || install_system $missing

# apt_suite: the private apt configuration shared with tests/provision/kernels.sh
. "$(dirname "$0")/apt-suite.sh"

# virtme-ng boots a kernel on the host's own filesystem; bookworm lacks it.
# Trixie's package (architecture all: Python and shell) is unpacked, not
# installed: nothing from another suite goes into the system.
VNG_ROOT=$(realpath -m "$BUILD/virtme-ng")
if [ ! -x "$VNG_ROOT/usr/bin/vng" ]; then
	echo "deps: unpacking virtme-ng from trixie into $VNG_ROOT"
	apt_suite trixie
	# shellcheck disable=SC2086
	(cd "$apt_dir" && apt-get $opts -q download virtme-ng)
	deb=$(ls "$apt_dir"/virtme-ng_*.deb | sort -V | tail -n 1)
	rm -rf "$VNG_ROOT.new"
	dpkg -x "$deb" "$VNG_ROOT.new"
	dpkg-deb -f "$deb" Depends >"$VNG_ROOT.new/DEPENDS"
	rm -rf "$VNG_ROOT"
	mv "$VNG_ROOT.new" "$VNG_ROOT"
fi

# Its Depends (python3-argcomplete, python3-requests, file, kmod, ...) are
# bookworm packages, installed from the system's suite when missing.
# dep_met DEP: one alternative of DEP (a | b (>= 1.0)) is installed, in a
# version DEP accepts
dep_met() {
	for alt in $(echo "$1" | tr '|' ' '); do
		name=${alt%%(*}
		name=${name%%:*}
		[ -z "$(missing_of "$name")" ] || continue
		case "$alt" in
		*"("*)
			rel=${alt#*(}
			rel=${rel%)}
			op=$(echo "$rel" | sed -E 's/^([<>=]+).*/\1/')
			case "$op" in
			'>=') o=ge ;; '<=') o=le ;; '>>') o=gt ;; '<<') o=lt ;; *) o=eq ;;
			esac
			dpkg --compare-versions "$(dpkg-query -W -f='${Version}' "$name")" \
				"$o" "${rel#"$op"}" && return 0
			;;
		*) return 0 ;;
		esac
	done
	return 1
}
depends=$(tr -d ' ' <"$VNG_ROOT/DEPENDS" | tr ',' ' ')
install=""
for dep in $depends; do
	first=${dep%%|*}
	first=${first%%(*}
	dep_met "$dep" || install="$install ${first%%:*}"
done
[ -z "$install" ] || install_system $install
for dep in $depends; do
	if ! dep_met "$dep"; then
		echo "deps: virtme-ng needs $dep, which bookworm does not give" >&2
		exit 1
	fi
done
