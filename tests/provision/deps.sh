#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install, only when missing, what building and testing mmio_shm needs.
# Everything comes from Debian's archive. Only the system's own suite
# (bookworm) is installed into the system, through its apt sources. What
# bookworm lacks comes through a private apt configuration under the build
# directory and stays there: virtme-ng from trixie is unpacked into
# BUILD_DIR/virtme-ng (tests/runner/vm.sh runs it from there), other
# kernels are fetched by tests/provision/kernels.sh.
#
# A profile says what for: "demo" (make demo: build the module and the
# tools, boot 6.1 under QEMU), "deb" (make deb and make check-deb: build
# the Debian packages, check them with lintian) or "check" (everything
# make check, check-debug, check-matrix, check-deb and bench call; the
# default). apt's own output
# goes to BUILD_DIR/deps/apt.log; each step prints one line, with its size
# and time. tests/runner/deps-lint.py checks that every command the
# scripts call comes from the "check" list (or from minbase).
#
# Usage: tests/provision/deps.sh [--profile demo|deb|check] [BUILD_DIR]
#        tests/provision/deps.sh --list demo|deb|check   (the packages, one a line)

set -eu

PROFILE=check
LIST=""
while [ $# -gt 0 ]; do
	case $1 in
	--profile) PROFILE=$2; shift 2 ;;
	--list) LIST=1; PROFILE=$2; shift 2 ;;
	*) break ;;
	esac
done
BUILD=${1:-build}

# make demo: the module against Debian's 6.1 headers, user/ with the
# compiler, 6.1's image booted by virtme-ng (Python) in QEMU, insmod/rmmod
DEMO_PACKAGES="
build-essential
make
patch
linux-headers-amd64
linux-image-amd64
qemu-system-x86
kmod
busybox-static
udev
python3
xz-utils
"
# make deb, make check-deb: debian/control's Build-Depends (debhelper
# gives debhelper-compat and dh-sequence-installsysusers, dh-dkms
# dh-sequence-dkms; build-essential the compiler and dpkg-dev), git for the
# copy of the checkout (tests/runner/deb.sh), lintian, debootstrap for
# the minimal bookworm the packages are installed into (check-deb)
DEB_PACKAGES="
build-essential
make
git
debhelper
dh-dkms
lintian
debootstrap
"
# what the tests and the other make targets call on top of that
# (clang and libclang-rt-14-dev: the ring's libFuzzer target; gcc-multilib:
# -m32 -static builds of the ioctl tests, tests/shell/abi32_suite.sh;
# libboost-dev: make bench's peer, Boost.Interprocess's message_queue,
# header only, tests/bench/boost_mq_bench.cpp; iproute2, libibverbs-dev,
# librdmacm-dev and ibverbs-providers: soft-RoCE in the guest,
# tests/shell/rdma.sh, whose programs link libibverbs and librdmacm
# (user/examples/rdma-share) and whose rxe devices need ip and rdma)
CHECK_PACKAGES="
$DEMO_PACKAGES
$DEB_PACKAGES
libboost-dev
git
procps
clang
libclang-rt-14-dev
gcc-multilib
linux-source-6.1
cpio
sparse
dwarves
pkg-config
systemd
dkms
man-db
groff-base
stress-ng
trinity
debootstrap
flex
bison
bc
libelf-dev
gnuplot-nox
iproute2
libibverbs-dev
librdmacm-dev
ibverbs-providers
"
case $PROFILE in
demo) PACKAGES=$DEMO_PACKAGES ;;
deb) PACKAGES=$DEB_PACKAGES ;;
check) PACKAGES=$CHECK_PACKAGES ;;
*) echo "deps: unknown profile $PROFILE (demo, deb, check)" >&2; exit 2 ;;
esac
if [ -n "$LIST" ]; then
	# shellcheck disable=SC2086
	printf '%s\n' $PACKAGES | sort -u
	exit 0
fi

mkdir -p "$BUILD/deps"
APTLOG=$(realpath -m "$BUILD/deps/apt.log")
: >"$APTLOG"

# the packages of "$@" that are not installed
missing_of() {
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
			printf ' %s' "$p"
		fi
	done
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "deps: need root to run: $*" >&2
		exit 1
	fi
}

# logged WHAT CMD...: CMD's output goes to the log; one line says what it
# did, its size (apt's "Fetched" and "After this operation")
# and its time; a failure shows the log's end
logged() {
	what=$1
	shift
	t0=$(date +%s)
	echo "== $what" >>"$APTLOG"
	if ! "$@" >>"$APTLOG" 2>&1; then
		echo "deps: $what: failed; the end of $APTLOG:" >&2
		tail -n 20 "$APTLOG" | sed 's/^/  /' >&2
		exit 1
	fi
	# this step's lines: those after the last marker of its name
	size=$(awk -v m="== $what" '$0 == m { buf = ""; on = 1; next }
		on { buf = buf $0 "\n" } END { printf "%s", buf }' "$APTLOG" | sed -n \
		-e 's/^Fetched \([0-9.,]* [kMG]*B\) in.*/\1 fetched/p' \
		-e 's/^After this operation, \([0-9.,]* [kMG]*B\) of additional.*/\1 on disk/p' |
		paste -sd, - | sed 's/,/, /g')
	echo "deps: $what: ${size:+$size, }$(($(date +%s) - t0)) s"
}

# install "$@" from the system's own apt sources
install_system() {
	echo "deps: $PROFILE profile: installing $* (apt's output: $APTLOG)"
	logged "apt-get update" as_root apt-get -o DPkg::Lock::Timeout=600 update -q
	# shellcheck disable=SC2068
	logged "apt-get install ($(echo "$@" | wc -w) packages and their dependencies)" \
		as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $@
}

missing=$(missing_of $PACKAGES)
[ -z "$missing" ] || install_system $missing
# the packages are built and checked on the host: no guest, no virtme-ng
[ "$PROFILE" != deb ] || exit 0

# apt_suite: the private apt configuration shared with tests/provision/kernels.sh
. "$(dirname "$0")/apt-suite.sh"

# virtme-ng boots a kernel on the host's own filesystem; bookworm lacks it.
# Trixie's package (architecture all: Python and shell) is unpacked, not
# installed: nothing from another suite goes into the system.
VNG_ROOT=$(realpath -m "$BUILD/virtme-ng")
if [ ! -x "$VNG_ROOT/usr/bin/vng" ]; then
	echo "deps: unpacking virtme-ng from trixie into $VNG_ROOT"
	logged "trixie's package lists" apt_suite trixie
	# shellcheck disable=SC2086
	logged "virtme-ng download" sh -c "cd '$apt_dir' && apt-get $opts -q download virtme-ng"
	deb=$(ls "$apt_dir"/virtme-ng_*.deb | sort -V | tail -n 1)
	rm -rf "$VNG_ROOT.new"
	dpkg -x "$deb" "$VNG_ROOT.new"
	dpkg-deb -f "$deb" Depends >"$VNG_ROOT.new/DEPENDS"
	rm -rf "$VNG_ROOT"
	mv "$VNG_ROOT.new" "$VNG_ROOT"
fi

# Its Depends (python3-argcomplete, python3-requests, file, kmod, ...) are
# bookworm packages, installed from the system's suite when missing.
# dep_met DEP: one alternative of DEP (a | b (>= 1.0)) is installed, in a
# version DEP accepts
dep_met() {
	for alt in $(echo "$1" | tr '|' ' '); do
		name=${alt%%(*}
		name=${name%%:*}
		[ -z "$(missing_of "$name")" ] || continue
		case "$alt" in
		*"("*)
			rel=${alt#*(}
			rel=${rel%)}
			op=$(echo "$rel" | sed -E 's/^([<>=]+).*/\1/')
			case "$op" in
			'>=') o=ge ;; '<=') o=le ;; '>>') o=gt ;; '<<') o=lt ;; *) o=eq ;;
			esac
			dpkg --compare-versions "$(dpkg-query -W -f='${Version}' "$name")" \
				"$o" "${rel#"$op"}" && return 0
			;;
		*) return 0 ;;
		esac
	done
	return 1
}
depends=$(tr -d ' ' <"$VNG_ROOT/DEPENDS" | tr ',' ' ')
install=""
for dep in $depends; do
	first=${dep%%|*}
	first=${first%%(*}
	dep_met "$dep" || install="$install ${first%%:*}"
done
[ -z "$install" ] || install_system $install
for dep in $depends; do
	if ! dep_met "$dep"; then
		echo "deps: virtme-ng needs $dep, which bookworm does not give" >&2
		exit 1
	fi
done
