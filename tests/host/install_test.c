// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the top-level `make install DESTDIR=...` puts the whole
 * project in place (the module under lib/modules/<release>/, udev rules,
 * sysusers file, modprobe.d/modules-load.d examples, and through user/ the
 * library, headers, pkg-config file, man pages and tool), with PREFIX=/usr
 * and with the default /usr/local; INSTALL_MODULE=no (for DKMS users)
 * installs all but the module; in a staging DESTDIR it runs no depmod;
 * `make uninstall` then leaves no file behind.
 *
 * The build runs on a copy of the repository's files in a scratch
 * directory, against the newest installed Debian 6.1 headers, so the
 * checkout and its build directory stay as they are.
 */
#define _GNU_SOURCE
#include "host.h"
#include "kselftest_harness.h"

FIXTURE(install) {
	char tmp[64];		/* scratch: src/, build/, dest/; removed at teardown */
	char top[PATH_MAX];	/* the repository */
	char kdir[PATH_MAX];	/* the 6.1 headers */
	char kver[128];		/* their release: lib/modules/<kver> */
	char make[4 * PATH_MAX];/* make -C src with DESTDIR, BUILD, KDIR, PREFIX */
	char out[65536];	/* output of the last command */
};

FIXTURE_VARIANT(install) {
	const char *args;	/* more make arguments, or "" */
	const char *expect;	/* the prefix the files must land in */
	bool module;		/* the module is installed too */
};

FIXTURE_VARIANT_ADD(install, usr) {
	.args = "PREFIX=/usr",
	.expect = "usr",
	.module = true,
};

FIXTURE_VARIANT_ADD(install, default_usr_local) {
	.args = "",
	.expect = "usr/local",
	.module = true,
};

FIXTURE_VARIANT_ADD(install, without_module) {
	.args = "PREFIX=/usr INSTALL_MODULE=no",
	.expect = "usr",
	.module = false,
};

FIXTURE_SETUP(install)
{
	char cmd[4 * PATH_MAX];

	if (run_output("ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | "
		       "sort -V | tail -n 1", self->kdir, sizeof(self->kdir)) ||
	    !self->kdir[0])
		SKIP(return, "no Debian 6.1 headers (linux-headers-amd64)");
	self->kdir[strcspn(self->kdir, "\n")] = '\0';
	snprintf(cmd, sizeof(cmd),
		 "sed -n 's/^#define UTS_RELEASE \"\\(.*\\)\"/\\1/p' "
		 "'%s/include/generated/utsrelease.h'", self->kdir);
	ASSERT_EQ(0, run_output(cmd, self->kver, sizeof(self->kver)));
	self->kver[strcspn(self->kver, "\n")] = '\0';
	ASSERT_NE(0, self->kver[0]);
	ASSERT_NE(NULL, top_dir(self->top));
	snprintf(self->tmp, sizeof(self->tmp), "/tmp/mmio_shm_install.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->tmp));

	/*
	 * The files git knows of (committed or not, minus what .gitignore
	 * hides), without tests/; a plain copy where there is no git.
	 */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && mkdir '%s/src' && "
		 "if git rev-parse --git-dir >/dev/null 2>&1; then "
		 "git ls-files -z --cached --others --exclude-standard | "
		 "grep -zv '^tests/' | tar --null -T - -cf - | tar -xf - -C '%s/src'; "
		 "else cp -a Kbuild Makefile dkms.conf kernel user udev '%s/src/'; fi 2>&1",
		 self->top, self->tmp, self->tmp, self->tmp);
	ASSERT_EQ(0, run_output(cmd, self->out, sizeof(self->out))) {
		TH_LOG("%s", self->out);
	}
	snprintf(self->make, sizeof(self->make),
		 "make -s -C '%s/src' DESTDIR='%s/dest' BUILD='%s/build' KDIR='%s' %s",
		 self->tmp, self->tmp, self->tmp, self->kdir, variant->args);
}

FIXTURE_TEARDOWN(install)
{
	char cmd[128];

	if (!self->tmp[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->tmp);
	system(cmd);
}

/* runs `make TARGET` on the copy; returns its status, output in self->out */
static int run_make(FIXTURE_DATA(install) *self, const char *target)
{
	char cmd[5 * PATH_MAX];

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", self->make, target);
	return run_output(cmd, self->out, sizeof(self->out));
}

/* every file and link under dest/, one a line, for the log */
static void log_tree(struct __test_metadata *_metadata,
		     FIXTURE_DATA(install) *self)
{
	char cmd[PATH_MAX], out[16384];

	snprintf(cmd, sizeof(cmd), "cd '%s/dest' && find . ! -type d | sort",
		 self->tmp);
	run_output(cmd, out, sizeof(out));
	TH_LOG("installed:\n%s", out);
}

/* make uninstall, then: empty directories may stay, files and links may not */
static void uninstall_and_check(struct __test_metadata *_metadata,
				FIXTURE_DATA(install) *self)
{
	char cmd[PATH_MAX], out[16384];

	ASSERT_EQ(0, run_make(self, "uninstall")) {
		TH_LOG("%s", self->out);
	}
	snprintf(cmd, sizeof(cmd), "cd '%s/dest' && find . ! -type d | sort",
		 self->tmp);
	ASSERT_EQ(0, run_output(cmd, out, sizeof(out)));
	EXPECT_STREQ("", out) {
		TH_LOG("left after uninstall:\n%s", out);
	}
}

TEST_F_TIMEOUT(install, install_places_every_file_uninstall_removes_them, 600)
{
	/* under DESTDIR/<prefix>/ (mode), then the module */
	static const struct {
		const char *path;
		mode_t mode;
	} files[] = {
		{ "lib/udev/rules.d/70-mmio_shm.rules", 0644 },
		{ "lib/sysusers.d/mmio_shm.conf", 0644 },
		{ "share/doc/mmio_shm/examples/modprobe.d/mmio_shm.conf", 0644 },
		{ "share/doc/mmio_shm/examples/modules-load.d/mmio_shm.conf", 0644 },
		{ "include/libmmio_shm.h", 0644 },
		{ "include/libmmio_shm/mmio_shm.h", 0644 },
		{ "lib/libmmio_shm.so.1", 0 },
		{ "lib/libmmio_shm.so", 0 },
		{ "lib/libmmio_shm.a", 0644 },
		{ "lib/pkgconfig/libmmio_shm.pc", 0644 },
		{ "bin/mmio-shm", 0755 },
		{ "share/man/man1/mmio-shm.1", 0644 },
		{ "share/man/man3/mmio_shm_open.3", 0644 },
		{ "share/man/man4/mmio_shm.4", 0644 },
	};
	char path[2 * PATH_MAX], cmd[3 * PATH_MAX], out[256];
	bool missing = false, there;
	struct stat st;
	size_t i;

	if (!self->tmp[0])
		return;
	ASSERT_EQ(0, run_make(self, "install")) {
		TH_LOG("%s", self->out);
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/dest/%s/%s", self->tmp,
			 variant->expect, files[i].path);
		there = !stat(path, &st);
		/* (a block after EXPECT is the macro's loop: no continue there) */
		EXPECT_TRUE(there) {
			TH_LOG("not installed: %s/%s", variant->expect, files[i].path);
		}
		if (!there) {
			missing = true;
			continue;
		}
		if (files[i].mode)
			EXPECT_EQ(files[i].mode, st.st_mode & 07777) {
				TH_LOG("%s: mode %#o", files[i].path, st.st_mode & 07777);
			}
	}

	/* installed as they are in the tree */
	snprintf(cmd, sizeof(cmd),
		 "cmp '%s/udev/70-mmio_shm.rules' '%s/dest/%s/lib/udev/rules.d/70-mmio_shm.rules' && "
		 "cmp '%s/udev/mmio_shm.sysusers.conf' '%s/dest/%s/lib/sysusers.d/mmio_shm.conf'",
		 self->top, self->tmp, variant->expect, self->top, self->tmp,
		 variant->expect);
	EXPECT_EQ(0, system(cmd));

	if (!variant->module) {
		snprintf(path, sizeof(path), "%s/dest/lib", self->tmp);
		EXPECT_NE(0, access(path, F_OK)) {
			TH_LOG("INSTALL_MODULE=no installed lib/");
			missing = true;
		}
		if (missing)
			log_tree(_metadata, self);
		uninstall_and_check(_metadata, self);
		return;
	}

	/* the module, built for the headers' kernel */
	snprintf(path, sizeof(path), "%s/dest/lib/modules/%s/extra/mmio_shm.ko",
		 self->tmp, self->kver);
	ASSERT_EQ(0, access(path, R_OK)) {
		TH_LOG("no lib/modules/%s/extra/mmio_shm.ko", self->kver);
		missing = true;
	}
	snprintf(cmd, sizeof(cmd), "modinfo -F vermagic '%s' | cut -d' ' -f1", path);
	ASSERT_EQ(0, run_output(cmd, out, sizeof(out)));
	out[strcspn(out, "\n")] = '\0';
	EXPECT_STREQ(self->kver, out);

	/* staging: depmod is the package's job, not make's */
	snprintf(path, sizeof(path), "%s/dest/lib/modules/%s/modules.dep",
		 self->tmp, self->kver);
	EXPECT_NE(0, access(path, F_OK));

	if (missing)
		log_tree(_metadata, self);
	uninstall_and_check(_metadata, self);
}

TEST_HARNESS_MAIN
