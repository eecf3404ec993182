/**
 * Mirror tests' tools: the mirror as a real process (dist/src/bin/kafka-mirror-maker.js with
 * properties files of its own), a keyed producer on the source that remembers what the source
 * acknowledged, a reader of a whole target topic, and the checker of the mirror's invariant:
 *
 *   every record the source acknowledged is in the target (same key, value, headers,
 *   timestamp), each key in one target partition, and the first copies of a key's records in
 *   the order they were produced; copies beyond the first are counted as duplicates.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from '../../src/client/cluster.js';
import { SimpleConsumer, type ConsumedRecord } from '../../src/client/simple-consumer.js';
import { Producer } from '../../src/client/producer/index.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../../src/protocol/apis/list-offsets.js';
import { KafkaError } from '../../src/common/errors.js';
import { ConnectionError } from '../../src/network/client-connection.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MIRROR_MAIN = path.join(ROOT, 'dist/src/bin/kafka-mirror-maker.js');

/** Group settings that make rebalances and takeovers quick in tests. */
export const FAST_MIRROR_CONSUMER: Record<string, string> = {
  'zookeeper.session.timeout.ms': '4000',
  'rebalance.backoff.ms': '500',
  'rebalance.max.retries': '10',
  'fetch.wait.max.ms': '100',
};

export interface MirrorProcess {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr(): string;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

let counter = 0;

export function writeProperties(file: string, props: Record<string, string>): string {
  writeFileSync(file, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  return file;
}

export interface StartMirrorOptions {
  dir: string;
  /** Source ZooKeeper (with chroot) and the mirror's group. */
  sourceZk: string;
  group: string;
  targetBootstrap: string;
  args: string[];
  consumer?: Record<string, string>;
  producer?: Record<string, string>;
}

export function startMirror(o: StartMirrorOptions): MirrorProcess {
  const n = ++counter;
  const consumer = writeProperties(path.join(o.dir, `source-${n}.properties`), { 'zookeeper.connect': o.sourceZk, 'group.id': o.group, ...FAST_MIRROR_CONSUMER, ...o.consumer });
  const producer = writeProperties(path.join(o.dir, `target-${n}.properties`), { 'bootstrap.servers': o.targetBootstrap, ...o.producer });
  const args = [MIRROR_MAIN, '--consumer.config', consumer, '--producer.config', producer, '--offset.commit.interval.ms', '1000', '--progress.interval.ms', '1000', ...o.args];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, KAFKA_LOG_LEVEL: 'info' } });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const m: MirrorProcess = {
    proc,
    exited,
    stderr: () => err,
    kill(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
    async stop() {
      m.kill('SIGTERM');
      return exited;
    },
  };
  return m;
}

/**
 * Source records: value `<topic>|<key>|<seq>|<n>`, header `seq`, timestamp BASE + n where n
 * counts every record this writer produced. Timestamps only grow in the order of production:
 * the producer mis-encodes a record stamped 1..63 ms before the first of its batch (see
 * the report of issue 14), so tests keep every partition's timestamps in order.
 */
export class SourceWriter {
  readonly producer: Producer;
  /** Topic -> the values the source acknowledged, in the order produced per key. */
  readonly acked = new Map<string, string[]>();
  readonly failed: Error[] = [];
  readonly #seq = new Map<string, number>();
  #n = 0;
  #running = false;
  #loop: Promise<void> = Promise.resolve();

  constructor(bootstrap: string) {
    this.producer = new Producer({ brokers: bootstrap, acks: 'all', lingerMs: 2, clientId: 'mirror-test-source' });
  }

  static readonly BASE_TIMESTAMP = 1_600_000_000_000;

  /** `perKey` records for each of `keys` keys of a topic; resolves when all are answered. */
  async write(topic: string, keys: number, perKey: number): Promise<void> {
    const sends: Promise<void>[] = [];
    for (let i = 0; i < perKey; i++) for (let k = 0; k < keys; k++) sends.push(this.#send(topic, `k${k}`));
    await Promise.all(sends);
  }

  #send(topic: string, key: string): Promise<void> {
    const id = `${topic}|${key}`;
    const seq = (this.#seq.get(id) ?? 0) + 1;
    this.#seq.set(id, seq);
    const n = ++this.#n;
    const value = `${topic}|${key}|${seq}|${n}`;
    return this.producer
      .send({ topic, key, value, headers: [{ key: 'seq', value: String(seq) }], timestamp: SourceWriter.BASE_TIMESTAMP + n })
      .then(() => {
        let l = this.acked.get(topic);
        if (!l) this.acked.set(topic, (l = []));
        l.push(value);
      })
      .catch((err: Error) => void this.failed.push(err));
  }

  /** Keeps writing to the topics (round robin over `keys` keys, `batch` records at a time) until stop(). */
  start(topics: () => string[], keys = 20, batch = 50): void {
    this.#running = true;
    this.#loop = (async () => {
      let i = 0;
      while (this.#running) {
        const sends: Promise<void>[] = [];
        for (const t of topics()) for (let b = 0; b < batch; b++) sends.push(this.#send(t, `k${i++ % keys}`));
        await Promise.all(sends);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  get total(): number {
    return [...this.acked.values()].reduce((n, l) => n + l.length, 0);
  }

  async close(): Promise<void> {
    await this.stop();
    await this.producer.close();
  }
}

/** Every record of a topic, per partition in offset order (up to the end offsets read first). */
export async function readTopic(bootstrap: string, topic: string, timeoutMs = 30_000): Promise<ConsumedRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await readTopicOnce(bootstrap, topic, deadline);
    } catch (err) {
      // a broker's metadata can name a leader that has just died or moved (the controller's
      // UpdateMetadata is on its way): read again from the start with fresh metadata
      const retriable = err instanceof ConnectionError || (err instanceof KafkaError && err.retriable);
      if (!retriable || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function readTopicOnce(bootstrap: string, topic: string, deadline: number): Promise<ConsumedRecord[]> {
  const cluster = new Cluster({ brokers: bootstrap, clientId: 'mirror-test-reader' });
  try {
    const c = new SimpleConsumer(cluster, { maxWaitMs: 100 });
    const md = await cluster.topicMetadata(topic);
    const ends = new Map<number, number>();
    for (const p of md.partitions) {
      ends.set(p.partition, await c.offsetFor(topic, p.partition, LATEST_TIMESTAMP));
      const start = await c.offsetFor(topic, p.partition, EARLIEST_TIMESTAMP);
      if (start < ends.get(p.partition)!) await c.seek(topic, p.partition, start);
    }
    const out: ConsumedRecord[] = [];
    const done = () => [...ends].every(([p, end]) => (c.position(topic, p) ?? end) >= end);
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`reading ${topic} timed out`);
      for (const r of await c.poll()) if (r.offset < ends.get(r.partition)!) out.push(r);
    }
    return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  } finally {
    cluster.close();
  }
}

export interface MirrorCheck {
  /** Target records that are a second (or later) copy of a source record. */
  duplicates: number;
  /** Acknowledged source records not in the target. */
  missing: string[];
  /** Distinct records found. */
  found: number;
}

/**
 * Checks a target topic against what the source acknowledged for `sourceTopic` (records are
 * recognised by value, so a renamed topic is compared by passing both names). Throws on a
 * wrong key, header or timestamp, a key in two partitions, or a key's records out of order.
 */
export function checkMirrored(acked: readonly string[], target: readonly ConsumedRecord[]): MirrorCheck {
  const seen = new Set<string>();
  const lastSeq = new Map<string, { seq: number; partition: number }>();
  let duplicates = 0;
  for (const r of target) {
    const value = r.value?.toString('utf8') ?? '';
    const [, key, seqText, n] = value.split('|');
    const seq = Number(seqText);
    if (r.key?.toString('utf8') !== key) throw new Error(`${r.topic}/${r.partition}@${r.offset}: key ${r.key?.toString()} for value ${value}`);
    const header = r.headers.find((h) => h.key === 'seq')?.value?.toString('utf8');
    if (header !== seqText) throw new Error(`${r.topic}/${r.partition}@${r.offset}: header seq=${header} for value ${value}`);
    if (r.timestamp !== SourceWriter.BASE_TIMESTAMP + Number(n)) throw new Error(`${r.topic}/${r.partition}@${r.offset}: timestamp ${r.timestamp} for value ${value}`);
    if (seen.has(value)) {
      duplicates++;
      continue;
    }
    seen.add(value);
    const last = lastSeq.get(key!);
    if (last && last.partition !== r.partition) throw new Error(`key ${key} is in partitions ${last.partition} and ${r.partition} of ${r.topic}`);
    if (last && seq <= last.seq) throw new Error(`key ${key} of ${r.topic}: seq ${seq} after ${last.seq} (out of order)`);
    lastSeq.set(key!, { seq, partition: r.partition });
  }
  const missing = acked.filter((v) => !seen.has(v));
  return { duplicates, missing, found: seen.size };
}
