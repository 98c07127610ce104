// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmmio_shm - endpoints: a handle bound to one of the device's endpoints,
 * freed by the kernel when the handle's open file is released, so peers
 * learn at once that its process is gone (device only)
 */
#include "internal.h"

MMIO_SHM_API int mmio_shm_bind(struct mmio_shm *shm, int index,
			       struct mmio_shm_endpoint *ep)
{
	struct mmio_shm_bind_args args = { .size = sizeof(args) };
	int ret;

	if (!ep || index < MMIO_SHM_ENDPOINT_ANY)
		return -EINVAL;
	if (index == MMIO_SHM_ENDPOINT_ANY)
		args.flags = MMIO_SHM_BIND_ANY;
	else
		args.endpoint = (uint32_t)index;
	ret = mmio_shm_dev_ioctl(shm, MMIO_SHM_IOC_BIND, &args);
	if (ret)
		return ret;
	ep->index = args.endpoint;
	ep->cookie = args.cookie;
	return 0;
}

int mmio_shm_peer_check(struct mmio_shm *shm, uint32_t index,
			uint64_t cookie, uint64_t *seqp)
{
	struct mmio_shm_peer_args args = {
		.size = sizeof(args),
		.endpoint = index,
	};
	int ret;

	ret = mmio_shm_dev_ioctl(shm, MMIO_SHM_IOC_PEER, &args);
	if (ret)
		return ret;
	if (seqp)
		*seqp = args.seq;
	return cookie && args.cookie == cookie;
}

MMIO_SHM_API int mmio_shm_peer_alive(struct mmio_shm *shm,
				     const struct mmio_shm_endpoint *peer)
{
	if (!peer || !peer->cookie)
		return -EINVAL;
	return mmio_shm_peer_check(shm, peer->index, peer->cookie, NULL);
}
