# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Sourced by every script that scans the guest's kernel log for what a bug
# leaves there: tests/runner/run-suite.sh, tests/stress/lib.sh and
# tests/faultinject/sweep.sh. Extended regular expressions (grep -E).
#
# SPLAT_REPORT: the first line of a report. KASAN's and
# DEBUG_ATOMIC_SLEEP's start with "BUG:", lockdep's with "WARNING:", SLUB
# debugging's with "BUG <cache> (Tainted...)". kmemleak's own lines are no
# verdict (every scan logs the kernel's own suspects too):
# tests/shell/kmemleak.sh judges the module's.
SPLAT_REPORT='BUG:|WARNING:|kernel BUG at|BUG [^ ]+ \((Not tainted|Tainted: [^)]*)\)|Oops|general protection|possible recursive locking|circular locking|KASAN:|UBSAN:|refcount_t:|Kernel panic'
# SPLAT: any of those, or a stack dump of any kind. Fault injection dumps
# one on purpose: the sweep scans with SPLAT_REPORT.
# shellcheck disable=SC2034  # used by the scripts that source this
SPLAT="$SPLAT_REPORT|Call Trace"
# A program that empties the kernel log (the fail-nth sweep) scans what it
# empties itself, then writes "$HANDBACK NAME" to /dev/kmsg: run-suite.sh
# scans that program, and the whole run, from that line on
# shellcheck disable=SC2034  # used by the scripts that source this
HANDBACK='mmio_shm-test: log scanned by'
