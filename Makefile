# SPDX-License-Identifier: GPL-2.0
#
# mmio_shm: shared-memory character device, its library, tools and tests.
#
#   make                 build the module (against KDIR) and user/
#   make check           every test: host checks, then the kselftests in a
#                        QEMU guest (KERNEL=5.10|6.1|6.12, default 6.1)
#   make bench           benchmarks in the guest, reported as ratios
#   make vm-shell        a shell in the guest with the module's tree visible
#   make vm-run CMD=...  one command in the guest
#   make install         module, library, tool, headers, man pages, udev rules
#   make uninstall       remove what install put in place
#
# KVER/KDIR pick the kernel to build the module for: the running kernel's
# build tree if it has one, else the newest Debian headers installed.

KVER ?= $(shell uname -r)
KDIR ?= $(or $(wildcard /lib/modules/$(KVER)/build),$(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1))
KERNEL ?= 6.1
BUILD ?= $(CURDIR)/build

all: module user

module:
	@test -n "$(KDIR)" || { echo "no kernel headers: install linux-headers-amd64 or set KDIR"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

user:
	$(MAKE) -C user O=$(BUILD)/user

check:
	tests/check.sh $(KERNEL) $(BUILD)

# the guest for a person: the module built for KERNEL, user/ and the tests
vm-prepare:
	@tests/deps.sh $(BUILD)
	@eval "$$(tests/kernels.sh $(KERNEL) $(BUILD))" && \
		tests/build-module.sh "$$KDIR" $(BUILD)/kmod/$(KERNEL) "$$KMAKE"
	@$(MAKE) -s -C user O=$(BUILD)/user
	@$(MAKE) -s -C tests BUILD=$(BUILD)

vm-shell: vm-prepare
	@eval "$$(tests/kernels.sh $(KERNEL) $(BUILD))" && \
		echo "module: $(BUILD)/kmod/$(KERNEL)/mmio_shm.ko" && \
		tests/vm.sh "$$VMLINUZ" 0 $(BUILD) ""

vm-run: vm-prepare
	@test -n "$(CMD)" || { echo "usage: make vm-run CMD='command'"; exit 2; }
	@eval "$$(tests/kernels.sh $(KERNEL) $(BUILD))" && \
		tests/vm.sh "$$VMLINUZ" 600 $(BUILD) \
		"insmod $(BUILD)/kmod/$(KERNEL)/mmio_shm.ko && $(CMD)"

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(BUILD)

.PHONY: all module user check vm-prepare vm-shell vm-run clean
