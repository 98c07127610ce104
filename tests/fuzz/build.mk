# SPDX-License-Identifier: GPL-2.0
#
# Included by tests/Makefile: the structure-aware fuzzer, run in the guest
# by tests/fuzz/run.sh.

$(O)/fuzz/%: fuzz/%.c ../kernel/uapi/linux/mmio_shm.h
	@mkdir -p $(dir $@)
	@echo "  CC      fuzz/$*"
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

fuzz: $(O)/fuzz/mmio_shm_fuzz

.PHONY: fuzz
