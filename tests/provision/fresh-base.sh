# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Sourced by tests/runner/check-fresh.sh and tests/runner/check-deb.sh
# (after cache.sh and apt-suite.sh): a minimal Debian bookworm
# (debootstrap --variant=minbase) with only make added, kept in the
# machine's cache as CACHE/fresh-bookworm, made once, its key .made
# written last, so an interrupted fill is redone, never used. No service
# starts in it (policy-rc.d); it installs no recommends, as deps.sh.
# CACHE/fresh-apt-archives keeps the .debs the copies of it download.
#
#   fresh_base CACHE   makes CACHE/fresh-bookworm unless it is whole;
#                      prints what it does; returns 1, saying why, when it
#                      cannot (needs root and debootstrap)

# mounts left under a directory: rm -rf must never walk into them
mounts_under() {
	awk -v r="$1/" 'index($2, r) == 1 { print $2 }' /proc/mounts
}

fresh_base() {
	fb_base=$1/fresh-bookworm
	fb_log=$1/fresh-debootstrap.log

	[ "$(id -u)" -eq 0 ] || { echo "fresh-base: needs root (debootstrap, chroot)" >&2; return 1; }
	command -v debootstrap >/dev/null ||
		{ echo "fresh-base: no debootstrap: run tests/provision/deps.sh" >&2; return 1; }
	mkdir -p "$1" "$1/fresh-apt-archives/partial" || return 1
	exec 9>"$1/.lock-fresh"
	flock 9
	if [ ! -f "$fb_base/.made" ]; then
		fb_mirror=$(debian_mirror)
		if [ -z "$fb_mirror" ]; then
			echo "fresh-base: no Debian source in /etc/apt: set DEBIAN_MIRROR" >&2
			flock -u 9
			return 1
		fi
		if [ -n "$(mounts_under "$fb_base.new")" ]; then
			echo "fresh-base: $fb_base.new has mounts left" >&2
			flock -u 9
			return 1
		fi
		rm -rf "$fb_base.new" "$fb_base"
		fb_t0=$(date +%s)
		echo "fresh-base: debootstrap --variant=minbase bookworm into $fb_base"
		if ! unshare --mount --propagation private \
			debootstrap --variant=minbase bookworm "$fb_base.new" "$fb_mirror" \
			>"$fb_log" 2>&1; then
			tail -n 20 "$fb_log" >&2
			echo "fresh-base: debootstrap failed" >&2
			flock -u 9
			return 1
		fi
		printf '#!/bin/sh\nexit 101\n' >"$fb_base.new/usr/sbin/policy-rc.d"
		chmod 755 "$fb_base.new/usr/sbin/policy-rc.d"
		cp /etc/resolv.conf "$fb_base.new/etc/resolv.conf"
		if ! chroot "$fb_base.new" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive sh -c \
			'apt-get -q update && apt-get -q -y install --no-install-recommends make &&
			 apt-get -q clean' >>"$fb_log" 2>&1; then
			tail -n 20 "$fb_log" >&2
			echo "fresh-base: installing make failed" >&2
			flock -u 9
			return 1
		fi
		touch "$fb_base.new/.made"
		mv "$fb_base.new" "$fb_base"
		echo "fresh-base: base made in $(($(date +%s) - fb_t0)) s" \
			"($(du -sm "$fb_base" | cut -f1) MiB)"
	fi
	flock -u 9
}
