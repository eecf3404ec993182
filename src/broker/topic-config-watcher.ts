/**
 * Watches /config/topics/<T> for every topic (and /config/topics' children) and reports each
 * topic's overrides, so logs follow `kafka-topics --config` changes without a restart.
 */
import { EventEmitter } from 'node:events';
import type { ZkClient } from '../zk/client.js';
import { configTopicsPath, topicConfigPath } from '../zk/paths.js';
import { decodeTopicConfig } from '../zk/payloads.js';
import { Logger } from '../common/logger.js';

export class TopicConfigWatcher extends EventEmitter {
  readonly #zk: ZkClient;
  readonly #log: Logger;
  readonly #configs = new Map<string, Record<string, string>>();
  readonly #watches = new Map<string, () => void>();
  #unwatch: (() => void) | undefined;

  constructor(zk: ZkClient, log = new Logger('topic-config')) {
    super();
    this.#zk = zk;
    this.#log = log;
  }

  start(): void {
    this.#unwatch = this.#zk.watchChildren(configTopicsPath, (topics) => {
      const now = new Set(topics ?? []);
      for (const [t, u] of this.#watches) {
        if (!now.has(t)) {
          u();
          this.#watches.delete(t);
          this.#configs.delete(t);
        }
      }
      for (const t of now) {
        if (this.#watches.has(t)) continue;
        this.#watches.set(
          t,
          this.#zk.watchData(topicConfigPath(t), (node) => {
            try {
              this.#configs.set(t, node ? decodeTopicConfig(node.data) : {});
              this.emit('config', t, this.#configs.get(t));
            } catch (err) {
              this.#log.warn('ignoring an unreadable topic config', { topic: t, error: err });
            }
          }),
        );
      }
    });
  }

  /** A topic's overrides (topic-level names); empty when it has none. */
  get(topic: string): Record<string, string> {
    return this.#configs.get(topic) ?? {};
  }

  stop(): void {
    this.#unwatch?.();
    for (const u of this.#watches.values()) u();
    this.#watches.clear();
  }
}
