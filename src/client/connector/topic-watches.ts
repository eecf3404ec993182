/**
 * The connector's watches on the topics it subscribes to: the data of each
 * `/brokers/topics/<T>` (its partitions), and for a wildcard subscription (topic-filter.ts) the
 * children of `/brokers/topics` as well, so a matching topic created later joins the
 * subscription (and one deleted leaves it), as 0.8's ZKTopicPartitionChangeListener and
 * wildcard TopicEventWatcher did. Every change calls `onChange`; `view()` says what the
 * watches see, in the form the connector compares with what its last rebalance read.
 */
import type { ZkClient } from '../../zk/client.js';
import { brokerTopicsPath, topicPath } from '../../zk/paths.js';
import { decodeTopicAssignment } from '../../zk/payloads.js';
import type { TopicFilter } from './topic-filter.js';

const NOT_YET = Symbol('not yet delivered');

export type TopicSubscription = { kind: 'static'; topics: readonly string[] } | { kind: 'wildcard'; filter: TopicFilter; excludeInternalTopics: boolean };

export class TopicWatches {
  readonly #zk: ZkClient;
  readonly #onChange: (reason: string) => void;
  /** Topic -> its partitions as "0,1,2", 'none', 'unreadable', or not yet delivered. */
  readonly #seen = new Map<string, string | typeof NOT_YET>();
  readonly #unwatch = new Map<string, () => void>();
  #unwatchTopics: (() => void) | undefined;
  /** Wildcard: the children of /brokers/topics are not delivered yet. */
  #topicsPending: boolean;
  #stopped = false;

  constructor(zk: ZkClient, sub: TopicSubscription, onChange: (reason: string) => void) {
    this.#zk = zk;
    this.#onChange = onChange;
    this.#topicsPending = sub.kind === 'wildcard';
    if (sub.kind === 'static') {
      for (const t of sub.topics) this.#watchTopic(t);
      return;
    }
    this.#unwatchTopics = zk.watchChildren(brokerTopicsPath, (children) => {
      if (this.#stopped) return;
      this.#topicsPending = false;
      const wanted = new Set(sub.filter.select(children ?? [], sub.excludeInternalTopics));
      const gone = [...this.#unwatch.keys()].filter((t) => !wanted.has(t));
      const added = [...wanted].filter((t) => !this.#unwatch.has(t));
      for (const t of gone) {
        this.#unwatch.get(t)!();
        this.#unwatch.delete(t);
        this.#seen.delete(t);
      }
      for (const t of added) this.#watchTopic(t);
      // always: the connector compares views, and the first delivery makes the view complete
      const what = [added.length > 0 ? `new: ${added.join(',')}` : '', gone.length > 0 ? `gone: ${gone.join(',')}` : ''].filter(Boolean).join('; ');
      this.#onChange(`topics matching the ${sub.filter} changed${what ? ` (${what})` : ''}`);
    });
  }

  #watchTopic(topic: string): void {
    this.#seen.set(topic, NOT_YET);
    const path = topicPath(topic);
    this.#unwatch.set(
      topic,
      this.#zk.watchData(path, (node) => {
        if (this.#stopped || !this.#unwatch.has(topic)) return;
        let parts = 'none';
        if (node) {
          try {
            parts = [...decodeTopicAssignment(node.data, path).keys()].sort((a, b) => a - b).join(',');
          } catch {
            parts = 'unreadable';
          }
        }
        this.#seen.set(topic, parts);
        this.#onChange(`partitions of ${topic} changed`);
      }),
    );
  }

  /** Topic -> partitions of every subscribed topic; undefined until every watch delivered once. */
  view(): Map<string, string> | undefined {
    if (this.#topicsPending) return undefined;
    for (const v of this.#seen.values()) if (v === NOT_YET) return undefined;
    return this.#seen as Map<string, string>;
  }

  stop(): void {
    this.#stopped = true;
    this.#unwatchTopics?.();
    for (const u of this.#unwatch.values()) u();
    this.#unwatch.clear();
  }
}
