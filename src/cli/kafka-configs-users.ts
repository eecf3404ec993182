/**
 * kafka-configs.sh --entity-type users: SCRAM credentials (KIP-84), as Kafka's ConfigCommand
 * writes them over ZooKeeper:
 *   --alter --entity-name alice --add-config 'SCRAM-SHA-256=[iterations=8192,password=alice-secret],SCRAM-SHA-512=[password=alice-secret]'
 *   --alter --entity-name alice --delete-config 'SCRAM-SHA-512'
 *   --describe [--entity-name alice]   SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192
 * The salted keys are never printed (Kafka 2.7+'s describe wording); the password is never stored.
 */
import { alterScramUser, describeScramUser, listUsers } from '../admin/scram-users.js';
import { ConfigArgError, parseAlterConfigs } from './config-args.js';
import { fail, runWithZooKeeper } from './common.js';

const TOOL = 'kafka-configs';

export interface UserOpts {
  zookeeper: string;
  alter?: boolean;
  describe?: boolean;
  entityName?: string;
  entityDefault?: boolean;
  addConfig: string[];
  deleteConfig: string[];
}

export async function usersMain(o: UserOpts): Promise<void> {
  if (o.entityDefault) fail(TOOL, '--entity-default is not supported for --entity-type users (SCRAM credentials belong to one user)');
  const name = o.entityName;
  if (name !== undefined && name.trim() === '') fail(TOOL, '--entity-name is empty');
  if (o.describe) {
    if (o.addConfig.length > 0 || o.deleteConfig.length > 0) fail(TOOL, '--add-config and --delete-config are only for --alter');
    return runWithZooKeeper(TOOL, o.zookeeper, async (zk) => {
      for (const u of name !== undefined ? [name] : await listUsers(zk)) {
        const c = await describeScramUser(zk, u);
        const pairs = Object.keys(c).sort().map((k) => `${k}=${c[k]}`);
        process.stdout.write(`SCRAM credential configs for user-principal '${u}' are ${pairs.join(',')}\n`);
      }
    });
  }
  if (name === undefined) fail(TOOL, '--alter needs --entity-name');
  if (o.addConfig.length === 0 && o.deleteConfig.length === 0) fail(TOOL, '--alter needs --add-config and/or --delete-config');
  let add: Record<string, string> = {};
  let remove: string[] = [];
  try {
    ({ add, remove } = parseAlterConfigs(o.addConfig, o.deleteConfig));
  } catch (err) {
    if (err instanceof ConfigArgError) fail(TOOL, err.message);
    throw err;
  }
  return runWithZooKeeper(TOOL, o.zookeeper, async (zk) => {
    await alterScramUser(zk, name, add, remove);
    process.stdout.write(`Completed Updating config for entity: user-principal '${name}'.\n`);
  });
}
