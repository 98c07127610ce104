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

# shellcheck source=tests/shell/libfuzzer_cases.sh
. "$(dirname "$0")/libfuzzer_cases.sh"
fuzz_target fanin FANIN_FUZZ 10000

plan 2
run_case the_seed_corpus_replays_clean
run_case fuzzing_from_the_corpus_finds_nothing
tap_exit
