/**
 * kafka-consumer-groups.sh: exactly one of
 *   --bootstrap-server H:P   the broker-coordinated groups (Kafka 0.9+): list, describe
 *                            (--offsets, --members [--verbose], --state), --reset-offsets,
 *                            --delete, as Kafka 2.x does it (see consumer-groups-broker.ts)
 *   --zookeeper H:P          the ZooKeeper-coordinated groups (/consumers/<G>), below.
 *
 *   --list                          one group per line
 *   --describe --group G [--topic T] [--format table|offset-checker]
 *       table (default), as kafka-consumer-groups.sh printed it:
 *         TOPIC  PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  OWNER
 *       offset-checker, as 0.8's ConsumerOffsetChecker printed it:
 *         Group  Topic  Pid  Offset  logSize  Lag  Owner
 *       Unknown values print as "unknown", a partition nobody owns as "none".
 *   --delete --group G              removes a group with no live member (its offsets too)
 *
 * --command-config F: client properties (security.protocol, ssl.*, sasl.*) for talking to the
 * brokers: every call in --bootstrap-server mode, the log end offsets in --zookeeper mode (read
 * from the brokers' endpoints of that protocol).
 */
import { consumerGroupPath, consumerIdsPath } from '../zk/paths.js';
import { describeGroup, groupExists, type GroupDescription } from '../client/connector/group-describe.js';
import { listGroups } from '../client/connector/registry.js';
import { collect, describeError, fail, newProgram, positiveInt, runWithZooKeeper } from './common.js';
import { securityProperties } from '../client/producer/config.js';
import { readPropertiesFile } from '../common/properties.js';
import type { ClientSecurity } from '../network/client-security.js';
import { runBrokerMode, type BrokerOptions } from './consumer-groups-broker.js';

const TOOL = 'kafka-consumer-groups';

interface Opts extends Omit<BrokerOptions, 'bootstrapServer' | 'security'> {
  zookeeper?: string;
  commandConfig?: string;
  bootstrapServer?: string;
  format?: string;
}

const show = (v: number | string | undefined, none = 'unknown'): string => (v === undefined ? none : String(v));
const pad = (s: string, n: number): string => (s.length >= n ? s : s + ' '.repeat(n - s.length));

export function formatTable(d: GroupDescription): string {
  const head = `${pad('TOPIC', 30)} ${pad('PARTITION', 10)} ${pad('CURRENT-OFFSET', 15)} ${pad('LOG-END-OFFSET', 15)} ${pad('LAG', 15)} OWNER`;
  const rows = d.partitions.map(
    (r) => `${pad(r.topic, 30)} ${pad(String(r.partition), 10)} ${pad(show(r.currentOffset), 15)} ${pad(show(r.logEndOffset), 15)} ${pad(show(r.lag), 15)} ${show(r.owner, 'none')}`,
  );
  return [head, ...rows].join('\n');
}

export function formatOffsetChecker(d: GroupDescription): string {
  const head = `${pad('Group', 15)} ${pad('Topic', 30)} ${pad('Pid', 3)} ${pad('Offset', 15)} ${pad('logSize', 15)} ${pad('Lag', 15)} Owner`;
  const rows = d.partitions.map(
    (r) => `${pad(d.group, 15)} ${pad(r.topic, 30)} ${pad(String(r.partition), 3)} ${pad(show(r.currentOffset), 15)} ${pad(show(r.logEndOffset), 15)} ${pad(show(r.lag), 15)} ${show(r.owner, 'none')}`,
  );
  return [head, ...rows].join('\n');
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-consumer-groups.sh', 'List, describe, reset the offsets of and delete consumer groups: those coordinated by ZooKeeper (--zookeeper) or by the brokers (--bootstrap-server)')
    .option('--zookeeper <connect>', 'the ZooKeeper-coordinated groups (/consumers): host:port[,host:port...][/chroot]')
    .option('--bootstrap-server <list>', 'the broker-coordinated groups (Kafka 0.9+): the brokers to bootstrap from, host1:port1,host2:port2')
    .option('--list', 'list every group')
    .option('--describe', 'show offsets, lag and owners of a group (with --group)')
    .option('--delete', 'delete a group with no live member (with --group; --bootstrap-server: one or more --group)')
    .option('--reset-offsets', '--bootstrap-server: reset the committed offsets of an inactive group (with --group, a scope and a scenario)')
    .option('--group <group>', 'the group (--bootstrap-server: repeatable)', collect, [])
    .option('--topic <topic>', '--zookeeper --describe: only this topic; --reset-offsets: a topic, or topic:p1,p2 (repeatable)', collect, [])
    .option('--all-topics', '--reset-offsets: every partition the group has committed offsets for')
    .option('--format <format>', '--zookeeper --describe: table (default) or offset-checker')
    .option('--offsets', '--bootstrap-server --describe: the partitions, offsets and lag (the default view)')
    .option('--members', '--bootstrap-server --describe: the members and how many partitions each has')
    .option('--verbose', '--bootstrap-server --describe --members: also each member\'s assignment')
    .option('--state', '--bootstrap-server --describe: the coordinator, assignor, state and member count')
    .option('--to-earliest', '--reset-offsets: to the log start')
    .option('--to-latest', '--reset-offsets: to the log end')
    .option('--to-current', '--reset-offsets: to the committed offset (the log end where none is)')
    .option('--to-offset <offset>', '--reset-offsets: to this offset (kept within the log)')
    .option('--shift-by <n>', '--reset-offsets: the committed offset plus n (n may be negative; kept within the log)')
    .option('--to-datetime <datetime>', "--reset-offsets: to the first offset at or after YYYY-MM-DDTHH:mm:SS.sss (UTC unless it ends in Z or +hh:mm)")
    .option('--dry-run', '--reset-offsets: only print the plan (the default)')
    .option('--execute', '--reset-offsets: commit the plan')
    .option('--timeout <ms>', '--bootstrap-server: how long to wait for the coordinator of a group', positiveInt(TOOL, '--timeout'), 10_000)
    .option('--command-config <file>', 'client properties for the brokers: security.protocol, ssl.truststore.location, sasl.mechanism, sasl.jaas.config, ... (--zookeeper: for the log end offsets)')
    .addHelpText(
      'after',
      '\nExactly one of --zookeeper and --bootstrap-server, and exactly one of --list, --describe, --delete, --reset-offsets.\n' +
        '--bootstrap-server prints Kafka 2.x\'s columns; --reset-offsets --execute and --delete refuse a group that has members.',
    )
    .parse(argv)
    .opts<Opts>();

  if ((o.zookeeper === undefined) === (o.bootstrapServer === undefined)) {
    fail(TOOL, 'exactly one of --zookeeper (ZooKeeper-coordinated groups) and --bootstrap-server (broker-coordinated groups) is required');
  }
  let security: ClientSecurity | undefined;
  if (o.commandConfig !== undefined) {
    try {
      security = securityProperties(Object.fromEntries(readPropertiesFile(o.commandConfig)));
    } catch (err) {
      fail(TOOL, `--command-config ${o.commandConfig}: ${describeError(err)}`);
    }
  }
  if (o.bootstrapServer !== undefined) {
    if (o.format !== undefined) fail(TOOL, '--format is for --zookeeper groups; --bootstrap-server prints Kafka 2.x\'s columns');
    await runBrokerMode({ ...o, bootstrapServer: o.bootstrapServer, security });
  }

  const brokerOnly = (['resetOffsets', 'allTopics', 'offsets', 'members', 'verbose', 'state', 'toEarliest', 'toLatest', 'toCurrent', 'toOffset', 'shiftBy', 'toDatetime', 'dryRun', 'execute'] as const).find(
    (k) => o[k] !== undefined,
  );
  if (brokerOnly) fail(TOOL, `--${brokerOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --bootstrap-server (broker-coordinated groups)`);
  const actions = [o.list, o.describe, o.delete].filter(Boolean).length;
  if (actions !== 1) fail(TOOL, 'exactly one of --list, --describe, --delete is required');
  if ((o.describe || o.delete) && o.group.length === 0) fail(TOOL, `--${o.describe ? 'describe' : 'delete'} needs --group`);
  if (o.group.length > 1) fail(TOOL, '--zookeeper takes one --group');
  if (o.topic.length > 1) fail(TOOL, '--zookeeper --describe takes one --topic');
  const format = o.format ?? 'table';
  if (format !== 'table' && format !== 'offset-checker') fail(TOOL, `--format must be table or offset-checker, got "${format}"`);
  const group = o.group[0];
  const topic = o.topic[0];

  await runWithZooKeeper(TOOL, o.zookeeper!, async (zk) => {
    if (o.list) {
      for (const g of await listGroups(zk)) process.stdout.write(`${g}\n`);
    } else if (!(await groupExists(zk, group!))) {
      process.stderr.write(`${TOOL}: consumer group "${group}" does not exist\n`);
      return 1;
    } else if (o.describe) {
      const d = await describeGroup(zk, group!, { topic, security });
      if (d.members.length === 0) process.stderr.write(`Consumer group "${group}" has no active members.\n`);
      process.stdout.write((format === 'offset-checker' ? formatOffsetChecker(d) : formatTable(d)) + '\n');
    } else {
      const members = (await zk.children(consumerIdsPath(group!))) ?? [];
      if (members.length > 0) {
        process.stderr.write(`${TOOL}: consumer group "${group}" still has ${members.length} active member(s) (${members.join(', ')}); stop them first\n`);
        return 1;
      } else {
        await zk.deleteRecursive(consumerGroupPath(group!));
        process.stdout.write(`Deleted consumer group "${group}".\n`);
      }
    }
    return 0;
  });
}
