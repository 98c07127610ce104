// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_shm - endpoints: peer liveness that the kernel vouches for
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * Processes that talk through the buffer want to know when the other side
 * is gone, at once and without heartbeats. The kernel knows: a process
 * that dies has its files released. MMIO_SHM_IOC_BIND ties an open file
 * description to one of the device's endpoints and hands out a cookie;
 * the description's release frees the endpoint and rings the doorbell.
 * MMIO_SHM_IOC_PEER tells whether an endpoint still holds a given cookie,
 * together with the doorbell sequence read before it, so that a peer that
 * waits on that sequence is woken by the release it did not see yet.
 */
#include <linux/errno.h>
#include <linux/nospec.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "args.h"
#include "mmio_shm_drv.h"

/**
 * mmio_shm_endpoint_init() - set up the endpoints of a new device
 * @dev: the device
 */
void mmio_shm_endpoint_init(struct mmio_shm_dev *dev)
{
	spin_lock_init(&dev->ep_lock);
	memset(dev->ep_cookie, 0, sizeof(dev->ep_cookie));
	dev->ep_last_cookie = 0;
}

/* the lowest free endpoint, or -EBUSY */
static int mmio_shm_endpoint_find_free(struct mmio_shm_dev *dev)
{
	int i;

	lockdep_assert_held(&dev->ep_lock);
	for (i = 0; i < MMIO_SHM_MAX_ENDPOINTS; i++)
		if (!dev->ep_cookie[i])
			return i;
	return -EBUSY;
}

/* binds @mf to endpoint @ep (or the lowest free one for @ep < 0) */
static int mmio_shm_endpoint_take(struct mmio_shm_file *mf, int ep,
				  u64 *cookie)
{
	struct mmio_shm_dev *dev = mf->dev;
	int ret;

	spin_lock(&dev->ep_lock);
	if (mf->endpoint >= 0) {
		ret = -EALREADY;
		goto out_unlock;
	}
	if (ep < 0)
		ep = mmio_shm_endpoint_find_free(dev);
	else if (dev->ep_cookie[ep])
		ep = -EBUSY;
	if (ep < 0) {
		ret = ep;
		goto out_unlock;
	}
	dev->ep_cookie[ep] = ++dev->ep_last_cookie;
	*cookie = dev->ep_cookie[ep];
	mf->endpoint = ep;
	ret = ep;
out_unlock:
	spin_unlock(&dev->ep_lock);
	return ret;
}

/* unbinds @mf; returns whether it was bound */
static bool mmio_shm_endpoint_drop(struct mmio_shm_file *mf)
{
	struct mmio_shm_dev *dev = mf->dev;
	bool was_bound = false;

	spin_lock(&dev->ep_lock);
	if (mf->endpoint >= 0) {
		dev->ep_cookie[mf->endpoint] = 0;
		mf->endpoint = -1;
		was_bound = true;
	}
	spin_unlock(&dev->ep_lock);
	return was_bound;
}

/**
 * mmio_shm_endpoint_release() - free the endpoint of a file being released
 * @mf: the file's state
 *
 * Rings the doorbell after the endpoint is free, so that a peer which read
 * the sequence before it saw the endpoint bound is woken (see
 * mmio_shm_ioctl_peer()).
 */
void mmio_shm_endpoint_release(struct mmio_shm_file *mf)
{
	if (mmio_shm_endpoint_drop(mf))
		mmio_shm_doorbell_ring(mf->dev);
}

/**
 * mmio_shm_ioctl_bind() - MMIO_SHM_IOC_BIND: bind the file to an endpoint
 * @mf:   the file's state
 * @uarg: user pointer to struct mmio_shm_bind_args
 *
 * The argument is written once before the endpoint is taken, so that a
 * read-only one fails before anything is bound. Should the write after
 * the take still fault (the mapping changed in between), the binding is
 * undone as a release is, with a ring of the doorbell: between the take
 * and the undo, PEER showed the cookie to anyone who asked.
 *
 * Return: 0; -EINVAL for unknown flags, a reserved word or an endpoint out
 * of range; -EALREADY when the file is bound already; -EBUSY when the
 * endpoint is taken (with MMIO_SHM_BIND_ANY: all of them); -EFAULT.
 */
long mmio_shm_ioctl_bind(struct mmio_shm_file *mf, void __user *uarg)
{
	struct mmio_shm_bind_args args;
	bool any;
	int ret;

	ret = mmio_shm_args_in(&args, sizeof(args),
			       MMIO_SHM_BIND_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if ((args.flags & ~MMIO_SHM_BIND_ANY) || args.reserved)
		return -EINVAL;
	any = args.flags & MMIO_SHM_BIND_ANY;
	if (any ? args.endpoint : args.endpoint >= MMIO_SHM_MAX_ENDPOINTS)
		return -EINVAL;
	/* the caller's index: clamped under speculation too (Spectre v1) */
	args.endpoint = array_index_nospec(args.endpoint,
					   MMIO_SHM_MAX_ENDPOINTS);
	/* fail on a read-only argument before anything is bound */
	if (mmio_shm_args_out(uarg, &args, sizeof(args)))
		return -EFAULT;

	ret = mmio_shm_endpoint_take(mf, any ? -1 : (int)args.endpoint,
				     &args.cookie);
	if (ret < 0)
		return ret;
	args.endpoint = ret;

	if (mmio_shm_args_out(uarg, &args, sizeof(args))) {
		/*
		 * The cookie was visible from the take on: a PEER may have
		 * shown it to a task that now sleeps on the doorbell, waiting
		 * for this binding to end. Ending it is a release like any
		 * other: free the endpoint, then ring.
		 */
		mmio_shm_endpoint_release(mf);
		return -EFAULT;
	}
	return 0;
}

/**
 * mmio_shm_ioctl_peer() - MMIO_SHM_IOC_PEER: who holds an endpoint
 * @dev:  the device
 * @uarg: user pointer to struct mmio_shm_peer_args
 *
 * The doorbell sequence is read before the cookie, and a release frees the
 * endpoint before it rings: a caller that sees a cookie still bound and
 * then waits on the sequence is woken by that binding's release.
 *
 * Return: 0; -EINVAL for flags, a reserved word or an endpoint out of
 * range; -EFAULT.
 */
long mmio_shm_ioctl_peer(struct mmio_shm_dev *dev, void __user *uarg)
{
	struct mmio_shm_peer_args args;
	int ret;

	ret = mmio_shm_args_in(&args, sizeof(args),
			       MMIO_SHM_PEER_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (args.flags || args.reserved ||
	    args.endpoint >= MMIO_SHM_MAX_ENDPOINTS)
		return -EINVAL;

	/* the caller's index: clamped under speculation too (Spectre v1) */
	args.endpoint = array_index_nospec(args.endpoint,
					   MMIO_SHM_MAX_ENDPOINTS);

	args.seq = mmio_shm_doorbell_seq(dev);
	spin_lock(&dev->ep_lock);
	args.cookie = dev->ep_cookie[args.endpoint];
	spin_unlock(&dev->ep_lock);

	return mmio_shm_args_out(uarg, &args, sizeof(args));
}
