#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench's report: reads OUT/results.csv (tests/bench/run.sh merged the
host's and the guest's rows into it) and writes OUT/results.md (the tables,
ratios within each place, the goal checks) and the data files
tests/bench/plot.gp draws OUT/results.png from.

Usage: report.py OUT_DIR HOST_DESCRIPTION GUEST_DESCRIPTION
"""
import csv
import math
import sys

PLACES = ("host", "guest")
KIB, MIB = 1 << 10, 1 << 20


def size_name(n):
    if n >= MIB and n % MIB == 0:
        return "%d MiB" % (n // MIB)
    if n >= KIB and n % KIB == 0:
        return "%d KiB" % (n // KIB)
    return "%d B" % n


def num(x):
    """a figure with 3 significant digits, no exponent"""
    if x is None:
        return "-"
    if x >= 1e6:
        return "%.3gM" % (x / 1e6)
    if x >= 100:
        return "%.0f" % x
    return "%.3g" % x


class Results:
    def __init__(self, path):
        self.rows = {}
        self.order = []
        with open(path) as f:
            for r in csv.DictReader(f):
                key = (r["where"], r["benchmark"], r["variant"], int(r["size"]), r["unit"])
                self.rows[key] = r
                rest = key[1:]
                if rest not in self.order:
                    self.order.append(rest)

    def get(self, where, bench, variant, size, unit, field="median"):
        r = self.rows.get((where, bench, variant, size, unit))
        return float(r[field]) if r else None

    def cell(self, where, bench, variant, size, unit):
        """median [min-max], the spread in relative terms"""
        med = self.get(where, bench, variant, size, unit)
        if med is None:
            return "-"
        lo = self.get(where, bench, variant, size, unit, "min")
        hi = self.get(where, bench, variant, size, unit, "max")
        spread = (hi - lo) / med * 100 if med else 0
        return "%s ±%.0f%%" % (num(med), spread / 2)

    def spread(self, where, bench, variant, size, unit):
        """half the spread (max - min) of a figure, in percent of its median"""
        med = self.get(where, bench, variant, size, unit)
        if not med:
            return 0
        return (self.get(where, bench, variant, size, unit, "max") -
                self.get(where, bench, variant, size, unit, "min")) / med * 50

    def keys(self, bench, unit=None):
        return [k for k in self.order if k[0] == bench and (unit is None or k[3] == unit)]


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    return "-" if r is None else "%.2f" % r


def table(res, bench, unit, ref_of, ref_label, note_unit):
    """one benchmark: a row per variant and size, host and guest side by
    side, each with its ratio to the reference variant of its own place"""
    lines = ["| variant | size | host %s | guest %s | host %s | guest %s |"
             % (note_unit, note_unit, ref_label, ref_label),
             "|---|---|---:|---:|---:|---:|"]
    for _, variant, size, u in res.keys(bench, unit):
        ref = ref_of(variant)
        cells = [res.cell(w, bench, variant, size, u) for w in PLACES]
        ratios = [fmt_ratio(ratio(res.get(w, bench, variant, size, u),
                                  res.get(w, bench, ref, size, u))) if ref else "-"
                  for w in PLACES]
        lines.append("| %s | %s | %s | %s | %s | %s |"
                     % (variant, size_name(size), cells[0], cells[1], ratios[0], ratios[1]))
    return "\n".join(lines)


def goals(res):
    """(goal, where, measured ratio, target, 'ge'|'le', spread of its inputs)"""
    out = []
    spreads = []

    def ratio(a, b):
        """the module's ratio of two (where, bench, variant, size, unit) keys"""
        spreads.append((max(res.spread(*a), res.spread(*b)),
                        any(k[0] == "guest" and k[4] == "ns" and (res.get(*k) or 0) >= 1e6
                            for k in (a, b))))
        return globals()["ratio"](res.get(*a), res.get(*b))
    for w in PLACES:
        for cpus in ("1cpu", "2cpu"):
            on = " (%s CPU%s)" % (cpus[0], "s" if cpus[0] != "1" else "")
            ring64k = (w, "throughput", "ring/" + cpus, 64 * KIB, "MB/s")
            out.append(("ring 64 KiB >= 70% of memcpy 64 KiB (MB/s)" + on, w,
                        ratio(ring64k, (w, "throughput", "memcpy", 64 * KIB, "MB/s")),
                        0.70, "ge"))
            out.append(("ring 64 KiB >= 5x pipe (MB/s)" + on, w,
                        ratio(ring64k, (w, "throughput", "pipe/" + cpus, 64 * KIB, "MB/s")),
                        5, "ge"))
            out.append(("ring 64 B >= 10x pipe (msgs/s)" + on, w,
                        ratio((w, "throughput", "ring/" + cpus, 64, "msgs/s"),
                              (w, "throughput", "pipe/" + cpus, 64, "msgs/s")), 10, "ge"))
        out.append(("spinning on the ring <= 2x spinning on a bare word (one-way ns, 2 CPUs)", w,
                    ratio((w, "pingpong", "spin-ring/2cpu", 4, "ns"),
                          (w, "pingpong", "spin-word/2cpu", 4, "ns")), 2, "le"))
    # issue 20's targets against the peer, on the host: send/recv for the
    # small messages (every caller's path), zero-copy for the large
    host = "host"
    ring64 = (host, "throughput", "ring/2cpu", 64, "msgs/s")
    out.append(("ring 64 B >= 3x Boost message_queue (msgs/s, 2 CPUs)", host,
                ratio(ring64, (host, "throughput", "boost-mq/2cpu", 64, "msgs/s")), 3, "ge"))
    spreads.append((res.spread(*ring64), False))
    out.append(("ring 64 B >= 15 M msgs/s (M msgs/s, 2 CPUs)", host,
                None if res.get(*ring64) is None else res.get(*ring64) / 1e6, 15, "ge"))
    out.append(("ring 64 B >= 2.5x Boost message_queue (msgs/s, 1 CPU)", host,
                ratio((host, "throughput", "ring/1cpu", 64, "msgs/s"),
                      (host, "throughput", "boost-mq/1cpu", 64, "msgs/s")), 2.5, "ge"))
    out.append(("ring zero-copy 64 KiB >= 0.9 of memcpy (MB/s, 2 CPUs)", host,
                ratio((host, "throughput", "ring-zc/2cpu", 64 * KIB, "MB/s"),
                      (host, "throughput", "memcpy", 64 * KIB, "MB/s")), 0.9, "ge"))
    # many to one: the fan-in with 4 producers against message_queue with 4
    # senders (tests/bench/fanin_bench.c, boost_mq_bench.cpp)
    out.append(("fan-in 64 B, 4 producers >= 3x Boost message_queue, 4 senders (msgs/s)",
                host, ratio((host, "fanin", "fanin/4p", 64, "msgs/s"),
                            (host, "fanin", "boost-mq/fanin-4p", 64, "msgs/s")), 3, "ge"))
    for cpus in ("1cpu", "2cpu"):
        out.append(("doorbell wake-up <= 1.5x eventfd (one-way ns, %s CPU%s)"
                    % (cpus[0], "s" if cpus[0] != "1" else ""), "guest",
                    ratio(("guest", "pingpong", "doorbell/" + cpus, 4, "ns"),
                          ("guest", "pingpong", "eventfd/" + cpus, 4, "ns")), 1.5, "le"))
    size = next((k[2] for k in res.keys("map") if k[1].startswith("device/")), 0)
    for touch in ("read", "write", "read+populate", "write+populate"):
        out.append(("map+touch (%s) device <= 1.1x memfd, 4 KiB pages" % touch, "guest",
                    ratio(("guest", "map", "device/" + touch, size, "ns/page"),
                          ("guest", "map", "memfd/" + touch, size, "ns/page")), 1.1, "le"))
    for touch in ("write", "read"):
        out.append(("map+touch (%s) device with huge pages >= 10x faster than 4 KiB" % touch,
                    "guest", ratio(("guest", "map", "device/" + touch, size, "ns/page"),
                                   ("guest", "map", "device-huge/" + touch, size, "ns/page")),
                    10, "ge"))
    return [o + (sp,) for o, sp in zip(out, spreads)]


def peer_table(res, where):
    """the ring next to its peer, Boost.Interprocess's message_queue, as
    issue 20 laid it out: a row per size and placement; messages a second
    below 4 KiB, MB/s from there on"""
    cols = ("ring", "ring-zc", "boost-mq", "pipe", "memcpy", "memcpy-ring")
    lines = ["| size | placement | ring send/recv | ring reserve/commit + peek/release "
             "| Boost message_queue | pipe | memcpy | memcpy through the ring's data area "
             "| ring / Boost | zero-copy / Boost | zero-copy / memcpy |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    sizes = sorted({k[2] for k in res.keys("throughput", "MB/s")})
    for size in sizes:
        unit = "msgs/s" if size < 4 * KIB else "MB/s"
        for cpus in ("1cpu", "2cpu"):
            vals = [res.get(where, "throughput",
                            c if c.startswith("memcpy") else c + "/" + cpus,
                            size, unit) for c in cols]
            if all(v is None for v in vals):
                continue
            cells = [num(v) + (" msg/s" if unit == "msgs/s" else " MB/s")
                     if v is not None else "-" for v in vals]
            lines.append("| %s | %s | %s | %s | %s | %s |" % (
                size_name(size), cpus[0] + (" CPU" if cpus[0] == "1" else " CPUs"),
                " | ".join(cells), fmt_ratio(ratio(vals[0], vals[2])),
                fmt_ratio(ratio(vals[1], vals[2])), fmt_ratio(ratio(vals[1], vals[4]))))
    if len(lines) == 2:
        return "not measured"
    return "\n".join(lines)


def fanin_table(res, where):
    """many to one: the fan-in, the compare-and-swap ring it was chosen
    over, and message_queue, with 1, 2 and 4 producers"""
    lines = ["| producers | fan-in | one ring, CAS on tail | Boost message_queue "
             "| fan-in / Boost | fan-in CPU ns/msg | CAS ring CPU ns/msg "
             "| Boost CPU ns/msg |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in (1, 2, 4):
        cols = ("fanin/%dp" % n, "mpsc-cas/%dp" % n, "boost-mq/fanin-%dp" % n)
        rate = [res.get(where, "fanin", c, 64, "msgs/s") for c in cols]
        cpu = [res.get(where, "fanin", c, 64, "cpu-ns/msg") for c in cols]
        if all(v is None for v in rate):
            continue
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s |" % (
            n, *[res.cell(where, "fanin", c, 64, "msgs/s") for c in cols],
            fmt_ratio(ratio(rate[0], rate[2])),
            *[num(v) if v is not None else "-" for v in cpu]))
    if len(lines) == 2:
        return "not measured"
    return "\n".join(lines)


def vivid_table(res, where):
    """a camera into the buffer: vivid capturing into exported ranges
    (dmabuf) against MMAP capture plus memcpy, and their ratios"""
    lines = ["| frame | dma-buf frames/s | MMAP + memcpy frames/s | frames/s ratio "
             "| dma-buf CPU ns/frame | MMAP + memcpy CPU ns/frame | CPU ratio |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for size in sorted({k[2] for k in res.keys("vivid")}):
        fps = [res.get(where, "vivid", v, size, "frames/s")
               for v in ("dmabuf", "mmap+memcpy")]
        cpu = [res.get(where, "vivid", v, size, "cpu-ns/frame")
               for v in ("dmabuf", "mmap+memcpy")]
        if all(v is None for v in fps + cpu):
            continue
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            size_name(size),
            *[res.cell(where, "vivid", v, size, "frames/s") for v in ("dmabuf", "mmap+memcpy")],
            fmt_ratio(ratio(fps[0], fps[1])),
            *[res.cell(where, "vivid", v, size, "cpu-ns/frame")
              for v in ("dmabuf", "mmap+memcpy")],
            fmt_ratio(ratio(cpu[0], cpu[1]))))
    if len(lines) == 2:
        return "not measured"
    return "\n".join(lines)


def rdma_table(res, where):
    """the buffer as an RDMA memory region against a TCP stream of the
    same bytes over the same link: a row per message size, MB/s and the
    ratios to TCP of the same run"""
    lines = ["| message size | RDMA WRITE | RDMA READ | TCP | WRITE / TCP | READ / TCP |",
             "|---:|---:|---:|---:|---:|---:|"]
    for size in sorted({k[2] for k in res.keys("rdma", "MB/s")}):
        rate = [res.get(where, "rdma", v, size, "MB/s")
                for v in ("rdma-write", "rdma-read", "tcp")]
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            size_name(size),
            *[res.cell(where, "rdma", v, size, "MB/s")
              for v in ("rdma-write", "rdma-read", "tcp")],
            fmt_ratio(ratio(rate[0], rate[2])), fmt_ratio(ratio(rate[1], rate[2]))))
    if len(lines) == 2:
        return "not measured"
    return "\n".join(lines)


def verdict(r, target, how):
    if r is None:
        return "not measured"
    if how == "ge":
        return "met" if r >= target else "missed by %.0f%%" % ((1 - r / target) * 100)
    return "met" if r <= target else "missed by %.0f%%" % ((r / target - 1) * 100)


def write_plot_data(res, out):
    """whitespace-separated files for plot.gp; '-' is a missing figure"""
    def v(x):
        return "-" if x is None else "%.6g" % x

    xfer = ("ring/1cpu", "ring/2cpu", "pipe/2cpu", "unix/2cpu", "memcpy", "boost-mq/2cpu",
            "ring-zc/2cpu")
    with open(out + "/throughput.dat", "w") as f:
        f.write("# size " + " ".join("%s_%s" % (w, x) for w in PLACES for x in xfer) + "\n")
        for size in sorted({k[2] for k in res.keys("throughput", "MB/s")}):
            f.write("%d %s\n" % (size, " ".join(v(res.get(w, "throughput", x, size, "MB/s"))
                                                 for w in PLACES for x in xfer)))
    for bench, unit, name in (("pingpong", "ns", "pingpong"), ("map", "ns/page", "map"),
                              ("stream", "MB/s", "stream")):
        with open("%s/%s.dat" % (out, name), "w") as f:
            f.write("# variant host guest\n")
            seen = []
            for _, variant, size, u in res.keys(bench, unit):
                # the write touches only: all four would crowd the panel
                if bench == "map" and "/write" not in variant:
                    continue
                label = variant if bench != "stream" else "%s %s" % (variant, size_name(size))
                if (variant, size) in seen:
                    continue
                seen.append((variant, size))
                f.write("\"%s\" %s\n" % (label, " ".join(
                    v(res.get(w, bench, variant, size, u)) for w in PLACES)))


def main():
    out, host_desc, guest_desc = sys.argv[1], sys.argv[2], sys.argv[3]
    res = Results(out + "/results.csv")
    md = ["# mmio_shm benchmarks", "",
          "- **host**: %s; the target is a memfd, through libmmio_shm" % host_desc,
          "- **guest**: %s; the target is /dev/mmio_shm, through libmmio_shm" % guest_desc,
          "",
          "Each figure: the median of its runs, ± half the spread (max - min) in percent "
          "of the median. Ratios only within one place: absolute guest figures mean little "
          "under TCG.", "",
          "## Goals", "",
          "Spread: the larger ± of the two figures a ratio divides (noisy: their runs "
          "spread by more than ±25%, so the verdict may change from run to run).", "",
          "| goal | where | measured | target | result | spread |",
          "|---|---|---:|---:|---|---:|"]
    for goal, where, r, target, how, (sp, tick) in goals(res):
        note = " noisy" if sp > 25 else ""
        # a guest latency of a millisecond or more is a vCPU waiting for
        # the host to run it (a guest timer tick is 4 ms), not the primitive
        note += "; >= 1 ms: a vCPU waited for the host" if tick else ""
        md.append("| %s | %s | %s | %s%s | %s | %s |"
                  % (goal, where, fmt_ratio(r), ">= " if how == "ge" else "<= ",
                     target, verdict(r, target, how),
                     "-" if r is None else "±%.0f%%%s" % (sp, note)))

    def map_ref(variant):
        return "memfd/" + variant.split("/", 1)[1]

    def pipe_ref(variant):
        return "pipe/" + variant.split("/", 1)[1] if "/" in variant else None

    def stream_ref(variant):
        return "tmpfs/" + variant.split("/", 1)[1]

    md += ["", "## Map plus first touch (ns per 4 KiB page, lower is better)", "",
           "memfd: its pages are in already, as the device's; memfd-new: a new memfd, "
           "each touch allocates a page; anon: private anonymous memory.", "",
           table(res, "map", "ns/page", map_ref, "/ memfd", "ns/page"),
           "", "## read()/write() streaming (MB/s, higher is better)", "",
           table(res, "stream", "MB/s", stream_ref, "/ tmpfs", "MB/s"),
           "", "## Cross-process throughput (higher is better)", "",
           "memcpy: one thread copying messages of the size into an area as large as the "
           "ring's data area, the ceiling of one copy per byte.", "",
           "1cpu: producer and consumer pinned to one CPU; 2cpu: to two.", "",
           "### The ring and its peer, Boost.Interprocess message_queue", "",
           "ring-zc: mmio_shm_ring_reserve()/_commit(), the record filled in place "
           "from a source, and _peek()/_release(), its first word read in place; "
           "boost-mq: a message_queue holding as many messages of the size as fit in "
           "the ring's data area (tests/bench/boost_mq_bench.cpp); memcpy through the "
           "ring's data area: the ceiling's copy into the ring's own memory (the target: "
           "a memfd on the host, the device in the guest) rather than private anonymous "
           "memory. Ratios within one run of one place.", "",
           "**host**", "", peer_table(res, "host"), "",
           "**guest** (TCG: the ratios only)", "", peer_table(res, "guest"), "",
           "### Many to one (64 B messages)", "",
           "The consumer on CPU 0, the producers on CPU 1 (tests/bench/fanin_bench.c): "
           "the fan-in (one ring per producer, a shared wake word), one ring of "
           "64-byte cells claimed with a compare-and-swap on its tail (the design not "
           "taken: no sleeping, no checks), and a message_queue with as many senders. "
           "CPU ns/msg: the CPU time of all the processes per message, what a loaded "
           "machine changes least.", "",
           "**host**", "", fanin_table(res, "host"), "",
           "**guest** (TCG: the ratios only)", "", fanin_table(res, "guest"), "",
           "### Every variant against a pipe", "",
           table(res, "throughput", "MB/s", pipe_ref, "/ pipe", "MB/s"), "",
           table(res, "throughput", "msgs/s", pipe_ref, "/ pipe", "msgs/s"),
           "", "## A camera into the buffer (vivid, in the guest)", "",
           "vivid, the kernel's virtual video driver, captures YUYV frames with "
           "V4L2_MEMORY_DMABUF into 3 ranges of the buffer exported as dma-bufs "
           "(its thread writes into the buffer's pages), against V4L2_MEMORY_MMAP "
           "capture into its own buffers plus a memcpy of each frame into the buffer, "
           "what users do without the export (tests/bench/vivid_bench.c). CPU: this "
           "process's and vivid's capture thread's, per frame. frames/s is bounded "
           "by the rate vivid draws at; ratios: dma-buf / MMAP + memcpy, in one run.", "",
           vivid_table(res, "guest"), "",
           "## Beyond one host: RDMA into the buffer against TCP (MB/s, higher is better)", "",
           "Soft-RoCE in the guest: rxe1 on veth1 owns the buffer (4 MiB, registered with "
           "ibv_reg_mr on its mapping), rxe0 on veth0 writes and reads it one-sided, and "
           "TCP sends the same bytes from veth0's address to veth1's, received into the "
           "buffer's mapping: one link, the veth pair (tests/bench/rdma_bench.c, "
           "tests/bench/rdma.sh). Each run moves the whole buffer, in messages of the "
           "size, 8 in flight. Under TCG both sides are emulated CPUs: the ratios, not "
           "the MB/s, are the result; a NIC that does RDMA in hardware takes the CPU "
           "out of the RDMA side altogether.", "",
           "**guest** (TCG: the ratios only)", "", rdma_table(res, "guest"), "",
           "", "## One-way ping-pong latency (ns, lower is better)", "",
           "1cpu: both sides pinned to one CPU (a wake-up is a context switch); 2cpu: "
           "to two (a wake-up of a sleeping side is an IPI to an idle CPU).", "",
           table(res, "pingpong", "ns", lambda v: "eventfd/" + v.split("/", 1)[1],
                 "/ eventfd", "ns"), ""]
    with open(out + "/results.md", "w") as f:
        f.write("\n".join(md))
    write_plot_data(res, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
