/**
 * Log end offsets for the groups' lag, asked of the brokers (never of ZooKeeper): every
 * `intervalMs`, one ListOffsets v1 (timestamp -1, the high watermark a consumer can reach) per
 * leader for the partitions the groups need, sent to the leader ZooKeeper names, at the endpoint
 * its registration gives. A partition whose leader is away keeps its last known value.
 */
import { ConnectionPool } from '../network/client-connection.js';
import { call } from '../client/cluster.js';
import { API_CODECS } from '../protocol/apis/index.js';
import { ApiKey } from '../protocol/api-keys.js';
import { LATEST_TIMESTAMP } from '../protocol/apis/list-offsets.js';
import { ErrorCode } from '../common/errors.js';

export interface LogEndSources {
  partitions: () => { topic: string; partition: number }[];
  leaderOf: (topic: string, partition: number) => number;
  endpoint: (brokerId: number) => { host: string; port: number } | undefined;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class LogEnds {
  readonly #src: LogEndSources;
  readonly #intervalMs: number;
  readonly #pool: ConnectionPool;
  readonly #ends = new Map<string, number>();
  readonly #onChange: (changed: boolean) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(src: LogEndSources, intervalMs: number, onChange: (changed: boolean) => void, timeoutMs = 5000) {
    this.#src = src;
    this.#intervalMs = intervalMs;
    this.#onChange = onChange;
    this.#pool = new ConnectionPool({ clientId: 'kafka-ui', timeoutMs });
  }

  get(topic: string, partition: number): number | undefined {
    return this.#ends.get(key(topic, partition));
  }

  start(): void {
    const tick = (): void => {
      if (this.#closed) return;
      this.#running = this.refresh().finally(() => {
        if (!this.#closed) this.#timer = setTimeout(tick, this.#intervalMs);
      });
    };
    tick();
  }

  /** One round: asks every leader for its partitions' log ends; tells onChange whether any moved. */
  async refresh(): Promise<void> {
    const byLeader = new Map<number, Map<string, number[]>>();
    for (const { topic, partition } of this.#src.partitions()) {
      const leader = this.#src.leaderOf(topic, partition);
      if (leader < 0) continue;
      const topics = byLeader.get(leader) ?? new Map<string, number[]>();
      topics.set(topic, [...(topics.get(topic) ?? []), partition]);
      byLeader.set(leader, topics);
    }
    let changed = false;
    await Promise.all(
      [...byLeader].map(async ([leader, topics]) => {
        const ep = this.#src.endpoint(leader);
        if (!ep) return;
        try {
          const res = await call(this.#pool.get(ep.host, ep.port), API_CODECS[ApiKey.ListOffsets], 1, {
            replicaId: -1,
            topics: [...topics].map(([topic, ps]) => ({ topic, partitions: ps.map((partition) => ({ partition, timestamp: LATEST_TIMESTAMP, maxNumOffsets: 1 })) })),
          });
          for (const t of res?.topics ?? []) {
            for (const p of t.partitions) {
              if (p.errorCode !== ErrorCode.NONE || p.offset === undefined || p.offset < 0) continue;
              const k = key(t.topic, p.partition);
              if (this.#ends.get(k) !== p.offset) {
                this.#ends.set(k, p.offset);
                changed = true;
              }
            }
          }
        } catch {
          /* that leader is away: its partitions keep their last values */
        }
      }),
    );
    if (!this.#closed) this.#onChange(changed);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
    this.#pool.closeAll();
  }
}
