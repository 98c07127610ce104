#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: guest
#
# Description: the guest itself, as the suite needs it: two CPUs online
# (vm.sh asks QEMU for two; the contention tests need a second CPU to
# race on, and a kernel without ACPI brings up only one) and the module
# loaded by run-suite.sh.

. "$(dirname "$0")/tap.sh"

guest_has_two_cpus_online() {
	local n

	run nproc
	assert_eq 0 "$status" "nproc"
	n=${out%$'\n'}
	log "$(uname -r): $n CPUs online"
	assert_true test "$n" -ge 2
}

module_is_loaded() {
	assert_true test -d /sys/module/mmio_shm
}

plan 2
run_case guest_has_two_cpus_online
run_case module_is_loaded
tap_exit
