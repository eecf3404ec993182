/**
 * SCRAM credentials in ZooKeeper, as Kafka's ConfigCommand writes them (KIP-84):
 *   /config/users/<URL-encoded user>  {"version":1,"config":{"SCRAM-SHA-256":"salt=...,stored_key=...,server_key=...,iterations=8192"}}
 * then /config/changes/config_change_<seq> = {"version":2,"entity_path":"users/<URL-encoded user>"}.
 * The password itself is never stored. Brokers keep the credentials in memory, read again on
 * that notification (dynamic-config-manager.ts), so a change counts from the next login.
 */
import type { ZkClient } from '../zk/client.js';
import { NodeExistsError } from '../zk/errors.js';
import { configChangePrefixPath } from '../zk/paths.js';
import { decodeTopicConfig, encodeTopicConfig } from '../zk/payloads.js';
import { ErrorCode, KafkaError } from '../common/errors.js';
import { decodeCredential, encodeCredential, isScramMechanism, makeCredential, SCRAM_DEFAULT_ITERATIONS, SCRAM_MIN_ITERATIONS, type ScramCredential, type ScramMechanism } from '../common/scram.js';

export const configUsersPath = '/config/users';

/** Kafka's Sanitizer: URL-encoding as Java's URLEncoder, with `*` as %2A and space as %20. */
export function sanitizeUser(user: string): string {
  return encodeURIComponent(user).replace(/[!'()~*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function desanitizeUser(name: string): string {
  return decodeURIComponent(name);
}

export const userConfigPath = (user: string): string => `${configUsersPath}/${sanitizeUser(user)}`;

function invalid(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_CONFIG, message);
}

/** `[iterations=N,]password=P` (ConfigCommand's regex); fewer than 4096 iterations are refused. */
export function parseScramValue(mechanism: string, value: string): { iterations: number; password: string } {
  const m = /^(?:iterations=([0-9]*),)?password=(.*)$/s.exec(value);
  if (!m) throw invalid(`invalid credential for ${mechanism}: expected [iterations=N,]password=P`);
  const iterations = m[1] === undefined || m[1] === '' ? SCRAM_DEFAULT_ITERATIONS : Number(m[1]);
  if (!Number.isSafeInteger(iterations) || iterations < SCRAM_MIN_ITERATIONS) throw invalid(`${mechanism}: iterations must be at least ${SCRAM_MIN_ITERATIONS}, got ${m[1]}`);
  if (m[2] === '') throw invalid(`${mechanism}: empty password`);
  return { iterations, password: m[2]! };
}

export async function readUserConfig(zk: ZkClient, user: string): Promise<Record<string, string>> {
  const node = await zk.get(userConfigPath(user));
  return node ? decodeTopicConfig(node.data, userConfigPath(user)) : {};
}

/**
 * Adds (or replaces) credentials and deletes mechanisms: `add` maps a mechanism to
 * `[iterations=N,]password=P`. Everything is checked before anything is written.
 */
export async function alterScramUser(zk: ZkClient, user: string, add: Record<string, string>, remove: readonly string[]): Promise<void> {
  if (user === '') throw invalid('the user name is empty');
  for (const k of [...Object.keys(add), ...remove]) if (!isScramMechanism(k)) throw invalid(`"${k}" is not a user config this broker knows (SCRAM-SHA-256, SCRAM-SHA-512)`);
  const current = await readUserConfig(zk, user);
  const missing = remove.filter((k) => !Object.hasOwn(current, k));
  if (missing.length > 0) throw invalid(`invalid config(s) to delete for user-principal '${user}': ${missing.join(', ')} (not set)`);
  const next = { ...current };
  for (const k of remove) delete next[k];
  for (const [k, v] of Object.entries(add)) {
    const { iterations, password } = parseScramValue(k, v);
    next[k] = encodeCredential(makeCredential(k as ScramMechanism, password, iterations));
  }
  const path = userConfigPath(user);
  const data = encodeTopicConfig(next);
  await zk.create(path, data, { parents: true }).catch(async (err: unknown) => {
    if (!(err instanceof NodeExistsError)) throw err;
    await zk.set(path, data);
  });
  await zk.create(configChangePrefixPath, Buffer.from(JSON.stringify({ version: 2, entity_path: `users/${sanitizeUser(user)}` })), { mode: 'persistent_sequential', parents: true });
}

/** What --describe may show: each mechanism's iteration count, never the salt or keys. */
export async function describeScramUser(zk: ZkClient, user: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(await readUserConfig(zk, user))) {
    if (isScramMechanism(k)) {
      try {
        out[k] = `iterations=${decodeCredential(v).iterations}`;
      } catch {
        out[k] = '<unreadable>';
      }
    } else {
      out[k] = v;
    }
  }
  return out;
}

export async function listUsers(zk: ZkClient): Promise<string[]> {
  return ((await zk.children(configUsersPath)) ?? []).map(desanitizeUser).sort();
}

/** The stored credential of a user for a mechanism, or undefined (no user, no such mechanism, unreadable). */
export async function scramCredentialOf(zk: ZkClient, user: string, mechanism: ScramMechanism): Promise<ScramCredential | undefined> {
  try {
    const v = (await readUserConfig(zk, user))[mechanism];
    return v === undefined ? undefined : decodeCredential(v);
  } catch {
    return undefined;
  }
}
