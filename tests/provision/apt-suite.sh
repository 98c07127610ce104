# SPDX-License-Identifier: GPL-2.0
#
# Sourced by tests/provision/deps.sh and tests/provision/kernels.sh: a
# private apt configuration for one extra Debian suite (trixie, bookworm-backports,
# bullseye) under $BUILD/apt/SUITE, so the system's apt sources are never
# touched. Needs $BUILD and $MIRROR.
#
# apt_suite SUITE sets $opts to the apt options that select the suite and
# $apt_dir to its directory; it runs `apt-get update` the first time, and
# again when KERNELS_REFRESH is set.

apt_suite() {
	apt_dir=$(realpath -m "$BUILD/apt/$1")
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $1 main" \
		>"$apt_dir/sources.list"
	# the suite's Release file may be past its Valid-Until (bullseye);
	# running as root keeps apt from handing downloads to _apt, which
	# cannot write into the build directory
	opts="-o Dir::Etc::SourceList=$apt_dir/sources.list \
-o Dir::Etc::SourceParts=/nonexistent \
-o Dir::State::Lists=$apt_dir/lists \
-o Dir::Cache::Archives=$apt_dir/archives \
-o Acquire::Check-Valid-Until=false \
-o APT::Sandbox::User=root"
	if [ ! -e "$apt_dir/lists/.updated" ] || [ -n "${KERNELS_REFRESH:-}" ]; then
		# shellcheck disable=SC2086
		if ! apt-get $opts -q update >&2; then
			echo "apt-suite: apt-get update of $1 from $MIRROR failed" >&2
			return 1
		fi
		touch "$apt_dir/lists/.updated"
	fi
}
