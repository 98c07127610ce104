#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: host
#
# Description: the fan-in against hostile producers, under libFuzzer
# (tests/fuzz/fanin_fuzz.c, built with clang's fuzzer, AddressSanitizer and
# UBSan): the seed corpus, which holds a header whose slots reach past the
# mapping (what a join that trusted slot_size would attach to), garbage in
# an owner word and a tail, and producers leaving and joining again,
# replays clean; then a bounded fuzzing run from that corpus finds nothing
# (no access outside the region, no undocumented error, no hang, no record
# changed or reordered while everyone is honest). make check runs
# FANIN_FUZZ_RUNS executions (10000). A crash leaves its input in
# BUILD/fuzz/fanin-artifacts/.

. "$(dirname "$0")/tap.sh"

FUZZER=$BUILD/fuzz/fanin_fuzz
SEEDS=$TOP/tests/fuzz/corpus/fanin
CORPUS=$BUILD/fuzz/fanin-corpus
ARTIFACTS=$BUILD/fuzz/fanin-artifacts
RUNS=${FANIN_FUZZ_RUNS:-10000}

setup() {
	assert_true test -x "$FUZZER"
}

the_seed_corpus_replays_clean() {
	local seeds

	seeds=$(find "$SEEDS" -type f | sort)
	assert_ne "" "$seeds" "seeds in $SEEDS"
	# shellcheck disable=SC2086
	run2 "$FUZZER" $seeds
	[ "$status" -eq 0 ] || log "$out"
	assert_eq 0 "$status" "the fuzzer's exit status on the seeds"
	expect_eq "$(echo "$seeds" | wc -l)" "$(echo "$out" | grep -c '^Executed ')" \
		"seeds executed"
}

fuzzing_from_the_corpus_finds_nothing() {
	local limit stats

	mkdir -p "$CORPUS" "$ARTIFACTS"
	cp -n "$SEEDS"/* "$CORPUS"/
	if [ -n "${FANIN_FUZZ_SECONDS:-}" ]; then
		limit="-max_total_time=$FANIN_FUZZ_SECONDS"
	else
		limit="-runs=$RUNS"
	fi
	# a fixed seed in make check, so that a run can be repeated
	run2 "$FUZZER" "$limit" -timeout=10 -seed="${FANIN_FUZZ_SEED:-1}" \
		-artifact_prefix="$ARTIFACTS/" -print_final_stats=1 "$CORPUS"
	[ "$status" -eq 0 ] || log "$(echo "$out" | tail -n 60)"
	assert_eq 0 "$status" "the fuzzer's exit status"
	# what it did, for the log: executions and coverage
	stats=$(echo "$out" | grep -E '^(Done|#[0-9]+[[:space:]]+DONE)' | tr '\n' ' ')
	log "$stats"
	expect_contains "cov:" "$out"
	if [ -z "${FANIN_FUZZ_SECONDS:-}" ]; then
		expect_contains "Done $RUNS runs" "$out"
	fi
	expect_eq "" "$(ls "$ARTIFACTS")" "crash inputs left"
}

plan 2
run_case the_seed_corpus_replays_clean
run_case fuzzing_from_the_corpus_finds_nothing
tap_exit
