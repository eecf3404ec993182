/**
 * Which endpoint of a /brokers/ids registration a client of a security protocol connects to
 * (endpointForProtocol, brokerAddresses, NoListenerError), and a stream's reported error.
 */
import { describe, expect, it } from 'vitest';
import { decodeBrokerRegistration, endpointForProtocol } from '../../src/zk/payloads.js';
import { brokerAddresses, brokerAddressesOrThrow, NoListenerError, type RegisteredBroker } from '../../src/client/broker-endpoints.js';
import { KafkaStream, PartitionTopicInfo } from '../../src/client/connector/stream.js';

const v4 = (map: Record<string, string>, endpoints: string[], host: string | null = null, port = -1) =>
  decodeBrokerRegistration(Buffer.from(JSON.stringify({ version: 4, listener_security_protocol_map: map, endpoints, host, port, jmx_port: -1, timestamp: '1' })));

describe('the endpoint for a security protocol', () => {
  it('is the listener mapped to that protocol; with several, the one named like it', () => {
    const r = v4({ CLIENT: 'SASL_SSL', SASL_SSL: 'SASL_SSL', INTERNAL: 'SSL', REPL: 'PLAINTEXT' }, ['CLIENT://c:9001', 'SASL_SSL://s:9002', 'INTERNAL://i:9003', 'REPL://r:9004'], 'r', 9004);
    expect(endpointForProtocol(r, 'SASL_SSL')).toMatchObject({ listener: 'SASL_SSL', host: 's', port: 9002 });
    expect(endpointForProtocol(r, 'SSL')).toMatchObject({ listener: 'INTERNAL', host: 'i', port: 9003 });
    expect(endpointForProtocol(r, 'PLAINTEXT')).toMatchObject({ listener: 'REPL', host: 'r', port: 9004 });
    expect(endpointForProtocol(r, 'SASL_PLAINTEXT')).toBeUndefined();
  });

  it('with several and none named like it, the first registered', () => {
    const r = v4({ A: 'SSL', B: 'SSL' }, ['A://a:1', 'B://b:2']);
    expect(endpointForProtocol(r, 'ssl')).toMatchObject({ listener: 'A', port: 1 });
  });

  it('never falls back to the top-level host/port of another protocol', () => {
    // no PLAINTEXT listener: host/port are null/-1 and the decoder fills them from the first endpoint
    const r = v4({ SSL: 'SSL' }, ['SSL://h:9093']);
    expect(r.port).toBe(9093);
    expect(endpointForProtocol(r, 'PLAINTEXT')).toBeUndefined();
    expect(endpointForProtocol(r, 'SSL')).toMatchObject({ port: 9093 });
  });

  it('a 0.8 registration (no endpoints) is PLAINTEXT only', () => {
    const r = decodeBrokerRegistration(Buffer.from(JSON.stringify({ version: 1, host: 'h', port: 9092, jmx_port: -1, timestamp: '1' })));
    expect(endpointForProtocol(r, 'PLAINTEXT')).toMatchObject({ host: 'h', port: 9092 });
    expect(endpointForProtocol(r, 'SSL')).toBeUndefined();
  });

  it('brokers without the listener are left out; none with it at all is a NoListenerError naming what they have', () => {
    const brokers: RegisteredBroker[] = [
      { id: 1, registration: v4({ SSL: 'SSL', CLIENT: 'SASL_SSL' }, ['SSL://a:1', 'CLIENT://a:2']) },
      { id: 2, registration: v4({ SSL: 'SSL' }, ['SSL://b:1']) },
    ];
    expect([...brokerAddresses(brokers, 'SASL_SSL')]).toEqual([[1, { host: 'a', port: 2 }]]);
    expect(brokerAddressesOrThrow([], 'SSL').size).toBe(0);
    let err: unknown;
    try {
      brokerAddressesOrThrow(brokers, 'PLAINTEXT');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NoListenerError);
    expect((err as Error).message).toContain('security.protocol=PLAINTEXT (brokers: 1: SSL://a:1,CLIENT(SASL_SSL)://a:2; 2: SSL://b:1)');
  });
});

describe('a stream told of a failure', () => {
  it('throws it from next() after the records already queued, once, and stays usable', async () => {
    const s = new KafkaStream('t', 0);
    const info = new PartitionTopicInfo('t', 0, 'c-0', 0);
    s.enqueue(info, [{ topic: 't', partition: 0, offset: 0, timestamp: 0, key: null, value: Buffer.from('x'), headers: [] }]);
    s.fail(new Error('denied'));
    s.fail(new Error('second, dropped while one waits'));
    expect((await s.next()).value?.value?.toString()).toBe('x');
    await expect(s.next()).rejects.toThrow('denied');
    setTimeout(() => s.enqueue(info, [{ topic: 't', partition: 0, offset: 1, timestamp: 0, key: null, value: Buffer.from('y'), headers: [] }]), 20);
    expect((await s.next()).value?.offset).toBe(1);
    s.fail(new Error('cleared by a rebalance'));
    s.clear();
    setTimeout(() => s.close(), 20);
    expect((await s.next()).done).toBe(true);
  });
});
