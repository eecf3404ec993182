/**
 * The registry's HTTP face: Confluent's REST API for what clients use, its content type
 * (application/vnd.schemaregistry.v1+json; plain application/json accepted) and its error
 * bodies. Request bodies are bounded; a schema larger than `maxSchemaBytes` (kept under
 * ZooKeeper's 1 MB znode limit) is refused with 42201.
 */
import http from 'node:http';
import { isCompatibilityLevel, parseAvroSchema, storedSchemaText, type AvroType } from '../common/avro.js';
import { Errors, RegistryError } from './errors.js';
import type { SchemaStore } from './store.js';
import { closeHttp, listenHttp } from '../common/confluent-http.js';

export const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const ACCEPTED_TYPES = new Set([CONTENT_TYPE, 'application/vnd.schemaregistry+json', 'application/json', 'application/octet-stream']);

export interface HttpLimits {
  maxRequestBytes: number;
  maxSchemaBytes: number;
}

type Reply = { status: number; body: unknown };

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(Errors.tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => failed || resolve(Buffer.concat(chunks)));
    req.on('error', (e) => failed || reject(e));
  });
}

function parseVersion(v: string): number | 'latest' {
  if (v === 'latest' || v === '-1') return 'latest';
  if (/^\d{1,10}$/.test(v)) {
    const n = Number(v);
    if (n >= 1 && n <= 2 ** 31 - 1) return n;
  }
  throw Errors.invalidVersion(v);
}

export class RegistryHttp {
  readonly #store: SchemaStore;
  readonly #limits: HttpLimits;
  readonly server: http.Server;

  constructor(store: SchemaStore, limits: HttpLimits) {
    this.#store = store;
    this.#limits = limits;
    this.server = http.createServer((req, res) => void this.#handle(req, res));
  }

  listen(host: string, port: number): Promise<number> {
    return listenHttp(this.server, host, port);
  }

  close(): Promise<void> {
    return closeHttp(this.server);
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.#route(req);
    } catch (err) {
      const e = err instanceof RegistryError ? err : Errors.store(err);
      if (e.status >= 500) process.stderr.write(`schema-registry: ${req.method} ${req.url}: ${String((e.cause as Error | undefined)?.message ?? e.message)}\n`);
      reply = { status: e.status, body: JSON.parse(e.body()) };
      if (e.status === 413) res.setHeader('Connection', 'close');
    }
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  async #json(req: http.IncomingMessage): Promise<Record<string, unknown>> {
    const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (ct !== '' && !ACCEPTED_TYPES.has(ct)) throw Errors.unsupportedMediaType(ct);
    const raw = await readBody(req, this.#limits.maxRequestBytes);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw Errors.badJson((err as Error).message);
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw Errors.badJson('expected a JSON object');
    return body as Record<string, unknown>;
  }

  async #schemaFrom(req: http.IncomingMessage): Promise<AvroType> {
    const body = await this.#json(req);
    if (body.schemaType !== undefined && body.schemaType !== null && body.schemaType !== 'AVRO') throw Errors.invalidSchema(`schemaType ${String(body.schemaType)} is not supported (AVRO only)`);
    if (Array.isArray(body.references) && body.references.length > 0) throw Errors.invalidSchema('schema references are not supported');
    if (typeof body.schema !== 'string') throw Errors.invalidSchema('the request needs "schema", the schema as a JSON string');
    let type: AvroType;
    try {
      type = parseAvroSchema(body.schema);
    } catch (err) {
      throw Errors.invalidSchema((err as Error).message);
    }
    const size = Buffer.byteLength(storedSchemaText(type));
    if (size > this.#limits.maxSchemaBytes) throw Errors.invalidSchema(`the schema is ${size} bytes; the limit is ${this.#limits.maxSchemaBytes} bytes (one ZooKeeper znode holds it)`);
    return type;
  }

  async #route(req: http.IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
    const m = req.method ?? 'GET';
    const st = this.#store;
    const ok = (body: unknown): Reply => ({ status: 200, body });
    const only = (...methods: string[]) => {
      if (!methods.includes(m)) throw Errors.methodNotAllowed();
    };
    const [a, b, c, d, e, f] = parts;
    if (parts.length === 0) return only('GET'), ok({});
    if (a === 'subjects') {
      if (parts.length === 1) return only('GET'), ok(await st.subjects());
      const s = b!;
      if (parts.length === 2) {
        only('POST', 'DELETE');
        if (m === 'DELETE') return ok(await st.deleteSubject(s));
        const type = await this.#schemaFrom(req);
        const v = await st.lookup(s, type);
        const entry = await st.schemaById(v.id);
        return ok({ subject: s, version: v.version, id: v.id, schema: entry.text });
      }
      if (c === 'versions' && parts.length === 3) {
        only('GET', 'POST');
        if (m === 'GET') return ok((await st.liveVersions(s)).map((v) => v.version));
        const type = await this.#schemaFrom(req);
        return ok({ id: await st.register(s, type) });
      }
      if (c === 'versions' && (parts.length === 4 || (parts.length === 5 && e === 'schema'))) {
        const version = parseVersion(d!);
        only('GET', ...(parts.length === 4 ? ['DELETE'] : []));
        if (m === 'DELETE') return ok(await st.deleteVersion(s, version));
        const v = await st.version(s, version);
        const entry = await st.schemaById(v.id);
        if (parts.length === 5) return ok(JSON.parse(entry.text));
        return ok({ subject: s, version: v.version, id: v.id, schema: entry.text });
      }
    }
    if (a === 'schemas' && b === 'ids' && parts.length === 3) {
      only('GET');
      const id = /^\d{1,10}$/.test(c!) ? Number(c) : NaN;
      if (!Number.isSafeInteger(id)) throw Errors.schemaNotFound();
      return ok({ schema: (await st.schemaById(id)).text });
    }
    if (a === 'compatibility' && b === 'subjects' && d === 'versions' && parts.length === 5) {
      only('POST');
      const version = parseVersion(e!);
      const type = await this.#schemaFrom(req);
      return ok({ is_compatible: await st.compatibleWith(c!, version, type) });
    }
    if (a === 'config' && parts.length <= 2) {
      only('GET', 'PUT');
      const s = b;
      if (m === 'PUT') {
        const body = await this.#json(req);
        const level = typeof body.compatibility === 'string' ? body.compatibility.toUpperCase() : undefined;
        if (!isCompatibilityLevel(level)) throw Errors.invalidCompatibility();
        await st.setLevel(s, level);
        return ok({ compatibility: level });
      }
      if (s === undefined) return ok({ compatibilityLevel: await st.globalLevel() });
      const own = await st.subjectLevel(s);
      if (own) return ok({ compatibilityLevel: own });
      if (url.searchParams.get('defaultToGlobal') === 'true') return ok({ compatibilityLevel: await st.globalLevel() });
      throw Errors.subjectLevelConfigNotFound(s);
    }
    void f;
    throw Errors.notFound();
  }
}
