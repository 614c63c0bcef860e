// Wilson intervals and the judgement of one fairness slice (reference choice, flags), without a database.
import { describe, expect, it } from 'vitest';
import { judgeSlice } from '../../src/query/fairness.ts';
import { disjoint, wilson } from '../../src/query/stats.ts';

const counts = (n: number, selected: number) => ({
  n,
  selected,
  all: n,
  withOutcome: 0,
  tp: 0,
  fp: 0,
  fn: 0,
  tn: 0,
  reviewed: 0,
  overridden: 0,
});

describe('wilson', () => {
  it('matches an independent computation and stays inside [0, 1]', () => {
    // Python: the textbook formula with z = 1.959963984540054
    const [lo, hi] = wilson(6, 10)!;
    expect(Math.abs(lo - 0.31267376973365824)).toBeLessThan(1e-12);
    expect(Math.abs(hi - 0.8318196702937638)).toBeLessThan(1e-12);
    expect(wilson(0, 5)![0]).toBe(0);
    expect(wilson(5, 5)![1]).toBe(1);
    expect(wilson(0, 0)).toBeNull();
  });

  it('disjoint tells overlapping intervals apart', () => {
    expect(disjoint([0.1, 0.2], [0.3, 0.4])).toBe(true);
    expect(disjoint([0.1, 0.35], [0.3, 0.4])).toBe(false);
    expect(disjoint(null, [0.3, 0.4])).toBe(false);
  });
});

describe('judgeSlice', () => {
  const opts = { referenceRule: 'most-favoured' as const, minGroupSize: 10, outcomes: false };

  it('takes the most favoured group of adequate size, and flags the four-fifths rule and the band', () => {
    const s = judgeSlice(
      [
        { group: 'big', counts: counts(100, 50) },
        { group: 'best', counts: counts(20, 16) },
        { group: 'tiny', counts: counts(5, 5) },
        { group: 'high', counts: counts(40, 40) },
        { group: null, counts: counts(7, 3) },
      ],
      opts,
    );
    expect(s.reference).toBe('high');
    expect(Object.fromEntries(s.groups.map((g) => [g.group, g.flags]))).toEqual({
      big: ['fails-four-fifths', 'outside-0.8-1.25'],
      high: ['reference'],
      best: [],
      tiny: ['below-min-size'],
    });
    expect(s.missing).toBe(7);
    expect(s.excluded.belowMinSize).toEqual({ groups: 1, decisions: 5 });
  });

  it('flags a group above the band (not the four-fifths rule) against a chosen reference', () => {
    const s = judgeSlice(
      [
        { group: 'a', counts: counts(50, 40) },
        { group: 'b', counts: counts(50, 30) },
      ],
      { ...opts, reference: 'b' },
    );
    expect(s.referenceRule).toBe('chosen');
    expect(s.groups.find((g) => g.group === 'a')!.flags).toEqual(['outside-0.8-1.25']);
  });

  it('leaves ratios empty when the reference selects no one', () => {
    const s = judgeSlice(
      [
        { group: 'a', counts: counts(50, 0) },
        { group: 'b', counts: counts(30, 0) },
      ],
      { ...opts, referenceRule: 'largest' },
    );
    expect(s.reference).toBe('a');
    expect(s.groups.map((g) => g.disparateImpact)).toEqual([null, null]);
    expect(s.groups.flatMap((g) => g.flags)).toEqual(['reference']);
  });

  it('falls back to all groups for the reference when none is large enough', () => {
    const s = judgeSlice(
      [
        { group: 'a', counts: counts(3, 1) },
        { group: 'b', counts: counts(4, 4) },
      ],
      opts,
    );
    expect(s.reference).toBe('b');
    expect(s.groups.find((g) => g.group === 'a')!.flags).toEqual(['below-min-size']);
  });
});
