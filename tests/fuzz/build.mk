# SPDX-License-Identifier: GPL-2.0
#
# Included by tests/Makefile: the structure-aware fuzzer of the device, run
# in the guest by tests/fuzz/run.sh, and the libFuzzer target of the ring,
# run on the host by tests/shell/ring_fuzz.sh.

$(O)/fuzz/%: fuzz/%.c ../kernel/uapi/linux/mmio_shm.h
	@mkdir -p $(dir $@)
	@echo "  CC      fuzz/$*"
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(LDLIBS)

fuzz: $(O)/fuzz/mmio_shm_fuzz

.PHONY: fuzz

# The libFuzzer target of the message ring (tests/shell/ring_fuzz.sh): the
# library's sources built in, with clang's fuzzer and sanitizers.
FUZZ_CC ?= clang
FUZZ_CFLAGS ?= -g -O1
override FUZZ_CFLAGS += -std=gnu11 -Wall -Wextra -Werror -pthread \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I../kernel/uapi -I../user/include -I../user/lib

$(O)/fuzz/ring_fuzz: fuzz/ring_fuzz.c fuzz/hostile_peer.h $(wildcard ../user/lib/*.c ../user/lib/*.h) \
		     ../user/include/libmmio_shm.h
	@mkdir -p $(dir $@)
	@echo "  CC      fuzz/ring_fuzz (libFuzzer)"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(wildcard ../user/lib/*.c)

fuzz: $(O)/fuzz/ring_fuzz

# The fan-in's libFuzzer target (tests/shell/fanin_fuzz.sh): the same way.
$(O)/fuzz/fanin_fuzz: fuzz/fanin_fuzz.c fuzz/hostile_peer.h $(wildcard ../user/lib/*.c ../user/lib/*.h) \
		      ../user/include/libmmio_shm.h
	@mkdir -p $(dir $@)
	@echo "  CC      fuzz/fanin_fuzz (libFuzzer)"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(wildcard ../user/lib/*.c)

fuzz: $(O)/fuzz/fanin_fuzz
