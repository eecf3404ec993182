/**
 * Consumer ids as Kafka 0.8 writes them under `/consumers/<G>/ids`:
 * `<group>_<hostname>-<ms since epoch>-<8 hex digits>` (ZookeeperConsumerConnector takes the
 * hex from a random UUID), or `<group>_<consumer.id>` when `consumer.id` is configured.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export interface ConsumerIdOptions {
  /** The `consumer.id` property: replaces `<hostname>-<ms>-<hex>`. */
  consumerId?: string;
  host?: string;
  nowMs?: number;
  hex?: string;
}

export function newConsumerId(group: string, opts: ConsumerIdOptions = {}): string {
  if (opts.consumerId) return `${group}_${opts.consumerId}`;
  const host = (opts.host ?? hostname()).replace(/[/\s]/g, '_') || 'localhost';
  const hex = opts.hex ?? randomBytes(4).toString('hex');
  return `${group}_${host}-${opts.nowMs ?? Date.now()}-${hex}`;
}

/** Splits an id written by newConsumerId (undefined for other clients' ids). */
export function parseConsumerId(id: string): { group: string; host: string; startedMs: number; hex: string } | undefined {
  const m = /^(.+)_(.+)-(\d+)-([0-9a-f]{8})$/.exec(id);
  return m ? { group: m[1]!, host: m[2]!, startedMs: Number(m[3]), hex: m[4]! } : undefined;
}
