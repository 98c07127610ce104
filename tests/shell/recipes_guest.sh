#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: guest
#
# Description: tests/README.md's kselftest recipe works as written. In a
# scratch copy of the tree (the build seeded from BUILD: only the new test
# is compiled) it takes the recipe's file and the build of the tests alone
# from the README as they are, checks that make check's guest list names
# the new program, runs it as the README's `make vm-run CMD=...` lines do
# (this guest is what vm-run gives: the module loaded), and counts it
# through run-suite.sh --loaded and results.awk, as make check does: it
# passes. Broken as the README says, it fails, alone and counted. The host
# and shell recipes are recipes_host.sh's.

. "$(dirname "$0")/tap.sh"
# shellcheck source=tests/shell/docblocks.sh
. "$(dirname "$0")/docblocks.sh"

S=$_tap_tmp/tree
TEST=build/tests/hello_test

# runs the README's vm-run lines that run the recipe's program, their CMD
# alone: prints each one's output as "#" lines, then "STATUS<tab>CMD"
run_alone() {
	local cmd

	doc_block tests/README.md run-guest >"$_tap_tmp/run-guest" || exit 1
	sed -n "s|^make vm-run CMD='\\(.*$TEST.*\\)'.*|\\1|p" "$_tap_tmp/run-guest" \
		>"$_tap_tmp/cmds"
	[ -s "$_tap_tmp/cmds" ] || { echo "no vm-run line of the README runs $TEST" >&2; exit 1; }
	while read -r cmd; do
		run2 in_scratch "$S" bash -c "$cmd"
		printf '%s\n' "$out" | sed 's/^/#   /'
		printf '%s\t%s\n' "$status" "$cmd"
	done <"$_tap_tmp/cmds"
}

kselftest_recipe_passes_alone_and_counted() {
	scratch_tree "$S" && seed_build "$S" || exit 1
	doc_block tests/README.md tests/selftests/hello_test.c \
		>"$S/tests/selftests/hello_test.c" || exit 1
	run_block tests/README.md build-tests "$S"
	assert_eq 0 "$status" "the build of the tests"
	assert_true test -x "$S/$TEST"

	run in_scratch "$S" make -s -C tests list-guest
	expect_contains "$S/$TEST" "$out" "make check's guest list"

	run run_alone
	assert_eq 0 "$status" "the README's vm-run lines"
	expect_eq "" "$(grep -v -e '^#' -e '^0	' <<<"$out")" "each line's status" ||
		log "$out"

	run counted "$S" --loaded "$TEST"
	expect_eq "2 passed, 0 failed, 0 skipped" "$(printf '%s' "$out" | tail -n 1)" \
		"counted (its case, the kernel log)" || log "$out"
}

kselftest_recipe_broken_fails_alone_and_counted() {
	local brk

	assert_true test -x "$S/$TEST"
	brk=$(doc_break tests/README.md tests/selftests/hello_test.c) || exit 1
	apply_break "$S/tests/selftests/hello_test.c" "$brk" || exit 1
	run_block tests/README.md build-tests "$S"
	assert_eq 0 "$status" "the build of the broken test"

	run run_alone
	assert_eq 0 "$status" "the README's vm-run lines"
	expect_eq "" "$(grep '^0	' <<<"$out")" "each line's status, broken: none 0" ||
		log "$out"

	run counted "$S" --loaded "$TEST"
	expect_eq "1 passed, 1 failed, 0 skipped" "$(printf '%s' "$out" | tail -n 1)" \
		"counted (its case failed, the kernel log clean)" || log "$out"
}

start=$(date +%s)
plan 2
run_case kselftest_recipe_passes_alone_and_counted
run_case kselftest_recipe_broken_fails_alone_and_counted
echo "# $(basename "$0") took $(($(date +%s) - start)) s"
tap_exit
