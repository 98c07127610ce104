// SPDX-License-Identifier: GPL-2.0
/*
 * mmio-shm - inspect, fill and signal an mmio_shm device (or a file
 * standing in for it) from the command line, through libmmio_shm.
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
};

/* which options a subcommand takes, beyond -d, -h and -v */
enum {
	OPT_OFFSET = 1 << 0,
	OPT_LENGTH = 1 << 1,
	OPT_TIMEOUT = 1 << 2,
	OPT_COUNT = 1 << 3,
	OPT_SEQ = 1 << 4,
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
	{ "c", "-c, --count N      stop after N rings" },
	{ "s", "-s, --seq N        rings after sequence N (default: current)" },
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
};

/* the short option letters a subcommand (NULL: the top level) accepts */
static void short_options(const struct command *cmd, char *buf)
{
	static const struct { unsigned int bit; const char *s; } map[] = {
		{ OPT_OFFSET, "o:" }, { OPT_LENGTH, "l:" },
		{ OPT_TIMEOUT, "t:" }, { OPT_COUNT, "c:" }, { OPT_SEQ, "s:" },
	};
	size_t i;

	/* '+': stop at the subcommand's name; ':': report missing arguments */
	strcpy(buf, cmd ? ":d:hv" : "+:d:hv");
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
	int c;

	short_options(cmd, shorts);
	opterr = 0;
	optind = 0;	/* glibc: start over, for the subcommand's turn */
	while ((c = getopt_long(argc, argv, shorts, long_options, NULL)) != -1) {
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

	ret = mmio_shm_open(o.device, cmd->writable ? MMIO_SHM_OPEN_RDWR :
			    MMIO_SHM_OPEN_RDONLY, &shm);
	if (ret)
		die_errno(ret, "open %s",
			  o.device ? o.device : MMIO_SHM_DEFAULT_PATH);
	ret = cmd->run(&(struct call){ shm, &o, argv + first, nargs });
	mmio_shm_close(shm);
	return ret;
}
