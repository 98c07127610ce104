// SPDX-License-Identifier: GPL-2.0
/*
 * The 32-bit rule of the UAPI header, checked at build time for i386 and
 * x86-64 alike: tests/Makefile compiles this file with -m32 and with -m64,
 * -Wpadded -Werror (a struct with implicit padding, inside or at its end,
 * does not build), and each argument struct's size must be a multiple of 8
 * and its first published size. The header says why.
 *
 * When a struct grows, the new size constant goes here in place of VER0.
 */
#include <linux/mmio_shm.h>

#define ARGS_SIZE(name, size)						\
	_Static_assert(sizeof(struct mmio_shm_##name##_args) == (size) &&	\
		       (size) % 8 == 0,					\
		       "struct mmio_shm_" #name "_args: " #size)

ARGS_SIZE(info, MMIO_SHM_INFO_ARGS_SIZE_VER0);
ARGS_SIZE(resize, MMIO_SHM_RESIZE_ARGS_SIZE_VER0);
ARGS_SIZE(zero, MMIO_SHM_ZERO_ARGS_SIZE_VER0);
ARGS_SIZE(notify, MMIO_SHM_NOTIFY_ARGS_SIZE_VER0);
ARGS_SIZE(wait, MMIO_SHM_WAIT_ARGS_SIZE_VER0);
ARGS_SIZE(bind, MMIO_SHM_BIND_ARGS_SIZE_VER0);
ARGS_SIZE(peer, MMIO_SHM_PEER_ARGS_SIZE_VER0);
ARGS_SIZE(export, MMIO_SHM_EXPORT_ARGS_SIZE_VER0);

/* every struct: @size first, @flags second */
#define ARGS_HEAD(name)							\
	_Static_assert(__builtin_offsetof(struct mmio_shm_##name##_args, size) == 0 && \
		       __builtin_offsetof(struct mmio_shm_##name##_args, flags) == 4, \
		       "struct mmio_shm_" #name "_args: size, flags")

ARGS_HEAD(info);
ARGS_HEAD(resize);
ARGS_HEAD(zero);
ARGS_HEAD(notify);
ARGS_HEAD(wait);
ARGS_HEAD(bind);
ARGS_HEAD(peer);
ARGS_HEAD(export);

/* one object per ABI that the Makefile can depend on */
int mmio_shm_uapi_layout_checked;
