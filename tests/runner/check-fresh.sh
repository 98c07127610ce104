#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make check-fresh`: the README's promise on a truly fresh machine. A
# minimal Debian bookworm (debootstrap --variant=minbase) with only make
# added is kept in the machine's cache (tests/provision/cache.sh:
# CACHE/fresh-bookworm, made once, its key .made written last). Each run
# copies it, clones the checkout's committed HEAD into the copy and runs
# `make check` there as a new user would: deps.sh installs everything from
# the archive. Nothing of the host's toolchain or caches is used, but for
# the downloaded .debs, kept in CACHE/fresh-apt-archives so that a second
# run does not download them again (they are still installed afresh).
#
# Inside, /proc, /sys and /dev come from the host in a private mount
# namespace that goes away with the run; no service starts in the chroot
# (policy-rc.d). What needs a mount namespace inside (unshare -m) skips
# with the reason where the chroot cannot make one.
#
# Prints make check's output (apt's goes to BUILD/fresh/root/.../apt.log)
# and ends with its last line, "N passed, N failed, N skipped"; exits with
# make check's status.
#
# TARGET (default check) names another make target to run so: `demo`
# shows what a newcomer's make demo installs and prints.
#
# Usage: tests/runner/check-fresh.sh [BUILD_DIR [TARGET]]

set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath -m "${1:-$TOP/build}")
TARGET=${2:-check}
case $TARGET in
*[!a-z0-9-]*|"") echo "check-fresh: bad target '$TARGET'" >&2; exit 2 ;;
esac
# shellcheck source=tests/provision/cache.sh
. "$TOP/tests/provision/cache.sh"
# shellcheck source=tests/provision/apt-suite.sh
. "$TOP/tests/provision/apt-suite.sh"
CACHE=$(mmio_shm_cache_dir)
BASE=$CACHE/fresh-bookworm
DEBS=$CACHE/fresh-apt-archives
RUN=$BUILD/fresh/root

die() {
	echo "check-fresh: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "no debootstrap: run tests/provision/deps.sh"

# shellcheck source=tests/provision/fresh-base.sh
. "$TOP/tests/provision/fresh-base.sh"

# the base: minbase bookworm and make, once per machine
fresh_base "$CACHE" || die "no base in $BASE"

# this run's copy of it, and a clone of the committed HEAD
[ -z "$(mounts_under "$RUN")" ] || die "$RUN has mounts left (umount them first)"
rm -rf "$RUN"
mkdir -p "$(dirname "$RUN")"
cp -a "$BASE" "$RUN"
cp /etc/resolv.conf "$RUN/etc/resolv.conf"
git clone -q "$TOP" "$RUN/root/mmio_shm"
echo "check-fresh: a clone of $(git -C "$TOP" log -1 --format='%h %s' | cut -c1-70)"
echo "check-fresh: in a copy of $BASE: make $TARGET"

# proc, sys and dev of the host, the .deb cache, in a namespace of the run
# shellcheck disable=SC2016
unshare --mount --propagation private sh -c '
	root=$1
	debs=$2
	mount -t proc proc "$root/proc" &&
	mount -t sysfs sysfs "$root/sys" &&
	mount --rbind /dev "$root/dev" &&
	mount --bind "$debs" "$root/var/cache/apt/archives" || exit 1
	exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C.UTF-8 TERM=dumb sh -c "cd /root/mmio_shm && make $3"' \
	sh "$RUN" "$DEBS" "$TARGET"
