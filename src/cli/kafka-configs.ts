/**
 * kafka-configs.sh --zookeeper H:P: dynamic configs in ZooKeeper, as Kafka's ConfigCommand
 * (0.9-2.x, the ZooKeeper path) writes and prints them.
 *
 *   --entity-type topics  --entity-name T            /config/topics/T
 *   --entity-type brokers --entity-name ID           /config/brokers/ID
 *   --entity-type brokers --entity-default           /config/brokers/<default> (every broker)
 *
 *   --alter --add-config 'k1=v1,k2=[a,b]' --delete-config 'k3,k4'
 *       validates the whole new map first (an unknown, refused or bad key changes nothing),
 *       writes it, then a /config/changes/config_change_<seq> notification; prints
 *       Completed Updating config for entity: topic 'T'.
 *   --describe [--entity-name N | --entity-default]  (without a name: every entity of the type)
 *       Configs for topic 'T' are k1=v1,k2=v2
 *
 * Entities print as Kafka 1.x/2.x's ConfigCommand prints them: topic 'T', brokers '1',
 * default brokers. Keys print sorted.
 */
import type { ZkClient } from '../zk/client.js';
import { DEFAULT_BROKER_ENTITY, configBrokersPath, configTopicsPath, topicPath } from '../zk/paths.js';
import { alteredConfig, readEntityConfig, writeEntityConfig, type ConfigMap, type EntityType } from '../admin/config-admin.js';
import { validateTopicName } from '../admin/topic-admin.js';
import { ErrorCode, KafkaError } from '../common/errors.js';
import { ConfigArgError, parseAlterConfigs } from './config-args.js';
import { collect, fail, newProgram, runWithZooKeeper } from './common.js';
import { usersMain } from './kafka-configs-users.js';

const TOOL = 'kafka-configs';
const ENTITY_TYPES: readonly EntityType[] = ['topics', 'brokers'];

interface Opts {
  zookeeper?: string;
  alter?: boolean;
  describe?: boolean;
  entityType?: string;
  entityName?: string;
  entityDefault?: boolean;
  addConfig: string[];
  deleteConfig: string[];
}

const HELP = `
Output (Kafka 1.x/2.x ConfigCommand wording):
  --alter     Completed Updating config for entity: topic 'T'.
              Completed Updating config for entity: brokers '1'.   (default brokers with --entity-default)
  --describe  Configs for topic 'T' are k1=v1,k2=v2                 (one line per entity, keys sorted)

Values in brackets are lists, stored comma-joined: --add-config 'cleanup.policy=[compact,delete]'.
A value may hold '=' (each entry is split at its first '='). Topic keys are the topic-level names
(retention.ms, max.message.bytes, ...); broker keys are the broker defaults a running broker takes
dynamically (log.retention.ms, message.max.bytes, ...). Nothing is written unless every key and
value is valid; brokers apply a change within a second or so, without a restart.
Users (SCRAM credentials, stored salted in /config/users/<user>, never printed):
  --entity-type users --entity-name alice --alter --add-config 'SCRAM-SHA-256=[iterations=8192,password=alice-secret],SCRAM-SHA-512=[password=alice-secret]'
  --entity-type users --entity-name alice --alter --delete-config SCRAM-SHA-512
  --entity-type users [--entity-name alice] --describe   SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192
Exit status: 0 on success, 1 on any error.`;

/** How Kafka's ConfigCommand names an entity in its output. */
export function entityLabel(type: EntityType, name: string): string {
  if (type === 'topics') return `topic '${name}'`;
  return name === DEFAULT_BROKER_ENTITY ? 'default brokers' : `brokers '${name}'`;
}

export async function main(argv: string[]): Promise<void> {
  const o = newProgram('kafka-configs.sh', 'Add, change, delete and describe dynamic topic and broker configs (through ZooKeeper)')
    .option('--zookeeper <connect>', 'REQUIRED: host:port[,host:port...][/chroot]')
    .option('--alter', 'change the configs of an entity (with --add-config and/or --delete-config)')
    .option('--describe', 'print the config overrides of an entity, or of every entity of the type')
    .option('--entity-type <type>', 'REQUIRED: topics, brokers or users (SCRAM credentials)')
    .option('--entity-name <name>', 'the topic name, the broker id, or the user')
    .option('--entity-default', 'with --entity-type brokers: the cluster-wide default of every broker (/config/brokers/<default>)')
    .option('--add-config <list>', "configs to add or change: 'k1=v1,k2=[v2,v3]'", collect, [])
    .option('--delete-config <list>', "configs to remove: 'k1,k2'", collect, [])
    .addHelpText('after', HELP)
    .parse(argv)
    .opts<Opts>();

  if (!o.zookeeper) fail(TOOL, 'missing required argument --zookeeper');
  if (o.alter === o.describe) fail(TOOL, 'exactly one of --alter or --describe is required');
  if (o.entityType === undefined) fail(TOOL, 'missing required argument --entity-type (topics or brokers)');
  if (o.entityType === 'users') return usersMain({ ...o, zookeeper: o.zookeeper });
  if (!ENTITY_TYPES.includes(o.entityType as EntityType)) fail(TOOL, `--entity-type must be topics or brokers, got "${o.entityType}" (clients and users quotas are not supported)`);
  const type = o.entityType as EntityType;
  if (o.entityName !== undefined && o.entityDefault) fail(TOOL, '--entity-name and --entity-default cannot be used together');
  if (o.entityDefault && type === 'topics') fail(TOOL, '--entity-default is only for --entity-type brokers (topics have no default entity; change the brokers\' defaults instead)');
  const name = o.entityDefault ? DEFAULT_BROKER_ENTITY : o.entityName;
  if (name !== undefined) checkEntityName(type, name);

  if (o.describe) {
    if (o.addConfig.length > 0 || o.deleteConfig.length > 0) fail(TOOL, '--add-config and --delete-config are only for --alter');
    return runWithZooKeeper(TOOL, o.zookeeper, (zk) => describe(zk, type, name));
  }
  if (name === undefined) fail(TOOL, `--alter needs ${type === 'topics' ? '--entity-name' : '--entity-name or --entity-default'}`);
  if (o.addConfig.length === 0 && o.deleteConfig.length === 0) fail(TOOL, '--alter needs --add-config and/or --delete-config');
  let add: ConfigMap = {};
  let remove: string[] = [];
  try {
    ({ add, remove } = parseAlterConfigs(o.addConfig, o.deleteConfig));
  } catch (err) {
    if (err instanceof ConfigArgError) fail(TOOL, err.message);
    throw err;
  }
  return runWithZooKeeper(TOOL, o.zookeeper, async (zk) => {
    await requireEntity(zk, type, name);
    const next = alteredConfig(type, name, await readEntityConfig(zk, type, name), add, remove);
    await writeEntityConfig(zk, type, name, next);
    process.stdout.write(`Completed Updating config for entity: ${entityLabel(type, name)}.\n`);
  });
}

function checkEntityName(type: EntityType, name: string): void {
  if (type === 'brokers') {
    if (name !== DEFAULT_BROKER_ENTITY && !/^\d+$/.test(name)) fail(TOOL, `--entity-name of brokers must be a broker id (an integer), got "${name}"; --entity-default names the default of every broker`);
    return;
  }
  try {
    validateTopicName(name);
  } catch (err) {
    fail(TOOL, (err as Error).message);
  }
}

/** A topic must exist (its assignment in /brokers/topics); a broker entity needs no live broker. */
async function requireEntity(zk: ZkClient, type: EntityType, name: string): Promise<void> {
  if (type === 'topics' && !(await zk.exists(topicPath(name)))) {
    throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`, { context: { topic: name } });
  }
}

async function describe(zk: ZkClient, type: EntityType, name: string | undefined): Promise<void> {
  let names: string[];
  if (name !== undefined) {
    await requireEntity(zk, type, name);
    names = [name];
  } else {
    names = ((await zk.children(type === 'topics' ? configTopicsPath : configBrokersPath)) ?? []).sort(byEntityName);
  }
  for (const n of names) {
    const config = await readEntityConfig(zk, type, n);
    const pairs = Object.keys(config).sort().map((k) => `${k}=${config[k]}`);
    process.stdout.write(`Configs for ${entityLabel(type, n)} are ${pairs.join(',')}\n`);
  }
}

/** <default> first, then broker ids numerically, then names. */
function byEntityName(a: string, b: string): number {
  const rank = (s: string) => (s === DEFAULT_BROKER_ENTITY ? 0 : /^\d+$/.test(s) ? 1 : 2);
  return rank(a) - rank(b) || (rank(a) === 1 ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0);
}
