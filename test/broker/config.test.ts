import { describe, expect, it } from 'vitest';
import { brokerConfigFromProperties } from '../../src/broker/config.js';
import { ConfigError } from '../../src/common/errors.js';

const base = { 'broker.id': '1', 'zookeeper.connect': '127.0.0.1:2181' };
const cfg = (extra: Record<string, string> = {}) => brokerConfigFromProperties(new Map(Object.entries({ ...base, ...extra })));

describe('broker config', () => {
  it("uses Kafka's defaults", () => {
    const c = cfg();
    expect(c.port).toBe(9092);
    expect(c.numPartitions).toBe(1);
    expect(c.socketRequestMaxBytes).toBe(104857600);
    expect(c.zookeeperSessionTimeoutMs).toBe(6000);
    expect(c.uncleanLeaderElectionEnable).toBe(false);
    expect(c.minInsyncReplicas).toBe(1);
    expect(c.replicaLagTimeMaxMs).toBe(10000);
    expect(c.logDirs).toEqual(['/tmp/kafka-logs']);
  });

  it('reads listeners and log.dirs', () => {
    const c = cfg({ listeners: 'PLAINTEXT://127.0.0.1:9093', 'log.dirs': '/a, /b' });
    expect([c.host, c.port, c.advertisedHost, c.advertisedPort]).toEqual(['127.0.0.1', 9093, '127.0.0.1', 9093]);
    expect(c.logDirs).toEqual(['/a', '/b']);
  });

  it.each([
    [{ 'broker.id': 'x' }, /broker\.id.*integer/],
    [{ port: '70000' }, /port.*<= 65535/],
    [{ 'auto.create.topics.enable': 'yes' }, /true or false/],
    [{ 'zookeeper.connect': 'nohost' }, /zookeeper\.connect/],
    [{ listeners: 'SSL://h:1' }, /PLAINTEXT/],
  ])('refuses %o with a clear error', (extra, msg) => {
    expect(() => cfg(extra as Record<string, string>)).toThrow(msg);
    expect(() => cfg(extra as Record<string, string>)).toThrow(ConfigError);
  });

  it('names a missing required key', () => {
    expect(() => brokerConfigFromProperties(new Map([['broker.id', '1']]))).toThrow(/missing required config "zookeeper.connect"/);
  });
});
