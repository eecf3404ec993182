/**
 * Findings of the security review, fixed (unit tests over a ZooKeeper stand-in):
 *   - an ACL znode that does not parse is not "no ACLs" (which allow.everyone.if.no.acl.found
 *     would open, its Deny included): the ACLs read before are kept, or everyone but the super
 *     users is denied;
 *   - an IPv4 client seen through an IPv6 wildcard listener (::ffff:a.b.c.d) is matched against
 *     ACL hosts as a.b.c.d (a host-specific Deny applied to nobody);
 *   - Metadata asks for Create on a missing topic only when the request would create it (with
 *     auto-creation off Kafka answers UNKNOWN_TOPIC_OR_PARTITION, not 29);
 *   - SimpleAclAuthorizer lets only Read, Write and Delete imply Describe (AclAuthorizer 2.4+
 *     adds Alter, and AlterConfigs implying DescribeConfigs).
 */
import { describe, expect, it } from 'vitest';
import { AclAuthorizer, authorizerConfigFromProperties } from '../../src/broker/authorizer.js';
import { aclHost, authorized } from '../../src/broker/authorization.js';
import { encodeAcls, type Acl } from '../../src/admin/acls.js';
import { Logger } from '../../src/common/logger.js';

type Tree = Record<string, Acl[] | string>;

function fakeZk(tree: Tree) {
  const watchers: ((names: string[] | undefined) => void)[] = [];
  const children = (p: string): string[] | undefined => {
    const kids = new Set<string>();
    for (const path of Object.keys(tree)) if (path.startsWith(`${p}/`)) kids.add(path.slice(p.length + 1).split('/')[0]!);
    return kids.size > 0 ? [...kids] : undefined;
  };
  return {
    zk: {
      ensurePath: async () => {},
      children: async (p: string) => children(p),
      get: async (p: string) => {
        const v = tree[p];
        if (v === undefined) return undefined;
        return { data: typeof v === 'string' ? Buffer.from(v) : encodeAcls(v), stat: { version: 0, ctime: Date.now() } };
      },
      watchChildren: (_p: string, cb: (names: string[] | undefined) => void) => {
        watchers.push(cb);
        return () => {};
      },
    },
    /** A new change notification: every watcher hears of it. */
    notify: (n: number) => {
      for (const w of watchers) w([`acl_changes_${String(n).padStart(10, '0')}`]);
    },
  };
}

const allow = (principal: string, operation: Acl['operation'], host = '*'): Acl => ({ principal, permissionType: 'Allow', operation, host });
const deny = (principal: string, operation: Acl['operation'], host = '*'): Acl => ({ principal, permissionType: 'Deny', operation, host });
const config = (props: Record<string, string> = {}) => authorizerConfigFromProperties(new Map(Object.entries({ 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer', ...props })))!;

async function start(tree: Tree, props: Record<string, string> = {}) {
  const z = fakeZk(tree);
  const a = new AclAuthorizer(z.zk as never, config(props), new Logger('test'));
  await a.start();
  return { a, notify: z.notify };
}

describe('an unreadable ACL znode', () => {
  it('denies everyone but the super users when read for the first time, even with allow.everyone.if.no.acl.found', async () => {
    const { a } = await start({ '/kafka-acl/Topic/t': '{"version":1,"acls":[{"principal":"User:alice","permissionType":"Deny",' }, { 'allow.everyone.if.no.acl.found': 'true', 'super.users': 'User:admin' });
    try {
      expect(a.authorize('User:alice', '10.0.0.1', 'Read', 'Topic', 't')).toBe(false);
      expect(a.authorize('User:bob', '10.0.0.1', 'Write', 'Topic', 't')).toBe(false);
      expect(a.authorize('User:admin', '10.0.0.1', 'Write', 'Topic', 't')).toBe(true);
      expect(a.authorize('User:bob', '10.0.0.1', 'Write', 'Topic', 'other')).toBe(true); // no ACL at all: open, as configured
    } finally {
      a.stop();
    }
  });

  it('keeps the ACLs read before when it becomes unreadable, and takes the new ones once readable again', async () => {
    const tree: Tree = {
      '/kafka-acl/Topic/t': [deny('User:alice', 'Read'), allow('User:*', 'Read')],
      '/kafka-acl-extended/prefixed/Topic/p-': [deny('User:alice', 'Write'), allow('User:*', 'Write')],
    };
    const { a, notify } = await start(tree, { 'allow.everyone.if.no.acl.found': 'true' });
    try {
      expect(a.authorize('User:alice', '10.0.0.1', 'Read', 'Topic', 't')).toBe(false);
      tree['/kafka-acl/Topic/t'] = 'not json';
      tree['/kafka-acl-extended/prefixed/Topic/p-'] = '{"version":1,"acls":[{"principal":"User:alice","permissionType":"Maybe","operation":"Write","host":"*"}]}';
      notify(1);
      await new Promise((r) => setTimeout(r, 50));
      expect(a.authorize('User:alice', '10.0.0.1', 'Read', 'Topic', 't')).toBe(false);
      expect(a.authorize('User:bob', '10.0.0.1', 'Read', 'Topic', 't')).toBe(true);
      expect(a.authorize('User:alice', '10.0.0.1', 'Write', 'Topic', 'p-1')).toBe(false);
      expect(a.authorize('User:bob', '10.0.0.1', 'Write', 'Topic', 'p-1')).toBe(true);
      tree['/kafka-acl/Topic/t'] = [allow('User:alice', 'Read')];
      notify(2);
      await new Promise((r) => setTimeout(r, 50));
      expect(a.authorize('User:alice', '10.0.0.1', 'Read', 'Topic', 't')).toBe(true);
      expect(a.authorize('User:bob', '10.0.0.1', 'Read', 'Topic', 't')).toBe(false);
    } finally {
      a.stop();
    }
  });
});

describe('the client host an ACL is compared with', () => {
  const meta = (clientHost: string) => ({ clientId: 'c', clientHost, listener: 'PLAINTEXT', principal: 'User:alice', sasl: false });

  it('is the IPv4 address of an IPv4-mapped IPv6 one', async () => {
    expect(aclHost('/::ffff:10.0.0.9')).toBe('10.0.0.9');
    expect(aclHost('/::FFFF:127.0.0.1')).toBe('127.0.0.1');
    expect(aclHost('/10.0.0.9')).toBe('10.0.0.9');
    expect(aclHost('/fe80::1')).toBe('fe80::1');
    const { a } = await start({ '/kafka-acl/Topic/t': [allow('User:alice', 'Write'), deny('User:alice', 'Write', '10.0.0.9')] });
    try {
      const run = async (req: unknown) => ({ throttleTimeMs: 0, topics: (req as { topics: { topic: string }[] }).topics.map((t) => ({ topic: t.topic, partitions: [{ partition: 0, errorCode: 0, baseOffset: 0, logAppendTime: -1, logStartOffset: 0 }] })) });
      const req = { transactionalId: null, acks: 1, timeoutMs: 1000, topics: [{ topic: 't', partitions: [{ partition: 0, records: null }] }] };
      const code = async (host: string) => ((await authorized(a, 0, req, meta(host), run, () => true)) as { topics: { partitions: { errorCode: number }[] }[] }).topics[0]!.partitions[0]!.errorCode;
      expect(await code('/10.0.0.9')).toBe(29);
      expect(await code('/::ffff:10.0.0.9')).toBe(29); // was 0: the Deny did not apply
      expect(await code('/::ffff:10.0.0.8')).toBe(0);
    } finally {
      a.stop();
    }
  });
});

describe('Metadata for a missing topic', () => {
  const meta = { clientId: 'c', clientHost: '/10.0.0.1', listener: 'PLAINTEXT', principal: 'User:alice', sasl: false };

  it('asks for Create only when the request would create the topic', async () => {
    const { a } = await start({ '/kafka-acl/Topic/*': [allow('User:alice', 'Describe')] });
    try {
      const asked: string[][] = [];
      const run = async (req: unknown) => {
        const topics = (req as { topics: string[] }).topics;
        asked.push(topics);
        return { brokers: [], controllerId: 1, topics: topics.map((t) => ({ errorCode: 3, topic: t, isInternal: false, partitions: [] })) };
      };
      const codes = async (req: { topics: string[]; allowAutoTopicCreation?: boolean }, autoCreate: boolean) =>
        ((await authorized(a, 3, req, meta, run, () => false, autoCreate)) as { topics: { errorCode: number }[] }).topics.map((t) => t.errorCode);
      expect(await codes({ topics: ['missing'] }, true)).toEqual([29]);
      expect(await codes({ topics: ['missing'] }, false)).toEqual([3]);
      expect(await codes({ topics: ['missing'], allowAutoTopicCreation: false }, true)).toEqual([3]);
      expect(asked).toEqual([[], ['missing'], ['missing']]);
    } finally {
      a.stop();
    }
  });
});

describe('the operations that imply others', () => {
  it('differ between SimpleAclAuthorizer and AclAuthorizer', async () => {
    const tree: Tree = { '/kafka-acl/Topic/t': [allow('User:alice', 'Alter'), allow('User:alice', 'AlterConfigs'), allow('User:bob', 'Write')] };
    const simple = await start(tree, { 'authorizer.class.name': 'kafka.security.auth.SimpleAclAuthorizer' });
    const modern = await start(tree);
    try {
      expect(simple.a.authorize('User:alice', '10.0.0.1', 'Describe', 'Topic', 't')).toBe(false);
      expect(simple.a.authorize('User:alice', '10.0.0.1', 'DescribeConfigs', 'Topic', 't')).toBe(false);
      expect(simple.a.authorize('User:bob', '10.0.0.1', 'Describe', 'Topic', 't')).toBe(true);
      expect(modern.a.authorize('User:alice', '10.0.0.1', 'Describe', 'Topic', 't')).toBe(true);
      expect(modern.a.authorize('User:alice', '10.0.0.1', 'DescribeConfigs', 'Topic', 't')).toBe(true);
      expect(modern.a.authorize('User:bob', '10.0.0.1', 'Describe', 'Topic', 't')).toBe(true);
    } finally {
      simple.a.stop();
      modern.a.stop();
    }
  });
});
