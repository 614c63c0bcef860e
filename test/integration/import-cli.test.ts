// `audit-ws case ...`, `audit-ws import` and `audit-ws sql` as a user runs them: output, exit codes
// (0 ok, 1 findings, 2 bad input) and what lands in the workspace. Commands run in this process through
// runCli with stdout / stderr captured; the lock refusal runs against a real second process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { progressLine } from '../../src/cli/commands/import.ts';
import { EXAMPLE, PYTHON_LOGGER, REPO, removeTempDirs, tempDir } from './import-helpers.ts';

afterEach(removeTempDirs);

async function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const status = await runCli(['node', 'audit-ws', ...args]);
    return { status, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('audit-ws case / import / sql', () => {
  it('creates, imports, lists, shows, queries, renames and deletes a case', async () => {
    const ws = tempDir('cli-ws-');
    const w = ['--workspace', ws, '--investigator', 'alice'];
    expect((await cli('case', 'create', 'Loan Review 7', '--description', 'Q1 loans', ...w)).status).toBe(0);
    expect(fs.existsSync(path.join(ws, 'cases', 'loan-review-7', 'case.sqlite'))).toBe(true);
    expect(fs.existsSync(path.join(ws, 'cases', 'loan-review-7', 'evidence.duckdb'))).toBe(true);
    const dup = await cli('case', 'create', 'loan review 7', ...w);
    expect(dup.status).toBe(2);
    expect(dup.stderr).toMatch(/a case named "loan review 7" already exists/);

    const imp = await cli('import', EXAMPLE, PYTHON_LOGGER, '--case', 'Loan Review 7', '--json', ...w);
    expect(imp.status).toBe(0);
    const result = JSON.parse(imp.stdout);
    expect(result).toMatchObject({ status: 'done', created: false, counts: { records: 155, rejected: 0 } });
    expect(result.counts.byStream.decisions).toEqual({ kind: 'decision', records: 100 });
    expect(result.files.find((f: { path: string }) => f.path === 'example-python-logger.jsonl').sha256).toMatch(
      /^[0-9a-f]{64}$/,
    );

    const again = await cli('import', EXAMPLE, '--case', 'Loan Review 7', ...w);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/skipped decisions\/2026-03-01\.jsonl: already imported by import #1/);

    const list = JSON.parse((await cli('case', 'list', '--json', ...w)).stdout);
    expect(list.cases).toHaveLength(1);
    expect(list.cases[0]).toMatchObject({
      name: 'Loan Review 7',
      slug: 'loan-review-7',
      totals: { imports: 2, records: 155 },
    });

    const show = await cli('case', 'show', 'loan-review-7', ...w);
    expect(show.stdout).toMatch(/Custody log: 3 entries, chain intact/);
    expect(show.stdout).toMatch(/#1 done/);

    const q = await cli(
      'sql',
      '--case',
      'Loan Review 7',
      'SELECT dialect, count(*) AS n FROM decisions GROUP BY dialect ORDER BY dialect',
      ...w,
    );
    expect(q.status).toBe(0);
    expect(q.stdout).toMatch(/camelCase\s+\|\s+60/);
    expect(q.stdout).toMatch(/snake_case\s+\|\s+40/);
    const page = JSON.parse(
      (
        await cli(
          'sql',
          '--case',
          'Loan Review 7',
          'SELECT seq FROM decisions WHERE seq IS NOT NULL ORDER BY seq',
          '--limit',
          '5',
          '--offset',
          '10',
          '--json',
          ...w,
        )
      ).stdout,
    );
    // BIGINT comes out as a string in JSON (it may exceed 2^53).
    expect(page).toMatchObject({ rows: [['10'], ['11'], ['12'], ['13'], ['14']], more: true, offset: 10, limit: 5 });

    for (const write of [
      'DELETE FROM decisions',
      "COPY decisions TO '/tmp/x.csv'",
      "ATTACH '/tmp/other.db'",
      'SELECT 1; SELECT 2',
    ]) {
      const r = await cli('sql', '--case', 'Loan Review 7', write, ...w);
      expect(r.status, write).toBe(2);
      expect(r.stderr, write).toMatch(/read-only|exactly one SQL statement/);
    }

    expect((await cli('case', 'rename', 'Loan Review 7', 'Loan Review 8', ...w)).status).toBe(0);
    expect((await cli('sql', '--case', 'Loan Review 8', 'SELECT count(*) FROM outcomes', ...w)).stdout).toMatch(/19/);
    const refused = await cli('case', 'delete', 'Loan Review 8', ...w);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/add --yes/);
    expect((await cli('case', 'delete', 'Loan Review 8', '--yes', ...w)).status).toBe(0);
    expect(fs.readdirSync(path.join(ws, 'cases'))).toEqual([]);
    const gone = await cli('sql', '--case', 'Loan Review 8', 'SELECT 1', ...w);
    expect(gone.status).toBe(2);
    expect(gone.stderr).toMatch(/no case "Loan Review 8"/);
  });

  it('creates the case on import, exits 1 when records were rejected, 2 when a strict import fails', async () => {
    const ws = tempDir('cli-ws-');
    const bad = path.join(tempDir(), 'bad.jsonl');
    fs.writeFileSync(bad, '{"decisionId":"a","modelId":"m","prediction":"x"}\nnot json\n');
    const lenient = await cli('import', bad, '--case', 'New', '--workspace', ws);
    expect(lenient.status).toBe(1);
    expect(lenient.stdout).toMatch(/created case "New"/);
    expect(lenient.stdout).toMatch(/bad\.jsonl:2: not valid JSON/);
    const strict = await cli('import', bad, '--case', 'New', '--workspace', ws, '--strict', '--force');
    expect(strict.status).toBe(2);
    expect(strict.stdout).toMatch(/FAILED/);
    const missing = await cli('import', path.join(ws, 'nope'), '--case', 'Other', '--workspace', ws);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no such file or folder/);
    expect(fs.existsSync(path.join(ws, 'cases', 'other'))).toBe(false);
  });

  it('refuses a second writer with a message naming the process that holds the case', async () => {
    const ws = tempDir('cli-ws-');
    expect((await cli('case', 'create', 'Busy', '--workspace', ws)).status).toBe(0);
    // A real second process holds the case open for writing: an import of a file big enough to take a while.
    const big = path.join(tempDir(), 'big.jsonl');
    fs.writeFileSync(
      big,
      Array.from(
        { length: 60_000 },
        (_, i) => `{"decisionId":"d${i}","modelId":"m","prediction":"x","contextData":{"pad":"${'y'.repeat(400)}"}}`,
      ).join('\n'),
    );
    const child = spawn(
      process.execPath,
      [path.join(REPO, 'bin/audit-ws.mjs'), 'import', big, '--case', 'Busy', '--workspace', ws, '--progress', 'json'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const lines = readline.createInterface({ input: child.stderr! });
    for await (const line of lines) if (line.includes('"phase":"hashing"')) break;
    const second = await cli('import', EXAMPLE, '--case', 'Busy', '--workspace', ws);
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(
      new RegExp(`case "busy" is in use by process ${child.pid} \\(audit-ws import, since `),
    );
    lines.close();
    child.stderr!.resume();
    expect(await done).toBe(0);
  }, 60_000);

  it('draws a progress line with bar, bytes, records, rate and ETA', () => {
    const line = progressLine(
      {
        phase: 'loading',
        file: 'decisions/2026-03-01.jsonl',
        filesDone: 1,
        filesTotal: 3,
        bytesDone: 500_000_000,
        bytesTotal: 1_000_000_000,
        recordsDone: 250_000,
        recordsTotal: 500_000,
        elapsedMs: 5000,
        bytesPerSecond: 1e8,
        recordsPerSecond: 50_000,
        etaSeconds: 5,
      },
      200,
    );
    expect(line).toBe(
      'loading     [############............]   50%  500.0 MB/1.00 GB  250000 rec  50000 rec/s  ETA 5s  decisions/2026-03-01.jsonl',
    );
  });
});
