// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the mmio-shm tool and the man pages, on the host: every man
 * page renders without a warning; --help and --version work for the tool
 * and each subcommand (exit 0), usage errors exit 2 with one line on
 * stderr; info, write, read and dump work on a regular file, and the
 * device-only subcommands fail there with exit 1 and one error line.
 */
#define _GNU_SOURCE
#include "host.h"
#include "kselftest_harness.h"

static const char *const subcommands[] = {
	"info", "dump", "read", "write", "zero", "resize", "notify", "wait",
	"watch",
};

FIXTURE(tool) {
	char tool[PATH_MAX];	/* BUILD/user/mmio-shm */
	char top[PATH_MAX];	/* the repository */
	char file[64];		/* a 2-page file standing in for the device */
	char out[8192];		/* the output of the last command */
	char cmd[2 * PATH_MAX];	/* the last command */
};

FIXTURE_SETUP(tool)
{
	char build[PATH_MAX];
	int fd;

	ASSERT_NE(NULL, build_dir(build));
	ASSERT_NE(NULL, top_dir(self->top));
	snprintf(self->tool, sizeof(self->tool), "%s/user/mmio-shm", build);
	ASSERT_EQ(0, access(self->tool, X_OK));
	snprintf(self->file, sizeof(self->file), "/tmp/tool_test.%d", getpid());
	fd = open(self->file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 8192));
	close(fd);
}

FIXTURE_TEARDOWN(tool)
{
	unlink(self->file);
}

/* runs the tool with @args (shell syntax) on the file; returns its status */
#define TOOL(args, ...) ({						\
	char a_[1024];							\
	snprintf(a_, sizeof(a_), args, ##__VA_ARGS__);			\
	snprintf(self->cmd, sizeof(self->cmd), "%s %s", self->tool, a_); \
	run_output(self->cmd, self->out, sizeof(self->out));		\
})

/* how many lines @s has */
static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

TEST_F(tool, man_pages_render_without_warnings)
{
	char cmd[2 * PATH_MAX + 512], out[4096];

	/* from user/man, where the .so requests of the variants resolve */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s/user/man' && n=0 && for f in man1/*.1 man3/*.3 man4/*.4; do "
		 "n=$((n + 1)); w=$(MANWIDTH=80 man --warnings -l \"$f\" 2>&1 >/dev/null); "
		 "[ -z \"$w\" ] || echo \"$f: $w\"; "
		 "head -n 3 \"$f\" | grep -q SPDX-License-Identifier || echo \"$f: no SPDX\"; "
		 "done; echo \"pages: $n\"", self->top);
	ASSERT_EQ(0, run_output(cmd, out, sizeof(out)));
	/* 1 + 16 (one per exported function) + 1 pages, and no other line */
	EXPECT_STREQ("pages: 18\n", out);
}

TEST_F(tool, help_and_version)
{
	size_t i;

	ASSERT_EQ(0, TOOL("--help"));
	EXPECT_EQ(0, strncmp(self->out, "Usage: mmio-shm [OPTIONS] COMMAND", 33));
	EXPECT_EQ(0, TOOL("-h"));
	ASSERT_EQ(0, TOOL("--version"));
	EXPECT_NE(NULL, strstr(self->out, "mmio-shm (mmio_shm) 1.0.0"));
	EXPECT_EQ(0, TOOL("-v"));
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "Usage: mmio-shm %s [OPTIONS]",
			 subcommands[i]);
		EXPECT_EQ(0, TOOL("%s --help", subcommands[i]));
		EXPECT_EQ(0, strncmp(self->out, want, strlen(want))) {
			TH_LOG("%s", self->out);
		}
		EXPECT_NE(NULL, strstr(self->out, "--device"));
		EXPECT_EQ(0, TOOL("%s -v", subcommands[i]));
	}
}

TEST_F(tool, usage_errors_exit_2)
{
	EXPECT_EQ(2, TOOL("--no-such-option 2>&1"));
	EXPECT_EQ(1, lines(self->out));
	EXPECT_EQ(0, strncmp(self->out, "mmio-shm: ", 10));
	EXPECT_EQ(2, TOOL("2>&1"));
	EXPECT_EQ(2, TOOL("frobnicate 2>&1"));
	EXPECT_EQ(1, lines(self->out));
	EXPECT_EQ(2, TOOL("info --bogus 2>&1"));
	EXPECT_EQ(2, TOOL("dump --offset 2>&1"));
	EXPECT_EQ(2, TOOL("dump --offset 12x 2>&1"));
	EXPECT_EQ(2, TOOL("resize 2>&1"));
	EXPECT_EQ(2, TOOL("info extra 2>&1"));
	EXPECT_EQ(1, lines(self->out));
}

TEST_F(tool, file_info_write_read_dump)
{
	ASSERT_EQ(0, TOOL("-d %s info", self->file));
	EXPECT_NE(NULL, strstr(self->out, "\ntype: file\nsize: 8192\n"));

	ASSERT_EQ(0, TOOL("write -d %s --offset 4094 'hello'", self->file));
	ASSERT_EQ(0, TOOL("read -d %s -o 4094 -l 5", self->file));
	EXPECT_STREQ("hello", self->out);
	ASSERT_EQ(0, TOOL("dump -d %s -o 4088 -l 16", self->file));
	EXPECT_STREQ("00000ff8  00 00 00 00 00 00 68 65  6c 6c 6f 00 00 00 00 00"
		     "  |......hello.....|\n", self->out);
	/* from stdin, up to the last byte */
	snprintf(self->cmd, sizeof(self->cmd),
		 "printf 'end' | %s write -d %s -o 8189 -", self->tool, self->file);
	ASSERT_EQ(0, run_output(self->cmd, self->out, sizeof(self->out)));
	ASSERT_EQ(0, TOOL("read -d %s -o 8189", self->file));
	EXPECT_STREQ("end", self->out);
}

TEST_F(tool, failures_exit_1_with_one_line)
{
	EXPECT_EQ(1, TOOL("write -d %s -o 8190 abc 2>&1", self->file));
	EXPECT_STREQ("mmio-shm: write 3 bytes at offset 8190: No space left on device\n",
		     self->out);
	EXPECT_EQ(1, TOOL("notify -d %s 2>&1", self->file));
	EXPECT_STREQ("mmio-shm: notify: Inappropriate ioctl for device\n",
		     self->out);
	EXPECT_EQ(1, TOOL("zero -d %s 2>&1", self->file));
	EXPECT_EQ(1, lines(self->out));
	EXPECT_EQ(1, TOOL("wait -d %s -t 10 2>&1", self->file));
	EXPECT_EQ(1, lines(self->out));
	EXPECT_EQ(1, TOOL("dump -d %s -o 9000 2>&1", self->file));
	EXPECT_EQ(1, lines(self->out));
	EXPECT_EQ(1, TOOL("info -d /nonexistent/x 2>&1"));
	EXPECT_STREQ("mmio-shm: open /nonexistent/x: No such file or directory\n",
		     self->out);
	EXPECT_EQ(1, TOOL("info -d /dev/null 2>&1"));
	EXPECT_STREQ("mmio-shm: open /dev/null: No such device\n", self->out);
}

TEST_HARNESS_MAIN
