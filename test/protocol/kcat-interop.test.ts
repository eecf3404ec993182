/**
 * The codecs against librdkafka: a throwaway in-memory, one-partition broker made only of the
 * protocol codecs (no storage, no ZooKeeper) answers kcat, which negotiates versions (ApiVersions
 * v3 -> error 35 -> v0) and reads Metadata v4 (v1 when capped), produces MessageSet v0/v1 and
 * RecordBatch v2 (Produce v5, and v3 when capped) with gzip and snappy, and fetches with Fetch v0
 * (magic 0), v3 (magic 1), v4 and v6 (batches). Skipped when kcat is absent.
 */
import { execFile, execFileSync } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, isSupportedVersion } from '../../src/protocol/api-keys.js';
import {
  apiVersionsResponse,
  codecFor,
  encodeApiVersionsResponse,
  fetchRecordMagic,
  unsupportedApiVersionsResponse,
  type FetchRequest,
  type ListOffsetsRequest,
  type ProduceRequest,
} from '../../src/protocol/apis/index.js';
import { decodeRequestHeader, frameResponse, type RequestHeader } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/reader.js';
import { messageSetToRecordBatch, recordBatchesToMessageSet } from '../../src/protocol/records/message-set.js';
import { readBatchHeader, setBaseOffset } from '../../src/protocol/records/record-batch.js';

function hasKcat(): boolean {
  try {
    execFileSync('kcat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A one-partition (topic "t") broker in memory. `maxVersions` caps what it advertises. */
class CodecBroker {
  readonly log: Buffer[] = [];
  readonly seen = new Set<string>();
  nextOffset = 0;
  maxVersions = new Map<number, number>();
  #server = net.createServer((sock) => this.#serve(sock));
  port = 0;

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    this.#server.close();
  }

  #serve(sock: net.Socket): void {
    let buf = Buffer.alloc(0);
    let chain = Promise.resolve();
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const h = decodeRequestHeader(frame);
        const out = this.#handle(h, new Reader(frame, h.bodyOffset));
        chain = chain.then(async () => {
          const o = await out;
          if (o) sock.write(o);
        });
      }
    });
  }

  async #handle(h: RequestHeader, body: Reader): Promise<Buffer | undefined> {
    this.seen.add(`${h.apiKey}v${h.apiVersion}`);
    if (h.apiKey === ApiKey.ApiVersions) {
      const res = isSupportedVersion(h.apiKey, h.apiVersion) ? apiVersionsResponse() : unsupportedApiVersionsResponse();
      res.apiVersions = res.apiVersions.map((r) => ({ ...r, maxVersion: Math.min(r.maxVersion, this.maxVersions.get(r.apiKey) ?? 99) }));
      return frameResponse(h.correlationId, (w) => encodeApiVersionsResponse(w, h.apiVersion, res));
    }
    const c = codecFor(h.apiKey)!;
    const req = c.decodeRequest(body, h.apiVersion);
    const answer = (res: unknown) => frameResponse(h.correlationId, (w) => c.encodeResponse(w, h.apiVersion, res));
    switch (h.apiKey) {
      case ApiKey.Metadata:
        return answer({
          brokers: [{ nodeId: 0, host: '127.0.0.1', port: this.port, rack: null }],
          controllerId: 0,
          topics: [{ errorCode: 0, topic: 't', isInternal: false, partitions: [{ errorCode: 0, partition: 0, leader: 0, replicas: [0], isr: [0] }] }],
        });
      case ApiKey.Produce: {
        const p = (req as ProduceRequest).topics[0]!.partitions[0]!;
        const batch = p.records![16]! >= 2 ? Buffer.from(p.records!) : messageSetToRecordBatch(p.records!);
        const baseOffset = this.nextOffset;
        setBaseOffset(batch, 0, baseOffset);
        this.nextOffset += readBatchHeader(batch).lastOffsetDelta + 1;
        this.log.push(batch);
        if ((req as ProduceRequest).acks === 0) return undefined;
        return answer({ topics: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0, baseOffset, logAppendTime: -1 }] }], throttleTimeMs: 0 });
      }
      case ApiKey.ListOffsets: {
        const p = (req as ListOffsetsRequest).topics[0]!.partitions[0]!;
        const o = p.timestamp === -2 ? 0 : this.nextOffset;
        return answer({ topics: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0, offsets: [o], timestamp: -1, offset: o }] }] });
      }
      case ApiKey.Fetch: {
        const f = req as FetchRequest;
        const p = f.topics[0]!.partitions[0]!;
        let records: Buffer = Buffer.concat(this.log.filter((b) => readBatchHeader(b).baseOffset + readBatchHeader(b).lastOffsetDelta >= p.fetchOffset));
        const magic = fetchRecordMagic(h.apiVersion);
        if (magic !== 2 && records.length > 0) records = recordBatchesToMessageSet(records, magic, { fromOffset: p.fetchOffset });
        if (records.length === 0) await new Promise((r) => setTimeout(r, Math.min(f.maxWaitMs, 100)));
        return answer({
          throttleTimeMs: 0,
          topics: [{ topic: 't', partitions: [{ partition: 0, errorCode: 0, highWatermark: this.nextOffset, lastStableOffset: this.nextOffset, abortedTransactions: null, records }] }],
        });
      }
      default:
        throw new Error(`no handler for api key ${h.apiKey}`);
    }
  }
}

function kcat(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', args, { timeout: 20_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`kcat ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

const OLD = ['-X', 'api.version.request=false', '-X', 'broker.version.fallback=0.8.2'];

describe('codecs against kcat (librdkafka)', () => {
  const broker = new CodecBroker();
  let b: string;
  beforeAll(async () => {
    // never skipped: a missing client fails here (scripts/setup.sh installs it)
    if (!hasKcat()) throw new Error('kcat is missing: run scripts/setup.sh');
    await broker.listen();
    b = `127.0.0.1:${broker.port}`;
  });
  afterAll(() => broker.close());

  it('negotiates versions (error 35 fallback) and reads Metadata v4, and v1 when capped', async () => {
    const out = await kcat(['-L', '-b', b]);
    expect(out).toContain('broker 0 at 127.0.0.1');
    expect(out).toContain('topic "t" with 1 partitions');
    expect(broker.seen).toContain('18v0');
    expect(broker.seen).toContain('3v4');
    broker.maxVersions = new Map([[ApiKey.Metadata, 1]]);
    expect(await kcat(['-L', '-b', b])).toContain('topic "t" with 1 partitions');
    broker.maxVersions = new Map();
    expect(broker.seen).toContain('3v1');
  });

  it('produces RecordBatch (v5 and v3, snappy), MessageSet v0 (0.8.2, gzip) and MessageSet v1 (v2, snappy)', async () => {
    await kcat(['-P', '-b', b, '-t', 't', '-K:', '-z', 'snappy'], 'k0:v0\n');
    broker.maxVersions = new Map([[ApiKey.Produce, 3]]);
    await kcat(['-P', '-b', b, '-t', 't', '-K:', '-z', 'snappy'], 'k1:v1\n');
    broker.maxVersions = new Map();
    await kcat(['-P', '-b', b, '-t', 't', '-z', 'gzip', ...OLD], 'old2\nold3\n');
    broker.maxVersions = new Map([
      [ApiKey.Produce, 2],
      [ApiKey.Fetch, 3],
    ]);
    await kcat(['-P', '-b', b, '-t', 't', '-K:', '-z', 'snappy'], 'k4:v4\n');
    broker.maxVersions = new Map();
    expect(broker.seen).toContain('0v5');
    expect(broker.seen).toContain('0v3');
    expect(broker.seen).toContain('0v0');
    expect(broker.seen).toContain('0v2');
    expect(broker.nextOffset).toBe(5);
  });

  it('fetches them back with Fetch v6, v4, v3 (magic 1, from inside a batch) and v0 (magic 0)', async () => {
    const fmt = ['-f', '%o %k=%s\n'];
    const all = '0 k0=v0\n1 k1=v1\n2 =old2\n3 =old3\n4 k4=v4\n';
    expect(await kcat(['-C', '-b', b, '-t', 't', '-o', 'beginning', '-c', '5', ...fmt])).toBe(all);
    expect(await kcat(['-C', '-b', b, '-t', 't', '-o', 'beginning', '-c', '5', ...fmt, ...OLD])).toBe(all);
    broker.maxVersions = new Map([[ApiKey.Fetch, 4]]);
    expect(await kcat(['-C', '-b', b, '-t', 't', '-o', 'beginning', '-c', '5', ...fmt])).toBe(all);
    broker.maxVersions = new Map([[ApiKey.Fetch, 3]]);
    expect(await kcat(['-C', '-b', b, '-t', 't', '-o', '1', '-c', '4', ...fmt])).toBe(all.split('\n').slice(1).join('\n'));
    broker.maxVersions = new Map();
    for (const v of ['1v6', '1v4', '1v3', '1v0']) expect(broker.seen).toContain(v);
  });
});
