/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmio_shm - ioctl arguments in and out: the UAPI's growth rule in code
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * Every command file copies its argument with mmio_shm_args_in() and its
 * result with mmio_shm_args_out(), and nothing else, so that the rule the
 * UAPI header states ("How the interface grows") is kept in one place,
 * args.c. The macros check each argument struct at build time: @size its
 * first member, its size a multiple of 8 and no smaller than its first
 * published size.
 */
#ifndef _MMIO_SHM_ARGS_H
#define _MMIO_SHM_ARGS_H

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/stddef.h>
#include <linux/types.h>

int __mmio_shm_args_in(void *karg, size_t ksize, size_t ver0,
		       const void __user *uarg);
int __mmio_shm_args_out(void __user *uarg, void *karg, size_t ksize);

/* the 32-bit rule and the layout every argument struct shares */
#define MMIO_SHM_ARGS_CHECK(karg, ver0)					\
	do {								\
		BUILD_BUG_ON(offsetof(typeof(*(karg)), size) != 0);	\
		BUILD_BUG_ON(sizeof((karg)->size) != sizeof(u32));	\
		BUILD_BUG_ON((ver0) % 8 || sizeof(*(karg)) % 8);	\
		BUILD_BUG_ON(sizeof(*(karg)) < (ver0));			\
	} while (0)

/**
 * mmio_shm_args_in() - copy an ioctl argument struct in
 * @karg: this kernel's struct, on the handler's stack
 * @ver0: the struct's first published size, MMIO_SHM_*_ARGS_SIZE_VER0
 * @uarg: the caller's struct, which starts with its own size
 *
 * See __mmio_shm_args_in().
 */
#define mmio_shm_args_in(karg, ver0, uarg)				\
	({								\
		MMIO_SHM_ARGS_CHECK(karg, ver0);			\
		__mmio_shm_args_in(karg, sizeof(*(karg)), ver0, uarg);	\
	})

/**
 * mmio_shm_args_out() - copy an ioctl result back
 * @uarg: the caller's struct
 * @karg: this kernel's struct, read in by mmio_shm_args_in()
 *
 * See __mmio_shm_args_out().
 */
#define mmio_shm_args_out(uarg, karg)					\
	__mmio_shm_args_out(uarg, karg, sizeof(*(karg)))

#endif /* _MMIO_SHM_ARGS_H */
