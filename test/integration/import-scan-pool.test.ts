// The scan workers (src/import/scan-pool.ts) copy and scan data files several at once: an import that uses
// them must record what one that does not records, refuse what it refuses, and stop when cancelled.
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { SOURCES_DIR } from '../../src/case/source-copies.ts';
import { AuditWsError } from '../../src/errors.ts';
import type { CaseHandle } from '../../src/case/store.ts';
import { importArchives, type ImportOptions } from '../../src/import/importer.ts';
import { ScanPool } from '../../src/import/scan-pool.ts';
import { decisionLine, newCase, removeTempDirs, rows, rowsWithRaw, tableCounts, tempDir } from './import-helpers.ts';

const POOL_ENV = 'AUDIT_WS_SCAN_POOL_MIN_BYTES';

afterEach(() => {
  delete process.env[POOL_ENV];
  removeTempDirs();
});

/** Imports with the scan workers (`pool`) or on the import's own thread; says whether a pool was started. */
async function importWith(
  pool: boolean,
  handle: CaseHandle,
  inputs: string[],
  options: ImportOptions = {},
): Promise<{ result: Awaited<ReturnType<typeof importArchives>>; pooled: boolean }> {
  if (pool) process.env[POOL_ENV] = '0';
  else process.env[POOL_ENV] = String(Number.MAX_SAFE_INTEGER);
  const before = ScanPool.started;
  try {
    const result = await importArchives(handle, inputs, options);
    return { result, pooled: ScanPool.started > before };
  } finally {
    delete process.env[POOL_ENV];
  }
}

/** A folder of decision files: plain LF with blank lines and spaces, CRLF, and a .jsonl.gz. */
function mixedFolder(): string {
  const dir = tempDir('scan-pool-');
  const lines = (from: number, n: number, extra = ''): string[] =>
    Array.from({ length: n }, (_, i) => decisionLine(`d-${from + i}`, extra));
  fs.writeFileSync(path.join(dir, 'a.jsonl'), `\n${lines(0, 300).join('\n  \n')}\n`);
  fs.writeFileSync(path.join(dir, 'b.jsonl'), `${lines(300, 200, ',"note":"é ✓"').join('\r\n')}\r\n`);
  fs.writeFileSync(path.join(dir, 'c.jsonl.gz'), gzipSync(`${lines(500, 250).join('\n')}\n`));
  fs.writeFileSync(path.join(dir, 'd.jsonl'), `${lines(750, 50).join('\n')}\n{"decisionId":"bad"\n`);
  return dir;
}

function sourcesOf(handle: CaseHandle): Record<string, string> {
  const dir = path.join(handle.dir, SOURCES_DIR);
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((n) => [n, fs.readFileSync(path.join(dir, n)).toString('base64')]),
  );
}

describe('scan workers', () => {
  it('record the same source hashes, copies, line numbers, record texts and rejects as the import thread', async () => {
    const dir = mixedFolder();
    const got: unknown[] = [];
    for (const pool of [false, true]) {
      const { handle } = await newCase();
      try {
        const { result, pooled } = await importWith(pool, handle, [dir]);
        expect(pooled).toBe(pool);
        expect(result.status).toBe('done');
        got.push({
          files: result.files.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size, records: f.records })),
          rejects: result.rejects.map((r) => ({ file: r.file, line: r.line, reason: r.reason })),
          counts: await tableCounts(handle),
          sources: sourcesOf(handle),
          records: await rowsWithRaw(
            handle,
            'SELECT decision_id, source_file, source_file_id, line, row FROM decisions ORDER BY decision_id',
          ),
        });
      } finally {
        await handle.close();
      }
    }
    expect((got[0] as { counts: { decisions: number } }).counts.decisions).toBe(800);
    expect((got[0] as { rejects: unknown[] }).rejects).toHaveLength(1);
    expect(got[1]).toEqual(got[0]);
  });

  it('refuse a decompression bomb one of them finds, leaving the case as it was', async () => {
    const dir = tempDir('scan-pool-bomb-');
    fs.writeFileSync(path.join(dir, 'a.jsonl'), `${decisionLine('a')}\n`);
    fs.writeFileSync(path.join(dir, 'bomb.jsonl.gz'), gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)));
    const { handle } = await newCase();
    try {
      const before = ScanPool.started;
      process.env[POOL_ENV] = '0';
      const thrown = await importArchives(handle, [dir]).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(ScanPool.started).toBe(before + 1);
      expect(thrown).toBeInstanceOf(AuditWsError);
      expect((thrown as AuditWsError).code).toBe('LIMIT_EXCEEDED');
      expect((thrown as AuditWsError).message).toMatch(/bomb\.jsonl\.gz: expands more than 200:1/);
      expect(await tableCounts(handle)).toEqual({ decisions: 0, lifecycle_events: 0, reviews: 0, outcomes: 0 });
      expect(
        fs.existsSync(path.join(handle.dir, SOURCES_DIR)) ? fs.readdirSync(path.join(handle.dir, SOURCES_DIR)) : [],
      ).toEqual([]);
    } finally {
      await handle.close();
    }
  });

  it('stop when the import is cancelled while they scan, leaving no copy or part file behind', async () => {
    const dir = tempDir('scan-pool-cancel-');
    const big = Array.from({ length: 40_000 }, (_, i) => decisionLine(`x-${i}`, `,"pad":"${'p'.repeat(400)}"`)).join(
      '\n',
    );
    for (const name of ['a.jsonl', 'b.jsonl', 'c.jsonl']) fs.writeFileSync(path.join(dir, name), `${big}\n`);
    const { handle } = await newCase();
    try {
      const controller = new AbortController();
      const { result, pooled } = await importWith(true, handle, [dir], {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'hashing' && p.bytesDone > 0) controller.abort();
        },
      });
      expect(pooled).toBe(true);
      expect(result.status).toBe('cancelled');
      expect(await tableCounts(handle)).toEqual({ decisions: 0, lifecycle_events: 0, reviews: 0, outcomes: 0 });
      expect(
        fs.existsSync(path.join(handle.dir, SOURCES_DIR)) ? fs.readdirSync(path.join(handle.dir, SOURCES_DIR)) : [],
      ).toEqual([]);
      expect((await rows(handle, 'SELECT count(*) AS n FROM decisions'))[0].n).toBe(0);
    } finally {
      await handle.close();
    }
  });

  it('run a job on the calling thread when the worker is gone, with the same result', async () => {
    const file = path.join(tempDir('scan-pool-lost-'), 'a.jsonl');
    fs.writeFileSync(file, `${decisionLine('a')}\n\n${decisionLine('b')}\n`);
    const pool = new ScanPool(undefined, 1);
    try {
      const job = { path: file, format: 'jsonl', displayName: 'a.jsonl' };
      const byWorker = await pool.scan(job, () => undefined);
      const workers = (pool as unknown as { workers: Worker[] }).workers;
      await workers[0].terminate();
      expect(workers).toHaveLength(0);
      let bytes = 0;
      const inline = await pool.scan(job, (n) => (bytes += n));
      expect(inline).toEqual(byWorker);
      expect(inline.scan.facts).toMatchObject({ lines: 3, blankLines: 1 });
      expect(bytes).toBe(fs.statSync(file).size);
    } finally {
      await pool.close();
    }
  });
});
