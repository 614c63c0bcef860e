// kill -9 in the middle of verification, CSV export, report and evidence package (import: import-atomic.test.ts
// and the phases below). Afterwards the case opens, holds exactly what it held before (imports, evidence,
// verification runs, findings, custody log), its custody log verifies through the CLI, the next run of the
// same command works, and no output file that looks complete was left behind.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../src/case/workspace.ts';
import { generateDemoArchive } from '../../src/demo/generator.ts';
import { verifyCase } from '../../src/verify/case-run.ts';
import {
  cli,
  completeLookingFiles,
  descendants,
  holdsOpen,
  importedCase,
  killWhen,
  reopenForWriting,
  runsChild,
  snapshotCase,
  startCli,
  tempDir,
  verifyCustodyCli,
  waitGone,
} from './faults-helpers.ts';
import type { KillOutcome } from './faults-helpers.ts';

const CASE = 'Killed';
// The moment to kill is read from /proc (open files, child processes).
const LINUX = process.platform === 'linux';
if (!LINUX) console.warn(`SKIPPED faults-kill: needs Linux /proc (this is ${process.platform})`);
let base: string;
let archive: string;
let ws: string;
let caseDir: string;
const scratch: string[] = [];

beforeAll(async () => {
  if (!LINUX) return;
  base = tempDir('audit-ws-faults-kill-');
  archive = path.join(base, 'archive');
  await generateDemoArchive({ out: archive, decisions: 6000, days: 3, seed: 7 });
  const template = path.join(base, 'template');
  await importedCase(template, CASE, [archive], async (h) => {
    await verifyCase(h, { workers: 0 });
    h.custody('note', { text: 'state before the faults' });
  });
}, 300_000);

afterAll(() => {
  for (const d of scratch.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

/** A fresh copy of the prepared workspace for one test. */
function freshWorkspace(): void {
  ws = fs.mkdtempSync(path.join(base, 'ws-'));
  fs.cpSync(path.join(base, 'template'), ws, { recursive: true });
  caseDir = new Workspace(ws).locate(CASE);
}

afterEach(() => {
  if (ws) fs.rmSync(ws, { recursive: true, force: true });
});

function expectKilled(outcome: KillOutcome, what: string): void {
  expect(
    outcome.killed,
    `${what}: the command ended (${outcome.result.status}) before it could be killed: ${outcome.result.stderr}`,
  ).toBe(true);
  expect(outcome.result.signal).toBe('SIGKILL');
}

/** The checks every fault ends with: custody verifies, the case opens for writing and holds what it held. */
async function expectCaseIntact(before: Awaited<ReturnType<typeof snapshotCase>>): Promise<string[]> {
  const custody = await verifyCustodyCli(ws, CASE);
  expect(custody.status, custody.stderr).toBe(0);
  expect(custody.stdout).toMatch(/Verified: all \d+ entries match/);
  const notices = await reopenForWriting(ws, CASE);
  expect(await snapshotCase(caseDir)).toEqual(before);
  return notices;
}

describe.skipIf(!LINUX)('kill -9', () => {
  it.each([
    ['while it opens the case (lock just taken)', () => holdsOpen(/evidence\.duckdb$/)],
    [
      'while it hashes and checks the archive',
      () => holdsOpen(new RegExp(`^${archive.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/.+\\.jsonl$`)),
    ],
  ])('during verify --case, %s: no run is saved, the earlier run and the log are intact', async (_when, cond) => {
    freshWorkspace();
    const before = await snapshotCase(caseDir);
    const outcome = await killWhen(startCli(['verify', '--case', CASE, '--workspace', ws, '--workers', '0']), cond());
    expectKilled(outcome, 'verify');
    const notices = await expectCaseIntact(before);
    expect(notices.some((n) => /took over the lock left by process \d+/.test(n))).toBe(true);
    // And the next verification works and is saved as run #2.
    const again = await cli(['verify', '--case', CASE, '--workspace', ws, '--workers', '0']);
    expect(again.stderr).toBe('');
    expect(again.stdout).toContain('Run #2 saved in the case. Compared with run #1');
  });

  it('during a CSV export (DuckDB writing the file): no CSV or sidecar appears, the case is intact', async () => {
    freshWorkspace();
    const before = await snapshotCase(caseDir);
    const out = path.join(ws, 'out');
    fs.mkdirSync(out);
    const csv = path.join(out, 'records.csv');
    const outcome = await killWhen(
      startCli(['export', 'records', '--case', CASE, '--workspace', ws, '--out', csv]),
      holdsOpen(/records\.csv\.\d+\.part(\.copy)?$/),
    );
    expectKilled(outcome, 'export');
    expect(completeLookingFiles(out)).toEqual([]);
    await expectCaseIntact(before);
    const again = await cli(['export', 'records', '--case', CASE, '--workspace', ws, '--out', csv]);
    expect(again.status, again.stderr).toBe(0);
    expect(completeLookingFiles(out)).toEqual(['records.csv', 'records.csv.json']);
    expect(JSON.parse(fs.readFileSync(`${csv}.json`, 'utf8'))).toMatchObject({ rows: 6000 });
  });

  it('during a report (Chromium printing the PDF): no report files appear, Chromium goes too, the case is intact', async () => {
    freshWorkspace();
    const before = await snapshotCase(caseDir);
    const out = path.join(ws, 'report');
    const running = startCli(['report', '--case', CASE, '--workspace', ws, '--out', out]);
    const chromium = runsChild(/chrom/i);
    let browsers: number[] = [];
    const outcome = await killWhen(running, (pid) => {
      const seen = chromium(pid);
      if (seen) browsers = descendants(pid);
      return seen;
    });
    expectKilled(outcome, 'report');
    // Chromium reads its end of the pipe to the killed process and quits; none may linger.
    const lingering = await waitGone(browsers);
    for (const p of lingering) process.kill(p, 'SIGKILL');
    expect(lingering).toEqual([]);
    expect(completeLookingFiles(out)).toEqual([]);
    await expectCaseIntact(before);
  });

  it('during an evidence package (its report being printed): no package appears, the case is intact', async () => {
    freshWorkspace();
    const before = await snapshotCase(caseDir);
    const out = path.join(ws, 'out');
    fs.mkdirSync(out);
    const running = startCli([
      'package',
      '--case',
      CASE,
      '--workspace',
      ws,
      '--decisions',
      'd-00000001,d-00000002,d-00000003',
      '--out',
      path.join(out, 'evidence.zip'),
    ]);
    const chromium = runsChild(/chrom/i);
    let browsers: number[] = [];
    const outcome = await killWhen(running, (pid) => {
      const seen = chromium(pid);
      if (seen) browsers = descendants(pid);
      return seen;
    });
    expectKilled(outcome, 'package');
    const lingering = await waitGone(browsers);
    for (const p of lingering) process.kill(p, 'SIGKILL');
    expect(lingering).toEqual([]);
    expect(completeLookingFiles(out)).toEqual([]);
    await expectCaseIntact(before);
    // The killed writer's scratch files inside the case are cleared when the case is next opened for writing.
    expect(fs.readdirSync(path.join(caseDir, 'tmp')).filter((n) => n.startsWith('package-report-'))).toEqual([]);
  });
});

describe.skipIf(!LINUX)('kill -9 during import, at each phase', () => {
  /** One JSONL decisions file big enough that each phase lasts long enough to be caught. */
  function bigFile(records: number): string {
    const dir = tempDir('audit-ws-faults-big-');
    scratch.push(dir);
    const file = path.join(dir, 'big.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < records; i++) {
      lines.push(
        `{"decisionId":"big-${i}","traceId":"t${i}","modelId":"m","modelVersion":"1","prediction":"approve","confidence":0.5,"timestamp":"2026-03-01T00:00:00Z","latencyMs":12.5,"contextData":{"note":"${'x'.repeat(200)}"},"seq":${i}}`,
      );
    }
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  it.each(['hashing', 'loading', 'checking'])(
    'killed while %s: the import is marked interrupted and the case holds the data from before',
    async (phase) => {
      freshWorkspace();
      const before = await snapshotCase(caseDir);
      const big = bigFile(60_000);
      const running = startCli(['import', big, '--case', CASE, '--workspace', ws, '--progress', 'json']);
      let killed = false;
      for await (const line of readline.createInterface({ input: running.child.stderr! })) {
        if (!line.startsWith('{')) continue;
        const p = JSON.parse(line) as { phase: string };
        if (p.phase === phase) {
          running.child.kill('SIGKILL');
          killed = true;
          break;
        }
      }
      const result = await running.done;
      expect(killed, `the import never reported phase ${phase}: ${result.stderr}`).toBe(true);
      expect(result.signal).toBe('SIGKILL');

      const custody = await verifyCustodyCli(ws, CASE);
      expect(custody.status, custody.stderr).toBe(0);
      const notices = await reopenForWriting(ws, CASE);
      expect(notices.some((n) => /import #2 .* was interrupted/.test(n))).toBe(true);
      const after = await snapshotCase(caseDir);
      // Everything as before, plus import #2 marked interrupted and the custody entry that says so.
      expect(after.evidence).toEqual(before.evidence);
      expect(after.verificationRuns).toEqual(before.verificationRuns);
      expect(after.imports).toEqual([...before.imports, expect.objectContaining({ id: 2, status: 'interrupted' })]);
      expect(after.custody.slice(0, before.custody.length)).toEqual(before.custody);
      expect(after.custody.slice(before.custody.length).map((e) => e.action)).toEqual(['import.interrupted']);
      expect(after.sourceFiles).toBe(before.sourceFiles);
    },
  );
});
