#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: tests/bench/mmio_shm_bench natively on this machine against a
# memfd (everything that does not need the device), then in one boot of
# the KERNEL guest under QEMU TCG against the device (tests/bench/guest.sh),
# then one report of both, side by side, under BUILD_DIR/bench/:
#   results.csv  every figure: where,benchmark,variant,size,unit,median,min,max,reps
#   results.md   the tables, with ratios within each place and the goal checks
#   results.png  the plot (gnuplot)
# Ratios are taken only between figures of one place: a guest under TCG
# runs every instruction through QEMU's translator, so its absolute figures
# mean little.
#
# Expects what make vm-prepare builds: the module for KERNEL in
# BUILD_DIR/kmod/KERNEL, the benchmark in BUILD_DIR/bench.
#
# Usage: tests/bench/run.sh KERNEL BUILD_DIR
#        (BENCH_REPS, BENCH_GUEST_REPS, BENCH_RUN_MS, BENCH_MAP_MIB,
#        BENCH_GUEST_MAP_MIB override the sizes below)

set -u

KERNEL=${1:-6.1}
BUILD=$(realpath -m "${2:-build}")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$BUILD/bench
BENCH=$OUT/mmio_shm_bench
# the peer, Boost.Interprocess's message_queue (tests/bench/boost_mq_bench.cpp)
PEER=$OUT/boost_mq_bench
# many producers to one consumer (tests/bench/fanin_bench.c)
FANIN=$OUT/fanin_bench
KO=$BUILD/kmod/$KERNEL/mmio_shm.ko

# what fits 10 minutes on the project's 2-core machine (measured: the host
# part about a minute, the guest about five)
REPS=${BENCH_REPS:-5}
GUEST_REPS=${BENCH_GUEST_REPS:-5}
RUN_MS=${BENCH_RUN_MS:-100}
MAP_MIB=${BENCH_MAP_MIB:-64}
GUEST_MAP_MIB=${BENCH_GUEST_MAP_MIB:-64}

start=$SECONDS
stage() { printf 'bench: [%3ds] %s\n' $((SECONDS - start)) "$*"; }

# a camera's frames into the buffer (tests/bench/vivid_bench.c), in the guest
VIVID=$OUT/vivid_bench

for f in "$BENCH" "$PEER" "$FANIN" "$OUT/rdma_bench" "$VIVID" "$KO"; do
	if [ ! -e "$f" ]; then
		echo "bench: no $f: run make vm-prepare (make bench does)" >&2
		exit 1
	fi
done
command -v gnuplot >/dev/null || echo "bench: no gnuplot: no plot (tests/provision/deps.sh installs it)" >&2

mkdir -p "$OUT"
rm -f "$OUT"/host.csv "$OUT"/guest.csv "$OUT"/results.*

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
host_desc="host native: Linux $(uname -r), $(nproc) CPUs ($cpu), load $(cut -d' ' -f1-3 /proc/loadavg)"
stage "$host_desc"
stage "host: $REPS reps, ${RUN_MS} ms per throughput and ping-pong run, map ${MAP_MIB} MiB"
"$BENCH" --where host --target memfd --reps "$REPS" --run-ms "$RUN_MS" \
	--map-size "$MAP_MIB" --stream-size 64 >"$OUT/host.csv"
host_rc=$?
stage "host: many to one (fanin_bench)"
"$FANIN" --where host --target memfd --reps "$REPS" --run-ms "$RUN_MS" \
	>>"$OUT/host.csv" || host_rc=1
stage "host: the peer, Boost.Interprocess message_queue"
"$PEER" --where host --reps "$REPS" --run-ms "$RUN_MS" >>"$OUT/host.csv" || host_rc=1
stage "host: done (exit $host_rc)"

eval "$("$ROOT/tests/provision/kernels.sh" "$KERNEL" "$BUILD")"
guest_desc="QEMU TCG guest: Linux $KERNEL, 2 vCPUs, 1 GiB"
stage "guest: booting Linux $KERNEL ($VMLINUZ): $GUEST_REPS reps, map ${GUEST_MAP_MIB} MiB"
"$ROOT/tests/runner/vm.sh" "$VMLINUZ" 480 "$BUILD" \
	"$HERE/guest.sh $KO $BENCH $OUT/guest.csv $GUEST_MAP_MIB $GUEST_REPS $RUN_MS $PEER"
guest_rc=$?
stage "guest: done (exit $guest_rc)"

{
	echo "where,benchmark,variant,size,unit,median,min,max,reps"
	cat "$OUT/host.csv" "$OUT/guest.csv" 2>/dev/null
} >"$OUT/results.csv"

python3 "$HERE/report.py" "$OUT" "$host_desc" "$guest_desc" || exit 1
if command -v gnuplot >/dev/null; then
	(cd "$OUT" && gnuplot "$HERE/plot.gp") && stage "plot: $OUT/results.png"
fi
cat "$OUT/results.md"
stage "results: $OUT/results.md, results.csv, results.png; total $((SECONDS - start)) s"
[ "$host_rc" -eq 0 ] && [ "$guest_rc" -eq 0 ]
