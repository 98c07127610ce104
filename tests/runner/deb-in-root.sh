#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The half of make check-deb's install cases that runs inside the chroot
# (tests/runner/check-deb.sh copies it to /tmp and runs it there, where
# apt installed the packages and what they need). Each step prints what
# is wrong, one line each, and nothing when all is well; a step that
# cannot run at all exits 1.
#
#   deb-in-root.sh snapshot FILE        the tree's files into FILE (not
#                                       apt's and dpkg's records, logs,
#                                       caches, /tmp, nor the *- backups
#                                       of /etc/passwd, /etc/group...)
#   deb-in-root.sh files RELEASE MULTIARCH
#                                       the packages' files where issue 24
#                                       says, the group, DKMS's entry
#   deb-in-root.sh module RELEASE       DKMS built and installed mmio_shm.ko
#                                       for each kernel whose headers are
#                                       here, with its vermagic
#   deb-in-root.sh program              /tmp/app.c built with pkg-config,
#                                       linked to libmmio_shm.so.1, run on
#                                       a file the tool then reads
#   deb-in-root.sh purge RELEASE BEFORE PACKAGE...
#                                       apt-get purge, then what is left:
#                                       the packages' files, their
#                                       directories, files BEFORE lacks
#                                       (but depmod's indexes), a module

set -u

snapshot() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run \
		-o -path /tmp -o -path /var/cache -o -path /var/lib/apt \
		-o -path /var/lib/dpkg -o -path /var/log \) -prune \
		-o ! -name '*-' -print | sort >"$1"
}

files() {
	src=/usr/src/mmio_shm-$1
	lib=/usr/lib/$2
	for f in "$src/dkms.conf" "$src/Kbuild" "$src/Makefile" "$src/kernel/main.c" \
		"$src/kernel/uapi/linux/mmio_shm.h" \
		/usr/lib/udev/rules.d/70-mmio_shm.rules /usr/lib/sysusers.d/mmio_shm.conf \
		"$lib/libmmio_shm.so.1" "$lib/libmmio_shm.so" "$lib/libmmio_shm.a" \
		"$lib/pkgconfig/libmmio_shm.pc" \
		/usr/include/libmmio_shm.h /usr/include/libmmio_shm/mmio_shm.h \
		/usr/bin/mmio-shm /usr/share/man/man1/mmio-shm.1.gz \
		/usr/share/man/man3/mmio_shm_open.3.gz /usr/share/man/man4/mmio_shm.4.gz \
		/usr/share/man/man7/mmio_shm_ring.7.gz; do
		[ -e "$f" ] || echo "not installed: $f"
	done
	dpkg -L mmio-shm-dkms | grep -qx /usr/lib/udev/rules.d/70-mmio_shm.rules ||
		echo "the package puts the udev rule elsewhere than /usr/lib/udev/rules.d"
	grep -qx 'AUTOINSTALL="yes"' "$src/dkms.conf" ||
		echo "no AUTOINSTALL=\"yes\" in the installed dkms.conf"
	getent group mmio_shm >/dev/null || echo "no group mmio_shm"
	dkms status "mmio_shm/$1" | grep -q . || echo "dkms status does not list mmio_shm/$1"
}

module() {
	n=0
	for build in /lib/modules/*/build; do
		[ -e "$build/Makefile" ] || continue
		kver=${build#/lib/modules/}
		kver=${kver%/build}
		n=$((n + 1))
		ko=/lib/modules/$kver/updates/dkms/mmio_shm.ko
		if [ ! -e "$ko" ]; then
			echo "no $ko; dkms status: $(dkms status mmio_shm)"
			tail -n 20 /var/lib/dkms/mmio_shm/"$1"/build/make.log 2>/dev/null
			continue
		fi
		v=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
		[ "$v" = "$kver" ] || echo "$ko: vermagic $v, not $kver"
		v=$(modinfo -F version "$ko")
		[ "$v" = "$1" ] || echo "$ko: version $v, not $1"
	done
	[ "$n" -gt 0 ] || echo "no kernel headers in /lib/modules/*/build"
}

program() {
	cd /tmp || exit 1
	# shellcheck disable=SC2046
	cc app.c $(pkg-config --cflags --libs libmmio_shm) -o app || exit 1
	readelf -d app | grep -q 'NEEDED.*\[libmmio_shm\.so\.1\]' ||
		echo "app does not need libmmio_shm.so.1"
	truncate -s 8K shm.bin || exit 1
	./app /tmp/shm.bin || { echo "app failed on a file standing in for the device"; exit 1; }
	mmio-shm -d /tmp/shm.bin dump | head -n 1 | grep -qF '|from the package' ||
		echo "mmio-shm does not read back what app wrote"
}

purge() {
	rel=$1
	before=$2
	shift 2
	dpkg -L "$@" >/tmp/files || exit 1
	apt-get -q -y purge "$@" >/tmp/purge.log 2>&1 || { cat /tmp/purge.log; exit 1; }
	while read -r f; do
		[ -d "$f" ] || [ ! -e "$f" ] || echo "left: $f"
	done </tmp/files
	for d in "/usr/src/mmio_shm-$rel" /var/lib/dkms/mmio_shm /usr/include/libmmio_shm; do
		[ ! -e "$d" ] || echo "left: $d"
	done
	snapshot /tmp/after
	# depmod's indexes stay: a kernel's own, made when DKMS installed the
	# module into a kernel whose image (which would have made them) is
	# not here; the module itself must not
	diff "$before" /tmp/after | sed -n 's/^> /left: /p' |
		grep -vE '^left: /usr/lib/modules/[^/]+/modules\.[a-z.]+$'
	find /lib/modules -name 'mmio_shm.ko*' | sed 's/^/left: /'
	dpkg -l "$@" 2>/dev/null | awk '/^[a-z][a-z] / { print "still known to dpkg: " $1, $2 }'
}

step=$1
shift
case $step in
snapshot) snapshot "$@" ;;
files) files "$@" ;;
module) module "$@" ;;
program) program "$@" ;;
purge) purge "$@" ;;
*) echo "deb-in-root: unknown step $step" >&2; exit 2 ;;
esac
