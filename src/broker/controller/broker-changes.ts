/**
 * What the controller does when brokers come and go (KafkaController.onBrokerStartup and
 * onBrokerFailure), one batch per event rather than one ZooKeeper round trip per partition
 * (and how it reads /brokers/ids: refreshBrokers):
 *   startup   the new brokers' replicas go Online; partitions with no live leader (or led by a
 *             broker that just came back, having lost its state) are elected again
 *   failure   partitions led by a failed broker get new leaders from their ISR (one pipelined
 *             batch of writes), the failed brokers leave every other ISR (one more batch)
 *   failover  brokers that died unseen (with the previous controller) leave the ISRs too
 *   offline   a live broker cannot open some of its replicas (KAFKA_STORAGE_ERROR: out of file
 *             descriptors, a failed disk): they are treated as failed, as Kafka's controller
 *             does for replicas on an offline log dir (KIP-112), until the broker restarts
 * Each ends with LeaderAndIsr to the affected replicas and UpdateMetadata to every broker.
 */
import type { ZkClient } from '../../zk/client.js';
import { brokerConfigPath, brokerIdPath, brokerIdsPath, DEFAULT_BROKER_ENTITY, topicConfigPath } from '../../zk/paths.js';
import { decodeBrokerRegistration, decodeTopicConfig, registrationEndpoint } from '../../zk/payloads.js';
import { pipelined } from '../../zk/pipeline.js';
import { someOf, type Logger } from '../../common/logger.js';
import type { ControllerContext } from './controller-context.js';
import type { Elections, PartitionStateMachine } from './partition-state-machine.js';
import type { BrokerRequests } from './broker-requests.js';
import type { ControllerChannelManager } from './channel-manager.js';
import { ReplicaStateMachine } from './replica-state-machine.js';
import { offlinePartitionLeader } from './leader-selectors.js';

type TP = { topic: string; partition: number };

export interface BrokerChangeDeps {
  zk: ZkClient;
  ctx: ControllerContext;
  psm: PartitionStateMachine;
  rsm: ReplicaStateMachine;
  requests: BrokerRequests;
  log: Logger;
  /** unclean.leader.election.enable of this broker's server.properties. */
  uncleanLeaderElectionEnable: boolean;
}

const replicaRefs = (ctx: ControllerContext, partitions: TP[], brokers?: number[]) => ReplicaStateMachine.refs((t, p) => ctx.replicas(t, p), partitions, brokers);

/**
 * Reads /brokers/ids into the context and the channels. A broker that restarted between two
 * looks has a new registration (czxid): it lost its state, so it counts as failed and started
 * again (in both lists).
 */
export async function refreshBrokers(zk: ZkClient, ctx: ControllerContext, channels: ControllerChannelManager, listener = 'PLAINTEXT'): Promise<{ added: number[]; removed: number[] }> {
  const ids = ((await zk.children(brokerIdsPath)) ?? []).map(Number).filter((n) => Number.isInteger(n));
  const before = new Set(ctx.liveBrokers.keys());
  const added: number[] = [];
  const bounced: number[] = [];
  const nodes = await pipelined(ids, (id) => zk.get(brokerIdPath(id)));
  for (const [i, id] of ids.entries()) {
    const node = nodes[i];
    if (!node) continue;
    const reg = decodeBrokerRegistration(node.data);
    // the inter-broker listener's endpoint (a broker without it is reached at its top-level host/port)
    const ep = (listener === 'PLAINTEXT' && !reg.endpoints ? undefined : registrationEndpoint(reg, listener)) ?? { host: reg.host, port: reg.port };
    const prev = ctx.liveBrokers.get(id);
    if (prev && prev.czxid !== node.stat.czxid) bounced.push(id);
    ctx.liveBrokers.set(id, { id, host: ep.host, port: ep.port, czxid: node.stat.czxid });
    channels.addBroker(id, ep.host, ep.port);
    if (!before.has(id) || bounced.includes(id)) added.push(id);
  }
  const removed = [...[...before].filter((id) => !ids.includes(id)), ...bounced];
  for (const id of removed) {
    if (!bounced.includes(id)) {
      ctx.liveBrokers.delete(id);
      channels.removeBroker(id);
    }
    ctx.shuttingDown.delete(id);
  }
  return { added, removed };
}

export async function onBrokerStartup(d: BrokerChangeDeps, ids: number[]): Promise<void> {
  const { ctx, psm, rsm, requests } = d;
  d.log.info('brokers started', { ids: ids.join(',') });
  // a restarted broker opens its logs afresh
  for (const id of ids) ctx.offlineReplicas.delete(id);
  rsm.handleStateChanges(replicaRefs(ctx, ctx.allPartitions(), ids), 'OnlineReplica');
  requests.sendUpdateMetadata();
  const affected = ctx.allPartitions().filter((p) => ctx.replicas(p.topic, p.partition).some((r) => ids.includes(r)));
  const fresh = affected.filter((p) => !ctx.partitionState(p.topic, p.partition));
  if (fresh.length > 0) await psm.initializeAll(fresh);
  // A partition whose leader was down (or is the broker that just came back, having lost its
  // state) goes through election again, with a new leader epoch.
  const live = ctx.liveIds();
  const elect = affected.filter((p) => {
    const s = ctx.partitionState(p.topic, p.partition);
    return s !== undefined && (s.state === 'Offline' || ids.includes(s.leader) || !live.has(s.leader));
  });
  const t0 = Date.now();
  const elections = await electOfflineLeaders(d, elect, 'broker startup');
  requests.sendLeaderAndIsr(affected);
  requests.sendUpdateMetadata();
  d.log.info('broker startup handled', { ids: ids.join(','), partitions: affected.length, elected: elections.elected.length, ms: Date.now() - t0 });
}

export async function onBrokerFailure(d: BrokerChangeDeps, ids: number[]): Promise<void> {
  const { ctx, psm, rsm, requests } = d;
  d.log.info('brokers failed', { ids: ids.join(',') });
  for (const id of ids) ctx.offlineReplicas.delete(id);
  rsm.handleStateChanges(replicaRefs(ctx, ctx.allPartitions(), ids), 'OfflineReplica');
  const led: TP[] = [];
  const followed: TP[] = [];
  for (const p of ctx.allPartitions()) {
    const s = ctx.partitionState(p.topic, p.partition);
    if (!s) continue;
    if (ids.includes(s.leader)) led.push(p);
    else if (s.isr.some((r) => ids.includes(r))) followed.push(p);
  }
  const t0 = Date.now();
  const elections = await electOfflineLeaders(d, led, 'broker failure');
  const shrunk = await psm.shrinkIsrs(followed, ids);
  requests.sendLeaderAndIsr([...led, ...shrunk.map((s) => ({ topic: s.topic, partition: s.partition }))]);
  requests.sendUpdateMetadata();
  d.log.info('broker failure handled', { ids: ids.join(','), elected: elections.elected.length, offline: elections.offline.length, isrShrunk: shrunk.length, ms: Date.now() - t0 });
}

/**
 * A live broker's replicas it cannot serve (it answered LeaderAndIsr with KAFKA_STORAGE_ERROR):
 * they go OfflineReplica, partitions they led get new leaders from the rest of their ISR (or
 * go offline, shown leaderless, where none may lead), and they leave the other ISRs. Only
 * replicas not already offline are handled, so a repeated answer changes nothing.
 */
export async function onReplicasOffline(d: BrokerChangeDeps, broker: number, partitions: TP[]): Promise<void> {
  const { ctx, psm, rsm, requests } = d;
  if (!ctx.liveBrokers.has(broker)) return;
  const assigned = partitions.filter((p) => ctx.replicas(p.topic, p.partition).includes(broker));
  const fresh = ctx.markReplicasOffline(broker, assigned);
  if (fresh.length === 0) return;
  rsm.handleStateChanges(fresh.map((p) => ({ ...p, broker })), 'OfflineReplica');
  const led: TP[] = [];
  const followed: TP[] = [];
  for (const p of fresh) {
    const s = ctx.partitionState(p.topic, p.partition);
    if (!s) continue;
    if (s.leader === broker) led.push(p);
    else if (s.isr.includes(broker)) followed.push(p);
  }
  const t0 = Date.now();
  const elections = await electOfflineLeaders(d, led, 'replica offline');
  const shrunk = await psm.shrinkIsrs(followed, [broker]);
  const elected = elections.elected.map((s) => ({ topic: s.topic, partition: s.partition }));
  requests.sendLeaderAndIsr([...elected, ...shrunk.map((s) => ({ topic: s.topic, partition: s.partition }))]);
  requests.sendUpdateMetadata();
  d.log.warn(`replicas offline on broker ${broker}: ${elected.length} partitions it led have new leaders, ${elections.offline.length} have none (offline until it restarts), ${shrunk.length} ISRs shrunk`, {
    broker,
    replicas: fresh.length,
    ms: Date.now() - t0,
    ...(elections.offline.length > 0 ? { leaderless: someOf(elections.offline.map((p) => `${p.topic}-${p.partition}`)) } : {}),
  });
}

/**
 * Replicas on brokers that are not live leave the ISRs (with a new leader epoch), as their
 * failure would have made them had this controller seen it: the controller that did may have
 * died first (Kafka's failover moves them to OfflineReplica likewise). Tells the brokers.
 */
export async function shrinkIsrsOfDeadBrokers(d: BrokerChangeDeps, partitions: TP[]): Promise<number> {
  const { ctx } = d;
  const reachable = ctx.reachableIds();
  const dead = new Set<number>();
  const affected = partitions.filter((p) => {
    const gone = ctx.partitionState(p.topic, p.partition)?.isr.filter((r) => !reachable.has(r)) ?? [];
    for (const r of gone) dead.add(r);
    return gone.length > 0;
  });
  if (affected.length === 0) return 0;
  const shrunk = await d.psm.shrinkIsrs(affected, [...dead]);
  d.requests.sendLeaderAndIsr(shrunk.map((s) => ({ topic: s.topic, partition: s.partition })));
  d.requests.sendUpdateMetadata();
  return shrunk.length;
}

/**
 * Elects new leaders from the live ISR members (offlinePartitionLeader). Only a partition with
 * no live ISR member needs its topic's unclean.leader.election.enable, read once per topic.
 */
export async function electOfflineLeaders(d: BrokerChangeDeps, partitions: TP[], reason: string): Promise<Elections> {
  const { ctx } = d;
  const live = ctx.liveIds();
  const unclean = new Map<string, boolean>();
  for (const p of partitions) {
    const cur = ctx.partitionState(p.topic, p.partition);
    const online = ctx.onlineFor(p.topic, p.partition, live);
    if (cur && !unclean.has(p.topic) && !cur.isr.some((r) => online.has(r))) unclean.set(p.topic, await uncleanElectionEnabled(d, p.topic));
  }
  return d.psm.electLeaders(partitions, (c) => offlinePartitionLeader(ctx.replicas(c.topic, c.partition), c.isr, ctx.onlineFor(c.topic, c.partition, live), unclean.get(c.topic) ?? false), reason);
}

/**
 * unclean.leader.election.enable for a topic, read when needed as Kafka's controller does:
 * the topic's override in /config/topics/<T>, else the cluster's dynamic default
 * (/config/brokers/<default>), else this broker's server.properties.
 */
async function uncleanElectionEnabled(d: BrokerChangeDeps, topic: string): Promise<boolean> {
  const key = 'unclean.leader.election.enable';
  for (const path of [topicConfigPath(topic), brokerConfigPath(DEFAULT_BROKER_ENTITY)]) {
    try {
      const node = await d.zk.get(path);
      const v = node ? decodeTopicConfig(node.data, path)[key] : undefined;
      if (v === 'true' || v === 'false') return v === 'true';
    } catch (err) {
      d.log.warn('ignoring an unreadable config', { path, error: err });
    }
  }
  return d.uncleanLeaderElectionEnable;
}
