// SPDX-License-Identifier: GPL-2.0
/*
 * Doorbell: MMIO_SHM_IOC_NOTIFY rings a per-device sequence number and wakes
 * every waiter; MMIO_SHM_IOC_WAIT sleeps until the sequence passes a value;
 * poll() and epoll report a file readable while the device's sequence
 * differs from the one that file last collected with a wait.
 *
 * Policy observed in kernel/fops.c and checked here: the doorbell is not
 * part of the buffer, so NOTIFY and WAIT work on any open file, O_RDONLY
 * included (only RESIZE and ZERO, which change the buffer, need FMODE_WRITE).
 * WAIT's deadline is absolute (CLOCK_MONOTONIC): a deadline in the past
 * only checks, and a signal ends a wait with EINTR only when its handler
 * was installed without SA_RESTART; with SA_RESTART the kernel restarts
 * the same call, which still ends at the same deadline. The deadline is
 * read on CLOCK_MONOTONIC as the caller sees it, in its time namespace:
 * a process whose clock is ahead of or behind the host's waits as long as
 * one in the initial namespace.
 *
 * The argument rules every ioctl shares (size, flags, E2BIG, EFAULT,
 * ENOTTY) are ioctl_test.c's, the sysfs attributes sysfs_test.c's.
 *
 * The tests assume nothing else rings the device while they run (the suite
 * runs one test at a time), so sequence numbers are checked exactly.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>

#include "fixture.h"

/* how long anything may take to wake up in a slow guest */
#define WAKE_MS		10000
#define NSEC_PER_MSEC	1000000ULL

/* the device's sequence number as MMIO_SHM_IOC_INFO reports it, or -1 */
static uint64_t cur_seq(int fd)
{
	struct mmio_shm_info_args info;

	if (shm_info(fd, &info))
		return (uint64_t)-1;
	return info.seq;
}

#ifdef SYS_poll
#define POLL_NR		SYS_poll
#else
#define POLL_NR		SYS_ppoll
#endif
#ifdef SYS_epoll_wait
#define EPOLL_WAIT_NR	SYS_epoll_wait
#else
#define EPOLL_WAIT_NR	SYS_epoll_pwait
#endif

static volatile sig_atomic_t nr_usr1, nr_usr2;

static void on_usr1(int sig)
{
	nr_usr1++;
}

static void on_usr2(int sig)
{
	nr_usr2++;
}

static int set_handler(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = { .sa_handler = fn, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

/* rings the doorbell through a file of its own, as another process would */
static uint64_t notify_from_own_fd(void)
{
	int fd = open(shm_dev_path(), O_RDWR);
	uint64_t seq;

	if (fd < 0)
		return (uint64_t)-1;
	seq = shm_notify(fd);
	close(fd);
	return seq;
}

/* a child that rings the doorbell once, through its own file, and exits */
static int notify_in_child(void)
{
	pid_t pid = fork_child();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(notify_from_own_fd() == (uint64_t)-1 ? 1 : 0);
	return wait_child(pid);
}

enum poke { POKE_NOTIFY, POKE_SIGNAL };

/*
 * Forks a child that waits until this process sleeps in system call @nr,
 * then pokes it: rings the doorbell through its own file, or sends SIGUSR1.
 * If this process has not closed *@done_fd WAKE_MS later (it did not wake),
 * the child sends SIGUSR2 so that a broken wake-up fails the test instead of
 * hanging it. Exit status: 0 ok, 1 this process never slept in @nr,
 * 2 the poke failed, 3 the rescue signal was needed.
 */
static pid_t start_poker(long nr, enum poke what, int *done_fd)
{
	pid_t parent = getpid();
	struct pollfd p;
	int pfd[2];
	pid_t pid;

	if (pipe(pfd))
		return -1;
	pid = fork_child();
	if (pid != 0) {
		close(pfd[0]);
		*done_fd = pfd[1];
		return pid;
	}

	close(pfd[1]);
	p = (struct pollfd){ .fd = pfd[0], .events = POLLIN };
	if (!wait_blocked_in(parent, nr, WAKE_MS)) {
		kill(parent, SIGUSR2);
		_exit(1);
	}
	if (what == POKE_NOTIFY ? notify_from_own_fd() == (uint64_t)-1 :
				  kill(parent, SIGUSR1) != 0) {
		kill(parent, SIGUSR2);
		_exit(2);
	}
	if (poll(&p, 1, WAKE_MS) != 1) {
		kill(parent, SIGUSR2);
		_exit(3);
	}
	_exit(0);
}

/* Every NOTIFY returns the sequence after it, one more than before. */
TEST_F(dev, notify_returns_increasing_seq)
{
	uint64_t before = cur_seq(self->fd), a, b;

	ASSERT_NE((uint64_t)-1, before);
	a = shm_notify(self->fd);
	ASSERT_EQ(before + 1, a);
	b = shm_notify(self->fd);
	ASSERT_EQ(a + 1, b);
	ASSERT_EQ(b, cur_seq(self->fd));
}

/* WAIT for a sequence already passed returns 0 at once, even "forever". */
TEST_F(dev, wait_below_current_seq_returns_at_once)
{
	uint64_t seq = shm_notify(self->fd), seen;

	ASSERT_NE((uint64_t)-1, seq);
	ASSERT_EQ(0, shm_wait(self->fd, seq - 1, MMIO_SHM_WAIT_FOREVER, &seen));
	ASSERT_EQ(seq, seen);
	ASSERT_EQ(0, shm_wait(self->fd, seq - 1, 0, &seen));
	ASSERT_EQ(seq, seen);
	ASSERT_EQ(0, shm_wait(self->fd, 0, 1, &seen));
	ASSERT_EQ(seq, seen);
}

/* WAIT with timeout 0 and nothing new fails at once with ETIMEDOUT. */
TEST_F(dev, wait_zero_timeout_nothing_new_fails_etimedout)
{
	uint64_t seq = cur_seq(self->fd), seen;

	ASSERT_EQ(-1, shm_wait(self->fd, seq, 0, &seen));
	ASSERT_EQ(ETIMEDOUT, errno);
	ASSERT_EQ(seq, seen);
	/* waiting for a sequence beyond the current one is no different */
	ASSERT_EQ(-1, shm_wait(self->fd, seq + 5, 0, &seen));
	ASSERT_EQ(ETIMEDOUT, errno);
	ASSERT_EQ(seq, seen);
}

/* WAIT with a 50 ms timeout sleeps at least 50 ms, then ETIMEDOUT. */
TEST_F(dev, wait_short_timeout_sleeps_at_least_the_timeout)
{
	const uint64_t timeout = 50 * NSEC_PER_MSEC;
	uint64_t seq = cur_seq(self->fd), seen, start, took;

	start = now_ns();
	ASSERT_EQ(-1, shm_wait(self->fd, seq, timeout, &seen));
	ASSERT_EQ(ETIMEDOUT, errno);
	took = now_ns() - start;
	ASSERT_EQ(seq, seen);
	/* only the lower bound: a loaded guest may oversleep a lot */
	ASSERT_LE(timeout, took);
}

/* A deadline is a point on CLOCK_MONOTONIC: one in the past only checks. */
TEST_F(dev, wait_deadline_is_absolute_monotonic)
{
	struct mmio_shm_wait_args w = { .size = sizeof(w) };
	uint64_t seq = cur_seq(self->fd);

	w.seq = seq;
	w.deadline = now_ns() - NSEC_PER_MSEC;
	ASSERT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_WAIT, &w));
	ASSERT_EQ(ETIMEDOUT, errno);
	/* never returns before the deadline it was given */
	w.deadline = now_ns() + 50 * NSEC_PER_MSEC;
	ASSERT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_WAIT, &w));
	ASSERT_EQ(ETIMEDOUT, errno);
	ASSERT_LE(w.deadline, now_ns());
	/* a ring already there is reported whatever the deadline */
	ASSERT_EQ(seq + 1, shm_notify(self->fd));
	w.deadline = 0;
	ASSERT_EQ(0, ioctl(self->fd, MMIO_SHM_IOC_WAIT, &w));
	ASSERT_EQ(seq + 1, w.cur_seq);
}

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME	0x00000080
#endif

/* how far ahead of its start a WAIT in a time namespace has its deadline */
#define TIMENS_WAIT_MS	300

/*
 * Puts this process's future children in a new time namespace whose
 * CLOCK_MONOTONIC is @offset_s seconds off the host's, forks one, and has
 * it WAIT on nothing with a deadline TIMENS_WAIT_MS ahead on its own
 * clock. The child reports its clock when it started, how long the WAIT
 * took on that clock and the WAIT's errno. Skips where there are no time
 * namespaces (CONFIG_TIME_NS) or no right to make one.
 */
static void wait_in_time_namespace(struct __test_metadata *_metadata,
				   FIXTURE_DATA(dev) *self, long offset_s)
{
	struct { uint64_t start, took; int err; } r = { 0 };
	uint64_t host_start;
	char line[64];
	int pfd[2], ofd, len;
	pid_t pid;

	if (unshare(CLONE_NEWTIME)) {
		if (errno == EINVAL)
			SKIP(return, "no time namespaces (CONFIG_TIME_NS off)");
		SKIP(return, "unshare(CLONE_NEWTIME): %s", strerror(errno));
	}
	/* the offsets of the children's namespace, before any child is in it */
	ofd = open("/proc/self/timens_offsets", O_WRONLY);
	ASSERT_LE(0, ofd) TH_LOG("timens_offsets: %s", strerror(errno));
	len = snprintf(line, sizeof(line), "%d %ld 0\n", CLOCK_MONOTONIC,
		       offset_s);
	ASSERT_EQ(len, write(ofd, line, len)) TH_LOG("%s", strerror(errno));
	close(ofd);

	ASSERT_EQ(0, pipe(pfd));
	host_start = now_ns();
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct mmio_shm_wait_args w = { .size = sizeof(w) };

		close(pfd[0]);
		w.seq = cur_seq(self->fd);
		r.start = now_ns();
		w.deadline = r.start + TIMENS_WAIT_MS * NSEC_PER_MSEC;
		r.err = ioctl(self->fd, MMIO_SHM_IOC_WAIT, &w) ? errno : 0;
		r.took = now_ns() - r.start;
		_exit(write(pfd[1], &r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	close(pfd[1]);
	ASSERT_EQ(sizeof(r), read(pfd[0], &r, sizeof(r)));
	close(pfd[0]);
	ASSERT_EQ(0, wait_child(pid));

	/* the child's clock was off by the offset (give it WAKE_MS to start) */
	ASSERT_LE(host_start + offset_s * 1000000000LL, r.start);
	ASSERT_GT(host_start + offset_s * 1000000000LL + WAKE_MS * NSEC_PER_MSEC,
		  r.start);
	ASSERT_EQ(ETIMEDOUT, r.err) TH_LOG("%s", strerror(r.err));
	/* never before the deadline, and not late by the offset either */
	ASSERT_LE(TIMENS_WAIT_MS * NSEC_PER_MSEC, r.took);
	ASSERT_GT((TIMENS_WAIT_MS + WAKE_MS) * NSEC_PER_MSEC, r.took)
		TH_LOG("a %d ms wait took %llu ms", TIMENS_WAIT_MS,
		       (unsigned long long)(r.took / NSEC_PER_MSEC));
}

/*
 * In a time namespace whose clock is 20 s ahead of the host's, a WAIT
 * with a deadline 300 ms ahead takes 300 ms, not 20.3 s.
 */
TEST_F(dev, wait_deadline_in_time_namespace_ahead_of_host_comes_on_time)
{
	wait_in_time_namespace(_metadata, self, 20);
}

/*
 * In a time namespace whose clock is behind the host's (by as much as it
 * can be: not below zero, at most 20 s), a WAIT with a deadline 300 ms
 * ahead sleeps 300 ms, not one that ends at once.
 */
TEST_F(dev, wait_deadline_in_time_namespace_behind_host_comes_on_time)
{
	long behind = now_ns() / 1000000000ULL;

	if (behind > 20)
		behind = 20;
	if (behind < 1)
		SKIP(return, "CLOCK_MONOTONIC is below 1 s: no room behind it");
	wait_in_time_namespace(_metadata, self, -behind);
}

/* Another process's NOTIFY wakes a WAIT that has no timeout. */
TEST_F(dev, notify_from_child_wakes_forever_wait)
{
	uint64_t seq = cur_seq(self->fd), seen = 0;
	int done, ret, err;
	pid_t pid;

	nr_usr2 = 0;
	ASSERT_EQ(0, set_handler(SIGUSR2, on_usr2, 0));
	pid = start_poker(SYS_ioctl, POKE_NOTIFY, &done);
	ASSERT_LT(0, pid);
	ret = shm_wait(self->fd, seq, MMIO_SHM_WAIT_FOREVER, &seen);
	err = errno;
	close(done);
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, nr_usr2);
	ASSERT_EQ(0, ret) TH_LOG("wait failed: %s", strerror(err));
	ASSERT_EQ(seq + 1, seen);
}

/*
 * A caught signal during a WAIT: SIGUSR1, with a handler installed with
 * @sa_flags, arrives while the test sleeps in a WAIT with a deadline 3 s
 * away. Checks what both outcomes share and returns the WAIT's errno.
 */
static int signal_during_wait(struct __test_metadata *_metadata,
			      FIXTURE_DATA(dev) *self, int sa_flags,
			      uint64_t *deadline)
{
	uint64_t seq = cur_seq(self->fd), seen = 0;
	int done, ret, err;
	pid_t pid;

	nr_usr1 = 0;
	nr_usr2 = 0;
	EXPECT_EQ(0, set_handler(SIGUSR1, on_usr1, sa_flags));
	EXPECT_EQ(0, set_handler(SIGUSR2, on_usr2, 0));
	pid = start_poker(SYS_ioctl, POKE_SIGNAL, &done);
	EXPECT_LT(0, pid);
	*deadline = now_ns() + 3000 * NSEC_PER_MSEC;
	{
		struct mmio_shm_wait_args w = {
			.size = sizeof(w), .seq = seq, .deadline = *deadline,
		};

		ret = ioctl(self->fd, MMIO_SHM_IOC_WAIT, &w);
		err = errno;
		seen = w.cur_seq;
	}
	close(done);
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(1, nr_usr1);
	EXPECT_EQ(0, nr_usr2);
	EXPECT_EQ(-1, ret);
	/* cur_seq is written back even for an interrupted wait */
	EXPECT_EQ(seq, seen);
	return err;
}

/* A caught signal ends a WAIT with EINTR when its handler has no SA_RESTART. */
TEST_F(dev, signal_ends_wait_with_eintr_without_sa_restart)
{
	uint64_t deadline;
	int err = signal_during_wait(_metadata, self, 0, &deadline);

	ASSERT_EQ(EINTR, err) TH_LOG("%s", strerror(err));
}

/*
 * With SA_RESTART the kernel restarts the same call, whose absolute
 * deadline is unchanged: it ends there, with ETIMEDOUT.
 */
TEST_F(dev, signal_with_sa_restart_ends_wait_at_its_deadline)
{
	uint64_t deadline;
	int err = signal_during_wait(_metadata, self, SA_RESTART, &deadline);

	ASSERT_EQ(ETIMEDOUT, err) TH_LOG("%s", strerror(err));
	ASSERT_LE(deadline, now_ns());
}

/* A fresh file is not readable, even when the doorbell rang before it opened. */
TEST_F(dev, poll_fresh_fd_is_not_readable)
{
	struct pollfd p;
	int fd;

	ASSERT_NE((uint64_t)-1, shm_notify(self->fd));
	fd = open(shm_dev_path(), O_RDWR);
	ASSERT_LE(0, fd);
	p = (struct pollfd){ .fd = fd, .events = POLLIN, .revents = -1 };
	ASSERT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(0, p.revents);
	close(fd);
}

/* poll(): POLLIN after another process rings, and not after WAIT collects it. */
TEST_F(dev, poll_readable_after_notify_until_wait_collects)
{
	uint64_t seq = cur_seq(self->fd), seen;
	struct pollfd p = { .fd = self->fd, .events = POLLIN };

	ASSERT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(0, notify_in_child());
	p.revents = -1;
	ASSERT_EQ(1, poll(&p, 1, 0));
	ASSERT_EQ(POLLIN, p.revents);
	/* still readable until collected */
	p.revents = -1;
	ASSERT_EQ(1, poll(&p, 1, 0));
	ASSERT_EQ(POLLIN, p.revents);

	ASSERT_EQ(0, shm_wait(self->fd, seq, 0, &seen));
	ASSERT_EQ(seq + 1, seen);
	p.revents = -1;
	ASSERT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(0, p.revents);
}

/* Readiness is per open file: collecting on one file leaves another readable. */
TEST_F(dev, poll_readiness_is_per_open_file)
{
	struct pollfd p[2];
	uint64_t seq = cur_seq(self->fd), seen;
	int fd2 = open(shm_dev_path(), O_RDONLY);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, notify_in_child());
	ASSERT_EQ(0, shm_wait(self->fd, seq, 0, &seen));
	p[0] = (struct pollfd){ .fd = self->fd, .events = POLLIN, .revents = -1 };
	p[1] = (struct pollfd){ .fd = fd2, .events = POLLIN, .revents = -1 };
	ASSERT_EQ(1, poll(p, 2, 0));
	ASSERT_EQ(0, p[0].revents);
	ASSERT_EQ(POLLIN, p[1].revents);
	close(fd2);
}

/* A poll() that sleeps is woken by another process's NOTIFY. */
TEST_F(dev, blocked_poll_is_woken_by_notify)
{
	struct pollfd p = { .fd = self->fd, .events = POLLIN, .revents = -1 };
	int done, ret, err;
	pid_t pid;

	nr_usr2 = 0;
	ASSERT_EQ(0, set_handler(SIGUSR2, on_usr2, 0));
	pid = start_poker(POLL_NR, POKE_NOTIFY, &done);
	ASSERT_LT(0, pid);
	ret = poll(&p, 1, 2 * WAKE_MS);
	err = errno;
	close(done);
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, nr_usr2);
	ASSERT_EQ(1, ret) TH_LOG("poll: %s", ret < 0 ? strerror(err) : "timeout");
	ASSERT_EQ(POLLIN, p.revents);
}

/* epoll, level-triggered: a sleeping epoll_wait() wakes on NOTIFY, and the
 * file stays ready until a WAIT collects the sequence. */
TEST_F(dev, epoll_level_triggered_ready_until_wait_collects)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 };
	uint64_t seq = cur_seq(self->fd), seen;
	int ep, done, ret, err;
	pid_t pid;

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ev));
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0));

	nr_usr2 = 0;
	ASSERT_EQ(0, set_handler(SIGUSR2, on_usr2, 0));
	pid = start_poker(EPOLL_WAIT_NR, POKE_NOTIFY, &done);
	ASSERT_LT(0, pid);
	memset(&ev, POISON, sizeof(ev));
	ret = epoll_wait(ep, &ev, 1, 2 * WAKE_MS);
	err = errno;
	close(done);
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, nr_usr2);
	ASSERT_EQ(1, ret) TH_LOG("epoll_wait: %s", ret < 0 ? strerror(err) : "timeout");
	ASSERT_EQ(EPOLLIN, ev.events);
	ASSERT_EQ(42, ev.data.u64);

	/* level-triggered: reported again while nothing collected it */
	memset(&ev, POISON, sizeof(ev));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, 0));
	ASSERT_EQ(EPOLLIN, ev.events);

	ASSERT_EQ(0, shm_wait(self->fd, seq, 0, &seen));
	ASSERT_EQ(seq + 1, seen);
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	close(ep);
}

/* epoll, edge-triggered: each NOTIFY is reported once, not again until
 * the next one. */
TEST_F(dev, epoll_edge_triggered_reports_each_notify_once)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 7 };
	int ep;

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ev));
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0));

	ASSERT_EQ(0, notify_in_child());
	memset(&ev, POISON, sizeof(ev));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, WAKE_MS));
	ASSERT_EQ(EPOLLIN, ev.events);
	ASSERT_EQ(7, ev.data.u64);
	/* still readable, but no new edge */
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0));

	ASSERT_EQ(0, notify_in_child());
	memset(&ev, POISON, sizeof(ev));
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, WAKE_MS));
	ASSERT_EQ(EPOLLIN, ev.events);
	ASSERT_EQ(0, epoll_wait(ep, &ev, 1, 0));
	close(ep);
}

/*
 * One NOTIFY wakes every sleeper at once: WAITs on separate files, a poll()
 * and an epoll_wait(), each in its own process. Each checks it saw exactly
 * one ring.
 */
TEST_F(dev, one_notify_wakes_every_waiter)
{
	enum { NR_IOCTL = 3, NR_WAITERS = NR_IOCTL + 2 };
	static const long nr[NR_WAITERS] = {
		SYS_ioctl, SYS_ioctl, SYS_ioctl, POLL_NR, EPOLL_WAIT_NR,
	};
	uint64_t seq = cur_seq(self->fd);
	pid_t pids[NR_WAITERS];
	int i;

	for (i = 0; i < NR_WAITERS; i++) {
		pids[i] = fork_child();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			int fd = open(shm_dev_path(), O_RDONLY);
			struct epoll_event ev = { .events = EPOLLIN };
			struct pollfd p = { .fd = fd, .events = POLLIN };
			uint64_t seen = 0;
			int ep;

			if (fd < 0)
				_exit(10);
			if (nr[i] == SYS_ioctl) {
				if (shm_wait(fd, seq, WAKE_MS * NSEC_PER_MSEC, &seen))
					_exit(11);
				_exit(seen == seq + 1 ? 0 : 12);
			}
			if (nr[i] == POLL_NR)
				_exit(poll(&p, 1, WAKE_MS) == 1 &&
				      p.revents == POLLIN ? 0 : 13);
			ep = epoll_create1(0);
			if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
				_exit(14);
			_exit(epoll_wait(ep, &ev, 1, WAKE_MS) == 1 &&
			      ev.events == EPOLLIN ? 0 : 15);
		}
	}
	for (i = 0; i < NR_WAITERS; i++)
		ASSERT_TRUE(wait_blocked_in(pids[i], nr[i], WAKE_MS));
	ASSERT_EQ(seq + 1, shm_notify(self->fd));
	for (i = 0; i < NR_WAITERS; i++)
		EXPECT_EQ(0, wait_child(pids[i])) TH_LOG("waiter %d", i);
	ASSERT_EQ(seq + 1, cur_seq(self->fd));
}

/* The doorbell is not the buffer: an O_RDONLY file may ring and wait. */
TEST_F(dev, notify_and_wait_work_on_readonly_fd)
{
	int ro = open(shm_dev_path(), O_RDONLY);
	uint64_t seq, seen;

	ASSERT_LE(0, ro);
	seq = cur_seq(ro);
	ASSERT_EQ(seq + 1, shm_notify(ro));
	ASSERT_EQ(0, shm_wait(ro, seq, 0, &seen));
	ASSERT_EQ(seq + 1, seen);
	ASSERT_EQ(seq + 1, cur_seq(self->fd));
	/* while changing the buffer is refused on it */
	ASSERT_EQ(-1, shm_zero(ro));
	ASSERT_EQ(EBADF, errno);
	close(ro);
}

TEST_HARNESS_MAIN
