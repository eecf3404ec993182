import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The test files that take longest (seconds in fresh-clone runs on 2 cores), started first.
 * Vitest starts the files that took longest last time first, from its results cache; a fresh
 * clone (CI) has none, and its fallback (larger files first) started these near the end, where
 * one of the two workers ran a long file alone: 865 s in all where the files' times add up to
 * 2 x 802 s. With the first twelve named, 839 s (files 2 x 773 s). A file not named here runs
 * after these, in vitest's own order.
 */
const SLOWEST: readonly string[] = [
  'test/replication/replication.test.ts', // 86
  'test/containers/cluster.test.ts', // 85
  'test/verify/jepsen-loss.test.ts', // 76
  'test/client/connector-zk-outage.test.ts', // 70
  'test/cli/configs.test.ts', // 54
  'test/verify/network-faults.test.ts', // 53
  'test/client/connector-storm.test.ts', // 51
  'test/verify/process-faults.test.ts', // 50
  'test/replication/faults.test.ts', // 49
  'test/client/idempotence.test.ts', // 44
  'test/replication/jepsen.test.ts', // 40
  'test/mirror/mirror-faults.test.ts', // 38
  'test/cli/cluster-script.test.ts', // 34-36
  'test/cli/console-consumer-broker-group.test.ts', // 33
  'test/cli/consumer-groups-broker.test.ts', // 31-34
  'test/security/connector-secure.test.ts', // 28
  'test/security/tls-sasl.test.ts', // 28
  'test/security/acls.test.ts', // 26-31
  'test/ui/cluster-map-browser.test.ts', // 24-31
  'test/interop/kcat.test.ts', // 24-27
  'test/zk/failover.test.ts', // 24
  'test/mirror/mirror-options.test.ts', // 23-29
  'test/replication/zk-leader.test.ts', // 20-23
];

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification): number => {
      const i = SLOWEST.indexOf(relative(this.ctx.config.root, f.moduleId));
      return i < 0 ? SLOWEST.length : i;
    };
    return sorted.map((f, i) => ({ f, i, r: rank(f) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.f);
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/setup/zk-global.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    // Three files at a time on the 2-core machine: the suite waits more than it computes (fault
    // tests sleep through session expiries, elections and outages; user+sys was ~1.05 cores over
    // a 2-worker run). Fresh clone: 2 workers 15 min 1-31 s (vitest 859-890 s), 3 workers
    // 14 min 6 s (vitest 797 s), each file slower under the contention (test time 1636 -> 2201 s).
    maxWorkers: 3,
    sequence: { sequencer: SlowestFirst },
  },
});
