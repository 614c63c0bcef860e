// A Parquet file whose schema nests deeper than DuckDB can read: DuckDB fails with an internal error that
// invalidates the whole database (before the fix: the case's evidence.duckdb could not be used again until
// the process restarted). Found 2026-11-24; the schema's depth is now read from the footer first.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArchive } from '../../src/archive/open.ts';
import { MAX_JSON_DEPTH } from '../../src/archive/jsontext.ts';
import { MAX_PARQUET_SCHEMA_DEPTH, parquetSchemaDepth } from '../../src/archive/parquet.ts';
import { importArchives } from '../../src/import/importer.ts';
import { verifyArchives } from '../../src/verify/engine.ts';
import { count, newCase, removeTempDirs, tempDir } from './import-helpers.ts';

let dir: string;
const files: Record<string, string> = {};

/** A decisions file whose inputFeatures nests `depth` structs deep. */
async function nestedParquet(con: Awaited<ReturnType<DuckDBInstance['connect']>>, name: string, depth: number) {
  let v = '1';
  for (let i = 0; i < depth; i++) v = `{'a': ${v}}`;
  const file = path.join(dir, 'decisions', name);
  await con.run(
    `COPY (SELECT '${name}' AS decisionId, 'm' AS modelId, 'approve' AS prediction, 0.5 AS confidence, '2026-03-01T00:00:00Z' AS timestamp, ${v} AS inputFeatures) TO '${file}' (FORMAT parquet)`,
  );
  files[name] = file;
}

/** JSON text nested `d` arrays deep. */
const nest = (d: number) => '['.repeat(d) + ']'.repeat(d);

/** An archive folder holding one decisions file, `decisions/NAME`, with the rows of `select`. */
async function parquetArchive(name: string, select: string): Promise<string> {
  const archive = tempDir('parquet-json-depth-');
  fs.mkdirSync(path.join(archive, 'decisions'));
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    await con.run(`COPY (${select}) TO '${path.join(archive, 'decisions', name)}' (FORMAT parquet)`);
  } finally {
    con.closeSync();
    inst.closeSync();
  }
  return archive;
}

beforeAll(async () => {
  dir = tempDir('parquet-depth-');
  fs.mkdirSync(path.join(dir, 'decisions'));
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    await nestedParquet(con, 'deep.parquet', 300);
    await nestedParquet(con, 'edge.parquet', MAX_PARQUET_SCHEMA_DEPTH - 1);
    await nestedParquet(con, 'plain.parquet', 2);
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}, 60_000);

afterAll(removeTempDirs);

describe('a Parquet schema nested too deep', () => {
  it('is measured from the footer: the root, then one level per nested element', async () => {
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    try {
      // decisionId ... inputFeatures: the struct levels, then the leaf.
      expect(await parquetSchemaDepth(con, files['plain.parquet'])).toBe(3);
      expect(await parquetSchemaDepth(con, files['edge.parquet'])).toBe(MAX_PARQUET_SCHEMA_DEPTH);
      expect(await parquetSchemaDepth(con, files['deep.parquet'])).toBe(301);
      expect((await con.runAndReadAll('SELECT 42')).getRowsJS()).toEqual([[42]]);
    } finally {
      con.closeSync();
      inst.closeSync();
    }
  });

  it('is one reject at import, and the case database stays usable for the other files and later imports', async () => {
    const { handle } = await newCase();
    try {
      const result = await importArchives(handle, [dir]);
      expect(result.status).toBe('done');
      expect(result.rejects.map((r) => [r.file, r.reason])).toEqual([
        [
          'decisions/deep.parquet',
          `not a readable Parquet file (its schema nests 301 levels deep, more than the ${MAX_PARQUET_SCHEMA_DEPTH} that can be read: a record may nest at most 256 levels)`,
        ],
      ]);
      expect(await count(handle, 'decisions')).toBe(2);
      const again = await importArchives(handle, [files['plain.parquet']], { force: true });
      expect(again.status).toBe('done');
      expect(await count(handle, 'decisions')).toBe(3);
    } finally {
      await handle.close();
    }
  });

  it('is a record-format failure naming the file in verification, and the reader goes on to the next archive', async () => {
    const archive = await openArchive(dir);
    let report;
    try {
      report = await verifyArchives([archive], {});
    } finally {
      await archive.close();
    }
    const failures = report.findings.filter((f) => f.status === 'fail');
    expect(failures.map((f) => [f.check, f.file])).toContainEqual(['record-format', 'decisions/deep.parquet']);
    expect(failures.find((f) => f.file === 'decisions/deep.parquet')?.message).toMatch(/nests 301 levels deep/);
    // The reader's DuckDB still works: the two readable files were read, and another archive is too.
    const second = await openArchive(files['plain.parquet']);
    try {
      expect((await verifyArchives([second], {})).findings.filter((f) => f.check === 'record-format')).toEqual([]);
    } finally {
      await second.close();
    }
  });
});

// A JSON column's text is embedded in the record as it is: text nested deeper than the reader accepts was
// loaded (the import warned only when it was among the first rows the planner peeks at), and the record
// then failed wherever it was shown. Found 2026-11-24; such a row is now a reject at its row.
describe('a Parquet JSON column holding text nested too deep', () => {
  it("rejects that row with the reader's words and loads the others, the one at the limit included", async () => {
    const rows = [nest(2), nest(MAX_JSON_DEPTH + 1), nest(MAX_JSON_DEPTH), '{"a": "[[[["}']
      .map(
        (j, i) =>
          `SELECT 'j${i}' AS decisionId, 'm' AS modelId, 'approve' AS prediction, '2026-03-01T00:00:00Z' AS timestamp, '${j}'::JSON AS inputFeatures`,
      )
      .join(' UNION ALL ');
    // Filler rows first, so the deep one is past what the planner peeks at.
    const jsonDir = await parquetArchive(
      'j.parquet',
      `SELECT * FROM (SELECT 'f' || i AS decisionId, 'm' AS modelId, 'approve' AS prediction, '2026-03-01T00:00:00Z' AS timestamp, '{}'::JSON AS inputFeatures FROM range(30) t(i) UNION ALL ${rows})`,
    );
    const { handle } = await newCase();
    try {
      const result = await importArchives(handle, [jsonDir]);
      expect(result.status).toBe('done');
      expect(result.rejects.map((r) => [r.file, r.row, r.reason])).toEqual([
        [
          'decisions/j.parquet',
          32,
          `member "inputFeatures" is a JSON column holding text that is not valid JSON: nested deeper than ${MAX_JSON_DEPTH} levels`,
        ],
      ]);
      expect(await count(handle, 'decisions')).toBe(33);
      const kept = await handle.duck.runAndReadAll(
        "SELECT decision_id, strlen(input_features::VARCHAR) FROM decisions WHERE decision_id LIKE 'j%' ORDER BY 1",
      );
      expect(kept.getRowsJS()).toEqual([
        ['j0', 4n],
        ['j2', BigInt(2 * MAX_JSON_DEPTH)],
        ['j3', 13n],
      ]);
    } finally {
      await handle.close();
    }
  });
});

// The same text one level down: a JSON field inside a struct, and JSON values inside a list.
describe('a JSON value inside a Parquet struct or list holding text nested too deep', () => {
  it("rejects that row with the reader's words and loads the others, the one at the limit included", async () => {
    const row = (id: string, inStruct: string, inList: string) =>
      `SELECT '${id}' AS decisionId, 'm' AS modelId, 'approve' AS prediction, '2026-03-01T00:00:00Z' AS timestamp, {'note': 'x', 'raw': '${inStruct}'::JSON} AS inputFeatures, ['{}'::JSON, '${inList}'::JSON] AS contextData`;
    const rows = [
      row('ok', nest(2), nest(2)),
      row('struct-deep', nest(MAX_JSON_DEPTH + 1), nest(2)),
      row('list-deep', nest(2), nest(MAX_JSON_DEPTH + 1)),
      row('edge', nest(MAX_JSON_DEPTH), nest(MAX_JSON_DEPTH)),
    ].join(' UNION ALL ');
    const jsonDir = await parquetArchive(
      'n.parquet',
      `SELECT * FROM (${row('f', '{}', '{}').replace("'f' AS", "'f' || i AS")} FROM range(30) t(i) UNION ALL ${rows})`,
    );
    const { handle } = await newCase();
    try {
      const result = await importArchives(handle, [jsonDir]);
      expect(result.status).toBe('done');
      expect(result.rejects.map((r) => [r.file, r.row, r.reason])).toEqual([
        [
          'decisions/n.parquet',
          32,
          `member "inputFeatures.raw" is a JSON column holding text that is not valid JSON: nested deeper than ${MAX_JSON_DEPTH} levels`,
        ],
        [
          'decisions/n.parquet',
          33,
          `member "contextData[1]" is a JSON column holding text that is not valid JSON: nested deeper than ${MAX_JSON_DEPTH} levels`,
        ],
      ]);
      expect(await count(handle, 'decisions')).toBe(32);
    } finally {
      await handle.close();
    }
  });
});
