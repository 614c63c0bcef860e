import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditWsError } from '../../src/errors.ts';
import { dropNullMembers, recordHash } from '../../src/archive/canonical.ts';
import { countKeyColons, countMembers, findJsonProblem, parseStrictJson } from '../../src/archive/jsontext.ts';
import { openArchive } from '../../src/archive/open.ts';
import type { ArchiveFile, OpenedArchive } from '../../src/archive/open.ts';
import { isRecordError, parseRecordLine, readRecords } from '../../src/archive/records.ts';
import { readLines } from '../../src/archive/lines.ts';
import type { RawRecord, RecordError } from '../../src/archive/records.ts';

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'audit-ws-records-test-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Opens a folder holding one data file with the given content and returns the archive and that file. */
async function oneFile(name: string, content: Buffer | string): Promise<{ a: OpenedArchive; f: ArchiveFile }> {
  const dir = mkdtempSync(join(tmp, 'case-'));
  writeFileSync(join(dir, name), content);
  const a = await openArchive(dir);
  const f = a.files.find((x) => x.path === name);
  if (!f) throw new Error('data file not found');
  return { a, f };
}

async function collect(a: OpenedArchive, f: ArchiveFile, onError: 'throw' | 'yield' = 'yield', maxLineBytes?: number) {
  const out: (RawRecord | RecordError)[] = [];
  for await (const r of readRecords(a, f, { onError, ...(maxLineBytes ? { maxLineBytes } : {}) })) out.push(r);
  return out;
}

async function thrown(a: OpenedArchive, f: ArchiveFile, maxLineBytes?: number): Promise<AuditWsError> {
  try {
    await collect(a, f, 'throw', maxLineBytes);
  } catch (err) {
    expect(err).toBeInstanceOf(AuditWsError);
    return err as AuditWsError;
  }
  throw new Error('no error thrown');
}

const R = (n: number) => JSON.stringify({ decisionId: `d-${n}`, modelId: 'm', prediction: 'approve', n });

describe('JSONL records', () => {
  it('reads every example record with its exact text and line, and the stored hashes match', async () => {
    const a = await openArchive(EXAMPLE);
    try {
      let count = 0;
      for (const f of a.files.filter((x) => x.role === 'data')) {
        const raw = f.format === 'jsonl.gz' ? gunzipSync(readFileSync(f.absPath)) : readFileSync(f.absPath);
        const lines = raw.toString('utf8').split('\n');
        for await (const r of readRecords(a, f)) {
          if (isRecordError(r)) throw new Error(r.message);
          count++;
          expect(r.text).toBe(lines[(r.line as number) - 1]);
          expect(recordHash(r.value)).toBe(r.value.hash);
        }
      }
      expect(count).toBe(115);
    } finally {
      await a.close();
    }
  });

  it('skips blank lines but counts them, and strips CRLF with a warning', async () => {
    const { a, f } = await oneFile('x.jsonl', `${R(1)}\r\n\r\n   \n${R(2)}\r\n${R(3)}`);
    const recs = (await collect(a, f)) as RawRecord[];
    expect(recs.map((r) => [r.line, r.text])).toEqual([
      [1, R(1)],
      [4, R(2)],
      [5, R(3)],
    ]);
    expect(a.warnings).toContain('x.jsonl: lines end with CRLF; the \\r is removed before parsing');
    await a.close();
  });

  it('a non-JSON line is an error naming file:line; yield mode continues after it', async () => {
    const { a, f } = await oneFile('bad.jsonl', `${R(1)}\n\n{"decisionId": "d-2", oops}\n[1,2]\n${R(5)}\n`);
    const err = await thrown(a, f);
    expect(err.code).toBe('MALFORMED_RECORD');
    expect(err.message).toBe('bad.jsonl:3: unexpected "o", expected a member name in double quotes (column 23)');
    expect(err.details).toMatchObject({ file: 'bad.jsonl', line: 3 });
    const all = await collect(a, f, 'yield');
    expect(all.map((r) => (isRecordError(r) ? `E${r.line}` : `R${r.line}`))).toEqual(['R1', 'E3', 'E4', 'R5']);
    expect((all[2] as RecordError).message).toBe('is an array, not a JSON object');
    await a.close();
  });

  it('rejects duplicate member names at any depth', async () => {
    const { a, f } = await oneFile('dup.jsonl', `${R(1)}\n{"decisionId":"d-2","modelId":"m","x":{"a":1,"a":2}}\n`);
    const err = await thrown(a, f);
    expect(err.code).toBe('MALFORMED_RECORD');
    expect(err.message).toBe('dup.jsonl:2: duplicate member name "a" (column 46)');
    await a.close();
  });

  it('a line over the limit is an error naming file:line, and reading goes on after it', async () => {
    const long = JSON.stringify({ decisionId: 'd-9', modelId: 'm', pad: 'x'.repeat(5000) });
    const { a, f } = await oneFile('long.jsonl', `${R(1)}\n${long}\n${R(3)}\n`);
    const err = await thrown(a, f, 1000);
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(err.message).toMatch(/^long\.jsonl:2: line longer than the limit of 1000 bytes/);
    const all = await collect(a, f, 'yield', 1000);
    expect(all.map((r) => (isRecordError(r) ? `E${r.line}` : `R${r.line}`))).toEqual(['R1', 'E2', 'R3']);
    await a.close();
  });

  it('reads .jsonl.gz and names the last good line of a truncated gzip', async () => {
    const body = Array.from({ length: 3000 }, (_, i) => R(i)).join('\n');
    const gz = gzipSync(body);
    const { a, f } = await oneFile('t.jsonl.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    const err = await thrown(a, f);
    expect(err.code).toBe('UNREADABLE_INPUT');
    expect(err.message).toMatch(/^t\.jsonl\.gz: truncated or corrupt gzip data after line (\d+) /);
    const lastGood = Number(/after line (\d+)/.exec(err.message)?.[1]);
    expect(lastGood).toBeGreaterThan(100);
    expect(lastGood).toBeLessThan(3000);
    const all = await collect(a, f, 'yield');
    expect(all.length).toBe(lastGood + 1);
    expect(all[lastGood]).toMatchObject({ error: true, line: lastGood + 1 });
    await a.close();
    const whole = await oneFile('w.jsonl.gz', gz);
    expect((await collect(whole.a, whole.f, 'throw')).length).toBe(3000);
    await whole.a.close();
  });

  it('rejects a line that is not UTF-8', async () => {
    const { a, f } = await oneFile(
      'u.jsonl',
      Buffer.concat([
        Buffer.from(`${R(1)}\n{"decisionId":"`),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('","modelId":"m"}\n'),
      ]),
    );
    const err = await thrown(a, f);
    expect(err.message).toBe('u.jsonl:2: line is not valid UTF-8');
    await a.close();
  });
});

describe('line ranges for parallel readers', () => {
  it('reads a byte range with local line numbers; parseRecordLine applies the same rule', async () => {
    const p = join(tmp, 'range.jsonl');
    const lines = [R(1), '', R(3), R(4)];
    writeFileSync(p, `${lines.join('\n')}\n`);
    const start = Buffer.byteLength(`${R(1)}\n\n`);
    const end = start + Buffer.byteLength(`${R(3)}\n`);
    const got = [];
    for await (const ev of readLines(p, { displayName: 'range.jsonl', start, end })) got.push(ev);
    expect(got).toEqual([{ kind: 'line', line: 1, text: R(3), crlf: false, bom: false }]);
    const rest = [];
    for await (const ev of readLines(p, { displayName: 'range.jsonl', start: end }))
      rest.push(ev.kind === 'line' ? ev.text : ev.kind);
    expect(rest).toEqual([R(4)]);
    expect(parseRecordLine('  ')).toBeUndefined();
    expect(parseRecordLine('[1]')).toEqual({ ok: false, message: 'is an array, not a JSON object' });
    expect(parseRecordLine(R(1))).toEqual({ ok: true, value: JSON.parse(R(1)) });
    await expect(async () => {
      for await (const ev of readLines(p, { displayName: 'x.jsonl.gz', gzip: true, start: 5 })) void ev;
    }).rejects.toThrow('x.jsonl.gz: a gzip file can only be read from its start to its end');
  });
});

describe('strict JSON scanner', () => {
  it('agrees with JSON.parse on what is valid', () => {
    const valid = [
      '{}',
      '[]',
      '{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n"]}',
      ' {"a" : {"b":{}} } ',
      '"s"',
      '0',
      '{"":1,"a\\"":2}',
    ];
    for (const t of valid) expect(findJsonProblem(t), t).toBeUndefined();
    const invalid = [
      '{',
      '{"a":1,}',
      '[1,]',
      '{"a" 1}',
      '01',
      '{"a":1}x',
      '"\u0001"',
      '{"a":"\\x"}',
      "{'a':1}",
      'nul',
      '-',
      '1.',
    ];
    for (const t of invalid) {
      expect(() => JSON.parse(t), t).toThrow();
      expect(findJsonProblem(t), t).toBeDefined();
    }
  });

  it('the pre-check only calls the scanner when a duplicate is possible', () => {
    const text = '{"a":"10:20","b":{"c":[{"d":1}]}}';
    expect(countKeyColons(text)).toBe(countMembers(JSON.parse(text)));
    // Escaped JSON inside a string raises the count without being a duplicate: the scanner clears it.
    const embedded = '{"a":"{\\"a\\":1}"}';
    expect(countKeyColons(embedded)).toBeGreaterThan(countMembers(JSON.parse(embedded)));
    expect(parseStrictJson(embedded).ok).toBe(true);
    expect(parseStrictJson('{"a":1,"\\u0061":2}')).toMatchObject({ ok: false, message: 'duplicate member name "a"' });
  });
});

describe('Parquet records', () => {
  let db: DuckDBInstance;
  beforeAll(async () => {
    db = await DuckDBInstance.create(':memory:');
  });
  afterAll(() => db.closeSync());

  async function sql(q: string): Promise<void> {
    const c = await db.connect();
    try {
      await c.run(q);
    } finally {
      c.closeSync();
    }
  }

  it('rows converted from the example JSONL hash exactly as the JSONL lines do', async () => {
    const dir = join(tmp, 'parquet-archive');
    mkdirSync(join(dir, 'decisions'), { recursive: true });
    mkdirSync(join(dir, 'reviews'), { recursive: true });
    // timestampformat '%Y' keeps RFC 3339 strings as strings (DuckDB would otherwise make them TIMESTAMP).
    for (const [src, out] of [
      ['decisions/2026-03-01.jsonl', 'decisions/2026-03-01.parquet'],
      ['reviews/2026-03-02.jsonl.gz', 'reviews/2026-03-02.parquet'],
    ]) {
      await sql(
        `COPY (SELECT * FROM read_json('${join(EXAMPLE, src)}', timestampformat='%Y', dateformat='%Y')) TO '${join(dir, out)}' (FORMAT parquet)`,
      );
    }
    const a = await openArchive(dir);
    try {
      const ex = await openArchive(EXAMPLE);
      for (const [jsonl, parquet] of [
        ['decisions/2026-03-01.jsonl', 'decisions/2026-03-01.parquet'],
        ['reviews/2026-03-02.jsonl.gz', 'reviews/2026-03-02.parquet'],
      ]) {
        const pf = a.files.find((f) => f.path === parquet)!;
        expect(pf).toMatchObject({ format: 'parquet', role: 'data' });
        const expected = (await collect(
          ex,
          ex.files.find((f) => f.path === jsonl)!,
          'throw',
        )) as RawRecord[];
        const got = (await collect(a, pf, 'throw')) as RawRecord[];
        expect(got.length).toBe(expected.length);
        got.forEach((r, i) => {
          expect(r.row).toBe(i + 1);
          expect(r.unverifiable).toBeUndefined();
          expect(r.value).toEqual(dropNullMembers(expected[i].value));
          expect(recordHash(r.value)).toBe(expected[i].value.hash);
        });
      }
      expect(a.files.find((f) => f.path === 'decisions/2026-03-01.parquet')).toMatchObject({
        kind: 'decision',
        stream: 'decisions',
      });
      expect(a.files.find((f) => f.path === 'reviews/2026-03-02.parquet')).toMatchObject({
        kind: 'review',
        stream: 'reviews',
      });
      await ex.close();
    } finally {
      await a.close();
    }
  });

  it('marks TIMESTAMP, DECIMAL and big INT64 members unverifiable; parses JSON columns; null is absent', async () => {
    const dir = join(tmp, 'parquet-types');
    mkdirSync(dir);
    await sql(`COPY (
      SELECT * FROM (VALUES
        ('d-1', 'm', TIMESTAMP '2026-03-01 00:00:00.886', 1.25::DECIMAL(10,2), 9007199254740993::BIGINT, '{"k":[1,{"z":null}]}'::JSON, NULL::VARCHAR, MAP {'a': 1, 'b': NULL}, 0.5::DOUBLE),
        ('d-2', 'm', NULL, NULL, 42::BIGINT, '"plain"'::JSON, 'x', MAP {'c': 3}, NULL),
        ('d-3', 'm', NULL, NULL, 1::BIGINT, '{"a":1,"a":2}'::JSON, 'x', MAP {'c': 3}, 1.0),
        ('d-4', 'm', NULL, NULL, 1::BIGINT, '[]'::JSON, NULL, MAP {'c': 3}, 'nan'::DOUBLE)
      ) t(decisionId, modelId, ts, amount, big, doc, maybe, m, d)
    ) TO '${join(dir, 'types.parquet')}' (FORMAT parquet)`);
    const a = await openArchive(dir);
    try {
      const [r1, r2, r3, r4] = await collect(a, a.files[0], 'yield');
      if (isRecordError(r1) || isRecordError(r2) || isRecordError(r4)) throw new Error('unexpected error');
      expect(r1.row).toBe(1);
      expect(r1.value).toMatchObject({
        decisionId: 'd-1',
        d: 0.5,
        amount: 1.25,
        big: 9007199254740992,
        doc: { k: [1, { z: null }] },
        m: { a: 1 },
      });
      expect('maybe' in r1.value).toBe(false);
      expect(r1.unverifiable).toContain('member "ts" is stored as TIMESTAMP');
      expect(r1.unverifiable).toContain('member "amount" is stored as DECIMAL(10,2)');
      expect(r1.unverifiable).toContain('member "big" holds an integer beyond 2^53-1');
      expect(r2.row).toBe(2);
      expect(r2.unverifiable).toBeUndefined();
      expect(r2.value).toEqual({ decisionId: 'd-2', modelId: 'm', big: 42, doc: 'plain', maybe: 'x', m: { c: 3 } });
      // A duplicate member inside a JSON column makes the row malformed, like a JSONL line.
      expect(r3).toEqual({
        file: 'types.parquet',
        row: 3,
        error: true,
        message: expect.stringContaining('member "doc"'),
      });
      expect((r3 as RecordError).message).toContain('duplicate member name "a"');
      expect(r4.row).toBe(4);
      // NaN cannot be written as JSON: the row is still read (value by value) and marked.
      expect(r4.value).toMatchObject({ decisionId: 'd-4', doc: [], d: 'NaN' });
      expect(r4.unverifiable).toBe('member "d" is NaN, which JSON cannot hold');
    } finally {
      await a.close();
    }
  });

  it('a corrupt Parquet file is UNREADABLE_INPUT naming the file', async () => {
    const dir = join(tmp, 'parquet-bad');
    mkdirSync(dir);
    await sql(
      `COPY (SELECT 'd-' || i AS decisionId, 'm' AS modelId FROM range(100) t(i)) TO '${join(dir, 'ok.parquet')}' (FORMAT parquet)`,
    );
    const good = readFileSync(join(dir, 'ok.parquet'));
    writeFileSync(join(dir, 'ok.parquet'), good.subarray(0, good.length - 20));
    const a = await openArchive(dir);
    try {
      expect(a.warnings.join('\n')).toContain('ok.parquet: not a readable Parquet file');
      const err = await thrown(a, a.files[0]);
      expect(err.code).toBe('UNREADABLE_INPUT');
      expect(err.message).toMatch(/^ok\.parquet: not a readable Parquet file/);
    } finally {
      await a.close();
    }
  });
});
