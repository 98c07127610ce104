// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_shm - the doorbell: a per-device sequence number to ring and wait on
 *
 * Copyright (C) 2026 The mmio_shm authors
 *
 * Processes that share the buffer need a way to say "there is new data"
 * without spinning. MMIO_SHM_IOC_NOTIFY increments the device's sequence and
 * wakes every waiter; MMIO_SHM_IOC_WAIT sleeps until the sequence passes a
 * value the caller saw; poll() and epoll report a file readable while the
 * sequence differs from the one that file last collected with a wait.
 */
#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>

#include "compat.h"
#include "mmio_shm_drv.h"

/**
 * mmio_shm_doorbell_init() - set up the doorbell of a new device
 * @dev: the device
 */
void mmio_shm_doorbell_init(struct mmio_shm_dev *dev)
{
	atomic64_set(&dev->seq, 0);
	init_waitqueue_head(&dev->seq_wq);
}

/**
 * mmio_shm_doorbell_seq() - the current sequence number
 * @dev: the device
 *
 * An acquire read, paired with the release increment in
 * mmio_shm_doorbell_ring(): whoever sees a sequence number also sees every
 * store the ringer made to the buffer (through a mapping or write())
 * before it rang. That is what lets a waiter read the data it was woken
 * for without any other barrier.
 *
 * Return: how many times the doorbell was rung since the module was loaded.
 */
u64 mmio_shm_doorbell_seq(struct mmio_shm_dev *dev)
{
	return atomic64_read_acquire(&dev->seq);
}

/**
 * mmio_shm_doorbell_ring() - increment the sequence and wake all waiters
 * @dev: the device
 *
 * The increment has release ordering (see mmio_shm_doorbell_seq()). A
 * waiter cannot miss it: it checks the sequence after queueing itself and
 * setting its task state, and the wake-up below takes the queue's lock.
 *
 * Return: the sequence number after this ring.
 */
u64 mmio_shm_doorbell_ring(struct mmio_shm_dev *dev)
{
	u64 seq = atomic64_inc_return_release(&dev->seq);

	wake_up_interruptible_all(&dev->seq_wq);
	return seq;
}

/**
 * mmio_shm_doorbell_wait() - sleep until the sequence passes @seq
 * @dev:      the device
 * @seq:      a sequence number the caller has seen
 * @deadline: absolute CLOCK_MONOTONIC time in ns, as the caller reads that
 *            clock in its time namespace; one already past only checks,
 *            MMIO_SHM_WAIT_FOREVER never comes
 * @cur_seq:  returns the sequence number at the end of the wait
 *
 * Return: 0 once the sequence is greater than @seq, -ETIMEDOUT when the
 * deadline came first, -ERESTARTSYS when a signal came first (the
 * deadline being absolute, the call may be restarted as it was).
 */
int mmio_shm_doorbell_wait(struct mmio_shm_dev *dev, u64 seq, u64 deadline,
			   u64 *cur_seq)
{
	/* the timer runs on the host's clock, not the namespace's */
	ktime_t expires =
		mmio_shm_timens_mono_to_host(min_t(u64, deadline, KTIME_MAX));
	ktime_t *timeout = deadline == MMIO_SHM_WAIT_FOREVER ? NULL : &expires;
	DEFINE_WAIT(wait);
	int ret = 0;

	for (;;) {
		prepare_to_wait(&dev->seq_wq, &wait, TASK_INTERRUPTIBLE);
		if (mmio_shm_doorbell_seq(dev) > seq)
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		/* 0: the deadline passed; -EINTR: woken by a ring or signal */
		if (!schedule_hrtimeout_range(timeout, current->timer_slack_ns,
					      HRTIMER_MODE_ABS)) {
			ret = -ETIMEDOUT;
			break;
		}
	}
	finish_wait(&dev->seq_wq, &wait);

	*cur_seq = mmio_shm_doorbell_seq(dev);
	/* a ring that came with the deadline or the signal still counts */
	return *cur_seq > seq ? 0 : ret;
}
