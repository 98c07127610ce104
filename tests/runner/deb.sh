#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make deb`: the Debian packages (debian/), built with
# `dpkg-buildpackage -us -uc -b` from a copy of the checkout under
# BUILD/deb/ (its files as git sees them: committed, changed or new, not
# ignored), so that nothing is written beside the checkout. The .debs,
# the .changes and the .buildinfo end in BUILD, those of an earlier run
# removed first (`apt install ./build/*.deb` then takes these four);
# dpkg-buildpackage's output goes to BUILD/deb/build.log.
#
# Usage: tests/runner/deb.sh [BUILD_DIR]

set -u -o pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath -m "${1:-$TOP/build}")
cd "$TOP" || exit 1

version=$(dpkg-parsechangelog -S Version) || exit 1
SRC=$BUILD/deb/mmio-shm-${version%-*}
LOG=$BUILD/deb/build.log

rm -rf "$BUILD/deb"
mkdir -p "$SRC" || exit 1
git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
	tar -c --null -T - | tar -x -C "$SRC" || exit 1

echo "deb: dpkg-buildpackage -us -uc -b in $SRC (output: $LOG)"
# noddebs: no -dbgsym packages beside the four (apt install ./build/*.deb)
if ! (cd "$SRC" && DEB_BUILD_OPTIONS="noddebs ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b) >"$LOG" 2>&1; then
	echo "deb: dpkg-buildpackage failed; the end of $LOG:" >&2
	tail -n 25 "$LOG" | sed 's/^/  /' >&2
	exit 1
fi

# the previous run's results, then this one's, into BUILD
rm -f "$BUILD"/libmmio-shm1_*.deb "$BUILD"/libmmio-shm-dev_*.deb \
	"$BUILD"/mmio-shm_*.deb "$BUILD"/mmio-shm-dkms_*.deb \
	"$BUILD"/mmio-shm_*.changes "$BUILD"/mmio-shm_*.buildinfo
mv "$BUILD"/deb/*.deb "$BUILD"/deb/*.changes "$BUILD"/deb/*.buildinfo "$BUILD"/ || exit 1
for f in "$BUILD"/*_"$version"_*.deb; do
	echo "deb: $f"
done
