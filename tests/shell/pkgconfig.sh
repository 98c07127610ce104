#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: host
#
# Description: `make -C user install DESTDIR=... PREFIX=/usr` puts the
# library, headers, pkg-config file, tool and man pages in place; a program
# outside the tree builds against them with pkg-config alone, links the
# shared library by its soname and works on a memfd; `make uninstall`
# leaves no file behind.

. "$(dirname "$0")/tap.sh"

INSTALLED="
usr/lib/libmmio_shm.so.1.3.0
usr/lib/libmmio_shm.so.1
usr/lib/libmmio_shm.so
usr/lib/libmmio_shm.a
usr/include/libmmio_shm.h
usr/include/libmmio_shm/mmio_shm.h
usr/lib/pkgconfig/libmmio_shm.pc
usr/bin/mmio-shm
usr/share/man/man1/mmio-shm.1
usr/share/man/man3/mmio_shm_open.3
usr/share/man/man3/mmio_shm_wait.3
usr/share/man/man4/mmio_shm.4
usr/share/man/man7/mmio_shm_ring.7
"

# the outside program: everything it knows comes from pkg-config
OUTSIDE='#define _GNU_SOURCE
#include <libmmio_shm.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
int main(void)
{
	int fd = memfd_create("outside", 0);
	struct mmio_shm *shm;
	char *p, back[8] = "";
	size_t len;
	if (fd < 0 || ftruncate(fd, 8192) ||
	    mmio_shm_open_fd(fd, &shm) ||
	    mmio_shm_map(shm, MMIO_SHM_PROT_READ | MMIO_SHM_PROT_WRITE,
			 (void **)&p, &len))
		return 1;
	strcpy(p + 4096, "works");
	if (pread(fd, back, 6, 4096) != 6)
		return 1;
	printf("%s %zu %d\n", back, len, mmio_shm_zero(shm));
	return mmio_shm_close(shm) ? 1 : 0;
}
'

# a scratch directory per case
setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/mmio_shm_install.XXXXXX")
}

teardown() {
	rm -rf "$T"
}

install_pkgconfig_uninstall() {
	local f enotty

	# the build goes to the scratch directory: the shared one stays as is
	run2 make -s -C "$TOP/user" install DESTDIR="$T/dest" PREFIX=/usr O="$T/build"
	[ "$status" -eq 0 ] || log "$out"
	assert_eq 0 "$status" "make install"
	for f in $INSTALLED; do
		[ -e "$T/dest/$f" ] || fail "not installed: $f"
	done

	printf '%s' "$OUTSIDE" >"$T/outside.c"
	run env PKG_CONFIG_PATH="$T/dest/usr/lib/pkgconfig" \
		PKG_CONFIG_LIBDIR="$T/dest/usr/lib/pkgconfig" \
		PKG_CONFIG_SYSROOT_DIR="$T/dest" bash -c '
		test "$(pkg-config --modversion libmmio_shm)" = 1.3.0 &&
		cc -std=c11 -Wall -Werror -o "$1/outside" "$1/outside.c" \
			$(pkg-config --cflags --libs libmmio_shm) 2>&1 &&
		readelf -d "$1/outside" | grep -q "NEEDED.*libmmio_shm.so.1]" &&
		LD_LIBRARY_PATH="$1/dest/usr/lib" "$1/outside" 2>&1' - "$T"
	[ "$status" -eq 0 ] || log "$out"
	assert_eq 0 "$status" "pkg-config, build, soname and run"
	# the program wrote and read back; zero is device-only: -ENOTTY
	enotty=$(python3 -c 'import errno; print(errno.ENOTTY)')
	expect_eq "works 8192 -$enotty"$'\n' "$out"

	run2 bash -c 'make -s -C "$1/user" uninstall DESTDIR="$2/dest" PREFIX=/usr O="$2/build" &&
		find "$2/dest" ! -type d' - "$TOP" "$T"
	assert_eq 0 "$status" "make uninstall"
	expect_eq "" "$out" "left after uninstall"
}

plan 1
run_case install_pkgconfig_uninstall
tap_exit
