// All or nothing: a failed, cancelled or killed import leaves the case as it was before.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { readCustody, verifyCustody } from '../../src/case/custody.ts';
import { CaseHandle } from '../../src/case/store.ts';
import { Workspace } from '../../src/case/workspace.ts';
import { importArchives } from '../../src/import/importer.ts';
import {
  EXAMPLE,
  REPO,
  copyExample,
  newCase,
  removeTempDirs,
  rows,
  tableCounts,
  tempDir,
  toParquet,
} from './import-helpers.ts';

afterEach(removeTempDirs);

const EXAMPLE_COUNTS = { decisions: 60, lifecycle_events: 12, reviews: 24, outcomes: 19 };

function bookkeeping(handle: CaseHandle): Record<string, unknown> {
  const q = (sql: string) => handle.sqlite.prepare(sql).all();
  return {
    sourceFiles: q('SELECT id, import_id, path, sha256 FROM source_files ORDER BY id'),
    rejects: q("SELECT * FROM rejects WHERE import_id IN (SELECT id FROM imports WHERE status = 'done') ORDER BY id"),
  };
}

/** A decisions file big enough that its import takes a few seconds. */
function bigFile(records: number): string {
  const file = path.join(tempDir('big-'), 'big.jsonl');
  const fd = fs.openSync(file, 'w');
  const pad = 'x'.repeat(600);
  let chunk: string[] = [];
  for (let i = 0; i < records; i++) {
    chunk.push(
      `{"decisionId":"big-${i}","traceId":"t${i}","modelId":"m","modelVersion":"1","prediction":"approve","confidence":0.5,"timestamp":"2026-03-01T00:00:00Z","latencyMs":12.5,"contextData":{"note":"${pad}"},"seq":${i}}`,
    );
    if (chunk.length === 10_000) {
      fs.writeSync(fd, `${chunk.join('\n')}\n`);
      chunk = [];
    }
  }
  if (chunk.length) fs.writeSync(fd, `${chunk.join('\n')}\n`);
  fs.closeSync(fd);
  return file;
}

describe('atomic import', () => {
  it('sets aside a Parquet file that breaks midway (lenient), or fails the whole import (strict), leaving no partial rows', async () => {
    const dir = copyExample();
    await toParquet(dir);
    // Damage the middle of a file: the footer (schema, row count) still reads, the data pages do not.
    const victim = path.join(dir, 'decisions/2026-03-01.parquet');
    const bytes = fs.readFileSync(victim);
    const footer = bytes.readUInt32LE(bytes.length - 8) + 8;
    for (let i = 8; i < bytes.length - footer; i++) bytes[i] = 0xff;
    fs.writeFileSync(victim, bytes);

    const { handle } = await newCase();
    await importArchives(handle, [EXAMPLE]);
    const before = { counts: await tableCounts(handle), books: bookkeeping(handle) };

    const strict = await importArchives(handle, [dir], { strict: true });
    expect(strict.status).toBe('failed');
    expect(strict.error).toMatch(/decisions\/2026-03-01\.parquet/);
    expect(await tableCounts(handle)).toEqual(before.counts);
    expect(bookkeeping(handle)).toEqual(before.books);

    const lenient = await importArchives(handle, [dir], { force: true });
    expect(lenient.status).toBe('done');
    expect(lenient.rejects.filter((r) => r.disposition === 'rejected').map((r) => r.file)).toEqual([
      'decisions/2026-03-01.parquet',
    ]);
    expect(lenient.counts.records).toBe(115 - 30);
    expect(await tableCounts(handle)).toEqual({ decisions: 60 + 30, lifecycle_events: 24, reviews: 48, outcomes: 38 });
    expect(
      (await rows(handle, `SELECT count(*) AS n FROM decisions WHERE source_file LIKE '%2026-03-01.parquet'`))[0].n,
    ).toBe(0);
    await handle.close();
  });

  it('leaves the case as before when cancelled during loading', async () => {
    const { handle } = await newCase();
    await importArchives(handle, [EXAMPLE]);
    const before = { counts: await tableCounts(handle), books: bookkeeping(handle) };
    const controller = new AbortController();
    const result = await importArchives(handle, [bigFile(20_000)], {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'loading') controller.abort();
      },
    });
    expect(result.status).toBe('cancelled');
    expect(result.error).toBe('import cancelled; nothing was imported');
    expect(await tableCounts(handle)).toEqual(before.counts);
    expect(bookkeeping(handle)).toEqual(before.books);
    const custody = readCustody(handle.sqlite);
    expect(custody.at(-1)?.action).toBe('import.cancelled');
    expect(verifyCustody(custody)).toEqual([]);
    // The case still takes imports afterwards.
    const again = await importArchives(handle, [copyExample()], { force: true });
    expect(again.status).toBe('done');
    await handle.close();
  });

  it('survives kill -9 midway: the case opens, reports the interrupted import and holds the data from before', async () => {
    const wsDir = tempDir('ws-kill-');
    const ws = new Workspace(wsDir);
    const h = await ws.create('Killed', { actor: 'tester' });
    await importArchives(h, [EXAMPLE]);
    await h.close();
    const big = bigFile(150_000);

    const child = spawn(
      process.execPath,
      [
        path.join(REPO, 'bin/audit-ws.mjs'),
        'import',
        big,
        '--case',
        'Killed',
        '--workspace',
        wsDir,
        '--progress',
        'json',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    let sawLoading = false;
    for await (const line of readline.createInterface({ input: child.stderr! })) {
      if (!line.startsWith('{')) continue;
      const p = JSON.parse(line) as { phase: string; bytesDone: number; bytesTotal: number };
      // Kill once DuckDB is inserting (the hashing pass is the first half of the work).
      if (p.phase === 'loading' && p.bytesDone > p.bytesTotal * 0.55) {
        sawLoading = true;
        child.kill('SIGKILL');
        break;
      }
    }
    expect(sawLoading).toBe(true);
    expect(await exited).toBe('SIGKILL');

    const handle = await ws.open('Killed', { mode: 'write', actor: 'tester' });
    expect(handle.notices.some((n) => /took over the lock left by process \d+/.test(n))).toBe(true);
    expect(handle.notices.some((n) => /import #2 .* was interrupted/.test(n))).toBe(true);
    expect(await tableCounts(handle)).toEqual(EXAMPLE_COUNTS);
    expect(handle.sqlite.prepare('SELECT id, status FROM imports ORDER BY id').all()).toEqual([
      { id: 1, status: 'done' },
      { id: 2, status: 'interrupted' },
    ]);
    expect(readCustody(handle.sqlite).at(-1)?.action).toBe('import.interrupted');
    const again = await importArchives(handle, [big]);
    expect(again.status).toBe('done');
    expect(again.counts.records).toBe(150_000);
    await handle.close();
  }, 120_000);

  it('removes rows of an import that DuckDB committed but case.sqlite never recorded as done', async () => {
    const { ws, handle } = await newCase('Half');
    const done = await importArchives(handle, [EXAMPLE]);
    // What a crash between the two commits leaves: evidence rows of an import still marked running.
    handle.sqlite
      .prepare(
        "INSERT INTO imports (id, started_at, status, actor, pid, inputs, options) VALUES (7, '2026-01-01T00:00:00Z', 'running', 'x', 999999999, '[]', '{}')",
      )
      .run();
    await handle.duck.run(
      `INSERT INTO decisions (decision_id, import_id, raw) VALUES ('ghost', 7, '{}'), ('ghost2', 8, '{}')`,
    );
    await handle.close();
    const reopened = await ws.open('Half', { mode: 'write', actor: 'tester' });
    expect(await tableCounts(reopened)).toEqual(EXAMPLE_COUNTS);
    expect(reopened.sqlite.prepare('SELECT status FROM imports WHERE id = 7').get()).toEqual({ status: 'interrupted' });
    expect(done.importId).toBe(1);
    await reopened.close();
  });
});
