// DuckDB's line reader, split into parallel branches, must still give every line its exact number.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonlLinesSql } from '../../src/import/source-sql.ts';

let dir: string;
let files: { path: string; lines: string[] }[];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'case-lines-'));
  // Files of different sizes, with blank lines, one without a final line end, one empty.
  const sizes = [5, 0, 3000, 1, 700, 12];
  files = sizes.map((n, f) => {
    const lines = Array.from({ length: n }, (_, i) => (i % 7 === 3 ? '' : `{"f":${f},"i":${i + 1}}`));
    const p = path.join(dir, `f${f}.jsonl`);
    fs.writeFileSync(p, lines.join('\n') + (f === 4 ? '' : n > 0 ? '\n' : ''));
    return { path: p, lines };
  });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('jsonlLinesSql', () => {
  it.each([1, 2, 3, 4, 8])('numbers every line exactly with %i parallel branches', async (parallel) => {
    const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
    const con = await inst.connect();
    const sql = jsonlLinesSql(
      files.map((f) => f.path),
      files.map((f) => f.lines.length),
      '\\n',
      false,
      parallel,
    );
    const got = (await con.runAndReadAll(`SELECT fidx, line, raw FROM (${sql}) ORDER BY fidx, line`)).getRowsJS();
    const expected = files.flatMap((f, fidx) =>
      f.lines.map((raw, i) => [fidx, BigInt(i + 1), raw === '' ? null : raw]),
    );
    expect(got).toEqual(expected);
    con.closeSync();
    inst.closeSync();
  });
});
