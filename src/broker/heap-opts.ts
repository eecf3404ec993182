/**
 * The Node options a broker runs with, as Kafka's KAFKA_HEAP_OPTS (its default there is
 * "-Xmx1G -Xms1G") and KAFKA_OPTS: the launchers (bin/kafka-server-start.sh, scripts/cluster.sh
 * through scripts/lib/common.sh, docker/broker-entrypoint.sh) and the processes the tests and
 * benchmarks start (brokerNodeArgs) all pass them to node.
 *
 * The default, an initial old generation of 128 MB (like -Xms), is there because of how V8 sizes
 * a small heap. A broker's live heap is 10-20 MB, but it allocates fast: young objects, and 64 KiB
 * socket reads and 1 MB request frames held across awaits. After each full collection V8 sets
 * the next limit a few MB above the live size, the young generation then grows back to 16 MB,
 * and as soon as the room left under the limit is smaller than the young generation V8 starts
 * the next full collection. Measured on the 2-core machine of issue 11, a follower at acks=all
 * ran 40 mark-compacts in 5 seconds (84 in 10), a broker under a full-speed producer 38 in 3
 * seconds. With 128 MB: none in either, the follower's CPU from 4.3 s to 2.4 s for 4 M records,
 * the broker's from 3.0 s to 1.8-2.2 s, and peak RSS within 10 MiB of before. The option must be
 * on node's command line: V8 sizes the heap before any JavaScript runs, and NODE_OPTIONS does not
 * accept it.
 */
export const DEFAULT_KAFKA_HEAP_OPTS = '--initial-old-space-size=128';

/** The node options for a broker process: KAFKA_HEAP_OPTS (or the default), then KAFKA_OPTS. */
export function brokerNodeArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  return `${env.KAFKA_HEAP_OPTS || DEFAULT_KAFKA_HEAP_OPTS} ${env.KAFKA_OPTS ?? ''}`.split(/\s+/).filter(Boolean);
}

/**
 * Whether glibc's malloc was asked to use transparent huge pages (GLIBC_TUNABLES
 * glibc.malloc.hugetlb=1 or 2, which bin/_malloc.sh sets for every launcher; why: there). For the
 * broker's starting log line: a broker started another way runs without.
 */
export function mallocOnHugePages(env: NodeJS.ProcessEnv = process.env): boolean {
  return /(^|:)glibc\.malloc\.hugetlb=[12](:|$)/.test(env.GLIBC_TUNABLES ?? '');
}
