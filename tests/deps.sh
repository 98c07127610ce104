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

# A private apt configuration for one extra suite; prints its apt options.
# Usage: apt_suite SUITE
apt_suite() {
	dir=$(realpath -m "$BUILD/apt/$1")
	mkdir -p "$dir/lists/partial" "$dir/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $1 main" \
		>"$dir/sources.list"
	opts="-o Dir::Etc::SourceList=$dir/sources.list \
-o Dir::Etc::SourceParts=/nonexistent \
-o Dir::State::Lists=$dir/lists \
-o Dir::Cache::Archives=$dir/archives \
-o Acquire::Check-Valid-Until=false"
	if [ ! -e "$dir/lists/.updated" ]; then
		# shellcheck disable=SC2086
		apt-get $opts -q update >&2
		touch "$dir/lists/.updated"
	fi
	echo "$opts"
}

# virtme-ng runs a kernel on the host's own filesystem; bookworm lacks it.
if ! command -v vng >/dev/null 2>&1; then
	echo "deps: installing virtme-ng from trixie"
	opts=$(apt_suite trixie)
	dir=$(realpath -m "$BUILD/apt/trixie")
	# shellcheck disable=SC2086
	(cd "$dir" && apt-get $opts -q download virtme-ng)
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "$dir"/virtme-ng_*.deb
fi
