// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_shm - the shared buffer: a kernel-internal shmem file kept resident
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * The buffer is the page cache of a shmem file that only this driver can
 * reach, the way Android's ashmem and the DRM shmem helpers keep their
 * objects. A textbook driver would vmalloc_user() the buffer and map it with
 * vm_insert_page() or remap_pfn_range() instead, and break programs that
 * rely on file-backed shared memory: such pages have no page->mapping, so a
 * process-shared futex on them fails with EFAULT (glibc aborts in
 * pthread_mutex_lock() under contention), and after MADV_DONTNEED nothing
 * can fault them back in. Page-cache pages have none of those problems.
 *
 * "Allocated, zeroed and resident at load" is kept by reading every page in
 * at creation (new shmem pages come zero-filled) and by marking the mapping
 * unevictable, so reclaim never swaps the buffer out.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/shmem_fs.h>
#include <uapi/linux/fcntl.h>

#include "compat.h"
#include "mmio_shm.h"

/**
 * mmio_shm_size_limit() - largest buffer size a device may have
 *
 * Half of RAM: anything larger is a typing error, not a buffer, and would
 * push the machine into the OOM killer while the module loads.
 *
 * Return: the limit in bytes.
 */
size_t mmio_shm_size_limit(void)
{
	return (totalram_pages() / 2) << PAGE_SHIFT;
}

/* Bring pages [@first, @last) of the buffer into the page cache. */
static int mmio_shm_buf_populate(struct mmio_shm_buf *buf, pgoff_t first,
				 pgoff_t last)
{
	struct address_space *mapping = buf->file->f_mapping;
	struct page *page;
	pgoff_t index;

	for (index = first; index < last; index++) {
		page = shmem_read_mapping_page(mapping, index);
		if (IS_ERR(page))
			return PTR_ERR(page);
		/*
		 * A new shmem page is clean until written, and drop_caches
		 * drops clean page-cache pages however unevictable: dirty
		 * pages are kept.
		 */
		set_page_dirty(page);
		/* the page cache keeps its own reference */
		put_page(page);
		cond_resched();
	}
	return 0;
}

/*
 * Seal the shmem file against growing. read()/write() on the device run
 * without the device lock, so a write that was clamped to the old size can
 * race a shrinking resize; the seal makes such a write fail instead of
 * silently growing the buffer again. Only resize lifts it, to grow.
 */
static void mmio_shm_buf_seal_grow(struct mmio_shm_buf *buf, bool seal)
{
	struct inode *inode = file_inode(buf->file);

	inode_lock(inode);
	if (seal)
		SHMEM_I(inode)->seals |= F_SEAL_GROW;
	else
		SHMEM_I(inode)->seals &= ~F_SEAL_GROW;
	inode_unlock(inode);
}

/**
 * mmio_shm_buf_init() - create a buffer and bring all of its pages in
 * @buf:  the buffer to set up
 * @name: name of the shmem file, seen only in /proc/PID/maps
 * @size: size in bytes, a whole number of pages
 *
 * Return: 0, or a negative errno with nothing left allocated.
 */
int mmio_shm_buf_init(struct mmio_shm_buf *buf, const char *name, size_t size)
{
	struct file *file;
	int ret;

	/* flags 0: charge the whole size to the commit limit now */
	file = shmem_file_setup(name, size, 0);
	if (IS_ERR(file))
		return PTR_ERR(file);
	buf->file = file;
	buf->size = size;

	/* before the pages exist, so each goes straight to the unevictable LRU */
	mapping_set_unevictable(file->f_mapping);
	mmio_shm_buf_seal_grow(buf, true);

	ret = mmio_shm_buf_populate(buf, 0, size >> PAGE_SHIFT);
	if (ret)
		goto err_release;
	return 0;

err_release:
	mmio_shm_buf_release(buf);
	return ret;
}

/**
 * mmio_shm_buf_release() - free a buffer
 * @buf: a buffer set up by mmio_shm_buf_init(), mapped by nobody
 *
 * Dropping the last reference truncates the shmem file, which frees its
 * pages whether or not they are on the unevictable list.
 */
void mmio_shm_buf_release(struct mmio_shm_buf *buf)
{
	mapping_clear_unevictable(buf->file->f_mapping);
	fput(buf->file);
	buf->file = NULL;
}

/**
 * mmio_shm_buf_resize() - change the size of an unmapped buffer
 * @buf:      the buffer; the caller holds the device lock and has checked
 *            that nothing maps it
 * @new_size: new size in bytes, a whole number of pages
 *
 * Contents up to the smaller of the two sizes are kept; pages added by
 * growing are new, zero-filled and resident like the others.
 *
 * Return: 0, or a negative errno with the buffer unchanged.
 */
int mmio_shm_buf_resize(struct mmio_shm_buf *buf, size_t new_size)
{
	size_t old_size = buf->size;
	int ret;

	if (new_size == old_size)
		return 0;

	if (new_size < old_size) {
		ret = vfs_truncate(&buf->file->f_path, new_size);
		if (ret)
			return ret;
		WRITE_ONCE(buf->size, new_size);
		return 0;
	}

	mmio_shm_buf_seal_grow(buf, false);
	ret = vfs_truncate(&buf->file->f_path, new_size);
	mmio_shm_buf_seal_grow(buf, true);
	if (ret)
		return ret;

	ret = mmio_shm_buf_populate(buf, old_size >> PAGE_SHIFT,
				    new_size >> PAGE_SHIFT);
	if (ret)
		goto err_shrink;
	WRITE_ONCE(buf->size, new_size);
	return 0;

err_shrink:
	/* shrinking is allowed under the seal and frees what was brought in */
	vfs_truncate(&buf->file->f_path, old_size);
	return ret;
}

/**
 * mmio_shm_buf_zero() - overwrite the whole buffer with zeroes
 * @buf: the buffer; the caller holds the device lock so the size is stable
 *
 * Works while the buffer is mapped: the pages stay where they are, and
 * every mapping sees the zeroes.
 *
 * Return: 0, or a negative errno.
 */
int mmio_shm_buf_zero(struct mmio_shm_buf *buf)
{
	struct address_space *mapping = buf->file->f_mapping;
	pgoff_t index, last = buf->size >> PAGE_SHIFT;
	struct page *page;

	for (index = 0; index < last; index++) {
		page = shmem_read_mapping_page(mapping, index);
		if (IS_ERR(page))
			return PTR_ERR(page);
		clear_highpage(page);
		flush_dcache_page(page);
		set_page_dirty(page);
		put_page(page);
		cond_resched();
	}
	return 0;
}
