#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: host
#
# Description: the docs' recipes work as written, so they cannot drift from
# the code. In a scratch copy of the tree it follows tests/README.md's
# host-test and shell-test recipes, taking each block from the file as it
# is: the two files, the chmod, the build of the tests alone and the
# commands that run each test alone; both pass, make check lists them, and
# run-suite.sh and results.awk count them as passed. Broken as the README
# says, both fail, alone and counted. A shell test without its execute bit
# is counted as failed, "not executable". Then, in a second copy with no
# build at all, README.md's blocks that can run here: "Try it"'s make user
# and the tool on a file, "Install on your machine"'s make and make install
# (into a DESTDIR, against Debian's 6.1 headers; modprobe is the guest's
# job), and the library's example built with pkg-config from that staged
# install. It builds the kselftest recipe, as it is and broken, into
# BUILD/recipes/pass and BUILD/recipes/broken: make check's guest list
# names it; tests/shell/recipes_guest.sh runs and counts it in the guest.

. "$(dirname "$0")/tap.sh"
# shellcheck source=tests/shell/docblocks.sh
. "$(dirname "$0")/docblocks.sh"

# the tree for the test recipes (the build seeded: make builds only the
# new tests), the fresh one for README.md's blocks, the staged install
S=$_tap_tmp/tree
F=$_tap_tmp/fresh
DEST=$_tap_tmp/dest
HOST_TEST=build/host/hello_test
SHELL_TEST=tests/shell/hello.sh

recipes_pass_alone_and_counted() {
	scratch_tree "$S" && seed_build "$S" || exit 1
	doc_block tests/README.md tests/host/hello_test.c >"$S/tests/host/hello_test.c" || exit 1
	doc_block tests/README.md "$SHELL_TEST" >"$S/$SHELL_TEST" || exit 1
	run_block tests/README.md shell-test-mode "$S"
	assert_eq 0 "$status" "the chmod"
	run_block tests/README.md build-tests "$S"
	assert_eq 0 "$status" "the build of the tests"
	assert_true test -x "$S/$HOST_TEST"

	run in_scratch "$S" make -s -C tests list-host
	expect_contains "$S/$HOST_TEST" "$out" "make check's host list"
	expect_contains "$S/$SHELL_TEST" "$out" "make check's host list"

	run_block tests/README.md run-host "$S"
	expect_eq 0 "$status" "each run alone"
	expect_contains "ok 1 global.map_covers_the_whole_file" "$out"
	expect_contains "ok 1 prints_its_version" "$out"

	run counted "$S" --host "$HOST_TEST" "$SHELL_TEST"
	expect_eq "2 passed, 0 failed, 0 skipped" "$(printf "%s" "$out" | tail -n 1)" "counted" ||
		log "$out"
}

recipes_broken_fail_alone_and_counted() {
	local brk line

	assert_true test -x "$S/$HOST_TEST"
	brk=$(doc_break tests/README.md tests/host/hello_test.c) || exit 1
	apply_break "$S/tests/host/hello_test.c" "$brk" || exit 1
	brk=$(doc_break tests/README.md "$SHELL_TEST") || exit 1
	apply_break "$S/$SHELL_TEST" "$brk" || exit 1
	run_block tests/README.md build-tests "$S"
	assert_eq 0 "$status" "the build of the broken test"

	doc_block tests/README.md run-host >"$_tap_tmp/run-host" || exit 1
	while read -r line; do
		run2 in_scratch "$S" bash -c "$line"
		expect_ne 0 "$status" "$line, broken"
		expect_contains "not ok 1 " "$out" "$line, broken"
	done <"$_tap_tmp/run-host"

	run counted "$S" --host "$HOST_TEST" "$SHELL_TEST"
	expect_eq "0 passed, 2 failed, 0 skipped" "$(printf "%s" "$out" | tail -n 1)" "counted" ||
		log "$out"
}

shell_test_without_execute_bit_counted_not_executable() {
	assert_true test -f "$S/$SHELL_TEST"
	chmod -x "$S/$SHELL_TEST"
	run counted "$S" --host "$SHELL_TEST"
	expect_contains "# not executable: chmod +x $S/$SHELL_TEST" "$out"
	expect_eq "0 passed, 1 failed, 0 skipped" "$(printf "%s" "$out" | tail -n 1)" "counted" ||
		log "$out"
}

kselftest_recipe_builds_and_is_listed() {
	kselftest_tree "$BUILD/recipes/pass" pass
	kselftest_tree "$BUILD/recipes/broken" broken
}

readme_make_user_builds_the_tool_that_works_on_a_file() {
	scratch_tree "$F" || exit 1
	run_block README.md try-user "$F"
	assert_eq 0 "$status" "the Try it block"
	expect_contains "|hello...........|" "$out" "the dump of the file"
	assert_true test -x "$F/build/user/mmio-shm"
}

readme_install_block_stages_everything_under_destdir() {
	local kdir krel f

	# what a newcomer has: the headers of the kernel make builds for
	kdir=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -n 1)
	[ -n "$kdir" ] ||
		{ fail "no Debian 6.1 headers (linux-headers-amd64: tests/provision/deps.sh)"; exit 1; }
	krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$kdir/include/generated/utsrelease.h")
	assert_ne "" "$krel" "the headers' release"

	# run as the block is, but: sudo is not needed for a DESTDIR, and
	# this kernel loads no modules (the guest tests load the module)
	doc_block README.md install-make >"$_tap_tmp/install.sh" || exit 1
	{
		echo 'sudo() { "$@"; }'
		echo 'modprobe() { echo "modprobe $*: not here, where no module loads"; }'
		cat "$_tap_tmp/install.sh"
	} >"$_tap_tmp/install-here.sh"
	run2 in_scratch "$F" env KDIR="$kdir" DESTDIR="$DEST" bash -e "$_tap_tmp/install-here.sh"
	[ "$status" -eq 0 ] || log "$out"
	assert_eq 0 "$status" "the install block"
	expect_contains "modprobe mmio_shm: not here" "$out" "the block's last line"
	for f in "lib/modules/$krel/extra/mmio_shm.ko" usr/local/lib/libmmio_shm.so.1 \
		 usr/local/lib/pkgconfig/libmmio_shm.pc usr/local/include/libmmio_shm.h \
		 usr/local/bin/mmio-shm usr/local/lib/udev/rules.d/70-mmio_shm.rules; do
		[ -e "$DEST/$f" ] || fail "not installed under DESTDIR: $f"
	done
}

readme_library_example_builds_with_pkg_config() {
	local cmd enoent

	assert_true test -e "$DEST/usr/local/lib/pkgconfig/libmmio_shm.pc"
	doc_block README.md library-example >"$_tap_tmp/example" || exit 1
	# the build command is the comment on its first line
	cmd=$(sed -n '1s|.*/\* *\(cc app\.c .*\) *\*/.*|\1|p' "$_tap_tmp/example")
	assert_ne "" "$cmd" "the build command in the example's first line"
	# the example is a function's body: main's, here
	{
		echo '#include <string.h>'
		head -n 1 "$_tap_tmp/example"
		echo 'int main(void)'
		echo '{'
		tail -n +2 "$_tap_tmp/example"
		echo '	return ret < 0 ? 1 : 0;'
		echo '}'
	} >"$_tap_tmp/app.c"
	run2 in_scratch "$_tap_tmp" env PKG_CONFIG_PATH="$DEST/usr/local/lib/pkgconfig" \
		PKG_CONFIG_SYSROOT_DIR="$DEST" bash -c "$cmd"
	expect_eq 0 "$status" "$cmd"
	expect_eq "" "$out" "what $cmd printed"
	run2 readelf -d "$_tap_tmp/a.out"
	expect_contains "[libmmio_shm.so.1]" "$out" "the program's NEEDED"
	# no device here: mmio_shm_open() returns -ENOENT, which the example
	# returns from main
	enoent=$(python3 -c 'import errno; print(errno.ENOENT)')
	run2 env LD_LIBRARY_PATH="$DEST/usr/local/lib" "$_tap_tmp/a.out"
	expect_eq "$((256 - enoent))" "$status" "the example's exit status, -ENOENT"
}

start=$(date +%s)
plan 7
run_case recipes_pass_alone_and_counted
run_case recipes_broken_fail_alone_and_counted
run_case shell_test_without_execute_bit_counted_not_executable
run_case kselftest_recipe_builds_and_is_listed
run_case readme_make_user_builds_the_tool_that_works_on_a_file
run_case readme_install_block_stages_everything_under_destdir
run_case readme_library_example_builds_with_pkg_config
echo "# $(basename "$0") took $(($(date +%s) - start)) s"
tap_exit
