#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Make modules of a kernel loadable in its guest: the guest sees the host's
# /lib/modules, which holds 6.1's tree only, and under /var/cache a tmpfs,
# not the machine's cache where 5.10's, 6.12's and 7.2's trees are
# unpacked (tests/provision/kernels.sh). The MODULEs named, and every
# module they depend on (modinfo's depends, followed to the end), are
# copied from MODDIR (a lib/modules/RELEASE tree) into
# OUT/lib/modules/RELEASE, which depmod indexes; in the guest
# `modprobe -d OUT NAME` loads them. A MODULE the kernel lacks (built in,
# or gone in that version) is left out. Done once per list of modules.
#
# Usage: tests/provision/guest-modules.sh MODDIR OUT MODULE...

set -eu

src=$1
out=$2
shift 2
rel=$(basename "$src")
dst=$out/lib/modules/$rel
stamp="$*"
[ "$(cat "$dst/.modules" 2>/dev/null)" != "$stamp" ] || exit 0

rm -rf "$dst"
mkdir -p "$dst"
todo="$*"
seen=" "
while :; do
	# shellcheck disable=SC2086  # one word a module
	set -- $todo
	[ $# -gt 0 ] || break
	m=$1
	shift
	todo="$*"
	case $seen in *" $m "*) continue ;; esac
	seen="$seen$m "
	# a module's name has _ where its file may have -
	f=$(find "$src/kernel" \( -name "$m.ko*" -o -name "$(echo "$m" | tr _ -).ko*" \) |
		head -n 1)
	[ -n "$f" ] || continue
	mkdir -p "$dst/$(dirname "${f#"$src"/}")"
	cp "$f" "$dst/${f#"$src"/}"
	echo "${f#"$src"/}" >>"$dst/modules.order"
	todo="$todo $(modinfo -F depends "$f" | tr , ' ')"
done
cp "$src"/modules.builtin* "$dst/" 2>/dev/null || true
depmod -b "$out" "$rel"
echo "$stamp" >"$dst/.modules"
echo "guest-modules: $(find "$dst" -name '*.ko*' | wc -l) modules of $rel in $dst" >&2
