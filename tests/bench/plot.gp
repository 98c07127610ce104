# SPDX-License-Identifier: GPL-2.0
#
# make bench's plot: results.png from the data files tests/bench/report.py
# writes next to it (run from that directory). Host figures solid, guest
# (QEMU TCG) figures dashed or hatched: compare within one place only.

set terminal pngcairo size 1400,1000 font ",10" noenhanced
set output "results.png"
set datafile missing "-"
set key top left font ",8"
set grid ytics
set multiplot layout 2,2 title "mmio_shm benchmarks: host native (solid) vs QEMU TCG guest (dashed, hatched)"

# throughput: MB/s against the message size
set title "Cross-process throughput (MB/s, higher is better)"
set logscale xy
set xlabel "message size (bytes)"
set ylabel "MB/s"
set format x "%.0s%cB"
plot "throughput.dat" using 1:2 with linespoints lw 2 lc 1 dt 3 title "ring, 1 CPU (host)", \
     "" using 1:3 with linespoints lw 2 lc 1 title "ring, 2 CPUs (host)", \
     "" using 1:4 with linespoints lw 2 lc 2 title "pipe, 2 CPUs (host)", \
     "" using 1:5 with linespoints lw 2 lc 3 title "unix, 2 CPUs (host)", \
     "" using 1:6 with linespoints lw 2 lc 4 title "memcpy (host)", \
     "" using 1:7 with linespoints lw 2 lc 5 title "Boost message_queue, 2 CPUs (host)", \
     "" using 1:8 with linespoints lw 2 lc 6 title "ring zero-copy, 2 CPUs (host)", \
     "" using 1:9 with points pt 6 lc 1 title "ring, 1 CPU (guest)", \
     "" using 1:10 with linespoints lw 2 dt 2 lc 1 title "ring, 2 CPUs (guest)", \
     "" using 1:11 with linespoints lw 2 dt 2 lc 2 title "pipe, 2 CPUs (guest)", \
     "" using 1:12 with linespoints lw 2 dt 2 lc 3 title "unix, 2 CPUs (guest)", \
     "" using 1:13 with linespoints lw 2 dt 2 lc 4 title "memcpy (guest)", \
     "" using 1:14 with linespoints lw 2 dt 2 lc 5 title "Boost message_queue, 2 CPUs (guest)", \
     "" using 1:15 with linespoints lw 2 dt 2 lc 6 title "ring zero-copy, 2 CPUs (guest)"
unset logscale x
unset format x

set style data histograms
set style histogram clustered gap 1
set boxwidth 0.9
set xtics rotate by -35 left
unset xlabel

set title "One-way ping-pong latency (ns, lower is better)"
set ylabel "ns"
set logscale y
plot "pingpong.dat" using 2:xtic(1) fs solid 0.7 lc 1 title "host", \
     "" using 3 fs pattern 4 lc 2 title "guest"

set title "Map + first write touch (ns per 4 KiB page, lower is better)"
set ylabel "ns/page"
plot "map.dat" using 2:xtic(1) fs solid 0.7 lc 1 title "host", \
     "" using 3 fs pattern 4 lc 2 title "guest"

set title "read()/write() streaming (MB/s, higher is better)"
set ylabel "MB/s"
plot "stream.dat" using 2:xtic(1) fs solid 0.7 lc 1 title "host", \
     "" using 3 fs pattern 4 lc 2 title "guest"

unset multiplot
