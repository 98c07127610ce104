# SPDX-License-Identifier: GPL-2.0
#
# mmio_shm: shared-memory character device, its library, tools and tests.
#
#   make                 build the module (against KDIR) and user/
#   make check           every test: host checks, then the kselftests in a
#                        QEMU guest (KERNEL=5.10|6.1|6.12|7.2|sid, default 6.1)
#   make check-matrix    make check for each kernel of MATRIX in turn, the
#                        host checks once; one summary line for all
#   make check-fresh     make check as a new user: a clone of HEAD in a
#                        minimal bookworm with only make (cached, as root);
#                        FRESH_TARGET=demo: make demo so
#   make check-debug     the kselftests, stress, fuzzers, a fault-injection
#                        sweep and kmemleak in 6.1 built with KASAN, lockdep,
#                        UBSAN (built into BUILD the first time: minutes)
#   make fuzz            the ring's libFuzzer target for FUZZ_SECONDS (600)
#                        from its corpus (tests/shell/ring_fuzz.sh)
#   make bench           benchmarks on the host and in the guest, side by
#                        side: build/bench/results.{md,csv,png}
#   make vm-shell        a shell in the guest with the module's tree visible
#   make vm-run CMD=...  one command in the guest
#   make demo            the device shown step by step in the guest (HOST=1:
#                        on this machine, as root)
#   make deb             the Debian packages (debian/): libmmio-shm1,
#                        libmmio-shm-dev, mmio-shm, mmio-shm-dkms into BUILD
#   make check-deb       make deb, then lintian (pedantic) on each package,
#                        as TAP cases (tests/runner/check-deb.sh)
#   make install         module, library, tool, headers, man pages, udev rules
#   make uninstall       remove what install put in place
#
# KVER/KDIR pick the kernel to build the module for: the running kernel's
# build tree unless KDIR names another one (make check passes its own).

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
KERNEL ?= 6.1
MATRIX ?= 5.10 6.1 6.12 7.2
BUILD ?= $(CURDIR)/build

all: module user

module:
	@test -d "$(KDIR)" || { echo "no build tree for Linux $(KVER) at $(KDIR):"; \
		echo "install linux-headers-$(KVER), or set KDIR to the tree of the kernel to build for"; exit 1; }
	@echo "building mmio_shm.ko for Linux $(KREL) ($(KDIR))"
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

user:
	$(MAKE) -C user O=$(BUILD)/user

check:
	tests/runner/check.sh $(KERNEL) $(BUILD)

check-matrix:
	tests/runner/check-matrix.sh $(BUILD) $(MATRIX)

check-debug:
	tests/runner/check.sh --guest-only debug $(BUILD)

# FRESH_TARGET=demo: make demo as a newcomer runs it
FRESH_TARGET ?= check
check-fresh:
	tests/runner/check-fresh.sh $(BUILD) $(FRESH_TARGET)

# dpkg-buildpackage -us -uc -b from a copy of the checkout in BUILD/deb;
# the .debs (and .changes, .buildinfo) land in BUILD
deb:
	@tests/provision/deps.sh --profile deb $(BUILD)
	@tests/runner/deb.sh $(BUILD)

check-deb:
	@tests/provision/deps.sh --profile deb $(BUILD)
	@tests/runner/check-deb.sh $(BUILD)

# the guest for a person: the module built for KERNEL, user/ and the tests
vm-prepare:
	@tests/provision/deps.sh $(BUILD)
	@eval "$$(tests/provision/kernels.sh $(KERNEL) $(BUILD))" && \
		tests/runner/build-module.sh "$$KDIR" $(BUILD)/kmod/$(KERNEL) "$$KMAKE" "$$KCHROOT"
	@# docs/lab.md exercise 8's solution, checked by tests/shell/lab_fault.sh
	@eval "$$(tests/provision/kernels.sh $(KERNEL) $(BUILD))" && \
		tests/runner/build-module.sh "$$KDIR" $(BUILD)/kmod/$(KERNEL)-lab-fault "$$KMAKE" \
		"$$KCHROOT" $(CURDIR)/docs/lab/fault-handler.patch
	@# docs/lab.md exercise 9's starting point, checked by tests/shell/lab_dmabuf.sh
	@eval "$$(tests/provision/kernels.sh $(KERNEL) $(BUILD))" && \
		tests/runner/build-module.sh "$$KDIR" $(BUILD)/kmod/$(KERNEL)-lab-dmabuf-start "$$KMAKE" \
		"$$KCHROOT" $(CURDIR)/docs/lab/dmabuf-start.patch
	@# argument structs grown by one field, checked by tests/shell/grown_suite.sh
	@eval "$$(tests/provision/kernels.sh $(KERNEL) $(BUILD))" && \
		tests/runner/build-module.sh "$$KDIR" $(BUILD)/kmod/$(KERNEL)-grown \
		"$$KMAKE MMIO_SHM_TEST_GROW=1" "$$KCHROOT"
	@$(MAKE) -s -C user O=$(BUILD)/user
	@$(MAKE) -s -C tests BUILD=$(BUILD)

vm-shell: vm-prepare
	@eval "$$(tests/provision/kernels.sh $(KERNEL) $(BUILD))" && \
		echo "module: $(BUILD)/kmod/$(KERNEL)/mmio_shm.ko" && \
		tests/runner/vm.sh "$$VMLINUZ" 0 $(BUILD) ""

# says what it does: the boot (40-80 s under TCG), the command, its status
vm-run: vm-prepare
	@test -n "$$CMD" || { echo "usage: make vm-run CMD='command'"; exit 2; }
	@eval "$$(tests/provision/kernels.sh $(KERNEL) $(BUILD))" && \
		echo "vm-run: booting Linux $(KERNEL) in QEMU (TCG: about a minute; $$VMLINUZ)" && \
		rc=0 && tests/runner/vm.sh "$$VMLINUZ" 600 $(BUILD) \
		"insmod $(BUILD)/kmod/$(KERNEL)/mmio_shm.ko && \
		echo 'vm-run: module loaded, running the command' && $$CMD" || rc=$$? && \
		echo "vm-run: exit status $$rc" && \
		exit $$rc

# the host's part natively, the device's in one boot of the guest; the
# report in BUILD/bench (tests/bench/run.sh)
bench: vm-prepare
	@tests/bench/run.sh $(KERNEL) $(BUILD)

# the ring against a hostile peer, longer than make check's bounded run
FUZZ_SECONDS ?= 600
fuzz:
	@tests/provision/deps.sh $(BUILD)
	@$(MAKE) -s -C user O=$(BUILD)/user
	@$(MAKE) -s -C tests BUILD=$(BUILD) fuzz
	@MMIO_SHM_BUILD=$(BUILD) RING_FUZZ_SECONDS=$(FUZZ_SECONDS) tests/shell/ring_fuzz.sh

# the device shown step by step (tests/runner/demo.sh): in the KERNEL guest, or
# with HOST=1 on this machine's own kernel, as root, where modules load
ifeq ($(HOST),1)
demo:
	@test "$$(id -u)" = 0 || { echo "demo HOST=1: run as root (it loads the module)"; exit 1; }
	@test -e /proc/modules || { echo "demo HOST=1: this kernel cannot load modules: use make demo"; exit 1; }
	@test -d /lib/modules/$$(uname -r)/build || \
		{ echo "demo HOST=1: install linux-headers-$$(uname -r)"; exit 1; }
	@tests/runner/build-module.sh /lib/modules/$$(uname -r)/build $(BUILD)/kmod/host
	@$(MAKE) -s -C user O=$(BUILD)/user >/dev/null
	@tests/runner/demo.sh $(BUILD)/kmod/host/mmio_shm.ko $(BUILD)/user
else
demo:
	@tests/provision/deps.sh --profile demo $(BUILD)
	@eval "$$(tests/provision/kernels.sh $(KERNEL) $(BUILD))" && \
		tests/runner/build-module.sh "$$KDIR" $(BUILD)/kmod/$(KERNEL) "$$KMAKE" "$$KCHROOT"
	@$(MAKE) -s -C user O=$(BUILD)/user >/dev/null
	@eval "$$(tests/provision/kernels.sh $(KERNEL) $(BUILD))" && \
		echo "booting Linux $(KERNEL) in QEMU ($$VMLINUZ)..." && \
		tests/runner/vm.sh "$$VMLINUZ" 600 $(BUILD) \
		"$(CURDIR)/tests/runner/demo.sh $(BUILD)/kmod/$(KERNEL)/mmio_shm.ko $(BUILD)/user"
endif

# install/uninstall: DESTDIR stages a package (then no depmod, no group, no
# udev reload: the package's scripts do that); PREFIX is where user/ puts
# the library, tool, headers and man pages. udev and systemd-sysusers read
# both /usr/lib and /usr/local/lib, so the rules follow PREFIX too. The
# module goes to /lib/modules/<release of KDIR>/$(INSTALL_MOD_DIR);
# INSTALL_MODULE=no leaves it out, for a module that DKMS installs.
PREFIX ?= /usr/local
INSTALL_MODULE ?= yes
INSTALL_MOD_DIR ?= extra
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
EXAMPLESDIR ?= $(PREFIX)/share/doc/mmio_shm/examples
# the kernel release KDIR builds for (its `make kernelrelease` is wrong on
# Debian's headers packages; utsrelease.h is what the module's vermagic uses)
KREL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODDEST = $(DESTDIR)/lib/modules/$(KREL)/$(INSTALL_MOD_DIR)

install: $(if $(filter no,$(INSTALL_MODULE)),,module) user
ifneq ($(INSTALL_MODULE),no)
	@test -n "$(KREL)" || { echo "install: no kernel release in KDIR=$(KDIR)"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) DEPMOD=true modules_install
endif
	$(MAKE) -C user O=$(BUILD)/user PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) install
	install -D -m 0644 udev/70-mmio_shm.rules $(DESTDIR)$(UDEVRULESDIR)/70-mmio_shm.rules
	install -D -m 0644 udev/mmio_shm.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/mmio_shm.conf
	install -D -m 0644 udev/mmio_shm.modprobe.conf $(DESTDIR)$(EXAMPLESDIR)/modprobe.d/mmio_shm.conf
	install -D -m 0644 udev/mmio_shm.modules-load.conf $(DESTDIR)$(EXAMPLESDIR)/modules-load.d/mmio_shm.conf
ifeq ($(DESTDIR),)
ifneq ($(INSTALL_MODULE),no)
	depmod -a $(KREL)
endif
	@# the shared library, found by programs at run time
	@ldconfig 2>/dev/null || :
	getent group mmio_shm >/dev/null || \
		if command -v systemd-sysusers >/dev/null; then \
			systemd-sysusers $(SYSUSERSDIR)/mmio_shm.conf; \
		else groupadd -r mmio_shm; fi
	@# a module loaded already gets the new group and mode now
	@if udevadm control --reload 2>/dev/null; then \
		udevadm trigger --action=add --subsystem-match=misc \
			--sysname-match='mmio_shm*'; fi
endif

# leaves the mmio_shm group: users may still be in it
uninstall:
ifneq ($(INSTALL_MODULE),no)
	@test -n "$(KREL)" || { echo "uninstall: no kernel release in KDIR=$(KDIR)"; exit 1; }
	rm -f $(MODDEST)/mmio_shm.ko $(MODDEST)/mmio_shm.ko.*
endif
	$(MAKE) -C user O=$(BUILD)/user PREFIX=$(PREFIX) DESTDIR=$(DESTDIR) uninstall
	rm -f $(DESTDIR)$(UDEVRULESDIR)/70-mmio_shm.rules \
	      $(DESTDIR)$(SYSUSERSDIR)/mmio_shm.conf \
	      $(DESTDIR)$(EXAMPLESDIR)/modprobe.d/mmio_shm.conf \
	      $(DESTDIR)$(EXAMPLESDIR)/modules-load.d/mmio_shm.conf
	@# only the directories that are ours alone, and only when empty
	@for d in $(EXAMPLESDIR)/modprobe.d $(EXAMPLESDIR)/modules-load.d \
		  $(EXAMPLESDIR) $(dir $(EXAMPLESDIR)); do \
		rmdir --ignore-fail-on-non-empty "$(DESTDIR)$$d" 2>/dev/null || :; \
	done
ifeq ($(DESTDIR),)
ifneq ($(INSTALL_MODULE),no)
	depmod -a $(KREL)
endif
	@udevadm control --reload 2>/dev/null || :
endif

.PHONY: install uninstall

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(BUILD)

.PHONY: all module user check check-matrix check-debug check-fresh deb check-deb vm-prepare vm-shell vm-run bench \
	fuzz demo clean
