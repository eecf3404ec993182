/**
 * Burrow's rules on a window of commits (src/ui/burrow.ts): OK when lag was zero, REWIND when an
 * offset went back, STOP when commits stopped for longer than the window spans, STALL when
 * commits do not advance, WARN when lag only grew over a full window; the group takes its worst
 * partition's status, REWIND as ERR.
 */
import { describe, expect, it } from 'vitest';
import { addCommit, evaluatePartition, groupStatus, type Commit } from '../../src/ui/burrow.js';

const opts = { window: 4, minStopMs: 1000 };
const commits = (...c: [offset: number, time: number, lag: number | undefined][]): Commit[] => c.map(([offset, time, lag]) => ({ offset, time, lag }));

describe('Burrow-style status', () => {
  it('is OK when the lag is zero now or was zero anywhere in the window', () => {
    expect(evaluatePartition(commits([5, 0, 3], [6, 100, 9]), 0, 200, opts)).toBe('OK');
    expect(evaluatePartition(commits([5, 0, 0], [6, 100, 9]), 12, 200, opts)).toBe('OK');
  });

  it('is REWIND when an offset went backwards, and the group ERR', () => {
    const s = evaluatePartition(commits([10, 0, 5], [4, 100, 11]), 11, 200, opts);
    expect(s).toBe('REWIND');
    expect(groupStatus(['OK', s, 'STOP'])).toBe('ERR');
  });

  it('is STOP when nothing was committed for longer than the window spans (and the minimum)', () => {
    const h = commits([1, 0, 5], [2, 500, 6], [3, 1000, 7]);
    expect(evaluatePartition(h, 7, 1500, opts)).not.toBe('STOP');
    expect(evaluatePartition(h, 7, 2100, opts)).toBe('STOP');
    expect(evaluatePartition([], 7, 2100, opts)).toBe('STOP');
    expect(evaluatePartition([], undefined, 2100, opts)).toBe('OK');
  });

  it('is STALL when commits keep coming without advancing', () => {
    expect(evaluatePartition(commits([3, 0, 5], [3, 100, 6], [3, 200, 8]), 8, 250, opts)).toBe('STALL');
  });

  it('is WARN when the lag never went down over a full window, OK when it did', () => {
    const growing = commits([1, 0, 2], [2, 100, 4], [3, 200, 6], [4, 300, 8]);
    expect(evaluatePartition(growing, 9, 350, opts)).toBe('WARN');
    const recovering = commits([1, 0, 2], [2, 100, 4], [5, 200, 3], [6, 300, 8]);
    expect(evaluatePartition(recovering, 9, 350, opts)).toBe('OK');
    expect(evaluatePartition(growing.slice(0, 3), 9, 250, opts)).toBe('OK'); // a window not yet full
  });

  it('keeps the last commits of the window and ignores a commit delivered twice', () => {
    let h: Commit[] = [];
    for (let i = 0; i < 6; i++) h = addCommit(h, { offset: i, time: i * 10, lag: 1 }, 4);
    expect(h.map((c) => c.offset)).toEqual([2, 3, 4, 5]);
    expect(addCommit(h, { offset: 5, time: 50, lag: 1 }, 4)).toBe(h);
  });

  it("takes the worst partition's status for the group", () => {
    expect(groupStatus([])).toBe('OK');
    expect(groupStatus(['OK', 'WARN'])).toBe('WARN');
    expect(groupStatus(['WARN', 'STALL', 'OK'])).toBe('STALL');
    expect(groupStatus(['STALL', 'STOP'])).toBe('STOP');
  });
});
