# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced, after tap.sh, by the shell tests that run a libFuzzer target of
# tests/fuzz/ (ring_fuzz.sh, fanin_fuzz.sh): the two cases they share.
#
#   fuzz_target NAME VAR RUNS   the target BUILD/fuzz/NAME_fuzz, its seeds
#                               tests/fuzz/corpus/NAME/, its working corpus
#                               and crash inputs in BUILD/fuzz/NAME-corpus/
#                               and NAME-artifacts/; VAR_RUNS (default RUNS)
#                               executions, VAR_SECONDS instead a time,
#                               VAR_SEED the seed (default 1)
#
# Cases: the_seed_corpus_replays_clean, fuzzing_from_the_corpus_finds_nothing.

fuzz_target() {
	local runs=${2}_RUNS secs=${2}_SECONDS seed=${2}_SEED

	FUZZER=$BUILD/fuzz/$1_fuzz
	SEEDS=$TOP/tests/fuzz/corpus/$1
	CORPUS=$BUILD/fuzz/$1-corpus
	ARTIFACTS=$BUILD/fuzz/$1-artifacts
	RUNS=${!runs:-$3}
	FUZZ_SECONDS=${!secs:-}
	FUZZ_SEED=${!seed:-1}
}

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
	if [ -n "$FUZZ_SECONDS" ]; then
		limit="-max_total_time=$FUZZ_SECONDS"
	else
		limit="-runs=$RUNS"
	fi
	# a fixed seed in make check, so that a run can be repeated
	run2 "$FUZZER" "$limit" -timeout=10 -seed="$FUZZ_SEED" \
		-artifact_prefix="$ARTIFACTS/" -print_final_stats=1 "$CORPUS"
	[ "$status" -eq 0 ] || log "$(echo "$out" | tail -n 60)"
	assert_eq 0 "$status" "the fuzzer's exit status"
	# what it did, for the log: executions and coverage
	stats=$(echo "$out" | grep -E '^(Done|#[0-9]+[[:space:]]+DONE)' | tr '\n' ' ')
	log "$stats"
	expect_contains "cov:" "$out"
	if [ -z "$FUZZ_SECONDS" ]; then
		expect_contains "Done $RUNS runs" "$out"
	fi
	expect_eq "" "$(ls "$ARTIFACTS")" "crash inputs left"
}
