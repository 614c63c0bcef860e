// Timelines: the Python logger format (snake_case, epoch-seconds timestamps) imported into a case; and
// the integrity each record carries once the case has a real verification run: the spec's example
// archive (intact, every record anchored by a checkpoint) and a demo archive with one record tampered.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochToIso } from '../../src/archive/kinds.ts';
import { DEFAULT_VERIFY_OPTIONS, verifyCase } from '../../src/contract/case-verification.ts';
import { runAnomaly, anomalyFilter } from '../../src/query/anomalies/index.ts';
import { search } from '../../src/query/search.ts';
import { timeline } from '../../src/query/timeline.ts';
import { caseOf, demoCase } from './query-fixtures.ts';
import type { TestCase } from './query-fixtures.ts';

const fixtures = fileURLToPath(new URL('../fixtures/spec/', import.meta.url));
const LOGGER = path.join(fixtures, 'example-python-logger.jsonl');

describe('timeline of a decision logged by a Python audit logger', () => {
  let tc: TestCase;
  beforeAll(async () => {
    tc = await caseOf([LOGGER]);
  }, 60_000);
  afterAll(async () => tc?.close());

  it('converts the epoch timestamp and reads every snake_case member', async () => {
    const t = await timeline(tc.ctx, { decisionId: '43401f27bde71370fd1f5a2d' });
    expect(t.decisions).toHaveLength(1);
    const [event] = t.events;
    expect(t.events).toHaveLength(1);
    expect(event).toMatchObject({
      kind: 'decision',
      type: 'decision',
      decisionId: '43401f27bde71370fd1f5a2d',
      atText: '1795458349.4666188',
    });
    // DuckDB keeps microseconds: 1795458349.4666188 s is 18:25:49.466619 UTC on 2026-11-23
    expect(event.at).toBe('2026-11-23T18:25:49.466619Z');
    expect(Math.abs(Date.parse(event.at!) - Date.parse(epochToIso(1795458349.4666188)))).toBeLessThanOrEqual(1);
    expect(event.details).toMatchObject({
      traceId: 'ea7b5bf55eb561a4216363698b529b4a',
      modelId: 'fraud-detector',
      modelVersion: '5.3.1',
      inputHash: '9a37cb8628d368467f650ef4d37807120b309caa5d0da51854a3f9f0bf372270',
      prediction: 'approve',
      confidence: 0.238,
      riskTier: 'high',
      humanReviewRequired: true,
      latencyMs: 56.48,
      environment: 'production',
      explanationRef: 'shap-0',
    });
    expect(event.details.decision_id).toBeUndefined();
    expect(event.summary).toBe(
      'fraud-detector 5.3.1 predicted approve (confidence 0.238); human review required, not done',
    );
    expect(event.ref).toMatchObject({
      table: 'decisions',
      sourceFile: 'example-python-logger.jsonl',
      line: 1,
      seq: null,
      hash: null,
    });
    expect(event.integrity.status).toBe('not-verified');
    expect(t.modelState[0]).toMatchObject({ versionState: 'no-lifecycle', activeVersion: null, lastEvaluation: null });
    expect(t.nearby).toEqual([]);
    expect(t.notices).toEqual([
      'decision 43401f27bde71370fd1f5a2d names explanation shap-0, which the case does not hold',
    ]);
  });

  it('finds the decision by trace id, with and without the lookup tables', async () => {
    const t = await timeline(tc.ctx, { traceId: '268ecc45dc6bf1e1a399f82a65aa9c82' });
    expect(t.decisions.map((d) => d.decisionId)).toEqual(['83caa61005bc27107c73eced']);
    const bare = await timeline({ ...tc.ctx, lookups: new Set() }, { traceId: '268ecc45dc6bf1e1a399f82a65aa9c82' });
    expect(bare).toEqual(t);
  });

  it('refuses a missing id or more than one, naming what was asked', async () => {
    await expect(timeline(tc.ctx, { decisionId: 'no-such-decision' })).rejects.toThrow(
      'the case holds no decision with decision id "no-such-decision"',
    );
    await expect(timeline(tc.ctx, {})).rejects.toThrow(/exactly one/);
    await expect(timeline(tc.ctx, { decisionId: 'a', traceId: 'b' })).rejects.toThrow(/exactly one/);
  });
});

describe('integrity of timeline records after a verification run', () => {
  let example: TestCase;
  let tampered: TestCase & { summary: Awaited<ReturnType<typeof demoCase>>['summary'] };

  beforeAll(async () => {
    example = await caseOf([path.join(fixtures, 'example')]);
    await verifyCase(example.handle, DEFAULT_VERIFY_OPTIONS);
    await example.refresh();
    tampered = await demoCase({ decisions: 400, days: 2, tamper: 'modified' });
    await verifyCase(tampered.handle, DEFAULT_VERIFY_OPTIONS);
    await tampered.refresh();
  }, 120_000);
  afterAll(async () => {
    await example?.close();
    await tampered?.close();
  });

  it('an intact archive: every record passed, with the checkpoint that anchors it', async () => {
    const first = await search(example.ctx, { limit: 1, facets: [] });
    const t = await timeline(example.ctx, { decisionId: first.items[0].decisionId! });
    expect(t.integrity).toMatchObject({ status: 'passed', runId: 1 });
    for (const e of t.events.filter((x) => x.ref)) {
      expect(e.integrity.status).toBe('passed');
      expect(e.integrity.checkpoint).not.toBeNull();
      expect(e.ref!.seq).toBeGreaterThanOrEqual(e.integrity.checkpoint!.firstSeq);
      expect(e.ref!.seq).toBeLessThanOrEqual(e.integrity.checkpoint!.lastSeq);
    }
  });

  it('a tampered record is failed, naming the check; its neighbours passed', async () => {
    const loc = tampered.summary.tamper!;
    const hit = await search(tampered.ctx, { text: 'd-', sort: 'time', limit: 1000, facets: [] });
    const item = hit.items.find((i) => i.ref.seq === loc.seq)!;
    expect(item.ref).toMatchObject({ stream: 'decisions', line: loc.line, sourceFile: loc.file });
    expect(item.integrity.status).toBe('failed');
    expect(item.integrity.checks.map((c) => c.check)).toContain('record-hash');
    expect(hit.items.filter((i) => i.integrity.status === 'failed')).toHaveLength(1);
    const t = await timeline(tampered.ctx, { decisionId: item.decisionId! });
    expect(t.integrity.status).toBe('failed');
    expect(t.events.find((e) => e.kind === 'decision')!.integrity.status).toBe('failed');
    expect(hit.integrity.status).toBe('failed');
  });

  it('aggregates count the failed rows they rest on', async () => {
    const r = await runAnomaly(tampered.ctx, anomalyFilter('low-confidence'), { threshold: 1 });
    expect(r.integrity).toMatchObject({ status: 'failed', failed: 1, runId: 1 });
    expect(r.integrity.rows).toBe(r.total);
  });
});
