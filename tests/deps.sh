#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install, only when missing, what building and testing mmio_shm needs.
# Everything comes from Debian's archive: bookworm's packages through the
# system's apt sources, and the packages bookworm lacks (virtme-ng from
# trixie, other kernels from bookworm-backports and bullseye) through a
# private apt configuration under the build directory, so the system's
# sources are never touched.
#
# Usage: tests/deps.sh [BUILD_DIR]

set -eu

BUILD=${1:-build}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# Debian package -> what it gives us
PACKAGES="
build-essential
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
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done

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

if [ -n "$missing" ]; then
	echo "deps: installing:$missing"
	as_root apt-get update -q
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends $missing
fi

# apt_suite: the private apt configuration shared with tests/kernels.sh
. "$(dirname "$0")/apt-suite.sh"

# virtme-ng runs a kernel on the host's own filesystem; bookworm lacks it.
if ! command -v vng >/dev/null 2>&1; then
	echo "deps: installing virtme-ng from trixie"
	apt_suite trixie
	# shellcheck disable=SC2086
	(cd "$apt_dir" && apt-get $opts -q download virtme-ng)
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "$apt_dir"/virtme-ng_*.deb
fi
