// The derived tables that make timelines and fairness fast at ten million decisions (lookups.ts: the
// decision links, the kept lifecycle segments, the per-decision facts) must never change an answer: each
// query is run on a real imported case with the tables and without them (an empty set of fresh lookups)
// and the two results must be equal, field for field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECISION_FACTS, FACT_MODELS, FACT_VALUES } from '../../src/query/facts.ts';
import { fairness } from '../../src/query/fairness.ts';
import type { FairnessParams } from '../../src/query/fairness.ts';
import { LINKS_TABLE, buildLookups, parseByteSize } from '../../src/query/lookups.ts';
import { KEPT_EVALUATION_SEGMENTS, KEPT_LIFECYCLE_MODELS, KEPT_VERSION_SEGMENTS } from '../../src/query/model-state.ts';
import { queryContext } from '../../src/query/context.ts';
import { search } from '../../src/query/search.ts';
import { timeline } from '../../src/query/timeline.ts';
import type { TimelineParams } from '../../src/query/timeline.ts';
import { DEFAULT_VERIFY_OPTIONS, verifyCase } from '../../src/contract/case-verification.ts';
import { anomalyFilter, runAnomaly } from '../../src/query/anomalies/index.ts';
import { caseOfRecords, demoCase } from './query-fixtures.ts';
import type { TestCase } from './query-fixtures.ts';

let demo: TestCase;

beforeAll(async () => {
  demo = await demoCase({ decisions: 3000, days: 14 });
}, 180_000);

afterAll(async () => {
  await demo?.close();
});

const bare = (tc: TestCase) => ({ ...tc.ctx, lookups: new Set<string>() });

describe('building the lookup tables', () => {
  it("runs its sorts under three quarters of the case's memory limit and restores the limit after", async () => {
    const duck = demo.handle.duck;
    const limit = async () =>
      String((await duck.runAndReadAll("SELECT current_setting('memory_limit')")).getRowsJS()[0][0]);
    const before = await limit();
    await buildLookups(duck);
    expect(await limit()).toBe(before);
    expect(parseByteSize('953.6 MiB')).toBeCloseTo(953.6 * 1024 ** 2, 0);
    expect(parseByteSize('1.0 GiB')).toBe(1024 ** 3);
    expect(parseByteSize('1GB')).toBe(1e9);
    expect(parseByteSize('512 bytes')).toBe(512);
    expect(parseByteSize('953.6 MiB', true)).toBeCloseTo(953.65 * 1024 ** 2, 0);
    expect(() => parseByteSize('lots')).toThrow(/not a size/);
  });
});

describe('timelines read through the decision links equal timelines read key by key', () => {
  it('the links, segments and facts are built and fresh', () => {
    for (const t of [
      LINKS_TABLE,
      KEPT_VERSION_SEGMENTS,
      KEPT_EVALUATION_SEGMENTS,
      KEPT_LIFECYCLE_MODELS,
      DECISION_FACTS,
      FACT_MODELS,
      FACT_VALUES,
    ])
      expect(demo.ctx.lookups.has(t), t).toBe(true);
  });

  it('for escalated, overridden, outcome-bearing, explained, retired-version and plain decisions', async () => {
    const ids = new Set<string>();
    const pick = async (filters: Parameters<typeof search>[1], n = 3) => {
      const r = await search(demo.ctx, { ...filters, limit: n, facets: [] });
      expect(r.items.length).toBeGreaterThan(0);
      for (const i of r.items) ids.add(i.decisionId!);
    };
    await pick({ eventType: 'escalated' });
    await pick({ humanOverride: true });
    await pick({ riskTier: 'critical' });
    await pick({ modelVersion: '2.1.0', sort: '-time' });
    await pick({ modelId: 'support-reply-llm' });
    await pick({ modelId: 'credit-limit-scorer', humanReviewed: true, sort: '-time' });
    const seen = { outcome: 0, review: 0, explanation: 0 };
    for (const decisionId of ids) {
      const fast = await timeline(demo.ctx, { decisionId });
      const slow = await timeline(bare(demo), { decisionId });
      expect(fast).toEqual(slow);
      for (const k of ['outcome', 'review', 'explanation'] as const)
        if (fast.events.some((e) => e.kind === k)) seen[k]++;
    }
    // the comparison covered every kind of linked record
    expect(seen.outcome).toBeGreaterThan(0);
    expect(seen.review).toBeGreaterThan(0);
    expect(seen.explanation).toBeGreaterThan(0);
  });

  it('an unknown id is refused the same way', async () => {
    await expect(timeline(demo.ctx, { decisionId: 'no-such-decision' })).rejects.toThrow(/holds no decision/);
  });
});

describe('decision ids used twice, tasks shared and reviews naming only the task', () => {
  let tc: TestCase;
  const at = (m: number) => new Date(Date.parse('2026-03-03T10:00:00Z') + m * 60_000).toISOString();
  const decision = (decisionId: string, m: number, extra: object = {}) => ({
    traceId: `t-${decisionId}-${m}`,
    decisionId,
    timestamp: at(m),
    modelId: 'm',
    modelVersion: '1',
    prediction: 'approve',
    affectedUserId: 'u-1',
    ...extra,
  });
  const review = (eventId: string, m: number, extra: object) => ({
    eventId,
    eventType: 'reviewed',
    timestamp: at(m),
    reviewerId: 'rev-1',
    ...extra,
  });

  beforeAll(async () => {
    tc = await caseOfRecords({
      'decisions/a.jsonl': [
        decision('d-1', 0, { taskId: 'task-1' }),
        decision('d-1', 5, { taskId: 'task-2' }),
        decision('d-2', 10, { taskId: 'task-1' }),
        decision('d-3', 20),
      ],
      'reviews/a.jsonl': [
        review('r-1', 1, { decisionId: 'd-1', taskId: 'task-1' }),
        review('r-2', 6, { taskId: 'task-2' }),
        review('r-3', 11, { decisionId: 'd-2' }),
        review('r-4', 12, { taskId: 'task-1' }),
      ],
      'outcomes/a.jsonl': [
        { decisionId: 'd-1', observedAt: at(100), outcome: 'good' },
        { decisionId: 'd-1', observedAt: at(200), outcome: 'bad' },
        { decisionId: 'd-3', observedAt: at(300), outcome: 'good' },
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await tc?.close();
  });

  it.each<TimelineParams>([
    { decisionId: 'd-1' },
    { decisionId: 'd-2' },
    { decisionId: 'd-3' },
    { taskId: 'task-1' },
    { traceId: 't-d-1-5' },
    { decisionId: 'd-1', nearbyLimit: 1 },
  ])('%o', async (p) => {
    expect(tc.ctx.lookups.has(LINKS_TABLE)).toBe(true);
    const fast = await timeline(tc.ctx, p);
    expect(fast).toEqual(await timeline(bare(tc), p));
    if (p.decisionId === 'd-1') {
      // both rows of d-1, the reviews of both tasks (one naming only its task) and both outcomes
      expect(fast.decisions).toHaveLength(2);
      expect(
        fast.events
          .filter((e) => e.kind === 'review')
          .map((e) => e.details.eventId)
          .sort(),
      ).toEqual(['r-1', 'r-2', 'r-4']);
      expect(fast.events.filter((e) => e.kind === 'outcome')).toHaveLength(2);
    }
  });
});

describe('fairness from the kept decision facts equals fairness from the decisions', () => {
  it.each<FairnessParams>([
    { attribute: 'inputFeatures.group', positivePrediction: 'approve' },
    { attribute: 'inputFeatures.group', positivePrediction: 'approve', positiveOutcome: 'repaid' },
    { attribute: 'inputFeatures.group', positivePrediction: 'approve', positiveOutcome: 'repaid', basis: 'final' },
    {
      attribute: 'inputFeatures.group',
      positivePrediction: 'approve',
      positiveOutcome: 'repaid',
      modelId: 'credit-limit-scorer',
      from: '2026-03-04T00:00:00Z',
    },
    { attribute: 'inputFeatures.region', positivePrediction: 'block', positiveOutcome: 'confirmed_fraud' },
    { attribute: 'riskTier', positivePrediction: 'allow', reference: 'high', referenceRule: 'largest' },
    { attribute: 'inputFeatures.group', positivePrediction: 'no such prediction', positiveOutcome: 'nor outcome' },
  ])('%o', async (p) => {
    const fast = await fairness(demo.ctx, p);
    const slow = await fairness(bare(demo), p);
    expect({ ...fast, ms: 0 }).toEqual({ ...slow, ms: 0 });
    expect(fast.notices.join(' ')).not.toMatch(/did not line up/);
    expect(fast.groups.length).toBeGreaterThan(0);
  });
});

describe('a case whose predictions are too varied to code (more than MAX_FACT_VALUES distinct values)', () => {
  it('keeps no decision facts, and fairness over the text equals fairness over the codes and without lookups', async () => {
    const p = { attribute: 'inputFeatures.group', positivePrediction: 'approve', positiveOutcome: 'repaid' };
    const tc = await demoCase({ decisions: 600, days: 3 });
    try {
      // the same build with a limit below the demo's few distinct values takes the branch 100,001 values take
      const built = await buildLookups(tc.handle.duck, { maxFactValues: 1 });
      expect(built.map((b) => b.name)).not.toContain(DECISION_FACTS);
      const ctx = await tc.refresh();
      for (const t of [DECISION_FACTS, FACT_MODELS, FACT_VALUES]) expect(ctx.lookups.has(t)).toBe(false);
      expect(ctx.lookups.size).toBeGreaterThan(0);
      const text = await fairness(ctx, p);
      expect({ ...text, ms: 0 }).toEqual({ ...(await fairness(bare(tc), p)), ms: 0 });
      expect(text.groups.length).toBeGreaterThan(0);
      // and back: a build within the limit keeps them again
      await buildLookups(tc.handle.duck);
      const again = await tc.refresh();
      expect(again.lookups.has(DECISION_FACTS)).toBe(true);
      expect({ ...(await fairness(again, p)), ms: 0 }).toEqual({ ...text, ms: 0 });
    } finally {
      await tc.close();
    }
  }, 120_000);
});

describe('after a verification run with findings that name no row', () => {
  it('aggregates over an intact archive stay passed: checkpoint signature and time-stamp findings do not touch rows', async () => {
    await verifyCase(demo.handle, DEFAULT_VERIFY_OPTIONS);
    const ctx = await demo.refresh();
    // the demo's checkpoints are signed with a self-asserted key and have no time-stamp: findings on those files
    const files = demo.handle.sqlite
      .prepare("SELECT count(*) AS n FROM findings WHERE status <> 'pass' AND seq IS NULL AND file IS NOT NULL")
      .get() as { n: number };
    expect(files.n).toBeGreaterThan(0);
    const p = { attribute: 'inputFeatures.group', positivePrediction: 'approve', positiveOutcome: 'repaid' };
    const fast = await fairness(ctx, p);
    expect({ ...fast, ms: 0 }).toEqual({ ...(await fairness(bare(demo), p)), ms: 0 });
    const decisions = fast.groups.reduce((a, g) => a + g.n, 0) + fast.missing + fast.excluded.noPrediction;
    const outcomes = fast.groups.reduce((a, g) => a + g.withOutcome, 0);
    expect(fast.integrity).toMatchObject({ status: 'passed', runId: 1, rows: decisions + outcomes, warning: 0 });
    const r = await runAnomaly(ctx, anomalyFilter('high-latency'));
    expect(r.total).toBeGreaterThan(0);
    expect(r.integrity).toMatchObject({ status: 'passed', runId: 1, rows: r.total, warning: 0 });
  }, 120_000);
});

describe('on a case open read-only, with spare connections', () => {
  it('timelines read side by side (several at once) equal timelines read one statement at a time', async () => {
    const ids = (await search(demo.ctx, { eventType: 'escalated', limit: 4, facets: [] })).items
      .concat((await search(demo.ctx, { riskTier: 'critical', limit: 4, facets: [] })).items)
      .map((i) => i.decisionId!);
    // the write handle holds the case; reopen it read-only as the CLI does
    await demo.handle.close();
    const reader = await demo.workspace.open(demo.name, { mode: 'read' });
    try {
      const ctx = await queryContext(reader);
      expect(ctx.spare).toBeDefined();
      const expected = [];
      for (const decisionId of ids)
        expected.push(await timeline({ ...ctx, lookups: new Set<string>(), spare: undefined }, { decisionId }));
      const together = await Promise.all(ids.map((decisionId) => timeline(ctx, { decisionId })));
      expect(together).toEqual(expected);
      for (const [i, decisionId] of ids.entries()) expect(await timeline(ctx, { decisionId })).toEqual(expected[i]);
      await expect(timeline(ctx, { decisionId: 'no-such-decision' })).rejects.toThrow(/holds no decision/);
    } finally {
      await reader.close();
    }
  }, 120_000);
});
