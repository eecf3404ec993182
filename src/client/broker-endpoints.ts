/**
 * Brokers found through ZooKeeper (/brokers/ids/<id>) and the address a client connects to on
 * each: the endpoint of the listener whose security protocol is the client's
 * `security.protocol` (endpointForProtocol in zk/payloads.ts: with several, the listener named
 * like the protocol). Used by the ZooKeeper consumer connector, its offset storage and
 * `Cluster.fromZooKeeper` (the producer's `zookeeper.connect`). A broker without such a
 * listener is left out; when brokers are registered but none has one, NoListenerError says so
 * and lists what they have (a PLAINTEXT client never falls back to an SSL port, nor the reverse).
 */
import { ConfigError } from '../common/errors.js';
import type { ZkClient } from '../zk/client.js';
import { brokerIdPath, brokerIdsPath } from '../zk/paths.js';
import { decodeBrokerRegistration, describeEndpoints, endpointForProtocol, type BrokerRegistration } from '../zk/payloads.js';

export interface RegisteredBroker {
  id: number;
  registration: BrokerRegistration;
}

/** The brokers registered now, by ascending id; registrations that do not parse are skipped. */
export async function readBrokerRegistrations(zk: ZkClient): Promise<RegisteredBroker[]> {
  const ids = ((await zk.children(brokerIdsPath)) ?? []).filter((id) => /^\d+$/.test(id)).map(Number);
  const out: RegisteredBroker[] = [];
  await Promise.all(
    ids.map(async (id) => {
      const node = await zk.get(brokerIdPath(id));
      if (!node) return;
      try {
        out.push({ id, registration: decodeBrokerRegistration(node.data, brokerIdPath(id)) });
      } catch {
        /* a registration we cannot use */
      }
    }),
  );
  return out.sort((a, b) => a.id - b.id);
}

/** Broker id -> its address for a client of `protocol` (default PLAINTEXT); brokers without such a listener are left out. */
export function brokerAddresses(brokers: readonly RegisteredBroker[], protocol = 'PLAINTEXT'): Map<number, { host: string; port: number }> {
  const out = new Map<number, { host: string; port: number }>();
  for (const b of brokers) {
    const e = endpointForProtocol(b.registration, protocol);
    if (e) out.set(b.id, { host: e.host, port: e.port });
  }
  return out;
}

/** Brokers are registered, but none has a listener of the client's security protocol. */
export class NoListenerError extends ConfigError {}

export function noListenerError(brokers: readonly RegisteredBroker[], protocol = 'PLAINTEXT'): NoListenerError {
  const list = brokers.map((b) => `${b.id}: ${describeEndpoints(b.registration)}`).join('; ');
  return new NoListenerError(
    `no broker registered in ZooKeeper has a listener for security.protocol=${protocol} (brokers: ${list}); set security.protocol to one of the protocols the brokers listen with, or add such a listener`,
    { context: { key: 'security.protocol', protocol } },
  );
}

/** brokerAddresses, or NoListenerError when brokers are registered but none has such a listener (none registered: an empty map). */
export function brokerAddressesOrThrow(brokers: readonly RegisteredBroker[], protocol = 'PLAINTEXT'): Map<number, { host: string; port: number }> {
  const out = brokerAddresses(brokers, protocol);
  if (out.size === 0 && brokers.length > 0) throw noListenerError(brokers, protocol);
  return out;
}
