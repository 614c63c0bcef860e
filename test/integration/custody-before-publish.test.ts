// Every output the workstation writes (a CSV export, a report, an evidence package; from the CLI and through the
// contract) is named in the custody log before it appears: when the custody entry cannot be written, the output
// is not moved into place at all, and no temporary file stays behind. Before this, a CSV export or a report was
// moved into place first and logged after, so a failure (or a kill) in between left an output the log did not
// name. The custody write is made to fail with a real SQLite trigger on the case's custody_log.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../src/contract/dispatcher.ts';
import type { Dispatcher } from '../../src/contract/dispatcher.ts';
import type { JobSnapshot } from '../../src/contract/jobs.ts';
import { closeSessions } from '../../src/contract/session.ts';
import { cli, importedCase, removeTempDirs, tempDir } from './faults-helpers.ts';

const CASE = 'Publish';
const EXAMPLE = path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures/spec/example');
const OUTPUTS = ['export.csv', 'report.written', 'package.exported'];
let ws: string;
let caseSqlite: string;
let out: string;

function custodyFails(on: boolean): void {
  const db = new Database(caseSqlite);
  try {
    db.exec('DROP TRIGGER IF EXISTS test_custody_fails');
    if (on) {
      db.exec(`CREATE TRIGGER test_custody_fails BEFORE INSERT ON custody_log
        WHEN NEW.action IN (${OUTPUTS.map((a) => `'${a}'`).join(', ')})
        BEGIN SELECT RAISE(ABORT, 'custody log not writable (test)'); END`);
    }
  } finally {
    db.close();
  }
}

function outputEntries(): { action: string; details: Record<string, unknown> }[] {
  const db = new Database(caseSqlite, { readonly: true });
  try {
    return (
      db
        .prepare(`SELECT action, details FROM custody_log WHERE action IN (${OUTPUTS.map(() => '?').join(', ')})`)
        .all(...OUTPUTS) as { action: string; details: string }[]
    ).map((r) => ({ action: r.action, details: JSON.parse(r.details) as Record<string, unknown> }));
  } finally {
    db.close();
  }
}

/** Every file under `dir`, hidden ones (temporary files, staging folders) included. */
function everything(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

beforeAll(async () => {
  ws = tempDir('audit-ws-publish-');
  out = tempDir('audit-ws-publish-out-');
  caseSqlite = path.join(await importedCase(ws, CASE, [EXAMPLE]), 'case.sqlite');
}, 60_000);

afterAll(async () => {
  await closeSessions();
  removeTempDirs();
});

describe('outputs are logged before they appear', () => {
  it('the CLI writes no CSV export, report or package the custody log could not name', async () => {
    custodyFails(true);
    fs.mkdirSync(path.join(out, 'cli'));
    const args = (...a: string[]) => [...a, '--case', CASE, '--workspace', ws];
    const csv = await cli(args('export', 'records', '--out', path.join(out, 'cli', 'records.csv')));
    const report = await cli(args('report', '--out', path.join(out, 'cli', 'report'), '--format', 'html,json,csv'));
    const pkg = await cli(args('package', '--select', 'true', '--no-report', '--out', path.join(out, 'cli', 'p.zip')));
    for (const r of [csv, report, pkg]) {
      expect(r.status, r.stderr).not.toBe(0);
      expect(r.stderr).toContain('custody log not writable (test)');
    }
    // The report folder may stay (it was made for the report); nothing is in it.
    expect(everything(path.join(out, 'cli')).filter((f) => f !== 'report')).toEqual([]);
    expect(everything(path.join(out, 'cli', 'report'))).toEqual([]);
    expect(outputEntries()).toEqual([]);
  });

  it('nor does the app (the contract), for a CSV export, a report and a package', async () => {
    const dispatcher: Dispatcher = createDispatcher({ mode: 'browser', workspace: ws });
    const call = async (method: string, params: unknown): Promise<JobSnapshot> => {
      const r = await dispatcher.handle(method, params);
      if (!r.ok) throw new Error(`${method}: ${r.message}`);
      let j = r.result as JobSnapshot;
      while (j.state === 'running') {
        const next = await dispatcher.handle('jobs.get', { id: j.id, afterVersion: j.version, waitMs: 5000 });
        if (!next.ok) throw new Error(next.message);
        j = next.result as JobSnapshot;
      }
      return j;
    };
    const slug = path.basename(path.dirname(caseSqlite));
    const dir = path.join(out, 'app');
    fs.mkdirSync(dir);
    const jobs = [
      await call('export.csv', { case: slug, exporter: 'search', out: path.join(dir, 'search.csv') }),
      await call('report.start', { case: slug, outDir: path.join(dir, 'report'), formats: ['html', 'json'] }),
      await call('package.start', { case: slug, out: path.join(dir, 'p.zip'), select: 'true', formats: [] }),
    ];
    for (const j of jobs) {
      expect(j.state, JSON.stringify(j)).toBe('failed');
      expect(JSON.stringify(j)).toContain('custody log not writable (test)');
    }
    expect(everything(dir).filter((f) => f !== 'report')).toEqual([]);
    expect(everything(path.join(dir, 'report'))).toEqual([]);
    expect(outputEntries()).toEqual([]);
    await closeSessions();
  });

  it('with the custody log writable, each output has exactly one entry naming its SHA-256', async () => {
    custodyFails(false);
    // The CSV export's folder does not exist yet: it is made (as the report's is), not an "unexpected error".
    const dir = path.join(out, 'ok');
    const args = (...a: string[]) => [...a, '--case', CASE, '--workspace', ws];
    const csvFile = path.join(dir, 'records.csv');
    expect((await cli(args('export', 'records', '--out', csvFile))).status).toBe(0);
    expect((await cli(args('report', '--out', path.join(dir, 'report'), '--format', 'html,json'))).status).toBe(0);
    const zip = path.join(dir, 'p.zip');
    expect((await cli(args('package', '--select', 'true', '--no-report', '--out', zip))).status).toBe(0);
    const entries = outputEntries();
    expect(entries.map((e) => e.action)).toEqual(OUTPUTS);
    expect(entries[0].details).toMatchObject({ query: 'records', file: csvFile, sha256: sha256(csvFile) });
    const reportFiles = entries[1].details.files as { path: string; sha256: string }[];
    expect(reportFiles.map((f) => f.path)).toEqual(['findings.json', 'report.html']);
    for (const f of reportFiles) expect(f.sha256).toBe(sha256(path.join(dir, 'report', f.path)));
    expect(entries[2].details).toMatchObject({ file: zip, sha256: sha256(zip) });
    expect(everything(dir).filter((f) => f.split('/').some((p) => p.startsWith('.')))).toEqual([]);
  }, 120_000);
});
