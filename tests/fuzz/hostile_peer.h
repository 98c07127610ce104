/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the libFuzzer targets against a hostile peer (ring_fuzz.c,
 * fanin_fuzz.c) share: the input read as a stream of numbers, the promise
 * that traps when broken, and the region under test placed against a
 * guard page with canaries before it, so that a stray access on either
 * side is caught.
 */
#ifndef MMIO_SHM_HOSTILE_PEER_H
#define MMIO_SHM_HOSTILE_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CANARY		0x5a

/* the input, read front to back; past its end every read is 0 */
struct input {
	const uint8_t *p;
	size_t left;
};

/* the next @bytes bytes of the input, big-endian */
static uint64_t take(struct input *in, size_t bytes)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < bytes; i++) {
		v <<= 8;
		if (in->left) {
			v |= *in->p++;
			in->left--;
		}
	}
	return v;
}

/* a broken promise: libFuzzer reports the crash and keeps the input */
#define PROMISE(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static bool one_of(int ret, const int *ok, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ret == ok[i])
			return true;
	return false;
}

/* @ret is one of the values listed */
#define RET_IS(ret, ...) do {						\
	const int ok_[] = { __VA_ARGS__ };				\
	PROMISE(one_of(ret, ok_, sizeof(ok_) / sizeof(ok_[0])));	\
} while (0)

/*
 * @len bytes of shared memory (MAP_SHARED: the futex calls on it are
 * shared ones) that end where a PROT_NONE page begins, with CANARY bytes
 * from the mapping's start up to them. Returns the region, or NULL; the
 * mapping in *@base and *@map_len, for guarded_check() and munmap().
 */
static unsigned char *guarded_map(size_t len, unsigned char **base,
				  size_t *map_len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *mem;

	*map_len = ((len + page - 1) / page + 1) * page;
	*base = mmap(NULL, *map_len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (*base == MAP_FAILED)
		return NULL;
	if (mprotect(*base + *map_len - page, page, PROT_NONE)) {
		munmap(*base, *map_len);
		return NULL;
	}
	mem = *base + *map_len - page - len;
	memset(*base, CANARY, (size_t)(mem - *base));
	return mem;
}

/* nothing wrote below the region */
static void guarded_check(const unsigned char *base, const unsigned char *mem)
{
	const unsigned char *p;

	for (p = base; p < mem; p++)
		PROMISE(*p == CANARY);
}

#endif /* MMIO_SHM_HOSTILE_PEER_H */
