// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_shm - ioctl arguments in and out: the UAPI's growth rule in code
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * The command numbers carry no size; every argument struct starts with
 * the caller's sizeof() of it (see the UAPI header). A caller built
 * against an older, shorter struct and one built against a newer, longer
 * struct both meet this kernel here, the way openat2(2) and clone3(2)
 * meet theirs: copy_struct_from_user() in, no more than the caller's size
 * out, and @size written back as the number of bytes this kernel filled.
 */
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "args.h"
#include "mmio_shm_drv.h"

/**
 * __mmio_shm_args_in() - copy an ioctl argument struct in
 * @karg:  this kernel's struct
 * @ksize: its size
 * @ver0:  the struct's first published size (MMIO_SHM_*_ARGS_SIZE_VER0);
 *         no caller can have a shorter one
 * @uarg:  the caller's struct, which starts with its own size, usize
 *
 * Any usize from @ver0 up to a page is accepted: a shorter struct than
 * this kernel's (an older caller) has the fields it lacks read as zero; a
 * longer one (a newer caller) is accepted only if the bytes this kernel
 * does not know are zero. @karg's size field keeps usize for
 * __mmio_shm_args_out().
 *
 * Return: 0; -EINVAL for a usize below @ver0; -E2BIG for one over a page
 * or a nonzero byte past @ksize; -EFAULT.
 */
int __mmio_shm_args_in(void *karg, size_t ksize, size_t ver0,
		       const void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < ver0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, usize);
}

/**
 * __mmio_shm_args_out() - copy an ioctl result back
 * @uarg:  the caller's struct
 * @karg:  this kernel's struct, read in by __mmio_shm_args_in()
 * @ksize: its size
 *
 * Writes min(usize, @ksize) bytes, never past the caller's struct, and
 * sets the size field to that number first: the caller learns which of
 * its output fields this kernel filled (those that end within it). May be
 * called more than once for one command.
 *
 * Return: 0 or -EFAULT.
 */
int __mmio_shm_args_out(void __user *uarg, void *karg, size_t ksize)
{
	u32 *size = karg;

	*size = min_t(size_t, *size, ksize);
#ifdef MMIO_SHM_TEST_GROW
	/* the test-only field the UAPI header appends last: an output */
	*(u64 *)(karg + ksize - sizeof(u64)) = MMIO_SHM_TEST_GROWN_VALUE;
#endif
	if (copy_to_user(uarg, karg, *size))
		return -EFAULT;
	return 0;
}
