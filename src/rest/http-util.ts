/**
 * The HTTP plumbing of the REST proxy: bounded request bodies (a body past request.max.bytes is
 * refused with 413 and no more of it is read: a declared Content-Length over the limit is
 * refused before the first byte, an `Expect: 100-continue` gets the 413 instead of the 100),
 * Confluent's content types (application/vnd.kafka[.embedded].v2+json) and Accept negotiation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Errors, RestError } from './errors.js';

export type EmbeddedFormat = 'binary' | 'json' | 'avro';
export const EMBEDDED_FORMATS: readonly EmbeddedFormat[] = ['binary', 'json', 'avro'];

/** What metadata, produce and consumer-management answers are. */
export const V2_JSON = 'application/vnd.kafka.v2+json';
export const embeddedType = (f: EmbeddedFormat): string => `application/vnd.kafka.${f}.v2+json`;

/** Content types that mean "no particular embedded format" (binary, as Confluent assumes). */
const GENERIC = ['application/vnd.kafka.v2+json', 'application/vnd.kafka+json', 'application/json', 'application/octet-stream'];

export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The embedded format a produce request's Content-Type names (415 for anything else). */
export function produceFormat(contentType: string | undefined): EmbeddedFormat {
  const ct = mediaType(contentType);
  const m = /^application\/vnd\.kafka\.(binary|json|avro)\.v2\+json$/.exec(ct);
  if (m) return m[1] as EmbeddedFormat;
  if (GENERIC.includes(ct)) return 'binary';
  throw Errors.unsupportedMediaType(ct, [...EMBEDDED_FORMATS.map(embeddedType), ...GENERIC]);
}

/** Consumer-management bodies: application/vnd.kafka.v2+json and its generic synonyms (or none). */
export function checkV2ContentType(contentType: string | undefined, bodyLength: number): void {
  const ct = mediaType(contentType);
  if (ct === '' && bodyLength === 0) return;
  if (ct === '' || !GENERIC.includes(ct)) throw Errors.unsupportedMediaType(ct, GENERIC.slice(0, 3));
}

interface AcceptEntry {
  type: string;
  q: number;
}

function parseAccept(header: string | undefined): AcceptEntry[] {
  if (header === undefined || header.trim() === '') return [{ type: '*/*', q: 1 }];
  const out: AcceptEntry[] = [];
  for (const part of header.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    if (!type) continue;
    let q = 1;
    for (const p of params) {
      const m = /^q=([0-9.]+)$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (q > 0) out.push({ type: type.toLowerCase(), q });
  }
  return out.sort((a, b) => b.q - a.q);
}

function matches(range: string, type: string): boolean {
  if (range === '*/*' || range === type) return true;
  return range.endsWith('/*') && type.startsWith(range.slice(0, -1));
}

/**
 * The content type to answer a metadata, produce or management call with: the most preferred of
 * application/vnd.kafka.v2+json, application/vnd.kafka+json and application/json that Accept
 * allows (406 when it allows none).
 */
export function negotiateV2(accept: string | undefined): string {
  const offers = [V2_JSON, 'application/vnd.kafka+json', 'application/json'];
  for (const e of parseAccept(accept)) {
    const hit = offers.find((o) => matches(e.type, o));
    if (hit) return hit;
  }
  throw Errors.notAcceptable(accept ?? '');
}

/**
 * The embedded format GET .../records is asked for: application/vnd.kafka.<format>.v2+json, or
 * binary for a generic type (as Confluent's weighting picks); 406 when Accept allows none.
 */
export function recordsFormat(accept: string | undefined): EmbeddedFormat {
  for (const e of parseAccept(accept)) {
    const m = /^application\/vnd\.kafka\.(binary|json|avro)\.v2\+json$/.exec(e.type);
    if (m) return m[1] as EmbeddedFormat;
    if (matches(e.type, V2_JSON) || GENERIC.some((g) => matches(e.type, g))) return 'binary';
  }
  throw Errors.notAcceptable(accept ?? '');
}

/** Reads a request body, at most `limit` bytes; past it, stops reading and rejects with 413. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(Errors.tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        req.off('data', onData);
        req.resume(); // discarded from here on (sendError cuts the connection if it goes on)
        reject(Errors.tooLarge(limit));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (e) => {
      if (done) return;
      done = true;
      reject(e);
    });
  });
}

/** Parses a JSON body (400 when it is not JSON); an empty body is undefined. */
export function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw Errors.badJson((err as Error).message);
  }
}

export function asObject(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw Errors.unprocessable(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

/** Writes a reply (a JSON body, or none for 204); errors get Confluent's body. */
export function send(res: ServerResponse, status: number, contentType: string, body: unknown): void {
  if (status === 204) {
    res.writeHead(204);
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, err: RestError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err.status === 413) {
    // the rest of the body is discarded, not kept; a client still sending after 2 s is cut off
    const req = res.req;
    res.once('finish', () => {
      if (req.complete) return;
      const socket = req.socket;
      setTimeout(() => {
        if (!req.complete) socket.destroy();
      }, 2000).unref();
    });
  }
  send(res, err.status, V2_JSON, err.body());
}

/** A non-negative integer path or query parameter, or undefined when it is not one. */
export function intParam(v: string | null | undefined): number | undefined {
  if (v === null || v === undefined || !/^\d{1,15}$/.test(v)) return undefined;
  return Number(v);
}
