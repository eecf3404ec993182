/**
 * The checker every fault test uses (shared/docs/reliability.md), shared by the test helpers
 * and bin/kafka-verify.sh. A producer records every acknowledged (partition, offset, value);
 * after the faults a consumer reads every partition from its start (readAll). The history is
 * then judged:
 *
 *   lost        an acknowledged record that is not in the final log at all
 *   misplaced   an acknowledged offset that holds another value (the acknowledged one is
 *               gone from that offset: a truncated and rewritten tail)
 *   reordered   per partition, in offset order, a producer's values must come in the order it
 *               sent them (its sequence numbers increase; a repeat is a duplicate, not a reorder)
 *   duplicates  a value stored more than once (a resend appended twice)
 *   phantom     a value in the log that no producer ever sent
 *   divergent   a live consumer read a value at an offset that the final log holds differently
 *               (it saw data that was not committed)
 *
 * Violations: lost, misplaced, reordered, phantom, divergent; duplicates too unless allowed.
 */
import { Cluster } from '../client/cluster.js';
import { SimpleConsumer } from '../client/simple-consumer.js';

export interface Acked {
  partition: number;
  offset: number;
  value: string;
}

export interface StoredRecord {
  offset: number;
  value: string;
}

export interface CheckResult {
  acked: number;
  lost: Acked[];
  misplaced: Acked[];
  reordered: number;
  duplicates: number;
}

/** The first checks (what test/helpers/checker.ts has always reported). */
export function check(acked: Acked[], consumed: Map<number, StoredRecord[]>): CheckResult {
  const byOffset = new Map<string, string>();
  const seen = new Map<string, number>();
  for (const [p, recs] of consumed) {
    for (const r of recs) {
      byOffset.set(`${p}:${r.offset}`, r.value);
      seen.set(r.value, (seen.get(r.value) ?? 0) + 1);
    }
  }
  const lost: Acked[] = [];
  const misplaced: Acked[] = [];
  for (const a of acked) {
    const v = byOffset.get(`${a.partition}:${a.offset}`);
    if (v === undefined) lost.push(a);
    else if (v !== a.value) misplaced.push(a);
  }
  let reordered = 0;
  const lastOffset = new Map<number, number>();
  for (const a of acked) {
    if (a.offset <= (lastOffset.get(a.partition) ?? -1)) reordered++;
    lastOffset.set(a.partition, a.offset);
  }
  let duplicates = 0;
  for (const n of seen.values()) if (n > 1) duplicates += n - 1;
  return { acked: acked.length, lost, misplaced, reordered, duplicates };
}

export interface History {
  /** Every acknowledged record, in the order the acknowledgements came. */
  acked: Acked[];
  /** Every value a producer tried to send (acknowledged, failed or never answered). */
  sent: ReadonlySet<string>;
  /** The final read of every partition from its start. */
  final: Map<number, StoredRecord[]>;
  /** Records a live consumer returned during the run (optional). */
  observed?: Acked[];
  /**
   * The producer and its sequence number of a value, for the order check: the verifiable
   * producer's values are `N` or `<prefix>.N`. Default parses that.
   */
  sequenceOf?: (value: string) => { producer: string; seq: number } | undefined;
}

export interface Verdict extends CheckResult {
  /** Records in the final log. */
  stored: number;
  /** Distinct values sent. */
  sent: number;
  duplicateValues: string[];
  reorderedAt: { partition: number; offset: number; value: string; after: string }[];
  phantom: Acked[];
  divergent: (Acked & { final: string | undefined })[];
  /** Records the live consumer returned, and of them how many were read again (at-least-once). */
  observed: number;
  observedAgain: number;
  /** Acknowledged records the live consumer never returned (information: it may have stopped early). */
  unobserved: number;
  violations: string[];
  ok: boolean;
}

export function defaultSequenceOf(value: string): { producer: string; seq: number } | undefined {
  const m = /^(?:(.*)\.)?(\d+)$/.exec(value);
  return m ? { producer: m[1] ?? '', seq: Number(m[2]) } : undefined;
}

export function verifyHistory(h: History, opts: { allowDuplicates?: boolean } = {}): Verdict {
  const base = check(h.acked, h.final);
  const seqOf = h.sequenceOf ?? defaultSequenceOf;
  const byOffset = new Map<string, string>();
  const counts = new Map<string, number>();
  let stored = 0;
  const reorderedAt: Verdict['reorderedAt'] = [];
  const phantom: Acked[] = [];
  for (const [p, recs] of [...h.final].sort((a, b) => a[0] - b[0])) {
    const lastSeq = new Map<string, { seq: number; value: string }>();
    for (const r of recs) {
      stored++;
      byOffset.set(`${p}:${r.offset}`, r.value);
      const n = (counts.get(r.value) ?? 0) + 1;
      counts.set(r.value, n);
      if (!h.sent.has(r.value)) phantom.push({ partition: p, offset: r.offset, value: r.value });
      if (n > 1) continue; // a duplicate, counted below
      const s = seqOf(r.value);
      if (!s) continue;
      const last = lastSeq.get(s.producer);
      if (last && s.seq < last.seq) reorderedAt.push({ partition: p, offset: r.offset, value: r.value, after: last.value });
      else lastSeq.set(s.producer, { seq: s.seq, value: r.value });
    }
  }
  const duplicateValues = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
  const divergent: Verdict['divergent'] = [];
  let observedAgain = 0;
  const observedValues = new Set<string>();
  for (const o of h.observed ?? []) {
    const f = byOffset.get(`${o.partition}:${o.offset}`);
    if (f !== o.value) divergent.push({ ...o, final: f });
    if (observedValues.has(`${o.partition}:${o.offset}`)) observedAgain++;
    observedValues.add(`${o.partition}:${o.offset}`);
  }
  const unobserved = h.observed ? h.acked.filter((a) => !observedValues.has(`${a.partition}:${a.offset}`)).length : 0;
  const violations: string[] = [];
  if (base.lost.length) violations.push(`${base.lost.length} acknowledged record(s) lost`);
  if (base.misplaced.length) violations.push(`${base.misplaced.length} acknowledged offset(s) now hold another value`);
  if (reorderedAt.length) violations.push(`${reorderedAt.length} record(s) out of the producer's order within a partition`);
  if (phantom.length) violations.push(`${phantom.length} record(s) in the log that were never sent`);
  if (divergent.length) violations.push(`${divergent.length} record(s) a consumer read that the final log does not hold at that offset`);
  if (base.duplicates && !opts.allowDuplicates) violations.push(`${base.duplicates} duplicate record(s)`);
  return {
    ...base,
    reordered: reorderedAt.length,
    stored,
    sent: h.sent.size,
    duplicateValues,
    reorderedAt,
    phantom,
    divergent,
    observed: h.observed?.length ?? 0,
    observedAgain,
    unobserved,
    violations,
    ok: violations.length === 0,
  };
}

/**
 * Every record of the topic up to each partition's high watermark. With `acked`, it also waits
 * (up to timeoutMs) for the high watermark to pass every acknowledged offset: an acks=1 write is
 * acknowledged before the followers copy it, so it may not be readable yet.
 */
export async function readAll(bootstrap: string, topic: string, partitions: number, timeoutMs = 30_000, acked?: Acked[]): Promise<Map<number, StoredRecord[]>> {
  const cluster = new Cluster({ brokers: bootstrap });
  const out = new Map<number, StoredRecord[]>();
  try {
    await cluster.topicMetadata(topic, timeoutMs);
    const consumer = new SimpleConsumer(cluster, { maxWaitMs: 100 });
    const ends = new Map<number, number>();
    const lastAcked = new Map<number, number>();
    for (const a of acked ?? []) lastAcked.set(a.partition, Math.max(lastAcked.get(a.partition) ?? -1, a.offset));
    for (let p = 0; p < partitions; p++) {
      out.set(p, []);
      await retry(() => consumer.seek(topic, p, 'earliest'), timeoutMs);
      ends.set(p, Math.max((lastAcked.get(p) ?? -1) + 1, await retry(() => consumer.offsetFor(topic, p, -1), timeoutMs)));
    }
    const deadline = Date.now() + timeoutMs;
    while ([...ends].some(([p, end]) => (consumer.position(topic, p) ?? 0) < end) && Date.now() < deadline) {
      let recs;
      try {
        recs = await consumer.poll();
      } catch {
        await cluster.refresh([topic]).catch(() => undefined);
        await sleep(100);
        continue;
      }
      for (const r of recs) out.get(r.partition)!.push({ offset: r.offset, value: r.value?.toString() ?? '' });
    }
  } finally {
    cluster.close();
  }
  return out;
}

async function retry<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
