// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_shm - file operations: open, read/write/seek like a fixed-size file,
 * ioctls, poll
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * Per-open state lives in file->private_data (struct mmio_shm_file).
 * read() and write() go through the shmem file's own read_iter/write_iter,
 * so they see exactly the bytes the mappings see. They hold the device's
 * resize_sem for reading, so the size they clamp to stays the size until
 * they are done: a write can never land past a shrinking resize, nor in
 * pages a growing one has yet to zero. The copy faults on the caller's
 * buffer with resize_sem held, so a buffer that is slow to fault in
 * (userfaultfd, FUSE) holds off RESIZE, and every read, write and ZERO
 * queued behind a waiting RESIZE: accepted and documented (docs/design.md,
 * "A slow user buffer holds resize_sem").
 *
 * The callbacks are named mmio_shm_fop_*() so that they are never mistaken
 * for the library's mmio_shm_*() functions that call them from user space.
 */
#include <linux/atomic.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "args.h"
#include "compat.h"
#include "mmio_shm_drv.h"

/**
 * mmio_shm_fop_open() - open a device node
 * @inode: the node's inode
 * @file:  the new open file; misc_open() left our struct miscdevice in
 *         its private_data
 *
 * Runs under misc_open()'s lock. While the module is still registering
 * its nodes (a later one may yet fail and unload it), opening is refused,
 * so no file can outlive a load that failed part-way.
 *
 * O_APPEND is refused (see mmio_shm_fop_check_flags()).
 *
 * Return: 0, -ENODEV while the load is not complete, -EINVAL for
 * O_APPEND, or -ENOMEM.
 */
static int mmio_shm_fop_open(struct inode *inode, struct file *file)
{
	struct mmio_shm_dev *dev = mmio_shm_dev_from_misc(file->private_data);
	struct mmio_shm_file *mf;

	if (!mmio_shm_nodes_ready())
		return -ENODEV;
	if (file->f_flags & O_APPEND)
		return -EINVAL;

	mf = kzalloc(sizeof(*mf), GFP_KERNEL);
	if (!mf)
		return -ENOMEM;
	mf->dev = dev;
	mf->seen_seq = mmio_shm_doorbell_seq(dev);
	mf->endpoint = -1;
	/* per-open state from here on */
	file->private_data = mf;
	atomic_inc(&dev->nr_open);
	return 0;
}

/*
 * fcntl(F_SETFL) asks here before it changes the flags. O_APPEND would put
 * every write at the end of a buffer that never grows, where it can only
 * fail with ENOSPC; ignoring it, as earlier versions did, wrote at the
 * file position instead (a shell's ">>" overwrote the start). Refused, at
 * open and here, as NFS refuses O_APPEND with O_DIRECT.
 */
static int mmio_shm_fop_check_flags(int flags)
{
	return flags & O_APPEND ? -EINVAL : 0;
}

/* Runs once the last fd is closed and the last VMA mapped through it is gone. */
static int mmio_shm_fop_release(struct inode *inode, struct file *file)
{
	struct mmio_shm_file *mf = file->private_data;

	/* a bound peer is gone: tell the others through the doorbell */
	mmio_shm_endpoint_release(mf);
	atomic_dec(&mf->dev->nr_open);
	kfree(mf);
	return 0;
}

static loff_t mmio_shm_fop_llseek(struct file *file, loff_t offset, int whence)
{
	struct mmio_shm_file *mf = file->private_data;

	/* like a regular file: SEEK_END is relative to the size, past it is allowed */
	return generic_file_llseek_size(file, offset, whence, MAX_LFS_FILESIZE,
					READ_ONCE(mf->dev->buf.size));
}

static ssize_t mmio_shm_fop_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct mmio_shm_file *mf = iocb->ki_filp->private_data;
	struct mmio_shm_dev *dev = mf->dev;
	loff_t pos = iocb->ki_pos;
	ssize_t ret;

	ret = down_read_killable(&dev->resize_sem);
	if (ret)
		return ret;
	if (pos >= dev->buf.size) {
		ret = 0;
		goto out_unlock;
	}
	/* never read past the end of the buffer */
	iov_iter_truncate(to, dev->buf.size - pos);
	ret = vfs_iter_read(dev->buf.file, to, &pos, 0);
	if (ret > 0)
		iocb->ki_pos = pos;
out_unlock:
	up_read(&dev->resize_sem);
	return ret;
}

static ssize_t mmio_shm_fop_write_iter(struct kiocb *iocb,
				       struct iov_iter *from)
{
	struct mmio_shm_file *mf = iocb->ki_filp->private_data;
	struct mmio_shm_dev *dev = mf->dev;
	loff_t pos = iocb->ki_pos;
	ssize_t ret;

	if (!iov_iter_count(from))
		return 0;
	ret = down_read_killable(&dev->resize_sem);
	if (ret)
		return ret;
	/* the buffer has a fixed size: writes never grow it */
	if (pos >= dev->buf.size) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	iov_iter_truncate(from, dev->buf.size - pos);
	ret = vfs_iter_write(dev->buf.file, from, &pos, 0);
	if (ret > 0)
		iocb->ki_pos = pos;
out_unlock:
	up_read(&dev->resize_sem);
	return ret;
}

static __poll_t mmio_shm_fop_poll(struct file *file, poll_table *wait)
{
	struct mmio_shm_file *mf = file->private_data;
	struct mmio_shm_dev *dev = mf->dev;

	poll_wait(file, &dev->seq_wq, wait);
	/* readable while the doorbell rang since this file last waited */
	if (mmio_shm_doorbell_seq(dev) != READ_ONCE(mf->seen_seq))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

static long mmio_shm_ioctl_info(struct mmio_shm_dev *dev, void __user *uarg)
{
	struct mmio_shm_info_args args;
	int ret;

	ret = mmio_shm_args_in(&args, sizeof(args),
			       MMIO_SHM_INFO_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (args.flags || args.reserved)
		return -EINVAL;

	args.buf_size = READ_ONCE(dev->buf.size);
	args.seq = mmio_shm_doorbell_seq(dev);
	args.version = MMIO_SHM_VERSION;
	args.nr_open = atomic_read(&dev->nr_open);
	args.nr_maps = atomic_read(&dev->nr_maps);

	return mmio_shm_args_out(uarg, &args, sizeof(args));
}

static long mmio_shm_ioctl_resize(struct file *file, struct mmio_shm_dev *dev,
				  void __user *uarg)
{
	struct mmio_shm_resize_args args;
	int ret;

	ret = mmio_shm_args_in(&args, sizeof(args),
			       MMIO_SHM_RESIZE_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (args.flags || !args.new_size)
		return -EINVAL;
	/* like ftruncate(2): changing the size needs a writable file */
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;

	ret = down_write_killable(&dev->resize_sem);
	if (ret)
		return ret;
	ret = mmio_shm_buf_resize(dev, args.new_size);
	up_write(&dev->resize_sem);
	return ret;
}

static long mmio_shm_ioctl_zero(struct file *file, struct mmio_shm_dev *dev,
				void __user *uarg)
{
	struct mmio_shm_zero_args args;
	int ret;

	ret = mmio_shm_args_in(&args, sizeof(args),
			       MMIO_SHM_ZERO_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (args.flags)
		return -EINVAL;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;

	ret = down_read_killable(&dev->resize_sem);
	if (ret)
		return ret;
	ret = mmio_shm_buf_zero(dev, args.offset, args.length);
	up_read(&dev->resize_sem);
	return ret;
}

static long mmio_shm_ioctl_notify(struct mmio_shm_dev *dev, void __user *uarg)
{
	struct mmio_shm_notify_args args;
	int ret;

	ret = mmio_shm_args_in(&args, sizeof(args),
			       MMIO_SHM_NOTIFY_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (args.flags)
		return -EINVAL;
	/* a ring cannot be taken back: fail on a read-only argument first */
	if (mmio_shm_args_out(uarg, &args, sizeof(args)))
		return -EFAULT;

	args.seq = mmio_shm_doorbell_ring(dev);

	return mmio_shm_args_out(uarg, &args, sizeof(args));
}

static long mmio_shm_ioctl_wait(struct mmio_shm_file *mf, void __user *uarg)
{
	struct mmio_shm_wait_args args;
	int ret;

	ret = mmio_shm_args_in(&args, sizeof(args),
			       MMIO_SHM_WAIT_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (args.flags)
		return -EINVAL;

	/*
	 * -ERESTARTSYS on a signal: the deadline is absolute, so the kernel
	 * may run the same call again for an SA_RESTART handler.
	 */
	ret = mmio_shm_doorbell_wait(mf->dev, args.seq, args.deadline,
				     &args.cur_seq);
	/* this file has now seen cur_seq: poll() stops reporting it */
	WRITE_ONCE(mf->seen_seq, args.cur_seq);

	if (mmio_shm_args_out(uarg, &args, sizeof(args)))
		return -EFAULT;
	return ret;
}

/**
 * mmio_shm_fop_ioctl() - dispatch an ioctl to its handler
 * @file: the open device file
 * @cmd:  one of the MMIO_SHM_IOC_* numbers; they carry no size, so a
 *        caller built against a longer argument struct reaches the same case
 * @arg:  user pointer to the command's argument struct
 *
 * Return: the handler's result, or -ENOTTY for an unknown command.
 */
static long mmio_shm_fop_ioctl(struct file *file, unsigned int cmd,
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
		return mmio_shm_ioctl_zero(file, mf->dev, uarg);
	case MMIO_SHM_IOC_NOTIFY:
		return mmio_shm_ioctl_notify(mf->dev, uarg);
	case MMIO_SHM_IOC_WAIT:
		return mmio_shm_ioctl_wait(mf, uarg);
	case MMIO_SHM_IOC_BIND:
		return mmio_shm_ioctl_bind(mf, uarg);
	case MMIO_SHM_IOC_PEER:
		return mmio_shm_ioctl_peer(mf->dev, uarg);
	case MMIO_SHM_IOC_EXPORT:
		return mmio_shm_ioctl_export(file, mf->dev, uarg);
	default:
		return -ENOTTY;
	}
}

const struct file_operations mmio_shm_fops = {
	.owner		= THIS_MODULE,
	.open		= mmio_shm_fop_open,
	.release	= mmio_shm_fop_release,
	.llseek		= mmio_shm_fop_llseek,
	.read_iter	= mmio_shm_fop_read_iter,
	.write_iter	= mmio_shm_fop_write_iter,
	.splice_read	= mmio_shm_splice_read,
	.splice_write	= iter_file_splice_write,
	.mmap		= mmio_shm_fop_mmap,
	.get_unmapped_area = mmio_shm_fop_get_unmapped_area,
	.poll		= mmio_shm_fop_poll,
	.unlocked_ioctl	= mmio_shm_fop_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.check_flags	= mmio_shm_fop_check_flags,
};
