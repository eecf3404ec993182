/**
 * Controlled shutdown (Kafka 0.8.1): before it stops, a broker asks the controller to move its
 * leaderships to other ISR members and to drop it from the ISRs, while it still serves, so
 * producers fail over at once instead of after a session timeout. Up to
 * controlled.shutdown.max.retries attempts.
 *
 * Ours differs from Kafka's in two places, both about a cluster stopping as a whole: the
 * controller's address comes from the metadata cache, else (a broker that has just started and
 * has had no UpdateMetadata yet) from its registration in ZooKeeper, as 0.8 read it (and which
 * broker is the controller from /controller, when the elector has not read it yet); and a failed
 * attempt is retried after controlled.shutdown.retry.backoff.ms or as soon as another controller
 * is ready, whichever comes first. When every broker stops at once the controller shuts down
 * under the others' requests ("connection closed"), and a blind 5-s backoff made stopping three
 * brokers take 5.3 s instead of 0.5 s.
 */
import type { BrokerConfig } from './config.js';
import type { KafkaController } from './controller/controller.js';
import type { MetadataCache } from './metadata-cache.js';
import type { ZkClient } from '../zk/client.js';
import type { ClientSecurity } from '../network/client-security.js';
import type { Logger } from '../common/logger.js';
import { KafkaConnection } from '../network/client-connection.js';
import { API_CODECS } from '../protocol/apis/index.js';
import { ApiKey } from '../protocol/api-keys.js';
import { brokerIdPath, controllerPath } from '../zk/paths.js';
import { decodeBrokerRegistration, decodeController, registrationEndpoint } from '../zk/payloads.js';

export interface ControlledShutdownDeps {
  config: BrokerConfig;
  controller: KafkaController;
  metadata: MetadataCache | undefined;
  zk: ZkClient;
  interBrokerSecurity: ClientSecurity | undefined;
  log: Logger;
}

/** Runs the attempts; resolves once no partition is led here, or after the last attempt. */
export async function controlledShutdown(d: ControlledShutdownDeps): Promise<void> {
  const c = d.config;
  for (let attempt = 1; attempt <= c.controlledShutdownMaxRetries; attempt++) {
    let leaderId = d.controller.elector.leaderId;
    try {
      if (leaderId < 0) leaderId = await registeredController(d);
      const remaining = await attemptOnce(d, leaderId);
      if (remaining === 0) {
        d.log.info('controlled shutdown succeeded');
        return;
      }
      d.log.warn('controlled shutdown: partitions still led here', { remaining, attempt });
    } catch (err) {
      d.log.warn('controlled shutdown attempt failed', { attempt, error: err });
    }
    if (attempt < c.controlledShutdownMaxRetries) await controllerChangeOrBackoff(d, leaderId);
  }
  d.log.warn('proceeding with an unclean shutdown of leaderships after the last controlled-shutdown attempt');
}

/** One request to the controller (or a call of our own, when this broker is it): the partitions still led here. */
async function attemptOnce(d: ControlledShutdownDeps, leaderId: number): Promise<number> {
  const brokerId = d.config.brokerId;
  if (d.controller.isActive) return (await d.controller.onControlledShutdown(brokerId)).length;
  const b = leaderId < 0 ? undefined : (d.metadata?.broker(leaderId) ?? (await registeredEndpoint(d, leaderId)));
  if (!b) throw new Error(leaderId < 0 ? 'no controller known' : `controller ${leaderId} is not registered`);
  const conn = new KafkaConnection(b.host, b.port, { clientId: `broker-${brokerId}`, timeoutMs: 30_000, security: d.interBrokerSecurity });
  try {
    const codec = API_CODECS[ApiKey.ControlledShutdown];
    const r = await conn.request(codec.apiKey, 0, (w) => void codec.encodeRequest(w, 0, { brokerId }));
    const res = codec.decodeResponse(r!, 0);
    if (res.errorCode !== 0) throw new Error(`controller answered error ${res.errorCode}`);
    return res.partitionsRemaining.length;
  } finally {
    conn.close();
  }
}

/**
 * The controller as registered in ZooKeeper, for a broker stopped before its elector has read
 * /controller (a SIGTERM milliseconds after start): -1 when there is none.
 */
async function registeredController(d: ControlledShutdownDeps): Promise<number> {
  const node = await d.zk.get(controllerPath);
  return node ? decodeController(node.data).brokerId : -1;
}

/** Broker `id`'s inter-broker endpoint, from its registration (as the controller reaches it: broker-changes.ts). */
async function registeredEndpoint(d: ControlledShutdownDeps, id: number): Promise<{ host: string; port: number } | undefined> {
  const node = await d.zk.get(brokerIdPath(id));
  if (!node) return undefined;
  const reg = decodeBrokerRegistration(node.data);
  const listener = d.config.listeners.interBroker;
  return (listener === 'PLAINTEXT' && !reg.endpoints ? undefined : registrationEndpoint(reg, listener)) ?? { host: reg.host, port: reg.port };
}

/** controlled.shutdown.retry.backoff.ms, or less when a controller other than `before` is ready first. */
async function controllerChangeOrBackoff(d: ControlledShutdownDeps, before: number): Promise<void> {
  const deadline = Date.now() + d.config.controlledShutdownRetryBackoffMs;
  const ready = (): boolean => {
    const now = d.controller.elector.leaderId;
    return now >= 0 && now !== before && (now !== d.config.brokerId || d.controller.isActive);
  };
  while (Date.now() < deadline && !ready()) await new Promise((r) => setTimeout(r, Math.min(25, Math.max(1, deadline - Date.now()))));
}
