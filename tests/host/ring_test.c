// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the message ring of libmmio_shm (mmio_shm_ring_*()) on
 * memfds and a regular file mapped through the library: a million records
 * keep their order and bytes across two processes; a record fits at every
 * offset of the data area, wrapping with a padding record; full and empty
 * rings give -EAGAIN, records larger than the ring -EMSGSIZE, expired
 * timeouts -ETIMEDOUT, signals -EINTR as documented; reserve/commit and
 * peek/release work in place; a corrupt or foreign header is refused with
 * -EPROTO; a sleeping side is flagged and woken across processes, also
 * where the positions pass 2^32; and a side that moves its position makes
 * no futex system call while nobody is flagged as waiting (counted with a
 * seccomp filter that traps futex).
 */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "host.h"
#include "kselftest_harness.h"
#include "../selftests/futex_trap.h"

#define MS		1000000LL	/* nanoseconds */
#define RW		(MMIO_SHM_PROT_READ | MMIO_SHM_PROT_WRITE)

/* bytes a record with a @len-byte payload takes (the documented layout) */
static size_t rec_size(size_t len)
{
	return (8 + len + 7) & ~(size_t)7;
}

/* the documented layout: a side's block holds its position at +0, alone
 * on its line, then its sleep ticket at +64, the position it sleeps on at
 * +72, its waiting flag at +80, its wake word at +100 and its fenceless
 * flag at +104; the consumer's block is at head_offset */
static uint64_t *pos_of(unsigned char *mem, bool consumer)
{
	struct mmio_shm_ring_hdr *h = (void *)mem;

	return (void *)(mem + (consumer ? h->head_offset : h->tail_offset));
}

static void *field_of(unsigned char *mem, bool consumer, size_t off)
{
	return (unsigned char *)pos_of(mem, consumer) + off;
}

static uint64_t *sleeps_of(unsigned char *mem, bool consumer)
{
	return field_of(mem, consumer, 64);
}

static uint64_t *sleep_on_of(unsigned char *mem, bool consumer)
{
	return field_of(mem, consumer, 72);
}

static uint32_t *waiting_of(unsigned char *mem, bool consumer)
{
	return field_of(mem, consumer, 80);
}

static uint32_t *wake_of(unsigned char *mem, bool consumer)
{
	return field_of(mem, consumer, 100);
}

static uint32_t *fenceless_of(unsigned char *mem, bool consumer)
{
	return field_of(mem, consumer, 104);
}

static uint32_t is_waiting(unsigned char *mem, bool consumer)
{
	return __atomic_load_n(waiting_of(mem, consumer), __ATOMIC_SEQ_CST);
}

/* the payload byte @i of record @seq */
static unsigned char pattern(uint64_t seq, size_t i)
{
	return (unsigned char)(seq * 131 + i * 7 + 1);
}

static void fill(void *p, uint64_t seq, size_t len)
{
	unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = pattern(seq, i);
}

/* the index of the first wrong byte, or -1 */
static long check(const void *p, uint64_t seq, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != pattern(seq, i))
			return (long)i;
	return -1;
}

/* as check(), for bytes @from to @len of the record */
static long check_from(const void *p, uint64_t seq, size_t from, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = from; i < len; i++)
		if (b[i] != pattern(seq, i))
			return (long)i;
	return -1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* spins until a side's waiting flag is set; false after 5 s */
static bool wait_flagged(unsigned char *mem, bool consumer)
{
	uint64_t end = now_ns() + 5000 * MS;

	while (!is_waiting(mem, consumer))
		if (now_ns() > end)
			return false;
		else
			usleep(100);
	return true;
}

/* a child that dies with the test */
static pid_t fork_child(void)
{
	pid_t pid = fork();

	if (pid == 0)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	return pid;
}

/* waits for @pid; its exit status, or -1 if it did not exit */
static int child_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* a file of @size bytes for the variant: a memfd or an unlinked file */
static int backing_fd(size_t size, bool file)
{
	char path[] = "/tmp/ring_test.XXXXXX";
	int fd;

	if (!file)
		return memfd_of_size(size);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -1;
	unlink(path);
	if (ftruncate(fd, (off_t)size)) {
		close(fd);
		return -1;
	}
	return fd;
}

FIXTURE(ring) {
	int fd;				/* the backing memfd or file */
	struct mmio_shm *shm;		/* a handle on it */
	unsigned char *mem;		/* its mapping: the ring's region */
	size_t len;			/* the region's length */
	struct mmio_shm_ring *ring;	/* made by mmio_shm_ring_init() */
	size_t max;			/* the largest payload */
};

FIXTURE_VARIANT(ring) {
	size_t data_size;		/* the data area */
	bool file;			/* a regular file, not a memfd */
};

FIXTURE_VARIANT_ADD(ring, memfd_256) {
	.data_size = 256,
};

FIXTURE_VARIANT_ADD(ring, memfd_4096) {
	.data_size = 4096,
};

FIXTURE_VARIANT_ADD(ring, file_256) {
	.data_size = 256,
	.file = true,
};

FIXTURE_SETUP(ring)
{
	size_t maplen;

	self->len = MMIO_SHM_RING_OVERHEAD + variant->data_size;
	self->fd = backing_fd(self->len, variant->file);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, mmio_shm_open_fd(self->fd, &self->shm));
	ASSERT_EQ(0, mmio_shm_map(self->shm, RW, (void **)&self->mem, &maplen));
	ASSERT_EQ(self->len, maplen);
	ASSERT_EQ(0, mmio_shm_ring_init(self->mem, self->len, 0, &self->ring));
	ASSERT_EQ(0, mmio_shm_ring_get_max_msg(self->ring, &self->max));
}

FIXTURE_TEARDOWN(ring)
{
	mmio_shm_ring_detach(self->ring);
	mmio_shm_close(self->shm);
	close(self->fd);
}

/* attach to the fixture's region must be refused with @err */
#define EXPECT_ATTACH(err) do {						\
	struct mmio_shm_ring *r_ = (void *)0x1;				\
	EXPECT_EQ(err, mmio_shm_ring_attach(self->mem, self->len, 0, &r_)); \
	if (!(err))							\
		mmio_shm_ring_detach(r_);				\
	else								\
		EXPECT_EQ((void *)0x1, r_);				\
} while (0)

TEST_F(ring, init_lays_out_the_documented_header)
{
	struct mmio_shm_ring_hdr *h = (void *)self->mem;

	EXPECT_EQ(MMIO_SHM_RING_MAGIC, h->magic);
	EXPECT_EQ(MMIO_SHM_RING_VERSION, h->version);
	EXPECT_EQ(self->len, h->region_size);
	EXPECT_EQ(128, h->tail_offset);
	EXPECT_EQ(256, h->head_offset);
	EXPECT_EQ(MMIO_SHM_RING_OVERHEAD, h->data_offset);
	EXPECT_EQ(variant->data_size, h->data_size);
	EXPECT_EQ(0, h->flags);
	EXPECT_EQ(0, *pos_of(self->mem, false));
	EXPECT_EQ(0, *pos_of(self->mem, true));
	EXPECT_EQ(0, *waiting_of(self->mem, false));
	EXPECT_EQ(0, *sleeps_of(self->mem, true));
	EXPECT_EQ(variant->data_size - 8, self->max);
	EXPECT_ATTACH(0);
}

TEST_F(ring, init_takes_the_largest_power_of_two_that_fits)
{
	struct mmio_shm_ring_hdr *h = (void *)self->mem;
	struct mmio_shm_ring *r;

	/* one byte short of the variant's size: the next power down */
	ASSERT_EQ(0, mmio_shm_ring_init(self->mem, self->len - 1, 0, &r));
	EXPECT_EQ(variant->data_size / 2, h->data_size);
	EXPECT_EQ(MMIO_SHM_RING_OVERHEAD + variant->data_size / 2,
		  h->region_size);
	mmio_shm_ring_detach(r);
}

TEST_F(ring, init_and_attach_refuse_bad_arguments)
{
	struct mmio_shm_ring *r = (void *)0x1;
	size_t small = MMIO_SHM_RING_OVERHEAD + MMIO_SHM_RING_MIN_DATA;

	EXPECT_EQ(-EINVAL, mmio_shm_ring_init(NULL, self->len, 0, &r));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_init(self->mem, self->len, 0, NULL));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_init(self->mem + 8, self->len - 8, 0,
					      &r));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_init(self->mem, self->len, 1, &r));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_init(self->mem, small - 1, 0, &r));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_attach(NULL, self->len, 0, &r));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_attach(self->mem, self->len, 0, NULL));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_attach(self->mem + 64, self->len - 64,
						0, &r));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_attach(self->mem, self->len, 2, &r));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_attach(self->mem, 127, 0, &r));
	EXPECT_EQ((void *)0x1, r);
	/* none of these touched the ring */
	EXPECT_ATTACH(0);
	EXPECT_EQ(-EINVAL, mmio_shm_ring_detach(NULL));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_get_max_msg(NULL, &self->max));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_get_max_msg(self->ring, NULL));

	/* the smallest ring there is */
	ASSERT_EQ(0, mmio_shm_ring_init(self->mem, small, 0, &r));
	EXPECT_EQ(0, mmio_shm_ring_get_max_msg(r, &self->max));
	EXPECT_EQ(MMIO_SHM_RING_MIN_DATA - 8, self->max);
	mmio_shm_ring_detach(r);
}

TEST_F(ring, attach_refuses_a_bad_magic)
{
	struct mmio_shm_ring_hdr *h = (void *)self->mem;

	h->magic ^= 0x100;
	EXPECT_ATTACH(-EPROTO);
	/* a zeroed region, such as a new buffer, holds no ring */
	memset(self->mem, 0, self->len);
	EXPECT_ATTACH(-EPROTO);
}

TEST_F(ring, attach_refuses_an_unknown_version)
{
	struct mmio_shm_ring_hdr *h = (void *)self->mem;

	h->version = MMIO_SHM_RING_VERSION + 1;
	EXPECT_ATTACH(-EPROTO);
	h->version = 0;
	EXPECT_ATTACH(-EPROTO);
	/* libmmio_shm 1.1's layout: 32-bit tickets, no wake word */
	h->version = 1;
	EXPECT_ATTACH(-EPROTO);
	/* 1.2's: the sleep words on the position's line, always a fence */
	h->version = 2;
	EXPECT_ATTACH(-EPROTO);
	h->version = MMIO_SHM_RING_VERSION;
	EXPECT_ATTACH(0);
	EXPECT_EQ(3, MMIO_SHM_RING_VERSION);
}

TEST_F(ring, attach_refuses_bad_sizes)
{
	struct mmio_shm_ring_hdr *h = (void *)self->mem;
	const struct mmio_shm_ring_hdr good = *h;
	struct mmio_shm_ring *r = (void *)0x1;

	/* not a power of two (region_size kept consistent) */
	h->data_size = good.data_size - 8;
	h->region_size = h->data_offset + h->data_size;
	EXPECT_ATTACH(-EPROTO);
	/* below the minimum, above the maximum */
	h->data_size = MMIO_SHM_RING_MIN_DATA / 2;
	h->region_size = h->data_offset + h->data_size;
	EXPECT_ATTACH(-EPROTO);
	h->data_size = (uint64_t)MMIO_SHM_RING_MAX_DATA * 2;
	h->region_size = h->data_offset + h->data_size;
	EXPECT_ATTACH(-EPROTO);
	/* a power of two larger than the region */
	h->data_size = good.data_size * 2;
	h->region_size = h->data_offset + h->data_size;
	EXPECT_ATTACH(-EPROTO);
	/* region_size disagrees with the data area */
	*h = good;
	h->region_size = good.region_size - 8;
	EXPECT_ATTACH(-EPROTO);
	h->region_size = good.region_size + 8;
	EXPECT_ATTACH(-EPROTO);
	/* a region shorter than the header says */
	*h = good;
	EXPECT_EQ(-EPROTO, mmio_shm_ring_attach(self->mem, self->len - 1, 0,
						&r));
	EXPECT_EQ((void *)0x1, r);
	EXPECT_ATTACH(0);
}

TEST_F(ring, attach_refuses_offsets_outside_the_layout)
{
	struct mmio_shm_ring_hdr *h = (void *)self->mem;
	const struct mmio_shm_ring_hdr good = *h;

	h->tail_offset = self->len;		/* outside the region */
	EXPECT_ATTACH(-EPROTO);
	*h = good;
	h->head_offset = UINT64_MAX - 127;	/* wraps around */
	EXPECT_ATTACH(-EPROTO);
	*h = good;
	h->head_offset = 0;			/* on the header */
	EXPECT_ATTACH(-EPROTO);
	*h = good;
	h->data_offset = 256;			/* on the head block */
	h->region_size = h->data_offset + h->data_size;
	EXPECT_ATTACH(-EPROTO);
	*h = good;
	h->data_offset = 512;			/* data past the region's end */
	h->region_size = h->data_offset + h->data_size;
	EXPECT_ATTACH(-EPROTO);
	*h = good;
	EXPECT_ATTACH(0);
}

TEST_F(ring, attach_refuses_nonzero_flags_and_reserved_words)
{
	struct mmio_shm_ring_hdr *h = (void *)self->mem;
	size_t i;

	h->flags = 1;
	EXPECT_ATTACH(-EPROTO);
	h->flags = 0;
	for (i = 0; i < sizeof(h->reserved) / sizeof(h->reserved[0]); i++) {
		h->reserved[i] = 1;
		EXPECT_ATTACH(-EPROTO);
		h->reserved[i] = 0;
	}
	EXPECT_ATTACH(0);
}

TEST_F(ring, attach_refuses_inconsistent_positions)
{
	uint64_t *tail = pos_of(self->mem, false);
	uint64_t *head = pos_of(self->mem, true);

	*head = 1000;
	*tail = 1000 + variant->data_size + 8;	/* more than the ring holds */
	EXPECT_ATTACH(-EPROTO);
	*tail = 992;				/* tail behind head */
	EXPECT_ATTACH(-EPROTO);
	*tail = 1004;				/* not 8-byte aligned */
	EXPECT_ATTACH(-EPROTO);
	*tail = 1000 + variant->data_size;	/* exactly full is fine */
	EXPECT_ATTACH(0);
}

TEST_F(ring, empty_ring_is_eagain_without_waiting)
{
	const void *p = (void *)0x1;
	size_t len = 7;
	char buf[8];

	EXPECT_EQ(-EAGAIN, mmio_shm_ring_recv(self->ring, buf, sizeof(buf), 0,
					      &len));
	EXPECT_EQ(-EAGAIN, mmio_shm_ring_peek(self->ring, 0, &p, &len));
	EXPECT_EQ((void *)0x1, p);
	EXPECT_EQ(-EINVAL, mmio_shm_ring_release(self->ring));
	/* and after a record went through */
	EXPECT_EQ(0, mmio_shm_ring_send(self->ring, "x", 1, 0));
	EXPECT_EQ(0, mmio_shm_ring_recv(self->ring, buf, sizeof(buf), 0, &len));
	EXPECT_EQ(1, len);
	EXPECT_EQ(-EAGAIN, mmio_shm_ring_recv(self->ring, buf, sizeof(buf), 0,
					      &len));
	EXPECT_EQ(0, is_waiting(self->mem, true));
}

TEST_F(ring, full_ring_is_eagain_until_a_record_is_consumed)
{
	size_t lens[] = { 0, 1, 8, 13, self->max / 4, self->max / 2 + 1 };
	unsigned char buf[4096];
	size_t i, n, len, fits;
	void *p;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		/* from offset 0, as many as fit whole */
		ASSERT_EQ(0, mmio_shm_ring_init(self->mem, self->len, 0,
						&self->ring));
		fits = variant->data_size / rec_size(lens[i]);
		for (n = 0; n < fits; n++) {
			fill(buf, n, lens[i]);
			ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf,
							lens[i], 0));
		}
		EXPECT_EQ(-EAGAIN, mmio_shm_ring_send(self->ring, buf,
						      lens[i], 0));
		EXPECT_EQ(-EAGAIN, mmio_shm_ring_reserve(self->ring, lens[i],
							 0, &p));
		EXPECT_EQ(0, is_waiting(self->mem, false));
		ASSERT_EQ(0, mmio_shm_ring_recv(self->ring, buf, sizeof(buf),
						0, &len));
		EXPECT_EQ(lens[i], len);
		EXPECT_EQ(-1, check(buf, 0, len));
		/* one record's room is back */
		fill(buf, n, lens[i]);
		EXPECT_EQ(0, mmio_shm_ring_send(self->ring, buf, lens[i], 0));
		for (n = 1; n <= fits; n++) {
			ASSERT_EQ(0, mmio_shm_ring_recv(self->ring, buf,
							sizeof(buf), 0, &len));
			EXPECT_EQ(lens[i], len);
			EXPECT_EQ(-1, check(buf, n, len));
		}
		EXPECT_EQ(-EAGAIN, mmio_shm_ring_recv(self->ring, buf,
						      sizeof(buf), 0, &len));
		mmio_shm_ring_detach(self->ring);
	}
	ASSERT_EQ(0, mmio_shm_ring_attach(self->mem, self->len, 0,
					  &self->ring));
}

TEST_F(ring, records_larger_than_the_ring_are_emsgsize)
{
	unsigned char *buf = calloc(1, self->max + 2);
	void *p = (void *)0x1;
	size_t len;

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(-EMSGSIZE, mmio_shm_ring_send(self->ring, buf, self->max + 1,
						-1));
	EXPECT_EQ(-EMSGSIZE, mmio_shm_ring_reserve(self->ring, self->max + 1,
						   -1, &p));
	EXPECT_EQ(-EMSGSIZE, mmio_shm_ring_send(self->ring, buf, SIZE_MAX, 0));
	EXPECT_EQ((void *)0x1, p);
	/* nothing was written */
	EXPECT_EQ(0, *pos_of(self->mem, false));
	/* the largest fills the whole data area */
	fill(buf, 5, self->max);
	EXPECT_EQ(0, mmio_shm_ring_send(self->ring, buf, self->max, 0));
	EXPECT_EQ(variant->data_size, *pos_of(self->mem, false));
	EXPECT_EQ(-EAGAIN, mmio_shm_ring_send(self->ring, buf, 0, 0));
	memset(buf, 0, self->max);
	EXPECT_EQ(0, mmio_shm_ring_recv(self->ring, buf, self->max, 0, &len));
	EXPECT_EQ(self->max, len);
	EXPECT_EQ(-1, check(buf, 5, len));
	free(buf);
}

TEST_F(ring, recv_into_a_short_buffer_is_emsgsize_and_keeps_the_record)
{
	unsigned char buf[64];
	size_t len = 0;

	fill(buf, 9, 40);
	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 40, 0));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(-EMSGSIZE, mmio_shm_ring_recv(self->ring, buf, 39, 0, &len));
	EXPECT_EQ(40, len);
	EXPECT_EQ(0, buf[0]);
	EXPECT_EQ(-EINVAL, mmio_shm_ring_recv(self->ring, NULL, 40, 0, &len));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_recv(self->ring, buf, 40, 0, NULL));
	EXPECT_EQ(0, mmio_shm_ring_recv(self->ring, buf, 40, 0, &len));
	EXPECT_EQ(40, len);
	EXPECT_EQ(-1, check(buf, 9, 40));
}

/*
 * Puts head and tail at @off in a fresh ring (one record of @off bytes sent
 * and received), so that the next record starts there.
 */
static int ring_at(unsigned char *mem, size_t len, size_t off,
		   struct mmio_shm_ring **ringp)
{
	static unsigned char filler[1 << 16];
	size_t n;

	mmio_shm_ring_detach(*ringp);
	*ringp = NULL;
	if (mmio_shm_ring_init(mem, len, 0, ringp))
		return -1;
	if (off && (mmio_shm_ring_send(*ringp, filler, off - 8, 0) ||
		    mmio_shm_ring_recv(*ringp, filler, off, 0, &n)))
		return -1;
	return *pos_of(mem, true) == off && *pos_of(mem, false) == off ? 0 : -1;
}

/* the payload lengths tried at @off: all of them on a small ring */
static size_t lengths_at(size_t size, size_t max, size_t off, size_t *lens)
{
	size_t n = 0;

	if (size <= 256) {
		for (n = 0; n <= max; n++)
			lens[n] = n;
		return n;
	}
	/* on a larger one, the edges and the lengths around the end */
	lens[n++] = 0;
	lens[n++] = 1;
	lens[n++] = max / 2;
	lens[n++] = max;
	lens[n++] = size - off - 8;	/* exactly up to the end */
	lens[n++] = size - off - 7;	/* one byte over: padding */
	return n;
}

TEST_F(ring, a_record_fits_at_every_offset_and_wraps_with_padding)
{
	size_t size = variant->data_size, off, i, count, len, got, next;
	unsigned char *data = self->mem + MMIO_SHM_RING_OVERHEAD;
	unsigned char *buf = malloc(self->max);
	size_t lens[257];
	const void *q;
	int ret;
	void *p;

	ASSERT_NE(NULL, buf);
	for (off = 0; off < size && _metadata->passed; off += 8) {
		count = lengths_at(size, self->max, off, lens);
		for (i = 0; i < count && _metadata->passed; i++) {
			len = lens[i];
			if (len > self->max)
				continue;
			ASSERT_EQ(0, ring_at(self->mem, self->len, off,
					     &self->ring));
			/* zero-copy: in one piece, after padding if needed */
			ret = mmio_shm_ring_reserve(self->ring, len, 0, &p);
			if (ret == -EAGAIN && off + rec_size(len) > size &&
			    size - off + rec_size(len) > size) {
				/*
				 * Padding and record together exceed the data
				 * area: the record needs the consumer to pass
				 * the padding, published already.
				 */
				EXPECT_EQ(size, *pos_of(self->mem, false));
				EXPECT_EQ(-EAGAIN, mmio_shm_ring_peek(self->ring,
								      0, &q,
								      &got));
				EXPECT_EQ(size, *pos_of(self->mem, true));
				ret = mmio_shm_ring_reserve(self->ring, len, 0,
							    &p);
			}
			ASSERT_EQ(0, ret)
				TH_LOG("offset %zu, length %zu", off, len);
			if (off + rec_size(len) <= size) {
				EXPECT_EQ(data + off + 8, (unsigned char *)p);
				next = off + rec_size(len);
			} else {
				EXPECT_EQ(data + 8, (unsigned char *)p);
				next = size + rec_size(len);
			}
			fill(p, off + len, len);
			ASSERT_EQ(0, mmio_shm_ring_commit(self->ring, len));
			ASSERT_EQ(0, mmio_shm_ring_peek(self->ring, 0, &q,
							&got));
			EXPECT_EQ(p, q);
			EXPECT_EQ(len, got);
			EXPECT_EQ(-1, check(q, off + len, len))
				TH_LOG("offset %zu, length %zu", off, len);
			ASSERT_EQ(0, mmio_shm_ring_release(self->ring));
			/* tail and head passed the padding, if any */
			EXPECT_EQ(next, *pos_of(self->mem, false));
			EXPECT_EQ(next, *pos_of(self->mem, true));
			/* and a copied record right after it */
			fill(buf, len + 1, len);
			ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, len,
							0));
			memset(buf, 0, len);
			ASSERT_EQ(0, mmio_shm_ring_recv(self->ring, buf, len,
							0, &got));
			EXPECT_EQ(len, got);
			EXPECT_EQ(-1, check(buf, len + 1, len))
				TH_LOG("offset %zu, length %zu", off, len);
		}
	}
	free(buf);
}

TEST_F(ring, the_largest_record_passes_from_any_offset_to_a_waiting_consumer)
{
	unsigned char *buf = malloc(self->max);
	size_t off, got;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	for (off = 8; off < variant->data_size; off += variant->data_size / 4) {
		ASSERT_EQ(0, ring_at(self->mem, self->len, off, &self->ring));
		pid = fork_child();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			/* passes the padding, then waits for the record */
			if (mmio_shm_ring_recv(self->ring, buf, self->max,
					       10000 * MS, &got) ||
			    got != self->max || check(buf, off, got) != -1)
				_exit(1);
			_exit(0);
		}
		fill(buf, off, self->max);
		EXPECT_EQ(0, mmio_shm_ring_send(self->ring, buf, self->max,
						10000 * MS));
		EXPECT_EQ(0, child_status(pid)) TH_LOG("offset %zu", off);
	}
	free(buf);
}

TEST_F(ring, reserve_and_commit_fill_a_record_in_place)
{
	const void *q;
	void *p, *p2;
	size_t len;

	ASSERT_EQ(0, mmio_shm_ring_reserve(self->ring, 40, 0, &p));
	fill(p, 3, 40);
	/* nothing is visible before the commit */
	EXPECT_EQ(-EAGAIN, mmio_shm_ring_peek(self->ring, 0, &q, &len));
	EXPECT_EQ(0, *pos_of(self->mem, false));
	/* one reservation at a time */
	EXPECT_EQ(-EBUSY, mmio_shm_ring_reserve(self->ring, 8, 0, &p2));
	EXPECT_EQ(-EBUSY, mmio_shm_ring_send(self->ring, "x", 1, 0));
	/* a record may shrink, not grow */
	EXPECT_EQ(-EINVAL, mmio_shm_ring_commit(self->ring, 41));
	EXPECT_EQ(0, mmio_shm_ring_commit(self->ring, 33));
	EXPECT_EQ(rec_size(33), *pos_of(self->mem, false));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_commit(self->ring, 0));
	ASSERT_EQ(0, mmio_shm_ring_peek(self->ring, 0, &q, &len));
	EXPECT_EQ(p, q);
	EXPECT_EQ(33, len);
	EXPECT_EQ(-1, check(q, 3, 33));
	EXPECT_EQ(0, mmio_shm_ring_release(self->ring));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_reserve(self->ring, 8, 0, NULL));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_reserve(NULL, 8, 0, &p));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_commit(NULL, 0));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_send(self->ring, NULL, 1, 0));
}

TEST_F(ring, peek_and_release_read_a_record_in_place)
{
	unsigned char buf[64];
	const void *q, *q2;
	size_t len, len2, fits, n;

	fill(buf, 1, 24);
	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 24, 0));
	fill(buf, 2, 16);
	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 16, 0));
	/* peeking twice finds the same record */
	ASSERT_EQ(0, mmio_shm_ring_peek(self->ring, 0, &q, &len));
	ASSERT_EQ(0, mmio_shm_ring_peek(self->ring, 0, &q2, &len2));
	EXPECT_EQ(q, q2);
	EXPECT_EQ(24, len);
	EXPECT_EQ(24, len2);
	EXPECT_EQ(self->mem + MMIO_SHM_RING_OVERHEAD + 8, (unsigned char *)q);
	EXPECT_EQ(-1, check(q, 1, 24));
	/* head moves only with the release */
	EXPECT_EQ(0, *pos_of(self->mem, true));
	EXPECT_EQ(0, mmio_shm_ring_release(self->ring));
	EXPECT_EQ(rec_size(24), *pos_of(self->mem, true));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_release(self->ring));
	ASSERT_EQ(0, mmio_shm_ring_peek(self->ring, 0, &q, &len));
	EXPECT_EQ(16, len);
	EXPECT_EQ(-1, check(q, 2, 16));
	EXPECT_EQ(0, mmio_shm_ring_release(self->ring));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_peek(self->ring, 0, NULL, &len));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_peek(self->ring, 0, &q, NULL));
	EXPECT_EQ(-EINVAL, mmio_shm_ring_release(NULL));

	/* a full ring gets room back from a release, not from a peek */
	ASSERT_EQ(0, ring_at(self->mem, self->len, 0, &self->ring));
	fits = variant->data_size / rec_size(8);
	for (n = 0; n < fits; n++)
		ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
	EXPECT_EQ(-EAGAIN, mmio_shm_ring_send(self->ring, buf, 8, 0));
	ASSERT_EQ(0, mmio_shm_ring_peek(self->ring, 0, &q, &len));
	EXPECT_EQ(-EAGAIN, mmio_shm_ring_send(self->ring, buf, 8, 0));
	EXPECT_EQ(0, mmio_shm_ring_release(self->ring));
	EXPECT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
}

TEST_F(ring, consumer_refuses_a_corrupt_record_with_eproto)
{
	unsigned char *data = self->mem + MMIO_SHM_RING_OVERHEAD;
	uint32_t *rec = (uint32_t *)(void *)data;
	unsigned char buf[64];
	uint64_t *tail = pos_of(self->mem, false);
	const void *q;
	size_t len;

	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, "abcdefgh", 8, 0));
	/* a length beyond what was written */
	rec[0] = 9;
	EXPECT_EQ(-EPROTO, mmio_shm_ring_recv(self->ring, buf, sizeof(buf), 0,
					      &len));
	/* a length beyond the data area */
	rec[0] = UINT32_MAX;
	EXPECT_EQ(-EPROTO, mmio_shm_ring_peek(self->ring, 0, &q, &len));
	/* an unknown flag */
	rec[0] = 8;
	rec[1] = 0x2;
	EXPECT_EQ(-EPROTO, mmio_shm_ring_peek(self->ring, 0, &q, &len));
	/* padding that does not run to the end of the data area */
	rec[1] = MMIO_SHM_RING_REC_PAD;
	EXPECT_EQ(-EPROTO, mmio_shm_ring_peek(self->ring, 0, &q, &len));
	/* the record as it was */
	rec[1] = 0;
	EXPECT_EQ(0, mmio_shm_ring_recv(self->ring, buf, sizeof(buf), 0, &len));
	EXPECT_EQ(8, len);
	/* a tail more than the data area ahead of head */
	*tail += variant->data_size + 8;
	EXPECT_EQ(-EPROTO, mmio_shm_ring_peek(self->ring, 0, &q, &len));
	/* ... or behind it, or misaligned */
	*tail = 0;
	EXPECT_EQ(-EPROTO, mmio_shm_ring_peek(self->ring, 0, &q, &len));
	*tail = *pos_of(self->mem, true) + 4;
	EXPECT_EQ(-EPROTO, mmio_shm_ring_peek(self->ring, 0, &q, &len));
}

TEST_F(ring, producer_refuses_a_corrupt_head_with_eproto)
{
	uint64_t *head = pos_of(self->mem, true), h0, tail;
	unsigned char buf[8] = { 0 };
	int ret;

	/* full: the producer must load head again to find room */
	while (!(ret = mmio_shm_ring_send(self->ring, buf, sizeof(buf), 0)))
		;
	ASSERT_EQ(-EAGAIN, ret);
	h0 = *head;
	tail = *pos_of(self->mem, false);
	/* ahead of tail */
	*head = tail + 8;
	EXPECT_EQ(-EPROTO, mmio_shm_ring_send(self->ring, buf, 8, 0));
	/* misaligned */
	*head = h0 + 4;
	EXPECT_EQ(-EPROTO, mmio_shm_ring_send(self->ring, buf, 8, 0));
	/* more than the data area behind tail */
	*head = tail - variant->data_size - 8;
	EXPECT_EQ(-EPROTO, mmio_shm_ring_send(self->ring, buf, 8, 0));
	/* the honest head again: just full */
	*head = h0;
	EXPECT_EQ(-EAGAIN, mmio_shm_ring_send(self->ring, buf, 8, 0));
}

/* the elapsed ms of @call, which must return @err */
#define EXPECT_TAKES(err, call, min_ms, max_ms) do {			\
	uint64_t t0_ = now_ns();					\
	EXPECT_EQ(err, call);						\
	t0_ = (now_ns() - t0_) / MS;					\
	EXPECT_LE(min_ms, t0_);						\
	EXPECT_GE(max_ms, t0_);						\
} while (0)

TEST_F(ring, an_expired_timeout_is_etimedout)
{
	unsigned char buf[64];
	const void *q;
	size_t len, n;
	void *p;

	/* empty: the consumer waits */
	EXPECT_TAKES(-ETIMEDOUT, mmio_shm_ring_recv(self->ring, buf,
						    sizeof(buf), 30 * MS,
						    &len), 30, 2000);
	EXPECT_TAKES(-ETIMEDOUT, mmio_shm_ring_peek(self->ring, 20 * MS, &q,
						    &len), 20, 2000);
	/* the flag is down again */
	EXPECT_EQ(0, is_waiting(self->mem, true));
	/* full: the producer waits */
	for (n = 0; n < variant->data_size / rec_size(8); n++)
		ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
	EXPECT_TAKES(-ETIMEDOUT, mmio_shm_ring_send(self->ring, buf, 8,
						    30 * MS), 30, 2000);
	EXPECT_TAKES(-ETIMEDOUT, mmio_shm_ring_reserve(self->ring, 8, 20 * MS,
						       &p), 20, 2000);
	EXPECT_EQ(0, is_waiting(self->mem, false));
	/* 0 does not wait at all */
	EXPECT_TAKES(-EAGAIN, mmio_shm_ring_send(self->ring, buf, 8, 0), 0, 5);
}

static volatile sig_atomic_t signals;

static void count_signal(int sig)
{
	signals++;
}

/* SIGALRM in @ms milliseconds, its handler installed with @flags */
static void alarm_in(int ms, int flags)
{
	struct sigaction sa = { .sa_handler = count_signal, .sa_flags = flags };
	struct itimerval it = { .it_value.tv_usec = ms * 1000 };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

TEST_F(ring, a_signal_while_sleeping_is_eintr_as_documented)
{
	unsigned char buf[64];
	size_t len;
	pid_t pid;

	/* a handler without SA_RESTART ends a wait without timeout */
	signals = 0;
	alarm_in(30, 0);
	EXPECT_EQ(-EINTR, mmio_shm_ring_recv(self->ring, buf, sizeof(buf), -1,
					     &len));
	EXPECT_EQ(1, signals);
	EXPECT_EQ(0, is_waiting(self->mem, true));
	/* with a timeout, even an SA_RESTART handler ends it */
	alarm_in(30, SA_RESTART);
	EXPECT_EQ(-EINTR, mmio_shm_ring_recv(self->ring, buf, sizeof(buf),
					     5000 * MS, &len));
	EXPECT_EQ(2, signals);
	/* without a timeout, the kernel restarts it: the record arrives */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		usleep(200 * 1000);
		_exit(mmio_shm_ring_send(self->ring, "late", 4, 0) ? 1 : 0);
	}
	alarm_in(30, SA_RESTART);
	EXPECT_EQ(0, mmio_shm_ring_recv(self->ring, buf, sizeof(buf), -1,
					&len));
	EXPECT_EQ(3, signals);
	EXPECT_EQ(4, len);
	EXPECT_EQ(0, child_status(pid));
}

/* CPU time this process has used, in ns */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

TEST_F(ring, a_sleeping_consumer_is_flagged_sleeps_and_is_woken_by_another_process)
{
	unsigned char buf[64];
	uint64_t t0, c0;
	size_t len;
	pid_t pid;

	/* not at 0, where the low and high halves of tail look alike */
	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
	ASSERT_EQ(0, mmio_shm_ring_recv(self->ring, buf, 8, 0, &len));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* woken long before the timeout, with the record */
		t0 = now_ns();
		c0 = cpu_ns();
		if (mmio_shm_ring_recv(self->ring, buf, sizeof(buf),
				       10000 * MS, &len) || len != 5 ||
		    check(buf, 7, 5) != -1)
			_exit(1);
		if (now_ns() - t0 > 5000 * MS)
			_exit(2);
		/* it waited 100 ms or more, asleep: not a busy loop */
		_exit(cpu_ns() - c0 < 30 * MS ? 0 : 3);
	}
	ASSERT_TRUE(wait_flagged(self->mem, true));
	/* a tenth of a second more: the child is surely in FUTEX_WAIT */
	usleep(100 * 1000);
	fill(buf, 7, 5);
	EXPECT_EQ(0, mmio_shm_ring_send(self->ring, buf, 5, 0));
	EXPECT_EQ(0, child_status(pid));
	EXPECT_EQ(0, is_waiting(self->mem, true));
}

TEST_F(ring, a_sleeping_producer_is_flagged_and_woken_by_another_process)
{
	size_t fits = variant->data_size / rec_size(8), n, len;
	unsigned char buf[64];
	pid_t pid;

	for (n = 0; n < fits; n++) {
		fill(buf, n, 8);
		ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
	}
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* woken long before the timeout */
		uint64_t t0 = now_ns();

		fill(buf, fits, 8);
		if (mmio_shm_ring_send(self->ring, buf, 8, 10000 * MS))
			_exit(1);
		_exit(now_ns() - t0 < 5000 * MS ? 0 : 2);
	}
	ASSERT_TRUE(wait_flagged(self->mem, false));
	usleep(100 * 1000);
	ASSERT_EQ(0, mmio_shm_ring_recv(self->ring, buf, sizeof(buf), 0, &len));
	EXPECT_EQ(0, child_status(pid));
	EXPECT_EQ(0, is_waiting(self->mem, false));
	for (n = 1; n <= fits; n++) {
		ASSERT_EQ(0, mmio_shm_ring_recv(self->ring, buf, sizeof(buf), 0,
						&len));
		EXPECT_EQ(-1, check(buf, n, 8));
	}
}

TEST_F(ring, positions_past_2_to_the_32_keep_working)
{
	uint64_t start = (1ull << 32) - 16, n;
	unsigned char buf[64];
	size_t len;
	pid_t pid;

	/* a ring that has carried 4 GiB: set the positions, then attach */
	*pos_of(self->mem, false) = start;
	*pos_of(self->mem, true) = start;
	mmio_shm_ring_detach(self->ring);
	ASSERT_EQ(0, mmio_shm_ring_attach(self->mem, self->len, 0,
					  &self->ring));
	/* the consumer sleeps on low 32 bits 0xfffffff0; they become 0x10 */
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint64_t t0 = now_ns();

		if (mmio_shm_ring_recv(self->ring, buf, sizeof(buf),
				       10000 * MS, &len) || len != 24)
			_exit(1);
		_exit(now_ns() - t0 < 5000 * MS ? 0 : 2);
	}
	ASSERT_TRUE(wait_flagged(self->mem, true));
	usleep(100 * 1000);
	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 24, 0));
	EXPECT_EQ(0, child_status(pid));
	/* 16 bytes of padding up to the end, then the 32-byte record */
	EXPECT_EQ(start + 16 + 32, *pos_of(self->mem, true));
	/* the child's copy of the handle consumed: attach anew to go on */
	mmio_shm_ring_detach(self->ring);
	ASSERT_EQ(0, mmio_shm_ring_attach(self->mem, self->len, 0,
					  &self->ring));
	for (n = 0; n < 100; n++) {
		fill(buf, n, n % 50);
		ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, n % 50, 0));
		ASSERT_EQ(0, mmio_shm_ring_recv(self->ring, buf, sizeof(buf), 0,
						&len));
		EXPECT_EQ(n % 50, len);
		EXPECT_EQ(-1, check(buf, n, len));
	}
}

static volatile sig_atomic_t futex_wakes, futex_waits, membarriers;
/* the word and value of the last futex call trapped, and its timeout */
static void *volatile futex_addr;
static volatile uint32_t futex_val;
static struct timespec futex_rel;
static volatile bool futex_timed;
/* a trapped membarrier(): what runs in it, and what it returns */
static void (*volatile membarrier_hook)(void);
static volatile long membarrier_ret;

/*
 * SIGSYS from the filters below: a futex call, counted by its operation
 * instead of made, returns -ENOSYS; a membarrier(GLOBAL_EXPEDITED),
 * counted, runs membarrier_hook and returns membarrier_ret.
 */
static void count_futex(int sig, siginfo_t *si, void *ctx)
{
	const struct timespec *rel = NULL;
	ucontext_t *uc = ctx;
	long op, ret = -ENOSYS;

	if (si->si_syscall == __NR_membarrier) {
		membarriers++;
		if (membarrier_hook)
			membarrier_hook();
		ret = membarrier_ret;
		op = -1;
	}
#if defined(__x86_64__)
	if (si->si_syscall != __NR_membarrier) {
		op = uc->uc_mcontext.gregs[REG_RSI];
		futex_addr = (void *)uc->uc_mcontext.gregs[REG_RDI];
		futex_val = (uint32_t)uc->uc_mcontext.gregs[REG_RDX];
		rel = (const void *)uc->uc_mcontext.gregs[REG_R10];
	}
	uc->uc_mcontext.gregs[REG_RAX] = ret;
#elif defined(__aarch64__)
	if (si->si_syscall != __NR_membarrier) {
		op = (long)uc->uc_mcontext.regs[1];
		futex_addr = (void *)uc->uc_mcontext.regs[0];
		futex_val = (uint32_t)uc->uc_mcontext.regs[2];
		rel = (const void *)uc->uc_mcontext.regs[3];
	}
	uc->uc_mcontext.regs[0] = (unsigned long)ret;
#else
	op = -1;
#endif
	if (si->si_syscall == __NR_membarrier)
		return;
	futex_timed = rel != NULL;
	if (rel)
		futex_rel = *rel;
	if ((op & FUTEX_CMD_MASK) == FUTEX_WAKE)
		futex_wakes++;
	else
		futex_waits++;
}

/* every futex call of this process counted, not made. Return: 0, or -1 */
static int trap_futex(void)
{
	return futex_trap(count_futex);
}

TEST_F(ring, a_waker_makes_no_futex_call_while_nobody_is_flagged)
{
	unsigned char buf[256];
	size_t n, i, len, got;
	uint64_t round;
	const void *q;
	void *p;

	if (trap_futex())
		SKIP(return, "no seccomp filter for futex on this machine");
	/* the filter sees a futex call of the test's own, and says ENOSYS */
	errno = 0;
	EXPECT_EQ(-1, syscall(SYS_futex, &futex_wakes, FUTEX_WAKE, 1, NULL,
			      NULL, 0));
	EXPECT_EQ(ENOSYS, errno);
	ASSERT_EQ(1, futex_wakes);
	futex_wakes = 0;

	/*
	 * Fill and drain the ring many times through every call, blocking
	 * or not, where neither side ever has to sleep: no futex call.
	 */
	for (round = 0; round < 2000; round++) {
		len = round % 41;
		for (n = 0; !mmio_shm_ring_reserve(self->ring, len, 0, &p); n++)
			ASSERT_EQ(0, mmio_shm_ring_commit(self->ring, len));
		ASSERT_EQ(-EAGAIN, mmio_shm_ring_send(self->ring, buf, len, 0));
		ASSERT_LT(0, n);
		/* records are there: even waiting forever does not wait */
		for (i = 0; i < n; i++) {
			if (i % 2) {
				ASSERT_EQ(0, mmio_shm_ring_recv(self->ring, buf,
								sizeof(buf),
								-1, &got));
				continue;
			}
			ASSERT_EQ(0, mmio_shm_ring_peek(self->ring, -1, &q,
							&got));
			ASSERT_EQ(0, mmio_shm_ring_release(self->ring));
		}
		ASSERT_EQ(-EAGAIN, mmio_shm_ring_recv(self->ring, buf,
						      sizeof(buf), 0, &got));
		/* room is there: even waiting forever does not wait */
		ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, len, -1));
		ASSERT_EQ(0, mmio_shm_ring_recv(self->ring, buf, sizeof(buf),
						10 * MS, &got));
	}
	EXPECT_EQ(0, futex_wakes);
	EXPECT_EQ(0, futex_waits);

	/*
	 * A side flagged as waiting costs the other side one FUTEX_WAKE per
	 * sleep (per ticket), however many records go by meanwhile.
	 */
	*sleeps_of(self->mem, true) += 1;
	*waiting_of(self->mem, true) = 1;
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
		EXPECT_EQ(1, futex_wakes);
	}
	/*
	 * The waker leaves the flag up: lowering it could take down the flag
	 * of a sleep that came after the one it woke (see docs/design.md).
	 */
	EXPECT_EQ(1, is_waiting(self->mem, true));
	*sleeps_of(self->mem, true) += 1;	/* it sleeps again */
	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
	EXPECT_EQ(2, futex_wakes);
	*waiting_of(self->mem, true) = 0;
	*sleeps_of(self->mem, false) += 1;
	*waiting_of(self->mem, false) = 1;
	for (i = 0; i < 4; i++) {		/* the four records sent */
		ASSERT_EQ(0, mmio_shm_ring_recv(self->ring, buf, sizeof(buf), 0,
						&got));
		EXPECT_EQ(3, futex_wakes);
	}
	*waiting_of(self->mem, false) = 0;
	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
	ASSERT_EQ(0, mmio_shm_ring_recv(self->ring, buf, sizeof(buf), 0, &got));
	EXPECT_EQ(3, futex_wakes);
	EXPECT_EQ(0, futex_waits);

	/* a side that must sleep makes FUTEX_WAIT (here -ENOSYS), then
	 * lowers its flag */
	round = *sleeps_of(self->mem, true);
	EXPECT_EQ(-ENOSYS, mmio_shm_ring_recv(self->ring, buf, sizeof(buf),
					      1000 * MS, &got));
	EXPECT_EQ(1, futex_waits);
	EXPECT_EQ(0, is_waiting(self->mem, true));
	EXPECT_EQ(round + 1, *sleeps_of(self->mem, true));
	EXPECT_EQ(3, futex_wakes);
}

/*
 * A waker late with its loads (descheduled after its fence) can meet a
 * sleep that began after the sleeper consumed that very publication: the
 * sleep's sleep_on is the waker's own position. Waking it is useless, and
 * spending its ticket on that would make every later publication skip the
 * sleep: both sides then sleep for good (seen in one run of four of the
 * million-record test before the check existed).
 */
TEST_F(ring, a_waker_spends_no_ticket_on_a_sleep_that_saw_its_record)
{
	unsigned char buf[64] = { 0 };
	uint64_t tail;

	if (trap_futex())
		SKIP(return, "no seccomp filter for futex on this machine");
	tail = *pos_of(self->mem, false);
	/* the consumer sleeps on the position the next send publishes */
	*sleep_on_of(self->mem, true) = tail + rec_size(8);
	*sleeps_of(self->mem, true) += 1;
	*waiting_of(self->mem, true) = 1;
	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
	EXPECT_EQ(0, futex_wakes);
	/* the next publication is news to that sleep: it is woken, once */
	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
	EXPECT_EQ(1, futex_wakes);
	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
	EXPECT_EQ(1, futex_wakes);
	*waiting_of(self->mem, true) = 0;
	EXPECT_EQ(0, futex_waits);
}

/*
 * The word a side sleeps on is the other side's wake word, for the value
 * it had before the sleeper raised its flag, and a wake-up bumps it
 * before FUTEX_WAKE: a wake-up can then never land between the sleeper's
 * last check and its FUTEX_WAIT and be lost (a bind is such an event too:
 * tests/selftests/peer_test.c stages it on the device).
 */
TEST_F(ring, a_sleeper_waits_on_the_wake_word_which_every_wake_up_bumps)
{
	unsigned char buf[64] = { 0 };
	uint32_t w;
	size_t got;

	if (trap_futex())
		SKIP(return, "no seccomp filter for futex on this machine");
	w = *wake_of(self->mem, false);
	EXPECT_EQ(-ENOSYS, mmio_shm_ring_recv(self->ring, buf, sizeof(buf),
					      1000 * MS, &got));
	EXPECT_EQ(1, futex_waits);
	EXPECT_EQ((void *)wake_of(self->mem, false), futex_addr);
	EXPECT_EQ(w, futex_val);
	/* a consumer flagged as waiting: the send bumps, then wakes */
	*sleeps_of(self->mem, true) += 1;
	*waiting_of(self->mem, true) = 1;
	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
	EXPECT_EQ(1, futex_wakes);
	EXPECT_EQ((void *)wake_of(self->mem, false), futex_addr);
	EXPECT_EQ(w + 1, *wake_of(self->mem, false));
	/* nobody flagged: no bump, no call */
	*waiting_of(self->mem, true) = 0;
	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
	EXPECT_EQ(w + 1, *wake_of(self->mem, false));
	EXPECT_EQ(1, futex_wakes);
}

/*
 * The ticket is 64 bits: a sleeper whose counter moved on by 2^32 sleeps
 * that nobody woke (timeouts, signals, doorbell rings by anyone) still
 * gets a new ticket, not the one its waker spent last. With a 32-bit
 * ticket that sleep was skipped by every publication: a hang.
 */
TEST_F(ring, a_ticket_2_to_the_32_sleeps_later_is_still_a_new_one)
{
	unsigned char buf[64] = { 0 };

	if (trap_futex())
		SKIP(return, "no seccomp filter for futex on this machine");
	*sleeps_of(self->mem, true) = 5;
	*waiting_of(self->mem, true) = 1;
	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
	EXPECT_EQ(1, futex_wakes);
	/* 2^32 unspent sleeps later, the consumer sleeps again */
	*sleeps_of(self->mem, true) = 5 + (1ull << 32);
	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
	EXPECT_EQ(2, futex_wakes);
	*waiting_of(self->mem, true) = 0;
}

/* the fixture's ring, for membarrier_hook */
static unsigned char *hook_mem;

/*
 * The producer's fenceless publication, staged: its record was written
 * and its tail stored, but the store sits in its CPU's store buffer,
 * unseen by the consumer, until the consumer's membarrier() makes that
 * CPU pass a full barrier. Here the tail is stored in membarrier() itself.
 */
static void publish_tail_in_membarrier(void)
{
	uint64_t *tail = pos_of(hook_mem, false);

	__atomic_store_n(tail, *tail + rec_size(8), __ATOMIC_RELEASE);
}

/* membarrier() and futex calls trapped and counted. Return: 0, or -1 */
static int trap_futex_and_membarrier(void)
{
	futex_wakes = futex_waits = membarriers = 0;
	membarrier_hook = NULL;
	membarrier_ret = 0;
	return trap_futex() || membarrier_trap() ? -1 : 0;
}

/*
 * A side says in its block, with its first publication through a handle,
 * that it publishes without a fence from then on, once its process is
 * registered for membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED).
 */
TEST_F(ring, the_first_publication_of_each_side_says_fenceless)
{
	unsigned char buf[64] = { 0 };
	size_t got;

	if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
		    0, 0))
		SKIP(return, "no membarrier(GLOBAL_EXPEDITED) here: always a fence");
	EXPECT_EQ(0, *fenceless_of(self->mem, false));
	EXPECT_EQ(0, *fenceless_of(self->mem, true));
	ASSERT_EQ(0, mmio_shm_ring_send(self->ring, buf, 8, 0));
	EXPECT_EQ(1, *fenceless_of(self->mem, false));
	EXPECT_EQ(0, *fenceless_of(self->mem, true));
	ASSERT_EQ(0, mmio_shm_ring_recv(self->ring, buf, sizeof(buf), 0, &got));
	EXPECT_EQ(1, *fenceless_of(self->mem, true));
	/* the sleep words, not the position's line */
	EXPECT_EQ((unsigned char *)pos_of(self->mem, false) + 104,
		  (unsigned char *)fenceless_of(self->mem, false));
}

/*
 * The lost wake-up a fenceless publication could cause, staged: the
 * producer's tail store is not visible yet and its load of waiting saw 0
 * (it makes no wake-up), while the consumer raises its flag and looks at
 * tail once more. That last look must come after the consumer's
 * membarrier(), which makes the producer's store visible: the consumer
 * then finds the record and never sleeps. A last look before it would
 * sleep on a record that is there (FUTEX_WAIT, here -ENOSYS).
 */
TEST_F(ring, a_sleeper_looks_last_after_the_membarrier_of_a_fenceless_peer)
{
	unsigned char buf[64], *data = self->mem + MMIO_SHM_RING_OVERHEAD;
	uint64_t tail = *pos_of(self->mem, false);
	size_t got;

	if (trap_futex_and_membarrier())
		SKIP(return, "no seccomp filter for futex on this machine");
	/* the producer publishes without a fence: its block says so */
	*fenceless_of(self->mem, false) = 1;
	/* its record is in place; its tail store is in flight */
	*(uint32_t *)(void *)(data + (tail & (variant->data_size - 1))) = 8;
	*(uint32_t *)(void *)(data + (tail & (variant->data_size - 1)) + 4) = 0;
	memset(data + (tail & (variant->data_size - 1)) + 8, 0x3c, 8);
	hook_mem = self->mem;
	membarrier_hook = publish_tail_in_membarrier;
	ASSERT_EQ(0, mmio_shm_ring_recv(self->ring, buf, sizeof(buf),
					1000 * MS, &got));
	EXPECT_EQ(8, got);
	EXPECT_EQ(0x3c, buf[7]);
	EXPECT_EQ(1, membarriers);
	EXPECT_EQ(0, futex_waits);
	membarrier_hook = NULL;
}

/*
 * A peer whose block does not say fenceless publishes with a fence: a
 * sleep costs no membarrier() then, only the FUTEX_WAIT.
 */
TEST_F(ring, a_sleeper_makes_no_membarrier_for_a_peer_with_a_fence)
{
	unsigned char buf[64];
	size_t got;

	if (trap_futex_and_membarrier())
		SKIP(return, "no seccomp filter for futex on this machine");
	*fenceless_of(self->mem, false) = 0;
	EXPECT_EQ(-ENOSYS, mmio_shm_ring_recv(self->ring, buf, sizeof(buf),
					      -1, &got));
	EXPECT_EQ(1, futex_waits);
	EXPECT_EQ(0, membarriers);
	/* forever: no timeout on the futex */
	EXPECT_FALSE(futex_timed);
}

/*
 * A sleeper that cannot membarrier() (a seccomp filter says EPERM) while
 * its peer publishes without a fence may miss a wake-up: it sleeps at
 * most a millisecond at a time, and looks again, however long it waits.
 */
TEST_F(ring, a_sleeper_without_membarrier_sleeps_a_millisecond_at_a_time)
{
	unsigned char buf[64];
	size_t got;

	if (trap_futex_and_membarrier())
		SKIP(return, "no seccomp filter for futex on this machine");
	*fenceless_of(self->mem, false) = 1;
	membarrier_ret = -EPERM;
	EXPECT_EQ(-ENOSYS, mmio_shm_ring_recv(self->ring, buf, sizeof(buf),
					      -1, &got));
	EXPECT_EQ(1, membarriers);
	EXPECT_EQ(1, futex_waits);
	ASSERT_TRUE(futex_timed);
	EXPECT_EQ(0, futex_rel.tv_sec);
	EXPECT_GE(1000000, futex_rel.tv_nsec);
	EXPECT_LT(0, futex_rel.tv_nsec);
}

/*
 * A region laid out to end at a PROT_NONE page, the bytes before it a
 * canary: an access past the region faults, one before it shows.
 */
struct guarded {
	unsigned char *base;		/* the mapping: pages, then the guard */
	size_t map_len;
	unsigned char *mem;		/* the ring's region, ending at guard */
	size_t len;
};

#define GUARD_DATA	4096
#define CANARY		0xa5

static int guarded_map(struct guarded *g)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd;

	g->len = MMIO_SHM_RING_OVERHEAD + GUARD_DATA;
	g->map_len = ((g->len + (size_t)page - 1) / (size_t)page + 1) *
		     (size_t)page;
	fd = memfd_of_size(g->map_len);
	if (fd < 0)
		return -1;
	g->base = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);
	close(fd);
	if (g->base == MAP_FAILED ||
	    mprotect(g->base + g->map_len - page, (size_t)page, PROT_NONE))
		return -1;
	g->mem = g->base + g->map_len - page - g->len;
	memset(g->base, CANARY, (size_t)(g->mem - g->base));
	return 0;
}

static bool canary_intact(const struct guarded *g)
{
	const unsigned char *p;

	for (p = g->base; p < g->mem; p++)
		if (*p != CANARY)
			return false;
	return true;
}

/*
 * A hostile producer writes the consumer's own position (which the
 * consumer must never read back) next to the end of the data area and a
 * tail 8 bytes past it. Trusting those, the consumer would read a record
 * header across the end of the region, into the guard page.
 */
TEST(a_hostile_producer_cannot_make_the_consumer_read_outside_the_region)
{
	struct mmio_shm_ring *prod, *cons;
	unsigned char out[64];
	struct guarded g;
	const void *q;
	size_t got;

	ASSERT_EQ(0, guarded_map(&g));
	ASSERT_EQ(0, mmio_shm_ring_init(g.mem, g.len, 0, &prod));
	ASSERT_EQ(0, mmio_shm_ring_attach(g.mem, g.len, 0, &cons));
	ASSERT_EQ(0, mmio_shm_ring_send(prod, "honest!", 8, 0));
	ASSERT_EQ(0, mmio_shm_ring_recv(cons, out, sizeof(out), 0, &got));
	/* the adversary's writes: head at size - 4, tail past it */
	*pos_of(g.mem, true) = GUARD_DATA - 4;
	*pos_of(g.mem, false) = GUARD_DATA + 4;
	EXPECT_EQ(-EPROTO, mmio_shm_ring_peek(cons, 0, &q, &got));
	EXPECT_EQ(-EPROTO, mmio_shm_ring_recv(cons, out, sizeof(out), 0, &got));
	/* an aligned tail a whole data area ahead of the forged head */
	*pos_of(g.mem, false) = GUARD_DATA - 4 + GUARD_DATA;
	EXPECT_EQ(-EPROTO, mmio_shm_ring_peek(cons, 0, &q, &got));
	EXPECT_TRUE(canary_intact(&g));
	mmio_shm_ring_detach(prod);
	mmio_shm_ring_detach(cons);
	munmap(g.base, g.map_len);
}

/*
 * A hostile consumer writes the producer's own position 4 bytes short of
 * the end of the data area and a head that leaves room. Trusting its tail,
 * the producer would write its padding record's header across the end of
 * the region.
 */
TEST(a_hostile_consumer_cannot_make_the_producer_write_outside_the_region)
{
	struct mmio_shm_ring *prod;
	struct guarded g;
	unsigned char rec[16] = { 0 };
	uint64_t tail;

	ASSERT_EQ(0, guarded_map(&g));
	ASSERT_EQ(0, mmio_shm_ring_init(g.mem, g.len, 0, &prod));
	*pos_of(g.mem, false) = GUARD_DATA - 4;
	*pos_of(g.mem, true) = GUARD_DATA - 8;
	/* the producer goes on from its own tail, 0: the record is at 0 */
	ASSERT_EQ(0, mmio_shm_ring_send(prod, rec, sizeof(rec), 0));
	memcpy(&tail, pos_of(g.mem, false), sizeof(tail));
	EXPECT_EQ(rec_size(sizeof(rec)), tail);
	/* and the forged head is caught once the producer needs it */
	while (!mmio_shm_ring_send(prod, rec, sizeof(rec), 0))
		;
	*pos_of(g.mem, true) = GUARD_DATA - 4;
	EXPECT_EQ(-EPROTO, mmio_shm_ring_send(prod, rec, sizeof(rec), 0));
	EXPECT_TRUE(canary_intact(&g));
	mmio_shm_ring_detach(prod);
	munmap(g.base, g.map_len);
}

#define RECORDS		1000000
#define BIG_DATA	(64 * 1024)

/* a record's length: 8 to 135 bytes, its first 8 bytes its number */
static size_t record_len(uint64_t seq)
{
	return 8 + (seq * 7919) % 128;
}

/* the producer of the million: copies and reserves in turn; exit status */
static int produce(struct mmio_shm_ring *ring)
{
	unsigned char buf[256];
	uint64_t seq;
	size_t len;
	void *p;

	for (seq = 0; seq < RECORDS; seq++) {
		len = record_len(seq);
		if (seq % 2) {
			fill(buf, seq, len);
			memcpy(buf, &seq, sizeof(seq));
			if (mmio_shm_ring_send(ring, buf, len, -1))
				return 1;
			continue;
		}
		if (mmio_shm_ring_reserve(ring, len, -1, &p))
			return 2;
		fill(p, seq, len);
		memcpy(p, &seq, sizeof(seq));
		if (mmio_shm_ring_commit(ring, len))
			return 3;
	}
	return 0;
}

/*
 * Every call waits forever: a lost wake-up leaves both sides asleep, and
 * the harness's timeout fails the test. Nothing here is timed.
 */
TEST(a_million_records_keep_order_and_bytes_across_two_processes)
{
	size_t len = MMIO_SHM_RING_OVERHEAD + BIG_DATA, got, maplen;
	struct mmio_shm_ring *ring, *mine;
	unsigned char buf[256], *mem;
	uint64_t seq, s, bytes = 0;
	struct mmio_shm *shm;
	const void *q;
	int fd, ret;
	pid_t pid;

	fd = memfd_of_size(len);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, mmio_shm_open_fd(fd, &shm));
	ASSERT_EQ(0, mmio_shm_map(shm, RW, (void **)&mem, &maplen));
	ASSERT_EQ(0, mmio_shm_ring_init(mem, len, 0, &mine));
	pid = fork_child();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* the producer attaches as another process would */
		if (mmio_shm_ring_attach(mem, len, 0, &ring))
			_exit(10);
		_exit(produce(ring));
	}
	for (seq = 0; seq < RECORDS; seq++) {
		if (seq % 3) {
			ret = mmio_shm_ring_recv(mine, buf, sizeof(buf), -1,
						 &got);
			q = buf;
		} else {
			ret = mmio_shm_ring_peek(mine, -1, &q, &got);
		}
		ASSERT_EQ(0, ret) TH_LOG("record %llu", (unsigned long long)seq);
		ASSERT_EQ(record_len(seq), got);
		memcpy(&s, q, sizeof(s));
		ASSERT_EQ(seq, s);
		ASSERT_EQ(-1, check_from(q, seq, 8, got));
		bytes += got;
		if (!(seq % 3))
			ASSERT_EQ(0, mmio_shm_ring_release(mine));
	}
	EXPECT_EQ(0, child_status(pid));
	EXPECT_EQ(-EAGAIN, mmio_shm_ring_recv(mine, buf, sizeof(buf), 0, &got));
	TH_LOG("%d records, %llu payload bytes, in order and intact",
	       RECORDS, (unsigned long long)bytes);
	mmio_shm_ring_detach(mine);
	mmio_shm_close(shm);
	close(fd);
}

TEST_HARNESS_MAIN
