// SPDX-License-Identifier: GPL-2.0
/*
 * Futexes: process-shared synchronisation objects placed in the buffer work
 * across processes that mapped the device separately.
 *
 * A shared futex is keyed by the page behind the address: get_futex_key()
 * looks the page up with get_user_pages and keys it by page->mapping (the
 * file) and the page's index in it. Pages a driver maps itself with
 * remap_pfn_range() cannot be looked up (VM_PFNMAP), and pages it inserts
 * with vm_insert_page() from vmalloc memory have no page->mapping; either
 * way every futex call on the mapping fails with EFAULT, and glibc aborts
 * with "The futex facility returned an unexpected error code" as soon as a
 * pthread mutex is contended. The buffer's pages are shmem page-cache pages,
 * so every call here must behave as on a shared tmpfs mapping.
 *
 * Every variant puts the objects at another place in the buffer, and the
 * test process maps only the page that holds them while its children map
 * the whole buffer: the same word sits at different addresses and at
 * different offsets into the mappings, and only the right key matches.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>


/* how long anything may take to wake up in a slow guest, in seconds */
#define WAKE_S		10
#define RING_SLOTS	8
/* the contention test: two players and this many hammers */
#define NR_HAMMERS	3
#define NR_CONTENDERS	(2 + NR_HAMMERS)
#define MIN_HAMMER_ITERS 500

/**
 * struct shared - the synchronisation objects, placed in the buffer
 * @word:      raw futex word
 * @ready:     a child sets it once it is about to block
 * @lock:      pshared mutex of the ping-pong and the hammers
 * @cond:      pshared condition variable, signalled on each change of @turn
 * @turn:      which player may go, protected by @lock
 * @rounds:    turns each player took, protected by @lock
 * @hammered:  increments made by the hammers, protected by @lock
 * @contended: lock attempts that found @lock held, protected by @lock
 * @started:   contenders past the start line, atomic
 * @stop:      set once the ping-pong is over, atomic
 * @iters:     each hammer's own count of its increments
 * @robust:    pshared robust mutex
 * @pi:        pshared priority-inheritance mutex
 * @sem:       pshared semaphore
 * @items:     pshared semaphore: filled slots of @ring
 * @slots:     pshared semaphore: free slots of @ring
 * @ring:      items passed from producer to consumer
 * @sum:       what the consumer received, added up
 */
struct shared {
	uint32_t word;
	uint32_t ready;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint32_t turn;
	uint32_t rounds[2];
	uint64_t hammered;
	uint64_t contended;
	uint32_t started;
	uint32_t stop;
	uint64_t iters[NR_HAMMERS];
	pthread_mutex_t robust;
	pthread_mutex_t pi;
	sem_t sem;
	sem_t items;
	sem_t slots;
	uint32_t ring[RING_SLOTS];
	uint64_t sum;
};

/* the objects never straddle a page: every variant's offset leaves room */
#define MAX_IN_PAGE	0xa00
_Static_assert(sizeof(struct shared) <= 4096 - MAX_IN_PAGE,
	       "struct shared does not fit after MAX_IN_PAGE");

#define DEV_MIN_PAGES 8
#define DEV_FIELDS \
	size_t page_off;	/* file offset of the page holding the objects */ \
	size_t off;		/* file offset of the objects */ \
	uint8_t *map;		/* this process's mapping: that one page */ \
	struct shared *sh;	/* the objects, inside @map */
#define DEV_HOOKS
#include "fixture.h"

FIXTURE_VARIANT(dev) {
	long page;		/* page holding the objects; < 0 counts from the end */
	unsigned int in_page;	/* byte offset of the objects in that page */
};

FIXTURE_VARIANT_ADD(dev, first_page) {
	.page = 0,
	.in_page = 0,
};

FIXTURE_VARIANT_ADD(dev, page_5_offset_0x440) {
	.page = 5,
	.in_page = 0x440,
};

FIXTURE_VARIANT_ADD(dev, last_page_offset_0xa00) {
	.page = -1,
	.in_page = MAX_IN_PAGE,
};

static void dev_setup_hook(struct __test_metadata *_metadata,
			   FIXTURE_DATA(dev) *self,
			   const FIXTURE_VARIANT(dev) *variant)
{
	long npages = self->size / self->ps;

	self->page_off = (variant->page < 0 ? npages + variant->page :
			  variant->page) * self->ps;
	self->off = self->page_off + variant->in_page;
	self->map = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, self->page_off);
	ASSERT_NE(MAP_FAILED, self->map);
	self->sh = (struct shared *)(self->map + variant->in_page);
}

static void dev_teardown_hook(struct __test_metadata *_metadata,
			      FIXTURE_DATA(dev) *self,
			      const FIXTURE_VARIANT(dev) *variant)
{
	if (self->map && self->map != MAP_FAILED)
		munmap(self->map, self->ps);
}

static long futex(uint32_t *uaddr, int op, uint32_t val,
		  const struct timespec *timeout)
{
	return syscall(SYS_futex, uaddr, op, val, timeout, NULL, 0);
}

/* an absolute deadline WAKE_S from now on @clock */
static struct timespec deadline(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_sec += WAKE_S;
	return ts;
}

/*
 * In a child: opens the device and maps the whole buffer anew, then drops
 * @inherited (the mapping fork() copied), so the child reaches the objects
 * only through a mapping of its own. Returns the objects at file offset
 * @off, or NULL.
 */
static struct shared *map_own(void *inherited, size_t len, size_t off)
{
	int fd = open(shm_dev_path(), O_RDWR);
	size_t size;
	uint8_t *map;

	if (fd < 0)
		return NULL;
	size = shm_size(fd);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	if (inherited)
		munmap(inherited, len);
	return (struct shared *)(map + off);
}

/* polls (WAKE_S at most) until a child has set sh->ready */
static int wait_ready(struct shared *sh)
{
	uint64_t end = now_ns() + WAKE_S * 1000000000ULL;

	for (; now_ns() < end; usleep(1000))
		if (__atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE))
			return 1;
	return 0;
}

/*
 * FUTEX_WAIT (shared) on sh->word while it holds @val, WAKE_S at most.
 * Exit status: 0 woken with the word changed, 1 timed out, 2 EAGAIN,
 * 3 another error (EFAULT on a mapping without a futex key), 4 woken but
 * the word did not change.
 */
static int futex_waiter(struct shared *sh, uint32_t val, unsigned int unused)
{
	struct timespec ts = { .tv_sec = WAKE_S };

	__atomic_store_n(&sh->ready, 1, __ATOMIC_RELEASE);
	if (futex(&sh->word, FUTEX_WAIT, val, &ts))
		return errno == ETIMEDOUT ? 1 : errno == EAGAIN ? 2 : 3;
	return __atomic_load_n(&sh->word, __ATOMIC_ACQUIRE) != val ? 0 : 4;
}

/* raw futex ping-pong: take @rounds turns whenever sh->word == @me */
static int futex_player(struct shared *sh, uint32_t me, unsigned int rounds)
{
	struct timespec ts = { .tv_sec = WAKE_S };
	unsigned int i;
	uint32_t v;

	for (i = 0; i < rounds; i++) {
		while ((v = __atomic_load_n(&sh->word, __ATOMIC_ACQUIRE)) != me) {
			if (futex(&sh->word, FUTEX_WAIT, v, &ts) &&
			    errno != EAGAIN && errno != EINTR)
				return errno == ETIMEDOUT ? 30 : 31;
		}
		__atomic_store_n(&sh->word, !me, __ATOMIC_RELEASE);
		if (futex(&sh->word, FUTEX_WAKE, 1, NULL) < 0)
			return 32;
	}
	return 0;
}

/*
 * The start line of the contention test: each contender waits (WAKE_S at
 * most) for all NR_CONTENDERS, so that none is done before the last one
 * has even been exec'd.
 */
static int start_together(struct shared *sh)
{
	uint64_t end = now_ns() + WAKE_S * 1000000000ULL;

	__atomic_add_fetch(&sh->started, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&sh->started, __ATOMIC_ACQUIRE) < NR_CONTENDERS) {
		if (now_ns() > end)
			return 0;
		usleep(100);
	}
	return 1;
}

/*
 * Condition-variable ping-pong: take @rounds turns, each when sh->turn is
 * @me, handing the turn over to the other player.
 */
static int cond_player(struct shared *sh, uint32_t me, unsigned int rounds)
{
	struct timespec dl;
	unsigned int i;
	int ret;

	if (!start_together(sh))
		return 24;
	for (i = 0; i < rounds; i++) {
		if (pthread_mutex_lock(&sh->lock))
			return 20;
		while (sh->turn != me) {
			dl = deadline(CLOCK_MONOTONIC);
			ret = pthread_cond_timedwait(&sh->cond, &sh->lock, &dl);
			if (ret) {
				pthread_mutex_unlock(&sh->lock);
				return ret == ETIMEDOUT ? 21 : 22;
			}
		}
		sh->rounds[me]++;
		sh->turn = !me;
		if (pthread_cond_signal(&sh->cond) ||
		    pthread_mutex_unlock(&sh->lock))
			return 23;
	}
	return 0;
}

/*
 * Hammer number @idx: increments sh->hammered under sh->lock, at least
 * @min_iters times and until sh->stop (60 s at most), holding the lock
 * across a sched_yield() so that the others find it taken and sleep in the
 * kernel. Counts in sh->contended the attempts that found the lock held,
 * and its own increments in sh->iters[@idx].
 */
static int hammer(struct shared *sh, uint32_t idx, unsigned int min_iters)
{
	uint64_t end = now_ns() + 6 * WAKE_S * 1000000000ULL;
	struct timespec dl;
	unsigned int i;
	int busy, ret;

	if (idx >= NR_HAMMERS || !start_together(sh))
		return 44;
	for (i = 0; i < min_iters || !__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE);
	     i++) {
		if (now_ns() > end)
			return 45;
		busy = pthread_mutex_trylock(&sh->lock);
		if (busy == EBUSY) {
			dl = deadline(CLOCK_REALTIME);
			ret = pthread_mutex_timedlock(&sh->lock, &dl);
			if (ret)
				return ret == ETIMEDOUT ? 40 : 41;
			busy = 1;
		} else if (busy) {
			return 42;
		}
		sh->hammered++;
		sh->contended += busy;
		sched_yield();
		if (pthread_mutex_unlock(&sh->lock))
			return 43;
	}
	sh->iters[idx] = i;
	return 0;
}

/* what a child process does with the objects; returns its exit status */
typedef int (*role_fn)(struct shared *sh, uint32_t a, unsigned int b);

/* forks a child that maps the device itself and runs @fn on the objects */
static pid_t spawn(FIXTURE_DATA(dev) *self, role_fn fn, uint32_t a,
		   unsigned int b)
{
	pid_t pid = fork_child();
	struct shared *sh;

	if (pid)
		return pid;
	sh = map_own(self->map, self->ps, self->off);
	_exit(sh ? fn(sh, a, b) : 99);
}

/* execs this program as "--ROLE OFF ARG": a process with nothing inherited */
static pid_t spawn_exec(const char *role, size_t off, unsigned int arg)
{
	char offarg[32], argarg[32];
	pid_t pid;

	snprintf(offarg, sizeof(offarg), "%zu", off);
	snprintf(argarg, sizeof(argarg), "%u", arg);
	pid = fork_child();
	if (pid == 0) {
		execl("/proc/self/exe", "futex_test", role, offarg, argarg,
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void init_lock_and_cond(struct __test_metadata *_metadata,
			       struct shared *sh)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;

	ASSERT_EQ(0, pthread_mutexattr_init(&ma));
	ASSERT_EQ(0, pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED));
	ASSERT_EQ(0, pthread_mutex_init(&sh->lock, &ma));
	pthread_mutexattr_destroy(&ma);
	ASSERT_EQ(0, pthread_condattr_init(&ca));
	ASSERT_EQ(0, pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED));
	ASSERT_EQ(0, pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
	ASSERT_EQ(0, pthread_cond_init(&sh->cond, &ca));
	pthread_condattr_destroy(&ca);
}

static void init_mutex(struct __test_metadata *_metadata, pthread_mutex_t *m,
		       int robust, int protocol)
{
	pthread_mutexattr_t ma;

	ASSERT_EQ(0, pthread_mutexattr_init(&ma));
	ASSERT_EQ(0, pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED));
	ASSERT_EQ(0, pthread_mutexattr_setrobust(&ma, robust));
	ASSERT_EQ(0, pthread_mutexattr_setprotocol(&ma, protocol));
	ASSERT_EQ(0, pthread_mutex_init(m, &ma));
	pthread_mutexattr_destroy(&ma);
}

/* A changed word: FUTEX_WAIT fails with EAGAIN instead of sleeping. */
TEST_F(dev, futex_wait_on_changed_value_fails_eagain)
{
	__atomic_store_n(&self->sh->word, 5, __ATOMIC_RELEASE);
	ASSERT_EQ(-1, futex(&self->sh->word, FUTEX_WAIT, 6, NULL));
	ASSERT_EQ(EAGAIN, errno);
	/* nobody waits: a wake finds no one, and succeeds */
	ASSERT_EQ(0, futex(&self->sh->word, FUTEX_WAKE, INT_MAX, NULL));
}

/* FUTEX_WAIT with a 50 ms timeout sleeps at least that long, then ETIMEDOUT. */
TEST_F(dev, futex_wait_with_timeout_fails_etimedout)
{
	struct timespec ts = { .tv_nsec = 50 * 1000 * 1000 };
	uint64_t start = now_ns();

	self->sh->word = 7;
	ASSERT_EQ(-1, futex(&self->sh->word, FUTEX_WAIT, 7, &ts));
	ASSERT_EQ(ETIMEDOUT, errno);
	/* only the lower bound: a loaded guest may oversleep a lot */
	ASSERT_LE(50ULL * 1000 * 1000, now_ns() - start);
}

/* FUTEX_WAKE here wakes exactly the one waiter of a child's own mapping. */
TEST_F(dev, futex_wake_wakes_waiter_in_separately_mapped_child)
{
	pid_t pid;

	self->sh->word = 1;
	pid = spawn(self, futex_waiter, 1, 0);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(wait_ready(self->sh));
	ASSERT_TRUE(wait_blocked_in(pid, SYS_futex, WAKE_S * 1000));
	__atomic_store_n(&self->sh->word, 2, __ATOMIC_RELEASE);
	ASSERT_EQ(1, futex(&self->sh->word, FUTEX_WAKE, INT_MAX, NULL));
	ASSERT_EQ(0, wait_child(pid));
}

/* The same across exec(): the waiter shares nothing with this process. */
TEST_F(dev, futex_wake_wakes_waiter_in_execd_program)
{
	pid_t pid;

	self->sh->word = 1;
	pid = spawn_exec("--futex-waiter", self->off, 1);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(wait_ready(self->sh));
	ASSERT_TRUE(wait_blocked_in(pid, SYS_futex, WAKE_S * 1000));
	__atomic_store_n(&self->sh->word, 2, __ATOMIC_RELEASE);
	ASSERT_EQ(1, futex(&self->sh->word, FUTEX_WAKE, INT_MAX, NULL));
	ASSERT_EQ(0, wait_child(pid));
}

/*
 * The key is the buffer page, not the address: a wake on the same offset
 * of a neighbouring page wakes nobody, a wake through a second mapping of
 * the right page at another address wakes the waiter.
 */
TEST_F(dev, futex_key_is_the_buffer_page_not_the_address)
{
	size_t other_off = self->page_off ? self->page_off - self->ps :
					    self->page_off + self->ps;
	size_t in_page = self->off - self->page_off;
	uint32_t *other_word, *alias_word;
	uint8_t *other, *alias;
	pid_t pid;

	other = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		     self->fd, other_off);
	ASSERT_NE(MAP_FAILED, other);
	alias = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		     self->fd, self->page_off);
	ASSERT_NE(MAP_FAILED, alias);
	other_word = (uint32_t *)(other + in_page);
	alias_word = (uint32_t *)(alias + in_page);

	self->sh->word = 1;
	*other_word = 1;
	pid = spawn(self, futex_waiter, 1, 0);
	ASSERT_LT(0, pid);
	ASSERT_TRUE(wait_ready(self->sh));
	ASSERT_TRUE(wait_blocked_in(pid, SYS_futex, WAKE_S * 1000));

	*other_word = 2;
	ASSERT_EQ(0, futex(other_word, FUTEX_WAKE, INT_MAX, NULL));
	__atomic_store_n(alias_word, 2, __ATOMIC_RELEASE);
	ASSERT_EQ(1, futex(alias_word, FUTEX_WAKE, INT_MAX, NULL));
	ASSERT_EQ(0, wait_child(pid));
	munmap(alias, self->ps);
	munmap(other, self->ps);
}

/* Raw FUTEX_WAIT/FUTEX_WAKE ping-pong: 1000 turns each way, none lost. */
TEST_F_TIMEOUT(dev, futex_ping_pong_between_separate_mappings, 120)
{
	enum { ROUNDS = 1000 };
	pid_t pid;

	self->sh->word = 0;
	pid = spawn(self, futex_player, 1, ROUNDS);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, futex_player(self->sh, 0, ROUNDS));
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, self->sh->word);
}

/*
 * A PTHREAD_PROCESS_SHARED mutex and condition variable: two processes
 * hand a turn back and forth 2000 times while three more (one exec'd)
 * hammer the same mutex all along, holding it across sched_yield(), so
 * that lockers find it taken and sleep in FUTEX_WAIT. With driver-inserted
 * pages glibc aborts here ("The futex facility returned an unexpected
 * error code"). Every count must come out exact.
 */
TEST_F_TIMEOUT(dev, pshared_mutex_and_condvar_ping_pong_under_contention, 300)
{
	enum { ROUNDS = 2000 };
	pid_t pids[1 + NR_HAMMERS];
	uint64_t sum = 0;
	long hammer_nvcsw = 0;
	struct rusage ru;
	int i, status, ret;

	init_lock_and_cond(_metadata, self->sh);
	self->sh->turn = 0;

	pids[0] = spawn(self, cond_player, 1, ROUNDS);
	ASSERT_LT(0, pids[0]);
	for (i = 1; i < NR_HAMMERS; i++) {
		pids[i] = spawn(self, hammer, i, MIN_HAMMER_ITERS);
		ASSERT_LT(0, pids[i]);
	}
	pids[NR_HAMMERS] = spawn_exec("--hammer", self->off, 0);
	ASSERT_LT(0, pids[NR_HAMMERS]);

	ret = cond_player(self->sh, 0, ROUNDS);
	__atomic_store_n(&self->sh->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i <= NR_HAMMERS; i++) {
		ASSERT_EQ(pids[i], wait4(pids[i], &status, 0, &ru));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("child %d: status %#x%s", i, status,
			       WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT ?
			       " (glibc abort: futex error)" : "");
		/* a forked hammer sleeps only in FUTEX_WAIT (and once in exit) */
		if (i > 0 && i < NR_HAMMERS)
			hammer_nvcsw += ru.ru_nvcsw;
	}
	ASSERT_EQ(0, ret);

	EXPECT_EQ(ROUNDS, self->sh->rounds[0]);
	EXPECT_EQ(ROUNDS, self->sh->rounds[1]);
	EXPECT_EQ(0, self->sh->turn);
	for (i = 0; i < NR_HAMMERS; i++) {
		EXPECT_LE(MIN_HAMMER_ITERS, self->sh->iters[i]);
		sum += self->sh->iters[i];
	}
	EXPECT_EQ(sum, self->sh->hammered);
	/* the mutex really was contended, and the hammers really slept on it */
	EXPECT_LT(0, self->sh->contended);
	EXPECT_LT(NR_HAMMERS - 1, hammer_nvcsw);
	TH_LOG("contended lock attempts: %llu of %llu; forked hammers' voluntary switches: %ld",
	       (unsigned long long)self->sh->contended,
	       (unsigned long long)sum, hammer_nvcsw);
	ASSERT_EQ(0, pthread_mutex_destroy(&self->sh->lock));
	ASSERT_EQ(0, pthread_cond_destroy(&self->sh->cond));
}

/*
 * A robust mutex whose owner exits while this process sleeps on it: the
 * kernel walks the dead owner's robust list, marks the word OWNER_DIED and
 * wakes the waiter, who gets EOWNERDEAD and can make the mutex consistent.
 */
TEST_F(dev, robust_mutex_owner_exit_wakes_waiter_with_eownerdead)
{
	pid_t parent = getpid(), pid;
	struct timespec dl;

	init_mutex(_metadata, &self->sh->robust, PTHREAD_MUTEX_ROBUST,
		   PTHREAD_PRIO_NONE);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shared *sh = map_own(self->map, self->ps, self->off);

		if (!sh || pthread_mutex_lock(&sh->robust))
			_exit(1);
		__atomic_store_n(&sh->ready, 1, __ATOMIC_RELEASE);
		/* die holding the mutex once the parent sleeps on it */
		_exit(wait_blocked_in(parent, SYS_futex, WAKE_S * 1000) ? 0 : 2);
	}
	ASSERT_TRUE(wait_ready(self->sh));
	dl = deadline(CLOCK_REALTIME);
	ASSERT_EQ(EOWNERDEAD, pthread_mutex_timedlock(&self->sh->robust, &dl));
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, pthread_mutex_consistent(&self->sh->robust));
	ASSERT_EQ(0, pthread_mutex_unlock(&self->sh->robust));

	/* consistent again: the next owner, in another process, locks it plainly */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shared *sh = map_own(self->map, self->ps, self->off);

		if (!sh)
			_exit(1);
		dl = deadline(CLOCK_REALTIME);
		if (pthread_mutex_timedlock(&sh->robust, &dl))
			_exit(2);
		_exit(pthread_mutex_unlock(&sh->robust) ? 3 : 0);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, pthread_mutex_lock(&self->sh->robust));
	ASSERT_EQ(0, pthread_mutex_unlock(&self->sh->robust));
}

/*
 * A robust mutex whose owner is SIGKILLed with nobody waiting: the next
 * locker gets EOWNERDEAD; if it unlocks without making the mutex
 * consistent, the mutex is dead for good (ENOTRECOVERABLE).
 */
TEST_F(dev, robust_mutex_killed_owner_gives_next_locker_eownerdead)
{
	pid_t pid;

	init_mutex(_metadata, &self->sh->robust, PTHREAD_MUTEX_ROBUST,
		   PTHREAD_PRIO_NONE);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shared *sh = map_own(self->map, self->ps, self->off);

		if (!sh || pthread_mutex_lock(&sh->robust))
			_exit(1);
		__atomic_store_n(&sh->ready, 1, __ATOMIC_RELEASE);
		sleep(WAKE_S * 3);
		_exit(2);
	}
	ASSERT_TRUE(wait_ready(self->sh));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, wait_child(pid));

	ASSERT_EQ(EOWNERDEAD, pthread_mutex_lock(&self->sh->robust));
	ASSERT_EQ(0, pthread_mutex_unlock(&self->sh->robust));
	ASSERT_EQ(ENOTRECOVERABLE, pthread_mutex_lock(&self->sh->robust));
}

/*
 * A pshared priority-inheritance mutex (FUTEX_LOCK_PI/FUTEX_UNLOCK_PI): the
 * kernel finds the owner by the TID in the word and hands the mutex over
 * to the waiter in this process when the owner unlocks.
 */
TEST_F(dev, pi_mutex_hands_over_across_processes)
{
	pid_t parent = getpid(), pid;
	struct timespec dl;
	uint32_t *lockword;

	init_mutex(_metadata, &self->sh->pi, PTHREAD_MUTEX_STALLED,
		   PTHREAD_PRIO_INHERIT);
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shared *sh = map_own(self->map, self->ps, self->off);
		int blocked;

		if (!sh || pthread_mutex_lock(&sh->pi))
			_exit(1);
		__atomic_store_n(&sh->ready, 1, __ATOMIC_RELEASE);
		blocked = wait_blocked_in(parent, SYS_futex, WAKE_S * 1000);
		if (pthread_mutex_unlock(&sh->pi))
			_exit(3);
		_exit(blocked ? 0 : 2);
	}
	ASSERT_TRUE(wait_ready(self->sh));
	/* glibc's lock word holds the owner's TID: the child's, in this namespace */
	lockword = (uint32_t *)&self->sh->pi;
	ASSERT_EQ((uint32_t)pid, *lockword & FUTEX_TID_MASK);
	dl = deadline(CLOCK_REALTIME);
	ASSERT_EQ(0, pthread_mutex_timedlock(&self->sh->pi, &dl));
	ASSERT_EQ((uint32_t)gettid(), *lockword & FUTEX_TID_MASK);
	ASSERT_EQ(0, pthread_mutex_unlock(&self->sh->pi));
	ASSERT_EQ(0, wait_child(pid));
}

/* A pshared semaphore at 0: a waiter in another process sleeps until a
 * post from this one wakes it. */
TEST_F(dev, pshared_semaphore_wait_sleeps_until_post)
{
	pid_t pid;
	int val;

	ASSERT_EQ(0, sem_init(&self->sh->sem, 1, 0));
	ASSERT_EQ(-1, sem_trywait(&self->sh->sem));
	ASSERT_EQ(EAGAIN, errno);

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shared *sh = map_own(self->map, self->ps, self->off);
		struct timespec dl = deadline(CLOCK_REALTIME);

		if (!sh)
			_exit(1);
		__atomic_store_n(&sh->ready, 1, __ATOMIC_RELEASE);
		if (sem_timedwait(&sh->sem, &dl))
			_exit(errno == ETIMEDOUT ? 2 : 3);
		_exit(0);
	}
	ASSERT_TRUE(wait_ready(self->sh));
	ASSERT_TRUE(wait_blocked_in(pid, SYS_futex, WAKE_S * 1000));
	ASSERT_EQ(0, sem_getvalue(&self->sh->sem, &val));
	ASSERT_EQ(0, val);
	ASSERT_EQ(0, sem_post(&self->sh->sem));
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, sem_getvalue(&self->sh->sem, &val));
	ASSERT_EQ(0, val);
	ASSERT_EQ(0, sem_destroy(&self->sh->sem));
}

/*
 * Two pshared counting semaphores guard a ring of 8 slots: this process
 * produces 2000 items, a separately mapped child consumes them. Both block
 * on full and empty rings; every item arrives once, in order.
 */
TEST_F_TIMEOUT(dev, pshared_semaphores_pass_every_item_in_order, 120)
{
	enum { ITEMS = 2000 };
	struct timespec dl;
	pid_t pid;
	uint32_t i;

	ASSERT_EQ(0, sem_init(&self->sh->items, 1, 0));
	ASSERT_EQ(0, sem_init(&self->sh->slots, 1, RING_SLOTS));
	self->sh->sum = 0;

	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct shared *sh = map_own(self->map, self->ps, self->off);

		if (!sh)
			_exit(1);
		for (i = 0; i < ITEMS; i++) {
			dl = deadline(CLOCK_REALTIME);
			if (sem_timedwait(&sh->items, &dl))
				_exit(errno == ETIMEDOUT ? 2 : 3);
			if (sh->ring[i % RING_SLOTS] != i + 1)
				_exit(4);
			sh->sum += sh->ring[i % RING_SLOTS];
			if (sem_post(&sh->slots))
				_exit(5);
		}
		_exit(0);
	}
	for (i = 0; i < ITEMS; i++) {
		dl = deadline(CLOCK_REALTIME);
		ASSERT_EQ(0, sem_timedwait(&self->sh->slots, &dl));
		self->sh->ring[i % RING_SLOTS] = i + 1;
		ASSERT_EQ(0, sem_post(&self->sh->items));
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ((uint64_t)ITEMS * (ITEMS + 1) / 2, self->sh->sum);
}

int main(int argc, char **argv)
{
	if (argc == 4 && (!strcmp(argv[1], "--futex-waiter") ||
			  !strcmp(argv[1], "--hammer"))) {
		struct shared *sh = map_own(NULL, 0, strtoul(argv[2], NULL, 0));
		unsigned int arg = strtoul(argv[3], NULL, 0);

		if (!sh)
			return 99;
		if (!strcmp(argv[1], "--futex-waiter"))
			return futex_waiter(sh, arg, 0);
		/* the exec'd hammer is number 0 */
		return hammer(sh, arg, MIN_HAMMER_ITERS);
	}
	return test_harness_run(argc, argv);
}
