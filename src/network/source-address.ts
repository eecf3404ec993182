/**
 * Binds every outgoing TCP connection of this process to one local address, so that a
 * process on the loopback network has an address of its own in both directions: a broker
 * listening on 127.0.7.2 also connects to the other brokers and to ZooKeeper FROM 127.0.7.2
 * (by default Linux picks 127.0.0.1 for any 127/8 destination). Packet filters can then cut
 * the links between two processes by address pair (kafka-verify's network partitions).
 *
 * Only connections to loopback destinations (127.0.0.0/8) that chose no local address are
 * bound; every path that opens a TCP connection through node:net goes through
 * Socket.prototype.connect (the Kafka client connections and the ZooKeeper client alike).
 */
import net from 'node:net';

let bound: string | undefined;

/** The address outgoing connections are bound to, if any. */
export function boundSourceAddress(): string | undefined {
  return bound;
}

export function bindOutgoingConnections(localAddress: string): void {
  if (net.isIPv4(localAddress) === false || !localAddress.startsWith('127.')) {
    throw new Error(`source address must be an IPv4 loopback address (127.x.y.z), got "${localAddress}"`);
  }
  if (bound !== undefined) {
    bound = localAddress;
    return;
  }
  bound = localAddress;
  const original = net.Socket.prototype.connect;
  const patched = function (this: net.Socket, ...args: unknown[]): net.Socket {
    // net.connect() hands over [options, cb] normalized into an array; a direct call passes options.
    const first = args[0];
    const opts = (Array.isArray(first) ? first[0] : first) as net.TcpSocketConnectOpts | undefined;
    if (opts && typeof opts === 'object' && opts.port !== undefined && !('path' in opts && (opts as { path?: string }).path) && !opts.localAddress) {
      const host = opts.host ?? 'localhost';
      if (/^127\./.test(host) || host === 'localhost') opts.localAddress = bound;
    }
    return (original as (...a: unknown[]) => net.Socket).apply(this, args);
  };
  net.Socket.prototype.connect = patched as typeof net.Socket.prototype.connect;
}

/** KAFKA_SOURCE_ADDRESS=127.x.y.z binds this process's outgoing connections (see above). */
export function bindOutgoingConnectionsFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  const a = env.KAFKA_SOURCE_ADDRESS;
  if (a) bindOutgoingConnections(a);
}
