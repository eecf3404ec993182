/**
 * `--message.handler MODULE`: a JavaScript (.js, .mjs) or TypeScript (.ts, .mts) module whose
 * function maps one source record to zero or more target records (0.9's
 * MirrorMakerMessageHandler). The module exports it as `default` or as `handle`:
 *
 *   // drop the records of "audit", send "clicks" to "dc1.clicks", keep the others
 *   export default function (r, args) {
 *     if (r.topic === 'audit') return [];
 *     return { ...r, topic: r.topic === 'clicks' ? 'dc1.clicks' : r.topic };
 *   }
 *
 * It gets the source record (topic, partition, offset, timestamp, key, value, headers) and the
 * `--message.handler.args` string, and returns a record, an array of records, or null /
 * undefined / [] for none (a promise of these too). A returned record needs `topic`; key, value
 * and headers are what it carries (missing: none), timestamp defaults to the source record's.
 * Its `partition` is ignored: the mirror picks the target partition (the key's hash, or the
 * source partition with --preserve.partitions). A handler that throws stops the mirror like a
 * failed send with abort.on.send.failure: nothing past that record is committed.
 *
 * A TypeScript handler is compiled with the project's TypeScript (transpile only, no type
 * check) into a temporary .mjs file beside it, imported, and deleted.
 */
import { existsSync, unlinkSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../common/errors.js';
import type { ConsumerRecord } from '../client/connector/stream.js';
import type { Bytes } from '../client/producer/index.js';

export interface TargetRecord {
  topic: string;
  key?: Bytes;
  value?: Bytes;
  headers?: { key: string; value: Bytes }[];
  timestamp?: number;
}

export type HandlerResult = TargetRecord | TargetRecord[] | null | undefined;
export type MessageHandlerFn = (record: ConsumerRecord, args: string | undefined) => HandlerResult | Promise<HandlerResult>;

/** What the mirror calls: the target records for one source record (a promise only if the module's function returned one). */
export type MessageHandler = (record: ConsumerRecord) => TargetRecord[] | Promise<TargetRecord[]>;

/** Checks what a handler returned, as an array. */
export function handlerOutput(result: HandlerResult, source: ConsumerRecord): TargetRecord[] {
  if (result === null || result === undefined) return [];
  const list = Array.isArray(result) ? result : [result];
  for (const r of list) {
    if (r === null || typeof r !== 'object' || typeof r.topic !== 'string' || r.topic === '') {
      throw new TypeError(`the message handler returned ${JSON.stringify(r)} for ${source.topic}/${source.partition}@${source.offset}: a record needs a topic`);
    }
  }
  return list;
}

/** Loads a handler module (ConfigError naming the file when it cannot). */
export async function loadMessageHandler(file: string, args: string | undefined): Promise<MessageHandler> {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new ConfigError(`--message.handler ${file}: no such file`);
  let mod: Record<string, unknown>;
  try {
    mod = /\.m?ts$/.test(abs) ? await importTypeScript(abs) : ((await import(pathToFileURL(abs).href)) as Record<string, unknown>);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`--message.handler ${file} does not load: ${(err as Error).message}`, { cause: err });
  }
  const fn = typeof mod.default === 'function' ? mod.default : typeof mod.handle === 'function' ? mod.handle : undefined;
  if (!fn) throw new ConfigError(`--message.handler ${file} exports no function (export default function (record) {...}, or export function handle)`);
  const handler = fn as MessageHandlerFn;
  return (record) => {
    const out = handler(record, args);
    return isThenable(out) ? Promise.resolve(out).then((r) => handlerOutput(r, record)) : handlerOutput(out, record);
  };
}

function isThenable(v: unknown): v is PromiseLike<HandlerResult> {
  return typeof (v as PromiseLike<unknown> | null)?.then === 'function';
}

async function importTypeScript(abs: string): Promise<Record<string, unknown>> {
  let ts: typeof import('typescript');
  try {
    ts = (await import('typescript')).default;
  } catch {
    throw new ConfigError(`--message.handler ${abs}: a TypeScript handler needs the typescript package (npm install); or give a .js file`);
  }
  const out = ts.transpileModule(readFileSync(abs, 'utf8'), {
    fileName: abs,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    reportDiagnostics: true,
  });
  const problems = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (problems.length > 0) throw new ConfigError(`--message.handler ${abs} does not compile: ${ts.flattenDiagnosticMessageText(problems[0]!.messageText, ' ')}`);
  // beside the source, so that its relative imports resolve as they would for the .ts file
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs).replace(/\.m?ts$/, '')}.${process.pid}.${Date.now()}.mjs`);
  writeFileSync(tmp, out.outputText);
  try {
    return (await import(pathToFileURL(tmp).href)) as Record<string, unknown>;
  } finally {
    unlinkSync(tmp);
  }
}
