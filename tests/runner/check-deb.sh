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
#                                one patch release on)
#   lintian_PACKAGE              lintian -i -I -E --pedantic --fail-on
#                                error,warning on each .deb: no error or
#                                warning; each info or pedantic tag is fixed
#                                or overridden in debian/PACKAGE.lintian-
#                                overrides with its reason
#   lintian_changes              the same on the .changes, with the
#                                .buildinfo it names
#
# Ends with "N passed, N failed, N skipped" (tests/runner/results.awk).
#
# Usage: tests/runner/check-deb.sh [BUILD_DIR]

set -u -o pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath -m "${1:-$TOP/build}")
PACKAGES="libmmio-shm1 libmmio-shm-dev mmio-shm mmio-shm-dkms"
LOG=$BUILD/check-deb.log
cd "$TOP" || exit 1
mkdir -p "$BUILD"

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

lint() {
	lintian -i -I -E --pedantic --fail-on error,warning "$@" 2>&1 |
		grep -v '^running with root privileges is not recommended!$'
	return "${PIPESTATUS[0]}"
}

tap() {
	local version arch out rc p f copy

	echo "TAP version 13"
	echo "1..$((3 + $(wc -w <<<"$PACKAGES")))"

	version=$(dpkg-parsechangelog -S Version)
	arch=$(dpkg-architecture -q DEB_HOST_ARCH)
	out=$(tests/runner/deb.sh "$BUILD" 2>&1)
	rc=$?
	for p in $PACKAGES; do
		[ "$p" = mmio-shm-dkms ] && f=${p}_${version}_all.deb || f=${p}_${version}_$arch.deb
		[ -f "$BUILD/$f" ] || { out+=$'\n'"no $BUILD/$f"; rc=1; }
	done
	result builds "$rc" "$out"

	# the check in debian/rules, seen red: a copy of the tree whose
	# dkms.conf names the next patch release
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

tap | tee "$LOG"
awk -f tests/runner/results.awk "$LOG"
