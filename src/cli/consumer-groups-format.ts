/**
 * kafka-consumer-groups.sh --bootstrap-server: the tables it prints, with Kafka 2.3's columns
 * (ConsumerGroupCommand): offsets, members, state, and a reset's plan.
 */
import type { GroupDescription, TopicPartition } from '../client/group/coordinator-client.js';

const MISSING = '-';

export const byTp = (a: TopicPartition, b: TopicPartition): number => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition);

const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const show = (v: number | string | undefined): string => (v === undefined ? MISSING : String(v));

export interface OffsetRow {
  group: string;
  topic: string;
  partition: number;
  offset?: number;
  logEndOffset?: number;
  consumerId: string;
  host: string;
  clientId: string;
}

export function assigned(m: GroupDescription['members'][number]): TopicPartition[] {
  return (m.assignment?.topics ?? []).flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))).sort(byTp);
}

export function formatOffsets(rows: readonly OffsetRow[]): string[] {
  let [g, t, c, h] = [15, 15, 15, 15];
  for (const r of rows) {
    g = Math.max(g, r.group.length);
    t = Math.max(t, r.topic.length);
    c = Math.max(c, r.consumerId.length);
    h = Math.max(h, r.host.length);
  }
  const line = (cols: string[]): string =>
    `${pad(cols[0]!, g)} ${pad(cols[1]!, t)} ${pad(cols[2]!, 10)} ${pad(cols[3]!, 15)} ${pad(cols[4]!, 15)} ${pad(cols[5]!, 15)} ${pad(cols[6]!, c)} ${pad(cols[7]!, h)} ${cols[8]}`;
  return [
    '',
    line(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID']),
    ...rows.map((r) => {
      const lag = r.offset !== undefined && r.offset !== -1 && r.logEndOffset !== undefined ? r.logEndOffset - r.offset : undefined;
      return line([r.group, r.topic, String(r.partition), show(r.offset), show(r.logEndOffset), show(lag), r.consumerId, r.host, r.clientId]);
    }),
  ];
}

export function formatMembers(group: string, d: GroupDescription, verbose: boolean): string[] {
  const rows = d.members.map((m) => ({ id: m.memberId, host: m.clientHost, client: m.clientId, parts: assigned(m) }));
  let [g, c, h, cl] = [Math.max(15, group.length), 15, 15, 15];
  for (const r of rows) {
    c = Math.max(c, r.id.length);
    h = Math.max(h, r.host.length);
    cl = Math.max(cl, r.client.length);
  }
  const line = (cols: string[], assignment: string): string => `${pad(cols[0]!, g)} ${pad(cols[1]!, c)} ${pad(cols[2]!, h)} ${pad(cols[3]!, cl)} ${pad(cols[4]!, 15)} ${verbose ? assignment : ''}`;
  const assignmentOf = (parts: TopicPartition[]): string => {
    if (parts.length === 0) return MISSING;
    const topics = new Map<string, number[]>();
    for (const p of parts) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
    return [...topics].map(([t, ps]) => `${t}(${ps.sort((a, b) => a - b).join(',')})`).sort().join(', ');
  };
  return ['', line(['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS'], 'ASSIGNMENT'), ...rows.map((r) => line([group, r.id, r.host, r.client, String(r.parts.length)], assignmentOf(r.parts)))];
}

export function formatState(group: string, d: GroupDescription): string[] {
  const coordinator = d.coordinator ? `${d.coordinator.host}:${d.coordinator.port} (${d.coordinator.nodeId})` : MISSING;
  const g = Math.max(15, group.length);
  const c = Math.max(25, coordinator.length);
  const line = (cols: string[]): string => `${pad(cols[0]!, g)} ${pad(cols[1]!, c)} ${pad(cols[2]!, 20)} ${pad(cols[3]!, 15)} ${cols[4]}`;
  return ['', line(['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS']), line([group, coordinator, d.protocol, d.state, String(d.members.length)])];
}

export function formatResetPlan(plan: readonly { group: string; topic: string; partition: number; offset: number }[]): string[] {
  const line = (cols: string[]): string => `${pad(cols[0]!, 30)} ${pad(cols[1]!, 30)} ${pad(cols[2]!, 10)} ${cols[3]}`;
  return ['', line(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET']), ...plan.map((p) => line([p.group, p.topic, String(p.partition), String(p.offset)]))];
}
