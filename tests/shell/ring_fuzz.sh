#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where: host
#
# Description: the message ring against a hostile peer, under libFuzzer
# (tests/fuzz/ring_fuzz.c, built with clang's fuzzer, AddressSanitizer and
# UBSan): the seed corpus, which holds the misaligned positions that once
# made the consumer read and the producer write past the region, replays
# clean; then a bounded fuzzing run from that corpus finds nothing (no
# access outside the region, no undocumented error, no hang, no record
# changed or reordered while the peer is honest). make check runs
# RING_FUZZ_RUNS executions (20000); make fuzz runs for RING_FUZZ_SECONDS.
# A crash leaves its input in BUILD/fuzz/ring-artifacts/.

. "$(dirname "$0")/tap.sh"

# shellcheck source=tests/shell/libfuzzer_cases.sh
. "$(dirname "$0")/libfuzzer_cases.sh"
fuzz_target ring RING_FUZZ 20000

plan 2
run_case the_seed_corpus_replays_clean
run_case fuzzing_from_the_corpus_finds_nothing
tap_exit
