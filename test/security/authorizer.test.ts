/**
 * The ACL decision rule (AclAuthorizer, over a ZooKeeper stand-in holding Kafka's ACL znodes) and
 * the per-API checks (authorization.ts): deny wins, wildcard and prefixed resources, the
 * operations that imply Describe, hosts, super users, allow.everyone.if.no.acl.found; refused
 * parts of a request never reach the handler and get Kafka's error codes.
 */
import { describe, expect, it } from 'vitest';
import { AclAuthorizer, authorizerConfigFromProperties } from '../../src/broker/authorizer.js';
import { authorized } from '../../src/broker/authorization.js';
import { encodeAcls, type Acl } from '../../src/admin/acls.js';
import { Logger } from '../../src/common/logger.js';

type Tree = Record<string, Acl[]>;

function fakeZk(tree: Tree) {
  const children = (p: string): string[] | undefined => {
    const kids = new Set<string>();
    for (const path of Object.keys(tree)) if (path.startsWith(`${p}/`)) kids.add(path.slice(p.length + 1).split('/')[0]!);
    return kids.size > 0 ? [...kids] : undefined;
  };
  return {
    ensurePath: async () => {},
    children: async (p: string) => children(p),
    get: async (p: string) => (tree[p] ? { data: encodeAcls(tree[p]!), stat: { version: 0 } } : undefined),
    watchChildren: () => () => {},
  };
}

const allow = (principal: string, operation: Acl['operation'], host = '*'): Acl => ({ principal, permissionType: 'Allow', operation, host });
const deny = (principal: string, operation: Acl['operation'], host = '*'): Acl => ({ principal, permissionType: 'Deny', operation, host });

async function authorizer(tree: Tree, props: Record<string, string> = {}): Promise<AclAuthorizer> {
  const cfg = authorizerConfigFromProperties(new Map(Object.entries({ 'authorizer.class.name': 'kafka.security.auth.SimpleAclAuthorizer', ...props })))!;
  const a = new AclAuthorizer(fakeZk(tree) as never, cfg, new Logger('test'));
  await a.start();
  return a;
}

describe('the ACL decision rule', () => {
  it('allows what an ACL allows, and a Deny wins', async () => {
    const a = await authorizer({
      '/kafka-acl/Topic/t': [allow('User:alice', 'Read'), allow('User:bob', 'All'), deny('User:bob', 'Write')],
    });
    expect(a.authorize('User:alice', '10.0.0.1', 'Read', 'Topic', 't')).toBe(true);
    expect(a.authorize('User:alice', '10.0.0.1', 'Write', 'Topic', 't')).toBe(false);
    expect(a.authorize('User:alice', '10.0.0.1', 'Describe', 'Topic', 't')).toBe(true); // Read implies Describe
    expect(a.authorize('User:bob', '10.0.0.1', 'Read', 'Topic', 't')).toBe(true);
    expect(a.authorize('User:bob', '10.0.0.1', 'Write', 'Topic', 't')).toBe(false);
    expect(a.authorize('User:carol', '10.0.0.1', 'Read', 'Topic', 't')).toBe(false);
    expect(a.authorize('User:alice', '10.0.0.1', 'Read', 'Topic', 'other')).toBe(false); // no ACL: closed by default
  });

  it('matches hosts, User:*, the wildcard resource and prefixes', async () => {
    const a = await authorizer({
      '/kafka-acl/Topic/*': [allow('User:*', 'Describe')],
      '/kafka-acl/Topic/t': [allow('User:alice', 'Write', '10.0.0.1')],
      '/kafka-acl-extended/prefixed/Topic/logs-': [allow('User:bob', 'Read')],
      '/kafka-acl/Group/g': [deny('User:*', 'Read', '10.0.0.9'), allow('User:*', 'Read')],
    });
    expect(a.authorize('User:alice', '10.0.0.1', 'Write', 'Topic', 't')).toBe(true);
    expect(a.authorize('User:alice', '10.0.0.2', 'Write', 'Topic', 't')).toBe(false);
    expect(a.authorize('User:zed', '10.0.0.2', 'Describe', 'Topic', 'anything')).toBe(true);
    expect(a.authorize('User:bob', '10.0.0.2', 'Read', 'Topic', 'logs-2024')).toBe(true);
    expect(a.authorize('User:bob', '10.0.0.2', 'Read', 'Topic', 'log')).toBe(false);
    expect(a.authorize('User:x', '10.0.0.8', 'Read', 'Group', 'g')).toBe(true);
    expect(a.authorize('User:x', '10.0.0.9', 'Read', 'Group', 'g')).toBe(false);
  });

  it('lets super users do anything, and opens resources without ACLs when told to', async () => {
    const a = await authorizer({ '/kafka-acl/Topic/t': [deny('User:admin', 'All')] }, { 'super.users': 'User:admin;User:CN=ops,O=Acme', 'allow.everyone.if.no.acl.found': 'true' });
    expect(a.authorize('User:admin', '1.2.3.4', 'Write', 'Topic', 't')).toBe(true);
    expect(a.authorize('User:CN=ops,O=Acme', '1.2.3.4', 'ClusterAction', 'Cluster', 'kafka-cluster')).toBe(true);
    expect(a.authorize('User:alice', '1.2.3.4', 'Write', 'Topic', 'no-acls')).toBe(true);
    expect(a.authorize('User:alice', '1.2.3.4', 'Write', 'Topic', 't')).toBe(false); // t has ACLs, none allows alice
  });
});

describe('per-API checks', () => {
  const meta = (principal: string) => ({ clientId: 'c', clientHost: '/10.0.0.1', listener: 'PLAINTEXT', principal, sasl: false });

  it('Produce: unauthorised topics get 29 and never reach the handler; a producer id needs IdempotentWrite (31)', async () => {
    const a = await authorizer({ '/kafka-acl/Topic/ok': [allow('User:alice', 'Write')] });
    const seen: unknown[] = [];
    const run = async (req: unknown) => {
      seen.push(req);
      return { topics: (req as { topics: { topic: string }[] }).topics.map((t) => ({ topic: t.topic, partitions: [{ partition: 0, errorCode: 0, baseOffset: 5, logAppendTime: -1 }] })), throttleTimeMs: 0 };
    };
    const req = { transactionalId: null, acks: 1, timeoutMs: 1000, topics: [{ topic: 'ok', partitions: [{ partition: 0, records: null }] }, { topic: 'no', partitions: [{ partition: 0, records: null }] }] };
    const res = (await authorized(a, 0, req, meta('User:alice'), run, () => true)) as { topics: { topic: string; partitions: { errorCode: number }[] }[] };
    expect(res.topics.map((t) => [t.topic, t.partitions[0]!.errorCode])).toEqual([['ok', 0], ['no', 29]]);
    expect((seen[0] as { topics: { topic: string }[] }).topics.map((t) => t.topic)).toEqual(['ok']);
    // a v2 batch with producer id 7
    const batch = Buffer.alloc(61);
    batch.writeInt32BE(49, 8);
    batch[16] = 2;
    batch.writeBigInt64BE(7n, 43);
    seen.length = 0;
    const idem = (await authorized(a, 0, { ...req, topics: [{ topic: 'ok', partitions: [{ partition: 0, records: batch }] }] }, meta('User:alice'), run, () => true)) as { topics: { partitions: { errorCode: number }[] }[] };
    expect(idem.topics[0]!.partitions[0]!.errorCode).toBe(31);
    expect(seen).toHaveLength(0);
  });

  it('Fetch: a follower fetch (replica_id >= 0) needs ClusterAction, else 29 on every partition (CVE-2018-1288)', async () => {
    const a = await authorizer({ '/kafka-acl/Topic/t': [allow('User:alice', 'All')] });
    let called = false;
    const run = async () => {
      called = true;
      return { throttleTimeMs: 0, topics: [] };
    };
    const req = { replicaId: 1, maxWaitMs: 0, minBytes: 0, maxBytes: 100, isolationLevel: 0, topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0, maxBytes: 100 }, { partition: 1, fetchOffset: 0, maxBytes: 100 }] }] };
    const res = (await authorized(a, 1, req, meta('User:alice'), run, () => true)) as { topics: { partitions: { errorCode: number; records: Buffer }[] }[] };
    expect(res.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([29, 29]);
    expect(res.topics[0]!.partitions.every((p) => p.records.length === 0)).toBe(true);
    expect(called).toBe(false);
    await authorized(a, 1, { ...req, replicaId: -1 }, meta('User:alice'), run, () => true);
    expect(called).toBe(true);
  });

  it('groups: 30 without Read on the group; controller requests: 31 without ClusterAction', async () => {
    const a = await authorizer({ '/kafka-acl/Group/g': [allow('User:alice', 'Read')] });
    const run = async () => ({ throttleTimeMs: 0, errorCode: 0 });
    expect(await authorized(a, 12, { groupId: 'g', generationId: 1, memberId: 'm' }, meta('User:alice'), run, () => true)).toEqual({ throttleTimeMs: 0, errorCode: 0 });
    expect(await authorized(a, 12, { groupId: 'h', generationId: 1, memberId: 'm' }, meta('User:alice'), run, () => true)).toEqual({ throttleTimeMs: 0, errorCode: 30 });
    expect(await authorized(a, 6, { controllerId: 1, controllerEpoch: 1, partitionStates: [], liveBrokers: [] }, meta('User:alice'), run, () => true)).toEqual({ errorCode: 31 });
  });
});
