/**
 * Producer ids for idempotent producers (InitProducerId), handed out as Kafka 0.11 does: each
 * broker claims a block of ids from ZooKeeper and serves ids from it until it runs out. The
 * claim is a compare-and-set on `/latest_producer_id_block`, so two brokers never get the same
 * block:
 *
 *   {"version":1,"broker":<id>,"block_start":"<first id>","block_end":"<last id>"}
 *
 * (the ids are strings, as Kafka writes them).
 */
import { ErrorCode, KafkaError } from '../common/errors.js';
import { BadVersionError, NodeExistsError } from '../zk/errors.js';
import type { ZkClient } from '../zk/client.js';
import { latestProducerIdBlockPath } from '../zk/paths.js';

export const PRODUCER_ID_BLOCK_SIZE = 1000;

export interface ProducerIdBlock {
  broker: number;
  blockStart: number;
  blockEnd: number;
}

export function encodeProducerIdBlock(b: ProducerIdBlock): string {
  return JSON.stringify({ version: 1, broker: b.broker, block_start: String(b.blockStart), block_end: String(b.blockEnd) });
}

export function decodeProducerIdBlock(data: Buffer): ProducerIdBlock {
  const j = JSON.parse(data.toString('utf8')) as { broker?: unknown; block_start?: unknown; block_end?: unknown };
  const blockStart = Number(j.block_start);
  const blockEnd = Number(j.block_end);
  if (!Number.isSafeInteger(blockStart) || !Number.isSafeInteger(blockEnd) || blockEnd < blockStart) {
    throw new Error(`${latestProducerIdBlockPath} holds no valid block: ${data.toString('utf8')}`);
  }
  return { broker: Number(j.broker), blockStart, blockEnd };
}

export class ProducerIdManager {
  readonly #zk: ZkClient;
  readonly #brokerId: number;
  #next = 0;
  #end = -1;
  #claiming: Promise<void> | undefined;

  constructor(zk: ZkClient, brokerId: number) {
    this.#zk = zk;
    this.#brokerId = brokerId;
  }

  async nextProducerId(): Promise<number> {
    while (this.#next > this.#end) {
      this.#claiming ??= this.#claimBlock().finally(() => (this.#claiming = undefined));
      await this.#claiming;
    }
    return this.#next++;
  }

  async #claimBlock(): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const node = await this.#zk.get(latestProducerIdBlockPath);
      const start = node ? decodeProducerIdBlock(node.data).blockEnd + 1 : 0;
      const block: ProducerIdBlock = { broker: this.#brokerId, blockStart: start, blockEnd: start + PRODUCER_ID_BLOCK_SIZE - 1 };
      try {
        if (node) await this.#zk.set(latestProducerIdBlockPath, encodeProducerIdBlock(block), node.version);
        else await this.#zk.create(latestProducerIdBlockPath, encodeProducerIdBlock(block));
      } catch (err) {
        if (err instanceof BadVersionError || err instanceof NodeExistsError) continue; // another broker claimed one: read again
        throw err;
      }
      this.#next = block.blockStart;
      this.#end = block.blockEnd;
      return;
    }
    throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `could not claim a block of producer ids in ${latestProducerIdBlockPath} (contended)`);
  }
}
