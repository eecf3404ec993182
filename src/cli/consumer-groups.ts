/**
 * kafka-consumer-groups.sh --zookeeper H:P: the ZooKeeper-coordinated groups (/consumers/<G>).
 *
 *   --list                          one group per line
 *   --describe --group G [--topic T] [--format table|offset-checker]
 *       table (default), as kafka-consumer-groups.sh printed it:
 *         TOPIC  PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  OWNER
 *       offset-checker, as 0.8's ConsumerOffsetChecker printed it:
 *         Group  Topic  Pid  Offset  logSize  Lag  Owner
 *       Unknown values print as "unknown", a partition nobody owns as "none".
 *   --delete --group G              removes a group with no live member (its offsets too)
 */
import { consumerGroupPath, consumerIdsPath } from '../zk/paths.js';
import { describeGroup, groupExists, type GroupDescription } from '../client/connector/group-describe.js';
import { listGroups } from '../client/connector/registry.js';
import { fail, newProgram, runWithZooKeeper } from './common.js';

const TOOL = 'kafka-consumer-groups';

interface Opts {
  zookeeper?: string;
  list?: boolean;
  describe?: boolean;
  delete?: boolean;
  group?: string;
  topic?: string;
  format: string;
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
  const o = newProgram('kafka-consumer-groups.sh', 'List, describe and delete consumer groups coordinated by ZooKeeper')
    .option('--zookeeper <connect>', 'REQUIRED: host:port[,host:port...][/chroot]')
    .option('--list', 'list every group')
    .option('--describe', 'show offsets, lag and owners of a group (with --group)')
    .option('--delete', 'delete a group with no live member (with --group)')
    .option('--group <group>', 'the group')
    .option('--topic <topic>', 'with --describe: only this topic')
    .option('--format <format>', 'with --describe: table or offset-checker', 'table')
    .parse(argv)
    .opts<Opts>();

  if (!o.zookeeper) fail(TOOL, 'missing required argument --zookeeper');
  const actions = [o.list, o.describe, o.delete].filter(Boolean).length;
  if (actions !== 1) fail(TOOL, 'exactly one of --list, --describe, --delete is required');
  if ((o.describe || o.delete) && !o.group) fail(TOOL, `--${o.describe ? 'describe' : 'delete'} needs --group`);
  if (o.format !== 'table' && o.format !== 'offset-checker') fail(TOOL, `--format must be table or offset-checker, got "${o.format}"`);

  await runWithZooKeeper(TOOL, o.zookeeper, async (zk) => {
    if (o.list) {
      for (const g of await listGroups(zk)) process.stdout.write(`${g}\n`);
    } else if (!(await groupExists(zk, o.group!))) {
      process.stderr.write(`${TOOL}: consumer group "${o.group}" does not exist\n`);
      return 1;
    } else if (o.describe) {
      const d = await describeGroup(zk, o.group!, { topic: o.topic });
      if (d.members.length === 0) process.stderr.write(`Consumer group "${o.group}" has no active members.\n`);
      process.stdout.write((o.format === 'offset-checker' ? formatOffsetChecker(d) : formatTable(d)) + '\n');
    } else {
      const members = (await zk.children(consumerIdsPath(o.group!))) ?? [];
      if (members.length > 0) {
        process.stderr.write(`${TOOL}: consumer group "${o.group}" still has ${members.length} active member(s) (${members.join(', ')}); stop them first\n`);
        return 1;
      } else {
        await zk.deleteRecursive(consumerGroupPath(o.group!));
        process.stdout.write(`Deleted consumer group "${o.group}".\n`);
      }
    }
    return 0;
  });
}
