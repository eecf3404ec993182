/**
 * The proxy's consumer instances, by group and name. Instances are stateful and live in this
 * process only (a client uses the base_uri it was given). An instance nobody has called for
 * consumer.instance.timeout.ms is closed (it leaves its group, committing first with
 * auto.commit.enable) and forgotten: a later call gets 40403. At shutdown every instance is
 * closed.
 */
import { randomBytes } from 'node:crypto';
import { Logger } from '../common/logger.js';
import { ConsumerInstance } from './consumer-instance.js';
import { Errors } from './errors.js';
import type { EmbeddedFormat } from './http-util.js';

export interface InstanceRequest {
  name?: string;
  format: EmbeddedFormat;
  /** Connector properties from the request (auto.offset.reset, auto.commit.enable, ...). */
  props: Record<string, string>;
}

const NAME = /^[A-Za-z0-9._-]{1,200}$/;

export class ConsumerManager {
  readonly #zookeeper: string;
  readonly #defaults: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #instances = new Map<string, ConsumerInstance>();
  /** Names being created (reserved, so two creations of one name cannot both succeed). */
  readonly #creating = new Set<string>();
  readonly #timer: NodeJS.Timeout;
  readonly #log = new Logger('rest-consumers');

  /** `defaults`: connector properties every instance gets (the proxy's consumer.* settings). */
  constructor(zookeeper: string, instanceTimeoutMs: number, defaults: Record<string, string> = {}) {
    this.#zookeeper = zookeeper;
    this.#timeoutMs = instanceTimeoutMs;
    this.#defaults = defaults;
    this.#timer = setInterval(() => void this.expire(), Math.max(50, Math.min(1000, Math.floor(instanceTimeoutMs / 4))));
    this.#timer.unref();
  }

  get size(): number {
    return this.#instances.size;
  }

  async create(group: string, req: InstanceRequest): Promise<ConsumerInstance> {
    const name = req.name ?? `rest-consumer-${randomBytes(8).toString('hex')}`;
    if (!NAME.test(name)) throw Errors.invalidConsumerConfig(`name "${name}" must be 1 to 200 of the characters A-Z a-z 0-9 . _ -`);
    const key = `${group}\u0000${name}`;
    if (this.#instances.has(key) || this.#creating.has(key)) throw Errors.consumerExists(group, name);
    this.#creating.add(key);
    try {
      const props = { ...this.#defaults, ...req.props, 'group.id': group, 'consumer.id': name, 'zookeeper.connect': this.#zookeeper };
      const instance = await ConsumerInstance.create(group, name, req.format, props);
      this.#instances.set(key, instance);
      this.#log.info('consumer instance created', { group, instance: name, format: req.format });
      return instance;
    } finally {
      this.#creating.delete(key);
    }
  }

  /** The instance, or 40403. */
  get(group: string, name: string): ConsumerInstance {
    const i = this.#instances.get(`${group}\u0000${name}`);
    if (!i || i.closed) throw Errors.consumerInstanceNotFound(group, name);
    return i;
  }

  /** Runs a call on an instance, keeping it from expiring meanwhile. */
  async use<T>(group: string, name: string, fn: (i: ConsumerInstance) => Promise<T>): Promise<T> {
    const i = this.get(group, name);
    i.active++;
    i.lastUsed = Date.now();
    try {
      return await i.run(() => fn(i));
    } finally {
      i.active--;
      i.lastUsed = Date.now();
    }
  }

  async delete(group: string, name: string): Promise<void> {
    const i = this.get(group, name);
    this.#instances.delete(`${group}\u0000${name}`);
    await i.close();
    this.#log.info('consumer instance deleted', { group, instance: name });
  }

  /** Closes the instances idle for longer than consumer.instance.timeout.ms. */
  async expire(now = Date.now()): Promise<void> {
    const idle = [...this.#instances].filter(([, i]) => i.active === 0 && now - i.lastUsed > this.#timeoutMs);
    for (const [k] of idle) this.#instances.delete(k);
    await Promise.all(
      idle.map(async ([, i]) => {
        this.#log.info('consumer instance expired', { group: i.group, instance: i.name, idleMs: now - i.lastUsed });
        await i.close();
      }),
    );
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    const all = [...this.#instances.values()];
    this.#instances.clear();
    await Promise.all(all.map((i) => i.close()));
  }
}
