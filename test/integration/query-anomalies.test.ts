// The anomaly filters the demo archive does not trip, and the lifecycle judgements, on a hand-made
// case: every hit below is planted on purpose and every other record is made to look normal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anomalyFilter, runAnomaly } from '../../src/query/anomalies/index.ts';
import { oversight } from '../../src/query/oversight.ts';
import { timeline } from '../../src/query/timeline.ts';
import { caseOfRecords } from './query-fixtures.ts';
import type { TestCase } from './query-fixtures.ts';

const HOUR = 3_600_000;
const START = Date.parse('2026-05-04T00:00:00Z');
const iso = (t: number) => new Date(t).toISOString();

const lifecycle = [
  // m1 1.0: deployed, rolled back, deployed again, retired
  { eventId: 'l1', eventType: 'deployed', modelId: 'm1', modelVersion: '1.0', timestamp: iso(START) },
  { eventId: 'l2', eventType: 'rollback', modelId: 'm1', modelVersion: '1.0', timestamp: iso(START + 24 * HOUR) },
  { eventId: 'l3', eventType: 'deployed', modelId: 'm1', modelVersion: '1.0', timestamp: iso(START + 48 * HOUR) },
  { eventId: 'l4', eventType: 'retired', modelId: 'm1', modelVersion: '1.0', timestamp: iso(START + 96 * HOUR) },
  // m2 1: the steady traffic, deployed the day before
  { eventId: 'l0', eventType: 'deployed', modelId: 'm2', modelVersion: '1', timestamp: iso(START - 24 * HOUR) },
  // m1 2.0: evaluation fails, deployed anyway, passes a later evaluation
  {
    eventId: 'l5',
    eventType: 'evaluation_completed',
    modelId: 'm1',
    modelVersion: '2.0',
    timestamp: iso(START + 10 * HOUR),
    evaluationResults: [
      { metric: 'auc', value: 0.7, threshold: 0.8, passed: false },
      { metric: 'bias', value: 0.9, threshold: 0.8, passed: true },
    ],
  },
  { eventId: 'l6', eventType: 'deployed', modelId: 'm1', modelVersion: '2.0', timestamp: iso(START + 12 * HOUR) },
  {
    eventId: 'l7',
    eventType: 'evaluation_completed',
    modelId: 'm1',
    modelVersion: '2.0',
    timestamp: iso(START + 60 * HOUR),
    evaluationResults: [{ metric: 'auc', value: 0.85, threshold: 0.8, passed: true }],
  },
];

interface D {
  id: string;
  t: number;
  version?: string;
  model?: string;
  confidence?: number;
  latency?: number;
  override?: boolean;
  reason?: string;
}

function decision(d: D): Record<string, unknown> {
  const r: Record<string, unknown> = {
    decisionId: d.id,
    timestamp: iso(d.t),
    modelId: d.model ?? 'm1',
    modelVersion: d.version ?? '1.0',
    prediction: 'approve',
    confidence: d.confidence ?? 0.9,
    latencyMs: d.latency ?? 50,
    humanReviewRequired: false,
    humanReviewed: d.override ?? false,
    humanOverride: d.override ?? false,
  };
  if (d.reason !== undefined) r.overrideReason = d.reason;
  return r;
}

// Steady traffic by m2: 12 decisions an hour for 5 days from START, except an empty hour (a gap) and an
// hour of 60 (a spike); m-free has no lifecycle at all.
function traffic(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let k = 0;
  for (let h = 0; h < 120; h++) {
    const count = h === 30 ? 0 : h === 80 ? 60 : 12;
    for (let i = 0; i < count; i++) {
      const t = START + h * HOUR + Math.floor(((i + 0.5) * HOUR) / count);
      out.push(
        decision({ id: `t-${String(k).padStart(4, '0')}`, t, model: 'm2', version: '1', latency: 40 + (k++ % 20) }),
      );
    }
  }
  return out;
}

const planted: D[] = [
  { id: 'p-before', t: START - HOUR, version: '1.0' }, // before 1.0's deployment
  { id: 'p-rolled-back', t: START + 31 * HOUR, version: '1.0' }, // between rollback and re-deployment
  { id: 'p-retired', t: START + 100 * HOUR, version: '1.0' }, // after retirement
  { id: 'p-never', t: START + 70 * HOUR, version: '3.0' }, // never deployed
  { id: 'p-failed-eval', t: START + 20 * HOUR, version: '2.0' }, // deployed, but its evaluation failed
  { id: 'p-free', t: START + 50 * HOUR, model: 'm-free', version: '9' }, // a model without lifecycle: not judged
  { id: 'p-unsure', t: START + 51 * HOUR, confidence: 0.2 },
  { id: 'p-slow', t: START + 52 * HOUR, model: 'm2', version: '1', latency: 5000 },
  { id: 'p-silent-override', t: START + 53 * HOUR, override: true, reason: '  ' },
  { id: 'p-explained-override', t: START + 54 * HOUR, override: true, reason: 'documents checked' },
];

const reviews = [
  // a review that rejects without rationale, one that rejects with one, and an escalation loop A -> B -> A
  {
    eventId: 'r1',
    taskId: 'task-1',
    decisionId: 'p-explained-override',
    eventType: 'reviewed',
    timestamp: iso(START + 54 * HOUR + 60_000),
    reviewerId: 'alice',
    action: 'reject',
    durationMs: 60_000,
  },
  {
    eventId: 'r2',
    taskId: 'task-2',
    decisionId: 'p-silent-override',
    eventType: 'reviewed',
    timestamp: iso(START + 53 * HOUR + 60_000),
    reviewerId: 'bob',
    action: 'modify',
    rationale: { code: 'ADJUST', text: 'limit halved' },
    durationMs: 90_000,
  },
  {
    eventId: 'r3',
    taskId: 'task-3',
    decisionId: 't-0001',
    eventType: 'escalated',
    timestamp: iso(START + 2 * HOUR),
    fromReviewerId: 'alice',
    toReviewerId: 'bob',
    reason: 'unsure',
  },
  {
    eventId: 'r4',
    taskId: 'task-3',
    decisionId: 't-0001',
    eventType: 'escalated',
    timestamp: iso(START + 3 * HOUR),
    fromReviewerId: 'bob',
    toReviewerId: 'alice',
    reason: 'not mine',
  },
  {
    eventId: 'r5',
    taskId: 'task-3',
    decisionId: 't-0001',
    eventType: 'reviewed',
    timestamp: iso(START + 4 * HOUR),
    reviewerId: 'alice',
    action: 'approve',
    rationale: { code: 'AGREE', text: 'fine' },
    durationMs: 120_000,
  },
];

let tc: TestCase;
beforeAll(async () => {
  tc = await caseOfRecords({
    'lifecycle.jsonl': lifecycle,
    'decisions.jsonl': [...traffic(), ...planted.map(decision)],
    'reviews.jsonl': reviews,
  });
}, 60_000);
afterAll(async () => tc?.close());

async function ids(filter: string, params: Record<string, unknown> = {}): Promise<string[]> {
  const r = await runAnomaly(tc.ctx, anomalyFilter(filter), params, {}, { limit: 1000 });
  return r.items.map((i) => String(i.ref?.table === 'reviews' ? i.item.eventId : i.item.decisionId)).sort();
}

describe('anomaly filters on planted records', () => {
  it('version-outside-window: before deployment, after rollback, after retirement, never deployed; a model without lifecycle is not judged', async () => {
    const r = await runAnomaly(tc.ctx, anomalyFilter('version-outside-window'), {}, {}, { limit: 100 });
    const states = Object.fromEntries(r.items.map((i) => [i.item.decisionId, i.item.versionState]));
    expect(states).toEqual({
      'p-before': 'before-deployment',
      'p-rolled-back': 'after-rollback',
      'p-retired': 'after-retirement',
      'p-never': 'never-deployed',
    });
  });

  it('failed-evaluation: only decisions under the failed evaluation, not after the passing one', async () => {
    const r = await runAnomaly(tc.ctx, anomalyFilter('failed-evaluation'));
    expect(r.items.map((i) => [i.item.decisionId, i.item.evaluationEventId, i.item.failedMetrics])).toEqual([
      ['p-failed-eval', 'l5', ['auc']],
    ]);
    expect(r.items[0].reason).toBe('m1 2.0 was serving after evaluation l5 failed (failed: auc)');
  });

  it('low-confidence by threshold and by percentile', async () => {
    expect(await ids('low-confidence')).toEqual(['p-unsure']);
    const p = await runAnomaly(tc.ctx, anomalyFilter('low-confidence'), { percentile: 1 }, {}, { limit: 1000 });
    expect(p.items.map((i) => i.item.decisionId)).toContain('p-unsure');
    expect(p.items.every((i) => Number(i.item.confidence) <= Number(i.item.cutoff))).toBe(true);
  });

  it('high-latency: the robust z-score finds the one slow decision; the plain z-score agrees', async () => {
    expect(await ids('high-latency')).toEqual(['p-slow']);
    expect(await ids('high-latency', { method: 'zscore' })).toEqual(['p-slow']);
  });

  it('override-without-reason: a blank overrideReason, and a rejecting review without rationale', async () => {
    const r = await runAnomaly(tc.ctx, anomalyFilter('override-without-reason'));
    expect(r.items.map((i) => [i.ref!.table, i.item.decisionId, i.item.eventId])).toEqual([
      ['decisions', 'p-silent-override', null],
      ['reviews', 'p-explained-override', 'r1'],
    ]);
  });

  it('short-reviews: none here at 10 s; all three at 5 minutes', async () => {
    expect(await ids('short-reviews')).toEqual([]);
    expect(await ids('short-reviews', { maxSeconds: 300 })).toEqual(['r1', 'r2', 'r5']);
  });

  it('volume: the empty hour is a gap and the flood is a spike', async () => {
    const r = await runAnomaly(tc.ctx, anomalyFilter('volume'));
    expect(r.items.map((i) => [i.item.kind, i.item.hour, i.item.decisions])).toEqual([
      ['gap', iso(START + 30 * HOUR), 0],
      ['spike', iso(START + 80 * HOUR), 60],
    ]);
    expect(r.items[0].ref).toBeNull();
    // with a higher bar for what counts as traffic, the gap is no longer judged
    expect(
      (await runAnomaly(tc.ctx, anomalyFilter('volume'), { minExpected: 20 })).items.map((i) => i.item.kind),
    ).toEqual(['spike']);
  });

  it('refuses unknown parameters and out-of-range values, naming them', async () => {
    await expect(runAnomaly(tc.ctx, anomalyFilter('short-reviews'), { seconds: 3 })).rejects.toThrow(
      'anomaly filter short-reviews has no parameter "seconds" (it has: maxSeconds)',
    );
    await expect(runAnomaly(tc.ctx, anomalyFilter('low-confidence'), { threshold: 2 })).rejects.toThrow(
      /low-confidence.threshold must be a number from 0 to 1/,
    );
    expect(() => anomalyFilter('nope')).toThrow(/unknown anomaly filter "nope"/);
  });

  it('scopes a filter to decisions matching the shared filters', async () => {
    const r = await runAnomaly(tc.ctx, anomalyFilter('version-outside-window'), {}, { from: iso(START + 90 * HOUR) });
    expect(r.items.map((i) => i.item.decisionId)).toEqual(['p-retired']);
  });
});

describe('lifecycle in timelines and oversight loops', () => {
  it('the timeline says which version served and that the evaluation had failed', async () => {
    const t = await timeline(tc.ctx, { decisionId: 'p-failed-eval' });
    expect(t.modelState[0]).toMatchObject({
      versionState: 'deployed',
      activeVersion: '2.0',
      lastEvaluation: { eventId: 'l5', passed: false, failedMetrics: ['auc'] },
    });
    expect(t.events.find((e) => e.ref?.stream === 'lifecycle' && e.details.eventId === 'l5')!.summary).toBe(
      'm1 2.0 evaluation_completed: FAILED auc 0.7 vs threshold 0.8',
    );
    const rolled = await timeline(tc.ctx, { decisionId: 'p-rolled-back' });
    expect(rolled.modelState[0]).toMatchObject({ versionState: 'after-rollback', activeVersion: '2.0' });
  });

  it('oversight finds the escalation loop back to an earlier reviewer', async () => {
    const o = await oversight(tc.ctx);
    expect(o.escalationLoops.total).toBe(1);
    expect(o.escalationLoops.tasks[0]).toEqual({
      taskId: 'task-3',
      decisionId: 't-0001',
      escalations: 2,
      chain: ['alice', 'bob', 'alice'],
      repeatedReviewer: true,
    });
    const alice = o.byReviewer.find((r) => r.reviewerId === 'alice')!;
    expect(alice).toMatchObject({
      reviews: 2,
      approvals: 1,
      rejections: 1,
      escalatedFrom: 1,
      escalatedTo: 1,
      overrideRate: 0.5,
      medianReviewSeconds: 90,
    });
    expect(o.overall).toMatchObject({ overrides: 2, reviewed: 2, reviews: 3, escalations: 2 });
  });
});
