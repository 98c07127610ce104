// SPDX-License-Identifier: GPL-2.0
/*
 * Description: dkms.conf is what DKMS needs: its PACKAGE_VERSION is the
 * interface version of the UAPI header, and `dkms add` + `dkms build` turn
 * the module's source into mmio_shm.ko for the installed Debian 6.1
 * kernel, with that kernel's vermagic.
 *
 * DKMS runs on a private tree (--sourcetree, --dkmstree in a scratch
 * directory). It also writes a module signing key into /var/lib/dkms the
 * first time it signs, so as root it runs in a private mount namespace
 * with a scratch directory over /var/lib/dkms: the system's DKMS state is
 * never touched.
 */
#define _GNU_SOURCE
#include "host.h"
#include "kselftest_harness.h"

/* the value of KEY="VALUE" (or KEY=VALUE) in dkms.conf, into @val */
static int conf_value(const char *top, const char *key, char *val, size_t len)
{
	char path[PATH_MAX + 16], line[512];
	size_t klen = strlen(key);
	char *v, *end;
	FILE *f;

	snprintf(path, sizeof(path), "%s/dkms.conf", top);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != '=')
			continue;
		v = line + klen + 1;
		v[strcspn(v, "\n")] = '\0';
		if (*v == '"') {
			v++;
			end = strchr(v, '"');
			if (end)
				*end = '\0';
		}
		snprintf(val, len, "%s", v);
		fclose(f);
		return 0;
	}
	fclose(f);
	return -ENOENT;
}

/* the release of the newest Debian 6.1 headers, from utsrelease.h */
static int kernel_release(char *kver, size_t len)
{
	char out[256];

	if (run_output("d=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | "
		       "sort -V | tail -n 1) && [ -n \"$d\" ] && "
		       "sed -n 's/^#define UTS_RELEASE \"\\(.*\\)\"/\\1/p' "
		       "\"$d/include/generated/utsrelease.h\"", out, sizeof(out)))
		return -ENOENT;
	out[strcspn(out, "\n")] = '\0';
	if (!out[0] || strlen(out) >= len)
		return -ENOENT;
	strcpy(kver, out);
	return 0;
}

/* the project release: MAJOR.MINOR.PATCH, apart from the interface version */
TEST(package_version_is_the_release)
{
	char top[PATH_MAX], version[64];
	unsigned int a, b, c;
	char end;

	ASSERT_NE(NULL, top_dir(top));
	ASSERT_EQ(0, conf_value(top, "PACKAGE_VERSION", version, sizeof(version)));
	EXPECT_EQ(3, sscanf(version, "%u.%u.%u%c", &a, &b, &c, &end));
}

TEST(conf_names_the_module_kbuild_builds)
{
	char top[PATH_MAX], name[64], cmd[PATH_MAX + 64], out[256];

	ASSERT_NE(NULL, top_dir(top));
	ASSERT_EQ(0, conf_value(top, "PACKAGE_NAME", name, sizeof(name)));
	EXPECT_STREQ("mmio_shm", name);
	ASSERT_EQ(0, conf_value(top, "BUILT_MODULE_NAME[0]", name, sizeof(name)));
	snprintf(cmd, sizeof(cmd),
		 "sed -n 's/^obj-m[[:space:]]*:=[[:space:]]*\\(.*\\)\\.o$/\\1/p' '%s/Kbuild'",
		 top);
	ASSERT_EQ(0, run_output(cmd, out, sizeof(out)));
	out[strcspn(out, "\n")] = '\0';
	EXPECT_STREQ(out, name);
	ASSERT_EQ(0, conf_value(top, "AUTOINSTALL", name, sizeof(name)));
	EXPECT_STREQ("yes", name);
}

FIXTURE(dkms) {
	char tmp[64];		/* scratch: src/, tree/, var/; removed at teardown */
	char top[PATH_MAX];	/* the repository */
	char kver[128];		/* release of the installed 6.1 headers */
	char version[64];	/* PACKAGE_VERSION */
};

FIXTURE_SETUP(dkms)
{
	if (system("command -v dkms >/dev/null 2>&1"))
		SKIP(return, "dkms is not installed (package dkms)");
	if (kernel_release(self->kver, sizeof(self->kver)))
		SKIP(return, "no Debian 6.1 headers (linux-headers-amd64)");
	ASSERT_NE(NULL, top_dir(self->top));
	ASSERT_EQ(0, conf_value(self->top, "PACKAGE_VERSION", self->version,
				sizeof(self->version)));
	snprintf(self->tmp, sizeof(self->tmp), "/tmp/mmio_shm_dkms.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->tmp));
}

FIXTURE_TEARDOWN(dkms)
{
	char cmd[128];

	if (!self->tmp[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->tmp);
	system(cmd);
}

TEST_F_TIMEOUT(dkms, build_for_installed_kernel_has_its_vermagic, 600)
{
	char cmd[8 * PATH_MAX], out[16384], ko[PATH_MAX];
	const char *wrap;

	if (!self->tmp[0])
		return;
	/*
	 * What the README tells a person to copy to /usr/src/mmio_shm-VERSION
	 * (here the scratch source tree), then dkms add and build.
	 */
	wrap = geteuid() ? "sh -c" :
		"unshare -m sh -c 'mount --bind \"$T/var\" /var/lib/dkms && eval \"$0\"'";
	snprintf(cmd, sizeof(cmd),
		 "T='%s'; S=\"$T/src/mmio_shm-%s\"; export T; "
		 "mkdir -p \"$S\" \"$T/tree\" \"$T/var\" && "
		 "cp -a '%s/Kbuild' '%s/Makefile' '%s/dkms.conf' '%s/kernel' \"$S/\" && "
		 "%s 'dkms add mmio_shm/%s --sourcetree \"$T/src\" --dkmstree \"$T/tree\" && "
		 "dkms build mmio_shm/%s -k %s --sourcetree \"$T/src\" --dkmstree \"$T/tree\"' 2>&1 ||"
		 " { cat \"$T\"/tree/mmio_shm/*/*/*/log/make.log; exit 1; }",
		 self->tmp, self->version, self->top, self->top, self->top,
		 self->top, wrap, self->version, self->version, self->kver);
	ASSERT_EQ(0, run_output(cmd, out, sizeof(out))) {
		TH_LOG("%s", out);
	}

	snprintf(ko, sizeof(ko), "%s/tree/mmio_shm/%s/%s/x86_64/module/mmio_shm.ko",
		 self->tmp, self->version, self->kver);
	ASSERT_EQ(0, access(ko, R_OK)) {
		TH_LOG("no %s; dkms said:\n%s", ko, out);
	}
	snprintf(cmd, sizeof(cmd), "modinfo -F vermagic '%s' | cut -d' ' -f1", ko);
	ASSERT_EQ(0, run_output(cmd, out, sizeof(out)));
	out[strcspn(out, "\n")] = '\0';
	EXPECT_STREQ(self->kver, out);
	snprintf(cmd, sizeof(cmd), "modinfo -F name '%s'", ko);
	ASSERT_EQ(0, run_output(cmd, out, sizeof(out)));
	EXPECT_STREQ("mmio_shm\n", out);
}

TEST_HARNESS_MAIN
