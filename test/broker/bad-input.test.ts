/**
 * Hostile and broken input against a running broker (CVE-2022-34917, CVE-2018-1288 shapes):
 * huge, negative and limit+1 frame sizes; inner lengths past the frame; truncated frames and a
 * disconnect; random bytes; an unknown API key; a batch with a bad CRC. Each gets its error or
 * a closed connection, the broker stays up with bounded memory, and another client keeps
 * producing and consuming throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { createTopic } from '../../src/admin/topic-admin.js';
import { Cluster, call } from '../../src/client/cluster.js';
import { SimpleProducer } from '../../src/client/simple-producer.js';
import { SimpleConsumer } from '../../src/client/simple-consumer.js';
import { API_CODECS } from '../../src/protocol/apis/index.js';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { Writer } from '../../src/protocol/writer.js';
import { ErrorCode } from '../../src/common/errors.js';

const LIMIT = 1024 * 1024;

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** Sends raw bytes; resolves with what came back before the broker closed (or the timeout). */
function rawExchange(port: number, chunks: Buffer[], opts: { waitMs?: number; endAfter?: boolean; minBytes?: number } = {}): Promise<{ closed: boolean; data: Buffer }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    let closed = false;
    s.on('data', (d) => {
      got.push(d);
      if (opts.minBytes && Buffer.concat(got).length >= opts.minBytes) {
        resolve({ closed, data: Buffer.concat(got) });
        s.destroy();
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      closed = true;
      resolve({ closed, data: Buffer.concat(got) });
    });
    s.on('connect', async () => {
      for (const c of chunks) s.write(c);
      if (opts.endAfter) s.end();
      setTimeout(() => {
        resolve({ closed, data: Buffer.concat(got) });
        s.destroy();
      }, opts.waitMs ?? 1500);
    });
  });
}

function sizePrefix(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function requestFrame(apiKey: number, version: number, body: (w: Writer) => void): Buffer {
  const w = new Writer();
  const at = w.reserveInt32();
  w.int16(apiKey).int16(version).int32(7).string('bad-input');
  body(w);
  w.setInt32(at, w.length - 4);
  return w.finish();
}

describe('bad input against a running broker', () => {
  let cluster: TestCluster;
  let port: number;
  let pid: number;
  let client: Cluster;
  let background: Promise<void>;
  let stopBackground = false;
  let backgroundAcked = 0;
  let backgroundError: unknown;

  beforeAll(async () => {
    cluster = await new TestCluster('bad-input', { 'socket.request.max.bytes': String(LIMIT), 'connections.max.idle.ms': '6000' }).start(1);
    const b = cluster.brokers.get(1)!;
    port = b.port;
    pid = b.proc.pid!;
    await createTopic(cluster.zk, 'steady', { partitions: 1, replicationFactor: 1 });
    await createTopic(cluster.zk, 'target', { partitions: 1, replicationFactor: 1 });
    client = new Cluster({ brokers: cluster.bootstrap });
    const producer = new SimpleProducer(client);
    await client.topicMetadata('steady');
    background = (async () => {
      while (!stopBackground) {
        await producer.send('steady', [{ value: `v${backgroundAcked}` }]);
        backgroundAcked++;
        await new Promise((r) => setTimeout(r, 10));
      }
    })().catch((err: unknown) => {
      backgroundError = err;
    });
  });

  afterAll(async () => {
    stopBackground = true;
    await background?.catch(() => undefined);
    client?.close();
    await cluster?.stop();
  });

  it.each([
    ['2^31-1', 0x7fffffff],
    ['negative', -1],
    ['limit+1', LIMIT + 1],
  ])('closes the connection on a frame size of %s without allocating it', async (_n, size) => {
    const before = rssKb(pid);
    const r = await rawExchange(port, [sizePrefix(size), Buffer.alloc(100)]);
    expect(r.closed).toBe(true);
    expect(rssKb(pid) - before).toBeLessThan(64 * 1024);
  });

  it('closes the connection on an inner length larger than the frame', async () => {
    // a Metadata v0 request whose topic array claims 1,000,000 entries
    const frame = requestFrame(ApiKey.Metadata, 0, (w) => w.int32(1_000_000).string('t'));
    const r = await rawExchange(port, [frame]);
    expect(r.closed).toBe(true);
  });

  it('survives truncated frames followed by a disconnect', async () => {
    const frame = requestFrame(ApiKey.Metadata, 0, (w) => w.int32(0));
    for (let cut = 1; cut < frame.length; cut += 3) {
      const r = await rawExchange(port, [frame.subarray(0, cut)], { endAfter: true, waitMs: 200 });
      expect(r.data.length).toBe(0);
    }
  });

  it('survives random bytes', async () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 20; i++) {
      const junk = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)));
      await rawExchange(port, [junk], { waitMs: 100 });
    }
    const before = backgroundAcked;
    expect(cluster.brokers.get(1)!.proc.exitCode).toBeNull();
    await until('the steady client still served', () => backgroundAcked > before + 5, 10_000);
  });

  it('closes the connection on an unknown API key', async () => {
    const r = await rawExchange(port, [requestFrame(999, 0, () => undefined)]);
    expect(r.closed).toBe(true);
    expect(r.data.length).toBe(0);
  });

  it('answers an unsupported ApiVersions version with error 35', async () => {
    const r = await rawExchange(port, [requestFrame(ApiKey.ApiVersions, 9, () => undefined)], { waitMs: 10_000, minBytes: 10 });
    expect(r.data.readInt32BE(4)).toBe(7); // correlation id
    expect(r.data.readInt16BE(8)).toBe(ErrorCode.UNSUPPORTED_VERSION);
  });

  it('refuses a batch with a bad CRC with error 2 and appends nothing', async () => {
    const conn = client.connectionTo(1);
    const before = await new SimpleConsumer(client).offsetFor('target', 0, -1);
    const batch = encodeRecordBatch({ records: [{ value: 'good' }, { value: 'bytes' }] });
    batch[batch.length - 1] ^= 0xff; // corrupt the last record: the CRC no longer matches
    const res = await call(conn, API_CODECS[ApiKey.Produce], 3, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topics: [{ topic: 'target', partitions: [{ partition: 0, records: batch }] }],
    });
    expect(res!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(await new SimpleConsumer(client).offsetFor('target', 0, -1)).toBe(before);
  });

  it('closes a connection idle for connections.max.idle.ms, and one trickling a byte at a time stays bounded', async () => {
    const idle = await rawExchange(port, [], { waitMs: 10_000 });
    expect(idle.closed).toBe(true);
    // a frame that announces 512 bytes and sends one byte every 300 ms holds at most what arrived
    const before = rssKb(pid);
    const slow = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      let closed = false;
      s.on('error', () => undefined);
      s.on('close', () => (closed = true));
      s.on('connect', () => {
        s.write(sizePrefix(512));
        let n = 0;
        const t = setInterval(() => {
          if (closed || n++ > 8) {
            clearInterval(t);
            const stillOpen = !closed;
            s.destroy();
            resolve(stillOpen);
            return;
          }
          s.write(Buffer.from([n]));
        }, 300);
      });
    });
    // bytes keep arriving, so it is not idle: the broker keeps it open, holding only those bytes
    expect(slow).toBe(true);
    expect(rssKb(pid) - before).toBeLessThan(64 * 1024);
  });

  it('kept serving the steady client throughout, and is still up', async () => {
    expect(cluster.brokers.get(1)!.proc.exitCode).toBeNull();
    expect(backgroundError).toBeUndefined();
    const a0 = backgroundAcked;
    await until('steady writes still acknowledged', () => backgroundAcked > a0 + 5, 10_000);
    const acked = backgroundAcked;
    const consumer = new SimpleConsumer(client, { maxWaitMs: 100 });
    await consumer.seek('steady', 0, 'earliest');
    const got: string[] = [];
    while (got.length < acked) {
      const recs = await consumer.poll();
      if (recs.length === 0) break;
      got.push(...recs.map((r) => r.value!.toString()));
    }
    expect(got.slice(0, acked)).toEqual(Array.from({ length: acked }, (_, i) => `v${i}`));
  });
});
