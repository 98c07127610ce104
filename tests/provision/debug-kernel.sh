#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build (once, then from the cache) the debug kernel `make check-debug`
# boots: Debian's linux-source-6.1 tarball (package linux-source-6.1, see
# tests/provision/deps.sh) configured with tests/provision/debug.config (KASAN,
# lockdep, kmemleak, UBSAN, fault injection, plus what the suite and
# virtme-ng's guest need). Prints shell assignments for the caller to eval,
# for tests/provision/kernels.sh debug:
#   KDIR=...      the configured and built tree, for `make -C $KDIR M=...`
#   VMLINUZ=...   its bzImage
#   KMAKE=...     extra make arguments (none)
# Everything else goes to stderr; the build's own output to
# CACHE/debug-kernel/build.log.
#
# The tree is extracted into CACHE/debug-kernel/src and built there; CACHE
# is the machine's cache (tests/provision/cache.sh), so every checkout, and
# CI's fresh clone, finds the kernel built once.
# A stamp holds a hash of what decides the kernel: the base, the tarball
# and the fragment's options (its comments aside). When it matches and the
# image exists, nothing is done. Otherwise the tree is configured again and
# rebuilt (a different tarball is extracted afresh). Measured here, such a
# rebuild recompiled the whole tree (16 minutes on two cores), as the first
# build does.
#
# DEBUG_KERNEL_BASE picks the configuration the fragment is merged onto:
#   tiny    `make tinyconfig` (the default; see the top of debug.config for
#           why, measured)
#   virtme  `virtme-configkernel --defconfig` (x86_64_defconfig plus what
#           virtme-ng needs), kept to measure the choice again
# DEBUG_KERNEL_JOBS: make -j (default 2: the machine has two cores).
#
# Usage: tests/provision/debug-kernel.sh [BUILD_DIR]

set -eu

BUILD=$(realpath -m "${1:-build}")
HERE=$(cd "$(dirname "$0")" && pwd)
FRAGMENT=$HERE/debug.config
TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
BASE=${DEBUG_KERNEL_BASE:-tiny}
JOBS=${DEBUG_KERNEL_JOBS:-2}
# shellcheck source=tests/provision/cache.sh
. "$HERE/cache.sh"
DIR=$(mmio_shm_cache_dir)/debug-kernel
SRC=$DIR/src
LOG=$DIR/build.log

die() {
	echo "debug-kernel: $*" >&2
	exit 1
}

case "$BASE" in
tiny|virtme) ;;
*) die "unknown DEBUG_KERNEL_BASE=$BASE (tiny or virtme)" ;;
esac
[ -f "$TARBALL" ] || die "no $TARBALL: install linux-source-6.1 (tests/provision/deps.sh)"
if [ "$BASE" = virtme ]; then
	# virtme-ng as tests/provision/deps.sh unpacked it (see tests/runner/vm.sh)
	export PATH="$BUILD/virtme-ng/usr/bin:$PATH"
	export PYTHONPATH="$BUILD/virtme-ng/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}"
	command -v virtme-configkernel >/dev/null ||
		die "no virtme-configkernel: run tests/provision/deps.sh $BUILD"
fi

mkdir -p "$DIR"
# one build at a time: a second caller waits, then finds the cache
exec 9>"$DIR/.lock"
flock 9

tarball_id=$(stat -L -c '%n %s %Y' "$TARBALL")
stamp=$( { echo "$BASE"; echo "$tarball_id"
	grep -E '^(CONFIG_|# CONFIG_[A-Z0-9_]+ is not set)' "$FRAGMENT"; } |
	sha256sum | cut -d' ' -f1)

done_() {
	echo "KDIR=$SRC"
	echo "VMLINUZ=$SRC/arch/x86/boot/bzImage"
	echo "KMAKE=''"
	exit 0
}

if [ -f "$DIR/stamp" ] && [ "$(cat "$DIR/stamp")" = "$stamp" ] &&
   [ -f "$SRC/arch/x86/boot/bzImage" ] && [ -f "$SRC/Module.symvers" ]; then
	done_
fi
rm -f "$DIR/stamp"

# a new tarball (or none extracted yet): start from a clean tree
if [ ! -f "$SRC/Makefile" ] || [ "$(cat "$DIR/tarball" 2>/dev/null)" != "$tarball_id" ]; then
	echo "debug-kernel: extracting $TARBALL into $SRC" >&2
	rm -rf "$SRC"
	mkdir -p "$SRC"
	tar -xJf "$TARBALL" -C "$SRC" --strip-components=1 ||
		die "cannot extract $TARBALL"
	echo "$tarball_id" >"$DIR/tarball"
fi

start=$(date +%s)
echo "debug-kernel: configuring ($BASE + $(basename "$FRAGMENT")), log in $LOG" >&2
: >"$LOG"
configure() {
	cd "$SRC" || return
	# kept to put back untouched if nothing changes: a .config that is
	# merely newer makes kbuild sync and relink (minutes, with KASAN)
	if [ -f .config ]; then
		mv -f .config .config.prev || return
	fi
	if [ "$BASE" = tiny ]; then
		make tinyconfig || return
	else
		virtme-configkernel --defconfig || return
	fi
	# the fragment last: it wins over the base (virtme's turns on
	# DEBUG_INFO, which only makes the build longer)
	scripts/kconfig/merge_config.sh -m .config "$FRAGMENT" &&
	make olddefconfig || return
	if [ -f .config.prev ] && cmp -s .config .config.prev; then
		mv -f .config.prev .config
	fi
}
(configure) >>"$LOG" 2>&1 || { tail -n 30 "$LOG" >&2; die "configuring failed"; }

# Kconfig drops what it cannot satisfy without a word: every option the
# fragment asks for must be in the final .config as asked.
missing=""
while read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF "$line" "$SRC/.config" || missing="$missing
  want $line, have: $(grep -E "^(# )?${line%%=*}[= ]" "$SRC/.config" || echo 'not there')"
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		if grep -qE "^$opt=" "$SRC/.config"; then
			missing="$missing
  want $line, have: $(grep -E "^$opt=" "$SRC/.config")"
		fi
		;;
	esac
done <"$FRAGMENT"
[ -z "$missing" ] || die "the final .config lacks what $(basename "$FRAGMENT") asks for:$missing"

echo "debug-kernel: building bzImage and modules with -j$JOBS (minutes)" >&2
# modules: the tree's Module.symvers, which out-of-tree module builds need
(cd "$SRC" && make -j"$JOBS" bzImage modules && make modules_prepare) \
	>>"$LOG" 2>&1 || { tail -n 40 "$LOG" >&2; die "the build failed"; }
[ -f "$SRC/arch/x86/boot/bzImage" ] || die "no bzImage after the build"

end=$(date +%s)
echo "debug-kernel: built in $((end - start)) s ($BASE base)" >&2
echo "$((end - start))" >"$DIR/build-seconds"
echo "$stamp" >"$DIR/stamp"
done_
