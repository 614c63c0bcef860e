// Timelines: the Python logger format (snake_case, epoch-seconds timestamps) imported into a case; and
// the integrity each record carries once the case has a real verification run: the spec's example
// archive (intact, every record anchored by a checkpoint) and a demo archive with one record tampered.
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import yazl from 'yazl';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochToIso } from '../../src/archive/kinds.ts';
import { DEFAULT_VERIFY_OPTIONS, verifyCase } from '../../src/contract/case-verification.ts';
import { runAnomaly, anomalyFilter } from '../../src/query/anomalies/index.ts';
import { search } from '../../src/query/search.ts';
import { timeline } from '../../src/query/timeline.ts';
import { caseOf, demoCase, tempDir } from './query-fixtures.ts';
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
      'decision 43401f27bde71370fd1f5a2d names explanation shap-0: no explanations/shap-0.json was imported',
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

describe('explanation artefacts read back from the imported archive', () => {
  const decision = {
    decisionId: 'x-1',
    timestamp: '2026-03-01T10:00:00Z',
    modelId: 'm',
    modelVersion: '1',
    prediction: 'block',
    explanationRef: 'exp-x-1',
  };
  const artefact = {
    explanationRef: 'exp-x-1',
    method: 'tree-shap',
    attributions: [
      { feature: 'amount', contribution: 0.31 },
      { feature: 'country', contribution: -0.05 },
    ],
  };
  const files: Record<string, string> = {
    'decisions.jsonl': `${JSON.stringify(decision)}\n`,
    'explanations/exp-x-1.json': JSON.stringify(artefact),
  };

  async function packed(kind: 'folder' | 'zip' | 'tar.gz'): Promise<{ root: string; archive: string }> {
    const root = tempDir();
    const folder = path.join(root, 'export');
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
      writeFileSync(path.join(folder, name), text);
    }
    if (kind === 'folder') return { root, archive: folder };
    if (kind === 'zip') {
      const zip = new yazl.ZipFile();
      for (const [name, text] of Object.entries(files)) zip.addBuffer(Buffer.from(text), `export/${name}`);
      zip.end();
      const archive = path.join(root, 'export.zip');
      await pipeline(zip.outputStream, createWriteStream(archive));
      return { root, archive };
    }
    const pack = tar.pack();
    for (const [name, text] of Object.entries(files)) pack.entry({ name: `export/${name}` }, text);
    pack.finalize();
    const archive = path.join(root, 'export.tar.gz');
    await pipeline(pack, createGzip(), createWriteStream(archive));
    return { root, archive };
  }

  it.each(['folder', 'zip', 'tar.gz'] as const)('from a %s', async (kind) => {
    const { root, archive } = await packed(kind);
    const tc = await caseOf([archive], { root });
    try {
      const t = await timeline(tc.ctx, { decisionId: 'x-1' });
      const ex = t.events.find((e) => e.kind === 'explanation')!;
      expect(ex.details).toMatchObject({ explanationRef: 'exp-x-1', path: 'explanations/exp-x-1.json', artefact });
      expect(ex.summary).toBe('explanation exp-x-1: top attributions amount 0.31, country -0.05');
      expect(t.notices).toEqual([]);
      expect(ex.integrity.status).toBe('not-verified');
      if (kind === 'folder') {
        // The case keeps the artefact as imported (src/import/explanations.ts): a change to the archive
        // afterwards does not change what the timeline shows (verification's custody check reports it).
        const file = path.join(archive, 'explanations/exp-x-1.json');
        writeFileSync(file, readFileSync(file, 'utf8').replace('0.31', '0.99'));
        const again = await timeline(tc.ctx, { decisionId: 'x-1' });
        const kept = again.events.find((e) => e.kind === 'explanation')!;
        expect(kept.details).toMatchObject({ artefact });
        expect(kept.integrity.status).toBe('not-verified');
      }
    } finally {
      await tc.close();
    }
  });
});
