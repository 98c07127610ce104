// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_shm - file operations: open, read/write/seek like a fixed-size file,
 * ioctls, poll
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * Per-open state lives in file->private_data (struct mmio_shm_file).
 * read() and write() go through the shmem file's own read_iter/write_iter,
 * so they see exactly the bytes the mappings see.
 */
#include <linux/atomic.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "compat.h"
#include "mmio_shm.h"

static int mmio_shm_open(struct inode *inode, struct file *file)
{
	/* misc_open() left our struct miscdevice here */
	struct mmio_shm_dev *dev = mmio_shm_dev_from_misc(file->private_data);
	struct mmio_shm_file *mf;

	mf = kzalloc(sizeof(*mf), GFP_KERNEL);
	if (!mf)
		return -ENOMEM;
	mf->dev = dev;
	mf->seen_seq = mmio_shm_doorbell_seq(dev);
	file->private_data = mf;
	atomic_inc(&dev->nr_open);
	return 0;
}

/* Runs once the last fd is closed and the last VMA mapped through it is gone. */
static int mmio_shm_release(struct inode *inode, struct file *file)
{
	struct mmio_shm_file *mf = file->private_data;

	atomic_dec(&mf->dev->nr_open);
	kfree(mf);
	return 0;
}

static loff_t mmio_shm_llseek(struct file *file, loff_t offset, int whence)
{
	struct mmio_shm_file *mf = file->private_data;

	/* like a regular file: SEEK_END is relative to the size, past it is allowed */
	return generic_file_llseek_size(file, offset, whence, MAX_LFS_FILESIZE,
					READ_ONCE(mf->dev->buf.size));
}

static ssize_t mmio_shm_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct mmio_shm_file *mf = iocb->ki_filp->private_data;
	struct mmio_shm_buf *buf = &mf->dev->buf;
	size_t size = READ_ONCE(buf->size);
	loff_t pos = iocb->ki_pos;
	ssize_t ret;

	if (pos >= size)
		return 0;
	/* never read past the end of the buffer */
	iov_iter_truncate(to, size - pos);
	ret = vfs_iter_read(buf->file, to, &pos, 0);
	if (ret > 0)
		iocb->ki_pos = pos;
	return ret;
}

static ssize_t mmio_shm_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct mmio_shm_file *mf = iocb->ki_filp->private_data;
	struct mmio_shm_buf *buf = &mf->dev->buf;
	size_t size = READ_ONCE(buf->size);
	loff_t pos = iocb->ki_pos;
	ssize_t ret;

	if (!iov_iter_count(from))
		return 0;
	/* the buffer has a fixed size: writes never grow it */
	if (pos >= size)
		return -ENOSPC;
	iov_iter_truncate(from, size - pos);
	ret = vfs_iter_write(buf->file, from, &pos, 0);
	/* lost a race with a shrinking resize: the grow seal refused it */
	if (ret == -EPERM)
		return -ENOSPC;
	if (ret > 0)
		iocb->ki_pos = pos;
	return ret;
}

static __poll_t mmio_shm_poll(struct file *file, poll_table *wait)
{
	struct mmio_shm_file *mf = file->private_data;
	struct mmio_shm_dev *dev = mf->dev;

	poll_wait(file, &dev->seq_wq, wait);
	/* readable while the doorbell rang since this file last waited */
	if (mmio_shm_doorbell_seq(dev) != READ_ONCE(mf->seen_seq))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

/*
 * Copy an ioctl argument in. Every argument starts with its own size:
 * a shorter struct than @min_size is refused, a longer one is accepted
 * only if the bytes this kernel does not know are zero.
 */
static int mmio_shm_copy_arg(void *karg, size_t ksize, size_t min_size,
			     const void __user *uarg, u32 *usize)
{
	if (get_user(*usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (*usize < min_size)
		return -EINVAL;
	if (*usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, *usize);
}

static long mmio_shm_ioctl_info(struct mmio_shm_dev *dev, void __user *uarg)
{
	struct mmio_shm_info info;
	u32 usize;
	int ret;

	ret = mmio_shm_copy_arg(&info, sizeof(info), sizeof(info), uarg, &usize);
	if (ret)
		return ret;
	if (info.flags || info.reserved)
		return -EINVAL;

	info.buf_size = READ_ONCE(dev->buf.size);
	info.seq = mmio_shm_doorbell_seq(dev);
	info.version = MMIO_SHM_VERSION;
	info.nr_open = atomic_read(&dev->nr_open);
	info.nr_maps = atomic_read(&dev->nr_maps);

	if (copy_to_user(uarg, &info, min_t(size_t, usize, sizeof(info))))
		return -EFAULT;
	return 0;
}

static long mmio_shm_ioctl_resize(struct file *file, struct mmio_shm_dev *dev,
				  void __user *uarg)
{
	struct mmio_shm_resize arg;
	u32 usize;
	int ret;

	ret = mmio_shm_copy_arg(&arg, sizeof(arg), sizeof(arg), uarg, &usize);
	if (ret)
		return ret;
	if (arg.flags || !arg.new_size)
		return -EINVAL;
	/* like ftruncate(2): changing the size needs a writable file */
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (arg.new_size > mmio_shm_size_limit())
		return -ENOMEM;

	mutex_lock(&dev->lock);
	/* a mapped buffer cannot change under its mappings */
	if (atomic_read(&dev->nr_maps))
		ret = -EBUSY;
	else
		ret = mmio_shm_buf_resize(&dev->buf, PAGE_ALIGN(arg.new_size));
	mutex_unlock(&dev->lock);
	return ret;
}

static long mmio_shm_ioctl_zero(struct file *file, struct mmio_shm_dev *dev)
{
	int ret;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	mutex_lock(&dev->lock);
	ret = mmio_shm_buf_zero(&dev->buf);
	mutex_unlock(&dev->lock);
	return ret;
}

static long mmio_shm_ioctl_notify(struct mmio_shm_dev *dev, void __user *uarg)
{
	struct mmio_shm_notify arg;
	u32 usize;
	int ret;

	ret = mmio_shm_copy_arg(&arg, sizeof(arg), sizeof(arg), uarg, &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return -EINVAL;
	/* a ring cannot be taken back: fail on a read-only argument first */
	if (copy_to_user(uarg, &arg, min_t(size_t, usize, sizeof(arg))))
		return -EFAULT;

	arg.seq = mmio_shm_doorbell_ring(dev);

	if (copy_to_user(uarg, &arg, min_t(size_t, usize, sizeof(arg))))
		return -EFAULT;
	return 0;
}

static long mmio_shm_ioctl_wait(struct mmio_shm_file *mf, void __user *uarg)
{
	struct mmio_shm_wait arg;
	u32 usize;
	int ret;

	ret = mmio_shm_copy_arg(&arg, sizeof(arg), sizeof(arg), uarg, &usize);
	if (ret)
		return ret;
	if (arg.flags)
		return -EINVAL;

	ret = mmio_shm_doorbell_wait(mf->dev, arg.seq, arg.timeout_ns,
				     &arg.cur_seq);
	/* this file has now seen cur_seq: poll() stops reporting it */
	WRITE_ONCE(mf->seen_seq, arg.cur_seq);

	if (copy_to_user(uarg, &arg, min_t(size_t, usize, sizeof(arg))))
		return -EFAULT;
	return ret;
}

static long mmio_shm_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct mmio_shm_file *mf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case MMIO_SHM_IOC_INFO:
		return mmio_shm_ioctl_info(mf->dev, uarg);
	case MMIO_SHM_IOC_RESIZE:
		return mmio_shm_ioctl_resize(file, mf->dev, uarg);
	case MMIO_SHM_IOC_ZERO:
		return mmio_shm_ioctl_zero(file, mf->dev);
	case MMIO_SHM_IOC_NOTIFY:
		return mmio_shm_ioctl_notify(mf->dev, uarg);
	case MMIO_SHM_IOC_WAIT:
		return mmio_shm_ioctl_wait(mf, uarg);
	default:
		return -ENOTTY;
	}
}

const struct file_operations mmio_shm_fops = {
	.owner		= THIS_MODULE,
	.open		= mmio_shm_open,
	.release	= mmio_shm_release,
	.llseek		= mmio_shm_llseek,
	.read_iter	= mmio_shm_read_iter,
	.write_iter	= mmio_shm_write_iter,
	.splice_read	= mmio_shm_splice_read,
	.splice_write	= iter_file_splice_write,
	.mmap		= mmio_shm_mmap,
	.poll		= mmio_shm_poll,
	.unlocked_ioctl	= mmio_shm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};
