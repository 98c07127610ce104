# SPDX-License-Identifier: GPL-2.0
#
# Included by tests/Makefile: the stress program, run in the guest by
# tests/stress/run.sh.

$(O)/stress/%: stress/%.c ../kernel/uapi/linux/mmio_shm.h
	@mkdir -p $(dir $@)
	@echo "  CC      stress/$*"
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

stress: $(O)/stress/mmio_shm_stress

.PHONY: stress
