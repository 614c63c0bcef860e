// Two processes and one case: while one writes, a second writer and a reader are refused with a sentence
// naming the holder; after the holder is killed (kill -9), the stale lock is taken over, by exactly one of two
// processes racing for it, and the interrupted import is cleaned up.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCustody, verifyCustody } from '../../src/case/custody.ts';
import { openCaseSqliteReadOnly } from '../../src/case/store.ts';
import { Workspace } from '../../src/case/workspace.ts';
import { AuditWsError } from '../../src/errors.ts';
import { cli, importedCase, INVESTIGATOR, removeTempDirs, startCli, tempDir } from './faults-helpers.ts';
import type { RunningCli } from './faults-helpers.ts';

const CASE = 'Shared';
const EXAMPLE = path.join(path.dirname(new URL(import.meta.url).pathname), '../fixtures/spec/example');
let ws: string;
let caseDir: string;
let big: string;

function bigFile(dir: string, records: number): string {
  const file = path.join(dir, 'big.jsonl');
  const lines: string[] = [];
  for (let i = 0; i < records; i++) {
    lines.push(
      `{"decisionId":"lock-${i}","traceId":"t${i}","modelId":"m","modelVersion":"1","prediction":"approve","confidence":0.5,"timestamp":"2026-03-01T00:00:00Z","latencyMs":12.5,"contextData":{"note":"${'y'.repeat(200)}"},"seq":${i}}`,
    );
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

beforeAll(async () => {
  ws = tempDir('audit-ws-faults-lock-');
  caseDir = await importedCase(ws, CASE, [EXAMPLE]);
  big = bigFile(tempDir('audit-ws-faults-lock-big-'), 250_000);
}, 120_000);

afterAll(removeTempDirs);

/** Starts a long import and resolves once it holds the case (its first progress line). */
async function holder(): Promise<RunningCli> {
  const running = startCli(['import', big, '--case', CASE, '--workspace', ws, '--progress', 'json']);
  for await (const line of readline.createInterface({ input: running.child.stderr! })) {
    if (line.startsWith('{')) return running;
  }
  throw new Error(`the import never started: ${(await running.done).stderr}`);
}

/** Imports recorded as running in case.sqlite, read as another process would. */
function runningImports(): number {
  const db = openCaseSqliteReadOnly(caseDir, { check: false });
  try {
    return (db.prepare("SELECT count(*) AS n FROM imports WHERE status = 'running'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('two processes, one case', () => {
  it('refuses a second writer and a reader while one writes, naming the holder; recovers the lock after kill -9', async () => {
    const a = await holder();
    const pid = a.child.pid as number;
    const lock = JSON.parse(fs.readFileSync(path.join(caseDir, 'case.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(pid);

    const inUse = new RegExp(
      `^audit-ws: case "${path.basename(caseDir)}" is in use by process ${pid} \\(audit-ws import, since [0-9T:.Z-]+\\); try again when it has finished\\n$`,
    );
    const [writer, exporter, reader] = await Promise.all([
      cli(['import', EXAMPLE, '--force', '--case', CASE, '--workspace', ws, '--progress', 'none']),
      cli(['export', 'records', '--case', CASE, '--workspace', ws, '--out', path.join(tempDir(), 'x.csv')]),
      cli(['search', '--case', CASE, '--workspace', ws, '--limit', '1', '--no-facets']),
    ]);
    expect([writer.status, writer.stderr]).toMatchObject([2, expect.stringMatching(inUse)]);
    expect([exporter.status, exporter.stderr]).toMatchObject([2, expect.stringMatching(inUse)]);
    // A reader cannot open DuckDB while the writer has it: refused, naming the same holder.
    expect(reader.status).toBe(2);
    expect(reader.stderr).toMatch(new RegExp(`is being written by process ${pid} \\(audit-ws import`));
    // Deleting is refused too, in this process.
    let err: unknown;
    try {
      await new Workspace(ws).delete(CASE);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AuditWsError);
    expect((err as AuditWsError).code).toBe('CASE_LOCKED');
    expect(fs.existsSync(caseDir)).toBe(true);

    // kill -9 the holder once its import is on record (on a loaded machine the first progress line can come
    // before the row is written); two processes then race for its stale lock: exactly one takes it over.
    for (let waited = 0; runningImports() === 0 && waited < 60_000; waited += 100)
      await new Promise((r) => setTimeout(r, 100));
    expect(runningImports()).toBe(1);
    a.child.kill('SIGKILL');
    expect((await a.done).signal).toBe('SIGKILL');
    const racers = await Promise.all([
      cli(['import', big, '--force', '--case', CASE, '--workspace', ws, '--progress', 'none']),
      cli(['import', big, '--force', '--case', CASE, '--workspace', ws, '--progress', 'none']),
    ]);
    // Normally one runs while the other is refused; on a slow machine the second may start only after the
    // first finished. Either way exactly one of them took the stale lock over.
    const tookOver = racers.filter((r) =>
      r.stderr.includes(`note: took over the lock left by process ${pid} (audit-ws import, since`),
    );
    expect(tookOver, racers.map((r) => r.stderr).join('\n')).toHaveLength(1);
    expect(tookOver[0].status).not.toBe(2);
    expect(tookOver[0].stderr).toMatch(/note: import #2 \(started .*\) was interrupted/);
    const other = racers.find((r) => r !== tookOver[0]) as (typeof racers)[number];
    if (other.status === 2)
      expect(other.stderr).toMatch(
        /^audit-ws: case "[^"]+" (is in use by|is being written by) process \d+ \(audit-ws import/,
      );
    else expect(other.stderr).not.toContain('took over');
    expect(fs.existsSync(path.join(caseDir, 'case.lock'))).toBe(false);

    const db = openCaseSqliteReadOnly(caseDir);
    try {
      expect(db.prepare('SELECT id, status FROM imports ORDER BY id').all()).toEqual([
        { id: 1, status: 'done' },
        { id: 2, status: 'interrupted' },
        ...racers.filter((r) => r.status !== 2).map((_r, i) => ({ id: 3 + i, status: 'done' })),
      ]);
      expect(verifyCustody(readCustody(db))).toEqual([]);
    } finally {
      db.close();
    }
  }, 300_000);

  it('refuses a second writer in the same process', async () => {
    const w = new Workspace(ws);
    const first = await w.open(CASE, { mode: 'write', actor: INVESTIGATOR });
    try {
      await expect(w.open(CASE, { mode: 'write', actor: INVESTIGATOR })).rejects.toThrow(
        `case "${path.basename(caseDir)}" is already open for writing in this process`,
      );
    } finally {
      await first.close();
    }
  });
});
