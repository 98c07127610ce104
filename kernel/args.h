/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmio_shm - ioctl arguments in and out: the UAPI's growth rule in code
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * Every command file copies its argument with mmio_shm_args_in() and its
 * result with mmio_shm_args_out(), and nothing else, so that the rule the
 * UAPI header states ("How the interface grows") is kept in one place,
 * args.c. The inline wrappers check each argument struct at build time.
 */
#ifndef _MMIO_SHM_ARGS_H
#define _MMIO_SHM_ARGS_H

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/types.h>

int __mmio_shm_args_in(void *karg, size_t ksize, size_t ver0,
		       const void __user *uarg);
int __mmio_shm_args_out(void __user *uarg, void *karg, size_t ksize);

/**
 * mmio_shm_args_in() - copy an ioctl argument struct in
 * @karg:  this kernel's struct, on the handler's stack
 * @ksize: sizeof() of it
 * @ver0:  its first published size, MMIO_SHM_*_ARGS_SIZE_VER0
 * @uarg:  the caller's struct, which starts with its own size
 *
 * Checks at build time the 32-bit rule of the UAPI header (every size a
 * multiple of 8) and that the struct never shrank below @ver0; both sizes
 * are constants at every call. See __mmio_shm_args_in().
 *
 * Return: 0 or a negative errno, as __mmio_shm_args_in().
 */
static __always_inline int mmio_shm_args_in(void *karg, size_t ksize,
					    size_t ver0,
					    const void __user *uarg)
{
	BUILD_BUG_ON(ksize % 8 || ver0 % 8);
	BUILD_BUG_ON(ksize < ver0);
	return __mmio_shm_args_in(karg, ksize, ver0, uarg);
}

/**
 * mmio_shm_args_out() - copy an ioctl result back
 * @uarg:  the caller's struct
 * @karg:  this kernel's struct, read in by mmio_shm_args_in()
 * @ksize: sizeof() of it
 *
 * See __mmio_shm_args_out().
 *
 * Return: 0 or -EFAULT.
 */
static __always_inline int mmio_shm_args_out(void __user *uarg, void *karg,
					     size_t ksize)
{
	BUILD_BUG_ON(ksize % 8);
	return __mmio_shm_args_out(uarg, karg, ksize);
}

#endif /* _MMIO_SHM_ARGS_H */
