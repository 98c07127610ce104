#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-deb`: the Debian packages built (tests/runner/deb.sh) and
# checked as Debian checks its archive, as TAP cases:
#
#   builds                       make deb's build gives the four packages
#   rules_refuse_version_mismatch
#                                debian/rules stops when dkms.conf's
#                                PACKAGE_VERSION is not the changelog's
#                                upstream version (a copy with dkms.conf
#                                one release on)
#   lintian_PACKAGE              lintian -i -I -E --pedantic --fail-on
#                                error,warning on each .deb: no error or
#                                warning; each info or pedantic tag is fixed
#                                or overridden in debian/PACKAGE.lintian-
#                                overrides with its reason
#   lintian_changes              the same on the .changes, with the
#                                .buildinfo it names
#
# Then, as root, the four installed with apt into a copy of the minimal
# bookworm that make check-fresh uses (tests/provision/fresh-base.sh; a
# chroot, so that the maintainer scripts run: DKMS registers the sources,
# systemd-sysusers makes the group), with what building a program takes
# (dkms brings the compiler; pkg-config, libc6-dev) and the headers of
# Debian's current kernel (linux-headers-amd64), so that DKMS builds the
# module at install, for that kernel (the chroot's uname is the host's):
#
#   installs_in_a_chroot         apt-get install ./*.deb, after their
#                                Depends, pkg-config, libc6-dev and
#                                linux-headers-amd64
#   files_where_they_belong      /usr/src/mmio_shm-RELEASE/ (dkms.conf with
#                                AUTOINSTALL, Kbuild, Makefile, kernel/),
#                                the udev rule in /usr/lib/udev/rules.d,
#                                the sysusers file, the library, headers,
#                                .pc, tool and man pages 1, 3, 4, 7; the
#                                group mmio_shm; dkms status lists it
#   dkms_built_the_module        mmio_shm.ko in /lib/modules/KVER/updates/
#                                dkms for the headers' kernel, with its
#                                vermagic and the release as its version
#   pkg_config_program_runs      a program built with `cc app.c
#                                $(pkg-config --cflags --libs libmmio_shm)`
#                                needs libmmio_shm.so.1, writes into a file
#                                standing in for the device, and the
#                                installed mmio-shm reads it back
#   purge_leaves_nothing         apt-get purge: no file of the four left,
#                                nor /usr/src/mmio_shm-*, /var/lib/dkms's
#                                entry or a package in state rc, and the
#                                tree's files are those it had before the
#                                four (their dependencies installed first,
#                                apt-get satisfy); the group stays, as
#                                Debian leaves system groups
#
# What runs inside is tests/runner/deb-in-root.sh. Without root these four
# skip, saying so. Each run starts from a new copy
# in BUILD/deb-root, removed at the end; the .debs apt downloads stay in
# CACHE/fresh-apt-archives, as check-fresh's do.
#
# Ends with "N passed, N failed, N skipped" (tests/runner/results.awk).
#
# Usage: tests/runner/check-deb.sh [BUILD_DIR]

set -u -o pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath -m "${1:-$TOP/build}")
PACKAGES="libmmio-shm1 libmmio-shm-dev mmio-shm mmio-shm-dkms"
INSTALL_CASES="installs_in_a_chroot files_where_they_belong dkms_built_the_module
	pkg_config_program_runs purge_leaves_nothing"
LOG=$BUILD/check-deb.log
ROOT=$BUILD/deb-root
cd "$TOP" || exit 1
mkdir -p "$BUILD"
# shellcheck source=tests/provision/cache.sh
. tests/provision/cache.sh
# shellcheck source=tests/provision/apt-suite.sh
. tests/provision/apt-suite.sh
# shellcheck source=tests/provision/fresh-base.sh
. tests/provision/fresh-base.sh
CACHE=$(mmio_shm_cache_dir)

# shellcheck source=tests/runner/result.sh
. "$TOP/tests/runner/result.sh"

# skip_rest REASON NAME...: those cases skip, saying why
skip_rest() {
	local reason=$1 c

	shift
	for c in "$@"; do
		n=$((n + 1))
		echo "ok $n $c # SKIP $reason"
	done
}

lint() {
	lintian -i -I -E --pedantic --fail-on error,warning "$@" 2>&1 |
		grep -v '^running with root privileges is not recommended!$'
	return "${PIPESTATUS[0]}"
}

# in_root SCRIPT: SCRIPT run by sh in the chroot, with /proc, /sys, /dev
# and the .deb cache mounted in a mount namespace that ends with it
in_root() {
	# shellcheck disable=SC2016
	unshare --mount --propagation private sh -c '
		r=$1
		mount -t proc proc "$r/proc" &&
		mount -t sysfs sysfs "$r/sys" &&
		mount --rbind /dev "$r/dev" &&
		mount --bind "$2" "$r/var/cache/apt/archives" || exit 1
		exec chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive sh -c "$3"' \
		sh "$ROOT" "$CACHE/fresh-apt-archives" "$1" 2>&1
}

package_cases() {
	local version=$1 arch out rc p f copy

	arch=$(dpkg-architecture -q DEB_HOST_ARCH)
	out=$(tests/runner/deb.sh "$BUILD" 2>&1)
	rc=$?
	for p in $PACKAGES; do
		[ "$p" = mmio-shm-dkms ] && f=${p}_${version}_all.deb || f=${p}_${version}_$arch.deb
		[ -f "$BUILD/$f" ] || { out+=$'\n'"no $BUILD/$f"; rc=1; }
	done
	result builds "$rc" "$out"

	# the check in debian/rules, seen red: a copy of debian/ beside a
	# dkms.conf that names the next release
	copy=$BUILD/deb-mismatch/mmio-shm
	rm -rf "$BUILD/deb-mismatch"
	mkdir -p "$copy"
	out=$(cp -a debian dkms.conf "$copy"/ &&
		sed -i 's/^PACKAGE_VERSION="\(.*\)"/PACKAGE_VERSION="\1.1"/' "$copy/dkms.conf" &&
		cd "$copy" && debian/rules execute_before_dh_auto_configure 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && grep -q "dkms.conf's PACKAGE_VERSION is" <<<"$out"; then
		rc=0
	else
		out="debian/rules accepted dkms.conf one release on (status $rc):"$'\n'"$out"
		rc=1
	fi
	rm -rf "$BUILD/deb-mismatch"
	result rules_refuse_version_mismatch "$rc" "$out"

	for p in $PACKAGES; do
		f=$(printf '%s\n' "$BUILD/${p}_${version}"_*.deb | head -n 1)
		if [ ! -f "$f" ]; then
			result "lintian_$p" 1 "no ${p}_${version}_*.deb in $BUILD"
			continue
		fi
		out=$(lint "$f")
		result "lintian_$p" $? "$out"
	done
	f=$BUILD/mmio-shm_${version}_$arch.changes
	if [ -f "$f" ]; then
		out=$(lint "$f")
		result lintian_changes $? "$out"
	else
		result lintian_changes 1 "no $f"
	fi
}

install_cases() {
	local version=$1 rel=${1%-*} ma out rc p f deps debs=""

	if [ "$(id -u)" -ne 0 ]; then
		# shellcheck disable=SC2086
		skip_rest "needs root (a chroot and its mounts)" $INSTALL_CASES
		return
	fi
	ma=$(dpkg-architecture -q DEB_HOST_MULTIARCH)
	for p in $PACKAGES; do
		f=$(printf '%s\n' "$BUILD/${p}_${version}"_*.deb | head -n 1)
		debs+=" /tmp/debs/${f##*/}"
	done
	# what the four depend on, but for each other: installed first, so
	# that the tree's list of files before them is what purge must leave
	deps=$(for f in $debs; do dpkg-deb -f "$BUILD/${f##*/}" Depends; done |
		tr ',' '\n' | sed 's/^ *//' | grep -vE "^($(tr ' ' '|' <<<"$PACKAGES"))( |$)" |
		paste -sd, -)
	if [ -n "$(mounts_under "$ROOT")" ]; then
		out="$ROOT has mounts left (umount them first)"
		rc=1
	else
		out=$(fresh_base "$CACHE" 2>&1 && rm -rf "$ROOT" &&
			cp -a "$CACHE/fresh-bookworm" "$ROOT" &&
			cp /etc/resolv.conf "$ROOT/etc/resolv.conf" &&
			mkdir -p "$ROOT/tmp/debs" &&
			cp tests/runner/deb-in-root.sh "$ROOT/tmp/" &&
			cp "$BUILD"/*_"$version"_*.deb "$ROOT/tmp/debs/" &&
			in_root "apt-get -q update &&
				apt-get -q -y satisfy --no-install-recommends \
					'$deps, pkg-config, libc6-dev, linux-headers-amd64' &&
				sh /tmp/deb-in-root.sh snapshot /tmp/before &&
				apt-get -q -y install --no-install-recommends $debs")
		rc=$?
	fi
	result installs_in_a_chroot "$rc" "$(tail -n 30 <<<"$out")"
	if [ "$rc" -ne 0 ]; then
		# shellcheck disable=SC2086
		set -- $INSTALL_CASES
		shift
		skip_rest "the packages did not install" "$@"
		[ -n "$(mounts_under "$ROOT")" ] || rm -rf "$ROOT"
		return
	fi

	out=$(in_root "sh /tmp/deb-in-root.sh files $rel $ma")
	rc=$?
	[ -z "$out" ] || rc=1
	result files_where_they_belong "$rc" "$out"

	cat >"$ROOT/tmp/app.c" <<-'APP'
	#include <libmmio_shm.h>
	#include <stdio.h>
	#include <string.h>

	int main(int argc, char **argv)
	{
		struct mmio_shm *shm;
		void *buf;
		size_t len;
		int ret = mmio_shm_open(argc > 1 ? argv[1] : NULL, MMIO_SHM_OPEN_RDWR, &shm);

		if (ret < 0) {
			fprintf(stderr, "mmio_shm_open: %s\n", strerror(-ret));
			return 1;
		}
		ret = mmio_shm_map(shm, MMIO_SHM_PROT_READ | MMIO_SHM_PROT_WRITE, &buf, &len);
		if (!ret)
			strcpy(buf, "from the package");
		mmio_shm_close(shm);
		return ret < 0;
	}
	APP
	out=$(in_root "sh /tmp/deb-in-root.sh module $rel")
	rc=$?
	[ -z "$out" ] || rc=1
	result dkms_built_the_module "$rc" "$out"

	out=$(in_root "sh /tmp/deb-in-root.sh program")
	rc=$?
	[ -z "$out" ] || rc=1
	result pkg_config_program_runs "$rc" "$out"

	out=$(in_root "sh /tmp/deb-in-root.sh purge $rel /tmp/before $PACKAGES")
	rc=$?
	[ -z "$out" ] || rc=1
	result purge_leaves_nothing "$rc" "$out"

	[ -n "$(mounts_under "$ROOT")" ] || rm -rf "$ROOT"
}

tap() {
	local version

	version=$(dpkg-parsechangelog -S Version)
	echo "TAP version 13"
	# shellcheck disable=SC2086
	echo "1..$((3 + $(wc -w <<<"$PACKAGES $INSTALL_CASES")))"
	package_cases "$version"
	install_cases "$version"
}

tap | tee "$LOG"
awk -f tests/runner/results.awk "$LOG"
