// Long tasks of the Report & export screen cancelled through the contract, as the UI's Cancel button does: the job
// ends as cancelled ("nothing was changed") and, true to that, no file of it is left and the custody log has no
// entry for it. Real demo case, real DuckDB and SQLite.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher, type Dispatcher } from '../../src/contract/dispatcher.ts';
import type { JobSnapshot } from '../../src/contract/jobs.ts';
import { closeSessions } from '../../src/contract/session.ts';
import { ensureDemoArchive } from '../../src/contract/workspace.ts';

let tmp: string;
let dispatcher: Dispatcher;

async function call<T>(method: string, params: unknown): Promise<T> {
  const r = await dispatcher.handle(method, params);
  if (!r.ok) throw new Error(`${method}: ${r.message}`);
  return r.result as T;
}

async function settle(job: JobSnapshot): Promise<JobSnapshot> {
  let j = job;
  while (j.state === 'running')
    j = await call<JobSnapshot>('jobs.get', { id: j.id, afterVersion: j.version, waitMs: 5000 });
  return j;
}

/** Starts a job and cancels it once it reports its first progress, i.e. while it works. */
async function startAndCancel(method: string, params: unknown): Promise<JobSnapshot> {
  const started = await call<JobSnapshot>(method, params);
  const working = await call<JobSnapshot>('jobs.get', { id: started.id, afterVersion: started.version, waitMs: 5000 });
  expect(working.state).toBe('running');
  await call('jobs.cancel', { id: started.id });
  return settle(working);
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-cancel-'));
  const workspace = path.join(tmp, 'ws');
  await ensureDemoArchive(workspace, { decisions: 300, days: 2, seed: 12 });
  dispatcher = createDispatcher({ mode: 'browser', workspace });
  const demo = await call<{ job?: JobSnapshot }>('demo.ensureCase', {});
  if (demo.job) expect((await settle(demo.job)).state).toBe('done');
});

afterAll(async () => {
  await closeSessions();
  rmSync(tmp, { recursive: true, force: true });
});

describe('cancelling report and export tasks', () => {
  it('a cancelled report writes nothing into its folder and logs nothing', async () => {
    const outDir = path.join(tmp, 'report');
    const job = await startAndCancel('report.start', { case: 'demo-case', outDir, formats: ['html', 'json', 'csv'] });
    expect(job.state).toBe('cancelled');
    expect(existsSync(outDir) ? readdirSync(outDir) : []).toEqual([]);
    const custody = await call<{ entries?: { action: string }[] }>('cases.get', { case: 'demo-case' });
    expect(JSON.stringify(custody)).not.toContain('report.written');
  });

  it('a cancelled CSV export leaves neither the file nor its sidecar', async () => {
    const out = path.join(tmp, 'exports', 'decisions.csv');
    const job = await startAndCancel('export.csv', { case: 'demo-case', exporter: 'search', out });
    expect(job.state).toBe('cancelled');
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.json`)).toBe(false);
  });

  it('an export left alone is written (the cancelled ones above were not merely refused)', async () => {
    const out = path.join(tmp, 'exports', 'kept.csv');
    const job = await settle(await call<JobSnapshot>('export.csv', { case: 'demo-case', exporter: 'search', out }));
    expect(job.state).toBe('done');
    expect(existsSync(out)).toBe(true);
  });
});
