/**
 * The registry's storage in ZooKeeper. Layout under the namespace (default /schema_registry,
 * below the chroot of kafkastore.connection.url):
 *
 *   id_counter                  the last schema id handed out, decimal; advanced by compare-and-set
 *   ids/<id>                    {"schema":"<text>"}: one znode per schema id, never changed
 *   fingerprints/<sha256>       "<id>": the id of a schema text, created in one multi with ids/<id>
 *   subjects/<subject>/<vvvvvvvvvv>  {"id":N} or {"id":N,"deleted":true}: one child per version
 *   config                      {"compatibilityLevel":"..."} (missing: the configured default)
 *   subject_configs/<subject>   {"compatibilityLevel":"..."}
 *
 * Subject names are URI-encoded in znode names. Instances keep no state but an id -> schema
 * cache (an id's schema never changes), so any number of them agree with no master: an id is
 * taken by a CAS on id_counter (monotonic, never reused; an id lost to a race is skipped),
 * the same text maps to the same id through its fingerprint znode, and a version is claimed by
 * creating its znode (NodeExists: someone else took it; look again).
 */
import { parseAvroSchema, schemaFingerprint, storedSchemaText, type AvroType, type CompatibilityLevel, compatibilityProblems, isCompatibilityLevel } from '../common/avro.js';
import { BadVersionError, NodeExistsError, NoNodeError, type ZkClient } from '../zk/index.js';
import { Errors, RegistryError } from './errors.js';

export interface SchemaEntry {
  id: number;
  text: string;
  type: AvroType;
}
export interface SubjectVersion {
  subject: string;
  version: number;
  id: number;
  deleted: boolean;
}

const pad = (v: number) => String(v).padStart(10, '0');
const enc = (s: string) => encodeURIComponent(s);

export class SchemaStore {
  readonly #zk: ZkClient;
  readonly #root: string;
  readonly #defaultLevel: CompatibilityLevel;
  readonly #byId = new Map<number, SchemaEntry>();

  constructor(zk: ZkClient, namespace: string, defaultLevel: CompatibilityLevel) {
    this.#zk = zk;
    this.#root = `/${namespace.replace(/^\/+|\/+$/g, '')}`;
    this.#defaultLevel = defaultLevel;
  }

  async init(): Promise<void> {
    await this.#store(async () => {
      for (const p of ['ids', 'fingerprints', 'subjects', 'subject_configs']) await this.#zk.ensurePath(`${this.#root}/${p}`);
      try {
        await this.#zk.create(`${this.#root}/id_counter`, '0');
      } catch (err) {
        if (!(err instanceof NodeExistsError)) throw err;
      }
    });
  }

  /** Runs a ZooKeeper-backed step; anything but a RegistryError becomes 50001. */
  async #store<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof RegistryError) throw err;
      throw Errors.store(err);
    }
  }

  // ---- schemas by id ------------------------------------------------------------------------

  async schemaById(id: number): Promise<SchemaEntry> {
    const cached = this.#byId.get(id);
    if (cached) return cached;
    const node = await this.#store(() => this.#zk.get(`${this.#root}/ids/${id}`));
    if (!node) throw Errors.schemaNotFound(id);
    const text = (JSON.parse(node.data.toString('utf8')) as { schema: string }).schema;
    const entry = { id, text, type: parseAvroSchema(text) };
    this.#byId.set(id, entry);
    return entry;
  }

  /** The id of this schema text, if registered anywhere. */
  async #lookupId(text: string): Promise<number | undefined> {
    const node = await this.#zk.get(`${this.#root}/fingerprints/${schemaFingerprint(text)}`);
    return node ? Number(node.data.toString('utf8')) : undefined;
  }

  async #nextId(): Promise<number> {
    const path = `${this.#root}/id_counter`;
    for (;;) {
      const node = await this.#zk.get(path);
      if (!node) throw new NoNodeError(path);
      const next = Number(node.data.toString('utf8')) + 1;
      try {
        await this.#zk.set(path, String(next), node.version);
        return next;
      } catch (err) {
        if (!(err instanceof BadVersionError)) throw err;
      }
    }
  }

  /** The id of `text`, taking a new one if it is not registered yet. */
  async #idFor(type: AvroType, text: string): Promise<number> {
    const known = await this.#lookupId(text);
    if (known !== undefined) return known;
    const id = await this.#nextId();
    try {
      await this.#zk.multi([
        { op: 'create', path: `${this.#root}/ids/${id}`, data: JSON.stringify({ schema: text }) },
        { op: 'create', path: `${this.#root}/fingerprints/${schemaFingerprint(text)}`, data: String(id) },
      ]);
      this.#byId.set(id, { id, text, type });
      return id;
    } catch (err) {
      if (!(err instanceof NodeExistsError)) throw err;
      const winner = await this.#lookupId(text); // another instance registered it meanwhile
      if (winner === undefined) throw err;
      return winner;
    }
  }

  // ---- subjects ---------------------------------------------------------------------------------

  async #versions(subject: string): Promise<SubjectVersion[] | undefined> {
    const dir = `${this.#root}/subjects/${enc(subject)}`;
    const kids = await this.#zk.children(dir);
    if (kids === undefined) return undefined;
    const nodes = await Promise.all(kids.map(async (k) => ({ k, node: await this.#zk.get(`${dir}/${k}`) })));
    return nodes
      .filter((n) => n.node !== undefined)
      .map(({ k, node }) => {
        const d = JSON.parse(node!.data.toString('utf8')) as { id: number; deleted?: boolean };
        return { subject, version: Number(k), id: d.id, deleted: d.deleted === true };
      })
      .sort((a, b) => a.version - b.version);
  }

  /** Live (not deleted) versions, oldest first; 40401 if there are none. */
  async liveVersions(subject: string): Promise<SubjectVersion[]> {
    const all = await this.#store(() => this.#versions(subject));
    const live = (all ?? []).filter((v) => !v.deleted);
    if (live.length === 0) throw Errors.subjectNotFound(subject);
    return live;
  }

  async subjects(): Promise<string[]> {
    const kids = await this.#store(async () => (await this.#zk.children(`${this.#root}/subjects`)) ?? []);
    const names = kids.map((k) => decodeURIComponent(k)).sort();
    const live = await Promise.all(names.map(async (s) => ((await this.#store(() => this.#versions(s))) ?? []).some((v) => !v.deleted)));
    return names.filter((_, i) => live[i]);
  }

  /** `version` is a number or 'latest'; 40401 / 40402. */
  async version(subject: string, version: number | 'latest'): Promise<SubjectVersion> {
    const live = await this.liveVersions(subject);
    const v = version === 'latest' ? live[live.length - 1] : live.find((x) => x.version === version);
    if (!v) throw Errors.versionNotFound(version);
    return v;
  }

  /** The version of `subject` holding this schema, if any (POST /subjects/{s}). */
  async lookup(subject: string, type: AvroType): Promise<SubjectVersion> {
    const live = await this.liveVersions(subject);
    const text = storedSchemaText(type);
    const id = await this.#store(() => this.#lookupId(text));
    const v = id === undefined ? undefined : live.find((x) => x.id === id);
    if (!v) throw Errors.schemaNotFound();
    return v;
  }

  /** Registers `type` under `subject` (compatibility checked); returns its global id. */
  async register(subject: string, type: AvroType): Promise<number> {
    const text = storedSchemaText(type);
    return this.#store(async () => {
      for (;;) {
        const all = (await this.#versions(subject)) ?? [];
        const live = all.filter((v) => !v.deleted);
        const known = await this.#lookupId(text);
        if (known !== undefined && live.some((v) => v.id === known)) return known;
        const level = await this.level(subject);
        const earlier = await Promise.all(live.map(async (v) => (await this.schemaById(v.id)).type));
        const problems = compatibilityProblems(level, type, earlier);
        if (problems.length > 0) throw Errors.incompatible(subject, problems);
        const id = await this.#idFor(type, text);
        const next = (all.length ? all[all.length - 1]!.version : 0) + 1;
        try {
          await this.#zk.create(`${this.#root}/subjects/${enc(subject)}/${pad(next)}`, JSON.stringify({ id }), { parents: true });
          return id;
        } catch (err) {
          if (!(err instanceof NodeExistsError)) throw err; // another instance took this version: look again
        }
      }
    });
  }

  /** Soft-deletes every live version; returns their numbers. */
  async deleteSubject(subject: string): Promise<number[]> {
    const live = await this.liveVersions(subject);
    for (const v of live) await this.#markDeleted(v);
    return live.map((v) => v.version);
  }

  async deleteVersion(subject: string, version: number | 'latest'): Promise<number> {
    const v = await this.version(subject, version);
    await this.#markDeleted(v);
    return v.version;
  }

  async #markDeleted(v: SubjectVersion): Promise<void> {
    await this.#store(() => this.#zk.set(`${this.#root}/subjects/${enc(v.subject)}/${pad(v.version)}`, JSON.stringify({ id: v.id, deleted: true })));
  }

  /** Whether `type` could be registered next to the given version (the subject's level; that version only). */
  async compatibleWith(subject: string, version: number | 'latest', type: AvroType): Promise<boolean> {
    const v = await this.version(subject, version);
    const old = await this.schemaById(v.id);
    const level = (await this.level(subject)).replace('_TRANSITIVE', '') as CompatibilityLevel;
    return compatibilityProblems(level, type, [old.type]).length === 0;
  }

  // ---- compatibility levels -------------------------------------------------------------------

  async #readLevel(path: string): Promise<CompatibilityLevel | undefined> {
    const node = await this.#store(() => this.#zk.get(path));
    if (!node) return undefined;
    const l = (JSON.parse(node.data.toString('utf8')) as { compatibilityLevel?: string }).compatibilityLevel;
    return isCompatibilityLevel(l) ? l : undefined;
  }

  async globalLevel(): Promise<CompatibilityLevel> {
    return (await this.#readLevel(`${this.#root}/config`)) ?? this.#defaultLevel;
  }
  subjectLevel(subject: string): Promise<CompatibilityLevel | undefined> {
    return this.#readLevel(`${this.#root}/subject_configs/${enc(subject)}`);
  }
  async level(subject: string): Promise<CompatibilityLevel> {
    return (await this.subjectLevel(subject)) ?? (await this.globalLevel());
  }

  async setLevel(subject: string | undefined, level: CompatibilityLevel): Promise<void> {
    const path = subject === undefined ? `${this.#root}/config` : `${this.#root}/subject_configs/${enc(subject)}`;
    const data = JSON.stringify({ compatibilityLevel: level });
    await this.#store(async () => {
      try {
        await this.#zk.set(path, data);
      } catch (err) {
        if (!(err instanceof NoNodeError)) throw err;
        try {
          await this.#zk.create(path, data, { parents: true });
        } catch (e) {
          if (!(e instanceof NodeExistsError)) throw e;
          await this.#zk.set(path, data);
        }
      }
    });
  }
}
