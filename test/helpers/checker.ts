/**
 * The checker every fault test uses (shared/docs/reliability.md): producers record every
 * acknowledged (partition, offset, value); after the faults a consumer reads every partition
 * from the start. Pass: every acknowledged value is read at its acknowledged offset, each
 * producer's acknowledged values keep their order within a partition; duplicates are counted.
 *
 * The checks themselves live in src/verify/checker.ts (bin/kafka-verify.sh uses them too).
 *
 * The producer here is deliberately plain (one record per Produce v3 request, no batching):
 * it talks to the leader it last learned, refreshes metadata and retries on any error, so
 * what it records as acknowledged is exactly what the broker acknowledged.
 */
import { Cluster, call } from '../../src/client/cluster.js';
import { API_CODECS } from '../../src/protocol/apis/index.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { ErrorCode } from '../../src/common/errors.js';

import type { Acked } from '../../src/verify/checker.js';

export type { Acked };

export interface ProducerRun {
  acked: Acked[];
  attempts: number;
  errors: Map<number, number>;
  stop(): Promise<void>;
}

/**
 * Produces `prefix-N` values round-robin over `partitions` until stopped. `timeoutMs` is the
 * Produce request's own timeout (the leader's wait for acks), `requestTimeoutMs` how long the
 * client waits for any answer (default 10 s): a broker whose host vanished (a killed
 * container) sends no RST, so that is how long a request to it hangs.
 *
 * `dropConnectionsOnError`: after a failed attempt, close every connection, as Kafka's client
 * closes one whose request timed out. Our Cluster keeps a timed-out connection open and sends
 * the next request on it, so behind a silent network partition (no RST: `docker network
 * disconnect`) a metadata refresh that picks the cut-off broker waits on it again and again.
 */
export function startProducer(
  bootstrap: string,
  topic: string,
  partitions: number,
  opts: { acks?: number; prefix?: string; pauseMs?: number; timeoutMs?: number; requestTimeoutMs?: number; dropConnectionsOnError?: boolean } = {},
): ProducerRun {
  const acks = opts.acks ?? -1;
  const prefix = opts.prefix ?? 'v';
  const cluster = new Cluster({ brokers: bootstrap, requestTimeoutMs: opts.requestTimeoutMs ?? 10_000 });
  const run: ProducerRun = { acked: [], attempts: 0, errors: new Map(), stop: async () => undefined };
  let stopped = false;
  const loop = (async () => {
    let n = 0;
    while (!stopped) {
      const partition = n % partitions;
      const value = `${prefix}-${n}`;
      run.attempts++;
      try {
        let leader = cluster.leaderOf(topic, partition);
        if (leader < 0) {
          await cluster.refresh([topic]);
          leader = cluster.leaderOf(topic, partition);
          if (leader < 0) throw new Error('no leader');
        }
        const res = await call(cluster.connectionTo(leader), API_CODECS[ApiKey.Produce], 3, {
          transactionalId: null,
          acks,
          timeoutMs: opts.timeoutMs ?? 10_000,
          topics: [{ topic, partitions: [{ partition, records: encodeRecordBatch({ records: [{ value }] }) }] }],
        });
        const pr = res!.topics[0]!.partitions[0]!;
        if (pr.errorCode === ErrorCode.NONE) {
          run.acked.push({ partition, offset: pr.baseOffset, value });
          n++;
        } else {
          run.errors.set(pr.errorCode, (run.errors.get(pr.errorCode) ?? 0) + 1);
          await cluster.refresh([topic]).catch(() => undefined);
          await sleep(50);
        }
      } catch {
        run.errors.set(-99, (run.errors.get(-99) ?? 0) + 1);
        if (opts.dropConnectionsOnError) cluster.pool.closeAll();
        await cluster.refresh([topic]).catch(() => undefined);
        await sleep(100);
      }
      if (opts.pauseMs) await sleep(opts.pauseMs);
    }
  })();
  run.stop = async () => {
    stopped = true;
    await loop;
    cluster.close();
  };
  return run;
}

export { check, readAll, verifyHistory, type CheckResult, type Verdict } from '../../src/verify/checker.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
