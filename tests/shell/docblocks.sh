# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154 # _tap_tmp, out, status: tap.sh's
#
# Sourced, after tap.sh, by the shell tests that follow the docs as a
# newcomer would (recipes_host.sh, recipes_guest.sh): the docs' fenced
# blocks, taken as they are, and a scratch copy of the tree to follow them
# in. A block is marked by an HTML comment on the line before its fence,
# which Markdown does not show (words may follow KEY, to tell the reader):
#
#   <!-- recipe: KEY -->
#   ```c
#   ...
#   ```
#
#   doc_block DOC KEY      prints the block marked KEY in DOC (a path from
#                          the checkout's top), exactly; says so on stderr
#                          and returns 1 when there is none
#   doc_break DOC KEY      prints "WHERE|OLD|NEW" from the first sentence
#                          "To see it fail, expect `NEW` instead of `OLD` in
#                          `WHERE`." after the block marked KEY (or returns
#                          1, saying why)
#   run_block DOC KEY DIR  runs that block in DIR (in_scratch) with bash -e:
#                          its output in $out (logged when it failed), its
#                          status in $status; a missing block ends the case
#   apply_break FILE BREAK makes that change in FILE: OLD becomes NEW on each
#                          line holding WHERE; returns 1, saying so, when
#                          no line changed
#   scratch_tree DIR       copies the checkout (without .git and build/) to
#                          DIR, as a fresh clone has it
#   seed_build DIR         links into DIR/build, file by file, what of BUILD
#                          the test recipes build on (the harness headers,
#                          user/, the tests built already): make sees their
#                          times and builds only what is new, into DIR/build
#                          (a file it rebuilt replaces its link)
#   in_scratch DIR CMD...  runs CMD in DIR as a newcomer's shell would: the
#                          variables run-suite.sh and make exported (which
#                          would point the scratch copy's tests back at the
#                          checkout, or make at make check's jobs) unset
#   kselftest_tree DIR pass|broken
#                          follows tests/README.md's kselftest recipe in a
#                          scratch tree DIR (seeded): its file, as it is or
#                          broken as the README says, and the build of the
#                          tests; the case fails when the program is not
#                          built or not in make check's guest list
#   kselftest_built DIR pass|broken
#                          whether DIR holds that build, of the recipe as
#                          the README has it now
#   counted DIR WHERE PROG...
#                          runs PROGs (paths in DIR) through DIR's
#                          run-suite.sh WHERE (--host, or --loaded in the
#                          guest) and counts the output with its
#                          results.awk, as make check does: prints the run,
#                          then "N passed, N failed, N skipped" last

doc_block() {
	local block

	block=$(awk -v key="<!-- recipe: $2 " '
		index($0, key) == 1 { found = 1; next }
		found == 1 && /^```/ { found = 2; next }
		found == 2 && /^```/ { exit }
		found == 2 { print }' "$TOP/$1")
	[ -n "$block" ] || { echo "$1: no block marked '<!-- recipe: $2 -->'" >&2; return 1; }
	printf '%s\n' "$block"
}

doc_break() {
	local line

	line=$(awk -v key="<!-- recipe: $2 " '
		index($0, key) == 1 { found = 1 }
		found && /^To see it fail, expect `/ { print; exit }' "$TOP/$1")
	[ -n "$line" ] ||
		{ echo "$1: no 'To see it fail' sentence after the block '$2'" >&2; return 1; }
	# To see it fail, expect `NEW` instead of `OLD` in `WHERE`.
	printf '%s\n' "$line" |
		sed -n 's/^To see it fail, expect `\([^`]*\)` instead of `\([^`]*\)` in `\([^`]*\)`.*/\3|\2|\1/p'
}

run_block() {
	doc_block "$1" "$2" >"$_tap_tmp/block.sh" || exit 1
	run2 in_scratch "$3" bash -e "$_tap_tmp/block.sh"
	[ "$status" -eq 0 ] || log "$out"
}

apply_break() {
	local file=$1 where old new

	IFS='|' read -r where old new <<<"$2"
	[ -n "$where" ] && [ -n "$old" ] ||
		{ echo "the break '$2' does not say WHERE|OLD|NEW" >&2; return 1; }
	cp "$file" "$file.orig"
	WHERE=$where OLD=$old NEW=$new awk '
		index($0, ENVIRON["WHERE"]) && (i = index($0, ENVIRON["OLD"])) {
			$0 = substr($0, 1, i - 1) ENVIRON["NEW"] \
			     substr($0, i + length(ENVIRON["OLD"]))
		}
		{ print }' "$file.orig" >"$file"
	if cmp -s "$file" "$file.orig"; then
		echo "$file: no line with '$where' holds '$old': the break changed nothing" >&2
		return 1
	fi
	rm -f "$file.orig"
}

scratch_tree() {
	local f

	mkdir -p "$1" || return
	# cp, not tar: in the 5.10 guest, tar's reads of a file on the 9p root
	# end after its first 4 KiB ("File shrank ... padding with zeros")
	for f in "$TOP"/* "$TOP"/.[!.]*; do
		case ${f##*/} in .git | build) continue ;; esac
		[ ! -e "$f" ] || cp -a "$f" "$1/" || return
	done
}

seed_build() {
	local part

	mkdir -p "$1/build"
	for part in linux-source user host tests; do
		[ ! -e "$BUILD/$part" ] || cp -as "$BUILD/$part" "$1/build/"
	done
}

in_scratch() {
	local dir=$1

	shift
	(cd "$dir" && env -u MMIO_SHM_TOP -u MMIO_SHM_BUILD -u MMIO_SHM_KO \
		-u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$@")
}

KSELFTEST=tests/selftests/hello_test.c

# the recipe's file, as it is or broken, into FILE
_kselftest_file() {
	local brk

	doc_block tests/README.md "$KSELFTEST" >"$1" || return 1
	[ "$2" = broken ] || return 0
	brk=$(doc_break tests/README.md "$KSELFTEST") && apply_break "$1" "$brk"
}

kselftest_tree() {
	rm -rf "$1"
	scratch_tree "$1" && seed_build "$1" || exit 1
	_kselftest_file "$1/$KSELFTEST" "$2" || exit 1
	run_block tests/README.md build-tests "$1"
	assert_eq 0 "$status" "the build of the tests ($2)"
	assert_true test -x "$1/build/tests/hello_test"
	run in_scratch "$1" make -s -C tests list-guest
	expect_contains "$1/build/tests/hello_test" "$out" "make check's guest list ($2)"
}

kselftest_built() {
	_kselftest_file "$_tap_tmp/kselftest.c" "$2" 2>/dev/null &&
		cmp -s "$_tap_tmp/kselftest.c" "$1/$KSELFTEST" &&
		[ -x "$1/build/tests/hello_test" ] &&
		[ ! "$1/$KSELFTEST" -nt "$1/build/tests/hello_test" ]
}

counted() {
	local dir=$1 where=$2 log

	shift 2
	log=$(mktemp "${TMPDIR:-/tmp}/counted.XXXXXX")
	in_scratch "$dir" tests/runner/run-suite.sh "$where" "$@" >"$log"
	cat "$log"
	awk -f "$dir/tests/runner/results.awk" "$log" 2>&1 | tail -n 1
	rm -f "$log"
}
