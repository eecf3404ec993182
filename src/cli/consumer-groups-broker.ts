/**
 * kafka-consumer-groups.sh --bootstrap-server H:P: the broker-coordinated groups (Kafka 0.9+),
 * shown and changed as Kafka 2.3's ConsumerGroupCommand does, through the coordinator client
 * (FindCoordinator, DescribeGroups, ListGroups, OffsetFetch, OffsetCommit, DeleteGroups) and
 * ListOffsets to the partitions' leaders.
 *
 *   --list                         the groups of every broker (protocol type 'consumer' or '',
 *                                  a group that only commits offsets), one per line
 *   --describe --group G [--group G2 ...] [--offsets | --members [--verbose] | --state]
 *       --offsets (default): GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
 *           one row per assigned partition (members with the most partitions first), then
 *           the committed partitions nobody is assigned ('-' for the member columns)
 *       --members: GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS [ASSIGNMENT with --verbose]
 *       --state:   GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS
 *       On stderr: "Consumer group 'G' has no active members." (Empty) or "Warning: Consumer
 *       group 'G' is rebalancing."; a group nobody knows (Dead) is an error, exit code 1.
 *   --reset-offsets --group G (--topic T[:p,p...] ... | --all-topics)
 *       (--to-earliest | --to-latest | --to-current | --to-offset N | --shift-by N |
 *        --to-datetime YYYY-MM-DDTHH:mm:SS.sss[Z|+hh:mm])  [--dry-run (default) | --execute]
 *       prints the plan: GROUP TOPIC PARTITION NEW-OFFSET. --to-offset and --shift-by are
 *       clamped to [log start, log end] (a WARN on stderr); --to-datetime takes the first offset
 *       with a timestamp at or after it, or the log end. --execute commits it (generation -1,
 *       no member) only while the group is Empty or Dead; a group with members is refused.
 *   --delete --group G [--group G2 ...]   DeleteGroups to each group's coordinator
 *
 * Errors go to stderr; anything refused exits 1. Bad input is checked before anything is sent.
 */
import { Cluster, call } from '../client/cluster.js';
import { CoordinatorClient, type CommittedOffset, type GroupDescription, type TopicPartition } from '../client/group/coordinator-client.js';
import { API_CODECS } from '../protocol/apis/index.js';
import { ApiKey } from '../protocol/api-keys.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../protocol/apis/list-offsets.js';
import type { MetadataTopic } from '../protocol/apis/metadata.js';
import { CONSUMER_PROTOCOL_TYPE } from '../protocol/consumer-protocol.js';
import { ErrorCode, errorName, isRetriable } from '../common/errors.js';
import { describeError, fail } from './common.js';
import { Output } from './stdout.js';
import { assigned, byTp, formatMembers, formatOffsets, formatResetPlan, formatState, type OffsetRow } from './consumer-groups-format.js';
import { checkBrokerOptions, type BrokerOptions, type ResetScenario, type ResetScope } from './consumer-groups-options.js';

const TOOL = 'kafka-consumer-groups';
const MISSING = '-';

export { checkBrokerOptions, parseDateTime, parseTopicArg, type BrokerOptions, type ResetScenario, type ResetScope } from './consumer-groups-options.js';
export { formatMembers, formatOffsets, formatResetPlan, formatState } from './consumer-groups-format.js';

// ---------------------------------------------------------------- the log's offsets

const tpKey = (t: string, p: number): string => `${t}\u0000${p}`;
const tpName = (t: string, p: number): string => `${t}-${p}`;

/**
 * The offset of each partition for a time (LATEST_TIMESTAMP: the high watermark, what a
 * consumer reads to; EARLIEST_TIMESTAMP: the log start; else the first offset with a timestamp
 * at or after it, -1 when there is none) by ListOffsets v1 to the leaders. A partition with no
 * leader, an unknown one, or one its leader keeps refusing is left out of the answer.
 */
async function logOffsets(cluster: Cluster, tps: readonly TopicPartition[], timestamp: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let todo = [...tps];
  for (let attempt = 1; todo.length > 0 && attempt <= 3; attempt++) {
    if (attempt > 1) {
      await new Promise((r) => setTimeout(r, 200 * attempt));
      await cluster.refresh().catch(() => undefined);
    }
    const retry: TopicPartition[] = [];
    const byLeader = new Map<number, TopicPartition[]>();
    for (const tp of todo) {
      const leader = cluster.leaderOf(tp.topic, tp.partition);
      if (leader < 0) retry.push(tp);
      else byLeader.set(leader, [...(byLeader.get(leader) ?? []), tp]);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        const topics = new Map<string, number[]>();
        for (const tp of list) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), tp.partition]);
        try {
          const res = (await call(cluster.connectionTo(leader), API_CODECS[ApiKey.ListOffsets], 1, {
            replicaId: -1,
            topics: [...topics].map(([topic, ps]) => ({ topic, partitions: ps.map((partition) => ({ partition, timestamp, maxNumOffsets: 1 })) })),
          }))!;
          for (const t of res.topics) {
            for (const p of t.partitions) {
              if (p.errorCode === ErrorCode.NONE) out.set(tpKey(t.topic, p.partition), p.offset ?? p.offsets?.[0] ?? -1);
              else if (isRetriable(p.errorCode)) retry.push({ topic: t.topic, partition: p.partition });
            }
          }
        } catch {
          retry.push(...list);
        }
      }),
    );
    todo = retry;
  }
  return out;
}

// ---------------------------------------------------------------- output

class Io {
  readonly out: Output;
  constructor() {
    this.out = new Output(TOOL);
  }
  line(s: string): void {
    this.out.out(s.trimEnd());
  }
  /** A line of stderr, as Kafka prints it (no tool prefix), after the stdout before it. */
  err(s: string): void {
    this.out.flush();
    process.stderr.write(`${s}\n`);
  }
}

/** Kafka's messages for a group's state; false when there is nothing to print for it. */
function announceState(io: Io, group: string, state: string, rows: number): boolean {
  switch (state) {
    case 'Dead':
      io.err(`Error: Consumer group '${group}' does not exist.`);
      return false;
    case 'Empty':
      io.err(`Consumer group '${group}' has no active members.`);
      break;
    case 'PreparingRebalance':
    case 'CompletingRebalance':
    case 'AwaitingSync':
      io.err(`Warning: Consumer group '${group}' is rebalancing.`);
      break;
  }
  return rows > 0;
}

// ---------------------------------------------------------------- the actions

/** Kafka's exception (simple name) and message for a DeleteGroups error. */
const DELETE_ERRORS: Record<number, string> = {
  [ErrorCode.NON_EMPTY_GROUP]: 'GroupNotEmptyException: The group is not empty.',
  [ErrorCode.GROUP_ID_NOT_FOUND]: 'GroupIdNotFoundException: The group id does not exist.',
  [ErrorCode.INVALID_GROUP_ID]: 'InvalidGroupIdException: The configured groupId is invalid.',
  [ErrorCode.GROUP_AUTHORIZATION_FAILED]: 'GroupAuthorizationException: Not authorized to access group.',
  [ErrorCode.COORDINATOR_NOT_AVAILABLE]: 'CoordinatorNotAvailableException: The coordinator is not available.',
  [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]: "CoordinatorLoadInProgressException: The coordinator is loading and hence can't process requests.",
  [ErrorCode.NOT_COORDINATOR]: 'NotCoordinatorException: This is not the correct coordinator.',
};

class Service {
  readonly cluster: Cluster;
  readonly cc: CoordinatorClient;
  readonly io = new Io();
  #metadata: Map<string, MetadataTopic> | undefined;

  constructor(readonly o: BrokerOptions) {
    this.cluster = new Cluster({ brokers: o.bootstrapServer, clientId: 'kafka-consumer-groups', requestTimeoutMs: Math.max(o.timeout, 1000), security: o.security });
    this.cc = new CoordinatorClient(this.cluster, { timeoutMs: o.timeout });
  }

  /** Every topic the brokers know (Metadata of all topics: nothing is auto-created). */
  async topics(): Promise<Map<string, MetadataTopic>> {
    if (!this.#metadata) this.#metadata = new Map((await this.cluster.refresh()).topics.map((t) => [t.topic, t]));
    return this.#metadata;
  }

  /** The groups described, each checked: undefined (with the error printed) for one that cannot be shown. */
  async describe(groups: string[]): Promise<Map<string, GroupDescription | undefined>> {
    const out = new Map<string, GroupDescription | undefined>();
    for (const d of await this.cc.describeGroups(groups, { timeoutMs: this.o.timeout })) {
      if (d.errorCode !== ErrorCode.NONE) {
        this.io.err(`Error: Executing consumer group command failed due to group '${d.groupId}': ${errorName(d.errorCode)}`);
        out.set(d.groupId, undefined);
      } else if (d.protocolType !== CONSUMER_PROTOCOL_TYPE && d.protocolType !== '') {
        this.io.err(`Error: Group '${d.groupId}' is not a consumer group (its protocol type is '${d.protocolType}').`);
        out.set(d.groupId, undefined);
      } else out.set(d.groupId, d);
    }
    return out;
  }

  async list(): Promise<number> {
    const r = await this.cc.listGroups({ timeoutMs: this.o.timeout });
    const ids = new Set(r.groups.filter((g) => g.protocolType === CONSUMER_PROTOCOL_TYPE || g.protocolType === '').map((g) => g.groupId));
    for (const id of ids) this.io.line(id);
    for (const e of r.errors) this.io.err(`Error: broker ${e.nodeId} did not list its groups: ${describeError(e.error)}`);
    return r.errors.length > 0 ? 1 : 0;
  }

  async describeGroups(): Promise<number> {
    const groups = [...new Set(this.o.group)].sort();
    const described = await this.describe(groups);
    let code = 0;
    for (const group of groups) {
      const d = described.get(group);
      if (!d) {
        code = 1;
        continue;
      }
      if (d.state === 'Dead') code = 1;
      if (this.o.members) {
        if (announceState(this.io, group, d.state, d.members.length)) for (const l of formatMembers(group, d, !!this.o.verbose)) this.io.line(l);
      } else if (this.o.state) {
        if (announceState(this.io, group, d.state, 1)) for (const l of formatState(group, d)) this.io.line(l);
      } else {
        const rows = d.state === 'Dead' ? [] : await this.offsetRows(group, d);
        if (announceState(this.io, group, d.state, rows.length)) for (const l of formatOffsets(rows)) this.io.line(l);
      }
    }
    return code;
  }

  /** The offsets view's rows: the assigned partitions by member (most partitions first), then the committed partitions nobody has. */
  async offsetRows(group: string, d: GroupDescription): Promise<OffsetRow[]> {
    const committed = new Map((await this.cc.fetchOffsets(group, null, { timeoutMs: this.o.timeout })).map((c) => [tpKey(c.topic, c.partition), c.offset]));
    const members = d.members
      .map((m) => ({ m, parts: assigned(m) }))
      .filter((x) => x.parts.length > 0)
      .sort((a, b) => b.parts.length - a.parts.length || (a.m.memberId < b.m.memberId ? -1 : 1));
    const rows: OffsetRow[] = [];
    const taken = new Set<string>();
    for (const { m, parts } of members) {
      for (const p of parts) {
        taken.add(tpKey(p.topic, p.partition));
        rows.push({ group, topic: p.topic, partition: p.partition, offset: committed.get(tpKey(p.topic, p.partition)), consumerId: m.memberId, host: m.clientHost, clientId: m.clientId });
      }
    }
    const unowned = [...committed]
      .filter(([k]) => !taken.has(k))
      .map(([k, offset]) => {
        const [topic, partition] = k.split('\u0000') as [string, string];
        return { group, topic, partition: Number(partition), offset, consumerId: MISSING, host: MISSING, clientId: MISSING };
      })
      .sort(byTp);
    rows.push(...unowned);
    if (rows.length > 0) {
      await this.topics();
      const ends = await logOffsets(this.cluster, rows, LATEST_TIMESTAMP);
      for (const r of rows) r.logEndOffset = ends.get(tpKey(r.topic, r.partition));
    }
    return rows;
  }

  async deleteGroups(): Promise<number> {
    const groups = [...new Set(this.o.group)];
    const codec = API_CODECS[ApiKey.DeleteGroups];
    const results = await Promise.all(
      groups.map(async (group): Promise<[string, string | null]> => {
        try {
          const { response } = await this.cc.send(group, codec, 1, { groups: [group] }, (r) => r.results.find((x) => x.groupId === group)?.errorCode ?? ErrorCode.UNKNOWN, {
            timeoutMs: this.o.timeout,
          });
          const code = response.results.find((x) => x.groupId === group)?.errorCode ?? ErrorCode.UNKNOWN;
          return [group, code === ErrorCode.NONE ? null : (DELETE_ERRORS[code] ?? errorName(code))];
        } catch (err) {
          return [group, describeError(err)];
        }
      }),
    );
    const ok = results.filter(([, e]) => e === null).map(([g]) => g);
    const failed = results.filter(([, e]) => e !== null);
    const quoted = (gs: string[]): string => gs.map((g) => `'${g}'`).join(', ');
    if (failed.length === 0) {
      this.io.line(`Deletion of requested consumer groups (${quoted(ok)}) was successful.`);
      return 0;
    }
    this.io.err('Error: Deletion of some consumer groups failed:');
    for (const [g, e] of failed) this.io.err(`* Group '${g}' could not be deleted due to: ${e}`);
    if (ok.length > 0) {
      this.io.line('');
      this.io.line(`These consumer groups were deleted successfully: ${quoted(ok)}`);
    }
    return 1;
  }

  async resetOffsets(scenario: ResetScenario, scope: ResetScope): Promise<number> {
    const groups = [...new Set(this.o.group)].sort();
    const execute = !!this.o.execute;
    if (!this.o.dryRun && !execute) this.io.err('WARN: No action will be performed as the --execute option is missing. Add --dry-run to say so, or --execute to reset the offsets.');
    const described = await this.describe(groups);
    const plan: { group: string; topic: string; partition: number; offset: number }[] = [];
    let code = 0;
    for (const group of groups) {
      const d = described.get(group);
      if (!d) {
        code = 1;
        continue;
      }
      if (d.state !== 'Empty' && d.state !== 'Dead') {
        this.io.err(`Error: Assignments can only be reset if the group '${group}' is inactive, but the current state is ${d.state}.`);
        code = 1;
        continue;
      }
      let offsets: { topic: string; partition: number; offset: number }[];
      try {
        offsets = await this.prepare(group, scenario, scope);
      } catch (err) {
        this.io.err(`Error: ${err instanceof Error ? err.message : String(err)}`);
        code = 1;
        continue;
      }
      if (offsets.length === 0) {
        if (d.state === 'Dead') {
          this.io.err(`Error: Consumer group '${group}' does not exist.`);
          code = 1;
        } else this.io.err(`Consumer group '${group}' has no committed offsets: nothing to reset.`);
        continue;
      }
      if (execute) {
        try {
          await this.cc.commitOffsets(group, offsets, { timeoutMs: this.o.timeout });
        } catch (err) {
          this.io.err(`Error: Executing consumer group command failed due to ${describeError(err)}`);
          code = 1;
          continue;
        }
      }
      plan.push(...offsets.map((x) => ({ group, ...x })));
    }
    if (plan.length > 0) for (const l of formatResetPlan(plan)) this.io.line(l);
    return code;
  }

  /** The new offset of every partition in scope; throws (nothing committed) when one cannot be found. */
  async prepare(group: string, scenario: ResetScenario, scope: ResetScope): Promise<{ topic: string; partition: number; offset: number }[]> {
    let committed: CommittedOffset[] | undefined;
    const getCommitted = async (): Promise<Map<string, number>> => {
      committed ??= await this.cc.fetchOffsets(group, null, { timeoutMs: this.o.timeout });
      return new Map(committed.filter((c) => c.offset >= 0).map((c) => [tpKey(c.topic, c.partition), c.offset]));
    };
    const topics = await this.topics();
    let tps: TopicPartition[];
    if (scope.all) {
      tps = [...(await getCommitted()).keys()].map((k) => {
        const [topic, partition] = k.split('\u0000') as [string, string];
        return { topic, partition: Number(partition) };
      });
    } else {
      tps = [];
      for (const t of scope.topics) {
        const meta = topics.get(t.topic);
        if (!meta || meta.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new Error(`Topic '${t.topic}' does not exist.`);
        const have = meta.partitions.map((p) => p.partition).sort((a, b) => a - b);
        const missing = (t.partitions ?? []).filter((p) => !have.includes(p));
        if (missing.length > 0) throw new Error(`Topic '${t.topic}' has no partition ${missing.join(', ')} (it has ${have.length}: ${have.join(',')}).`);
        for (const p of t.partitions ?? have) tps.push({ topic: t.topic, partition: p });
      }
    }
    tps = [...new Map(tps.map((tp) => [tpKey(tp.topic, tp.partition), tp])).values()].sort(byTp);
    if (tps.length === 0) return [];

    const need = async (timestamp: number, what: string): Promise<Map<string, number>> => {
      const got = await logOffsets(this.cluster, tps, timestamp);
      const lost = tps.find((tp) => !got.has(tpKey(tp.topic, tp.partition)));
      if (lost) throw new Error(`Error getting ${what} of topic partition: ${tpName(lost.topic, lost.partition)}`);
      return got;
    };
    /** Kafka's checkOffsetsRange: above the log end → the log end, below the log start → the log start. */
    const clamp = async (wanted: Map<string, number>): Promise<Map<string, number>> => {
      const start = await need(EARLIEST_TIMESTAMP, 'starting offset');
      const end = await need(LATEST_TIMESTAMP, 'ending offset');
      for (const tp of tps) {
        const k = tpKey(tp.topic, tp.partition);
        const o = wanted.get(k)!;
        if (o > end.get(k)!) {
          this.io.err(`WARN: New offset (${o}) is higher than latest offset for topic partition ${tpName(tp.topic, tp.partition)}. Value will be set to ${end.get(k)}`);
          wanted.set(k, end.get(k)!);
        } else if (o < start.get(k)!) {
          this.io.err(`WARN: New offset (${o}) is lower than earliest offset for topic partition ${tpName(tp.topic, tp.partition)}. Value will be set to ${start.get(k)}`);
          wanted.set(k, start.get(k)!);
        }
      }
      return wanted;
    };

    let result: Map<string, number>;
    switch (scenario.kind) {
      case 'earliest':
        result = await need(EARLIEST_TIMESTAMP, 'starting offset');
        break;
      case 'latest':
        result = await need(LATEST_TIMESTAMP, 'ending offset');
        break;
      case 'current': {
        const current = await getCommitted();
        const end = await need(LATEST_TIMESTAMP, 'ending offset');
        result = new Map(tps.map((tp) => [tpKey(tp.topic, tp.partition), current.get(tpKey(tp.topic, tp.partition)) ?? end.get(tpKey(tp.topic, tp.partition))!]));
        break;
      }
      case 'offset':
        result = await clamp(new Map(tps.map((tp) => [tpKey(tp.topic, tp.partition), scenario.offset])));
        break;
      case 'shift': {
        const current = await getCommitted();
        const wanted = new Map<string, number>();
        for (const tp of tps) {
          const c = current.get(tpKey(tp.topic, tp.partition));
          if (c === undefined) throw new Error(`Executing consumer group command failed due to Cannot shift offset for partition ${tpName(tp.topic, tp.partition)} since there is no current committed offset`);
          wanted.set(tpKey(tp.topic, tp.partition), c + scenario.by);
        }
        result = await clamp(wanted);
        break;
      }
      case 'datetime': {
        const at = await need(scenario.timestamp, 'offset by timestamp');
        // no record that new: the log end (Kafka's fallback)
        const late = tps.filter((tp) => at.get(tpKey(tp.topic, tp.partition))! < 0);
        if (late.length > 0) {
          const got = await logOffsets(this.cluster, late, LATEST_TIMESTAMP);
          for (const tp of late) {
            const k = tpKey(tp.topic, tp.partition);
            if (!got.has(k)) throw new Error(`Error getting offset by timestamp of topic partition: ${tpName(tp.topic, tp.partition)}`);
            at.set(k, got.get(k)!);
          }
        }
        result = at;
        break;
      }
    }
    return tps.map((tp) => ({ topic: tp.topic, partition: tp.partition, offset: result.get(tpKey(tp.topic, tp.partition))! }));
  }
}

/** Runs --bootstrap-server mode (options already parsed) and exits. */
export async function runBrokerMode(o: BrokerOptions): Promise<never> {
  const { scenario, scope } = checkBrokerOptions(o);
  let svc: Service;
  try {
    svc = new Service(o);
  } catch (err) {
    fail(TOOL, describeError(err));
  }
  let code = 0;
  try {
    if (o.list) code = await svc.list();
    else if (o.describe) code = await svc.describeGroups();
    else if (o.delete) code = await svc.deleteGroups();
    else code = await svc.resetOffsets(scenario!, scope!);
  } catch (err) {
    svc.io.err(`Error: Executing consumer group command failed due to ${describeError(err)}`);
    code = 1;
  } finally {
    svc.cluster.close();
  }
  return svc.io.out.exit(code);
}
