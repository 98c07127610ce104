# SPDX-License-Identifier: GPL-2.0
#
# Included by tests/Makefile: fi_call, the program tests/faultinject/sweep.sh
# makes each call into the module with. Static (see fi_call.c for why).

$(O)/faultinject/fi_call: faultinject/fi_call.c ../kernel/uapi/linux/mmio_shm.h
	@mkdir -p $(dir $@)
	@echo "  CC      faultinject/fi_call"
	$(Q)$(CC) $(CFLAGS) -static -o $@ $< $(LDLIBS)

faultinject: $(O)/faultinject/fi_call

.PHONY: faultinject
