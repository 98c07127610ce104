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
# (dkms brings the compiler; pkg-config, libc6-dev); no kernel headers,
# so DKMS builds nothing (issue 24's boot test is where it does):
#
#   installs_in_a_chroot         apt-get install ./*.deb pkg-config libc6-dev
#   files_where_they_belong      /usr/src/mmio_shm-RELEASE/ (dkms.conf with
#                                AUTOINSTALL, Kbuild, Makefile, kernel/),
#                                the udev rule in /usr/lib/udev/rules.d,
#                                the sysusers file, the library, headers,
#                                .pc, tool and man pages 1, 3, 4, 7; the
#                                group mmio_shm; dkms status lists it
#   pkg_config_program_runs      a program built with `cc app.c
#                                $(pkg-config --cflags --libs libmmio_shm)`
#                                needs libmmio_shm.so.1, writes into a file
#                                standing in for the device, and the
#                                installed mmio-shm reads it back
#   purge_leaves_nothing         apt-get purge: no file of the four left,
#                                nor /usr/src/mmio_shm-*, /var/lib/dkms's
#                                entry or a package in state rc (the group
#                                stays, as Debian leaves system groups)
#
# Without root these four skip, saying so. Each run starts from a new copy
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
INSTALL_CASES="installs_in_a_chroot files_where_they_belong pkg_config_program_runs
	purge_leaves_nothing"
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

n=0
# result NAME STATUS OUTPUT
result() {
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		echo "ok $n $1"
	else
		printf '%s\n' "$3" | sed 's/^/# /'
		echo "not ok $n $1"
	fi
}

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
		f=$(ls "$BUILD/${p}_${version}"_*.deb 2>/dev/null | head -n 1)
		if [ -z "$f" ]; then
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
	local version=$1 rel=${1%-*} ma out rc p f debs=""

	if [ "$(id -u)" -ne 0 ]; then
		# shellcheck disable=SC2086
		skip_rest "needs root (a chroot and its mounts)" $INSTALL_CASES
		return
	fi
	ma=$(dpkg-architecture -q DEB_HOST_MULTIARCH)
	for p in $PACKAGES; do
		f=$(ls "$BUILD/${p}_${version}"_*.deb 2>/dev/null | head -n 1)
		debs+=" /tmp/debs/${f##*/}"
	done
	if [ -n "$(mounts_under "$ROOT")" ]; then
		out="$ROOT has mounts left (umount them first)"
		rc=1
	else
		out=$(fresh_base "$CACHE" 2>&1 && rm -rf "$ROOT" &&
			cp -a "$CACHE/fresh-bookworm" "$ROOT" &&
			cp /etc/resolv.conf "$ROOT/etc/resolv.conf" &&
			mkdir -p "$ROOT/tmp/debs" &&
			cp "$BUILD"/*_"$version"_*.deb "$ROOT/tmp/debs/" &&
			in_root "apt-get -q update && apt-get -q -y install \
				--no-install-recommends $debs pkg-config libc6-dev")
		rc=$?
	fi
	result installs_in_a_chroot "$rc" "$(tail -n 30 <<<"$out")"
	if [ "$rc" -ne 0 ]; then
		# shellcheck disable=SC2086
		skip_rest "the packages did not install" $(cut -d' ' -f2- <<<$INSTALL_CASES)
		return
	fi

	out=$(in_root "
		for f in /usr/src/mmio_shm-$rel/dkms.conf /usr/src/mmio_shm-$rel/Kbuild \
			 /usr/src/mmio_shm-$rel/Makefile /usr/src/mmio_shm-$rel/kernel/main.c \
			 /usr/src/mmio_shm-$rel/kernel/uapi/linux/mmio_shm.h \
			 /usr/lib/udev/rules.d/70-mmio_shm.rules /usr/lib/sysusers.d/mmio_shm.conf \
			 /usr/lib/$ma/libmmio_shm.so.1 /usr/lib/$ma/libmmio_shm.so \
			 /usr/lib/$ma/libmmio_shm.a /usr/lib/$ma/pkgconfig/libmmio_shm.pc \
			 /usr/include/libmmio_shm.h /usr/include/libmmio_shm/mmio_shm.h \
			 /usr/bin/mmio-shm /usr/share/man/man1/mmio-shm.1.gz \
			 /usr/share/man/man3/mmio_shm_open.3.gz /usr/share/man/man4/mmio_shm.4.gz \
			 /usr/share/man/man7/mmio_shm_ring.7.gz; do
			[ -e \$f ] || echo \"not installed: \$f\"
		done
		dpkg -L mmio-shm-dkms | grep -qx /usr/lib/udev/rules.d/70-mmio_shm.rules ||
			echo 'the package puts the udev rule elsewhere than /usr/lib/udev/rules.d'
		grep -qx 'AUTOINSTALL=\"yes\"' /usr/src/mmio_shm-$rel/dkms.conf ||
			echo 'no AUTOINSTALL=\"yes\" in the installed dkms.conf'
		getent group mmio_shm >/dev/null || echo 'no group mmio_shm'
		dkms status mmio_shm/$rel | grep -q . || echo 'dkms status does not list mmio_shm/$rel'")
	result files_where_they_belong "$([ -z "$out" ]; echo $?)" "$out"

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
	# shellcheck disable=SC2016
	out=$(in_root '
		cd /tmp && cc app.c $(pkg-config --cflags --libs libmmio_shm) -o app || exit 1
		readelf -d app | grep -q "NEEDED.*\[libmmio_shm\.so\.1\]" ||
			{ echo "app does not need libmmio_shm.so.1"; exit 1; }
		truncate -s 8K shm.bin && ./app /tmp/shm.bin || exit 1
		mmio-shm -d /tmp/shm.bin dump | head -n 1 | grep -F "|from the package" ||
			{ echo "mmio-shm does not read back what app wrote"; exit 1; }')
	result pkg_config_program_runs $? "$out"

	out=$(in_root "
		dpkg -L $PACKAGES >/tmp/files || exit 1
		apt-get -q -y purge $PACKAGES >/tmp/purge.log 2>&1 || { cat /tmp/purge.log; exit 1; }
		while read -r f; do
			[ -d \"\$f\" ] || [ ! -e \"\$f\" ] || echo \"left: \$f\"
		done </tmp/files
		for d in /usr/src/mmio_shm-$rel /var/lib/dkms/mmio_shm /usr/include/libmmio_shm; do
			[ ! -e \$d ] || echo \"left: \$d\"
		done
		dpkg -l $PACKAGES 2>/dev/null |
			awk '/^[a-z][a-z] / { print \"still known to dpkg: \" \$1, \$2 }'")
	result purge_leaves_nothing "$([ -z "$out" ]; echo $?)" "$out"

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
