// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO_SHM_IOC_WAIT's absolute CLOCK_MONOTONIC deadline: a deadline in the
 * past only checks, a future one ends the wait with ETIMEDOUT no earlier
 * than itself, and a signal ends it with EINTR only when the handler was
 * installed without SA_RESTART; with SA_RESTART the kernel restarts the
 * same call, which then still ends at the ring (or at the same deadline).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/syscall.h>

#include "helpers.h"
#include "kselftest_harness.h"

static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
	handled++;
}

static void install(int flags)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	handled = 0;
}

/* one raw WAIT; returns ioctl's result with errno in *err */
static int wait_until(int fd, uint64_t seq, uint64_t deadline, uint64_t *cur,
		      int *err)
{
	struct mmio_shm_wait_args w = {
		.size = sizeof(w), .seq = seq, .deadline = deadline,
	};
	int ret = ioctl(fd, MMIO_SHM_IOC_WAIT, &w);

	*err = ret ? errno : 0;
	if (cur)
		*cur = w.cur_seq;
	return ret;
}

FIXTURE(dev) {
	int fd;		/* the device, opened O_RDWR */
	uint64_t seq;	/* doorbell sequence at setup */
};

FIXTURE_SETUP(dev)
{
	self->fd = open(shm_dev_path(), O_RDWR);
	if (self->fd < 0)
		SETUP_SKIP("cannot open %s: %s", shm_dev_path(), strerror(errno));
	self->seq = sysfs_read_num(shm_dev_name(), "doorbell_seq");
}

FIXTURE_TEARDOWN(dev)
{
	signal(SIGUSR1, SIG_DFL);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(dev, deadline_in_the_past_only_checks)
{
	uint64_t cur;
	int err;

	EXPECT_EQ(-1, wait_until(self->fd, self->seq, 0, &cur, &err));
	EXPECT_EQ(ETIMEDOUT, err);
	EXPECT_EQ(-1, wait_until(self->fd, self->seq, now_ns() - 1000, &cur,
				 &err));
	EXPECT_EQ(ETIMEDOUT, err);
	EXPECT_EQ(self->seq, cur);
	/* a ring already there is reported whatever the deadline */
	ASSERT_EQ(self->seq + 1, shm_notify(self->fd));
	EXPECT_EQ(0, wait_until(self->fd, self->seq, 0, &cur, &err));
	EXPECT_EQ(self->seq + 1, cur);
}

TEST_F(dev, deadline_is_absolute_monotonic)
{
	uint64_t start = now_ns(), deadline = start + 50 * 1000 * 1000ULL;
	uint64_t cur;
	int err;

	EXPECT_EQ(-1, wait_until(self->fd, self->seq, deadline, &cur, &err));
	EXPECT_EQ(ETIMEDOUT, err);
	/* never before the deadline it was given */
	EXPECT_LE(deadline, now_ns());
}

/*
 * A child waits; the parent signals it while it sleeps in WAIT, then
 * rings. Returns what the child's WAIT returned: 0 or the errno.
 */
static int signal_then_ring(struct __test_metadata *_metadata, int fd,
			    uint64_t seq, int sa_flags, int *handled_out)
{
	int pipefd[2], result[2] = { -1, -1 };
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (!pid) {
		int err;

		install(sa_flags);
		wait_until(fd, seq, MMIO_SHM_WAIT_FOREVER, NULL, &err);
		result[0] = err;
		result[1] = handled;
		write(pipefd[1], result, sizeof(result));
		_exit(0);
	}
	/* the handler is installed before the child sleeps in ioctl() */
	ASSERT_TRUE(wait_blocked_in(pid, SYS_ioctl, 10000));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	/* restarted: back to sleep in the same call; interrupted: gone */
	if (sa_flags & SA_RESTART) {
		usleep(100 * 1000);
		ASSERT_TRUE(wait_blocked_in(pid, SYS_ioctl, 10000));
	}
	shm_notify(fd);
	ASSERT_EQ(sizeof(result), read(pipefd[0], result, sizeof(result)));
	EXPECT_EQ(0, wait_child(pid));
	close(pipefd[0]);
	close(pipefd[1]);
	*handled_out = result[1];
	return result[0];
}

TEST_F(dev, signal_with_sa_restart_restarts_the_wait)
{
	int handled_by_child = 0;

	EXPECT_EQ(0, signal_then_ring(_metadata, self->fd, self->seq,
				      SA_RESTART, &handled_by_child));
	EXPECT_EQ(1, handled_by_child);
}

TEST_F(dev, signal_without_sa_restart_is_eintr)
{
	int handled_by_child = 0;

	EXPECT_EQ(EINTR, signal_then_ring(_metadata, self->fd, self->seq, 0,
					  &handled_by_child));
	EXPECT_EQ(1, handled_by_child);
}

TEST_HARNESS_MAIN
