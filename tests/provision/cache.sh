# SPDX-License-Identifier: GPL-2.0
#
# Sourced by tests/provision/kernels.sh, sid-chroot.sh and debug-kernel.sh:
# where what takes minutes to make and does not depend on the checkout is
# kept, so that it outlives a clone and every checkout of the machine (CI's
# fresh clone among them) finds it warm.
#
#   MMIO_SHM_CACHE    when set, that directory;
#   otherwise         /var/cache/mmio_shm for root,
#                     ${XDG_CACHE_HOME:-$HOME/.cache}/mmio_shm for others.
#
# Inside: kernels/VERSION/ (Debian kernels, keyed by their ABI in the
# file abi), sid/ (the chroot for 7.x, keyed by .abi), debug-kernel/ (the
# debug build, keyed by the hash in stamp). Each entry's key is written
# last, once the entry is whole, so an interrupted fill is redone, never
# used. `rm -rf` of the directory clears it.

mmio_shm_cache_dir() {
	if [ -n "${MMIO_SHM_CACHE:-}" ]; then
		realpath -m "$MMIO_SHM_CACHE"
	elif [ "$(id -u)" = 0 ]; then
		echo /var/cache/mmio_shm
	else
		echo "${XDG_CACHE_HOME:-$HOME/.cache}/mmio_shm"
	fi
}
