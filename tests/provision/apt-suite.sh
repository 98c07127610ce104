# SPDX-License-Identifier: GPL-2.0
#
# Sourced by tests/provision/deps.sh and tests/provision/kernels.sh: where
# the system's Debian packages come from, and a private apt configuration
# for one extra Debian suite (trixie, bookworm-backports, bullseye) under
# $BUILD/apt/SUITE, so the system's apt sources are never touched.
#
# debian_mirror prints the archive the system installs from. apt_suite
# SUITE (with $BUILD set) sets $MIRROR to that archive, $opts to the apt
# options that select the suite and $apt_dir to its directory; it runs
# `apt-get update` the first time, and again when KERNELS_REFRESH is set.

# The archive of the system's own Debian source: DEBIAN_MIRROR when set,
# else the first URIs: of the deb822 stanza in /etc/apt/sources.list.d/
# whose Suites: name this release (bookworm), else the URI of the deb line
# for it in /etc/apt/sources.list. No archive host is written down here:
# a machine behind its own mirror or proxy keeps using it.
debian_mirror() {
	if [ -n "${DEBIAN_MIRROR:-}" ]; then
		echo "$DEBIAN_MIRROR"
		return
	fi
	release=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
	[ -n "$release" ] || release=$(sed -n 's|/.*||p' /etc/debian_version 2>/dev/null)
	found=$(
		# deb822: blank-line separated stanzas of "Key: value" lines
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -r "$f" ] && cat "$f" && echo
		done | awk -v rel="$release" '
			BEGIN { RS = ""; FS = "\n" }
			{
				types = uris = suites = ""; enabled = "yes"
				for (i = 1; i <= NF; i++) {
					line = $i
					if (line ~ /^[ \t]*#/) continue
					key = tolower(line); sub(/:.*/, "", key)
					val = line; sub(/^[^:]*:[ \t]*/, "", val)
					if (key == "types") types = val
					else if (key == "uris") uris = val
					else if (key == "suites") suites = val
					else if (key == "enabled") enabled = tolower(val)
				}
				if (enabled == "no" || (" " types " ") !~ / deb /) next
				if ((" " suites " ") !~ (" " rel " ")) next
				split(uris, u, /[ \t]+/)
				print u[1]
				exit
			}'
	)
	if [ -z "$found" ] && [ -r /etc/apt/sources.list ]; then
		# deb [options] URI SUITE COMPONENT...
		found=$(awk -v rel="$release" '
			$1 != "deb" { next }
			{
				i = 2
				if ($i ~ /^\[/) while ($i !~ /\]$/ && i < NF) i++
				if ($i ~ /^\[/ || $i ~ /\]$/) i++
				if ($(i + 1) == rel) { print $i; exit }
			}' /etc/apt/sources.list)
	fi
	echo "${found%/}"
}

apt_suite() {
	[ -n "${MIRROR:-}" ] || MIRROR=$(debian_mirror)
	if [ -z "$MIRROR" ]; then
		echo "apt-suite: no Debian source for '$release' in" \
			"/etc/apt/sources.list.d/*.sources or /etc/apt/sources.list:" \
			"set DEBIAN_MIRROR" >&2
		return 1
	fi
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
