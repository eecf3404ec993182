/** The history checker and the fault schedules, without a cluster. */
import { describe, expect, it } from 'vitest';
import { verifyHistory, type Acked } from '../../src/verify/checker.js';
import { formatSchedule, generateSchedule, parseSchedule } from '../../src/verify/schedule.js';
import { unavailableWindows, seriesOf } from '../../src/verify/report.js';

const log = (...vals: [number, string][]) => vals.map(([offset, value]) => ({ offset, value }));

describe('verifyHistory', () => {
  const acked: Acked[] = [
    { partition: 0, offset: 0, value: '1.0' },
    { partition: 0, offset: 1, value: '1.1' },
    { partition: 1, offset: 0, value: '1.2' },
  ];
  const sent = new Set(['1.0', '1.1', '1.2', '1.3']);

  it('passes a clean history (an unacknowledged sent record may be stored)', () => {
    const v = verifyHistory({ acked, sent, final: new Map([[0, log([0, '1.0'], [1, '1.1'])], [1, log([0, '1.2'], [1, '1.3'])]]) });
    expect(v.ok).toBe(true);
    expect(v.violations).toEqual([]);
    expect(v.stored).toBe(4);
  });

  it('catches a lost and a misplaced acknowledged record', () => {
    const v = verifyHistory({ acked, sent, final: new Map([[0, log([0, '1.0'], [1, '1.3'])], [1, log()]]) });
    expect(v.ok).toBe(false);
    expect(v.misplaced.map((a) => a.value)).toEqual(['1.1']);
    expect(v.lost.map((a) => a.value)).toEqual(['1.2']);
  });

  it('catches records out of the producer order, phantoms, duplicates and divergent reads', () => {
    const final = new Map([[0, log([0, '1.1'], [1, '1.0'], [2, '9.9'], [3, '1.1'])], [1, log([0, '1.2'])]]);
    const v = verifyHistory({ acked: [], sent, final, observed: [{ partition: 1, offset: 0, value: '1.3' }] });
    expect(v.reorderedAt).toEqual([{ partition: 0, offset: 1, value: '1.0', after: '1.1' }]);
    expect(v.phantom.map((a) => a.value)).toEqual(['9.9']);
    expect(v.duplicateValues).toEqual(['1.1']);
    expect(v.divergent).toEqual([{ partition: 1, offset: 0, value: '1.3', final: '1.2' }]);
    expect(v.violations).toHaveLength(4);
    expect(verifyHistory({ acked: [], sent: new Set(['1.0']), final: new Map([[0, log([0, '1.0'], [1, '1.0'])]]) }, { allowDuplicates: true }).ok).toBe(true);
  });
});

describe('fault schedules', () => {
  const dims = { brokers: 3, partitions: 3, zkNodes: 3 };
  it('parses, checks and prints a schedule', () => {
    const s = parseSchedule('2+3 kill:leader-1, 6.5+2 isolate:controller; 9+1 pause:zk-leader', 3, 3, 3);
    expect(s.map((e) => [e.atMs, e.durationMs, e.action, e.target])).toEqual([[2000, 3000, 'kill', 'leader-1'], [6500, 2000, 'isolate', 'controller'], [9000, 1000, 'pause', 'zk-leader']]);
    expect(formatSchedule(s)).toBe('2+3 kill:leader-1, 6.5+2 isolate:controller, 9+1 pause:zk-leader');
    expect(() => parseSchedule('2+3 kill:broker-4', 3, 3, 3)).toThrow(/brokers are 1..3/);
    expect(() => parseSchedule('2+3 isolate:zk-leader', 3, 3, 3)).toThrow(/network faults cut one broker/);
    expect(() => parseSchedule('soon kill:leader', 3, 3, 3)).toThrow(/AT\+FOR/);
  });

  it('generates the same schedule from the same seed, every kind before a repeat', () => {
    const kinds = ['kill:leader', 'pause:broker', 'cut-zk:controller'];
    const o = { seed: 42, durationMs: 40_000, faultMs: 3000, gapMs: 2000, warmupMs: 2000, ...dims };
    const a = generateSchedule(kinds, o);
    expect(generateSchedule(kinds, o)).toEqual(a);
    expect(a).toHaveLength(8); // at 2, 7, ..., 37 s
    expect(new Set(a.slice(0, 3).map((e) => e.action))).toEqual(new Set(['kill', 'pause', 'cut-zk']));
    expect(a.every((e) => /^(leader-\d|broker-[1-3]|controller)$/.test(e.target))).toBe(true);
    expect(parseSchedule(formatSchedule(a), 3, 3, 3)).toEqual(a);
    expect(formatSchedule(generateSchedule(kinds, { ...o, seed: 43 }))).not.toBe(formatSchedule(a));
  });
});

describe('report series', () => {
  it('finds the windows without acknowledgements and buckets latency per second', () => {
    expect(unavailableWindows([100, 200, 2500, 2600], 0, 5000)).toEqual([{ fromMs: 200, toMs: 2500 }, { fromMs: 2600, toMs: 5000 }]);
    const s = seriesOf([{ t: 100, latencyMs: 5 }, { t: 900, latencyMs: 15 }, { t: 1500, latencyMs: 7 }], [1200], 2000);
    expect(s).toEqual([
      { second: 0, acked: 2, errors: 0, p50: 15, p99: 15, max: 15 },
      { second: 1, acked: 1, errors: 1, p50: 7, p99: 7, max: 7 },
    ]);
  });
});
