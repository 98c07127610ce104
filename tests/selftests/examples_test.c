// SPDX-License-Identifier: GPL-2.0
/*
 * The example programs and the mmio-shm tool against the real device, as a
 * user would run them: their output is deterministic and asserted whole.
 * They are found in BUILD/user, next to BUILD/tests where this runs from.
 */
#define _GNU_SOURCE
#include <limits.h>

#include "helpers.h"
#include "kselftest_harness.h"
#include "../host/host.h"

FIXTURE(run) {
	char user[PATH_MAX];	/* BUILD/user: the tool, examples/ below it */
	char cmd[2 * PATH_MAX];	/* the last command run */
	char out[8192];		/* its output */
	char want[256];		/* the output expected */
	size_t size;		/* the device's buffer size */
};

FIXTURE_SETUP(run)
{
	char build[PATH_MAX];
	int fd;

	fd = open(shm_dev_path(), O_RDWR);
	if (fd < 0)
		SETUP_SKIP("cannot open %s: %s", shm_dev_path(), strerror(errno));
	self->size = shm_size(fd);
	ASSERT_EQ(0, shm_zero(fd));
	close(fd);
	ASSERT_NE(NULL, build_dir(build));
	snprintf(self->user, sizeof(self->user), "%s/user", build);
	ASSERT_EQ(0, setenv("U", self->user, 1));
	ASSERT_EQ(0, setenv("DEV", shm_dev_path(), 1));
}

FIXTURE_TEARDOWN(run)
{
}

/*
 * Runs a shell command with $U = BUILD/user, $E = $U/examples and
 * $DEV = the device; its stdout (and stderr where it says 2>&1) lands in
 * self->out. Evaluates to the exit status.
 */
#define RUN(fmt, ...) ({						\
	snprintf(self->cmd, sizeof(self->cmd), "E=$U/examples; " fmt,	\
		 ##__VA_ARGS__);					\
	run_output(self->cmd, self->out, sizeof(self->out));		\
})

TEST_F(run, writer_then_reader)
{
	ASSERT_EQ(0, RUN("$E/writer -d $DEV 'hello from the writer'"));
	EXPECT_STREQ("writer: wrote 22 bytes\n", self->out);
	ASSERT_EQ(0, RUN("$E/reader -d $DEV"));
	EXPECT_STREQ("hello from the writer\n", self->out);
	/* a shorter message after a longer one: its NUL ends it */
	ASSERT_EQ(0, RUN("$E/writer -d $DEV abc"));
	EXPECT_STREQ("writer: wrote 4 bytes\n", self->out);
	ASSERT_EQ(0, RUN("$E/reader"));
	EXPECT_STREQ("abc\n", self->out);
	EXPECT_EQ(2, RUN("$E/writer -d $DEV 2>&1"));
}

TEST_F(run, map_page_aliases)
{
	size_t pages = self->size / page_size();

	ASSERT_EQ(0, RUN("$E/map-page -d $DEV 5"));
	snprintf(self->want, sizeof(self->want),
		 "page 5 mapped alone at offset %ld\n"
		 "whole -> page: yes\npage -> whole: yes\n", 5 * page_size());
	EXPECT_STREQ(self->want, self->out);
	ASSERT_EQ(0, RUN("$E/map-page -d $DEV %zu | head -n 1", pages - 1));
	/* one page past the end: refused by the library */
	EXPECT_EQ(1, RUN("$E/map-page -d $DEV %zu 2>&1", pages));
	EXPECT_STREQ("map-page: map page: Invalid argument\n", self->out);
}

TEST_F(run, autocomplete_loads_and_queries)
{
	ASSERT_EQ(0, RUN("printf 'pear\\nbanana\\napple\\napricot\\n\\navocado"
			 "\\nbanana\\napp\\nblueberry\\n' | $E/autocomplete -d $DEV load"));
	EXPECT_STREQ("loaded 7 words\n", self->out);
	ASSERT_EQ(0, RUN("$E/autocomplete -d $DEV query ap"));
	EXPECT_STREQ("app\napple\napricot\n", self->out);
	ASSERT_EQ(0, RUN("$E/autocomplete query b"));
	EXPECT_STREQ("banana\nblueberry\n", self->out);
	ASSERT_EQ(0, RUN("$E/autocomplete query pear"));
	EXPECT_STREQ("pear\n", self->out);
	ASSERT_EQ(0, RUN("$E/autocomplete query zebra"));
	EXPECT_STREQ("", self->out);
	ASSERT_EQ(0, RUN("$E/autocomplete query ''"));
	EXPECT_STREQ("app\napple\napricot\navocado\nbanana\nblueberry\npear\n",
		     self->out);
	/* in a zeroed buffer there is no list */
	ASSERT_EQ(0, RUN("$U/mmio-shm zero -d $DEV"));
	EXPECT_EQ(1, RUN("$E/autocomplete query a 2>/dev/null"));
}

TEST_F(run, producer_and_consumer)
{
	static const char want[] =
		"item 1: 1\nitem 2: 4\nitem 3: 9\nitem 4: 16\nitem 5: 25\n"
		"item 6: 36\nitem 7: 49\nitem 8: 64\nitem 9: 81\nitem 10: 100\n"
		"item 11: 121\nitem 12: 144\n"
		"consumer: received 12 items, sum 650\n"
		"producer: sent 12 items\n";

	/* consumer first: it sleeps on the doorbell until the channel is set up */
	ASSERT_EQ(0, RUN("c=/tmp/consumer.$$; $E/consumer -d $DEV 12 >$c & "
			 "p=$!; sleep 0.2; $E/producer -d $DEV 12 >$c.p && wait $p && "
			 "cat $c $c.p; rc=$?; rm -f $c $c.p; exit $rc"));
	EXPECT_STREQ(want, self->out);
	/* producer first: the ring fills and it waits for the consumer */
	ASSERT_EQ(0, RUN("c=/tmp/consumer.$$; $E/producer -d $DEV 12 >$c.p & "
			 "p=$!; sleep 0.2; $E/consumer -d $DEV 12 >$c && wait $p && "
			 "cat $c $c.p; rc=$?; rm -f $c $c.p; exit $rc"));
	EXPECT_STREQ(want, self->out);
}

TEST_F(run, tool_info_write_read_dump_zero)
{
	snprintf(self->want, sizeof(self->want),
		 "type: device\nsize: %zu\nversion: %d.%d\n",
		 self->size, MMIO_SHM_VERSION_MAJOR, MMIO_SHM_VERSION_MINOR);
	ASSERT_EQ(0, RUN("$U/mmio-shm info -d $DEV | sed -n 2,4p"));
	EXPECT_STREQ(self->want, self->out);

	ASSERT_EQ(0, RUN("$U/mmio-shm write -d $DEV -o 4100 'shared bytes'"));
	ASSERT_EQ(0, RUN("$U/mmio-shm read -d $DEV -o 4100 -l 12"));
	EXPECT_STREQ("shared bytes", self->out);
	ASSERT_EQ(0, RUN("$U/mmio-shm dump -d $DEV -o 4096 -l 20"));
	/* a short last line is padded to keep the text column in place */
	EXPECT_STREQ("00001000  00 00 00 00 73 68 61 72  65 64 20 62 79 74 65 73"
		     "  |....shared bytes|\n"
		     "00001010  00 00 00 00                        "
		     "               |....|\n", self->out);
	ASSERT_EQ(0, RUN("echo -n piped | $U/mmio-shm write -d $DEV && "
			 "$U/mmio-shm read -d $DEV -l 6 | od -An -c | tr -s ' '"));
	EXPECT_STREQ(" p i p e d \\0\n", self->out);
	ASSERT_EQ(0, RUN("$U/mmio-shm zero -d $DEV && $U/mmio-shm read -d $DEV "
			 "-o 4100 -l 12 | tr -d '\\0' | wc -c"));
	EXPECT_STREQ("0\n", self->out);
	EXPECT_EQ(1, RUN("$U/mmio-shm write -d $DEV -o %zu xy 2>&1",
			 self->size - 1));
	EXPECT_EQ(0, strncmp(self->out, "mmio-shm: write 2 bytes", 23));
}

TEST_F(run, tool_resize)
{
	ASSERT_EQ(0, RUN("$U/mmio-shm resize -d $DEV 5000 && "
			 "$U/mmio-shm info -d $DEV | grep '^size:'"));
	snprintf(self->want, sizeof(self->want), "size: %ld\n", 2 * page_size());
	EXPECT_STREQ(self->want, self->out);
	ASSERT_EQ(0, RUN("$U/mmio-shm resize -d $DEV %zu", self->size));
	ASSERT_EQ(0, RUN("cat /sys/class/misc/%s/size", shm_dev_name()));
	EXPECT_EQ(self->size, strtoull(self->out, NULL, 10));
	EXPECT_EQ(1, RUN("$U/mmio-shm resize -d $DEV 0 2>&1"));
	EXPECT_STREQ("mmio-shm: resize to 0: Invalid argument\n", self->out);
}

TEST_F(run, tool_notify_wait_watch)
{
	unsigned long long seq;

	ASSERT_EQ(0, RUN("$U/mmio-shm notify -d $DEV"));
	ASSERT_EQ(1, sscanf(self->out, "seq: %llu", &seq));
	/* --seq in the past returns at once, with the current sequence */
	ASSERT_EQ(0, RUN("$U/mmio-shm wait -d $DEV --seq %llu", seq - 1));
	snprintf(self->want, sizeof(self->want), "seq: %llu\n", seq);
	EXPECT_STREQ(self->want, self->out);
	EXPECT_EQ(1, RUN("$U/mmio-shm wait -d $DEV --timeout 50 2>&1"));
	EXPECT_STREQ("mmio-shm: wait: Connection timed out\n", self->out);
	/* a wait woken by a notify from another process */
	ASSERT_EQ(0, RUN("(sleep 0.2; $U/mmio-shm notify -d $DEV >/dev/null) & "
			 "$U/mmio-shm wait -d $DEV --seq %llu -t 10000", seq));
	snprintf(self->want, sizeof(self->want), "seq: %llu\n", seq + 1);
	EXPECT_STREQ(self->want, self->out);

	/* watch from a known sequence: three rings, three lines */
	ASSERT_EQ(0, RUN("w=/tmp/watch.$$; $U/mmio-shm watch -d $DEV --seq %llu "
			 "--count 3 -t 10000 >$w & p=$!; "
			 "for i in 1 2 3; do $U/mmio-shm notify -d $DEV >/dev/null; "
			 "sleep 0.05; done; wait $p && sed 's/^[-0-9T:.]* //' $w; "
			 "rc=$?; rm -f $w; exit $rc", seq + 1));
	snprintf(self->want, sizeof(self->want), "seq %llu\nseq %llu\nseq %llu\n",
		 seq + 2, seq + 3, seq + 4);
	EXPECT_STREQ(self->want, self->out);
	EXPECT_EQ(1, RUN("$U/mmio-shm watch -d $DEV -t 50 2>&1"));
	EXPECT_STREQ("mmio-shm: watch: Connection timed out\n", self->out);
}

TEST_HARNESS_MAIN
