#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest's part of make bench (tests/bench/run.sh boots the guest once
# and runs this in it): load the module with a buffer large enough for the
# map benchmark, run the benchmark, fanin_bench and vivid_bench against the
# device, then load it again with huge=always for the map rows with huge
# pages. A module without the huge parameter skips those rows; nothing here
# fails for it.
#
# Usage: tests/bench/guest.sh MODULE.ko BENCH OUT.csv MAP_MIB REPS RUN_MS [PEER]
# (PEER: boost_mq_bench, Boost.Interprocess's message_queue on the guest's
# /dev/shm, after the device's rows)

set -u

KO=$1
BENCH=$2
OUT=$3
MAP_MIB=$4
REPS=$5
RUN_MS=$6
PEER=${7:-}

# the map benchmark maps the whole buffer: size = what it touches; the
# guest has 1 GiB, and the device, a memfd and anonymous memory of that
# size live at once
if ! insmod "$KO" size="${MAP_MIB}M"; then
	echo "bench[guest]: insmod $KO failed" >&2
	exit 1
fi
echo "bench[guest]: Linux $(uname -r), $(nproc) CPUs, QEMU TCG" >&2
"$BENCH" --where guest --target device=/dev/mmio_shm --reps "$REPS" \
	--run-ms "$RUN_MS" --map-size "$MAP_MIB" --stream-size 16 >"$OUT"
rc=$?
# many to one on the device: fanin_bench, next to the benchmark
FANIN=$(dirname "$BENCH")/fanin_bench
echo "bench[guest]: many to one, $FANIN" >&2
"$FANIN" --where guest --target device=/dev/mmio_shm --reps "$REPS" \
	--run-ms "$RUN_MS" >>"$OUT" || rc=1
# a camera into the buffer: vivid by dma-buf export against MMAP capture
# plus memcpy (vivid_bench; vivid loaded from MMIO_SHM_BUILD's
# guest-modules where the guest's /lib/modules lacks it)
VIVID=$(dirname "$BENCH")/vivid_bench
echo "bench[guest]: a camera into the buffer, $VIVID" >&2
MMIO_SHM_BUILD=${MMIO_SHM_BUILD:-$(dirname "$(dirname "$BENCH")")} \
	"$VIVID" --where guest --device /dev/mmio_shm --reps "$REPS" >>"$OUT" || rc=1
rmmod mmio_shm

if [ -n "$PEER" ]; then
	# its queue is a POSIX shared memory object: a file of /dev/shm
	mkdir -p /dev/shm
	grep -q ' /dev/shm ' /proc/mounts || mount -t tmpfs tmpfs /dev/shm
	echo "bench[guest]: the peer, Boost.Interprocess message_queue" >&2
	"$PEER" --where guest --reps "$REPS" --run-ms "$RUN_MS" >>"$OUT" || rc=1
fi

# the buffer as an RDMA memory region against TCP over the same link
# (tests/bench/rdma.sh): a buffer of 4 MiB, moved whole in each run
RDMA=$(dirname "$BENCH")/rdma_bench
if insmod "$KO" size=4M; then
	"$(dirname "$0")/rdma.sh" "$RDMA" "$REPS" 4096 65536 1048576 >>"$OUT" || rc=1
	rmmod mmio_shm
else
	echo "bench[guest]: insmod $KO size=4M failed" >&2
	rc=1
fi

# a module without the parameter loads all the same (the kernel ignores
# unknown parameters with a warning): its sysfs file tells
if insmod "$KO" size="${MAP_MIB}M" huge=always 2>/dev/null &&
   [ -e /sys/module/mmio_shm/parameters/huge ]; then
	echo "bench[guest]: the module again, with huge=always" >&2
	"$BENCH" --where guest --target device=/dev/mmio_shm --reps "$REPS" \
		--parts map --target-only --label device-huge \
		--map-size "$MAP_MIB" >>"$OUT" || rc=1
	rmmod mmio_shm
else
	echo "huge: not available in this module" >&2
	rmmod mmio_shm 2>/dev/null
fi
exit $rc
