// The investigator's requests end to end through the real dispatcher (what both transports call): cases,
// import as a job with progress and cancel, verification runs saved and read back, records by every locator,
// annotations and saved views with their custody entries, and refusals in words. Real DuckDB and SQLite in a
// temp workspace; the generator's summary is the independent truth.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher, type Dispatcher } from '../../src/contract/dispatcher.ts';
import { closeSessions } from '../../src/contract/session.ts';
import type { ContractResponse, JobSnapshot, Method, ParamsOf, ResultOf } from '../../src/contract/types.ts';
import { ensureDemoArchive } from '../../src/contract/workspace.ts';
import { generateDemoArchive, type DemoSummary } from '../../src/demo/generator.ts';
import { REPORT_FORMATS } from '../../src/report/write.ts';

let tmp: string;
let workspace: string;
let dispatcher: Dispatcher;
let demo: DemoSummary;
let tampered: DemoSummary;

async function call<M extends Method>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
  const response = (await dispatcher.handle(method, params)) as ContractResponse<M>;
  if (!response.ok) throw new Error(`${method} refused: ${response.code} ${response.message}`);
  return response.result;
}

async function refusal(method: string, params: unknown) {
  const response = await dispatcher.handle(method, params);
  if (response.ok) throw new Error(`${method} was expected to be refused`);
  return response;
}

/** Follows a job the way the UI does: long polls until it ends. */
async function finish(job: JobSnapshot): Promise<JobSnapshot> {
  let j = job;
  const seen: number[] = [j.version];
  while (j.state === 'running') {
    j = await call('jobs.get', { id: j.id, afterVersion: j.version, waitMs: 5000 });
    seen.push(j.version);
  }
  expect(seen).toEqual([...seen].sort((a, b) => a - b));
  return j;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-workstation-'));
  workspace = path.join(tmp, 'workspace');
  const [d, t] = await Promise.all([
    ensureDemoArchive(workspace, { decisions: 120, days: 2, seed: 3 }),
    generateDemoArchive({ out: path.join(tmp, 'tampered'), decisions: 100, days: 2, seed: 4, tamper: 'modified' }),
  ]);
  demo = d.summary as DemoSummary;
  tampered = t;
  dispatcher = createDispatcher({ mode: 'browser', workspace });
});

afterAll(async () => {
  await closeSessions();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('cases, import and jobs', () => {
  it('creates the demo case on first start, imports it as a job and verifies it', async () => {
    const state = await call('demo.ensureCase', {});
    expect(state).toMatchObject({ case: 'demo-case', created: true });
    const job = await finish(state.job as JobSnapshot);
    expect(job.state).toBe('done');
    const expected = demo.streams.reduce((a, s) => a + s.records, 0);
    expect((job.result as { counts: { records: number } }).counts.records).toBe(expected);
    expect(job.progress?.fraction).toBe(1);
    // A second start finds the case and starts nothing new.
    expect(await call('demo.ensureCase', {})).toMatchObject({ case: 'demo-case', created: false });
    const list = await call('cases.list', {});
    expect(list.cases.map((c) => c.slug)).toEqual(['demo-case']);
    expect(list.cases[0]).toMatchObject({ totals: { records: expected } });
    expect(list.cases[0].inUseBy).toBeUndefined();
    // The automatic verification that follows the demo import.
    let view = await call('verify.latest', { case: 'demo-case' });
    for (let i = 0; i < 100 && !view; i++) {
      await new Promise((r) => setTimeout(r, 100));
      view = await call('verify.latest', { case: 'demo-case' });
    }
    expect(view?.run.verdict).toBe('intact');
    // The demo TSA's root (the archive's copy, matched against the one the application knows) is trusted, the
    // signing key is not: every time-stamp passes, every signature is self-asserted.
    const checkpoints = demo.streams.reduce((n, s) => n + s.checkpoints, 0);
    expect(view!.run.options.trustTsa).toHaveLength(1);
    expect(view!.run.options.trustKeys).toEqual([]);
    expect(view!.checks.find((c) => c.id === 'checkpoint-timestamp')).toMatchObject({
      pass: checkpoints,
      fail: 0,
      warn: 0,
      unverifiable: 0,
    });
    expect(view!.checks.find((c) => c.id === 'checkpoint-signature')).toMatchObject({ pass: 0, warn: checkpoints });
    expect(view!.checkpoints.every((p) => p.timestamped && p.signed)).toBe(true);
    // each mark carries the genTime its token states: the demo TSA stamps a checkpoint when it is written
    for (const p of view!.checkpoints) {
      expect(p.genTime).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(Math.abs(Date.parse(p.genTime!) - Date.parse(p.createdAt!))).toBeLessThan(86_400_000);
    }
  });

  it('gives an overview of a case from its evidence', async () => {
    const overview = await call('cases.get', { case: 'Demo case' });
    for (const s of demo.streams) {
      expect(overview.streams.find((x) => x.stream === s.name)?.records).toBe(s.records);
    }
    expect(overview.period?.from.startsWith(demo.baseDate.slice(0, 10))).toBe(true);
    expect(overview.imports).toHaveLength(1);
  });

  it('refuses a second case of the same name, in words', async () => {
    const r = await refusal('cases.create', { name: 'demo case' });
    expect(r.code).toBe('BAD_USAGE');
    expect(r.message).toContain('already exists');
  });

  it('imports a tampered archive, refusing other requests on the case meanwhile, and cancels a second import', async () => {
    const created = await call('cases.create', { name: 'Tampered', description: 'modified record' });
    expect(created.slug).toBe('tampered');
    const preview = await call('import.preview', { paths: [tampered.out, path.join(tmp, 'missing')] });
    expect(preview.items[0].error).toBeUndefined();
    expect(preview.items[1].error?.code).toBe('NOT_FOUND');

    const job = await call('import.start', { case: 'tampered', paths: [tampered.out] });
    expect(job.kind).toBe('import');
    // While it runs, evidence requests on the case are refused with a sentence (not queued behind it).
    await new Promise((r) => setTimeout(r, 20));
    const during = await refusal('query.search', { case: 'tampered' });
    expect(during.code).toBe('CASE_LOCKED');
    expect(during.message).toContain('importing');
    const end = await finish(job);
    expect(end.state).toBe('done');

    // A cancelled import leaves the case as it was.
    const again = await call('import.start', { case: 'tampered', paths: [tampered.out], force: true });
    await call('jobs.cancel', { id: again.id });
    const cancelled = await finish(again);
    expect(cancelled.state).toBe('cancelled');
    const overview = await call('cases.get', { case: 'tampered' });
    expect(overview.kinds.find((k) => k.kind === 'decision')?.records).toBe(100);
  });

  it('lists rejected lines with file and line, paged', async () => {
    const file = path.join(tmp, 'bad.jsonl');
    writeFileSync(
      file,
      '{"decisionId":"x1","timestamp":"2026-03-05T00:00:00Z","modelId":"m","prediction":"a"}\n{oops\n',
    );
    const job = await finish(await call('import.start', { case: 'tampered', paths: [file] }));
    const importId = (job.result as { importId: number }).importId;
    const page = await call('import.rejects', { case: 'tampered', importId, limit: 10 });
    expect(page.total).toBe(1);
    expect(page.rows[0]).toMatchObject({ file: 'bad.jsonl', line: 2, disposition: 'rejected' });
  });
});

describe('verification, records, annotations, views', () => {
  it('verifies the tampered case and points the finding at the changed record', async () => {
    const options = await call('verify.options', { case: 'tampered' });
    expect(options.retentionPolicies.map((p) => p.name)).toContain('hipaa');
    const key = options.offeredKeys.find((k) => k.kind === 'public-key');
    expect(key?.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const job = await finish(await call('verify.start', { case: 'tampered', trustKeys: [key!.sourceFileId] }));
    expect(job.state).toBe('done');
    const view = await call('verify.latest', { case: 'tampered' });
    expect(view?.run.verdict).toBe('tampered');
    expect(view?.run.options.trustKeys).toEqual([key!.sourceFileId]);
    expect(view?.streams.find((s) => s.name === 'decisions')?.verdict).toBe('tampered');
    expect(view?.checkpoints.length).toBeGreaterThan(0);
    // The pinned key makes the signatures trusted: no self-asserted warning remains on the checkpoints.
    expect(view?.checkpoints.every((c) => !c.findings.some((f) => /self-asserted/.test(f)))).toBe(true);

    const fails = await call('verify.findings', { case: 'tampered', status: 'fail' });
    const hashFinding = fails.rows.find((f) => f.check === 'record-hash');
    expect(hashFinding).toMatchObject({
      stream: tampered.tamper?.stream,
      seq: tampered.tamper?.seq,
      file: tampered.tamper?.file,
      line: tampered.tamper?.line,
    });

    const byPlace = await call('records.get', { case: 'tampered', file: hashFinding!.file!, line: hashFinding!.line! });
    expect(byPlace.matches).toHaveLength(1);
    const rec = byPlace.matches[0];
    expect(rec).toMatchObject({ kind: 'decision', stream: tampered.tamper?.stream, seq: tampered.tamper?.seq });
    expect(rec.findings.map((f) => f.check)).toContain('record-hash');
    // The changed member holds the tampered value, exactly as written in the archive.
    expect(rec.raw).toContain(JSON.stringify(tampered.tamper?.to).slice(0, 10));
    const byTarget = await call('records.get', { case: 'tampered', target: rec.target });
    expect(byTarget.matches[0].seq).toBe(rec.seq);
    const bySeq = await call('records.get', { case: 'tampered', stream: rec.stream!, seq: rec.seq! });
    expect(bySeq.matches[0].target).toBe(rec.target);
  });

  it('keeps annotations in case.sqlite with a custody entry for every change', async () => {
    const a = await call('annotations.add', {
      case: 'demo-case',
      target: 'decision:d-00000001',
      text: ' Check this ',
      tags: ['Follow Up', 'follow up'],
      starred: true,
    });
    expect(a).toMatchObject({ text: 'Check this', tags: ['follow-up'], starred: true });
    const changed = await call('annotations.update', { case: 'demo-case', id: a.id, starred: false, text: 'Checked' });
    expect(changed).toMatchObject({ starred: false, text: 'Checked', tags: ['follow-up'] });
    const rec = await call('records.get', { case: 'demo-case', target: 'decision:d-00000001' });
    expect(rec.matches[0].annotations.map((x) => x.id)).toEqual([a.id]);
    await call('annotations.delete', { case: 'demo-case', id: a.id });
    expect(await call('annotations.list', { case: 'demo-case' })).toEqual([]);
    const empty = await refusal('annotations.add', { case: 'demo-case', target: 'decision:d-00000001' });
    expect(empty.message).toContain('needs a comment, a tag or a star');

    const db = new Database(path.join(workspace, 'cases', 'demo-case', 'case.sqlite'), { readonly: true });
    try {
      const actions = (
        db.prepare("SELECT action FROM custody_log WHERE action LIKE 'annotation.%' ORDER BY seq").all() as {
          action: string;
        }[]
      ).map((r) => r.action);
      expect(actions).toEqual(['annotation.added', 'annotation.changed', 'annotation.deleted']);
    } finally {
      db.close();
    }
  });

  it('saves explorer views by name, replacing a view saved again under the same name', async () => {
    await call('views.save', {
      case: 'demo-case',
      name: 'Overrides',
      definition: { lists: {}, flags: { humanOverride: true } },
    });
    const again = await call('views.save', {
      case: 'demo-case',
      name: 'Overrides',
      definition: { lists: {}, flags: { humanOverride: false } },
    });
    const views = await call('views.list', { case: 'demo-case' });
    expect(views).toHaveLength(1);
    expect(views[0].definition).toEqual({ lists: {}, flags: { humanOverride: false } });
    await call('views.delete', { case: 'demo-case', id: again.id });
    expect(await call('views.list', { case: 'demo-case' })).toEqual([]);
  });

  it('pages the explorer search, and drills down from an anomaly filter to the same decisions', async () => {
    const all = await call('query.search', { case: 'demo-case', limit: 50, offset: 0, facets: [] });
    expect(all.total).toBe(120);
    const second = await call('query.search', { case: 'demo-case', limit: 50, offset: 50, facets: [] });
    const ids = new Set([...all.items, ...second.items].map((i) => i.decisionId));
    expect(ids.size).toBe(100);
    const anomalies = await call('query.anomalies', { case: 'demo-case', only: ['high-latency'], limit: 5 });
    const hits = anomalies.results[0].total;
    const drilled = await call('query.search', { case: 'demo-case', anomaly: 'high-latency', limit: 1, facets: [] });
    expect(drilled.total).toBe(hits);
  });

  it('writes an evidence package of chosen decisions as a job, and checks it back', async () => {
    const options = await call('report.options', { case: 'demo-case' });
    expect(options.formats).toEqual([...REPORT_FORMATS]);
    const out = path.join(tmp, 'three.zip');
    const written = await finish(
      await call('package.start', {
        case: 'demo-case',
        decisionIds: ['d-00000001', 'd-00000002', 'd-00000003'],
        formats: [],
        out,
      }),
    );
    expect(written.state).toBe('done');
    expect((written.result as { file: string }).file).toBe(out);
    const checked = await finish(await call('package.verify', { path: out }));
    expect(checked.state).toBe('done');
    expect((checked.result as { records: number; provenRecords: number }).provenRecords).toBeGreaterThanOrEqual(3);
    const again = await refusal('package.start', { case: 'demo-case', decisionIds: ['d-00000001'], out });
    expect(again.message).toContain('already exists');
  });

  it('refuses malformed requests naming the member, never a stack trace', async () => {
    const cases = [
      ['import.start', { case: 'tampered', paths: ['relative/path'] }, 'not an absolute path'],
      ['records.get', { case: 'tampered' }, 'name the record'],
      ['verify.findings', { case: 'tampered', status: 'bogus' }, '"status" must be one of'],
      ['jobs.get', { id: 'nope' }, 'no job "nope"'],
      ['cases.get', { case: 'no-such-case' }, 'no case "no-such-case"'],
      ['query.search', { case: 'tampered', facets: 3 }, '"facets" must be a list of strings'],
      ['annotations.add', { case: 'tampered', target: 'x', starred: 'yes' }, '"starred" must be true or false'],
    ] as const;
    for (const [method, params, words] of cases) {
      const r = await refusal(method, params);
      expect(r.message).toContain(words);
      expect(r.message).not.toMatch(/\n\s+at /);
    }
  });

  it('deletes a case, refusing while a task of the case runs', async () => {
    const busy = await call('verify.start', { case: 'tampered' });
    const refused = await refusal('cases.delete', { case: 'tampered' });
    expect(refused.code).toBe('CASE_LOCKED');
    expect(refused.message).toContain('cancel it or let it finish');
    await finish(busy);
    await call('cases.create', { name: 'Scratch' });
    const deleted = await call('cases.delete', { case: 'scratch' });
    expect(deleted.name).toBe('Scratch');
    expect((await call('cases.list', {})).cases.map((c) => c.slug)).not.toContain('scratch');
  });
});
