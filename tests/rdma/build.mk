# SPDX-License-Identifier: GPL-2.0
#
# Included by tests/Makefile: rdma_mr, the program tests/shell/rdma.sh
# registers the buffer as an RDMA memory region with (libibverbs,
# libibverbs-dev).

$(O)/rdma/rdma_mr: rdma/rdma_mr.c ../kernel/uapi/linux/mmio_shm.h
	@mkdir -p $(dir $@)
	@echo "  CC      rdma/rdma_mr"
	$(Q)$(CC) $(CFLAGS) -o $@ $< -libverbs $(LDLIBS)

rdma: $(O)/rdma/rdma_mr

.PHONY: rdma
