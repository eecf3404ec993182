/**
 * The ZooKeeper-coordinated consumer groups (0.8's registries), kept current by watches:
 *
 *   /consumers                              children: the groups
 *   /consumers/<G>/ids, .../ids/<id>        the members and their subscriptions
 *   /consumers/<G>/owners/<T>/<P>           which consumer thread owns each partition
 *   /consumers/<G>/offsets/<T>/<P>          committed offsets; the znode's mtime is the commit
 *                                           time (as Burrow reads it)
 *
 * A rebalance is seen from outside: it starts when the group's assignment stops being complete
 * (a member joined or left, an owner was released) and is done when every partition of every
 * subscribed topic is owned by a thread of a live member again, and every member owns something
 * when there are partitions enough; its duration goes to the timeline with the new owners.
 * Lag is the log end (from the brokers, `logEnd`) minus the committed offset; the status per
 * group follows Burrow's rules (burrow.ts) over a window of commits.
 */
import { consumerIdsPath, consumerOffsetsPath, consumerOffsetsRootPath, consumerOwnersPath, consumerOwnersRootPath, consumerGroupPath, consumersPath, offsetPath, ownerPath } from '../zk/paths.js';
import { decodeConsumerRegistration, decodeOffset, decodeOwner, type ConsumerRegistration } from '../zk/payloads.js';
import type { ZkNode } from '../zk/client.js';
import { addCommit, evaluatePartition, groupStatus, type BurrowOptions, type Commit, type GroupStatus, type PartitionStatus } from './burrow.js';
import type { Section } from './cluster-state.js';
import type { Timeline } from './timeline.js';
import { diffNames, type WatchTree } from './watch-tree.js';

export interface GroupPartitionView {
  topic: string;
  partition: number;
  owner: string | undefined;
  /** The member (consumer id) whose thread owns it. */
  ownerMember: string | undefined;
  offset: number | undefined;
  lastCommit: number | undefined;
  logEnd: number | undefined;
  lag: number | undefined;
  status: PartitionStatus;
}

export interface GroupView {
  group: string;
  state: 'Stable' | 'Rebalancing' | 'Empty';
  status: GroupStatus;
  members: { id: string; subscription: Record<string, number>; pattern: string; since: number | undefined; owned: number }[];
  partitions: GroupPartitionView[];
  totalLag: number;
  rebalanceStartedAt: number | undefined;
  lastRebalance: { startedAt: number; durationMs: number; endedAt: number } | undefined;
}

interface OffsetEntry {
  offset: number;
  mtime: number;
  history: Commit[];
}

interface Group {
  members: Map<string, ConsumerRegistration | undefined>;
  owners: Map<string, Map<number, string>>;
  offsets: Map<string, Map<number, OffsetEntry>>;
  membersLoaded: boolean;
  /** A group the map found at its start: incomplete while its znodes are first read is no rebalance (until then). */
  settleUntil: number;
  rebalanceStartedAt: number | undefined;
  lastRebalance: GroupView['lastRebalance'];
}

/** How long the znodes of a group found at the map's start may take to be read before an incomplete assignment counts as a rebalance. */
const SETTLE_MS = 2000;

export interface GroupSources {
  partitionsOf: (topic: string) => number[] | undefined;
  topicNames: () => string[];
  logEnd: (topic: string, partition: number) => number | undefined;
}

export class GroupState {
  readonly #tree: WatchTree;
  readonly #timeline: Timeline;
  readonly #changed: (s: Section) => void;
  readonly #src: GroupSources;
  readonly #burrow: BurrowOptions;
  readonly #groups = new Map<string, Group>();
  #loaded = false;

  constructor(tree: WatchTree, timeline: Timeline, changed: (s: Section) => void, sources: GroupSources, burrow: BurrowOptions) {
    this.#tree = tree;
    this.#timeline = timeline;
    this.#changed = changed;
    this.#src = sources;
    this.#burrow = burrow;
  }

  start(): void {
    this.#tree.children(consumersPath, (groups) => this.#onGroups(groups ?? []));
  }

  #onGroups(children: string[]): void {
    const { added, removed } = diffNames(new Set(this.#groups.keys()), children);
    for (const g of added) {
      const settleUntil = this.#loaded ? 0 : Date.now() + SETTLE_MS;
      this.#groups.set(g, { members: new Map(), owners: new Map(), offsets: new Map(), membersLoaded: false, settleUntil, rebalanceStartedAt: undefined, lastRebalance: undefined });
      if (this.#loaded) this.#timeline.add('group-created', `consumer group ${g} created`, { group: g });
      this.#tree.children(consumerIdsPath(g), (ids) => this.#onMembers(g, ids ?? []));
      this.#tree.children(consumerOwnersRootPath(g), (topics) => this.#onSubtree(g, 'owners', topics ?? []));
      this.#tree.children(consumerOffsetsRootPath(g), (topics) => this.#onSubtree(g, 'offsets', topics ?? []));
    }
    for (const g of removed) {
      this.#groups.delete(g);
      this.#tree.drop(consumerGroupPath(g));
      this.#timeline.add('group-deleted', `consumer group ${g} deleted`, { group: g });
    }
    this.#loaded = true;
    this.#changed('groups');
  }

  #onMembers(group: string, ids: string[]): void {
    const g = this.#groups.get(group);
    if (!g) return;
    const { added, removed } = diffNames(new Set(g.members.keys()), ids);
    for (const id of added) {
      g.members.set(id, undefined);
      this.#tree.data(`${consumerIdsPath(group)}/${id}`, (node) => this.#onMember(group, id, node));
    }
    for (const id of removed) {
      g.members.delete(id);
      this.#tree.drop(`${consumerIdsPath(group)}/${id}`);
    }
    if (g.membersLoaded && (added.length > 0 || removed.length > 0)) {
      const what = [...added.map((m) => `${m} joined`), ...removed.map((m) => `${m} left`)].join(', ');
      this.#startRebalance(group, g, what);
    }
    g.membersLoaded = true;
    this.#evaluate(group, g);
  }

  #onMember(group: string, id: string, node: ZkNode | undefined): void {
    const g = this.#groups.get(group);
    if (!g || !g.members.has(id) || !node) return;
    try {
      g.members.set(id, decodeConsumerRegistration(node.data));
    } catch {
      /* unreadable registration: a member without a known subscription */
    }
    this.#evaluate(group, g);
  }

  /** owners/<T> or offsets/<T> appeared or went: watch each topic's partitions. */
  #onSubtree(group: string, kind: 'owners' | 'offsets', topics: string[]): void {
    const g = this.#groups.get(group);
    if (!g) return;
    const map = kind === 'owners' ? g.owners : g.offsets;
    const { added, removed } = diffNames(new Set(map.keys()), topics);
    const pathOf = kind === 'owners' ? consumerOwnersPath : consumerOffsetsPath;
    for (const t of added) {
      map.set(t, new Map());
      this.#tree.children(pathOf(group, t), (parts) => this.#onPartitions(group, kind, t, parts ?? []));
    }
    for (const t of removed) {
      map.delete(t);
      this.#tree.drop(pathOf(group, t));
    }
    this.#evaluate(group, g);
  }

  #onPartitions(group: string, kind: 'owners' | 'offsets', topic: string, parts: string[]): void {
    const g = this.#groups.get(group);
    const byPartition = (kind === 'owners' ? g?.owners : g?.offsets)?.get(topic);
    if (!g || !byPartition) return;
    // a partition whose znode was not read yet is watched again: WatchTree ignores a path it watches
    const { added, removed } = diffNames(new Set([...byPartition.keys()].map(String)), parts.filter((p) => /^\d+$/.test(p)));
    for (const p of added.map(Number)) {
      const path = kind === 'owners' ? ownerPath(group, topic, p) : offsetPath(group, topic, p);
      this.#tree.data(path, (node) => (kind === 'owners' ? this.#onOwner(group, topic, p, node) : this.#onOffset(group, topic, p, node)));
    }
    for (const p of removed.map(Number)) {
      byPartition.delete(p);
      this.#tree.drop(kind === 'owners' ? ownerPath(group, topic, p) : offsetPath(group, topic, p));
    }
    this.#evaluate(group, g);
  }

  #onOwner(group: string, topic: string, partition: number, node: ZkNode | undefined): void {
    const g = this.#groups.get(group);
    const owners = g?.owners.get(topic);
    if (!g || !owners) return;
    let owner: string | undefined;
    try {
      owner = node ? decodeOwner(node.data) : undefined;
    } catch {
      owner = undefined;
    }
    if (owner === undefined) owners.delete(partition);
    else owners.set(partition, owner);
    this.#evaluate(group, g);
  }

  #onOffset(group: string, topic: string, partition: number, node: ZkNode | undefined): void {
    const g = this.#groups.get(group);
    const offsets = g?.offsets.get(topic);
    if (!g || !offsets || !node) return;
    let offset: number;
    try {
      offset = Number(decodeOffset(node.data));
    } catch {
      return;
    }
    const end = this.#src.logEnd(topic, partition);
    const before = offsets.get(partition);
    const commit: Commit = { offset, time: node.stat.mtime, lag: end === undefined ? undefined : Math.max(0, end - offset) };
    offsets.set(partition, { offset, mtime: node.stat.mtime, history: addCommit(before?.history ?? [], commit, this.#burrow.window) });
    this.#changed('groups');
  }

  // ---- rebalances ---------------------------------------------------------------------------

  #startRebalance(group: string, g: Group, why: string): void {
    if (g.rebalanceStartedAt !== undefined) return;
    g.rebalanceStartedAt = Date.now();
    this.#timeline.add('rebalance-start', `group ${group}: rebalance started (${why})`, { group }, g.rebalanceStartedAt);
  }

  /** Topics the live members subscribe to (patterns matched against the topics that exist). */
  #subscribedTopics(g: Group): Set<string> {
    const out = new Set<string>();
    for (const reg of g.members.values()) {
      if (!reg) continue;
      if (reg.pattern === 'static') {
        for (const t of Object.keys(reg.subscription)) out.add(t);
        continue;
      }
      for (const pattern of Object.keys(reg.subscription)) {
        let re: RegExp;
        try {
          re = new RegExp(`^(?:${pattern.replace(/,/g, '|')})$`);
        } catch {
          continue;
        }
        for (const t of this.#src.topicNames()) if (re.test(t) === (reg.pattern === 'white_list') && !t.startsWith('__')) out.add(t);
      }
    }
    return out;
  }

  #memberOf(g: Group, owner: string): string | undefined {
    for (const m of g.members.keys()) if (owner === m || owner.startsWith(`${m}-`)) return m;
    return undefined;
  }

  /** Whether every subscribed partition is owned by a live member's thread (and members share them). */
  #complete(g: Group): boolean {
    if (g.members.size === 0) return [...g.owners.values()].every((o) => o.size === 0); // the last one left: done once its owners are gone
    if ([...g.members.values()].some((r) => r === undefined)) return false;
    const owning = new Set<string>();
    let total = 0;
    for (const t of this.#subscribedTopics(g)) {
      const parts = this.#src.partitionsOf(t) ?? [];
      for (const p of parts) {
        total++;
        const o = g.owners.get(t)?.get(p);
        const m = o === undefined ? undefined : this.#memberOf(g, o);
        if (m === undefined) return false;
        owning.add(m);
      }
    }
    for (const owners of g.owners.values()) for (const o of owners.values()) if (this.#memberOf(g, o) === undefined) return false;
    return total < g.members.size || owning.size === g.members.size;
  }

  #evaluate(group: string, g: Group): void {
    if (g.membersLoaded && this.#groups.get(group) === g) {
      const complete = this.#complete(g);
      const settling = g.settleUntil - Date.now();
      if (complete) g.settleUntil = 0;
      if (!complete && settling > 0) setTimeout(() => this.#evaluate(group, g), settling + 1).unref();
      else if (!complete) this.#startRebalance(group, g, 'partitions without a live owner');
      else if (g.rebalanceStartedAt !== undefined) {
        const endedAt = Date.now();
        const durationMs = endedAt - g.rebalanceStartedAt;
        g.lastRebalance = { startedAt: g.rebalanceStartedAt, durationMs, endedAt };
        g.rebalanceStartedAt = undefined;
        const byMember = new Map<string, string[]>();
        for (const [t, owners] of [...g.owners].sort((a, b) => a[0].localeCompare(b[0]))) {
          for (const [p, o] of [...owners].sort((a, b) => a[0] - b[0])) {
            const list = byMember.get(o) ?? [];
            list.push(`${t}-${p}`);
            byMember.set(o, list);
          }
        }
        const summary = [...byMember].sort((a, b) => a[0].localeCompare(b[0])).map(([o, ps]) => `${o}: ${ps.join(' ')}`).join('; ');
        this.#timeline.add('rebalance-done', `group ${group}: rebalance done in ${durationMs} ms, ${g.members.size} member(s)${summary ? `; owners ${summary}` : ''}`, { group, durationMs }, endedAt);
      }
    }
    this.#changed('groups');
  }

  /** Topic partitions whose log end the groups need (subscribed, owned or committed). */
  partitionsOfInterest(): { topic: string; partition: number }[] {
    const keys = new Set<string>();
    for (const g of this.#groups.values()) {
      for (const t of this.#topicsOf(g)) for (const p of this.#partitionsOfTopic(g, t)) keys.add(`${p}\u0000${t}`);
    }
    return [...keys].map((k) => {
      const i = k.indexOf('\u0000');
      return { topic: k.slice(i + 1), partition: Number(k.slice(0, i)) };
    });
  }

  #topicsOf(g: Group): string[] {
    return [...new Set([...this.#subscribedTopics(g), ...g.owners.keys(), ...g.offsets.keys()])].sort();
  }

  #partitionsOfTopic(g: Group, t: string): number[] {
    const ids = new Set([...(this.#src.partitionsOf(t) ?? []), ...(g.owners.get(t)?.keys() ?? []), ...(g.offsets.get(t)?.keys() ?? [])]);
    return [...ids].sort((a, b) => a - b);
  }

  // ---- views --------------------------------------------------------------------------------

  groupNames(): string[] {
    return [...this.#groups.keys()].sort();
  }

  groupView(group: string, now = Date.now()): GroupView | undefined {
    const g = this.#groups.get(group);
    if (!g) return undefined;
    const partitions: GroupPartitionView[] = [];
    const owned = new Map<string, number>();
    for (const t of this.#topicsOf(g)) {
      for (const p of this.#partitionsOfTopic(g, t)) {
        const owner = g.owners.get(t)?.get(p);
        const ownerMember = owner === undefined ? undefined : this.#memberOf(g, owner);
        if (ownerMember) owned.set(ownerMember, (owned.get(ownerMember) ?? 0) + 1);
        const o = g.offsets.get(t)?.get(p);
        const logEnd = this.#src.logEnd(t, p);
        const lag = logEnd !== undefined && o !== undefined ? Math.max(0, logEnd - o.offset) : undefined;
        const status = evaluatePartition(o?.history ?? [], lag, now, this.#burrow);
        partitions.push({ topic: t, partition: p, owner, ownerMember, offset: o?.offset, lastCommit: o?.mtime, logEnd, lag, status });
      }
    }
    const members = [...g.members].sort((a, b) => a[0].localeCompare(b[0])).map(([id, r]) => ({
      id,
      subscription: r?.subscription ?? {},
      pattern: r?.pattern ?? 'static',
      since: r?.timestamp || undefined,
      owned: owned.get(id) ?? 0,
    }));
    const rebalancing = g.rebalanceStartedAt !== undefined;
    return {
      group,
      state: rebalancing ? 'Rebalancing' : members.length === 0 ? 'Empty' : 'Stable',
      status: groupStatus(partitions.map((p) => p.status)),
      members,
      partitions,
      totalLag: partitions.reduce((n, p) => n + (p.lag ?? 0), 0),
      rebalanceStartedAt: g.rebalanceStartedAt,
      lastRebalance: g.lastRebalance,
    };
  }

  groupsView(now = Date.now()): GroupView[] {
    return this.groupNames().map((g) => this.groupView(g, now)!);
  }
}
