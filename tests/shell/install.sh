#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: host
#
# Description: the top-level `make install DESTDIR=...` puts the whole
# project in place (the module under lib/modules/<release>/, udev rules,
# sysusers file, modprobe.d/modules-load.d examples, and through user/ the
# library, headers, pkg-config file, man pages and tool), with PREFIX=/usr
# and with the default /usr/local; INSTALL_MODULE=no (for DKMS users)
# installs all but the module; in a staging DESTDIR it runs no depmod;
# `make uninstall` then leaves no file behind.
#
# The build runs on a copy of the repository's files in a scratch
# directory, against the newest installed Debian 6.1 headers, so the
# checkout and its build directory stay as they are.

. "$(dirname "$0")/tap.sh"

# under DESTDIR/<prefix>/, with the mode each must have (- : a link, any)
FILES="
lib/udev/rules.d/70-mmio_shm.rules 644
lib/sysusers.d/mmio_shm.conf 644
share/doc/mmio_shm/examples/modprobe.d/mmio_shm.conf 644
share/doc/mmio_shm/examples/modules-load.d/mmio_shm.conf 644
include/libmmio_shm.h 644
include/libmmio_shm/mmio_shm.h 644
lib/libmmio_shm.so.1 -
lib/libmmio_shm.so -
lib/libmmio_shm.a 644
lib/pkgconfig/libmmio_shm.pc 644
bin/mmio-shm 755
share/man/man1/mmio-shm.1 644
share/man/man3/mmio_shm_open.3 644
share/man/man4/mmio_shm.4 644
"

# per case: the 6.1 headers and their release, a copy of the sources
setup() {
	KDIR=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -n 1)
	[ -n "$KDIR" ] ||
		{ fail "no Debian 6.1 headers (linux-headers-amd64: tests/provision/deps.sh)"; exit 1; }
	run sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$KDIR/include/generated/utsrelease.h"
	assert_eq 0 "$status"
	KVER=${out%$'\n'}
	assert_ne "" "$KVER" "the headers' release"
	T=$(mktemp -d "${TMPDIR:-/tmp}/mmio_shm_install.XXXXXX")

	# the files git knows of (committed or not, minus what .gitignore
	# hides), without tests/; a plain copy where there is no git
	run2 eval 'cd "$TOP" && mkdir "$T/src" &&
		if git rev-parse --git-dir >/dev/null 2>&1; then
			git ls-files -z --cached --others --exclude-standard |
				grep -zv "^tests/" | tar --null -T - -cf - | tar -xf - -C "$T/src"
		else
			cp -a Kbuild Makefile dkms.conf kernel user udev "$T/src/"
		fi'
	[ "$status" -eq 0 ] || log "$out"
	assert_eq 0 "$status" "copy of the sources"
}

teardown() {
	[ -z "${T:-}" ] || rm -rf "$T"
}

# make TARGET on the copy, with the case's arguments; output in $out
make_copy() {
	# shellcheck disable=SC2086
	run2 make -s -C "$T/src" DESTDIR="$T/dest" BUILD="$T/build" KDIR="$KDIR" $ARGS "$1"
}

# every file and link under dest/, for the log
log_tree() {
	log "installed:"
	(cd "$T/dest" && find . ! -type d | sort)
}

# make uninstall, then: empty directories may stay, files and links may not
uninstall_and_check() {
	make_copy uninstall
	[ "$status" -eq 0 ] || log "$out"
	assert_eq 0 "$status" "make uninstall"
	run eval 'cd "$T/dest" && find . ! -type d | sort'
	assert_eq 0 "$status"
	expect_eq "" "$out" "left after uninstall"
}

install_places_every_file_uninstall_removes_them() {
	local path mode missing=0 ko

	make_copy install
	[ "$status" -eq 0 ] || log "$out"
	assert_eq 0 "$status" "make install"
	while read -r path mode; do
		[ -n "$path" ] || continue
		if [ ! -e "$T/dest/$EXPECT/$path" ]; then
			fail "not installed: $EXPECT/$path"
			missing=1
			continue
		fi
		[ "$mode" = - ] ||
			expect_eq "$mode" "$(stat -L -c %a "$T/dest/$EXPECT/$path")" "mode of $path"
	done <<<"$FILES"

	# installed as they are in the tree
	expect_true cmp "$TOP/udev/70-mmio_shm.rules" "$T/dest/$EXPECT/lib/udev/rules.d/70-mmio_shm.rules"
	expect_true cmp "$TOP/udev/mmio_shm.sysusers.conf" "$T/dest/$EXPECT/lib/sysusers.d/mmio_shm.conf"

	if [ "$MODULE" = no ]; then
		if [ -e "$T/dest/lib" ]; then
			fail "INSTALL_MODULE=no installed lib/"
			missing=1
		fi
		[ "$missing" -eq 0 ] || log_tree
		uninstall_and_check
		return
	fi

	# the module, built for the headers' kernel
	ko=$T/dest/lib/modules/$KVER/extra/mmio_shm.ko
	if [ ! -r "$ko" ]; then
		log "no lib/modules/$KVER/extra/mmio_shm.ko"
		log_tree
		exit 1
	fi
	run eval 'modinfo -F vermagic "$ko" | cut -d" " -f1'
	assert_eq 0 "$status"
	expect_eq "$KVER"$'\n' "$out" "vermagic"

	# staging: depmod is the package's job, not make's
	expect_true test ! -e "$T/dest/lib/modules/$KVER/modules.dep"

	[ "$missing" -eq 0 ] || log_tree
	uninstall_and_check
}

plan 3
ARGS="PREFIX=/usr" EXPECT=usr MODULE=yes
run_case usr.install_places_every_file_uninstall_removes_them \
	install_places_every_file_uninstall_removes_them
ARGS="" EXPECT=usr/local MODULE=yes
run_case default_usr_local.install_places_every_file_uninstall_removes_them \
	install_places_every_file_uninstall_removes_them
ARGS="PREFIX=/usr INSTALL_MODULE=no" EXPECT=usr MODULE=no
run_case without_module.install_places_every_file_uninstall_removes_them \
	install_places_every_file_uninstall_removes_them
tap_exit
