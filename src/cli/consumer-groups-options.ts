/**
 * kafka-consumer-groups.sh --bootstrap-server: the options of broker mode and their checks
 * (consumer-groups-broker.ts runs them). Everything is checked before anything is sent: a bad
 * combination, an unknown scenario, a malformed --topic or --to-datetime is an error, exit 1.
 */
import { fail } from './common.js';
import type { ClientSecurity } from '../network/client-security.js';

const TOOL = 'kafka-consumer-groups';

export interface BrokerOptions {
  bootstrapServer: string;
  list?: boolean;
  describe?: boolean;
  delete?: boolean;
  resetOffsets?: boolean;
  group: string[];
  topic: string[];
  allTopics?: boolean;
  offsets?: boolean;
  members?: boolean;
  state?: boolean;
  verbose?: boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toCurrent?: boolean;
  toOffset?: string;
  shiftBy?: string;
  toDatetime?: string;
  dryRun?: boolean;
  execute?: boolean;
  timeout: number;
  /** TLS / SASL to the brokers, from --command-config (security.protocol, ssl.*, sasl.*). */
  security?: ClientSecurity;
}

/** What --reset-offsets sets each partition to. */
export type ResetScenario =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'current' }
  | { kind: 'offset'; offset: number }
  | { kind: 'shift'; by: number }
  | { kind: 'datetime'; timestamp: number };

/** The partitions --reset-offsets works on: every committed one, or the topics named (all their partitions, or those listed). */
export type ResetScope = { all: true } | { all: false; topics: { topic: string; partitions: number[] | null }[] };

// ---------------------------------------------------------------- parsing

/**
 * --to-datetime: 'YYYY-MM-DDTHH:mm:SS.sss' (the milliseconds may be left out), in UTC unless
 * it ends in Z, ±hh, ±hhmm or ±hh:mm, as Kafka reads it. Undefined when it does not parse or
 * names a day or time that does not exist.
 */
export function parseDateTime(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(s.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  const t = Date.UTC(y, mo - 1, d, h, mi, sec, ms);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h || back.getUTCMinutes() !== mi || back.getUTCSeconds() !== sec) {
    return undefined;
  }
  const zone = m[8];
  if (!zone || zone === 'Z') return t;
  const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
  const minutes = Number(zm[2]) * 60 + Number(zm[3] ?? 0);
  if (Number(zm[2]) > 23 || Number(zm[3] ?? 0) > 59) return undefined;
  return t - (zm[1] === '+' ? 1 : -1) * minutes * 60_000;
}

/** "T", "T:0,1,2" → the topic and its partitions (null: all of them). */
export function parseTopicArg(arg: string): { topic: string; partitions: number[] | null } | string {
  const i = arg.indexOf(':');
  if (i < 0) return arg === '' ? 'an empty --topic' : { topic: arg, partitions: null };
  const topic = arg.slice(0, i);
  const list = arg.slice(i + 1).split(',').map((s) => s.trim());
  if (topic === '' || list.some((p) => !/^\d+$/.test(p))) return `--topic "${arg}" must be a topic or topic:partition,partition,...`;
  return { topic, partitions: [...new Set(list.map(Number))].sort((a, b) => a - b) };
}

const INTEGER = /^[+-]?\d+$/;

/** Checks the options of --bootstrap-server mode; fails (exit 1, nothing sent) on bad input. */
export function checkBrokerOptions(o: BrokerOptions): { scenario?: ResetScenario; scope?: ResetScope } {
  const actions = [o.list, o.describe, o.delete, o.resetOffsets].filter(Boolean).length;
  if (actions !== 1) fail(TOOL, 'Command must include exactly one action: --list, --describe, --delete, --reset-offsets');
  const action = o.list ? '--list' : o.describe ? '--describe' : o.delete ? '--delete' : '--reset-offsets';
  if (!o.list && o.group.length === 0) fail(TOOL, `${action} needs --group`);
  if (o.list && o.group.length > 0) fail(TOOL, '--group cannot be used with --list');
  if (o.group.some((g) => g === '')) fail(TOOL, 'the group id must not be empty');

  const viewOpts = (['offsets', 'members', 'state', 'verbose'] as const).filter((k) => o[k]);
  if (!o.describe && viewOpts.length > 0) fail(TOOL, `--${viewOpts[0]} can only be used with --describe`);
  if ([o.offsets, o.members, o.state].filter(Boolean).length > 1) fail(TOOL, '--offsets, --members and --state are mutually exclusive');

  const resetOpts = ['toEarliest', 'toLatest', 'toCurrent', 'toOffset', 'shiftBy', 'toDatetime', 'dryRun', 'execute', 'allTopics'] as const;
  const flag = (k: string): string => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const stray = resetOpts.filter((k) => o[k] !== undefined && o[k] !== false);
  if (!o.resetOffsets && stray.length > 0) fail(TOOL, `${flag(stray[0]!)} can only be used with --reset-offsets`);
  if (o.topic.length > 0 && !o.resetOffsets) {
    fail(TOOL, o.delete ? 'The consumer does not support topic-specific offset deletion from a consumer group.' : '--topic can only be used with --reset-offsets (with --bootstrap-server)');
  }
  if (!o.resetOffsets) return {};

  if (o.dryRun && o.execute) fail(TOOL, '--reset-offsets only accepts one of --execute and --dry-run');
  const scenarios = (['toEarliest', 'toLatest', 'toCurrent', 'toOffset', 'shiftBy', 'toDatetime'] as const).filter((k) => o[k] !== undefined && o[k] !== false);
  if (scenarios.length !== 1) {
    fail(TOOL, `--reset-offsets requires exactly one of the following scenarios: --to-earliest, --to-latest, --to-current, --to-offset, --shift-by, --to-datetime${scenarios.length > 1 ? ` (got ${scenarios.map(flag).join(', ')})` : ''}`);
  }
  let scenario: ResetScenario;
  if (o.toEarliest) scenario = { kind: 'earliest' };
  else if (o.toLatest) scenario = { kind: 'latest' };
  else if (o.toCurrent) scenario = { kind: 'current' };
  else if (o.toOffset !== undefined) {
    if (!INTEGER.test(o.toOffset)) fail(TOOL, `--to-offset must be an integer, got "${o.toOffset}"`);
    scenario = { kind: 'offset', offset: Number(o.toOffset) };
  } else if (o.shiftBy !== undefined) {
    if (!INTEGER.test(o.shiftBy)) fail(TOOL, `--shift-by must be an integer (negative to go back), got "${o.shiftBy}"`);
    scenario = { kind: 'shift', by: Number(o.shiftBy) };
  } else {
    const timestamp = parseDateTime(o.toDatetime!);
    if (timestamp === undefined) fail(TOOL, `--to-datetime must be YYYY-MM-DDTHH:mm:SS.sss (UTC, or ending in Z or +hh:mm), got "${o.toDatetime}"`);
    scenario = { kind: 'datetime', timestamp };
  }
  if (o.allTopics && o.topic.length > 0) fail(TOOL, '--all-topics and --topic cannot be used together');
  if (!o.allTopics && o.topic.length === 0) fail(TOOL, 'One of the reset scopes should be defined: --all-topics, --topic.');
  let scope: ResetScope;
  if (o.allTopics) scope = { all: true };
  else {
    const topics = o.topic.map(parseTopicArg);
    const bad = topics.find((t) => typeof t === 'string');
    if (bad !== undefined) fail(TOOL, bad as string);
    scope = { all: false, topics: topics as { topic: string; partitions: number[] | null }[] };
  }
  return { scenario, scope };
}
