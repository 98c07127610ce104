#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: guest
# Tiers: check (the recipe's steps are the same on every kernel)
#
# Description: tests/README.md's kselftest recipe works as written: it
# runs as the README's `make vm-run CMD=...` lines run it (this guest is
# what vm-run gives: the module loaded), and run-suite.sh --loaded and
# results.awk count it, as make check does: it passes. Broken as the
# README says, it fails, alone and counted.
#
# The program comes from recipes_host.sh, which builds the recipe as it
# is and broken, in scratch trees in BUILD/recipes/, on the host (make
# check runs it first; the same compiler and files as here, without TCG's
# 15-20 s a compile). When those trees are missing, or hold another
# version of the recipe, this builds them itself, in scratch trees of its
# own, as recipes_host.sh does.

. "$(dirname "$0")/tap.sh"
# shellcheck source=tests/shell/docblocks.sh
. "$(dirname "$0")/docblocks.sh"

# recipes_host.sh's trees
K=$BUILD/recipes
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
		run2 in_scratch "$T" bash -c "$cmd"
		printf '%s\n' "$out" | sed 's/^/#   /'
		printf '%s\t%s\n' "$status" "$cmd"
	done <"$_tap_tmp/cmds"
}

# the tree, in $T, holding the recipe's program as it is or broken:
# recipes_host.sh's, or one built here
recipe_tree() {
	T=$K/$1
	if kselftest_built "$T" "$1"; then
		log "built by recipes_host.sh: $T"
	else
		T=$_tap_tmp/$1
		log "not built by recipes_host.sh as the README has it now: building it in $T"
		kselftest_tree "$T" "$1"
	fi
}

kselftest_recipe_passes_alone_and_counted() {
	recipe_tree pass

	run run_alone
	assert_eq 0 "$status" "the README's vm-run lines"
	expect_eq "" "$(grep -v -e '^#' -e '^0	' <<<"$out")" "each line's status" ||
		log "$out"

	run counted "$T" --loaded "$TEST"
	expect_eq "2 passed, 0 failed, 0 skipped" "$(printf '%s' "$out" | tail -n 1)" \
		"counted (its case, the kernel log)" || log "$out"
}

kselftest_recipe_broken_fails_alone_and_counted() {
	recipe_tree broken

	run run_alone
	assert_eq 0 "$status" "the README's vm-run lines"
	expect_eq "" "$(grep '^0	' <<<"$out")" "each line's status, broken: none 0" ||
		log "$out"

	run counted "$T" --loaded "$TEST"
	expect_eq "1 passed, 1 failed, 0 skipped" "$(printf '%s' "$out" | tail -n 1)" \
		"counted (its case failed, the kernel log clean)" || log "$out"
}

start=$(date +%s)
plan 2
run_case kselftest_recipe_passes_alone_and_counted
run_case kselftest_recipe_broken_fails_alone_and_counted
echo "# $(basename "$0") took $(($(date +%s) - start)) s"
tap_exit
