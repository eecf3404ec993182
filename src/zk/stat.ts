/**
 * ZooKeeper's Stat of a znode, converted from node-zookeeper-client's form (64-bit fields as
 * 8-byte buffers) to numbers and bigints.
 */
import type zookeeper from 'node-zookeeper-client';

export interface ZkStat {
  /** zxid of the create. */
  czxid: bigint;
  /** zxid of the last data change. */
  mzxid: bigint;
  /** zxid of the last change to the children. */
  pzxid: bigint;
  /** Creation time, ms since the epoch. */
  ctime: number;
  /** Last modification time, ms since the epoch. */
  mtime: number;
  /** Data version: the compare-and-set version of set/delete. */
  version: number;
  /** Children version. */
  cversion: number;
  /** ACL version. */
  aversion: number;
  /** Session id of the owner of an ephemeral znode; 0n for a persistent one. */
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
}

const long = (b: Buffer | undefined): bigint => (b && b.length === 8 ? b.readBigInt64BE(0) : 0n);

export function toStat(s: zookeeper.Stat): ZkStat {
  return {
    czxid: long(s.czxid),
    mzxid: long(s.mzxid),
    pzxid: long(s.pzxid),
    ctime: Number(long(s.ctime)),
    mtime: Number(long(s.mtime)),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: long(s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}
