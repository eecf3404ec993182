# Sourced by the launchers (bin/_run.sh, bin/kafka-server-start.sh, scripts/bench.sh): glibc's
# malloc puts its memory on transparent huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1) unless
# the caller set that tunable already (glibc.malloc.hugetlb=0 turns it off). Node allocates
# Buffers with malloc: the broker's request frames, the producer's batches. A producer writing
# keyed records over 512 partitions adds each record to another of 512 open batches, the broker
# appends to as many logs, and on 4 KiB pages these processes spend much of their time on TLB
# misses (a miss costs a two-level page walk in a virtual machine). Measured on the 2-core machine
# of issue 11: the producer's CPU for 2 M keyed records 2.32-2.52 s -> 2.08-2.20 s, a broker taking
# them 0.93-0.98 -> 1.06-1.20 M records/s, its RSS unchanged (235 -> 239 MB). Needs glibc >= 2.35
# and THP "madvise" or "always" (/sys/kernel/mm/transparent_hugepage/enabled); elsewhere the
# variable is ignored.
case ":${GLIBC_TUNABLES:-}:" in
  *:glibc.malloc.hugetlb=*) ;;
  *) export GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.malloc.hugetlb=1" ;;
esac
