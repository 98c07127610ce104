#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: host
#
# Description: the tiers a guest test runs in. tests/Makefile's list-guest
# TIER=check|matrix|debug lists a shell test whose "# Tiers:" line names
# that tier, and one without such a line in every tier; the words of its
# reason, in parentheses, are not tiers (a reason that mentions the debug
# kernel does not put the test in the debug tier). A line naming a tier
# that does not exist stops make with the name, rather than leaving the
# test out of every tier. list-debug names the runs make check-debug adds
# after the suite: stress, stress-ng, the fuzzer, trinity, the fail-nth
# sweep, and kmemleak last.

. "$(dirname "$0")/tap.sh"

TIERS="check matrix debug"

# the tests/ tree copied with one more guest test, NAME.sh, whose header
# holds LINE; prints the copy's path
scratch_tests() {
	local dir

	dir=$(mktemp -d "$_tap_tmp/tests.XXXXXX") || return 1
	cp -r "$TOP/tests/Makefile" "$TOP/tests/shell" "$dir/" &&
		for mk in "$TOP"/tests/*/build.mk; do
			mkdir -p "$dir/$(basename "$(dirname "$mk")")" &&
				cp "$mk" "$dir/$(basename "$(dirname "$mk")")/"
		done &&
		printf '#!/bin/bash\n# Where: guest\n%s\n' "$2" >"$dir/shell/$1.sh" &&
		echo "$dir"
}

# is shell/NAME.sh in list-guest TIER of the tests tree DIR?
listed() {
	make -s -C "$1" BUILD="$BUILD" TIER="$3" list-guest | tr ' ' '\n' |
		grep -qx "$1/shell/$2.sh"
}

not_listed() {
	! listed "$@"
}

each_test_runs_in_the_tiers_its_line_names() {
	local t name tiers tier n=0

	for t in "$TOP"/tests/shell/*.sh; do
		grep -q '^# Where: guest' "$t" || continue
		name=$(basename "$t")
		tiers=$(sed -n 's/^# Tiers: *\([a-z ]*\).*/\1/p' "$t")
		for tier in $TIERS; do
			run make -s -C "$TOP/tests" BUILD="$BUILD" TIER="$tier" list-guest
			assert_eq 0 "$status" "list-guest TIER=$tier"
			if [ -z "$tiers" ] || [[ " $tiers " == *" $tier "* ]]; then
				expect_contains "/shell/$name" "$out" "$name in the $tier tier"
			elif [[ "$out" == *"/shell/$name"* ]]; then
				fail "$name is in the $tier tier, which its line ('$tiers') leaves out"
			fi
		done
		[ -z "$tiers" ] || n=$((n + 1))
	done
	# the lines this checks: without any, it would check nothing
	[ "$n" -gt 0 ] || fail "no guest test has a '# Tiers:' line"
}

a_reason_naming_a_tier_does_not_add_it() {
	local dir

	dir=$(scratch_tests probe '# Tiers: check (not under the debug kernel, nor the matrix)')
	assert_ne "" "$dir" "the scratch tests tree"
	assert_true listed "$dir" probe check
	expect_true not_listed "$dir" probe debug
	expect_true not_listed "$dir" probe matrix
}

a_test_without_a_line_runs_everywhere() {
	local dir tier

	dir=$(scratch_tests probe '#')
	assert_ne "" "$dir" "the scratch tests tree"
	for tier in $TIERS; do
		expect_true listed "$dir" probe "$tier"
	done
}

an_unknown_tier_stops_make() {
	local dir

	dir=$(scratch_tests probe '# Tiers: check debgu')
	assert_ne "" "$dir" "the scratch tests tree"
	run2 make -s -C "$dir" BUILD="$BUILD" TIER=check list-guest
	assert_ne 0 "$status" "make's status"
	expect_contains "unknown tier: debgu" "$out"
}

the_debug_tier_lists_its_runs() {
	run make -s -C "$TOP/tests" BUILD="$BUILD" list-debug
	assert_eq 0 "$status" "list-debug"
	expect_eq "stress/run.sh stress/stress-ng.sh fuzz/run.sh fuzz/trinity.sh faultinject/sweep.sh shell/kmemleak.sh" \
		"$(echo $out | sed "s|$TOP/tests/||g")" "list-debug, in its order"
}

plan 5
run_case each_test_runs_in_the_tiers_its_line_names
run_case a_reason_naming_a_tier_does_not_add_it
run_case a_test_without_a_line_runs_everywhere
run_case an_unknown_tier_stops_make
run_case the_debug_tier_lists_its_runs
tap_exit
