/**
 * The REST proxy's HTTP server (node:http, no framework): Confluent REST Proxy v2's resources
 *
 *   GET  /topics                              ["t1","t2"]
 *   GET  /topics/{t}                          {"name","configs","partitions":[{partition,leader,replicas:[{broker,leader,in_sync}]}]}
 *   POST /topics/{t}                          produce (produce.ts)
 *   GET  /topics/{t}/partitions[/{p}]         the partitions of GET /topics/{t}
 *   POST /topics/{t}/partitions/{p}           produce to one partition
 *   GET  /brokers                             {"brokers":[1,2,3]}
 *   POST /consumers/{g}                       {"instance_id","base_uri"}
 *   DELETE /consumers/{g}/instances/{i}       204
 *   POST|GET|DELETE .../instances/{i}/subscription
 *   GET  .../instances/{i}/records?timeout=&max_bytes=
 *   POST|GET .../instances/{i}/offsets
 *
 * and its error bodies (errors.ts). Every body is read with a bound (request.max.bytes).
 */
import http from 'node:http';
import { Logger } from '../common/logger.js';
import type { ConsumerRecord } from '../client/connector/stream.js';
import type { AvroCodec } from './avro.js';
import type { ConsumerManager } from './consumer-manager.js';
import type { TopicPartitionOffset } from './consumer-instance.js';
import { Errors, RestError } from './errors.js';
import {
  EMBEDDED_FORMATS,
  V2_JSON,
  asObject,
  checkV2ContentType,
  embeddedType,
  intParam,
  negotiateV2,
  parseJson,
  produceFormat,
  readBody,
  recordsFormat,
  send,
  sendError,
  type EmbeddedFormat,
} from './http-util.js';
import type { Metadata } from './metadata.js';
import type { ProduceHandler } from './produce.js';
import { closeHttp, listenHttp } from '../common/confluent-http.js';

export interface RestServerOptions {
  metadata: Metadata;
  produce: ProduceHandler;
  consumers: ConsumerManager;
  avro: AvroCodec | undefined;
  /** request.max.bytes: the largest request body. */
  maxRequestBytes: number;
  /** consumer.request.timeout.ms: how long GET .../records waits without a timeout parameter. */
  consumerRequestTimeoutMs: number;
  /** consumer.request.max.bytes: the most key and value bytes one GET .../records answers. */
  consumerRequestMaxBytes: number;
  /** host.name: the host of base_uri (else the request's Host header). */
  hostName?: string;
}

type Reply = { status: number; body?: unknown; type?: string };

const INSTANCE_FIELDS = new Set(['name', 'format', 'auto.offset.reset', 'auto.commit.enable', 'fetch.min.bytes']);

export class RestServer {
  readonly server: http.Server;
  readonly #o: RestServerOptions;
  readonly #log = new Logger('rest');

  constructor(opts: RestServerOptions) {
    this.#o = opts;
    this.server = http.createServer((req, res) => void this.#handle(req, res));
    this.server.on('checkContinue', (req, res) => {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > opts.maxRequestBytes) return sendError(res, Errors.tooLarge(opts.maxRequestBytes));
      res.writeContinue();
      void this.#handle(req, res);
    });
  }

  listen(host: string, port: number): Promise<number> {
    return listenHttp(this.server, host, port);
  }

  close(): Promise<void> {
    return closeHttp(this.server);
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const reply = await this.#route(req);
      send(res, reply.status, reply.type ?? V2_JSON, reply.body);
    } catch (err) {
      const e = err instanceof RestError ? err : Errors.kafka(err);
      if (e.status >= 500) this.#log.warn(`${req.method} ${req.url} failed`, { status: e.status, error: (e.cause as Error | undefined) ?? e });
      sendError(res, e);
    }
  }

  async #body(req: http.IncomingMessage): Promise<Buffer> {
    return readBody(req, this.#o.maxRequestBytes);
  }

  /** A management call's JSON body (undefined when empty). */
  async #v2Body(req: http.IncomingMessage): Promise<unknown> {
    const raw = await this.#body(req);
    checkV2ContentType(req.headers['content-type'], raw.length);
    return parseJson(raw);
  }

  async #route(req: http.IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://x');
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
    } catch {
      throw Errors.notFound();
    }
    const m = req.method ?? 'GET';
    const only = (...methods: string[]): void => {
      if (!methods.includes(m)) throw Errors.methodNotAllowed();
    };
    const [a, b, c, d, e, f] = parts;
    const md = this.#o.metadata;
    if (parts.length === 0) return only('GET'), this.#ok(req, {});
    if (a === 'brokers' && parts.length === 1) return only('GET'), this.#ok(req, await md.brokers());
    if (a === 'topics') {
      if (parts.length === 1) return only('GET'), this.#ok(req, await md.topics());
      const topic = b!;
      if (parts.length === 2) {
        only('GET', 'POST');
        if (m === 'GET') return this.#ok(req, await md.topic(topic));
        return this.#produce(req, topic, undefined);
      }
      if (c === 'partitions' && parts.length === 3) return only('GET'), this.#ok(req, await md.partitions(topic));
      if (c === 'partitions' && parts.length === 4) {
        const p = intParam(d);
        if (p === undefined) throw Errors.partitionNotFound(topic, d!);
        only('GET', 'POST');
        if (m === 'GET') return this.#ok(req, await md.partition(topic, p));
        return this.#produce(req, topic, p);
      }
    }
    if (a === 'consumers' && b !== undefined) {
      const group = b;
      if (parts.length === 2) return only('POST'), this.#createInstance(req, group);
      if (c === 'instances' && d !== undefined) {
        const name = d;
        if (parts.length === 4) {
          only('DELETE');
          await this.#o.consumers.delete(group, name);
          return { status: 204 };
        }
        if (parts.length === 5 && e === 'subscription') return this.#subscription(req, m, group, name);
        if (parts.length === 5 && e === 'records') return only('GET'), this.#records(req, url, group, name);
        if (parts.length === 5 && e === 'offsets') return only('GET', 'POST'), this.#offsets(req, m, group, name);
      }
    }
    void f;
    throw Errors.notFound();
  }

  #ok(req: http.IncomingMessage, body: unknown): Reply {
    return { status: 200, body, type: negotiateV2(req.headers.accept) };
  }

  async #produce(req: http.IncomingMessage, topic: string, partition: number | undefined): Promise<Reply> {
    const format = produceFormat(req.headers['content-type']);
    const type = negotiateV2(req.headers.accept);
    const body = parseJson(await this.#body(req));
    return { status: 200, type, body: await this.#o.produce.produce(topic, partition, format, body) };
  }

  async #createInstance(req: http.IncomingMessage, group: string): Promise<Reply> {
    const type = negotiateV2(req.headers.accept);
    const raw = await this.#v2Body(req);
    const body = raw === undefined ? {} : asObject(raw, 'the request body');
    for (const k of Object.keys(body)) if (!INSTANCE_FIELDS.has(k)) throw Errors.unprocessable(`Unrecognized field "${k}" (known: ${[...INSTANCE_FIELDS].join(', ')})`);
    const str = (k: string): string | undefined => {
      const v = body[k];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw Errors.invalidConsumerConfig(`${k} must be a string, got ${JSON.stringify(v)}`);
      return String(v);
    };
    const format = (str('format') ?? 'binary').toLowerCase() as EmbeddedFormat;
    if (!EMBEDDED_FORMATS.includes(format)) throw Errors.invalidConsumerConfig(`format must be binary, json or avro, got "${str('format')}"`);
    if (format === 'avro' && !this.#o.avro) throw Errors.invalidConsumerConfig('format avro needs schema.registry.url in the proxy\'s configuration');
    const props: Record<string, string> = {};
    for (const k of ['auto.offset.reset', 'auto.commit.enable', 'fetch.min.bytes']) {
      const v = str(k);
      if (v !== undefined) props[k] = v;
    }
    const reset = props['auto.offset.reset'];
    if (reset !== undefined && !['earliest', 'latest', 'smallest', 'largest'].includes(reset)) throw Errors.invalidConsumerConfig(`auto.offset.reset must be earliest or latest, got "${reset}"`);
    const name = str('name');
    const instance = await this.#o.consumers.create(group, { name, format, props });
    const addr = this.server.address() as { address: string; port: number };
    const host = this.#o.hostName ? `${this.#o.hostName}:${addr.port}` : (req.headers.host ?? `${addr.address}:${addr.port}`);
    const base = `http://${host}/consumers/${encodeURIComponent(group)}/instances/${encodeURIComponent(instance.name)}`;
    return { status: 200, type, body: { instance_id: instance.name, base_uri: base } };
  }

  async #subscription(req: http.IncomingMessage, m: string, group: string, name: string): Promise<Reply> {
    const cm = this.#o.consumers;
    if (m === 'GET') {
      const type = negotiateV2(req.headers.accept);
      return { status: 200, type, body: { topics: await cm.use(group, name, (i) => i.topics()) } };
    }
    if (m === 'DELETE') {
      await cm.use(group, name, (i) => i.unsubscribe());
      return { status: 204 };
    }
    if (m !== 'POST') throw Errors.methodNotAllowed();
    cm.get(group, name);
    const body = asObject(await this.#v2Body(req), 'the request body');
    const hasTopics = body.topics !== undefined && body.topics !== null;
    const hasPattern = body.topic_pattern !== undefined && body.topic_pattern !== null;
    if (hasTopics && hasPattern) throw Errors.mutuallyExclusive();
    if (hasTopics) {
      if (!Array.isArray(body.topics) || !body.topics.every((t) => typeof t === 'string')) throw Errors.unprocessable('topics must be an array of topic names');
      const topics = body.topics as string[];
      await cm.use(group, name, (i) => i.subscribe({ topics }));
    } else if (hasPattern) {
      if (typeof body.topic_pattern !== 'string') throw Errors.unprocessable('topic_pattern must be a string (a regular expression)');
      const pattern = body.topic_pattern;
      await cm.use(group, name, (i) => i.subscribe({ pattern }));
    } else {
      throw Errors.unprocessable('the body needs "topics" (an array of topic names) or "topic_pattern" (a regular expression)');
    }
    return { status: 204 };
  }

  async #records(req: http.IncomingMessage, url: URL, group: string, name: string): Promise<Reply> {
    const instance = this.#o.consumers.get(group, name);
    const asked = recordsFormat(req.headers.accept);
    if (asked !== instance.format) throw Errors.formatMismatch(instance.format, asked);
    const timeout = url.searchParams.has('timeout') ? intParam(url.searchParams.get('timeout')) : this.#o.consumerRequestTimeoutMs;
    if (timeout === undefined) throw Errors.unprocessable(`timeout must be a number of milliseconds, got "${url.searchParams.get('timeout')}"`);
    const maxBytesParam = url.searchParams.has('max_bytes') ? intParam(url.searchParams.get('max_bytes')) : this.#o.consumerRequestMaxBytes;
    if (maxBytesParam === undefined) throw Errors.unprocessable(`max_bytes must be a number of bytes, got "${url.searchParams.get('max_bytes')}"`);
    const maxBytes = Math.min(maxBytesParam, this.#o.consumerRequestMaxBytes);
    const records = await this.#o.consumers.use(group, name, (i) => i.read(Math.min(timeout, 300_000), maxBytes));
    const body = await Promise.all(records.map((r) => this.#render(instance.format, r)));
    return { status: 200, type: embeddedType(instance.format), body };
  }

  async #render(format: EmbeddedFormat, r: ConsumerRecord): Promise<Record<string, unknown>> {
    const conv = async (b: Buffer | null, what: string): Promise<unknown> => {
      if (b === null) return null;
      if (format === 'binary') return b.toString('base64');
      try {
        if (format === 'json') return JSON.parse(b.toString('utf8'));
        return await this.#o.avro!.decode(r.topic, b);
      } catch (err) {
        throw Errors.kafka(new Error(`the ${what} of ${r.topic}-${r.partition} offset ${r.offset} is not ${format}: ${(err as Error).message}`));
      }
    };
    // the order of Confluent's quickstart answers
    return { key: await conv(r.key, 'key'), value: await conv(r.value, 'value'), partition: r.partition, offset: r.offset, topic: r.topic };
  }

  async #offsets(req: http.IncomingMessage, m: string, group: string, name: string): Promise<Reply> {
    const cm = this.#o.consumers;
    cm.get(group, name);
    const raw = await this.#v2Body(req);
    const body = raw === undefined ? undefined : asObject(raw, 'the request body');
    const list = (k: string, withOffset: boolean): TopicPartitionOffset[] | undefined => {
      const v = body?.[k];
      if (v === undefined || v === null) return undefined;
      if (!Array.isArray(v)) throw Errors.unprocessable(`${k} must be an array`);
      return v.map((x, n) => {
        const o = asObject(x, `${k}[${n}]`);
        const bad = (f: string) => Errors.unprocessable(`${k}[${n}].${f} is missing or not valid`);
        if (typeof o.topic !== 'string') throw bad('topic');
        if (typeof o.partition !== 'number' || !Number.isInteger(o.partition) || o.partition < 0) throw bad('partition');
        if (withOffset && (typeof o.offset !== 'number' || !Number.isInteger(o.offset) || o.offset < 0)) throw bad('offset');
        return { topic: o.topic, partition: o.partition, offset: withOffset ? (o.offset as number) : -1 };
      });
    };
    if (m === 'POST') {
      const offsets = list('offsets', true);
      if (offsets) await this.#checkPartitions(offsets);
      await cm.use(group, name, (i) => i.commit(offsets));
      return { status: 204 };
    }
    const type = negotiateV2(req.headers.accept);
    const partitions = list('partitions', false) ?? [];
    await this.#checkPartitions(partitions);
    const committed = await cm.use(group, name, (i) => i.committed(partitions));
    return { status: 200, type, body: { offsets: committed.map((o) => ({ ...o, metadata: '' })) } };
  }

  async #checkPartitions(list: { topic: string; partition: number }[]): Promise<void> {
    for (const p of list) {
      const a = await this.#o.metadata.assignment(p.topic).catch(() => undefined);
      if (!a || !a.has(p.partition)) throw Errors.partitionNotFound(p.topic, p.partition);
    }
  }
}
