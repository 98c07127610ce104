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

# mounts left under a directory: rm -rf must never walk into them
mounts_under() {
	awk -v r="$1/" 'index($2, r) == 1 { print $2 }' /proc/mounts
}

# the base: minbase bookworm and make, once per machine
mkdir -p "$CACHE" "$DEBS/partial"
exec 9>"$CACHE/.lock-fresh"
flock 9
if [ ! -f "$BASE/.made" ]; then
	mirror=$(debian_mirror)
	[ -n "$mirror" ] || die "no Debian source in /etc/apt: set DEBIAN_MIRROR"
	[ -z "$(mounts_under "$BASE.new")" ] || die "$BASE.new has mounts left"
	rm -rf "$BASE.new" "$BASE"
	t0=$(date +%s)
	echo "check-fresh: debootstrap --variant=minbase bookworm into $BASE"
	unshare --mount --propagation private \
		debootstrap --variant=minbase bookworm "$BASE.new" "$mirror" \
		>"$CACHE/fresh-debootstrap.log" 2>&1 ||
		{ tail -n 20 "$CACHE/fresh-debootstrap.log" >&2; die "debootstrap failed"; }
	# a chroot starts no services, and installs no recommends, as deps.sh
	printf '#!/bin/sh\nexit 101\n' >"$BASE.new/usr/sbin/policy-rc.d"
	chmod 755 "$BASE.new/usr/sbin/policy-rc.d"
	cp /etc/resolv.conf "$BASE.new/etc/resolv.conf"
	chroot "$BASE.new" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive sh -c \
		'apt-get -q update && apt-get -q -y install --no-install-recommends make &&
		 apt-get -q clean' >>"$CACHE/fresh-debootstrap.log" 2>&1 ||
		{ tail -n 20 "$CACHE/fresh-debootstrap.log" >&2; die "installing make failed"; }
	touch "$BASE.new/.made"
	mv "$BASE.new" "$BASE"
	echo "check-fresh: base made in $(($(date +%s) - t0)) s" \
		"($(du -sm "$BASE" | cut -f1) MiB)"
fi
flock -u 9

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
