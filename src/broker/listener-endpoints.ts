/**
 * Every live broker's endpoint on each listener, for Metadata answered on a listener other than
 * the inter-broker one (the controller's UpdateMetadata carries only inter-broker endpoints).
 * Read from the brokers' registrations (/brokers/ids/<id>, v4 "endpoints"), cached per broker
 * while its inter-broker address in the metadata cache stays the same (a restarted broker with
 * new ports is read again).
 */
import type { ZkClient } from '../zk/client.js';
import { brokerIdPath } from '../zk/paths.js';
import { decodeBrokerRegistration, registrationEndpoint, type BrokerRegistration } from '../zk/payloads.js';
import type { MetadataCache } from './metadata-cache.js';

export class ListenerEndpoints {
  readonly #zk: ZkClient;
  readonly #metadata: MetadataCache;
  readonly #cache = new Map<number, { key: string; reg: Promise<BrokerRegistration | undefined> }>();

  constructor(zk: ZkClient, metadata: MetadataCache) {
    this.#zk = zk;
    this.#metadata = metadata;
  }

  /** Live broker id -> its endpoint on `listener`; brokers without that listener are left out. */
  async forListener(listener: string): Promise<Map<number, { host: string; port: number }>> {
    const out = new Map<number, { host: string; port: number }>();
    const brokers = this.#metadata.brokers();
    const regs = await Promise.all(brokers.map((b) => this.#registration(b.id, `${b.host}:${b.port}`)));
    brokers.forEach((b, i) => {
      const reg = regs[i];
      const ep = reg && registrationEndpoint(reg, listener);
      if (ep) out.set(b.id, ep);
    });
    return out;
  }

  #registration(id: number, key: string): Promise<BrokerRegistration | undefined> {
    const hit = this.#cache.get(id);
    if (hit && hit.key === key) return hit.reg;
    const reg = this.#zk.get(brokerIdPath(id)).then(
      (node) => (node ? decodeBrokerRegistration(node.data, brokerIdPath(id)) : undefined),
      () => undefined,
    );
    const entry = { key, reg };
    this.#cache.set(id, entry);
    // a failed or missing read is retried next time
    void reg.then((r) => {
      if (!r && this.#cache.get(id) === entry) this.#cache.delete(id);
    });
    return reg;
  }
}
