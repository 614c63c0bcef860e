// Every kind of bad input is reported with its file and line (or row); lenient imports the rest,
// strict imports nothing. Each case writes its own small file.
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { importArchives } from '../../src/import/importer.ts';
import type { ImportResult } from '../../src/import/importer.ts';
import {
  copyExample,
  count,
  newCase,
  removeTempDirs,
  rows,
  rowsWithRaw,
  tableCounts,
  tempDir,
  toParquet,
  decisionLine,
  writeTempFile,
} from './import-helpers.ts';

afterEach(removeTempDirs);

const good = decisionLine;
const write = writeTempFile;

async function importFile(file: string, strict = false): Promise<{ result: ImportResult; decisions: number }> {
  const { handle } = await newCase();
  try {
    const result = await importArchives(handle, [file], { strict });
    return { result, decisions: await count(handle, 'decisions') };
  } finally {
    await handle.close();
  }
}

const reasons = (r: ImportResult) => r.rejects.map((j) => `${j.line ?? `row ${j.row}`}: ${j.reason}`);

describe('bad input', () => {
  it('rejects malformed lines, wrong types, non-objects, NaN and duplicate member names by line; imports the rest', async () => {
    const lines = [
      good('a'),
      '{"decisionId":"b", "modelId":',
      good('c').replace('0.5', '"high"'),
      '',
      '[1,2,3]',
      good('d').replace('0.5', 'NaN'),
      good('e', ',"note":"NaN is fine inside a string"'),
      '{"decisionId":"f","decisionId":"g","modelId":"m"}',
      good('h').replace('"2026-03-01T00:00:00Z"', 'true'),
      good('i', ',"seq":-1'),
      good('j', ',"humanReviewed":"yes"'),
      good('k', ',}').replace(',}}', ',}'),
    ];
    const file = write('decisions.jsonl', `${lines.join('\n')}\n`);
    const { result, decisions } = await importFile(file);
    expect(result.status).toBe('done');
    expect(decisions).toBe(2); // a and e
    expect(reasons(result)).toEqual([
      '2: not valid JSON',
      '3: confidence: expected a number, found a string',
      '5: not a JSON object',
      '6: not valid JSON (NaN, Infinity or a trailing comma)',
      '8: a member name appears twice: decisionId',
      '9: timestamp: expected an RFC 3339 string or epoch seconds, found a boolean',
      '10: seq: expected a non-negative integer, found -1',
      '11: humanReviewed: expected true or false, found a string',
      '12: not valid JSON (NaN, Infinity or a trailing comma)',
    ]);
    expect(result.rejects.every((j) => j.file === 'decisions.jsonl' && j.disposition === 'rejected')).toBe(true);
    expect(result.rejects[1].excerpt).toContain('"confidence":"high"');
    expect(result.counts.rejected).toBe(9);
    expect(result.files[0]).toMatchObject({ records: 2, rejected: 9 });
  });

  it('keeps line numbers exact on the exact path (CRLF mixed with LF, a BOM, a line that is not UTF-8)', async () => {
    const content = Buffer.concat([
      Buffer.from(`\ufeff${good('a')}\r\n\r\n${good('b')}\n`),
      Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d, 0x0a]),
      Buffer.from(`${good('c')}\r\n`),
    ]);
    const { handle } = await newCase();
    const result = await importArchives(handle, [write('mixed.jsonl', content)]);
    expect(result.files[0].read).toMatch(/^exact/);
    expect(await rows(handle, 'SELECT decision_id, line FROM decisions ORDER BY line')).toEqual([
      { decision_id: 'a', line: 1 },
      { decision_id: 'b', line: 3 },
      { decision_id: 'c', line: 5 },
    ]);
    expect(reasons(result)).toEqual(['4: line is not valid UTF-8']);
    // The raw text is the line without its line end (and without the BOM), as the archive reader gives it.
    const stored = await rowsWithRaw(handle, `SELECT source_file_id, line, row FROM decisions WHERE decision_id = 'a'`);
    expect(stored.map((r) => r.raw)).toEqual([good('a')]);
    await handle.close();
  });

  it('imports the lines before the damage of a truncated .jsonl.gz and reports where it stops', async () => {
    const text = Array.from({ length: 2000 }, (_, i) => good(`d${i}`)).join('\n');
    const gz = gzipSync(text);
    const file = write('decisions.jsonl.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    const { result, decisions } = await importFile(file);
    expect(result.status).toBe('done');
    expect(decisions).toBeGreaterThan(0);
    expect(decisions).toBeLessThan(2000);
    expect(result.rejects).toHaveLength(1);
    expect(result.rejects[0]).toMatchObject({ file: 'decisions.jsonl.gz', line: decisions + 1 });
    expect(result.rejects[0].reason).toMatch(/truncated or corrupt gzip data after line/);
  });

  it('reports a truncated Parquet file as one reject and imports the other files', async () => {
    const dir = copyExample();
    await toParquet(dir);
    const victim = path.join(dir, 'decisions/2026-03-02.parquet');
    const bytes = fs.readFileSync(victim);
    fs.writeFileSync(victim, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const { handle } = await newCase();
    const result = await importArchives(handle, [dir]);
    expect(result.status).toBe('done');
    expect(await tableCounts(handle)).toEqual({ decisions: 30, lifecycle_events: 12, reviews: 24, outcomes: 19 });
    expect(result.rejects).toHaveLength(1);
    expect(result.rejects[0]).toMatchObject({ file: 'decisions/2026-03-02.parquet', disposition: 'rejected' });
    expect(result.rejects[0].reason).toMatch(/not a readable Parquet file/);
    await handle.close();
  });

  it('judges Parquet members by column type, reports rows, and keeps unknown columns in extra', async () => {
    const dir = tempDir();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    await con.run(`COPY (SELECT * FROM (VALUES
        ('a', 'm', 'approve', '0.5', 'gold', NULL::INTEGER),
        ('b', 'm', 'decline', NULL, NULL, 3),
        ('c', 'm', 'approve', 'high', NULL, NULL)) t(decisionId, modelId, prediction, confidence, segment, score))
      TO '${path.join(dir, 'd.parquet')}' (FORMAT parquet)`);
    con.closeSync();
    inst.closeSync();
    const { handle } = await newCase();
    const result = await importArchives(handle, [path.join(dir, 'd.parquet')]);
    expect(reasons(result)).toEqual([
      'row 1: confidence: expected a number, found a string (Parquet VARCHAR)',
      'row 3: confidence: expected a number, found a string (Parquet VARCHAR)',
    ]);
    expect(await rows(handle, 'SELECT decision_id, row, extra::VARCHAR AS extra, confidence FROM decisions')).toEqual([
      { decision_id: 'b', row: 2, extra: '{"score":3}', confidence: null },
    ]);
    await handle.close();
  });

  it('reports numbers written as strings as wrong types, with line or row: lenient lists them, strict imports nothing', async () => {
    const lines = [
      good('a'),
      good('b').replace('0.5', '"0.93"'),
      good('c', ',"latencyMs":"12"'),
      good('d', ',"seq":"3"'),
      good('e').replace('"2026-03-01T00:00:00Z"', '"1772323200.5"'),
      good('f').replace('"2026-03-01T00:00:00Z"', '1772323200.5'),
    ];
    const expected = [
      '2: confidence: expected a number, found a string',
      '3: latencyMs: expected a number, found a string',
      '4: seq: expected a non-negative integer, found "3"',
      '5: timestamp: expected an RFC 3339 string or epoch seconds, found a string holding a number',
    ];
    const file = write('decisions.jsonl', `${lines.join('\n')}\n`);
    const lenient = await importFile(file);
    expect(lenient.result.status).toBe('done');
    expect(lenient.decisions).toBe(2); // a, and f (epoch seconds as a number are fine)
    expect(reasons(lenient.result)).toEqual(expected);
    expect(lenient.result.rejects.every((r) => r.file === 'decisions.jsonl')).toBe(true);
    const strict = await importFile(file, true);
    expect(strict.result.status).toBe('failed');
    expect(strict.decisions).toBe(0);
    expect(reasons(strict.result)).toEqual(expected);

    // The same in Parquet: string columns where the spec says number (or time), reported by row.
    const dir = tempDir();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    await con.run(`COPY (SELECT * FROM (VALUES
        ('p1', 'm', 'approve', 0.5, '2026-03-01T00:00:00Z'),
        ('p2', 'm', 'approve', 0.5, '1772323200.5'),
        ('p3', 'm', 'approve', NULL, '2026-03-01T00:00:00Z')) t(decisionId, modelId, prediction, confidence, "timestamp"))
      TO '${path.join(dir, 'times.parquet')}' (FORMAT parquet)`);
    await con.run(`COPY (SELECT * FROM (VALUES ('q1', 'm', 'approve', '0.93'), ('q2', 'm', 'approve', NULL))
        t(decisionId, modelId, prediction, confidence)) TO '${path.join(dir, 'conf.parquet')}' (FORMAT parquet)`);
    con.closeSync();
    inst.closeSync();
    const pq = await newCase();
    const result = await importArchives(pq.handle, [dir]);
    expect(result.rejects.map((r) => `${r.file} row ${r.row}: ${r.reason}`)).toEqual([
      'conf.parquet row 1: confidence: expected a number, found a string (Parquet VARCHAR)',
      'times.parquet row 2: timestamp: expected an RFC 3339 string or epoch seconds, found a string holding a number',
    ]);
    expect(await rows(pq.handle, 'SELECT decision_id FROM decisions ORDER BY decision_id')).toEqual([
      { decision_id: 'p1' },
      { decision_id: 'p3' },
      { decision_id: 'q2' },
    ]);
    const strictPq = await importArchives(pq.handle, [dir], { strict: true, force: true });
    expect(strictPq.status).toBe('failed');
    expect(strictPq.rejectsTotal).toBeGreaterThanOrEqual(2);
    expect(await count(pq.handle, 'decisions')).toBe(3);
    await pq.handle.close();
  });

  it('rejects records of no known kind', async () => {
    const file = write('things.jsonl', '{"colour":"red"}\n{"colour":"blue","size":3}\n');
    const { result } = await importFile(file);
    expect(reasons(result)).toEqual([
      '1: unknown kind: no member identifies a decision, lifecycle event, review or outcome',
      '2: unknown kind: no member identifies a decision, lifecycle event, review or outcome',
    ]);
  });

  it('rejects a 100 MB line without reading it into memory, and imports the lines around it', async () => {
    const file = path.join(tempDir(), 'huge.jsonl');
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, `${good('a')}\n{"decisionId":"big","modelId":"m","prediction":"`);
    const block = Buffer.alloc(1024 * 1024, 0x78);
    for (let i = 0; i < 100; i++) fs.writeSync(fd, block);
    fs.writeSync(fd, `"}\n${good('b')}\n`);
    fs.closeSync(fd);
    const { result, decisions } = await importFile(file);
    expect(decisions).toBe(2);
    expect(result.rejects).toHaveLength(1);
    expect(result.rejects[0]).toMatchObject({ line: 2, disposition: 'rejected' });
    expect(result.rejects[0].reason).toMatch(/line longer than the limit of 67108864 bytes \(104857\d+ bytes\)/);
  });

  it('notes an empty file', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'a.jsonl'), `${good('a')}\n`);
    fs.writeFileSync(path.join(dir, 'empty.jsonl'), '');
    fs.writeFileSync(path.join(dir, 'blank.jsonl'), '\n \n');
    const { handle } = await newCase();
    const result = await importArchives(handle, [dir]);
    expect(result.status).toBe('done');
    expect(await count(handle, 'decisions')).toBe(1);
    expect(result.rejects.map((r) => [r.file, r.reason, r.disposition])).toEqual([
      ['blank.jsonl', 'file holds no records', 'noted'],
      ['empty.jsonl', 'file holds no records', 'noted'],
    ]);
    await handle.close();
  });

  it('notes duplicate ids with their lines, and keeps the records', async () => {
    const file = write('dups.jsonl', [good('a'), good('b'), good('a'), good('a')].join('\n'));
    const { result, decisions } = await importFile(file);
    expect(decisions).toBe(4);
    expect(result.rejects.map((r) => [r.line, r.disposition, r.reason])).toEqual([
      [3, 'noted', 'duplicate decisionId a, first seen at dups.jsonl:1 (import #1)'],
      [4, 'noted', 'duplicate decisionId a, first seen at dups.jsonl:1 (import #1)'],
    ]);
  });

  it('imports nothing in strict mode when anything is rejected, and lists why', async () => {
    const file = write('decisions.jsonl', [good('a'), good('b').replace('0.5', '"high"'), good('c')].join('\n'));
    const { handle } = await newCase();
    const result = await importArchives(handle, [file], { strict: true });
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/strict import: 1 record\(s\) rejected/);
    expect(reasons(result)).toEqual(['2: confidence: expected a number, found a string']);
    expect(await tableCounts(handle)).toEqual({ decisions: 0, lifecycle_events: 0, reviews: 0, outcomes: 0 });
    const row = handle.sqlite.prepare('SELECT status, error FROM imports WHERE id = ?').get(result.importId);
    expect(row).toMatchObject({ status: 'failed' });
    expect(handle.sqlite.prepare('SELECT count(*) AS n FROM source_files').get()).toEqual({ n: 0 });
    expect(handle.sqlite.prepare('SELECT line, reason FROM rejects WHERE import_id = ?').all(result.importId)).toEqual([
      { line: 2, reason: 'confidence: expected a number, found a string' },
    ]);
    await handle.close();
  });

  it('refuses an input that does not exist before touching the case', async () => {
    const { handle } = await newCase();
    await expect(importArchives(handle, [path.join(tempDir(), 'nope.jsonl')])).rejects.toThrow(
      /no such file or folder/,
    );
    expect(handle.sqlite.prepare('SELECT count(*) AS n FROM imports').get()).toEqual({ n: 0 });
    await handle.close();
  });
});
