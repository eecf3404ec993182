/**
 * Kafka's ACLs in ZooKeeper (SimpleAclAuthorizer / AclAuthorizer, 1.x-2.x):
 *   /kafka-acl/<Topic|Group|Cluster|TransactionalId|DelegationToken>/<name>   literal resources
 *   /kafka-acl-extended/prefixed/<Type>/<prefix>                              prefixed (2.0+)
 *   data: {"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow","operation":"Read","host":"*"}]}
 * A change is announced by /kafka-acl-changes/acl_changes_<seq> = "Topic:t1" (literal) or
 * /kafka-acl-extended-changes/acl_changes_<seq> = {"version":1,"resourceType":"TOPIC","name":"p-","patternType":"PREFIXED"}.
 * Writes are read-modify-write with the znode version, retried on a conflict.
 */
import type { ZkClient } from '../zk/client.js';
import { BadVersionError, NodeExistsError, NoNodeError } from '../zk/errors.js';
import { ProjectError } from '../common/errors.js';

export const RESOURCE_TYPES = ['Topic', 'Group', 'Cluster', 'TransactionalId', 'DelegationToken'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];
export const OPERATIONS = ['Read', 'Write', 'Create', 'Delete', 'Alter', 'Describe', 'ClusterAction', 'DescribeConfigs', 'AlterConfigs', 'IdempotentWrite', 'All'] as const;
export type Operation = (typeof OPERATIONS)[number];
export type PatternType = 'LITERAL' | 'PREFIXED';
export const CLUSTER_RESOURCE = 'kafka-cluster';
export const WILDCARD = '*';

export const aclRootPath = '/kafka-acl';
export const aclChangesPath = '/kafka-acl-changes';
export const aclExtendedRootPath = '/kafka-acl-extended/prefixed';
export const aclExtendedChangesPath = '/kafka-acl-extended-changes';
export const aclChangePrefix = 'acl_changes_';

export class AclError extends ProjectError {}

export interface Acl {
  principal: string;
  permissionType: 'Allow' | 'Deny';
  operation: Operation;
  host: string;
}

export interface Resource {
  type: ResourceType;
  name: string;
  patternType: PatternType;
}

export function parseResourceType(s: string): ResourceType {
  const t = RESOURCE_TYPES.find((x) => x.toLowerCase() === s.trim().toLowerCase().replace(/_/g, ''));
  if (!t) throw new AclError(`unknown resource type "${s}" (${RESOURCE_TYPES.join(', ')})`);
  return t;
}

export function parseOperation(s: string): Operation {
  const o = OPERATIONS.find((x) => x.toLowerCase() === s.trim().toLowerCase().replace(/_/g, ''));
  if (!o) throw new AclError(`unknown operation "${s}" (${OPERATIONS.join(', ')})`);
  return o;
}

export function resourcePath(r: Resource): string {
  if (r.name === '' || r.name.includes('/')) throw new AclError(`bad resource name ${JSON.stringify(r.name)}`);
  return `${r.patternType === 'PREFIXED' ? aclExtendedRootPath : aclRootPath}/${r.type}/${r.name}`;
}

export function encodeAcls(acls: readonly Acl[]): Buffer {
  return Buffer.from(JSON.stringify({ version: 1, acls: acls.map((a) => ({ principal: a.principal, permissionType: a.permissionType, operation: a.operation, host: a.host })) }), 'utf8');
}

export function decodeAcls(data: Buffer | string): Acl[] {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  if (text.trim() === '') return [];
  const o = JSON.parse(text) as { acls?: unknown };
  if (!Array.isArray(o.acls)) throw new AclError('ACL znode without an "acls" array');
  return o.acls.map((x: Record<string, unknown>) => {
    const perm = String(x.permissionType ?? '').toLowerCase();
    if (perm !== 'allow' && perm !== 'deny') throw new AclError(`bad permissionType ${JSON.stringify(x.permissionType)}`);
    if (typeof x.principal !== 'string' || !x.principal.includes(':')) throw new AclError(`bad principal ${JSON.stringify(x.principal)}`);
    return { principal: x.principal, permissionType: perm === 'allow' ? 'Allow' : 'Deny', operation: parseOperation(String(x.operation)), host: typeof x.host === 'string' ? x.host : '*' };
  });
}

const same = (a: Acl, b: Acl): boolean => a.principal === b.principal && a.permissionType === b.permissionType && a.operation === b.operation && a.host === b.host;

export async function readAcls(zk: ZkClient, r: Resource): Promise<{ acls: Acl[]; version: number }> {
  const node = await zk.get(resourcePath(r));
  return node ? { acls: decodeAcls(node.data), version: node.stat.version } : { acls: [], version: -1 };
}

async function update(zk: ZkClient, r: Resource, change: (acls: Acl[]) => Acl[]): Promise<void> {
  const path = resourcePath(r);
  for (let attempt = 0; ; attempt++) {
    const { acls, version } = await readAcls(zk, r);
    const next = change(acls);
    try {
      if (version < 0) {
        if (next.length === 0) return;
        await zk.create(path, encodeAcls(next), { parents: true });
      } else if (next.length === 0) {
        await zk.delete(path, version);
      } else {
        await zk.set(path, encodeAcls(next), version);
      }
      break;
    } catch (err) {
      if (attempt < 10 && (err instanceof BadVersionError || err instanceof NodeExistsError || err instanceof NoNodeError)) continue;
      throw err;
    }
  }
  await notify(zk, r);
}

async function notify(zk: ZkClient, r: Resource): Promise<void> {
  if (r.patternType === 'LITERAL') {
    await zk.create(`${aclChangesPath}/${aclChangePrefix}`, `${r.type}:${r.name}`, { mode: 'persistent_sequential', parents: true });
  } else {
    const data = JSON.stringify({ version: 1, resourceType: r.type.toUpperCase(), name: r.name, patternType: 'PREFIXED' });
    await zk.create(`${aclExtendedChangesPath}/${aclChangePrefix}`, data, { mode: 'persistent_sequential', parents: true });
  }
}

export function addAcls(zk: ZkClient, r: Resource, add: readonly Acl[]): Promise<void> {
  return update(zk, r, (acls) => [...acls, ...add.filter((a) => !acls.some((b) => same(a, b)))]);
}

/** Removes the given ACLs, or every ACL of the resource when `remove` is undefined. */
export function removeAcls(zk: ZkClient, r: Resource, remove?: readonly Acl[]): Promise<void> {
  return update(zk, r, (acls) => (remove ? acls.filter((a) => !remove.some((b) => same(a, b))) : []));
}

/**
 * Every resource that has ACLs, with them. A resource znode that cannot be read or parsed is
 * left out, and told to `unreadable` (the authorizer must not take it for "no ACLs").
 */
export async function listAcls(zk: ZkClient, unreadable?: (resource: Resource, error: unknown) => void): Promise<{ resource: Resource; acls: Acl[] }[]> {
  const out: { resource: Resource; acls: Acl[] }[] = [];
  for (const [root, patternType] of [[aclRootPath, 'LITERAL'], [aclExtendedRootPath, 'PREFIXED']] as const) {
    for (const t of (await zk.children(root)) ?? []) {
      let type: ResourceType;
      try {
        type = parseResourceType(t);
      } catch {
        continue;
      }
      for (const name of (await zk.children(`${root}/${t}`)) ?? []) {
        const resource: Resource = { type, name, patternType };
        const { acls } = await readAcls(zk, resource).catch((err: unknown) => {
          unreadable?.(resource, err);
          return { acls: [] as Acl[] };
        });
        if (acls.length > 0) out.push({ resource, acls });
      }
    }
  }
  return out;
}

/** What a literal change notification names ("Topic:t1", also "TOPIC:t1"). */
export function parseAclChange(data: string): Resource | undefined {
  const i = data.indexOf(':');
  if (i <= 0) return undefined;
  try {
    return { type: parseResourceType(data.slice(0, i)), name: data.slice(i + 1), patternType: 'LITERAL' };
  } catch {
    return undefined;
  }
}
