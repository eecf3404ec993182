/**
 * Controlled shutdown's first attempt when the stopping broker has not yet learnt who the
 * controller is (its elector has not read /controller: a SIGTERM milliseconds after start, the
 * race a CI run hit): it reads /controller itself and asks that broker, a real one here, instead
 * of failing with "no controller known" and waiting out controlled.shutdown.retry.backoff.ms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, until } from '../helpers/broker-cluster.js';
import { controlledShutdown, type ControlledShutdownDeps } from '../../src/broker/controlled-shutdown.js';
import { brokerConfigFromProperties } from '../../src/broker/config.js';
import { Logger } from '../../src/common/logger.js';
import { controllerPath } from '../../src/zk/paths.js';
import { decodeController } from '../../src/zk/payloads.js';

class Recorder extends Logger {
  readonly lines: string[] = [];
  override info(msg: string): void {
    this.lines.push(`INFO ${msg}`);
  }
  override warn(msg: string, fields?: Record<string, unknown>): void {
    this.lines.push(`WARN ${msg} ${fields?.error instanceof Error ? fields.error.message : ''}`);
  }
}

describe('controlled shutdown', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await new TestCluster('controlled-shutdown').start(1);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('finds the controller in ZooKeeper when the elector has not read /controller yet: succeeds at the first attempt', async () => {
    const controller = await until('broker 1 to be the controller', async () => {
      const node = await cluster.zk.get(controllerPath);
      return node ? decodeController(node.data).brokerId : undefined;
    });
    expect(controller).toBe(1);
    const log = new Recorder('controlled-shutdown-test');
    // a broker 7 that leads nothing; a failed first attempt would be logged (and retried)
    const config = brokerConfigFromProperties(
      new Map([
        ['broker.id', '7'],
        ['zookeeper.connect', cluster.zkConnect],
        ['controlled.shutdown.max.retries', '2'],
        ['controlled.shutdown.retry.backoff.ms', '100'],
      ]),
    );
    const deps = {
      config,
      // the stopping broker's own controller component, as it is before its elector's first read
      controller: { isActive: false, elector: { leaderId: -1 } },
      metadata: undefined,
      zk: cluster.zk,
      interBrokerSecurity: undefined,
      log,
    } as unknown as ControlledShutdownDeps;
    await controlledShutdown(deps);
    expect(log.lines).toEqual(['INFO controlled shutdown succeeded']);
  });
});
