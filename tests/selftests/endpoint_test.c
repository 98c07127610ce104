// SPDX-License-Identifier: GPL-2.0
/*
 * Endpoints (interface 1.1): MMIO_SHM_IOC_BIND ties an open file
 * description to an endpoint of the device; its release, however it comes
 * (close, exit, SIGKILL, the last mapping going away), frees the endpoint
 * and rings the doorbell; MMIO_SHM_IOC_PEER reports the endpoint's cookie
 * with the doorbell sequence read before it. The rules every command
 * shares (size, flags, E2BIG, EFAULT) are ioctl_test.c's.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "fixture.h"

static int bind_ep(int fd, uint32_t flags, uint32_t ep,
		   struct mmio_shm_bind_args *b)
{
	memset(b, 0, sizeof(*b));
	b->size = sizeof(*b);
	b->flags = flags;
	b->endpoint = ep;
	return ioctl(fd, MMIO_SHM_IOC_BIND, b) ? -errno : 0;
}

/* the cookie of endpoint @ep (0: free), with the sequence in *@seq */
static uint64_t peer_cookie(int fd, uint32_t ep, uint64_t *seq)
{
	struct mmio_shm_peer_args p = { .size = sizeof(p), .endpoint = ep };

	if (ioctl(fd, MMIO_SHM_IOC_PEER, &p))
		return (uint64_t)-1;
	if (seq)
		*seq = p.seq;
	return p.cookie;
}

static uint64_t doorbell_seq(int fd)
{
	uint64_t seq = (uint64_t)-1;

	peer_cookie(fd, 0, &seq);
	return seq;
}

static int open_dev(void)
{
	return open(shm_dev_path(), O_RDWR | O_CLOEXEC);
}

TEST_F(dev, bind_any_takes_the_lowest_free_endpoint_with_a_new_cookie)
{
	struct mmio_shm_bind_args a, b;
	int fd2 = open_dev();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, bind_ep(self->fd, MMIO_SHM_BIND_ANY, 0, &a));
	ASSERT_EQ(0, bind_ep(fd2, MMIO_SHM_BIND_ANY, 0, &b));
	EXPECT_EQ(0, a.endpoint);
	EXPECT_EQ(1, b.endpoint);
	EXPECT_NE(0, a.cookie);
	EXPECT_LT(a.cookie, b.cookie);
	EXPECT_EQ(a.cookie, peer_cookie(fd2, 0, NULL));
	EXPECT_EQ(b.cookie, peer_cookie(self->fd, 1, NULL));
	EXPECT_EQ(0, peer_cookie(self->fd, 2, NULL));
	close(fd2);
}

TEST_F(dev, bind_takes_the_endpoint_asked_for_and_refuses_a_taken_one)
{
	struct mmio_shm_bind_args a, b;
	int fd2 = open_dev();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, bind_ep(self->fd, 0, MMIO_SHM_MAX_ENDPOINTS - 1, &a));
	EXPECT_EQ(MMIO_SHM_MAX_ENDPOINTS - 1, a.endpoint);
	EXPECT_EQ(-EBUSY, bind_ep(fd2, 0, MMIO_SHM_MAX_ENDPOINTS - 1, &b));
	/* the failed call bound nothing: the file can still bind */
	EXPECT_EQ(0, bind_ep(fd2, 0, 7, &b));
	EXPECT_EQ(a.cookie, peer_cookie(fd2, MMIO_SHM_MAX_ENDPOINTS - 1, NULL));
	close(fd2);
}

TEST_F(dev, a_file_binds_once_and_a_second_bind_is_ealready)
{
	struct mmio_shm_bind_args a, b;

	ASSERT_EQ(0, bind_ep(self->fd, 0, 3, &a));
	EXPECT_EQ(-EALREADY, bind_ep(self->fd, 0, 4, &b));
	EXPECT_EQ(-EALREADY, bind_ep(self->fd, MMIO_SHM_BIND_ANY, 0, &b));
	EXPECT_EQ(a.cookie, peer_cookie(self->fd, 3, NULL));
	EXPECT_EQ(0, peer_cookie(self->fd, 4, NULL));
}

TEST_F(dev, bad_endpoints_and_reserved_words_are_einval)
{
	struct mmio_shm_peer_args p = { .size = sizeof(p) };
	struct mmio_shm_bind_args b;
	const uint32_t bad[] = { MMIO_SHM_MAX_ENDPOINTS, 1000, UINT32_MAX };
	uint64_t seq = doorbell_seq(self->fd);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, bind_ep(self->fd, 0, bad[i], &b));
		p.endpoint = bad[i];
		EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_PEER, &p));
		EXPECT_EQ(EINVAL, errno);
	}
	/* BIND_ANY picks the endpoint itself: one given is an error */
	EXPECT_EQ(-EINVAL, bind_ep(self->fd, MMIO_SHM_BIND_ANY, 1, &b));
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_BIND, &b));
	EXPECT_EQ(EINVAL, errno);
	p.endpoint = 0;
	p.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, MMIO_SHM_IOC_PEER, &p));
	EXPECT_EQ(EINVAL, errno);
	/* nothing was bound, nothing rang */
	EXPECT_EQ(0, bind_ep(self->fd, 0, 0, &b));
	EXPECT_EQ(seq, doorbell_seq(self->fd));
}

TEST_F(dev, a_read_only_file_binds_too)
{
	struct mmio_shm_bind_args b;
	int ro = open(shm_dev_path(), O_RDONLY | O_CLOEXEC);

	ASSERT_LE(0, ro);
	EXPECT_EQ(0, bind_ep(ro, MMIO_SHM_BIND_ANY, 0, &b));
	close(ro);
}

TEST_F(dev, close_frees_the_endpoint_and_rings_the_doorbell_once)
{
	struct mmio_shm_bind_args b;
	uint64_t seq[2] = { 0, 0 };
	int fd2 = open_dev();

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, bind_ep(fd2, 0, 5, &b));
	EXPECT_EQ(b.cookie, peer_cookie(self->fd, 5, &seq[0]));
	close(fd2);
	EXPECT_EQ(0, peer_cookie(self->fd, 5, &seq[1]));
	EXPECT_EQ(seq[0] + 1, seq[1]);
	/* an unbound file's release rings nothing */
	fd2 = open_dev();
	ASSERT_LE(0, fd2);
	close(fd2);
	EXPECT_EQ(seq[1], doorbell_seq(self->fd));
}

TEST_F(dev, cookies_are_never_handed_out_twice)
{
	struct mmio_shm_bind_args b;
	uint64_t last = 0;
	int i, fd2;

	for (i = 0; i < 100; i++) {
		fd2 = open_dev();
		ASSERT_LE(0, fd2);
		ASSERT_EQ(0, bind_ep(fd2, 0, 9, &b));
		EXPECT_LT(last, b.cookie);
		last = b.cookie;
		close(fd2);
	}
}

/* the page a BIND argument lives on, flipped read-only and back */
struct flipper {
	void *page;
	size_t len;
	atomic_int stop;
};

static void *flip_page(void *arg)
{
	struct flipper *f = arg;

	while (!atomic_load(&f->stop)) {
		mprotect(f->page, f->len, PROT_READ);
		mprotect(f->page, f->len, PROT_READ | PROT_WRITE);
	}
	return NULL;
}

/* how long, and how many undone bindings, the race below is run for */
#define UNDO_RUN_MS	20000
#define UNDO_WANTED	3

/*
 * BIND writes its argument once before it takes the endpoint, so a
 * read-only one fails with nothing bound, and once after, with the
 * cookie. A thread that flips the argument's page read-only and back
 * while this one binds can make the second write alone fault: the
 * endpoint was taken and PEER showed its cookie, then BIND undoes the
 * binding and fails with EFAULT. That end of a binding must ring the
 * doorbell like a release does, or a peer that saw the cookie sleeps
 * through it. Cookies are never reused, so each undone binding shows as a
 * cookie the next successful BIND skips; the doorbell must have rung once
 * for each of them and once for each close of a bound file.
 */
TEST_F_TIMEOUT(dev, a_bind_undone_by_efault_rings_the_doorbell, 60)
{
	struct flipper f = { .len = self->ps };
	struct mmio_shm_bind_args *b;
	uint64_t seq0, last, undone = 0, closes = 0, tries = 0, end;
	pthread_t thr;
	int fd2, ret;

	f.page = mmap(NULL, f.len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f.page);
	b = f.page;
	/* an argument that stays valid input: BIND_ANY writes back 0 */
	fd2 = open_dev();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, bind_ep(fd2, MMIO_SHM_BIND_ANY, 0, b));
	ASSERT_EQ(0, b->endpoint);
	last = b->cookie;
	seq0 = doorbell_seq(self->fd);

	ASSERT_EQ(0, pthread_create(&thr, NULL, flip_page, &f));
	end = now_ns() + UNDO_RUN_MS * 1000000ULL;
	while (undone < UNDO_WANTED && now_ns() < end) {
		/* closing the bound file rings once */
		close(fd2);
		closes++;
		do {
			fd2 = open_dev();
			if (fd2 < 0)
				break;
			tries++;
			ret = ioctl(fd2, MMIO_SHM_IOC_BIND, b) ? errno : 0;
			if (ret)
				close(fd2);
		} while (ret == EFAULT && now_ns() < end);
		if (fd2 < 0 || ret)
			break;
		/* every cookie skipped since the last one was undone */
		undone += b->cookie - last - 1;
		last = b->cookie;
	}
	atomic_store(&f.stop, 1);
	pthread_join(thr, NULL);
	/*
	 * The deadline can fall between an EFAULT and its retry (a loaded
	 * machine): the flipper has left the page writable, bind once more
	 */
	if (fd2 >= 0 && ret == EFAULT) {
		fd2 = open_dev();
		ASSERT_LE(0, fd2);
		tries++;
		ret = ioctl(fd2, MMIO_SHM_IOC_BIND, b) ? errno : 0;
		if (!ret) {
			undone += b->cookie - last - 1;
			last = b->cookie;
		}
	}
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ret) TH_LOG("BIND: %s", strerror(ret));
	close(fd2);
	closes++;
	munmap(f.page, f.len);

	TH_LOG("%llu BINDs, %llu bound and closed, %llu undone after the take",
	       (unsigned long long)tries, (unsigned long long)closes,
	       (unsigned long long)undone);
	if (!undone)
		SKIP(return, "no BIND was undone after its take in %d ms",
		     UNDO_RUN_MS);
	EXPECT_EQ(seq0 + closes + undone, doorbell_seq(self->fd));
}

TEST_F(dev, every_endpoint_taken_is_ebusy_until_one_is_released)
{
	int fds[MMIO_SHM_MAX_ENDPOINTS], extra, i;
	struct mmio_shm_bind_args b;

	for (i = 0; i < MMIO_SHM_MAX_ENDPOINTS; i++) {
		fds[i] = open_dev();
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, bind_ep(fds[i], MMIO_SHM_BIND_ANY, 0, &b));
		EXPECT_EQ(i, b.endpoint);
	}
	extra = open_dev();
	ASSERT_LE(0, extra);
	EXPECT_EQ(-EBUSY, bind_ep(extra, MMIO_SHM_BIND_ANY, 0, &b));
	close(fds[17]);
	EXPECT_EQ(0, bind_ep(extra, MMIO_SHM_BIND_ANY, 0, &b));
	EXPECT_EQ(17, b.endpoint);
	for (i = 0; i < MMIO_SHM_MAX_ENDPOINTS; i++)
		if (i != 17)
			close(fds[i]);
	close(extra);
}

TEST_F(dev, a_mapping_keeps_the_binding_until_it_is_unmapped)
{
	struct mmio_shm_bind_args b;
	int fd2 = open_dev();
	void *p;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, bind_ep(fd2, 0, 11, &b));
	p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, fd2, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(fd2);
	/* the VMA holds the open file: the process is still there */
	EXPECT_EQ(b.cookie, peer_cookie(self->fd, 11, NULL));
	munmap(p, self->ps);
	EXPECT_EQ(0, peer_cookie(self->fd, 11, NULL));
}

TEST_F(dev, a_binding_is_shared_by_fork_and_ends_with_the_last_holder)
{
	struct mmio_shm_bind_args b;
	int fd2 = open_dev(), go[2];
	pid_t pid;
	char c;

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, bind_ep(fd2, 0, 12, &b));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* holds the inherited fd until the parent writes */
		close(go[1]);
		_exit(read(go[0], &c, 1) == 1 ? 0 : 1);
	}
	close(go[0]);
	close(fd2);
	EXPECT_EQ(b.cookie, peer_cookie(self->fd, 12, NULL));
	ASSERT_EQ(1, write(go[1], "x", 1));
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(0, peer_cookie(self->fd, 12, NULL));
	close(go[1]);
}

/*
 * The point of it all: a process sleeping on the doorbell wakes at once
 * when a peer is killed, and PEER tells it the peer is gone. The sleeper
 * takes the sequence from PEER while the peer is still bound, as the
 * library does.
 */
TEST_F(dev, sigkill_of_a_bound_process_wakes_a_sleeper_that_sees_it_gone)
{
	uint64_t cookie, seq = 0, cur;
	pid_t peer, sleeper;
	int ready[2], fd2;

	ASSERT_EQ(0, pipe(ready));
	peer = fork_child();
	ASSERT_LE(0, peer);
	if (peer == 0) {
		struct mmio_shm_bind_args b;

		fd2 = open_dev();
		if (fd2 < 0 || bind_ep(fd2, 0, 13, &b))
			_exit(1);
		if (write(ready[1], &b.cookie, sizeof(b.cookie)) !=
		    sizeof(b.cookie))
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(sizeof(cookie), read(ready[0], &cookie, sizeof(cookie)));
	ASSERT_EQ(cookie, peer_cookie(self->fd, 13, &seq));
	/* a second child sleeps on that sequence; the parent kills the peer */
	sleeper = fork_child();
	ASSERT_LE(0, sleeper);
	if (sleeper == 0)
		_exit(shm_wait(self->fd, seq, MMIO_SHM_WAIT_FOREVER, &cur) ? 2 :
		      peer_cookie(self->fd, 13, NULL) == 0 ? 0 : 3);
	ASSERT_TRUE(wait_blocked_in(sleeper, SYS_ioctl, 10000));
	ASSERT_EQ(0, kill(peer, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, wait_child(peer));
	EXPECT_EQ(0, wait_child(sleeper));
	close(ready[0]);
}

TEST_HARNESS_MAIN
