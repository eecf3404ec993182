/**
 * One socket server per listener: TLS on SSL and SASL_SSL listeners, the SASL authenticator in
 * front of the dispatcher on SASL_PLAINTEXT and SASL_SSL ones, and the endpoints the broker
 * registers (advertised address; a port of 0 is the port actually bound).
 */
import type { BrokerConfig } from './config.js';
import { saslGate } from './sasl-authenticator.js';
import { SocketServer, type RequestHandler, type ResponseTimes } from '../network/socket-server.js';
import { usesSasl } from '../network/tls-config.js';
import type { ScramCredential, ScramMechanism } from '../common/scram.js';
import type { BrokerRegistrationEndpoint } from '../zk/payloads.js';
import type { Logger } from '../common/logger.js';
import { ApiKey } from '../protocol/api-keys.js';

/**
 * A Produce request's frame is not referenced once its handler has resolved: handleProduce
 * settles only after every partition's append has settled, and an append's record set is only
 * written from (the log keeps offsets and positions, never the bytes). Its buffer is reused.
 */
const produceFrame = (frame: Buffer): boolean => frame.length >= 2 && frame.readInt16BE(0) === ApiKey.Produce;

export interface ListenerServer {
  name: string;
  server: SocketServer;
}

export function createListenerServers(
  c: BrokerConfig,
  dispatch: RequestHandler,
  scramCredential: (user: string, mechanism: ScramMechanism) => Promise<ScramCredential | undefined>,
  log: Logger,
  onResponseSent?: (apiKey: number, times: ResponseTimes) => void,
): ListenerServer[] {
  return c.listeners.listeners.map((l) => {
    const sec = c.listenerSecurity.get(l.name)!;
    const sasl = usesSasl(l.protocol);
    const handler = sasl ? saslGate({ mechanisms: sec.mechanisms, plainUsers: sec.plainUsers, scramCredential, log: log.child(`sasl-${l.name}`) }, dispatch) : dispatch;
    const server = new SocketServer(
      {
        host: l.host,
        port: l.port,
        maxRequestBytes: c.socketRequestMaxBytes,
        idleTimeoutMs: c.connectionsMaxIdleMs,
        logger: log,
        listener: l.name,
        ...(sec.tls ? { tls: sec.tls } : {}),
        ...(sasl ? { preAuthMaxBytes: Math.min(c.saslServerMaxReceiveSize, c.socketRequestMaxBytes) } : {}),
        reusableFrame: produceFrame,
        ...(onResponseSent ? { onResponseSent } : {}),
      },
      handler,
    );
    return { name: l.name, server };
  });
}

/** What /brokers/ids/<id> lists: each listener's advertised endpoint (port 0: the bound port). */
export function registrationEndpoints(c: BrokerConfig, servers: readonly ListenerServer[]): BrokerRegistrationEndpoint[] {
  return c.listeners.listeners.map((l) => {
    const bound = servers.find((s) => s.name === l.name)!.server.port;
    return { listener: l.name, protocol: l.protocol, host: l.advertisedHost, port: l.advertisedPort === 0 ? bound : l.advertisedPort };
  });
}
