#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A Debian unstable (sid) chroot to build the module for the newest 7.x
# kernel. sid's kbuild tools need a newer glibc than this system's and its
# headers want gcc-16, so the module for 7.x is built inside the chroot.
#
#   setup CACHE_DIR   create (once) a minbase sid chroot in CACHE_DIR/sid
#                     (kernels.sh passes the machine's cache: cache.sh)
#                     with make and the newest linux-headers-7.*-amd64, and
#                     unpack that kernel's linux-binary package (its vmlinuz
#                     is ROOT/usr/lib/modules/ABI-amd64/vmlinuz) and
#                     linux-modules package (vng loads virtio, 9p and
#                     overlayfs from it in the guest). Prints
#                     ROOT=... and ABI=... for the caller to eval; everything
#                     else goes to stderr. Later runs use the cache without
#                     the network; KERNELS_REFRESH=1 installs a newer ABI
#                     when sid has one.
#   run ROOT CMD...   run CMD in the chroot with /proc mounted (objtool
#                     reads it). The mount lives in a private mount
#                     namespace, so it goes away with CMD, even if CMD is
#                     killed, and the host never sees it.
#
# The mirror is the system's own Debian source (the URIs: of
# /etc/apt/sources.list.d/debian.sources, or the first deb line of
# /etc/apt/sources.list) unless DEBIAN_MIRROR is set.

set -eu

die() {
	echo "sid-chroot: $*" >&2
	exit 1
}

# debian_mirror: the system's own Debian archive, shared with apt-suite.sh
. "$(dirname "$0")/apt-suite.sh"

# mounts left under the chroot (by hand): rm -rf must never walk into them
mounts_under() {
	awk -v r="$1/" 'index($2, r) == 1 { print $2 }' /proc/mounts
}

# in_chroot ROOT CMD...: run CMD in the chroot, with a clean environment
# and /proc mounted in a private mount namespace
in_chroot() {
	r=$1
	shift
	# shellcheck disable=SC2016
	unshare --mount --propagation private sh -c '
		root=$1
		shift
		mount -t proc proc "$root/proc" || exit 1
		chroot "$root" "$@"
		rc=$?
		umount "$root/proc"
		exit $rc' sh "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

setup() {
	build=$(realpath -m "$1")
	root=$build/sid
	mkdir -p "$build"
	# one setup at a time: others wait, then find the cache
	exec 9>"$build/.lock-sid"
	flock 9

	if [ ! -f "$root/.debootstrap-done" ]; then
		[ -z "$(mounts_under "$root")" ] ||
			die "$root has mounts left (umount them first): $(mounts_under "$root")"
		command -v debootstrap >/dev/null 2>&1 ||
			die "no debootstrap: run tests/provision/deps.sh"
		mirror=$(debian_mirror)
		[ -n "$mirror" ] || die "no Debian source in /etc/apt: set DEBIAN_MIRROR"
		echo "sid-chroot: debootstrap sid from $mirror into $root" >&2
		rm -rf "$root"
		t0=$(date +%s)
		# its /proc and /sys mounts stay private to it, even if it dies
		unshare --mount --propagation private \
			debootstrap --variant=minbase sid "$root" "$mirror" \
			>"$build/sid-debootstrap.log" 2>&1 ||
			{ tail -n 20 "$build/sid-debootstrap.log" >&2; die "debootstrap failed"; }
		# sid's Release file may be past its Valid-Until; no recommends
		cat >"$root/etc/apt/apt.conf.d/90mmio-shm" <<-EOF
		Acquire::Check-Valid-Until "false";
		APT::Install-Recommends "false";
		EOF
		touch "$root/.debootstrap-done"
		echo "sid-chroot: debootstrap took $(($(date +%s) - t0)) s" >&2
	fi

	if [ -f "$root/.abi" ] && [ -z "${KERNELS_REFRESH:-}" ] &&
	   [ -s "$root/usr/lib/modules/$(cat "$root/.abi")-amd64/modules.dep" ]; then
		echo "ROOT=$root"
		echo "ABI=$(cat "$root/.abi")"
		return
	fi

	t0=$(date +%s)
	# the newest 7.x headers: install them and make, unpack the image
	# (only its vmlinuz is used, so no postinst, initramfs or depmod)
	# shellcheck disable=SC2016
	in_chroot "$root" sh -euc '
		apt-get -q update >&2
		abi=$(apt-cache pkgnames linux-headers-7. |
			sed -nE "s/^linux-headers-(7\.[0-9]+\.[0-9]+[^-]*)-amd64\$/\1/p" |
			sort -V | tail -n 1)
		[ -n "$abi" ] || { echo "sid-chroot: no linux-headers-7.*-amd64 in sid" >&2; exit 1; }
		apt-get -q -y install make "linux-headers-$abi-amd64" >&2
		cd /tmp
		rm -f linux-binary-*.deb linux-modules-*.deb
		apt-get -q download "linux-binary-$abi-amd64" \
			"linux-modules-$abi-amd64" >&2
		dpkg -x linux-binary-*.deb /
		dpkg -x linux-modules-*.deb /
		rm -f linux-binary-*.deb linux-modules-*.deb
		apt-get -q clean
		echo "$abi" >/.abi.new' >"$build/sid-install.log" 2>&1 ||
		{ tail -n 20 "$build/sid-install.log" >&2; die "installing the 7.x headers failed"; }
	abi=$(cat "$root/.abi.new")
	[ -f "$root/usr/lib/modules/$abi-amd64/vmlinuz" ] ||
		die "linux-binary-$abi-amd64 has no usr/lib/modules/$abi-amd64/vmlinuz"
	# the packages ship no modules.dep (installing them runs depmod);
	# vng finds the guest's virtio and 9p modules through it
	depmod -b "$root" "$abi-amd64" ||
		die "depmod of $root/usr/lib/modules/$abi-amd64 failed"
	mv "$root/.abi.new" "$root/.abi"
	echo "sid-chroot: Linux $abi headers installed in $(($(date +%s) - t0)) s" >&2
	echo "ROOT=$root"
	echo "ABI=$abi"
}

case "${1:-}" in
setup)
	[ $# -eq 2 ] || die "usage: $0 setup CACHE_DIR"
	setup "$2"
	;;
run)
	[ $# -ge 3 ] || die "usage: $0 run ROOT CMD..."
	root=$2
	shift 2
	[ -f "$root/.abi" ] || die "$root: not a chroot made by $0 setup"
	in_chroot "$root" "$@"
	;;
*)
	die "usage: $0 setup CACHE_DIR | run ROOT CMD..."
	;;
esac
