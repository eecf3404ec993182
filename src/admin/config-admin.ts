/**
 * Dynamic configs through ZooKeeper, as Kafka's AdminUtils.changeTopicConfig and
 * ConfigCommand write them:
 *   topics:  /config/topics/<T>            {"version":1,"config":{...}} (overrides only)
 *   brokers: /config/brokers/<id|<default>> {"version":1,"config":{...}}
 * then one persistent sequential /config/changes/config_change_<seq> announcing the change
 * (a topic's as 0.8.1 writes it, `"T"`; a broker entity's as 0.10.1, {"version":2,"entity_path":"brokers/<name>"}).
 * Brokers re-read the entity's config when they see the notification. The whole new map is
 * validated before anything is written: a bad key or value changes nothing.
 */
import type { ZkClient } from '../zk/client.js';
import { NodeExistsError } from '../zk/errors.js';
import { DEFAULT_BROKER_ENTITY, brokerConfigPath, configChangePrefixPath, topicConfigPath, topicPath } from '../zk/paths.js';
import { decodeTopicConfig, encodeEntityConfigChange, encodeTopicConfig, type ConfigChange } from '../zk/payloads.js';
import { ConfigError, ErrorCode, KafkaError } from '../common/errors.js';
import { TOPIC_CONFIG_KEYS, topicOverridesFromConfig } from '../storage/topic-config.js';
import { logConfigFromProperties } from '../storage/config.js';
import { DYNAMIC_CLEANER_KEYS, cleanerConfigFromProperties } from '../storage/cleaner/config.js';

export type EntityType = 'topics' | 'brokers';
export type ConfigMap = Record<string, string>;

/** Broker properties a dynamic broker config may set: every topic config's broker default, and the cleaner's. */
export const DYNAMIC_BROKER_KEYS: readonly string[] = [
  ...new Set([...Object.values(TOPIC_CONFIG_KEYS).map((s) => s.brokerKey), 'log.retention.minutes', 'log.retention.hours', 'log.roll.hours', ...DYNAMIC_CLEANER_KEYS]),
].sort();

function invalid(message: string, context: Record<string, unknown>): KafkaError {
  return new KafkaError(ErrorCode.INVALID_CONFIG, message, { context });
}

/** Throws INVALID_CONFIG naming the bad key for a config map of the entity type. */
export function validateEntityConfig(type: EntityType, name: string, config: ConfigMap): void {
  try {
    if (type === 'topics') {
      topicOverridesFromConfig(config);
      return;
    }
    if (name !== DEFAULT_BROKER_ENTITY && !/^\d+$/.test(name)) throw new ConfigError(`broker entity name must be a broker id or ${DEFAULT_BROKER_ENTITY}, got "${name}"`);
    for (const key of Object.keys(config)) {
      if (!DYNAMIC_BROKER_KEYS.includes(key)) throw new ConfigError(`"${key}" is not a dynamic broker config (dynamic: ${DYNAMIC_BROKER_KEYS.join(', ')})`, { context: { key } });
      if (config[key]!.trim() === '') throw new ConfigError(`config "${key}" has an empty value`, { context: { key } });
    }
    logConfigFromProperties(config);
    cleanerConfigFromProperties(config);
  } catch (err) {
    if (err instanceof ConfigError) throw invalid(`invalid config for ${type === 'topics' ? 'topic' : 'broker'} "${name}": ${err.message}`, { entityType: type, entityName: name });
    throw err;
  }
}

function entityPath(type: EntityType, name: string): string {
  return type === 'topics' ? topicConfigPath(name) : brokerConfigPath(name);
}

/** The entity's stored overrides ({} when none). */
export async function readEntityConfig(zk: ZkClient, type: EntityType, name: string): Promise<ConfigMap> {
  const node = await zk.get(entityPath(type, name));
  return node ? decodeTopicConfig(node.data, entityPath(type, name)) : {};
}

/**
 * Replaces the entity's overrides with `config` (validated first), then announces the change.
 * A topic must exist.
 */
export async function writeEntityConfig(zk: ZkClient, type: EntityType, name: string, config: ConfigMap): Promise<void> {
  validateEntityConfig(type, name, config);
  if (type === 'topics' && !(await zk.exists(topicPath(name)))) {
    throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}" does not exist`, { context: { topic: name } });
  }
  const path = entityPath(type, name);
  const data = encodeTopicConfig(config);
  await zk.create(path, data, { parents: true }).catch(async (err: unknown) => {
    if (!(err instanceof NodeExistsError)) throw err;
    await zk.set(path, data);
  });
  const change: ConfigChange = { entityType: type, entityName: name };
  await zk.create(configChangePrefixPath, encodeEntityConfigChange(change), { mode: 'persistent_sequential', parents: true });
}

/**
 * The overrides after adding or replacing `add` and removing `remove` (kafka-configs --alter),
 * validated: removing a key that is not set is an error naming it, as in Kafka 2.x, and so is
 * a key both added and removed. Writes nothing; callers check everything before writing.
 */
export function alteredConfig(type: EntityType, name: string, current: ConfigMap, add: ConfigMap, remove: readonly string[]): ConfigMap {
  const what = `${type === 'topics' ? 'topic' : 'broker'} "${name}"`;
  const both = remove.filter((k) => Object.hasOwn(add, k));
  if (both.length > 0) throw invalid(`config(s) both added and deleted for ${what}: ${both.join(', ')}`, { keys: both });
  const missing = remove.filter((k) => !Object.hasOwn(current, k));
  if (missing.length > 0) throw invalid(`invalid config(s) to delete for ${what}: ${missing.join(', ')} (not set)`, { keys: missing });
  const next: ConfigMap = { ...current, ...add };
  for (const k of remove) delete next[k];
  validateEntityConfig(type, name, next);
  return next;
}

/** Adds or replaces `add` and removes `remove` in the entity's overrides (alteredConfig), then writes them. Returns the new map. */
export async function alterEntityConfig(zk: ZkClient, type: EntityType, name: string, add: ConfigMap, remove: readonly string[]): Promise<ConfigMap> {
  const next = alteredConfig(type, name, await readEntityConfig(zk, type, name), add, remove);
  await writeEntityConfig(zk, type, name, next);
  return next;
}
