// Imports real archives into real case files (DuckDB + SQLite in temp folders) and checks what lands.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import yazl from 'yazl';
import { afterEach, describe, expect, it } from 'vitest';
import { detectKind } from '../../src/archive/kinds.ts';
import { assignRecord, openArchive } from '../../src/archive/open.ts';
import { isRecordError, readRecords } from '../../src/archive/records.ts';
import { readCustody, verifyCustody } from '../../src/case/custody.ts';
import type { CaseHandle } from '../../src/case/store.ts';
import { generateDemoArchive, TAMPER_KINDS } from '../../src/demo/generator.ts';
import { importArchives } from '../../src/import/importer.ts';
import { nestedTypesAgree } from '../../src/import/parquet-sql.ts';
import type { ImportProgress } from '../../src/import/progress.ts';
import {
  EXAMPLE,
  PYTHON_LOGGER,
  copyExample,
  count,
  newCase,
  removeTempDirs,
  rows,
  rowsWithRaw,
  tableCounts,
  tempDir,
  toParquet,
} from './import-helpers.ts';

afterEach(removeTempDirs);

const EXAMPLE_COUNTS = { decisions: 60, lifecycle_events: 12, reviews: 24, outcomes: 19 };

async function zipFolder(dir: string, out: string): Promise<void> {
  const zip = new yazl.ZipFile();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else zip.addFile(p, `example/${path.relative(dir, p).split(path.sep).join('/')}`);
    }
  };
  walk(dir);
  zip.end();
  await new Promise<void>((resolve, reject) =>
    zip.outputStream.pipe(fs.createWriteStream(out)).on('close', resolve).on('error', reject),
  );
}

describe('import of the example archive', () => {
  it('loads every record with its typed members, chain members, file and exact line', async () => {
    const { handle } = await newCase();
    const progress: ImportProgress[] = [];
    const result = await importArchives(handle, [EXAMPLE], { onProgress: (p) => progress.push(p) });
    expect(result.status).toBe('done');
    expect(result.counts.records).toBe(115);
    expect(result.counts.byStream).toEqual({
      decisions: { kind: 'decision', records: 60 },
      lifecycle: { kind: 'lifecycle', records: 12 },
      reviews: { kind: 'review', records: 24 },
      outcomes: { kind: 'outcome', records: 19 },
    });
    expect(result.rejectsTotal).toBe(0);
    expect(await tableCounts(handle)).toEqual(EXAMPLE_COUNTS);

    // Every record: same file, line and text as the archive reader sees.
    const archive = await openArchive(EXAMPLE);
    try {
      for (const file of archive.files.filter((f) => f.role === 'data')) {
        const table = { decision: 'decisions', lifecycle: 'lifecycle_events', review: 'reviews', outcome: 'outcomes' }[
          file.kind!
        ];
        const stored = await rowsWithRaw(
          handle,
          `SELECT line, row, source_file_id, seq, hash FROM ${table} WHERE source_file = '${file.path}' ORDER BY line`,
        );
        const read: { line?: number; text?: string; value: Record<string, unknown> }[] = [];
        for await (const r of readRecords(archive, file)) if (!isRecordError(r)) read.push(r);
        expect(stored.map((s) => [s.line, s.raw, s.seq, s.hash])).toEqual(
          read.map((r) => [r.line, r.text, r.value.seq, r.value.hash]),
        );
      }
    } finally {
      await archive.close();
    }

    const [d] = await rows(
      handle,
      `SELECT stream, seq, prev_hash, trace_id, timestamp_text, timestamp::VARCHAR AS ts, model_id, confidence, human_review_required,
        input_features::VARCHAR AS features, prediction, explanation_ref, latency_ms, dialect, extra, import_id, line, row
       FROM decisions WHERE decision_id = 'd-00000000'`,
    );
    expect(d).toEqual({
      stream: 'decisions',
      seq: 0,
      prev_hash: '0'.repeat(64),
      trace_id: '512f26ada3c3d634ac3c6b12b7b33cb5',
      timestamp_text: '2026-03-01T00:00:00.886Z',
      ts: '2026-03-01 00:00:00.886+00',
      model_id: 'credit-limit-scorer',
      confidence: 0.6299,
      human_review_required: true,
      features: '{"group":"D","income":150000,"tenureYears":17.1,"hasPriorDefault":false,"region":"west","note":null}',
      prediction: 'approve',
      explanation_ref: null,
      latency_ms: 31.39,
      dialect: 'camelCase',
      extra: null,
      import_id: result.importId,
      line: 1,
      row: null,
    });
    const [o] = await rows(
      handle,
      `SELECT observed_at_text, observed_at::VARCHAR AS at, outcome, source FROM outcomes WHERE seq = 0`,
    );
    expect(o).toEqual({
      observed_at_text: '2026-03-31T00:47:46.609000Z',
      at: '2026-03-31 00:47:46.609+00',
      outcome: 'good',
      source: 'collections',
    });
    const [rv] = await rows(
      handle,
      `SELECT rationale::VARCHAR AS rationale, duration_ms, source_file FROM reviews WHERE seq = 0`,
    );
    expect(rv).toEqual({
      rationale: '{"code":"AGREE","text":"checked"}',
      duration_ms: 283930,
      source_file: 'reviews/2026-03-01.jsonl.gz',
    });

    // Chain of custody: every source file with its SHA-256, and an import entry in the log.
    const files = handle.sqlite
      .prepare('SELECT path, sha256, size, role FROM source_files WHERE import_id = ?')
      .all(result.importId) as {
      path: string;
      sha256: string;
      size: number;
      role: string;
    }[];
    expect(files.length).toBe(
      fs.readdirSync(EXAMPLE, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length,
    );
    for (const f of files) {
      const bytes = fs.readFileSync(path.join(EXAMPLE, f.path));
      expect(f.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(f.size).toBe(bytes.length);
    }
    expect(files.find((f) => f.path === 'checkpoints/decisions/2026-03-01.json')?.role).toBe('checkpoint');
    const custody = readCustody(handle.sqlite);
    expect(custody.map((e) => e.action)).toEqual(['case.created', 'import.done']);
    expect(verifyCustody(custody)).toEqual([]);
    const logged = (custody[1].details.files as { path: string; sha256: string }[]).find(
      (f) => f.path === 'decisions/2026-03-01.jsonl',
    );
    expect(logged?.sha256).toBe(files.find((f) => f.path === 'decisions/2026-03-01.jsonl')?.sha256);

    // Progress: bytes only go up, and the last event says done with every byte.
    expect(progress.at(-1)).toMatchObject({ phase: 'done', recordsDone: 115 });
    expect(progress.at(-1)!.bytesDone).toBe(progress.at(-1)!.bytesTotal);
    for (let i = 1; i < progress.length; i++)
      expect(progress[i].bytesDone).toBeGreaterThanOrEqual(progress[i - 1].bytesDone);
    await handle.close();
  });

  it('skips a re-import of the same files (same SHA-256) unless forced', async () => {
    const { handle } = await newCase();
    await importArchives(handle, [EXAMPLE]);
    const again = await importArchives(handle, [EXAMPLE]);
    expect(again.status).toBe('done');
    expect(again.counts.records).toBe(0);
    expect(again.counts.skippedFiles).toBe(9);
    expect(again.files.find((f) => f.path === 'decisions/2026-03-01.jsonl')?.skipped).toMatch(
      /already imported by import #1/,
    );
    expect(await tableCounts(handle)).toEqual(EXAMPLE_COUNTS);
    const forced = await importArchives(handle, [EXAMPLE], { force: true });
    expect(forced.counts.records).toBe(115);
    expect(await count(handle, 'decisions')).toBe(120);
    // Every decisionId now occurs twice: noted (with file and line), not rejected.
    expect(forced.counts.noted).toBe(60 + 12 + 24);
    expect(forced.rejects[0]).toMatchObject({ disposition: 'noted', file: 'decisions/2026-03-01.jsonl', line: 1 });
    expect(forced.rejects[0].reason).toMatch(
      /^duplicate decisionId d-00000000, first seen at decisions\/2026-03-01.jsonl:1 \(import #1\)/,
    );
    await handle.close();
  });

  it('imports the example as a .zip, recording the .zip itself with its SHA-256', async () => {
    const zip = path.join(tempDir(), 'example.zip');
    await zipFolder(EXAMPLE, zip);
    const { handle } = await newCase();
    const result = await importArchives(handle, [zip]);
    expect(result.status).toBe('done');
    expect(await tableCounts(handle)).toEqual(EXAMPLE_COUNTS);
    const container = result.files.find((f) => f.role === 'container');
    expect(container).toMatchObject({
      path: 'example.zip',
      sha256: createHash('sha256').update(fs.readFileSync(zip)).digest('hex'),
    });
    await handle.close();
  });

  it('imports a Parquet copy written by DuckDB with row numbers, and marks rows whose types cannot reproduce JSON', async () => {
    const dir = copyExample();
    await toParquet(dir);
    const { handle } = await newCase();
    const result = await importArchives(handle, [dir]);
    expect(result.status).toBe('done');
    expect(result.rejectsTotal).toBe(0);
    expect(await tableCounts(handle)).toEqual(EXAMPLE_COUNTS);
    const [d] = await rows(
      handle,
      `SELECT line, row, source_file, unverifiable, timestamp_text, confidence, hash FROM decisions WHERE seq = 31`,
    );
    expect(d).toMatchObject({
      line: null,
      row: 2,
      source_file: 'decisions/2026-03-02.parquet',
      unverifiable: null,
      timestamp_text: '2026-03-02T00:47:46.098Z',
    });
    const [raw] = await rowsWithRaw(handle, `SELECT source_file_id, line, row FROM decisions WHERE seq = 0`);
    expect(JSON.parse(String(raw.raw))).toMatchObject({ decisionId: 'd-00000000', seq: 0, confidence: 0.6299 });
    await handle.close();

    // Timestamps auto-detected by DuckDB become TIMESTAMP columns: such rows are imported but unverifiable.
    const typed = copyExample();
    await toParquet(typed, { keepTimestampStrings: false });
    const second = await newCase('Typed');
    await importArchives(second.handle, [typed]);
    const [u] = await rows(second.handle, `SELECT unverifiable FROM decisions WHERE seq = 0`);
    expect(String(u.unverifiable)).toMatch(/member "timestamp" is stored as TIMESTAMP/);
    await second.handle.close();
  });

  it('imports the snake_case / epoch-seconds output of a Python logger', async () => {
    const { handle } = await newCase();
    const result = await importArchives(handle, [PYTHON_LOGGER]);
    expect(result.status).toBe('done');
    expect(result.counts.byStream).toEqual({ decisions: { kind: 'decision', records: 40 } });
    const [d] = await rows(
      handle,
      `SELECT decision_id, trace_id, model_id, risk_tier, human_review_required, timestamp_text, timestamp::VARCHAR AS ts, latency_ms,
        explanation_ref, dialect, seq, line FROM decisions ORDER BY line LIMIT 1`,
    );
    expect(d).toEqual({
      decision_id: '43401f27bde71370fd1f5a2d',
      trace_id: 'ea7b5bf55eb561a4216363698b529b4a',
      model_id: 'fraud-detector',
      risk_tier: 'high',
      human_review_required: true,
      timestamp_text: '1795458349.4666188',
      ts: '2026-11-23 18:25:49.466619+00',
      latency_ms: 56.48,
      explanation_ref: 'shap-0',
      dialect: 'snake_case',
      seq: null,
      line: 1,
    });
    expect(await rows(handle, `SELECT DISTINCT prediction FROM decisions WHERE prediction LIKE '{%' LIMIT 1`)).toEqual([
      { prediction: '{"reply_template":"T3"}' },
    ]);
    await handle.close();
  });

  it('keeps unknown members in extra, never drops them', async () => {
    const dir = tempDir();
    const f = path.join(dir, 'd.jsonl');
    fs.writeFileSync(
      f,
      [
        '{"decisionId":"a","modelId":"m","prediction":"x","customerSegment":"gold","scores":[1,null,{"z":2}],"note":null}',
        '{"decisionId":"b","modelId":"m","prediction":"y"}',
        '{"decision_id":"c","model_id":"m","prediction":"z","decisionId":"c2"}',
      ].join('\n'),
    );
    const { handle } = await newCase();
    const result = await importArchives(handle, [f]);
    expect(result.status).toBe('done');
    const got = await rows(handle, `SELECT decision_id, extra::VARCHAR AS extra, dialect FROM decisions ORDER BY line`);
    expect(got).toEqual([
      {
        decision_id: 'a',
        extra: '{"customerSegment":"gold","scores":[1,null,{"z":2}],"note":null}',
        dialect: 'camelCase',
      },
      { decision_id: 'b', extra: null, dialect: 'camelCase' },
      { decision_id: 'c2', extra: null, dialect: 'mixed' },
    ]);
    await handle.close();
  });
});

describe('kind and stream of each record, as the archive reader assigns them', () => {
  // No descriptor: kinds come from content. A member written null is absent (the hash rule drops it,
  // and a null Parquet value is an absent member), so these records are told apart without it.
  const records = [
    { decisionId: 'd1', modelId: 'm', prediction: 'approve', confidence: 0.5 },
    { decisionId: 'd1', modelId: null, outcome: 'repaid', source: 'ledger' },
    { eventId: 'e1', eventType: null, modelId: 'm', actor: 'ops' },
    { decisionId: 'd2', model_id: null, modelId: 'm', prediction: null, prediction_label: 'x' },
  ];

  it('detectKind treats a member written null as absent', () => {
    expect(records.map((r) => detectKind(r))).toEqual(['decision', 'outcome', 'lifecycle', 'decision']);
    expect(detectKind({ decisionId: 'd', modelId: null, prediction: null })).toBeUndefined();
    expect(detectKind({ event_type: 'deployed', eventType: null, eventId: 'e' })).toBe('lifecycle');
  });

  it("imports JSONL and its Parquet copy into the same kinds, and honours each record's stream member", async () => {
    const dir = tempDir();
    const lines = [
      ...records.map((r) => JSON.stringify(r)),
      JSON.stringify({ decisionId: 'd3', modelId: 'm', prediction: 'deny', stream: 'shadow' }),
    ];
    fs.writeFileSync(path.join(dir, 'mixed.jsonl'), `${lines.join('\n')}\n`);
    const archive = await openArchive(path.join(dir, 'mixed.jsonl'));
    const expected: [string, string | undefined, string | undefined][] = [];
    try {
      for (const file of archive.files.filter((f) => f.role === 'data'))
        for await (const r of readRecords(archive, file)) {
          if (isRecordError(r)) continue;
          const { kind, stream } = assignRecord(archive, file, r.value);
          expected.push([String(r.line), kind, stream]);
        }
    } finally {
      await archive.close();
    }
    expect(expected.map((e) => e[1])).toEqual(['decision', 'outcome', 'lifecycle', 'decision', 'decision']);
    expect(expected[4][2]).toBe('shadow');

    const stored = async (handle: CaseHandle, pos: 'line' | 'row') =>
      (
        await rows(
          handle,
          `SELECT ${pos}::VARCHAR AS p, 'decision' AS kind, stream FROM decisions
           UNION ALL SELECT ${pos}::VARCHAR, 'outcome', stream FROM outcomes
           UNION ALL SELECT ${pos}::VARCHAR, 'lifecycle', stream FROM lifecycle_events
           UNION ALL SELECT ${pos}::VARCHAR, 'review', stream FROM reviews ORDER BY 1`,
        )
      ).map((r) => [r.p, r.kind, r.stream]);
    const jsonl = await newCase('JSONL');
    const r1 = await importArchives(jsonl.handle, [path.join(dir, 'mixed.jsonl')]);
    expect(r1.status).toBe('done');
    expect(r1.rejectsTotal).toBe(0);
    expect(await stored(jsonl.handle, 'line')).toEqual(expected);
    await jsonl.handle.close();

    // The Parquet copy: DuckDB writes a column for every member, null where a record lacks it.
    const pqDir = tempDir();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    await con.run(
      `COPY (SELECT * FROM read_json('${path.join(dir, 'mixed.jsonl')}')) TO '${path.join(pqDir, 'mixed.parquet')}' (FORMAT parquet)`,
    );
    con.closeSync();
    inst.closeSync();
    const parquet = await newCase('Parquet');
    const r2 = await importArchives(parquet.handle, [path.join(pqDir, 'mixed.parquet')]);
    expect(r2.status).toBe('done');
    expect(r2.rejectsTotal).toBe(0);
    expect(await stored(parquet.handle, 'row')).toEqual(expected);
    await parquet.handle.close();
  });
});

describe('Parquet files whose nested columns differ', () => {
  it('tells struct types that differ only in field order and presence from conflicting ones', () => {
    expect(nestedTypesAgree('STRUCT(b BIGINT, a VARCHAR)', 'STRUCT(a VARCHAR, c BOOLEAN)')).toBe(true);
    expect(nestedTypesAgree('STRUCT(p JSON, c DOUBLE)[]', 'STRUCT(c DOUBLE, p JSON)[]')).toBe(true);
    expect(nestedTypesAgree('STRUCT(t TIMESTAMP WITH TIME ZONE, "group" VARCHAR)', 'STRUCT("group" VARCHAR)')).toBe(
      true,
    );
    expect(nestedTypesAgree('STRUCT(b BIGINT)', 'STRUCT(b VARCHAR)')).toBe(false);
    expect(nestedTypesAgree('STRUCT(a STRUCT(x BIGINT))', 'STRUCT(a STRUCT(x DOUBLE))')).toBe(false);
    expect(nestedTypesAgree('MAP(VARCHAR, BIGINT)', 'MAP(VARCHAR, DOUBLE)')).toBe(false);
    expect(nestedTypesAgree('VARCHAR', 'VARCHAR[]')).toBe(false);
  });

  it('imports them with every value as the file holds it, conflicting field types kept apart', async () => {
    const dir = tempDir();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const write = (name: string, select: string) =>
      con.run(`COPY (${select}) TO '${path.join(dir, name)}' (FORMAT parquet)`);
    await write(
      'a.parquet',
      `SELECT 'd1' AS decisionId, 'm' AS modelId, 'x' AS prediction, {'b': 1, 'a': 'p'} AS inputFeatures`,
    );
    await write(
      'b.parquet',
      `SELECT 'd2' AS decisionId, 'm' AS modelId, 'y' AS prediction, {'a': 'q', 'c': true} AS inputFeatures`,
    );
    await write(
      'c.parquet',
      `SELECT 'd3' AS decisionId, 'm' AS modelId, 'z' AS prediction, {'b': 'text'} AS inputFeatures`,
    );
    con.closeSync();
    inst.closeSync();
    const { handle } = await newCase();
    const result = await importArchives(handle, [dir]);
    expect(result.status).toBe('done');
    expect(result.rejectsTotal).toBe(0);
    const got = await rowsWithRaw(
      handle,
      `SELECT decision_id, input_features::VARCHAR AS f, source_file_id, line, row FROM decisions ORDER BY decision_id`,
    );
    // a and b are read together: b's struct gains a's field as null (the hash rule drops null members).
    expect(got.map((r) => [r.decision_id, JSON.parse(String(r.f)), r.row])).toEqual([
      ['d1', { b: 1, a: 'p', c: null }, 1],
      ['d2', { b: null, a: 'q', c: true }, 1],
      ['d3', { b: 'text' }, 1],
    ]);
    expect(JSON.parse(String(got[2].raw))).toMatchObject({ decisionId: 'd3', inputFeatures: { b: 'text' } });
    await handle.close();
  });
});

describe('import of demo archives', () => {
  it('imports the demo archive and every tamper variant, with the counts the generator reports', async () => {
    const { handle } = await newCase();
    let expectedDecisions = 0;
    for (const tamper of [undefined, ...TAMPER_KINDS]) {
      const out = path.join(tempDir('demo-'), 'archive');
      const summary = await generateDemoArchive({ out, decisions: 120, days: 2, seed: 7, tamper });
      const result = await importArchives(handle, [out], { force: true });
      expect(result.status, `${tamper}: ${result.error}`).toBe('done');
      expect(result.counts.rejected, `${tamper}`).toBe(0);
      for (const s of summary.streams) {
        const got = result.counts.byStream[s.name]?.records ?? 0;
        // 'deleted' / 'inserted' change the stored records by one on purpose.
        const delta =
          tamper === 'deleted' && got === s.records - 1 ? -1 : tamper === 'inserted' && got === s.records + 1 ? 1 : 0;
        expect(got, `${tamper ?? 'intact'} ${s.name}`).toBe(s.records + delta);
      }
      expectedDecisions += result.counts.byKind.decision ?? 0;
    }
    expect(await count(handle, 'decisions')).toBe(expectedDecisions);
    await handle.close();
  });
});
