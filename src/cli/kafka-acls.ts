/**
 * kafka-acls.sh --authorizer-properties zookeeper.connect=H:P: Kafka's AclCommand (1.x-2.x)
 * over ZooKeeper, for the brokers' ACL authorizer.
 *
 *   --add | --remove | --list
 *   --allow-principal User:alice [--allow-host 10.0.0.1] | --deny-principal ... [--deny-host ...]
 *   --operation Read|Write|Create|Delete|Alter|Describe|ClusterAction|DescribeConfigs|AlterConfigs|IdempotentWrite|All
 *   --topic T | --group G | --cluster | --transactional-id I   (each repeatable; `*` is every resource)
 *   --resource-pattern-type literal|prefixed
 *   --producer (Write, Describe, Create on the topics; IdempotentWrite on the cluster with --idempotent)
 *   --consumer (Read, Describe on the topics; Read on the groups: needs --group)
 * Operation defaults to All, host to `*`. --remove without principals removes every ACL of the
 * resource. Brokers apply a change within a second (the /kafka-acl-changes notification).
 */
import type { ZkClient } from '../zk/client.js';
import { addAcls, AclError, CLUSTER_RESOURCE, listAcls, parseOperation, readAcls, removeAcls, type Acl, type Operation, type PatternType, type Resource, type ResourceType } from '../admin/acls.js';
import { collect, fail, newProgram, parseKeyValues, runWithZooKeeper } from './common.js';

const TOOL = 'kafka-acls';

interface Opts {
  authorizerProperties: string[];
  add?: boolean;
  remove?: boolean;
  list?: boolean;
  allowPrincipal: string[];
  denyPrincipal: string[];
  allowHost: string[];
  denyHost: string[];
  operation: string[];
  topic: string[];
  group: string[];
  cluster?: boolean;
  transactionalId: string[];
  resourcePatternType: string;
  producer?: boolean;
  consumer?: boolean;
  idempotent?: boolean;
  force?: boolean;
}

const HELP = `
Examples:
  kafka-acls.sh --authorizer-properties zookeeper.connect=127.0.0.1:2181 --add --allow-principal User:alice --operation Read --operation Write --topic events
  kafka-acls.sh --authorizer-properties zookeeper.connect=127.0.0.1:2181 --add --allow-principal User:bob --consumer --topic events --group g1
  kafka-acls.sh --authorizer-properties zookeeper.connect=127.0.0.1:2181 --list --topic events
Exit status: 0 on success, 1 on any error.`;

const patternLabel = (r: Resource): string => `ResourcePattern(resourceType=${r.type === 'TransactionalId' ? 'TRANSACTIONAL_ID' : r.type.toUpperCase()}, name=${r.name}, patternType=${r.patternType})`;
const aclLabel = (a: Acl): string => `(principal=${a.principal}, host=${a.host}, operation=${a.operation.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}, permissionType=${a.permissionType.toUpperCase()})`;

function printAcls(r: Resource, acls: readonly Acl[], title: string): void {
  process.stdout.write(`${title} for resource \`${patternLabel(r)}\`: \n${acls.map((a) => ` \t${aclLabel(a)} \n`).join('')}\n`);
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-acls.sh', 'Add, remove and list the ACLs of the brokers\' ACL authorizer (kept in ZooKeeper)')
    .option('--authorizer-properties <k=v>', 'REQUIRED: zookeeper.connect=host:port[/chroot] (repeatable)', collect, [])
    .option('--add', 'add ACLs')
    .option('--remove', 'remove ACLs')
    .option('--list', 'list ACLs (of the given resources, or all)')
    .option('--allow-principal <principal>', 'User:<name> allowed (repeatable; User:* is everyone)', collect, [])
    .option('--deny-principal <principal>', 'User:<name> denied (repeatable)', collect, [])
    .option('--allow-host <host>', 'IP the allowed principals may come from (default *)', collect, [])
    .option('--deny-host <host>', 'IP the denied principals are denied from (default *)', collect, [])
    .option('--operation <op>', 'Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All (repeatable; default All)', collect, [])
    .option('--topic <topic>', 'a topic (repeatable; * for every topic)', collect, [])
    .option('--group <group>', 'a consumer group (repeatable; * for every group)', collect, [])
    .option('--cluster', 'the cluster resource')
    .option('--transactional-id <id>', 'a transactional id (repeatable)', collect, [])
    .option('--resource-pattern-type <type>', 'literal or prefixed', 'literal')
    .option('--producer', 'shortcut: Write, Describe and Create on the topics')
    .option('--consumer', 'shortcut: Read and Describe on the topics, Read on the groups')
    .option('--idempotent', 'with --producer: IdempotentWrite on the cluster too')
    .option('--force', 'accepted for compatibility (this tool never prompts)')
    .addHelpText('after', HELP)
    .parse(argv)
    .opts<Opts>();

  process.stdout.on('error', (err: NodeJS.ErrnoException) => process.exit(err.code === 'EPIPE' ? 0 : 1));
  const props = parseKeyValues(TOOL, o.authorizerProperties, '--authorizer-properties');
  const zk = props['zookeeper.connect'];
  if (!zk) fail(TOOL, 'missing required argument --authorizer-properties zookeeper.connect=host:port');
  if ([o.add, o.remove, o.list].filter(Boolean).length !== 1) fail(TOOL, 'exactly one of --add, --remove or --list is required');
  const pt = o.resourcePatternType.trim().toUpperCase();
  if (pt !== 'LITERAL' && pt !== 'PREFIXED') fail(TOOL, `--resource-pattern-type must be literal or prefixed, got "${o.resourcePatternType}"`);
  const res = (type: ResourceType, name: string): Resource => ({ type, name, patternType: pt as PatternType });
  const topics = o.topic.map((t) => res('Topic', t));
  const groups = o.group.map((g) => res('Group', g));
  const txns = o.transactionalId.map((t) => res('TransactionalId', t));
  const cluster = o.cluster ? [res('Cluster', CLUSTER_RESOURCE)] : [];
  for (const r of [...topics, ...groups, ...txns]) if (r.name === '' || r.name.includes('/')) fail(TOOL, `bad resource name ${JSON.stringify(r.name)}`);

  if (o.list) {
    return runWithZooKeeper(TOOL, zk, async (z) => {
      const wanted = [...topics, ...groups, ...txns, ...cluster];
      const all = wanted.length === 0 ? await listAcls(z) : await Promise.all(wanted.map(async (r) => ({ resource: r, acls: (await readAcls(z, r)).acls })));
      for (const { resource, acls } of all) printAcls(resource, acls, 'Current ACLs');
    });
  }

  // the ACLs to add or remove, per resource
  let ops: Operation[];
  try {
    ops = o.operation.map(parseOperation);
  } catch (err) {
    fail(TOOL, (err as AclError).message);
  }
  const plan = new Map<Resource, Operation[]>();
  if (o.producer || o.consumer) {
    if (o.operation.length > 0) fail(TOOL, '--operation cannot be used with --producer or --consumer');
    if (topics.length === 0) fail(TOOL, '--producer and --consumer need --topic');
    if (o.consumer && groups.length === 0) fail(TOOL, '--consumer needs --group');
    for (const t of topics) plan.set(t, [...(o.producer ? (['Write', 'Describe', 'Create'] as const) : []), ...(o.consumer ? (['Read', 'Describe'] as const) : [])].filter((x, i, a) => a.indexOf(x) === i));
    if (o.consumer) for (const g of groups) plan.set(g, ['Read']);
    if (o.producer && o.idempotent) plan.set(res('Cluster', CLUSTER_RESOURCE), ['IdempotentWrite']);
  } else {
    const resources = [...topics, ...groups, ...txns, ...cluster];
    if (resources.length === 0) fail(TOOL, 'give at least one resource: --topic, --group, --cluster or --transactional-id');
    for (const r of resources) plan.set(r, ops.length > 0 ? ops : ['All']);
  }
  for (const p of [...o.allowPrincipal, ...o.denyPrincipal]) if (!/^[A-Za-z]+:.+$/.test(p)) fail(TOOL, `bad principal "${p}": expected User:<name>`);
  const acls = (operations: Operation[]): Acl[] => [
    ...o.allowPrincipal.flatMap((p) => (o.allowHost.length > 0 ? o.allowHost : ['*']).flatMap((host) => operations.map((operation) => ({ principal: p, permissionType: 'Allow' as const, operation, host })))),
    ...o.denyPrincipal.flatMap((p) => (o.denyHost.length > 0 ? o.denyHost : ['*']).flatMap((host) => operations.map((operation) => ({ principal: p, permissionType: 'Deny' as const, operation, host })))),
  ];
  if (o.add && o.allowPrincipal.length + o.denyPrincipal.length === 0) fail(TOOL, '--add needs --allow-principal or --deny-principal');

  return runWithZooKeeper(TOOL, zk, async (z: ZkClient) => {
    for (const [r, operations] of plan) {
      const these = acls(operations);
      // written first, printed after: a reader that goes away (`| head`) cannot cut a change short
      if (o.add) {
        await addAcls(z, r, these);
        printAcls(r, these, 'Adding ACLs');
      } else {
        await removeAcls(z, r, these.length > 0 ? these : undefined);
        printAcls(r, these, these.length > 0 ? 'Removing ACLs' : 'Removing all ACLs');
      }
      printAcls(r, (await readAcls(z, r)).acls, 'Current ACLs');
    }
  });
}
