// SPDX-License-Identifier: GPL-2.0
/*
 * udev: with the project's rules (udev/70-mmio_shm.rules) and group
 * (udev/mmio_shm.sysusers.conf) in place, a real systemd-udevd gives
 * /dev/mmio_shm group mmio_shm, mode 0660 and the link /dev/mmio_shm.d/0;
 * then a member of the group can open and share the buffer, anyone else
 * gets EACCES, and a read-only opener cannot get a writable shared mapping.
 *
 * The guest's /etc is not ours to change: systemd-sysusers --root fills a
 * scratch copy of passwd/group, and every process that needs them (our
 * udevd, the unprivileged children) bind-mounts the copies in a private
 * mount namespace. A udevd already running is stopped for the test and
 * started again at teardown, and the node gets its owner and mode back.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <time.h>

#include "helpers.h"
#include "kselftest_harness.h"

#define RULES		"70-mmio_shm.rules"
#define MEMBER		"mmshm_member"
#define OUTSIDER	"mmshm_outsider"
#define LINK		"/dev/mmio_shm.d/0"
#define MAGIC		0x6d6d696fu	/* "mmio" */

static const char *const udevd_paths[] = {
	"/lib/systemd/systemd-udevd", "/usr/lib/systemd/systemd-udevd",
};

FIXTURE(udev) {
	char tmp[64];		/* scratch: etc/ copies, rules.d/, udevd.log */
	char top[PATH_MAX];	/* the repository (holds udev/) */
	const char *udevd;	/* the systemd-udevd binary */
	struct stat orig;	/* the node as the runner loaded the module */
	bool saved;		/* orig is valid: restore the node */
	bool sys_udevd;		/* a udevd ran before us: start it again */
	pid_t pid;		/* our udevd, 0 when not running */
	gid_t gid;		/* mmio_shm in the scratch group file */
	bool ready;		/* setup finished: the test may run */
};

/* the repository: MMIO_SHM_TOP, else the first parent of this binary with udev/ */
static bool find_top(char *top)
{
	const char *env = getenv("MMIO_SHM_TOP");
	char path[PATH_MAX + 32];
	ssize_t n;
	char *slash;

	if (env) {
		snprintf(top, PATH_MAX, "%s", env);
		return true;
	}
	n = readlink("/proc/self/exe", top, PATH_MAX - 1);
	if (n < 0)
		return false;
	top[n] = '\0';
	while ((slash = strrchr(top, '/')) && slash != top) {
		*slash = '\0';
		snprintf(path, sizeof(path), "%s/udev/" RULES, top);
		if (!access(path, R_OK))
			return true;
	}
	return false;
}

/* runs a shell command quietly (output appended to tmp/cmd.log) */
static int quiet(FIXTURE_DATA(udev) *self, const char *fmt, ...)
{
	char cmd[2 * PATH_MAX], full[3 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "{ %s; } >>'%s/cmd.log' 2>&1", cmd,
		 self->tmp);
	return run_cmd(full);
}

/*
 * In a child: a private mount namespace that sees the scratch passwd and
 * group files as /etc/passwd and /etc/group, and (with_rules) the scratch
 * rules directory as /etc/udev/rules.d.
 */
static int private_etc(FIXTURE_DATA(udev) *self, bool with_rules)
{
	static const char *const files[] = { "passwd", "group" };
	char src[128], dst[64];
	size_t i;

	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(src, sizeof(src), "%s/etc/%s", self->tmp, files[i]);
		snprintf(dst, sizeof(dst), "/etc/%s", files[i]);
		if (mount(src, dst, NULL, MS_BIND, NULL))
			return -1;
	}
	snprintf(src, sizeof(src), "%s/rules.d", self->tmp);
	if (with_rules && mount(src, "/etc/udev/rules.d", NULL, MS_BIND, NULL))
		return -1;
	return 0;
}

/*
 * Asks udevd on its control socket, for up to @secs: a udevd still
 * starting (or one just told to exit) refuses the connection at once.
 */
static bool udevd_answers(FIXTURE_DATA(udev) *self, int secs)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (!quiet(self, "udevadm control --ping --timeout=5"))
			return true;
		/* our udevd died: no point waiting */
		if (self->pid > 0 && waitpid(self->pid, NULL, WNOHANG) == self->pid) {
			self->pid = 0;
			return false;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= secs)
			return false;
		usleep(200 * 1000);
	}
}

/* puts back what setup changed, as far as it got; safe to call twice */
static void restore(FIXTURE_DATA(udev) *self)
{
	int i;

	if (self->pid > 0) {
		kill(self->pid, SIGTERM);
		for (i = 0; i < 100; i++) {
			if (waitpid(self->pid, NULL, WNOHANG) == self->pid)
				break;
			usleep(100 * 1000);
		}
		if (i == 100) {
			kill(self->pid, SIGKILL);
			waitpid(self->pid, NULL, 0);
		}
		self->pid = 0;
	}
	if (self->saved) {
		if (chown(shm_dev_path(), self->orig.st_uid, self->orig.st_gid) ||
		    chmod(shm_dev_path(), self->orig.st_mode & 07777))
			fprintf(stderr, "# udev: cannot restore %s: %s\n",
				shm_dev_path(), strerror(errno));
		self->saved = false;
	}
	/* the link udevd made lives on in devtmpfs */
	unlink(LINK);
	rmdir("/dev/mmio_shm.d");
	if (self->sys_udevd) {
		/* as virtme-ng starts it */
		quiet(self, "%s --daemon --resolve-names=never", self->udevd);
		self->sys_udevd = false;
	}
	if (self->tmp[0]) {
		quiet(self, "rm -rf '%s'", self->tmp);
		self->tmp[0] = '\0';
	}
}

/* what the commands and our udevd said, for a failure's log */
static void dump_logs(FIXTURE_DATA(udev) *self)
{
	char cmd[256];

	if (!self->tmp[0])
		return;
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && tail -n 20 cmd.log udevd.log 2>/dev/null | sed 's/^/# /'",
		 self->tmp);
	run_cmd(cmd);
}

/* gid of @name in the scratch group file, or (gid_t)-1 */
static gid_t scratch_gid(FIXTURE_DATA(udev) *self, const char *name)
{
	char path[128];
	struct group *gr;
	gid_t gid = (gid_t)-1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/etc/group", self->tmp);
	f = fopen(path, "r");
	if (!f)
		return gid;
	while ((gr = fgetgrent(f)))
		if (!strcmp(gr->gr_name, name)) {
			gid = gr->gr_gid;
			break;
		}
	fclose(f);
	return gid;
}

/*
 * Everything up to the node having been processed by our udevd. Returns
 * NULL, or why not; *skip tells a missing tool from a failure.
 */
static const char *bring_up(FIXTURE_DATA(udev) *self, bool *skip)
{
	static const char test_users[] =
		"u " MEMBER " - \"mmio_shm test, in the group\"\n"
		"u " OUTSIDER " - \"mmio_shm test, not in the group\"\n"
		"m " MEMBER " mmio_shm\n";
	char path[PATH_MAX + 64];
	size_t i;
	FILE *f;

	*skip = true;
	if (geteuid())
		return "needs root";
	if (access(shm_dev_path(), F_OK))
		return "no device node";
	for (i = 0; i < sizeof(udevd_paths) / sizeof(udevd_paths[0]); i++)
		if (!access(udevd_paths[i], X_OK))
			self->udevd = udevd_paths[i];
	if (!self->udevd || run_cmd("command -v udevadm >/dev/null") ||
	    run_cmd("command -v systemd-sysusers >/dev/null"))
		return "needs systemd-udevd, udevadm and systemd-sysusers (package udev)";
	if (!find_top(self->top))
		return "cannot find the repository's udev/ (set MMIO_SHM_TOP)";

	*skip = false;
	if (stat(shm_dev_path(), &self->orig))
		return "cannot stat the node";
	self->saved = true;

	snprintf(self->tmp, sizeof(self->tmp), "/tmp/mmio_shm_udev.XXXXXX");
	if (!mkdtemp(self->tmp)) {
		self->tmp[0] = '\0';
		return "mkdtemp";
	}
	/* the project's sysusers file where sysusers looks, plus test users */
	if (quiet(self, "cd '%s' && mkdir -p etc rules.d usr/lib/sysusers.d && "
		  "cp /etc/passwd /etc/group etc/ && "
		  "{ cp /etc/shadow /etc/gshadow etc/ || :; } && "
		  "cp '%s/udev/mmio_shm.sysusers.conf' usr/lib/sysusers.d/mmio_shm.conf && "
		  "cp '%s/udev/" RULES "' rules.d/",
		  self->tmp, self->top, self->top))
		return "cannot prepare the scratch /etc";
	/* the project's file alone must make the group */
	if (quiet(self, "systemd-sysusers --root='%s'", self->tmp))
		return "systemd-sysusers --root failed";
	self->gid = scratch_gid(self, "mmio_shm");
	if (self->gid == (gid_t)-1)
		return "udev/mmio_shm.sysusers.conf made no group mmio_shm";
	/* then the test users (an m line would create a missing group) */
	snprintf(path, sizeof(path), "%s/usr/lib/sysusers.d/zz-test.conf",
		 self->tmp);
	f = fopen(path, "w");
	if (!f || fputs(test_users, f) < 0 || fclose(f))
		return "cannot write the test users";
	if (quiet(self, "systemd-sysusers --root='%s'", self->tmp))
		return "systemd-sysusers --root failed on the test users";

	/* one udevd at a time: the control socket is /run/udev/control */
	if (!quiet(self, "udevadm control --ping --timeout=5")) {
		self->sys_udevd = true;
		if (quiet(self, "udevadm control --exit"))
			return "cannot stop the running udevd";
	}
	self->pid = fork_child();
	if (self->pid < 0) {
		self->pid = 0;
		return "fork";
	}
	if (self->pid == 0) {
		snprintf(path, sizeof(path), "%s/udevd.log", self->tmp);
		if (private_etc(self, true) || !freopen(path, "a", stdout) ||
		    dup2(fileno(stdout), 2) < 0)
			_exit(1);
		execl(self->udevd, self->udevd, (char *)NULL);
		_exit(1);
	}
	if (!udevd_answers(self, 30))
		return "our udevd does not answer";
	if (quiet(self, "udevadm trigger --action=add --subsystem-match=misc "
		  "--sysname-match='%s*' && udevadm settle --timeout=60",
		  shm_dev_name()))
		return "udevadm trigger/settle failed";
	return NULL;
}

FIXTURE_SETUP(udev)
{
	const char *why;
	bool skip;

	why = bring_up(self, &skip);
	if (why && skip) {
		restore(self);
		SKIP(return, "%s", why);
	}
	if (why) {
		TH_LOG("setup: %s (%s)", why, strerror(errno));
		dump_logs(self);
		restore(self);
		ASSERT_TRUE(false);
	}
	self->ready = true;
}

FIXTURE_TEARDOWN(udev)
{
	restore(self);
}

/*
 * In a child: becomes @user (groups from the scratch /etc/group, as login
 * would set them) and returns what @fn returns; 90+ when that fails.
 */
static int as_user(FIXTURE_DATA(udev) *self, const char *user,
		   int (*fn)(void))
{
	struct passwd *pw;
	pid_t pid;

	pid = fork_child();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (private_etc(self, false))
			_exit(90);
		pw = getpwnam(user);
		if (!pw)
			_exit(91);
		if (initgroups(user, pw->pw_gid) || setgid(pw->pw_gid) ||
		    setuid(pw->pw_uid))
			_exit(92);
		_exit(fn());
	}
	return wait_child(pid);
}

/* member: O_RDWR, a writable shared map, a word written through it */
static int open_map_write(void)
{
	uint32_t *p;
	int fd;

	fd = open(shm_dev_path(), O_RDWR);
	if (fd < 0)
		return errno == EACCES ? 10 : 11;
	p = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 12;
	*p = MAGIC;
	munmap(p, page_size());
	close(fd);
	return 0;
}

/* outsider: both open modes refused with EACCES */
static int open_refused(void)
{
	static const int modes[] = { O_RDWR, O_RDONLY, O_WRONLY };
	size_t i;
	int fd;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		fd = open(shm_dev_path(), modes[i]);
		if (fd >= 0)
			return 20 + i;
		if (errno != EACCES)
			return 30 + i;
	}
	return 0;
}

/* member, O_RDONLY: PROT_WRITE|MAP_SHARED and mprotect(PROT_WRITE) refused */
static int read_only_stays_read_only(void)
{
	long ps = page_size();
	void *p;
	int fd;

	fd = open(shm_dev_path(), O_RDONLY);
	if (fd < 0)
		return 40;
	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED)
		return 41;
	if (errno != EACCES)
		return 42;
	/* a read-only shared map is fine (the seed reader does this) */
	p = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 43;
	if (!mprotect(p, ps, PROT_READ | PROT_WRITE))
		return 44;
	if (errno != EACCES)
		return 45;
	munmap(p, ps);
	close(fd);
	return 0;
}

TEST_F_TIMEOUT(udev, node_gets_group_mmio_shm_mode_0660, 180)
{
	struct stat st;

	if (!self->ready)
		return;
	ASSERT_EQ(0, stat(shm_dev_path(), &st));
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(self->gid, st.st_gid);
	/* read/write for owner and group, nothing for anyone else */
	EXPECT_EQ(0660, st.st_mode & 07777) {
		TH_LOG("mode %#o", st.st_mode & 07777);
	}
	if (!_metadata->passed)
		dump_logs(self);
}

TEST_F_TIMEOUT(udev, link_by_index_points_at_node, 180)
{
	struct stat node, link;
	char target[64];
	ssize_t n;

	if (!self->ready)
		return;
	n = readlink(LINK, target, sizeof(target) - 1);
	ASSERT_LT(0, n) {
		TH_LOG("%s: %s", LINK, strerror(errno));
	}
	target[n] = '\0';
	EXPECT_STREQ("../mmio_shm", target);
	ASSERT_EQ(0, stat(shm_dev_path(), &node));
	ASSERT_EQ(0, stat(LINK, &link));
	EXPECT_EQ(node.st_rdev, link.st_rdev);
}

TEST_F_TIMEOUT(udev, member_opens_rdwr_and_maps_shared, 180)
{
	uint32_t seen = 0;
	int fd;

	if (!self->ready)
		return;
	fd = open(shm_dev_path(), O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shm_zero(fd));
	ASSERT_EQ(0, as_user(self, MEMBER, open_map_write));
	/* what the member wrote through its mapping is in the buffer */
	ASSERT_EQ(sizeof(seen), pread(fd, &seen, sizeof(seen), 0));
	EXPECT_EQ(MAGIC, seen);
	close(fd);
}

TEST_F_TIMEOUT(udev, outsider_gets_eacces_on_open, 180)
{
	if (!self->ready)
		return;
	EXPECT_EQ(0, as_user(self, OUTSIDER, open_refused));
}

TEST_F_TIMEOUT(udev, read_only_opener_cannot_map_or_mprotect_writable, 180)
{
	if (!self->ready)
		return;
	EXPECT_EQ(0, as_user(self, MEMBER, read_only_stays_read_only));
}

TEST_HARNESS_MAIN
