/**
 * Kafka's ACL authorizer (SimpleAclAuthorizer 1.x-2.x, AclAuthorizer 2.4+), on `authorizer.class.name`:
 *
 *   authorized = super user || (no ACL applies && allow.everyone.if.no.acl.found)
 *                || (no matching Deny && a matching Allow)                        (deny wins)
 *
 * The ACLs that apply to a resource are its own, those of the wildcard resource `*` and those of
 * every prefixed resource its name starts with. An ACL matches when its principal is the
 * request's or `User:*`, its host is the client's IP or `*`, and its operation is the one asked
 * or All. An Allow of Read, Write or Delete also allows Describe; with AclAuthorizer (2.4+), Alter
 * does too and AlterConfigs allows DescribeConfigs (not with SimpleAclAuthorizer). Every ACL is held in memory and read again when a notification appears under
 * /kafka-acl-changes or /kafka-acl-extended-changes; notifications older than 15 minutes are
 * deleted at start and whenever those change (change-notifications.ts, as Kafka does).
 */
import type { ZkClient } from '../zk/client.js';
import { ConfigError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { CHANGE_EXPIRATION_MS, purgeObsoleteNotifications } from './change-notifications.js';
import { aclChangePrefix, aclChangesPath, aclExtendedChangesPath, listAcls, WILDCARD, type Acl, type Operation, type Resource, type ResourceType } from '../admin/acls.js';

export const AUTHORIZER_CLASSES = ['kafka.security.auth.SimpleAclAuthorizer', 'kafka.security.authorizer.AclAuthorizer'];

export interface AuthorizerConfig {
  superUsers: ReadonlySet<string>;
  allowEveryoneIfNoAclFound: boolean;
  /**
   * kafka.security.auth.SimpleAclAuthorizer (1.x-2.x): only Read, Write and Delete imply
   * Describe, and AlterConfigs does not imply DescribeConfigs; AclAuthorizer (2.4+) adds Alter
   * and AlterConfigs.
   */
  simple: boolean;
}

/** The authorizer settings, or undefined when authorizer.class.name is not set (everything is allowed). */
export function authorizerConfigFromProperties(props: ReadonlyMap<string, string>): AuthorizerConfig | undefined {
  const cls = props.get('authorizer.class.name')?.trim();
  if (!cls) return undefined;
  if (!AUTHORIZER_CLASSES.includes(cls)) {
    throw new ConfigError(`config "authorizer.class.name": unsupported authorizer "${cls}" (${AUTHORIZER_CLASSES.join(' or ')})`, { context: { key: 'authorizer.class.name' } });
  }
  const allow = (props.get('allow.everyone.if.no.acl.found') ?? 'false').trim().toLowerCase();
  if (allow !== 'true' && allow !== 'false') throw new ConfigError('config "allow.everyone.if.no.acl.found" must be true or false', { context: { key: 'allow.everyone.if.no.acl.found' } });
  const superUsers = new Set((props.get('super.users') ?? '').split(';').map((s) => s.trim()).filter((s) => s !== ''));
  for (const u of superUsers) if (!u.includes(':')) throw new ConfigError(`config "super.users": "${u}" is not a principal (User:<name>)`, { context: { key: 'super.users' } });
  return { superUsers, allowEveryoneIfNoAclFound: allow === 'true', simple: cls === AUTHORIZER_CLASSES[0] };
}

/** Stands for the ACLs of a resource whose znode cannot be read: only super users get through. */
const UNREADABLE_RETRY_MS = 5000;
const DENY_EVERYONE: Acl = { principal: 'User:*', permissionType: 'Deny', operation: 'All', host: '*' };

const IMPLIES_DESCRIBE: readonly Operation[] = ['Describe', 'Read', 'Write', 'Delete', 'Alter'];
const IMPLIES_DESCRIBE_SIMPLE: readonly Operation[] = ['Describe', 'Read', 'Write', 'Delete'];

export class AclAuthorizer {
  readonly #zk: ZkClient;
  readonly #cfg: AuthorizerConfig;
  readonly #log: Logger;
  #literal = new Map<string, Acl[]>();
  #prefixed: { type: ResourceType; prefix: string; acls: Acl[] }[] = [];
  #reloading: Promise<void> = Promise.resolve();
  readonly #unwatch: (() => void)[] = [];

  readonly #changeExpirationMs: number;
  #stopped = false;
  #retry: NodeJS.Timeout | undefined;
  /** The notifications of each change root seen so far: only a new one makes us read the ACLs again (a purge deletes some). */
  readonly #seen = new Map<string, Set<string>>();

  constructor(zk: ZkClient, cfg: AuthorizerConfig, log: Logger, opts: { changeExpirationMs?: number } = {}) {
    this.#zk = zk;
    this.#cfg = cfg;
    this.#log = log;
    this.#changeExpirationMs = opts.changeExpirationMs ?? CHANGE_EXPIRATION_MS;
  }

  async start(): Promise<void> {
    for (const p of [aclChangesPath, aclExtendedChangesPath]) await this.#zk.ensurePath(p);
    const now = Date.now();
    await this.#reload();
    // as Kafka's listeners do when they start: notifications older than the expiry go
    for (const p of [aclChangesPath, aclExtendedChangesPath]) await this.#purge(p, now);
    for (const p of [aclChangesPath, aclExtendedChangesPath]) {
      this.#unwatch.push(
        this.#zk.watchChildren(p, (names) => {
          this.#reloading = this.#reloading
            .then(async () => {
              const now = Date.now();
              const seen = this.#seen.get(p);
              const fresh = names === undefined || seen === undefined || names.some((n) => !seen.has(n));
              this.#seen.set(p, new Set(names ?? []));
              if (fresh) await this.#reload();
              await this.#purge(p, now, names);
            })
            .catch((err: unknown) => this.#log.warn('reading ACLs failed', { error: err }));
        }),
      );
    }
    this.#log.info('ACL authorizer started', { superUsers: [...this.#cfg.superUsers].join(';'), allowEveryoneIfNoAclFound: this.#cfg.allowEveryoneIfNoAclFound });
  }

  /** Deletes the change notifications under `root` older than the expiry (Kafka's purgeObsoleteNotifications). */
  async #purge(root: string, now: number, names?: readonly string[]): Promise<void> {
    const n = await purgeObsoleteNotifications(this.#zk, root, aclChangePrefix, { now, expirationMs: this.#changeExpirationMs, log: this.#log, names });
    if (n > 0) this.#log.info(`purged ${n} ACL change notification(s) older than ${this.#changeExpirationMs} ms`, { root });
  }

  /**
   * Reads every ACL again. A resource whose znode cannot be parsed is never taken for one
   * without ACLs (with allow.everyone.if.no.acl.found that would open it, a Deny included): it
   * keeps the ACLs last read, or, read for the first time, denies everyone but the super users.
   */
  async #reload(): Promise<void> {
    const literal = new Map<string, Acl[]>();
    const prefixed: { type: ResourceType; prefix: string; acls: Acl[] }[] = [];
    const add = (resource: Resource, acls: Acl[]): void => {
      if (resource.patternType === 'LITERAL') literal.set(`${resource.type}:${resource.name}`, acls);
      else prefixed.push({ type: resource.type, prefix: resource.name, acls });
    };
    const unreadable: { resource: Resource; error: unknown }[] = [];
    for (const { resource, acls } of await listAcls(this.#zk, (resource, error) => unreadable.push({ resource, error }))) add(resource, acls);
    for (const { resource, error } of unreadable) {
      const before = resource.patternType === 'LITERAL' ? this.#literal.get(`${resource.type}:${resource.name}`) : this.#prefixed.find((p) => p.type === resource.type && p.prefix === resource.name)?.acls;
      add(resource, before ?? [DENY_EVERYONE]);
      this.#log.error(`cannot read the ACLs of ${resource.type} ${resource.name} (${resource.patternType}); ${before ? 'keeping the ACLs read before' : 'denying everyone but the super users'} until they can be read`, { error });
    }
    this.#literal = literal;
    this.#prefixed = prefixed;
    // a ZooKeeper hiccup heals on its own: read again in a while (a bad znode stays logged)
    if (unreadable.length > 0 && !this.#stopped && !this.#retry) {
      this.#retry = setTimeout(() => {
        this.#retry = undefined;
        if (!this.#stopped) this.#reloading = this.#reloading.then(() => this.#reload()).catch((err: unknown) => this.#log.warn('reading ACLs failed', { error: err }));
      }, UNREADABLE_RETRY_MS);
      this.#retry.unref();
    }
  }

  stop(): void {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    for (const u of this.#unwatch) u();
  }

  /** `host` is the client's IP (no leading '/'). */
  authorize(principal: string, host: string, operation: Operation, type: ResourceType, name: string): boolean {
    if (this.#cfg.superUsers.has(principal)) return true;
    const acls = [
      ...(this.#literal.get(`${type}:${name}`) ?? []),
      ...(name !== WILDCARD ? (this.#literal.get(`${type}:${WILDCARD}`) ?? []) : []),
      ...this.#prefixed.filter((p) => p.type === type && name.startsWith(p.prefix)).flatMap((p) => p.acls),
    ];
    if (acls.length === 0) return this.#cfg.allowEveryoneIfNoAclFound;
    const who = (a: Acl): boolean => (a.principal === principal || a.principal === 'User:*') && (a.host === '*' || a.host === host);
    if (acls.some((a) => a.permissionType === 'Deny' && who(a) && (a.operation === operation || a.operation === 'All'))) return false;
    const simple = this.#cfg.simple;
    const allowedBy: readonly Operation[] =
      operation === 'Describe' ? (simple ? IMPLIES_DESCRIBE_SIMPLE : IMPLIES_DESCRIBE) : operation === 'DescribeConfigs' && !simple ? ['DescribeConfigs', 'AlterConfigs'] : [operation];
    return acls.some((a) => a.permissionType === 'Allow' && who(a) && (a.operation === 'All' || allowedBy.includes(a.operation)));
  }
}
