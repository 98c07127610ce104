#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: host
#
# Description: dkms.conf is what DKMS needs: its PACKAGE_VERSION is the
# project's release (MAJOR.MINOR.PATCH), its names match what Kbuild
# builds, and `dkms add` + `dkms build` turn the module's source into
# mmio_shm.ko for the installed Debian 6.1 kernel, with that kernel's
# vermagic.
#
# DKMS runs on a private tree (--sourcetree, --dkmstree in a scratch
# directory). It also writes a module signing key into /var/lib/dkms the
# first time it signs, so as root it runs in a private mount namespace
# with a scratch directory over /var/lib/dkms: the system's DKMS state is
# never touched. Where no mount namespace can be made (a chroot, an
# unprivileged container), that case skips.

. "$(dirname "$0")/tap.sh"

# the value of KEY="VALUE" (or KEY=VALUE) in dkms.conf; fails without one
conf_value() {
	awk -v key="$1" '
		index($0, key "=") == 1 {
			v = substr($0, length(key) + 2)
			if (v ~ /^"/) { v = substr(v, 2); sub(/".*/, "", v) }
			print v
			found = 1
			exit
		}
		END { exit !found }' "$TOP/dkms.conf"
}

# the project release: MAJOR.MINOR.PATCH, apart from the interface version
package_version_is_the_release() {
	run conf_value PACKAGE_VERSION
	assert_eq 0 "$status" "PACKAGE_VERSION in dkms.conf"
	expect_true grep -qxE '[0-9]+\.[0-9]+\.[0-9]+' <<<"${out%$'\n'}"
}

conf_names_the_module_kbuild_builds() {
	local name

	run conf_value PACKAGE_NAME
	assert_eq 0 "$status" "PACKAGE_NAME in dkms.conf"
	expect_eq $'mmio_shm\n' "$out" "PACKAGE_NAME"
	run conf_value 'BUILT_MODULE_NAME[0]'
	assert_eq 0 "$status" "BUILT_MODULE_NAME[0] in dkms.conf"
	name=$out
	run sed -n 's/^obj-m[[:space:]]*:=[[:space:]]*\(.*\)\.o$/\1/p' "$TOP/Kbuild"
	assert_eq 0 "$status"
	expect_eq "$out" "$name" "BUILT_MODULE_NAME[0] and Kbuild's obj-m"
	run conf_value AUTOINSTALL
	assert_eq 0 "$status" "AUTOINSTALL in dkms.conf"
	expect_eq $'yes\n' "$out" "AUTOINSTALL"
}

build_for_installed_kernel_has_its_vermagic() {
	local kdir kver version wrap ko

	# deps.sh installs dkms: without it the machine is set up wrong
	command -v dkms >/dev/null 2>&1 ||
		{ fail "dkms is not installed (package dkms: tests/provision/deps.sh)"; return; }
	kdir=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -n 1)
	kver=$([ -n "$kdir" ] &&
		sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h")
	[ -n "$kver" ] ||
		{ fail "no Debian 6.1 headers (linux-headers-amd64: tests/provision/deps.sh)"; return; }
	version=$(conf_value PACKAGE_VERSION)
	assert_eq 0 "$?" "PACKAGE_VERSION in dkms.conf"
	T=$(mktemp -d "${TMPDIR:-/tmp}/mmio_shm_dkms.XXXXXX")
	trap 'rm -rf "$T"' EXIT
	mkdir -p "$T/src/mmio_shm-$version" "$T/tree" "$T/var"

	if [ "$(id -u)" -eq 0 ]; then
		# the private namespace this case needs, or why there is none
		run2 unshare -m sh -c 'mount --bind "$1" /var/lib/dkms' - "$T/var"
		[ "$status" -eq 0 ] ||
			skip "as root, needs a private mount namespace over /var/lib/dkms:" \
				"$(echo "$out" | head -n 1)"
		wrap=(unshare -m sh -c 'mount --bind "$T/var" /var/lib/dkms && eval "$1"' -)
	else
		wrap=(sh -c 'eval "$1"' -)
	fi
	export T
	# What the README tells a person to copy to /usr/src/mmio_shm-VERSION
	# (here the scratch source tree), then dkms add and build.
	cp -a "$TOP/Kbuild" "$TOP/Makefile" "$TOP/dkms.conf" "$TOP/kernel" \
		"$T/src/mmio_shm-$version/"
	run2 "${wrap[@]}" "dkms add mmio_shm/$version --sourcetree \"\$T/src\" --dkmstree \"\$T/tree\" &&
		dkms build mmio_shm/$version -k $kver --sourcetree \"\$T/src\" --dkmstree \"\$T/tree\""
	if [ "$status" -ne 0 ]; then
		log "$out"
		cat "$T"/tree/mmio_shm/*/*/*/log/make.log
	fi
	assert_eq 0 "$status" "dkms add and build"

	ko=$T/tree/mmio_shm/$version/$kver/x86_64/module/mmio_shm.ko
	if [ ! -r "$ko" ]; then
		log "no $ko; dkms said:"
		log "$out"
		exit 1
	fi
	run eval 'modinfo -F vermagic "$ko" | cut -d" " -f1'
	assert_eq 0 "$status"
	expect_eq "$kver"$'\n' "$out" "vermagic"
	run modinfo -F name "$ko"
	assert_eq 0 "$status"
	expect_eq $'mmio_shm\n' "$out" "module name"
}

plan 3
run_case package_version_is_the_release
run_case conf_names_the_module_kbuild_builds
run_case build_for_installed_kernel_has_its_vermagic
tap_exit
