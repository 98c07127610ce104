# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by the soft-RoCE tests (tests/shell/rdma.sh, in the guest, and
# tests/rdma/two_hosts_guest.sh, in each of tests/shell/rdma_two_hosts.sh's
# guests): load_modules NAME... is `modprobe -a NAME...`, also in a kernel
# whose modules the guest's /lib/modules lacks (5.10, 6.12, 7.2):
# tests/provision/kernels.sh copied what these tests load into
# BUILD/guest-modules. The kernel's own requests for modules (the veth link
# type, rxe's crc32 before 6.15) look in /lib/modules only: crc32_generic is
# loaded first where the copy has it. BUILD must be set.

load_modules() {
	local rel root=$BUILD/guest-modules

	rel=$(uname -r)
	if [ -d "/lib/modules/$rel/kernel" ]; then
		modprobe -a "$@"
	elif [ -f "$root/lib/modules/$rel/modules.dep" ]; then
		modprobe -q -d "$root" crc32_generic
		modprobe -d "$root" -a "$@"
	else
		echo "no modules of $rel in /lib/modules or $root" >&2
		return 1
	fi
}
