/**
 * A small client of the schema registry's REST API (Confluent's): schemas by id (cached: an
 * id's schema never changes), registration and lookup under a subject (cached per subject and
 * schema text). A failed call is not cached, so a schema registered later is found later.
 */
import { parseAvroSchema, type AvroType } from '../../common/avro.js';
import { ProjectError } from '../../common/errors.js';

const CT = 'application/vnd.schemaregistry.v1+json';

/** The registry answered with an error body ({"error_code","message"}), or could not be reached. */
export class SchemaRegistryError extends ProjectError {
  readonly status: number;
  readonly errorCode: number;
  constructor(message: string, status: number, errorCode: number) {
    super(message, { context: { status, errorCode } });
    this.status = status;
    this.errorCode = errorCode;
  }
}

export class SchemaRegistryClient {
  readonly url: string;
  readonly #byId = new Map<number, Promise<AvroType>>();
  readonly #ids = new Map<string, Promise<number>>();

  constructor(url: string) {
    if (!/^https?:\/\/[^/]+/.test(url)) throw new ProjectError(`schema.registry.url must be an http:// URL, got "${url}"`);
    this.url = url.split(',')[0]!.trim().replace(/\/+$/, '');
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response | undefined;
    // A kept-alive connection that the registry closed while idle fails the request that reuses
    // it ("fetch failed"); one more try goes on a fresh connection. Every registry call may be
    // repeated: registering a schema again answers the same id.
    for (let attempt = 0; res === undefined; attempt++) {
      try {
        res = await fetch(`${this.url}${path}`, {
          method,
          headers: body === undefined ? { Accept: CT } : { Accept: CT, 'Content-Type': CT },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        if (attempt >= 1) throw new SchemaRegistryError(`schema registry ${this.url} unreachable: ${(err as Error).message}`, 0, 0);
      }
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new SchemaRegistryError(`schema registry ${this.url}${path} answered ${res.status} with a body that is not JSON`, res.status, 0);
    }
    if (!res.ok) {
      const e = json as { error_code?: number; message?: string };
      throw new SchemaRegistryError(`schema registry: ${e.message ?? `HTTP ${res.status}`} (error code ${e.error_code ?? res.status})`, res.status, e.error_code ?? res.status);
    }
    return json;
  }

  #cached<K, V>(map: Map<K, Promise<V>>, key: K, fn: () => Promise<V>): Promise<V> {
    let p = map.get(key);
    if (!p) {
      p = fn();
      map.set(key, p);
      p.catch(() => map.delete(key));
    }
    return p;
  }

  /** The writer schema of `id` (GET /schemas/ids/{id}). */
  schemaById(id: number): Promise<AvroType> {
    return this.#cached(this.#byId, id, async () => parseAvroSchema((await this.#call('GET', `/schemas/ids/${id}`) as { schema: string }).schema));
  }

  /** Registers (POST /subjects/{s}/versions) and returns the id. */
  register(subject: string, schema: string): Promise<number> {
    return this.#cached(this.#ids, `r\0${subject}\0${schema}`, async () => (await this.#call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema }) as { id: number }).id);
  }

  /** The id of a schema already registered under `subject` (POST /subjects/{s}). */
  lookup(subject: string, schema: string): Promise<number> {
    return this.#cached(this.#ids, `l\0${subject}\0${schema}`, async () => (await this.#call('POST', `/subjects/${encodeURIComponent(subject)}`, { schema }) as { id: number }).id);
  }

  /** The latest version's id and schema under `subject`. */
  async latest(subject: string): Promise<{ id: number; schema: string }> {
    return (await this.#call('GET', `/subjects/${encodeURIComponent(subject)}/versions/latest`)) as { id: number; schema: string };
  }
}
