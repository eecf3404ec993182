/**
 * A chroot given as a suffix of the connect string ("h:p,h:p/kafka-b", what a broker's
 * zookeeper.connect holds) is created when missing, as Kafka 0.8.2's broker does, and every
 * path is then relative to it: two clusters can share one ensemble.
 */
import { describe, expect, it } from 'vitest';
import { ZkClient } from '../../src/zk/client.js';
import { uniqueChroot, zkConnect } from '../helpers/zk.js';

describe('ZkClient chroot in the connect string', () => {
  it('creates a missing chroot (nested too) and works inside it', async () => {
    const root = uniqueChroot('suffix');
    const chroot = `${root}/cluster-b`;
    const admin = await ZkClient.connect({ connectString: zkConnect() });
    try {
      expect(await admin.exists(root)).toBeUndefined();
      const c = await ZkClient.connect({ connectString: `${zkConnect()}${chroot}` });
      try {
        expect(c.chroot).toBe(chroot);
        await c.create('/brokers/ids/1', 'x', { parents: true });
        expect(await c.children('/brokers/ids')).toEqual(['1']);
      } finally {
        await c.close();
      }
      expect(await admin.children(`${chroot}/brokers/ids`)).toEqual(['1']);
      // a second client under the same chroot finds it; "/" alone means no chroot
      const again = await ZkClient.connect({ connectString: `${zkConnect()}${chroot}/` });
      expect(await again.exists('/brokers')).toBeDefined();
      await again.close();
      const plain = await ZkClient.connect({ connectString: `${zkConnect()}/` });
      expect(plain.chroot).toBeUndefined();
      await plain.close();
    } finally {
      await admin.deleteRecursive(root).catch(() => undefined);
      await admin.close();
    }
  });
});
