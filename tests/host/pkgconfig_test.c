// SPDX-License-Identifier: GPL-2.0
/*
 * Description: `make -C user install DESTDIR=... PREFIX=/usr` puts the
 * library, headers, pkg-config file, tool and man pages in place; a program
 * outside the tree builds against them with pkg-config alone, links the
 * shared library by its soname and works on a memfd; `make uninstall`
 * leaves no file behind.
 */
#define _GNU_SOURCE
#include "host.h"
#include "kselftest_harness.h"

/* the outside program: everything it knows comes from pkg-config */
static const char outside_prog[] =
	"#define _GNU_SOURCE\n"
	"#include <libmmio_shm.h>\n"
	"#include <stdio.h>\n"
	"#include <string.h>\n"
	"#include <sys/mman.h>\n"
	"#include <unistd.h>\n"
	"int main(void)\n"
	"{\n"
	"	int fd = memfd_create(\"outside\", 0);\n"
	"	struct mmio_shm *shm;\n"
	"	char *p, back[8] = \"\";\n"
	"	size_t len;\n"
	"	if (fd < 0 || ftruncate(fd, 8192) ||\n"
	"	    mmio_shm_open_fd(fd, &shm) ||\n"
	"	    mmio_shm_map(shm, MMIO_SHM_PROT_READ | MMIO_SHM_PROT_WRITE,\n"
	"			 (void **)&p, &len))\n"
	"		return 1;\n"
	"	strcpy(p + 4096, \"works\");\n"
	"	if (pread(fd, back, 6, 4096) != 6)\n"
	"		return 1;\n"
	"	printf(\"%s %zu %d\\n\", back, len, mmio_shm_zero(shm));\n"
	"	return mmio_shm_close(shm) ? 1 : 0;\n"
	"}\n";

FIXTURE(dest) {
	char tmp[64];		/* scratch directory, removed at teardown */
	char top[PATH_MAX];	/* the repository */
};

FIXTURE_SETUP(dest)
{
	snprintf(self->tmp, sizeof(self->tmp), "/tmp/mmio_shm_install.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->tmp));
	ASSERT_NE(NULL, top_dir(self->top));
}

FIXTURE_TEARDOWN(dest)
{
	char cmd[2 * PATH_MAX];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->tmp);
	system(cmd);
}

TEST_F_TIMEOUT(dest, install_pkgconfig_uninstall, 300)
{
	static const char *const installed[] = {
		"usr/lib/libmmio_shm.so.1.0.0", "usr/lib/libmmio_shm.so.1",
		"usr/lib/libmmio_shm.so", "usr/lib/libmmio_shm.a",
		"usr/include/libmmio_shm.h", "usr/include/libmmio_shm/mmio_shm.h",
		"usr/lib/pkgconfig/libmmio_shm.pc", "usr/bin/mmio-shm",
		"usr/share/man/man1/mmio-shm.1", "usr/share/man/man3/mmio_shm_open.3",
		"usr/share/man/man3/mmio_shm_wait.3", "usr/share/man/man4/mmio_shm.4",
	};
	char cmd[8 * PATH_MAX], out[4096], path[PATH_MAX];
	const char *make_args = "DESTDIR=\"$T/dest\" PREFIX=/usr O=\"$T/build\"";
	size_t i;
	FILE *f;

	/* the build goes to the scratch directory: the shared one stays as is */
	snprintf(cmd, sizeof(cmd), "T='%s'; make -s -C '%s/user' install %s 2>&1",
		 self->tmp, self->top, make_args);
	ASSERT_EQ(0, run_output(cmd, out, sizeof(out))) {
		TH_LOG("%s", out);
	}
	for (i = 0; i < sizeof(installed) / sizeof(installed[0]); i++) {
		snprintf(path, sizeof(path), "%s/dest/%s", self->tmp, installed[i]);
		EXPECT_EQ(0, access(path, F_OK)) {
			TH_LOG("not installed: %s", installed[i]);
		}
	}

	snprintf(path, sizeof(path), "%s/outside.c", self->tmp);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	fputs(outside_prog, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "T='%s'; export PKG_CONFIG_PATH=\"$T/dest/usr/lib/pkgconfig\" "
		 "PKG_CONFIG_LIBDIR=\"$T/dest/usr/lib/pkgconfig\" "
		 "PKG_CONFIG_SYSROOT_DIR=\"$T/dest\" && "
		 "test \"$(pkg-config --modversion libmmio_shm)\" = 1.0.0 && "
		 "cc -std=c11 -Wall -Werror -o \"$T/outside\" \"$T/outside.c\" "
		 "$(pkg-config --cflags --libs libmmio_shm) 2>&1 && "
		 "readelf -d \"$T/outside\" | grep -q 'NEEDED.*libmmio_shm.so.1]' && "
		 "LD_LIBRARY_PATH=\"$T/dest/usr/lib\" \"$T/outside\" 2>&1",
		 self->tmp);
	ASSERT_EQ(0, run_output(cmd, out, sizeof(out))) {
		TH_LOG("%s", out);
	}
	/* the program wrote and read back; zero is device-only: -ENOTTY */
	snprintf(path, sizeof(path), "works 8192 %d\n", -ENOTTY);
	EXPECT_STREQ(path, out);

	snprintf(cmd, sizeof(cmd),
		 "T='%s'; make -s -C '%s/user' uninstall %s 2>&1 && "
		 "find \"$T/dest\" ! -type d", self->tmp, self->top, make_args);
	ASSERT_EQ(0, run_output(cmd, out, sizeof(out)));
	EXPECT_STREQ("", out);
}

TEST_HARNESS_MAIN
