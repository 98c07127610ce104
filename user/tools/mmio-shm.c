// SPDX-License-Identifier: GPL-2.0
/*
 * mmio-shm - inspect, fill and signal an mmio_shm device (or a file
 * standing in for it) from the command line, through libmmio_shm, pass a
 * stream through a message ring in it (send, recv), and hand a range of
 * it to other drivers as a dma-buf (export).
 *
 * Exit status: 0 on success, 1 on failure, 2 on a usage error. Every error
 * is one line on stderr: "mmio-shm: WHAT: REASON".
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libmmio_shm.h"

#define PROG		"mmio-shm"
#define EXIT_USAGE	2
#define DUMP_DEFAULT_LEN 256
/* send's largest record by default (less when the ring holds less) */
#define SEND_DEFAULT_RECORD (64u << 10)
/* the longest pause between two looks for a ring not laid out yet */
#define ATTACH_MAX_PAUSE_MS 64
/* the slots of the fan-in recv --fanin lays out */
#define FANIN_SLOTS 8
/* what export --exec names the dma-buf fd and its size in, for CMD */
#define EXPORT_ENV_FD	"MMIO_SHM_DMABUF_FD"
#define EXPORT_ENV_SIZE	"MMIO_SHM_DMABUF_SIZE"
/* export --exec: exit status when CMD cannot be run, as a shell's */
#define EXIT_NO_EXEC	127

static void __attribute__((noreturn, format(printf, 2, 3)))
die_errno(int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err < 0 ? -err : err));
	exit(EXIT_FAILURE);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILURE);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try " PROG " --help)\n");
	exit(EXIT_USAGE);
}

/* what the options of any subcommand set */
struct opts {
	const char *device;	/* NULL: the library's default */
	uint64_t offset;	/* --offset */
	uint64_t length;	/* --length; 0: to the end (dump: 256) */
	bool has_length;
	int64_t timeout_ms;	/* --timeout; negative: none */
	uint64_t count;		/* --count; 0: unbounded */
	uint64_t seq;		/* --seq */
	bool has_seq;
	bool init;		/* --init */
	bool lines;		/* --lines */
	uint64_t record_size;	/* --record-size; 0: the default */
	bool fanin;		/* --fanin */
	bool read_only;		/* --read-only */
	bool exec;		/* --exec */
};

/* which options a subcommand takes, beyond -d, -h and -v */
enum {
	OPT_OFFSET = 1 << 0,
	OPT_LENGTH = 1 << 1,
	OPT_TIMEOUT = 1 << 2,
	OPT_COUNT = 1 << 3,
	OPT_SEQ = 1 << 4,
	OPT_INIT = 1 << 5,
	OPT_LINES = 1 << 6,
	OPT_RECORD_SIZE = 1 << 7,
	OPT_FANIN = 1 << 8,
	OPT_READ_ONLY = 1 << 9,
	OPT_EXEC = 1 << 10,	/* its arguments are a command: options end there */
};

/* what a subcommand runs with */
struct call {
	struct mmio_shm *shm;	/* the open device or file */
	const struct opts *o;	/* its options */
	char **args;		/* its positional arguments */
	int nargs;
};

struct command {
	const char *name;
	const char *args;	/* positional arguments for the usage line */
	const char *purpose;
	unsigned int opts;	/* OPT_* */
	int min_args, max_args;	/* positional arguments */
	int (*run)(const struct call *c);
	bool writable;		/* opens the device read-write */
};

static const struct option long_options[] = {
	{ "device",	required_argument,	NULL, 'd' },
	{ "offset",	required_argument,	NULL, 'o' },
	{ "length",	required_argument,	NULL, 'l' },
	{ "timeout",	required_argument,	NULL, 't' },
	{ "count",	required_argument,	NULL, 'c' },
	{ "seq",	required_argument,	NULL, 's' },
	{ "init",	no_argument,		NULL, 'i' },
	{ "lines",	no_argument,		NULL, 'L' },
	{ "record-size", required_argument,	NULL, 'r' },
	{ "fanin",	no_argument,		NULL, 'F' },
	{ "read-only",	no_argument,		NULL, 'R' },
	{ "exec",	no_argument,		NULL, 'x' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'v' },
	{ NULL,		0,			NULL, 0 },
};

/* one row of the Options table, for the option with short name @c */
static const char *const option_help[][2] = {
	{ "d", "-d, --device PATH  device or file (default: " MMIO_SHM_DEFAULT_PATH ")" },
	{ "o", "-o, --offset N     start at byte N (K, M, G suffixes)" },
	{ "l", "-l, --length N     this many bytes" },
	{ "t", "-t, --timeout MS   give up after MS milliseconds" },
	{ "c", "-c, --count N      stop after N rings (watch) or records (recv)" },
	{ "s", "-s, --seq N        rings after sequence N (default: current)" },
	{ "i", "-i, --init         lay out a new ring first (one side only)" },
	{ "L", "-L, --lines        one record per line, its newline included" },
	{ "r", "-r, --record-size N  records of at most N bytes (default: 64K)" },
	{ "F", "-F, --fanin        many senders, one receiver: recv lays out a fan-in\n"
	       "                     of 8 slots and reads them all; each send takes a slot" },
	{ "R", "-R, --read-only    export: nobody writes through the dma-buf" },
	{ "x", "-x, --exec CMD...  export: run CMD with the dma-buf as fd $" EXPORT_ENV_FD },
	{ "h", "-h, --help         show this help and exit" },
	{ "v", "-v, --version      show the version and exit" },
};

static void print_version(void)
{
	/* the project release; the device reports its interface in `info` */
	printf(PROG " (mmio_shm) %s\n", MMIO_SHM_RELEASE);
}

/* parses a number with an optional K, M or G suffix; exits on garbage */
static uint64_t parse_num(const char *s, const char *what)
{
	unsigned int shift = 0;
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (end != s && *end && !end[1]) {
		switch (*end) {
		case 'G': case 'g':
			shift += 10;
			/* fall through */
		case 'M': case 'm':
			shift += 10;
			/* fall through */
		case 'K': case 'k':
			shift += 10;
			end++;
		}
	}
	if (end == s || *end || errno || *s == '-' || v > (UINT64_MAX >> shift))
		die_usage("invalid %s '%s'", what, s);
	return (uint64_t)v << shift;
}

/* ---- subcommands ---- */

static int cmd_info(const struct call *c)
{
	struct mmio_shm_status info;
	int ret;

	ret = mmio_shm_get_status(c->shm, &info);
	if (ret)
		die_errno(ret, "info");
	printf("path: %s\n", c->o->device ? c->o->device : MMIO_SHM_DEFAULT_PATH);
	printf("type: %s\n", info.kernel_version ? "device" : "file");
	printf("size: %" PRIu64 "\n", (uint64_t)info.buf_size);
	printf("version: %u.%u\n", info.kernel_version >> 16, info.kernel_version & 0xffff);
	printf("open_files: %u\n", info.nr_open);
	printf("mappings: %u\n", info.nr_maps);
	printf("doorbell_seq: %" PRIu64 "\n", (uint64_t)info.seq);
	return EXIT_SUCCESS;
}

/*
 * Maps [offset, offset + *len) for reading or writing: from the page that
 * holds @offset, since mappings start on page boundaries. *len 0 means to
 * the end of the buffer; it is cut at the end. Returns the first byte.
 */
static unsigned char *map_bytes(const struct call *c, uint64_t offset,
				uint64_t *len, unsigned int prot)
{
	uint64_t size, start = offset & ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);
	void *addr;
	int ret;

	ret = mmio_shm_get_size(c->shm, &size);
	if (ret)
		die_errno(ret, "size");
	if (offset > size)
		die_errno(EINVAL, "offset %" PRIu64, offset);
	if (!*len || *len > size - offset)
		*len = size - offset;
	if (!*len)
		die_errno(ENOSPC, "offset %" PRIu64, offset);
	ret = mmio_shm_map_range(c->shm, start, offset - start + *len, prot, &addr);
	if (ret)
		die_errno(ret, "map");
	return (unsigned char *)addr + (offset - start);
}

static int cmd_dump(const struct call *c)
{
	uint64_t len = c->o->has_length ? c->o->length : DUMP_DEFAULT_LEN;
	const unsigned char *p;
	uint64_t i, j;

	if (!len)
		return EXIT_SUCCESS;
	p = map_bytes(c, c->o->offset, &len, MMIO_SHM_PROT_READ);
	for (i = 0; i < len; i += 16) {
		printf("%08" PRIx64 " ", c->o->offset + i);
		for (j = i; j < i + 16; j++) {
			if (j % 8 == 0)
				putchar(' ');
			if (j < len)
				printf("%02x ", p[j]);
			else
				printf("   ");
		}
		printf(" |");
		for (j = i; j < i + 16 && j < len; j++)
			putchar(p[j] >= 0x20 && p[j] < 0x7f ? p[j] : '.');
		printf("|\n");
	}
	return EXIT_SUCCESS;
}

static int cmd_read(const struct call *c)
{
	uint64_t len = c->o->length;
	const unsigned char *p;

	if (c->o->has_length && !len)
		return EXIT_SUCCESS;
	p = map_bytes(c, c->o->offset, &len, MMIO_SHM_PROT_READ);
	if (fwrite(p, 1, len, stdout) != len || fflush(stdout))
		die_errno(errno, "write to stdout");
	return EXIT_SUCCESS;
}

/* all of stdin in a malloc()ed buffer */
static char *slurp_stdin(size_t *lenp)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	size_t n;

	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			if (!buf)
				die_errno(ENOMEM, "read stdin");
		}
		n = fread(buf + len, 1, cap - len, stdin);
		len += n;
	} while (n);
	if (ferror(stdin))
		die_errno(errno, "read stdin");
	*lenp = len;
	return buf;
}

static int cmd_write(const struct call *c)
{
	const char *data;
	unsigned char *p;
	uint64_t room = 0;
	size_t len;
	int ret;

	if (c->nargs && strcmp(c->args[0], "-")) {
		data = c->args[0];
		len = strlen(data);
	} else {
		data = slurp_stdin(&len);
	}
	if (!len)
		return EXIT_SUCCESS;
	p = map_bytes(c, c->o->offset, &room, MMIO_SHM_PROT_READ |
		      MMIO_SHM_PROT_WRITE);
	if (len > room)
		die_errno(ENOSPC, "write %zu bytes at offset %" PRIu64, len,
			  c->o->offset);
	memcpy(p, data, len);
	/* p lies inside a mapping that starts at the page holding it */
	ret = mmio_shm_sync(c->shm, p - ((uintptr_t)p % sysconf(_SC_PAGESIZE)),
			    (uintptr_t)p % sysconf(_SC_PAGESIZE) + len);
	if (ret)
		die_errno(ret, "sync");
	return EXIT_SUCCESS;
}

static int cmd_zero(const struct call *c)
{
	int ret = mmio_shm_zero(c->shm);

	if (ret)
		die_errno(ret, "zero");
	return EXIT_SUCCESS;
}

static int cmd_resize(const struct call *c)
{
	uint64_t size = parse_num(c->args[0], "size");
	int ret = mmio_shm_resize(c->shm, size);

	if (ret)
		die_errno(ret, "resize to %" PRIu64, size);
	return EXIT_SUCCESS;
}

static int cmd_notify(const struct call *c)
{
	uint64_t seq;
	int ret = mmio_shm_notify(c->shm, &seq);

	if (ret)
		die_errno(ret, "notify");
	printf("seq: %" PRIu64 "\n", seq);
	return EXIT_SUCCESS;
}

/* the sequence to wait past: --seq, else the current one */
static uint64_t start_seq(const struct call *c)
{
	struct mmio_shm_status info;
	int ret;

	if (c->o->has_seq)
		return c->o->seq;
	ret = mmio_shm_get_status(c->shm, &info);
	if (ret)
		die_errno(ret, "info");
	return info.seq;
}

static int cmd_wait(const struct call *c)
{
	int64_t timeout_ns = c->o->timeout_ms < 0 ? MMIO_SHM_TIMEOUT_FOREVER :
						 c->o->timeout_ms * 1000000;
	uint64_t cur;
	int ret;

	ret = mmio_shm_wait(c->shm, start_seq(c), timeout_ns, &cur);
	if (ret)
		die_errno(ret, "wait");
	printf("seq: %" PRIu64 "\n", cur);
	return EXIT_SUCCESS;
}

static void print_ring(uint64_t seq)
{
	struct timespec ts;
	char when[32];
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s.%06ld seq %" PRIu64 "\n", when, ts.tv_nsec / 1000, seq);
	fflush(stdout);
}

static int cmd_watch(const struct call *c)
{
	struct pollfd pfd = { .events = POLLIN };
	uint64_t last = start_seq(c), cur, printed = 0;
	int ret;

	pfd.fd = mmio_shm_get_poll_fd(c->shm);
	if (pfd.fd < 0)
		die_errno(pfd.fd, "watch");
	while (!c->o->count || printed < c->o->count) {
		/* collect what rang, which also re-arms poll() */
		ret = mmio_shm_wait(c->shm, last, 0, &cur);
		if (!ret) {
			/* rings that came close together are one wake-up */
			while (last < cur && (!c->o->count || printed < c->o->count)) {
				print_ring(++last);
				printed++;
			}
			continue;
		}
		if (ret != -ETIMEDOUT)
			die_errno(ret, "wait");
		ret = poll(&pfd, 1, c->o->timeout_ms < 0 ? -1 : (int)c->o->timeout_ms);
		if (ret < 0 && errno != EINTR)
			die_errno(errno, "poll");
		if (!ret)
			die_errno(ETIMEDOUT, "watch");
	}
	return EXIT_SUCCESS;
}

/* ---- send and recv: a stream through a message ring ---- */

/*
 * The stream's framing, shared by send and recv: each record carries the
 * next bytes of the stream (a chunk as read(), or a line with its
 * newline), and a zero-length record is the end of the stream. A line
 * keeps its newline so that an empty line is a record of one byte, never
 * the end-of-stream record, and recv's output is send's input, byte for
 * byte, in either framing.
 */

/* a ring's wait in nanoseconds, from --timeout */
static int64_t timeout_ns(const struct opts *o)
{
	return o->timeout_ms < 0 ? MMIO_SHM_TIMEOUT_FOREVER :
				   o->timeout_ms * 1000000;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Attaches to the ring at @mem, waiting for its magic: the side started
 * without --init may come first. Only the magic tells "not laid out yet"
 * (0, which ring_init() keeps until the rest is written) from a ring;
 * anything else that is not a ring is refused by the library (-EPROTO).
 */
static struct mmio_shm_ring *attach_ring(const struct call *c, void *mem,
					 uint64_t len, const char *what)
{
	const struct mmio_shm_ring_hdr *hdr = mem;
	uint64_t start = now_ms(), pause_ms = 1;
	struct mmio_shm_ring *ring;
	struct timespec ts;
	int ret;

	for (;;) {
		if (__atomic_load_n(&hdr->magic, __ATOMIC_ACQUIRE)) {
			ret = mmio_shm_ring_attach(mem, len, 0, &ring);
			if (ret)
				die_errno(ret, "%s: attach to the ring at offset %" PRIu64,
					  what, c->o->offset);
			return ring;
		}
		if (c->o->timeout_ms >= 0 &&
		    now_ms() - start >= (uint64_t)c->o->timeout_ms)
			die_errno(ETIMEDOUT, "%s: no ring at offset %" PRIu64
				  " (run send --init or recv --init)", what,
				  c->o->offset);
		ts.tv_sec = 0;
		ts.tv_nsec = (long)pause_ms * 1000000;
		nanosleep(&ts, NULL);
		if (pause_ms < ATTACH_MAX_PAUSE_MS)
			pause_ms *= 2;
	}
}

/*
 * send --fanin: waits for the fan-in recv --fanin lays out (its magic, as
 * attach_ring() does), then claims a slot, bound on the device so that
 * the receiver learns when this process is gone (a file: unbound).
 */
static struct mmio_shm_ring *join_fanin(const struct call *c, void *mem,
					uint64_t len)
{
	const struct mmio_shm_fanin_hdr *hdr = mem;
	uint64_t start = now_ms(), pause_ms = 1;
	struct mmio_shm_ring *ring;
	struct timespec ts;
	int ret;

	while (!__atomic_load_n(&hdr->magic, __ATOMIC_ACQUIRE)) {
		if (c->o->timeout_ms >= 0 &&
		    now_ms() - start >= (uint64_t)c->o->timeout_ms)
			die_errno(ETIMEDOUT, "send: no fan-in at offset %" PRIu64
				  " (run recv --fanin)", c->o->offset);
		ts.tv_sec = 0;
		ts.tv_nsec = (long)pause_ms * 1000000;
		nanosleep(&ts, NULL);
		if (pause_ms < ATTACH_MAX_PAUSE_MS)
			pause_ms *= 2;
	}
	ret = mmio_shm_fanin_join(mem, len, c->shm, 0, &ring, NULL);
	if (ret == -ENOTTY)
		ret = mmio_shm_fanin_join(mem, len, NULL, 0, &ring, NULL);
	if (ret == -EBUSY)
		die_errno(ret, "send: every slot of the fan-in is taken");
	if (ret)
		die_errno(ret, "send: join the fan-in at offset %" PRIu64,
			  c->o->offset);
	return ring;
}

/*
 * Lays out (--init) or attaches to the ring at --offset over --length
 * bytes (default: to the end of the buffer) and binds the handle to
 * @side on the device, so that the other side learns when this process
 * is gone. Returns the ring; *memp receives the region's start.
 */
static struct mmio_shm_ring *open_ring(const struct call *c, unsigned int side,
				       void **memp)
{
	const char *what = side == MMIO_SHM_RING_PRODUCER ? "send" : "recv";
	const uint64_t least = MMIO_SHM_RING_OVERHEAD + MMIO_SHM_RING_MIN_DATA;
	const struct opts *o = c->o;
	uint64_t len = o->length;
	struct mmio_shm_ring *ring;
	void *mem;
	int ret;

	if (o->offset % MMIO_SHM_RING_ALIGN)
		die_usage("%s: offset %" PRIu64 " is not a multiple of %u",
			  what, o->offset, MMIO_SHM_RING_ALIGN);
	if (o->has_length && len < least)
		die_usage("%s: length %" PRIu64 " is less than a ring's %" PRIu64
			  " bytes", what, len, least);
	mem = map_bytes(c, o->offset, &len, MMIO_SHM_PROT_READ |
			MMIO_SHM_PROT_WRITE);
	if (len < least)
		die_errno(ENOSPC, "%s: %" PRIu64 " bytes at offset %" PRIu64
			  " (a ring needs %" PRIu64 ")", what, len, o->offset,
			  least);
	if (o->fanin) {
		if (o->init)
			die_usage("send: --fanin and --init exclude each other (recv lays the fan-in out)");
		return join_fanin(c, mem, len);
	}
	if (o->init) {
		ret = mmio_shm_ring_init(mem, len, 0, &ring);
		if (ret)
			die_errno(ret, "%s: lay out a ring at offset %" PRIu64,
				  what, o->offset);
	} else {
		ring = attach_ring(c, mem, len, what);
	}
	/* a file has no kernel to tell: a dead peer there is an idle one */
	ret = mmio_shm_ring_bind(ring, c->shm, side);
	if (ret && ret != -ENOTTY)
		die_errno(ret, "%s: bind", what);
	*memp = mem;
	return ring;
}

/* one record into the ring; exits on failure */
static void send_record(const struct call *c, struct mmio_shm_ring *ring,
			const void *buf, size_t len)
{
	int ret = mmio_shm_ring_send(ring, buf, len, timeout_ns(c->o));

	if (!ret)
		return;
	if (ret == -EPIPE)
		die("send: the receiver is gone (EPIPE)");
	if (ret == -ETIMEDOUT || ret == -EAGAIN)
		die_errno(ETIMEDOUT, "send: no room in the ring within %" PRId64
			  " ms", c->o->timeout_ms);
	die_errno(ret, "send");
}

static int cmd_send(const struct call *c)
{
	struct mmio_shm_ring *ring;
	size_t max, size = 0;
	char *buf = NULL;
	ssize_t n;
	void *mem;

	if (c->o->lines && c->o->record_size)
		die_usage("send: --lines and --record-size exclude each other");
	ring = open_ring(c, MMIO_SHM_RING_PRODUCER, &mem);
	mmio_shm_ring_get_max_msg(ring, &max);
	if (c->o->lines) {
		while ((n = getline(&buf, &size, stdin)) > 0) {
			if ((size_t)n > max)
				die_errno(EMSGSIZE, "send: a line of %zd bytes (the ring's records hold %zu)",
					  n, max);
			send_record(c, ring, buf, (size_t)n);
		}
		if (ferror(stdin))
			die_errno(errno, "send: read stdin");
	} else {
		size = c->o->record_size ? (size_t)c->o->record_size :
			SEND_DEFAULT_RECORD < max ? SEND_DEFAULT_RECORD : max;
		if (size > max)
			die_errno(EMSGSIZE, "send: record size %zu (the ring's records hold %zu)",
				  size, max);
		buf = malloc(size);
		if (!buf)
			die_errno(ENOMEM, "send");
		/* what one read() returns goes out at once: a terminal's line */
		while ((n = read(STDIN_FILENO, buf, size)) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				die_errno(errno, "send: read stdin");
			send_record(c, ring, buf, (size_t)n);
		}
	}
	send_record(c, ring, NULL, 0);
	free(buf);
	mmio_shm_ring_detach(ring);
	return EXIT_SUCCESS;
}

/*
 * All of @len bytes to stdout, however many write() calls it takes. A
 * reader that went away kills the process with SIGPIPE, as it does any
 * filter's; where SIGPIPE is ignored, EPIPE is a failure like any other.
 */
static void write_all(const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(STDOUT_FILENO, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die_errno(errno, "recv: write to stdout");
		p += n;
		len -= (size_t)n;
	}
}

/*
 * recv --fanin: lays out a fan-in of FANIN_SLOTS slots at --offset, bound
 * on the device, and writes every sender's records as they come; a
 * sender's empty record ends its stream only, and a sender gone is a note
 * on stderr. Ends after --count records, or once --timeout passes without
 * a record (the senders fell silent: not a failure).
 */
static int recv_fanin(const struct call *c)
{
	const uint64_t least = MMIO_SHM_FANIN_OVERHEAD + FANIN_SLOTS *
			       (MMIO_SHM_FANIN_SLOT_OVERHEAD +
				MMIO_SHM_RING_OVERHEAD + MMIO_SHM_RING_MIN_DATA);
	struct mmio_shm_fanin *fan;
	uint64_t len = c->o->length, got = 0;
	unsigned int slot;
	size_t n, size;
	char *buf;
	void *mem;
	int ret;

	if (c->o->offset % MMIO_SHM_RING_ALIGN)
		die_usage("recv: offset %" PRIu64 " is not a multiple of %u",
			  c->o->offset, MMIO_SHM_RING_ALIGN);
	mem = map_bytes(c, c->o->offset, &len, MMIO_SHM_PROT_READ |
			MMIO_SHM_PROT_WRITE);
	if (len < least)
		die_errno(ENOSPC, "recv: %" PRIu64 " bytes at offset %" PRIu64
			  " (a fan-in of %u slots needs %" PRIu64 ")", len,
			  c->o->offset, FANIN_SLOTS, least);
	ret = mmio_shm_fanin_init(mem, len, FANIN_SLOTS, 0, &fan);
	if (ret)
		die_errno(ret, "recv: lay out a fan-in at offset %" PRIu64,
			  c->o->offset);
	ret = mmio_shm_fanin_bind(fan, c->shm);
	if (ret && ret != -ENOTTY)
		die_errno(ret, "recv: bind");
	size = (size_t)len;
	buf = malloc(size);
	if (!buf)
		die_errno(ENOMEM, "recv");
	while (!c->o->count || got < c->o->count) {
		ret = mmio_shm_fanin_recv(fan, buf, size, timeout_ns(c->o), &n,
					  &slot);
		if (ret == -EPIPE) {
			fprintf(stderr, PROG ": recv: the sender in slot %u is gone\n",
				slot);
			continue;
		}
		if (ret == -EPROTO) {
			fprintf(stderr, PROG ": recv: the sender in slot %u wrote garbage: dropped\n",
				slot);
			continue;
		}
		if (ret == -ETIMEDOUT || ret == -EAGAIN)
			break;
		if (ret)
			die_errno(ret, "recv");
		/* an empty record: that sender's stream is over */
		if (!n)
			continue;
		write_all(buf, n);
		got++;
	}
	free(buf);
	mmio_shm_fanin_detach(fan);
	return EXIT_SUCCESS;
}

static int cmd_recv(const struct call *c)
{
	struct mmio_shm_ring_hdr *hdr;
	struct mmio_shm_ring *ring;
	uint64_t got = 0;
	const void *p;
	size_t len;
	void *mem;
	int ret;

	if (c->o->fanin) {
		if (c->o->init)
			die_usage("recv: --fanin lays out a fan-in: no --init");
		return recv_fanin(c);
	}
	ring = open_ring(c, MMIO_SHM_RING_CONSUMER, &mem);
	while (!c->o->count || got < c->o->count) {
		/* written from the ring itself, no copy in between */
		ret = mmio_shm_ring_peek(ring, timeout_ns(c->o), &p, &len);
		if (ret == -EPIPE)
			die("recv: the sender is gone (EPIPE)");
		if (ret == -ETIMEDOUT || ret == -EAGAIN)
			die_errno(ETIMEDOUT, "recv: no record within %" PRId64 " ms",
				  c->o->timeout_ms);
		if (ret)
			die_errno(ret, "recv");
		if (!len) {
			mmio_shm_ring_release(ring);
			/*
			 * The stream is over, and the sender sends nothing
			 * after its end: retire the ring, so that the next
			 * side started without --init waits for a new one
			 * rather than attaching to this finished one.
			 */
			hdr = mem;
			__atomic_store_n(&hdr->magic, 0, __ATOMIC_RELEASE);
			break;
		}
		write_all(p, len);
		mmio_shm_ring_release(ring);
		got++;
	}
	mmio_shm_ring_detach(ring);
	return EXIT_SUCCESS;
}

/*
 * Exports [offset, offset + length) (length 0: to the end) as a dma-buf.
 * With --exec, runs CMD in this process's place with the fd open and named
 * in the environment; otherwise prints the fd's number and holds the
 * export, for scripts to find it (/proc/PID/fdinfo/N), until standard
 * input ends.
 */
static int cmd_export(const struct call *c)
{
	unsigned int flags = c->o->read_only ? MMIO_SHM_EXPORT_DMABUF_READ_ONLY : 0;
	uint64_t size, len = c->o->length;
	char num[32];
	int fd, ret;

	if (c->o->exec != (c->nargs > 0))
		die_usage("export: %s", c->o->exec ? "--exec needs a command" :
			  "a command needs --exec");
	ret = mmio_shm_get_size(c->shm, &size);
	if (ret)
		die_errno(ret, "size");
	if (!c->o->has_length && c->o->offset < size)
		len = size - c->o->offset;
	/* CMD inherits the fd: no close-on-exec then */
	fd = mmio_shm_export_dmabuf(c->shm, c->o->offset, len,
				    c->o->exec ? flags :
				    flags | MMIO_SHM_EXPORT_DMABUF_CLOEXEC);
	if (fd < 0)
		die_errno(fd, "export %" PRIu64 "+%" PRIu64, c->o->offset, len);
	if (c->o->exec) {
		snprintf(num, sizeof(num), "%d", fd);
		if (setenv(EXPORT_ENV_FD, num, 1))
			die_errno(errno, "setenv");
		snprintf(num, sizeof(num), "%" PRIu64, len);
		if (setenv(EXPORT_ENV_SIZE, num, 1))
			die_errno(errno, "setenv");
		/* the dma-buf holds the buffer: the device's fd may go */
		mmio_shm_close(c->shm);
		execvp(c->args[0], c->args);
		fprintf(stderr, PROG ": exec %s: %s\n", c->args[0], strerror(errno));
		exit(EXIT_NO_EXEC);
	}
	printf("%d\n", fd);
	fflush(stdout);
	while (read(STDIN_FILENO, num, sizeof(num)) > 0)
		;
	close(fd);
	return EXIT_SUCCESS;
}

static const struct command commands[] = {
	{ "info", "", "Show the size, version and counters.", 0, 0, 0,
	  cmd_info, false },
	{ "dump", "", "Print part of the buffer as a hex dump (256 bytes by default).",
	  OPT_OFFSET | OPT_LENGTH, 0, 0, cmd_dump, false },
	{ "read", "", "Copy part of the buffer, raw, to standard output.",
	  OPT_OFFSET | OPT_LENGTH, 0, 0, cmd_read, false },
	{ "write", " [DATA|-]", "Write DATA, or standard input, into the buffer.",
	  OPT_OFFSET, 0, 1, cmd_write, true },
	{ "zero", "", "Fill the buffer with zero bytes.", 0, 0, 0, cmd_zero,
	  true },
	{ "resize", " SIZE", "Change the buffer size (K, M, G suffixes).", 0, 1, 1,
	  cmd_resize, true },
	{ "notify", "", "Ring the doorbell and print the new sequence.", 0, 0, 0,
	  cmd_notify, false },
	{ "wait", "", "Wait for the doorbell to ring and print the sequence.",
	  OPT_TIMEOUT | OPT_SEQ, 0, 0, cmd_wait, false },
	{ "watch", "", "Print a timestamped line for each doorbell ring.",
	  OPT_TIMEOUT | OPT_COUNT | OPT_SEQ, 0, 0, cmd_watch, false },
	{ "send", "", "Send standard input as records into a ring.",
	  OPT_OFFSET | OPT_LENGTH | OPT_TIMEOUT | OPT_INIT | OPT_LINES |
	  OPT_RECORD_SIZE | OPT_FANIN, 0, 0, cmd_send, true },
	{ "recv", "", "Receive records from a ring to standard output.",
	  OPT_OFFSET | OPT_LENGTH | OPT_TIMEOUT | OPT_COUNT | OPT_INIT |
	  OPT_FANIN, 0, 0, cmd_recv, true },
	{ "export", " [--exec CMD [ARGS]]",
	  "Export a range as a dma-buf: print its fd, or run CMD with it.",
	  OPT_OFFSET | OPT_LENGTH | OPT_READ_ONLY | OPT_EXEC, 0, INT32_MAX,
	  cmd_export, true },
};

/* the short option letters a subcommand (NULL: the top level) accepts */
static void short_options(const struct command *cmd, char *buf)
{
	static const struct { unsigned int bit; const char *s; } map[] = {
		{ OPT_OFFSET, "o:" }, { OPT_LENGTH, "l:" },
		{ OPT_TIMEOUT, "t:" }, { OPT_COUNT, "c:" }, { OPT_SEQ, "s:" },
		{ OPT_INIT, "i" }, { OPT_LINES, "L" }, { OPT_RECORD_SIZE, "r:" },
		{ OPT_FANIN, "F" }, { OPT_READ_ONLY, "R" }, { OPT_EXEC, "x" },
	};
	size_t i;

	/* '+': stop at the subcommand's name; ':': report missing arguments */
	strcpy(buf, cmd && !(cmd->opts & OPT_EXEC) ? ":d:hv" : "+:d:hv");
	for (i = 0; cmd && i < sizeof(map) / sizeof(map[0]); i++)
		if (cmd->opts & map[i].bit)
			strcat(buf, map[i].s);
}

static void print_help(const struct command *cmd)
{
	char shorts[32];
	size_t i;

	if (!cmd) {
		printf("Usage: %s [OPTIONS] COMMAND [ARGS]\n"
		       "Inspect, fill and signal an mmio_shm shared-memory device.\n\n"
		       "Commands:\n", PROG);
		for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			printf("  %-8s %s\n", commands[i].name, commands[i].purpose);
		printf("\n'%s COMMAND --help' shows a command's options.\n", PROG);
	} else {
		printf("Usage: %s %s [OPTIONS]%s\n%s\n", PROG, cmd->name,
		       cmd->args, cmd->purpose);
	}
	short_options(cmd, shorts);
	printf("\nOptions:\n");
	for (i = 0; i < sizeof(option_help) / sizeof(option_help[0]); i++)
		if (strchr(shorts, option_help[i][0][0]))
			printf("  %s\n", option_help[i][1]);
}

/* parses the options of @cmd (NULL: the top level); returns optind */
static int parse_options(int argc, char **argv, const struct command *cmd,
			 struct opts *o)
{
	char shorts[32];
	int c, idx = 0;

	short_options(cmd, shorts);
	opterr = 0;
	optind = 0;	/* glibc: start over, for the subcommand's turn */
	while ((c = getopt_long(argc, argv, shorts, long_options, &idx)) != -1) {
		/* getopt_long() takes every long option: keep to @cmd's */
		if (c != ':' && c != '?' && !strchr(shorts, c))
			die_usage("unknown option '--%s'", long_options[idx].name);
		switch (c) {
		case 'd':
			o->device = optarg;
			break;
		case 'o':
			o->offset = parse_num(optarg, "offset");
			break;
		case 'l':
			o->length = parse_num(optarg, "length");
			o->has_length = true;
			break;
		case 't':
			o->timeout_ms = (int64_t)parse_num(optarg, "timeout");
			if (o->timeout_ms > INT32_MAX)
				die_usage("invalid timeout '%s'", optarg);
			break;
		case 'c':
			o->count = parse_num(optarg, "count");
			break;
		case 's':
			o->seq = parse_num(optarg, "seq");
			o->has_seq = true;
			break;
		case 'i':
			o->init = true;
			break;
		case 'L':
			o->lines = true;
			break;
		case 'F':
			o->fanin = true;
			break;
		case 'R':
			o->read_only = true;
			break;
		case 'x':
			o->exec = true;
			break;
		case 'r':
			o->record_size = parse_num(optarg, "record size");
			if (!o->record_size || o->record_size > SIZE_MAX)
				die_usage("invalid record size '%s'", optarg);
			break;
		case 'h':
			print_help(cmd);
			exit(EXIT_SUCCESS);
		case 'v':
			print_version();
			exit(EXIT_SUCCESS);
		case ':':
			die_usage("option '%s' needs an argument", argv[optind - 1]);
		default:
			die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	return optind;
}

int main(int argc, char **argv)
{
	struct opts o = { .timeout_ms = -1 };
	const struct command *cmd = NULL;
	struct mmio_shm *shm;
	int first, nargs, ret;
	size_t i;

	first = parse_options(argc, argv, NULL, &o);
	if (first >= argc)
		die_usage("no command given");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[first], commands[i].name))
			cmd = &commands[i];
	if (!cmd)
		die_usage("unknown command '%s'", argv[first]);

	argc -= first;
	argv += first;
	first = parse_options(argc, argv, cmd, &o);
	nargs = argc - first;
	if (nargs < cmd->min_args || nargs > cmd->max_args)
		die_usage("%s: wrong number of arguments", cmd->name);

	/* a read-only export needs only a read-only fd */
	ret = mmio_shm_open(o.device, cmd->writable && !o.read_only ?
			    MMIO_SHM_OPEN_RDWR : MMIO_SHM_OPEN_RDONLY, &shm);
	if (ret)
		die_errno(ret, "open %s",
			  o.device ? o.device : MMIO_SHM_DEFAULT_PATH);
	ret = cmd->run(&(struct call){ shm, &o, argv + first, nargs });
	mmio_shm_close(shm);
	return ret;
}
