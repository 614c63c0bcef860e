// Search: the five patterns (point lookup, user history, model investigation, anomaly investigation,
// aggregate analysis), filters, facets, paging and sorting, on a generated case; the same answers with
// and without the lookup tables; user values only ever bound as parameters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QueryContext } from '../../src/query/context.ts';
import { search } from '../../src/query/search.ts';
import type { SearchParams } from '../../src/query/search.ts';
import { caseOfRecords } from './query-fixtures.ts';
import type { TestCase } from './query-fixtures.ts';

const START = Date.parse('2026-06-01T00:00:00Z');
const MODELS = [
  ['scorer', '1.0'],
  ['scorer', '1.1'],
  ['fraud', '7'],
] as const;
const TIERS = ['high', 'limited', 'critical'];
const USERS = ['u-alpha', 'u-beta', 'u-gamma', 'u-delta'];

/** 120 decisions, one every 30 minutes; every 10th reviewed by rev-1 (every 20th overridden); user i % 4. */
function decisions(): Record<string, unknown>[] {
  return Array.from({ length: 120 }, (_, i) => {
    const [modelId, modelVersion] = MODELS[i % 3];
    const reviewed = i % 10 === 0;
    return {
      decisionId: `dec-${String(i).padStart(3, '0')}`,
      traceId: `trace-${Math.floor(i / 2)}`,
      timestamp: new Date(START + i * 1_800_000).toISOString(),
      modelId,
      modelVersion,
      riskTier: TIERS[i % 3],
      consequenceLevel: i % 2 === 0 ? 'minor' : 'significant',
      environment: i < 100 ? 'production' : 'staging',
      decisionCategory: 'credit',
      prediction: i % 4 === 0 ? 'decline' : 'approve',
      confidence: 0.5 + (i % 50) / 100,
      latencyMs: 10 + ((i * 7) % 90),
      affectedUserId: USERS[i % 4],
      humanReviewRequired: reviewed,
      humanReviewed: reviewed,
      humanOverride: i % 20 === 0,
      ...(reviewed ? { humanReviewerId: 'rev-1', taskId: `task-${i}` } : {}),
      ...(i % 20 === 0 ? { overrideReason: 'checked' } : {}),
    };
  });
}

const reviews = [
  {
    eventId: 'e1',
    taskId: 'task-10',
    decisionId: 'dec-010',
    eventType: 'created',
    timestamp: new Date(START + 10 * 1_800_000 + 1000).toISOString(),
  },
  {
    eventId: 'e2',
    taskId: 'task-10',
    decisionId: 'dec-010',
    eventType: 'escalated',
    timestamp: new Date(START + 10 * 1_800_000 + 2000).toISOString(),
    fromReviewerId: 'rev-2',
    toReviewerId: 'rev-1',
    reason: 'x',
  },
  {
    eventId: 'e3',
    taskId: 'task-10',
    decisionId: 'dec-010',
    eventType: 'reviewed',
    timestamp: new Date(START + 10 * 1_800_000 + 3000).toISOString(),
    reviewerId: 'rev-1',
    action: 'approve',
    durationMs: 60_000,
  },
];

let tc: TestCase;
let bare: QueryContext;

beforeAll(async () => {
  tc = await caseOfRecords({ 'decisions.jsonl': decisions(), 'reviews.jsonl': reviews });
  bare = { ...tc.ctx, lookups: new Set() };
}, 60_000);
afterAll(async () => tc?.close());

async function both(params: SearchParams) {
  const fast = await search(tc.ctx, params);
  const slow = await search(bare, params);
  const strip = (r: typeof fast) => ({ ...r, ms: 0, facetSource: 'x' });
  expect(strip(slow)).toEqual(strip(fast));
  return fast;
}

describe('search', () => {
  it('point lookup by decision id and by trace id', async () => {
    const r = await both({ decisionId: 'dec-007' });
    expect(r.total).toBe(1);
    expect(r.items[0]).toMatchObject({
      decisionId: 'dec-007',
      traceId: 'trace-3',
      modelId: 'scorer',
      modelVersion: '1.1',
      at: '2026-06-01T03:30:00.000Z',
    });
    expect(r.items[0].ref).toMatchObject({ table: 'decisions', sourceFile: 'decisions.jsonl', line: 8 });
    expect(r.items[0].integrity.status).toBe('not-verified');
    expect((await both({ traceId: 'trace-3' })).items.map((i) => i.decisionId)).toEqual(['dec-006', 'dec-007']);
  });

  it("a user's history within a time range, newest first", async () => {
    const r = await both({
      affectedUserId: 'u-beta',
      from: '2026-06-01T10:00:00Z',
      to: '2026-06-02T00:00:00Z',
      sort: '-time',
    });
    const expected = decisions()
      .filter(
        (d) =>
          d.affectedUserId === 'u-beta' &&
          (d.timestamp as string) >= '2026-06-01T10:00:00' &&
          (d.timestamp as string) < '2026-06-02',
      )
      .map((d) => d.decisionId)
      .reverse();
    expect(r.items.map((i) => i.decisionId)).toEqual(expected);
    expect(r.total).toBe(expected.length);
  });

  it('a model investigation, with facets counted over the matching decisions only', async () => {
    const r = await both({ modelId: 'scorer', modelVersion: '1.1' });
    expect(r.total).toBe(40);
    expect(r.facets.modelVersion).toEqual({ values: [{ value: '1.1', count: 40 }], others: 0 });
    expect(r.facets.environment!.values).toEqual([
      { value: 'production', count: 33 },
      { value: 'staging', count: 7 },
    ]);
    expect(r.facets.humanOverride!.values.find((v) => v.value === true)?.count).toBe(2);
  });

  it('filters by review event type and reviewer, including reviewers named only by a review event', async () => {
    expect((await both({ eventType: 'escalated' })).items.map((i) => i.decisionId)).toEqual(['dec-010']);
    expect((await both({ reviewerId: 'rev-2' })).items.map((i) => i.decisionId)).toEqual(['dec-010']);
    expect((await both({ reviewerId: 'rev-1' })).total).toBe(12);
    const f = await both({ eventType: ['created', 'reviewed'] });
    expect(f.facets.eventType!.values).toEqual([
      { value: 'created', count: 1 },
      { value: 'escalated', count: 1 },
      { value: 'reviewed', count: 1 },
    ]);
  });

  it('filters by tier, consequence, environment and the review booleans', async () => {
    const r = await both({
      riskTier: ['critical'],
      consequenceLevel: 'significant',
      environment: 'production',
      humanReviewed: false,
    });
    const expected = decisions().filter(
      (d) =>
        d.riskTier === 'critical' &&
        d.consequenceLevel === 'significant' &&
        d.environment === 'production' &&
        !d.humanReviewed,
    );
    expect(r.total).toBe(expected.length);
    expect(r.items.every((i) => i.riskTier === 'critical' && i.humanReviewed === false)).toBe(true);
  });

  it('free text matches ids exactly or by prefix', async () => {
    expect((await both({ text: 'dec-11' })).items.map((i) => i.decisionId)).toEqual([
      'dec-110',
      'dec-111',
      'dec-112',
      'dec-113',
      'dec-114',
      'dec-115',
      'dec-116',
      'dec-117',
      'dec-118',
      'dec-119',
    ]);
    expect((await both({ text: 'task-100' })).items.map((i) => i.decisionId)).toEqual(['dec-100']);
    expect((await both({ text: 'u-gam' })).total).toBe(30);
  });

  it('pages and sorts: pages are disjoint and cover the set; ties break by file position', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 120; offset += 25) {
      const p = await both({ sort: '-confidence', limit: 25, offset, facets: [] });
      expect(p.total).toBe(120);
      seen.push(...p.items.map((i) => i.decisionId!));
    }
    expect(new Set(seen).size).toBe(120);
    const all = await both({ sort: '-confidence', limit: 1000, facets: [] });
    expect(all.items.map((i) => i.decisionId)).toEqual(seen);
    const conf = all.items.map((i) => i.confidence!);
    expect([...conf].sort((a, b) => b - a)).toEqual(conf);
  });

  it('unfiltered facets come from the cached whole-case counts and agree with a fresh count', async () => {
    const cached = await search(tc.ctx, { limit: 1 });
    expect(cached.facetSource).toBe('cached');
    const computed = await search(bare, { limit: 1 });
    expect(computed.facetSource).toBe('computed');
    expect(cached.facets).toEqual(computed.facets);
    expect(cached.facets.riskTier!.values.map((v) => v.count).reduce((a, b) => a + b, 0)).toBe(120);
  });

  it('facet size limits the values listed and sums the rest', async () => {
    const r = await both({ facets: ['riskTier'], facetSize: 1 });
    expect(r.facets.riskTier).toEqual({ values: [{ value: 'critical', count: 40 }], others: 80 });
    expect(Object.keys(r.facets)).toEqual(['riskTier']);
  });

  it('histograms the matching decisions per day', async () => {
    const r = await both({ histogram: 'day', facets: [] });
    expect(r.histogram!.counts).toEqual([
      { at: '2026-06-01T00:00:00.000Z', count: 48 },
      { at: '2026-06-02T00:00:00.000Z', count: 48 },
      { at: '2026-06-03T00:00:00.000Z', count: 24 },
    ]);
  });

  it('binds user values: quotes and SQL in a filter only fail to match', async () => {
    for (const hostile of ["x' OR '1'='1", "'; DROP TABLE decisions; --", '$f_text', '\\']) {
      expect((await both({ decisionId: hostile })).total).toBe(0);
      expect((await both({ text: hostile })).total).toBe(0);
      expect((await both({ modelId: [hostile] })).total).toBe(0);
    }
    expect((await search(tc.ctx, {})).total).toBe(120);
  });

  it('refuses bad paging, sorting, facets and times with a sentence', async () => {
    await expect(search(tc.ctx, { limit: 0 })).rejects.toThrow(/limit must be a whole number from 1 to 1000/);
    await expect(search(tc.ctx, { limit: 1001 })).rejects.toThrow(/limit/);
    await expect(search(tc.ctx, { sort: 'size' as never })).rejects.toThrow(/sort must be one of/);
    await expect(search(tc.ctx, { facets: ['colour' as never] })).rejects.toThrow(/unknown facet "colour"/);
    await expect(search(tc.ctx, { from: 'last tuesday' })).rejects.toThrow(/from: "last tuesday" is not a date/);
    await expect(search(tc.ctx, { modelId: [] })).rejects.toThrow(/modelId: give at least one value/);
  });
});
