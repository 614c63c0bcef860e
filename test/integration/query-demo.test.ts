// Done-when of the investigation engine: against the demo archive (docs/demo-archive.md), every planted
// finding is surfaced by the matching anomaly filter or fairness aggregate at the default thresholds,
// and nothing else is flagged. The archive is generated, imported by the real importer, and queried
// with and without the lookup tables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoSummary, PlantedFinding } from '../../src/demo/generator.ts';
import { ANOMALY_FILTERS, anomalyFilter, runAnomalies, runAnomaly } from '../../src/query/anomalies/index.ts';
import type { AnomalyResult } from '../../src/query/anomalies/index.ts';
import { queryContext } from '../../src/query/context.ts';
import { fairness } from '../../src/query/fairness.ts';
import type { FairnessResult, FairnessSlice } from '../../src/query/fairness.ts';
import { oversight } from '../../src/query/oversight.ts';
import { search } from '../../src/query/search.ts';
import { timeline } from '../../src/query/timeline.ts';
import { demoCase } from './query-fixtures.ts';
import type { TestCase } from './query-fixtures.ts';

let demo: TestCase & { summary: DemoSummary };
let results: Map<string, AnomalyResult>;

function planted(id: PlantedFinding['id']): PlantedFinding {
  const f = demo.summary.plantedFindings.find((p) => p.id === id);
  if (!f) throw new Error(`demo summary has no planted finding ${id}`);
  return f;
}

function hitIds(r: AnomalyResult, key: 'decisionId' | 'eventId'): string[] {
  return r.items.map((i) => String(i.item[key])).sort();
}

const DISPARITY = ['fails-four-fifths', 'outside-0.8-1.25'];
function disparities(slice: FairnessSlice): string[] {
  return slice.groups.filter((g) => g.flags.some((f) => DISPARITY.includes(f))).map((g) => g.group);
}

beforeAll(async () => {
  demo = await demoCase();
  results = new Map((await runAnomalies(demo.ctx, { page: { limit: 1000 } })).map((r) => [r.id, r]));
}, 180_000);

afterAll(async () => {
  await demo?.close();
});

describe('anomaly filters on the demo archive at their defaults', () => {
  it('runs every registered filter', () => {
    expect([...results.keys()]).toEqual(ANOMALY_FILTERS.map((f) => f.id));
  });

  it('high-latency finds exactly the latency incident', () => {
    const f = planted('latency-incident');
    const r = results.get('high-latency')!;
    expect(r.total).toBe(f.decisions);
    expect(hitIds(r, 'decisionId')).toEqual([...(f.decisionIds as string[])].sort());
    expect(r.summary).toEqual([{ modelId: 'fraud-detector', modelVersion: '5.3.1', hits: f.decisions }]);
  });

  it('review-not-done finds exactly the skipped reviews', () => {
    const f = planted('skipped-human-review');
    const r = results.get('review-not-done')!;
    expect(r.total).toBe(f.decisions);
    expect(hitIds(r, 'decisionId')).toEqual([...(f.decisionIds as string[])].sort());
  });

  it('short-reviews finds exactly the rubber stamps', () => {
    const f = planted('rubber-stamp-reviews');
    const r = results.get('short-reviews')!;
    const reviews = f.reviews as { eventId: string }[];
    expect(r.total).toBe(reviews.length);
    expect(hitIds(r, 'eventId')).toEqual(reviews.map((x) => x.eventId).sort());
    expect(r.summary).toEqual([{ reviewerId: f.reviewerId, hits: reviews.length }]);
  });

  it('version-outside-window finds exactly the decisions after retirement', () => {
    const f = planted('decisions-after-retirement');
    const r = results.get('version-outside-window')!;
    expect(r.total).toBe(f.decisions);
    expect(hitIds(r, 'decisionId')).toEqual([...(f.decisionIds as string[])].sort());
    expect(r.items.every((i) => i.item.versionState === 'after-retirement')).toBe(true);
  });

  it('flags nothing else', () => {
    for (const id of ['low-confidence', 'override-without-reason', 'failed-evaluation', 'volume']) {
      expect({ id, total: results.get(id)!.total }).toEqual({ id, total: 0 });
    }
  });

  it('gives each hit its row reference and integrity (no verification run: not-verified)', () => {
    const hit = results.get('high-latency')!.items[0];
    expect(hit.ref).toMatchObject({ table: 'decisions', stream: 'decisions' });
    expect(hit.ref!.sourceFile).toMatch(/^decisions\/2026-03-05\.jsonl$/);
    expect(hit.ref!.line).toBeGreaterThan(0);
    expect(hit.ref!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hit.integrity!.status).toBe('not-verified');
    expect(hit.integrity!.checkpoint).toMatchObject({ label: '2026-03-05' });
  });

  it('turns up the same hits without the lookup tables', async () => {
    const bare = { ...(await queryContext(demo.handle)), lookups: new Set<string>() };
    for (const id of ['high-latency', 'review-not-done', 'version-outside-window']) {
      const r = await runAnomaly(bare, anomalyFilter(id), {}, {}, { limit: 1000 });
      expect(hitIds(r, 'decisionId')).toEqual(hitIds(results.get(id)!, 'decisionId'));
    }
  });

  it('takes parameters: a lower confidence threshold, p99 latency', async () => {
    const low = await runAnomaly(demo.ctx, anomalyFilter('low-confidence'), { threshold: 0.6 });
    expect(low.total).toBeGreaterThan(0);
    expect(low.items.every((i) => Number(i.item.confidence) < 0.6)).toBe(true);
    const p99 = await runAnomaly(demo.ctx, anomalyFilter('high-latency'), { method: 'p99' });
    expect(p99.total).toBeGreaterThan(results.get('high-latency')!.total);
    await expect(runAnomaly(demo.ctx, anomalyFilter('high-latency'), { method: 'mean' })).rejects.toThrow(
      /robust-z, zscore, p99/,
    );
  });
});

describe('fairness on the demo archive', () => {
  let credit: FairnessResult;
  let whole: FairnessResult;
  const f = () => planted('selection-rate-disparity');

  beforeAll(async () => {
    credit = await fairness(demo.ctx, {
      attribute: 'inputFeatures.group',
      positivePrediction: 'approve',
      modelId: 'credit-limit-scorer',
      positiveOutcome: 'repaid',
    });
    whole = await fairness(demo.ctx, { attribute: 'inputFeatures.group', positivePrediction: 'approve' });
  }, 60_000);

  it('surfaces the planted disparity for 2.1.0 and group C, with the documented rates', () => {
    const v21 = credit.byModelVersion.find((v) => v.modelVersion === '2.1.0')!;
    expect(disparities(v21)).toEqual(['C']);
    const c = v21.groups.find((g) => g.group === 'C')!;
    const rates = f().selectionRateByGroup as Record<string, { decisions: number; approved: number }>;
    expect([c.n, c.selected]).toEqual([rates.C.decisions, rates.C.approved]);
    const best = Math.max(...v21.groups.map((g) => g.selectionRate ?? 0));
    expect(Math.abs(c.selectionRate! / best - (f().impactRatio as number))).toBeLessThan(1e-4);
  });

  it('flags nothing else: 2.0.0 and the versions pooled are fair, as are the other models', () => {
    expect(disparities(credit.byModelVersion.find((v) => v.modelVersion === '2.0.0')!)).toEqual([]);
    expect(disparities(credit)).toEqual([]);
    expect(disparities(whole)).toEqual([]);
    for (const v of whole.byModelVersion)
      expect({ v: v.modelVersion, d: disparities(v) }).toEqual({
        v: v.modelVersion,
        d: v.modelVersion === '2.1.0' ? ['C'] : [],
      });
    expect(credit.overrideByGroup.flatMap((g) => g.flags)).toEqual([]);
    expect(whole.overrideByGroup.flatMap((g) => g.flags)).toEqual([]);
  });

  it('by week, only weeks in which 2.1.0 served show the disparity, and only for C', () => {
    const deployed = Date.parse('2026-03-03T19:12:00Z');
    const rollback = Date.parse('2026-03-08T00:00:00Z');
    for (const w of credit.byWeek) {
      const start = Date.parse(w.week);
      const overlaps = start < rollback && start + 7 * 86_400_000 > deployed;
      const d = disparities(w);
      if (!overlaps) expect({ week: w.week, d }).toEqual({ week: w.week, d: [] });
      else expect(d.every((g) => g === 'C')).toBe(true);
    }
    expect(credit.byWeek.some((w) => disparities(w).length > 0)).toBe(true);
  });
});

describe('oversight, search and timelines on the demo archive', () => {
  it('oversight shows the rubber-stamping reviewer and the skipped reviews', async () => {
    const o = await oversight(demo.ctx);
    const rev05 = o.byReviewer.find((r) => r.reviewerId === 'rev-05')!;
    expect(rev05.shortReviews).toBe((planted('rubber-stamp-reviews').reviews as unknown[]).length);
    expect(o.byReviewer.filter((r) => r.reviewerId !== 'rev-05').every((r) => r.shortReviews === 0)).toBe(true);
    expect(o.overall.reviewRequired - o.overall.reviewed).toBe(planted('skipped-human-review').decisions);
    expect(o.escalationLoops.total).toBe(0);
    expect(o.overall.escalations).toBeGreaterThan(0);
    expect(o.byModelVersion.map((m) => `${m.modelId} ${m.modelVersion}`)).toEqual([
      'credit-limit-scorer 2.0.0',
      'credit-limit-scorer 2.1.0',
      'fraud-detector 5.3.1',
      'support-reply-llm 1.4.0',
    ]);
  });

  it('search by anomaly returns the flagged decisions, with facets over them', async () => {
    const r = await search(demo.ctx, { anomaly: 'version-outside-window' });
    expect(r.total).toBe(planted('decisions-after-retirement').decisions);
    expect(r.facets.modelVersion!.values).toEqual([{ value: '2.1.0', count: r.total }]);
    expect(r.facetSource).toBe('computed');
    await expect(search(demo.ctx, { anomaly: 'short-reviews' })).rejects.toThrow(/flags reviews/);
  });

  it('a decision after retirement shows its model state in the timeline', async () => {
    const id = (planted('decisions-after-retirement').decisionIds as string[])[0];
    const t = await timeline(demo.ctx, { decisionId: id });
    expect(t.modelState[0]).toMatchObject({
      modelVersion: '2.1.0',
      versionState: 'after-retirement',
      activeVersion: '2.0.0',
    });
    expect(t.modelState[0].lastEvaluation).toMatchObject({ passed: true });
    const types = t.events.filter((e) => e.kind === 'lifecycle').map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['deployed', 'rollback', 'retired', 'evaluation_completed']));
  });

  it('an escalated review task reads in order: created, assigned, escalated, reviewed, resolved; outcome last', async () => {
    const escalated = await search(demo.ctx, { eventType: 'escalated', limit: 1 });
    expect(escalated.total).toBeGreaterThan(0);
    const t = await timeline(demo.ctx, { decisionId: escalated.items[0].decisionId! });
    const reviewTypes = t.events.filter((e) => e.kind === 'review').map((e) => e.type);
    expect(reviewTypes).toEqual(['created', 'assigned', 'escalated', 'reviewed', 'resolved']);
    const escalation = t.events.find((e) => e.type === 'escalated')!;
    expect(escalation.summary).toMatch(/^escalated from rev-0\d to rev-lead-\d: .+/);
    const times = t.events.filter((e) => e.kind !== 'lifecycle').map((e) => Date.parse(e.at!));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(t.events.findIndex((e) => e.kind === 'decision')).toBeLessThan(
      t.events.findIndex((e) => e.kind === 'review'),
    );
    expect(t.nearby[0].affectedUserId).toBe(escalated.items[0].affectedUserId);
    // same timeline by task id
    const byTask = await timeline(demo.ctx, { taskId: t.decisions[0].record.taskId as string });
    expect(byTask.events.map((e) => e.summary)).toEqual(t.events.map((e) => e.summary));
  });

  it('a critical fraud block carries its explanation artefact with feature attributions', async () => {
    const blocked = await search(demo.ctx, { riskTier: 'critical', limit: 1 });
    const t = await timeline(demo.ctx, { decisionId: blocked.items[0].decisionId! });
    const ex = t.events.find((e) => e.kind === 'explanation')!;
    expect(ex.details.path).toBe(`explanations/exp-${blocked.items[0].decisionId}.json`);
    const artefact = ex.details.artefact as { attributions: { feature: string; contribution: number }[] };
    expect(artefact.attributions.length).toBeGreaterThan(0);
    expect(ex.summary).toContain('top attributions');
  });
});
