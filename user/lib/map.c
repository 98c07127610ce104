// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libmmio_shm - mappings: map the buffer or a range of it, sync, unmap.
 *
 * Each handle keeps a list of the mappings made through it, so that unmap
 * and sync can refuse addresses and lengths that are not its own with
 * -EINVAL instead of unmapping someone else's memory, and close can undo
 * what the caller forgot.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"

/* MMIO_SHM_PROT_* to PROT_*; -EINVAL for unknown bits or no read access */
static int mmio_shm_prot(const struct mmio_shm *shm, unsigned int prot)
{
	if (prot & ~(MMIO_SHM_PROT_READ | MMIO_SHM_PROT_WRITE) ||
	    !(prot & MMIO_SHM_PROT_READ))
		return -EINVAL;
	if (!(prot & MMIO_SHM_PROT_WRITE))
		return PROT_READ;
	/* what mmap() would say for a shared writable map of an O_RDONLY fd */
	if (!shm->writable)
		return -EACCES;
	return PROT_READ | PROT_WRITE;
}

/*
 * What both map calls check first: @prot (as mmio_shm_prot()), then the
 * buffer's current size into *size. Returns the PROT_* value or -errno.
 */
static int mmio_shm_prot_size(struct mmio_shm *shm, unsigned int prot,
			      uint64_t *size)
{
	int mprot = mmio_shm_prot(shm, prot), ret;

	if (mprot < 0)
		return mprot;
	ret = mmio_shm_get_size(shm, size);
	return ret ? ret : mprot;
}

/* mmap()s a range already checked against the buffer and records it */
static int mmio_shm_do_map(struct mmio_shm *shm, uint64_t offset,
			   size_t length, int mprot, void **addrp)
{
	struct mmio_shm_mapping *m;
	void *addr;
	int ret;

	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	addr = mmap(NULL, length, mprot, MAP_SHARED, shm->fd, (off_t)offset);
	ret = mmio_shm_sysret(addr == MAP_FAILED ? -1 : 0);
	if (ret) {
		free(m);
		return ret;
	}
	m->addr = addr;
	m->length = length;
	pthread_mutex_lock(&shm->lock);
	m->next = shm->maps;
	shm->maps = m;
	pthread_mutex_unlock(&shm->lock);
	*addrp = addr;
	return 0;
}

MMIO_SHM_API int mmio_shm_map_range(struct mmio_shm *shm, uint64_t offset,
				    size_t length, unsigned int prot,
				    void **addrp)
{
	uint64_t size;
	int mprot;

	if (!shm || !addrp || !length || offset % shm->page_size)
		return -EINVAL;
	mprot = mmio_shm_prot_size(shm, prot, &size);
	if (mprot < 0)
		return mprot;
	if (offset >= size || length > size - offset)
		return -EINVAL;
	return mmio_shm_do_map(shm, offset, length, mprot, addrp);
}

MMIO_SHM_API int mmio_shm_map(struct mmio_shm *shm, unsigned int prot,
			      void **addrp, size_t *lengthp)
{
	uint64_t size;
	int mprot, ret;

	if (!shm || !addrp || !lengthp)
		return -EINVAL;
	mprot = mmio_shm_prot_size(shm, prot, &size);
	if (mprot < 0)
		return mprot;
	if (!size || size > SIZE_MAX)
		return -EINVAL;
	ret = mmio_shm_do_map(shm, 0, (size_t)size, mprot, addrp);
	if (!ret)
		*lengthp = (size_t)size;
	return ret;
}

/*
 * The list link pointing at the mapping that holds [addr, addr + length),
 * or at the terminating NULL when none does. @exact asks for a mapping
 * that starts at @addr and is @length long. Called with shm->lock held.
 */
static struct mmio_shm_mapping **mmio_shm_find(struct mmio_shm *shm,
					       void *addr, size_t length,
					       bool exact)
{
	uintptr_t start = (uintptr_t)addr;
	struct mmio_shm_mapping **link;

	for (link = &shm->maps; *link; link = &(*link)->next) {
		uintptr_t mstart = (uintptr_t)(*link)->addr;
		size_t mlen = (*link)->length;

		if (exact ? start == mstart && length == mlen :
		    start >= mstart && start - mstart < mlen &&
		    length <= mlen - (start - mstart))
			break;
	}
	return link;
}

MMIO_SHM_API int mmio_shm_unmap(struct mmio_shm *shm, void *addr,
				size_t length)
{
	struct mmio_shm_mapping **link, *m;
	int ret = -EINVAL;

	if (!shm || !addr || !length)
		return -EINVAL;
	pthread_mutex_lock(&shm->lock);
	link = mmio_shm_find(shm, addr, length, true);
	m = *link;
	if (m) {
		ret = mmio_shm_sysret(munmap(m->addr, m->length));
		if (!ret)
			*link = m->next;
	}
	pthread_mutex_unlock(&shm->lock);
	if (m && !ret)
		free(m);
	return ret;
}

MMIO_SHM_API int mmio_shm_sync(struct mmio_shm *shm, void *addr,
			       size_t length)
{
	bool known;

	if (!shm || !addr || !length || (uintptr_t)addr % shm->page_size)
		return -EINVAL;
	pthread_mutex_lock(&shm->lock);
	known = *mmio_shm_find(shm, addr, length, false) != NULL;
	pthread_mutex_unlock(&shm->lock);
	if (!known)
		return -EINVAL;
	return mmio_shm_sysret(msync(addr, length, MS_SYNC));
}

int mmio_shm_unmap_all(struct mmio_shm *shm)
{
	struct mmio_shm_mapping *m, *next;
	int ret = 0, ret2;

	pthread_mutex_lock(&shm->lock);
	for (m = shm->maps; m; m = next) {
		next = m->next;
		ret2 = mmio_shm_sysret(munmap(m->addr, m->length));
		if (!ret)
			ret = ret2;
		free(m);
	}
	shm->maps = NULL;
	pthread_mutex_unlock(&shm->lock);
	return ret;
}
