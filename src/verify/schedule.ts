/**
 * Fault schedules for kafka-verify: seeded, printable and replayable.
 *
 * A schedule is a list of entries `AT+FOR ACTION:TARGET` (seconds from the start of the
 * workload), separated by commas, e.g. `3+4 kill:leader-0, 10+4 isolate:controller`. Entries may
 * overlap. Actions:
 *
 *   kill      SIGKILL the target, start it again (the project's scripts) when the fault ends
 *   term      SIGTERM (a broker's controlled shutdown, a ZooKeeper node's clean stop), then start again
 *   pause     SIGSTOP, then SIGCONT
 *   isolate   network: cut the broker from every other broker and from ZooKeeper; clients
 *             still reach it (Jepsen 2013's partition of a leader)
 *   cut-zk    network: cut the broker from ZooKeeper only (with the controller: a zombie controller)
 *   cut-peers network: cut the broker from the other brokers only
 *
 * Targets, resolved when the fault starts: `broker-K`, `controller` (whoever holds /controller
 * then), `leader-P` (the leader of partition P then), `followers-P` (every other replica of
 * partition P; process actions only), `zk-K`, `zk-leader` (the ensemble's leader then; process
 * actions only). `broker` and `leader` without a number are given one by the seed when the
 * schedule is generated, so the printed schedule replays exactly.
 */

export const PROCESS_ACTIONS = ['kill', 'term', 'pause'] as const;
export const NETWORK_ACTIONS = ['isolate', 'cut-zk', 'cut-peers'] as const;
export type Action = (typeof PROCESS_ACTIONS)[number] | (typeof NETWORK_ACTIONS)[number];

export interface FaultEntry {
  atMs: number;
  durationMs: number;
  action: Action;
  target: string;
}

/** mulberry32: a small seeded PRNG (the same sequence for the same seed on every machine). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TARGET = /^(broker(-\d+)?|controller|leader(-\d+)?|followers(-\d+)?|zk-\d+|zk-leader)$/;

export function isNetworkAction(a: Action): boolean {
  return (NETWORK_ACTIONS as readonly string[]).includes(a);
}

/** Checks one `ACTION:TARGET`; returns an error message or undefined. */
export function checkFault(action: string, target: string, brokers: number, partitions: number, zkNodes: number): string | undefined {
  if (![...PROCESS_ACTIONS, ...NETWORK_ACTIONS].includes(action as Action)) return `unknown action "${action}" (${[...PROCESS_ACTIONS, ...NETWORK_ACTIONS].join(', ')})`;
  if (!TARGET.test(target)) return `unknown target "${target}" (broker[-K], controller, leader[-P], followers[-P], zk-K, zk-leader)`;
  const n = Number(/-(\d+)$/.exec(target)?.[1] ?? NaN);
  if (/^broker-/.test(target) && !(n >= 1 && n <= brokers)) return `${target}: brokers are 1..${brokers}`;
  if (/^zk-\d/.test(target) && !(n >= 1 && n <= zkNodes)) return `${target}: ZooKeeper nodes are 1..${zkNodes}`;
  if (/^(leader|followers)-/.test(target) && !(n >= 0 && n < partitions)) return `${target}: partitions are 0..${partitions - 1}`;
  if (isNetworkAction(action as Action) && /^(zk|followers)/.test(target)) return `${action}:${target}: network faults cut one broker (broker-K, controller, leader-P)`;
  return undefined;
}

/** Parses `AT+FOR ACTION:TARGET, ...` (seconds, decimals allowed). Throws with the bad entry. */
export function parseSchedule(spec: string, brokers: number, partitions: number, zkNodes: number): FaultEntry[] {
  const out: FaultEntry[] = [];
  for (const raw of spec.split(/[,;\n]/).map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+(?:\.\d+)?)s?\s*\+\s*(\d+(?:\.\d+)?)s?\s+([a-z-]+):([a-z0-9-]+)$/.exec(raw);
    if (!m) throw new Error(`schedule entry "${raw}" must look like AT+FOR ACTION:TARGET (e.g. 3+4 kill:leader-0)`);
    const err = checkFault(m[3]!, m[4]!, brokers, partitions, zkNodes);
    if (err) throw new Error(`schedule entry "${raw}": ${err}`);
    out.push({ atMs: Math.round(Number(m[1]) * 1000), durationMs: Math.round(Number(m[2]) * 1000), action: m[3] as Action, target: m[4]! });
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

export function formatSchedule(entries: readonly FaultEntry[]): string {
  return entries.map((e) => `${e.atMs / 1000}+${e.durationMs / 1000} ${e.action}:${e.target}`).join(', ');
}

/**
 * A schedule from a list of `ACTION:TARGET` kinds: faults of `faultMs` each with `gapMs` between
 * them, from `warmupMs` until `durationMs`; the kinds come in a seeded random order (every kind
 * once before any repeats), and `broker` / `leader` / `followers` get a seeded number.
 */
export function generateSchedule(
  kinds: readonly string[],
  o: { seed: number; durationMs: number; faultMs: number; gapMs: number; warmupMs: number; brokers: number; partitions: number; zkNodes: number },
): FaultEntry[] {
  const rnd = prng(o.seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const out: FaultEntry[] = [];
  let bag: string[] = [];
  for (let at = o.warmupMs; at + o.faultMs <= o.durationMs && kinds.length > 0; at += o.faultMs + o.gapMs) {
    if (bag.length === 0) {
      bag = [...kinds];
      for (let i = bag.length - 1; i > 0; i--) {
        const j = pick(i + 1);
        [bag[i], bag[j]] = [bag[j]!, bag[i]!];
      }
    }
    const [action, target0] = bag.shift()!.split(':') as [string, string];
    let target = target0;
    if (target === 'broker') target = `broker-${1 + pick(o.brokers)}`;
    else if (target === 'leader' || target === 'followers') target = `${target}-${pick(o.partitions)}`;
    const err = checkFault(action, target, o.brokers, o.partitions, o.zkNodes);
    if (err) throw new Error(err);
    out.push({ atMs: at, durationMs: o.faultMs, action: action as Action, target });
  }
  return out;
}
