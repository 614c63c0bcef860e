// DuckDB's line reader, split into parallel branches, must still give every line its exact number.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineIndexMaxLines } from '../../src/import/loader.ts';
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

describe('lineIndexMaxLines', () => {
  it("reads DuckDB's memory limit as it prints it, and leaves half of it to the load", async () => {
    // About 2.8M lines at DuckDB's 1 GB: 1M decisions are indexed, 10M are not.
    const inst = await DuckDBInstance.create(':memory:', { memory_limit: '1GB' });
    const con = await inst.connect();
    const printed = String((await con.runAndReadAll("SELECT current_setting('memory_limit')")).getRowsJS()[0][0]);
    expect(printed).toBe('953.6 MiB');
    expect(lineIndexMaxLines(printed)).toBe(Math.floor((953.6 * 2 ** 20) / 2 / 176));
    expect(lineIndexMaxLines('2.0 GiB')).toBe(Math.floor(2 ** 31 / 2 / 176));
    expect(lineIndexMaxLines('512.0 KiB')).toBe(Math.floor((512 * 1024) / 2 / 176));
    // Unreadable: as for DuckDB's default of 1 GB.
    expect(lineIndexMaxLines('lots')).toBe(lineIndexMaxLines('1.0 GiB'));
  });
});
