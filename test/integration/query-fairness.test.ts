// Fairness against a hand computation: a small case whose counts are worked out by hand below, imported
// through the real importer. Expected intervals are Wilson 95% intervals computed independently
// (Python, the textbook formula) and written here as literals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fairness } from '../../src/query/fairness.ts';
import type { FairnessResult, GroupStats } from '../../src/query/fairness.ts';
import { caseOfRecords } from './query-fixtures.ts';
import type { TestCase } from './query-fixtures.ts';

const T0 = Date.parse('2026-03-03T10:00:00Z');
let n = 0;

interface Spec {
  g?: string | null;
  prediction?: string;
  outcomes?: string[];
  reviewed?: boolean;
  override?: boolean;
  version?: string;
}

/**
 * Group A (11 decisions, one without a prediction): 6 approve (outcomes good x4, bad, none), 4 decline
 * (good, bad x2, none). tp 4, fp 1, fn 1, tn 2. Reviewed 4, overridden 1.
 * Group B (8): 2 approve (good, bad), 6 decline (good x3, bad x2, none). tp 1, fp 1, fn 3, tn 2.
 * Reviewed 3, overridden 2.
 * Group C (3, below the minimum of 5): 3 approve (one good).
 * Missing: one without the member, one with null.
 */
const SPECS: Spec[] = [
  ...[['good'], ['bad', 'good'], ['good'], ['good'], ['bad'], []].map((outcomes, i) => ({
    g: 'A',
    prediction: 'approve',
    outcomes,
    reviewed: i < 2,
    override: i === 0,
  })),
  ...[['good'], ['bad'], ['bad'], []].map((outcomes, i) => ({
    g: 'A',
    prediction: 'decline',
    outcomes,
    reviewed: i < 2,
  })),
  { g: 'A' },
  ...[['good'], ['bad']].map((outcomes, i) => ({
    g: 'B',
    prediction: 'approve',
    outcomes,
    reviewed: true,
    override: i === 0,
  })),
  ...[['good'], ['good'], ['good'], ['bad'], ['bad'], []].map((outcomes, i) => ({
    g: 'B',
    prediction: 'decline',
    outcomes,
    reviewed: i === 0,
    override: i === 0,
  })),
  ...[['good'], [], []].map((outcomes) => ({ g: 'C', prediction: 'approve', outcomes })),
  { prediction: 'approve' },
  { g: null, prediction: 'decline' },
];

function records(): { decisions: object[]; outcomes: object[] } {
  const decisions: object[] = [];
  const outcomes: object[] = [];
  for (const s of SPECS) {
    const id = `d-${String(++n).padStart(3, '0')}`;
    const t = T0 + n * 60_000;
    const features: Record<string, unknown> = { income: 1000 + n };
    if (s.g !== undefined) features.g = s.g;
    const d: Record<string, unknown> = {
      decisionId: id,
      timestamp: new Date(t).toISOString(),
      modelId: 'scorer',
      modelVersion: s.version ?? '1.0',
      inputFeatures: features,
      humanReviewed: s.reviewed ?? false,
      humanOverride: s.override ?? false,
    };
    if (s.prediction !== undefined) d.prediction = s.prediction;
    if (s.override) d.overrideReason = 'checked by hand';
    decisions.push(d);
    (s.outcomes ?? []).forEach((o, k) =>
      outcomes.push({
        decisionId: id,
        observedAt: new Date(t + (k + 1) * 86_400_000).toISOString(),
        outcome: o,
        source: 'test',
      }),
    );
  }
  return { decisions, outcomes };
}

function group(r: { groups: GroupStats[] }, g: string): GroupStats {
  const found = r.groups.find((x) => x.group === g);
  if (!found) throw new Error(`no group ${g}`);
  return found;
}

function close(actual: number | null | undefined, expected: number): void {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThan(1e-9);
}

function closePair(actual: [number, number] | null, expected: [number, number]): void {
  expect(actual).not.toBeNull();
  close(actual![0], expected[0]);
  close(actual![1], expected[1]);
}

let tc: TestCase;
let r: FairnessResult;

beforeAll(async () => {
  const { decisions, outcomes } = records();
  tc = await caseOfRecords({ 'decisions.jsonl': decisions, 'outcomes.jsonl': outcomes });
  r = await fairness(tc.ctx, {
    attribute: 'inputFeatures.g',
    positivePrediction: 'approve',
    positiveOutcome: 'good',
    minGroupSize: 5,
  });
}, 60_000);

afterAll(async () => {
  await tc?.close();
});

describe('fairness on a hand-computed fixture', () => {
  it('counts groups, the missing attribute and decisions without a prediction', () => {
    expect(r.groups.map((g) => [g.group, g.n, g.selected])).toEqual([
      ['A', 10, 6],
      ['B', 8, 2],
      ['C', 3, 3],
    ]);
    expect(r.missing).toBe(2);
    expect(r.excluded.noPrediction).toBe(1);
    expect(r.excluded.belowMinSize).toEqual({ groups: 1, decisions: 3 });
  });

  it('selection rates, error rates and precision match the hand computation to 1e-9', () => {
    const a = group(r, 'A');
    const b = group(r, 'B');
    close(a.selectionRate, 0.6);
    close(b.selectionRate, 0.25);
    expect([a.tp, a.fp, a.fn, a.tn]).toEqual([4, 1, 1, 2]);
    expect([b.tp, b.fp, b.fn, b.tn]).toEqual([1, 1, 3, 2]);
    close(a.tpr, 0.8);
    close(a.fpr, 1 / 3);
    close(a.fnr, 0.2);
    close(a.precision, 0.8);
    close(b.tpr, 0.25);
    close(b.fpr, 1 / 3);
    close(b.fnr, 0.75);
    close(b.precision, 0.5);
  });

  it('Wilson 95% intervals match an independent computation to 1e-9', () => {
    const a = group(r, 'A');
    const b = group(r, 'B');
    closePair(a.ci.selectionRate, [0.31267376973365824, 0.8318196702937638]);
    closePair(b.ci.selectionRate, [0.071479212752109, 0.5907245696898311]);
    closePair(group(r, 'C').ci.selectionRate, [0.43850296824495455, 1]);
    closePair(a.ci.tpr, [0.3755346297625253, 0.9637758913675698]);
    closePair(a.ci.fpr, [0.06149194472039615, 0.7923403991979523]);
    closePair(a.ci.fnr, [0.036224108632430085, 0.6244653702374747]);
    closePair(a.ci.precision, [0.3755346297625253, 0.9637758913675698]);
    closePair(b.ci.tpr, [0.04558726080970055, 0.6993581574175981]);
    closePair(b.ci.fpr, [0.06149194472039615, 0.7923403991979523]);
    closePair(b.ci.fnr, [0.30064184258240184, 0.9544127391902995]);
    closePair(b.ci.precision, [0.09453120573423074, 0.9054687942657693]);
  });

  it('compares with the most favoured group of adequate size and flags the disparity', () => {
    expect(r.reference).toBe('A');
    expect(r.referenceRule).toBe('most-favoured');
    const b = group(r, 'B');
    close(b.disparateImpact, 0.4166666666666667);
    close(b.vsReference.selectionRateDiff, -0.35);
    close(b.vsReference.tprRatio, 0.3125);
    close(b.vsReference.fprRatio, 1);
    close(b.vsReference.fnrRatio, 3.75);
    close(b.vsReference.precisionRatio, 0.625);
    expect(b.flags).toEqual(['fails-four-fifths', 'outside-0.8-1.25']);
    expect(group(r, 'A').flags).toEqual(['reference']);
  });

  it('flags a group below the minimum size instead of dropping or judging it', () => {
    const c = group(r, 'C');
    close(c.disparateImpact, 1 / 0.6);
    expect(c.flags).toEqual(['below-min-size']);
  });

  it('computes the same by model version and by week, and override rates by group', () => {
    expect(r.byModelVersion).toHaveLength(1);
    expect(r.byModelVersion[0]).toMatchObject({ modelId: 'scorer', modelVersion: '1.0', reference: 'A', missing: 2 });
    expect(r.byModelVersion[0].groups.map((g) => [g.group, g.n, g.selected, g.tp, g.fp, g.fn, g.tn])).toEqual(
      r.groups.map((g) => [g.group, g.n, g.selected, g.tp, g.fp, g.fn, g.tn]),
    );
    expect(r.byWeek.map((w) => w.week)).toEqual(['2026-03-02T00:00:00.000Z']);
    const oa = r.overrideByGroup.find((g) => g.group === 'A')!;
    const ob = r.overrideByGroup.find((g) => g.group === 'B')!;
    expect([oa.n, oa.reviewed, oa.overridden, ob.n, ob.reviewed, ob.overridden]).toEqual([11, 4, 1, 8, 3, 2]);
    close(oa.overrideRate, 0.25);
    close(ob.overrideRate, 2 / 3);
    closePair(oa.ci.overrideRate, [0.04558726080970055, 0.6993581574175981]);
    closePair(ob.ci.overrideRate, [0.20765960080204765, 0.9385080552796037]);
    closePair(oa.ci.reviewRate, [0.15166471095367576, 0.6461988254921511]);
    close(ob.overrideRateRatio, 2 / 3 / 0.25);
    expect(ob.flags).toEqual([]);
  });

  it('takes the largest group or a chosen one as reference', async () => {
    const largest = await fairness(tc.ctx, {
      attribute: 'inputFeatures.g',
      positivePrediction: 'approve',
      minGroupSize: 5,
      referenceRule: 'largest',
    });
    expect(largest.reference).toBe('A');
    const chosen = await fairness(tc.ctx, {
      attribute: 'inputFeatures.g',
      positivePrediction: 'approve',
      minGroupSize: 5,
      reference: 'B',
    });
    expect(chosen.referenceRule).toBe('chosen');
    close(group(chosen, 'A').disparateImpact, 2.4);
    expect(group(chosen, 'A').flags).toEqual(['outside-0.8-1.25']);
    expect(chosen.positiveOutcome).toBeNull();
    expect(group(chosen, 'A').tpr).toBeNull();
    const missing = await fairness(tc.ctx, {
      attribute: 'inputFeatures.g',
      positivePrediction: 'approve',
      reference: 'Z',
    });
    expect(missing.reference).toBeNull();
    expect(missing.notices.join(' ')).toContain('"Z"');
  });

  it('gives the same figures from the kept member values as from the JSON itself', async () => {
    const { positionalAvailable } = await import('./query-fixtures.ts');
    expect(await positionalAvailable(tc, 'inputFeatures', 'g')).toBe(true);
    const bare = await fairness(
      { ...tc.ctx, lookups: new Set() },
      { attribute: 'inputFeatures.g', positivePrediction: 'approve', positiveOutcome: 'good', minGroupSize: 5 },
    );
    expect({ ...bare, ms: 0 }).toEqual({ ...r, ms: 0 });
  });

  it('reads top-level members and refuses attributes it cannot group by', async () => {
    const byModel = await fairness(tc.ctx, {
      attribute: 'modelVersion',
      positivePrediction: 'approve',
      minGroupSize: 1,
    });
    expect(byModel.groups.map((g) => [g.group, g.n])).toEqual([['1.0', 23]]);
    await expect(fairness(tc.ctx, { attribute: 'confidence', positivePrediction: 'approve' })).rejects.toThrow(
      /not inputFeatures/,
    );
    await expect(fairness(tc.ctx, { attribute: 'inputFeatures.', positivePrediction: 'approve' })).rejects.toThrow(
      /name a member/,
    );
    // a path that tries to break out of its string is only a member name that does not exist
    const odd = await fairness(tc.ctx, { attribute: `inputFeatures.g') OR 1=1 --`, positivePrediction: 'approve' });
    expect(odd.groups).toEqual([]);
    expect(odd.missing).toBe(24);
  });

  it('notices kept values that no longer line up with the decisions and reads the JSON instead (last: it changes the case)', async () => {
    // same row count, different rows: the lookup tables look current, the member table is out of step
    await tc.handle.duck.run(`CREATE TEMP TABLE first_row AS SELECT * FROM decisions WHERE decision_id = 'd-001'`);
    await tc.handle.duck.run(`DELETE FROM decisions WHERE decision_id = 'd-001'`);
    await tc.handle.duck.run(`INSERT INTO decisions SELECT * FROM first_row`);
    const ctx = await tc.refresh();
    const again = await fairness(ctx, {
      attribute: 'inputFeatures.g',
      positivePrediction: 'approve',
      positiveOutcome: 'good',
      minGroupSize: 5,
    });
    expect(again.notices.join(' ')).toMatch(/did not line up/);
    expect(again.groups.map((g) => [g.group, g.n, g.selected, g.tp, g.fp, g.fn, g.tn])).toEqual(
      r.groups.map((g) => [g.group, g.n, g.selected, g.tp, g.fp, g.fn, g.tn]),
    );
  });
});
