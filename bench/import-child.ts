/**
 * One measured import run in a process of its own (so its peak RSS is its own):
 *   node bin/run-ts.mjs bench/import-child.ts ours|bare|bare-raw ARCHIVE_DIR [TMP_DIR]
 *   node bin/run-ts.mjs bench/import-child.ts lookup CASE_DIR
 *
 * `ours` imports the archive into a new case in a temporary workspace (under TMP_DIR, default the OS
 * temporary folder; removed afterwards), as `audit-ws import` does: importArchives, then the query
 * module's lookup tables (buildLookups). Then the case is reopened read-only, as the CLI and the app
 * open it for queries, and the point lookups users get are timed: `search` by decisionId and by traceId
 * (the first, cold, run and the median of five warm runs each).
 *
 * `bare` is DuckDB's own CREATE TABLE AS SELECT * FROM read_json / read_parquet over the same data files
 * (one table per stream), the baseline. `bare-raw` (Parquet) is the same plus the JSON rendering of
 * every row that our `raw` column keeps: the least any import that keeps it can cost.
 *
 * `lookup CASE_DIR` times only those lookups, on an existing case (opened read-only, never changed).
 *
 * Prints one JSON line: {records, seconds, peakRssMb, ...}. For `ours`, `peakRssMb` is the peak of the
 * import itself; `lookupsPeakRssMb` the peak once the lookup tables are built too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { openArchive } from '../src/archive/open.ts';
import { CaseHandle } from '../src/case/store.ts';
import { Workspace } from '../src/case/workspace.ts';
import { importArchives } from '../src/import/importer.ts';
import { queryContext } from '../src/query/context.ts';
import { buildLookups } from '../src/query/lookups.ts';
import { search } from '../src/query/search.ts';

const [mode, dir, tmp] = process.argv.slice(2);
const work = mkdtempSync(path.join(tmp ?? os.tmpdir(), 'audit-ws-bench-import-'));
const threads = Number(process.env.AUDIT_WS_DUCKDB_THREADS) || Math.min(4, os.cpus().length || 1);
const rssMb = (): number => process.resourceUsage().maxRSS / 1024;

function sqlList(paths: string[]): string {
  return `[${paths.map((p) => `'${p.replace(/'/g, "''")}'`).join(', ')}]`;
}

/** Cold time and the median of five warm runs of `fn`, in ms. */
async function timed(fn: () => Promise<unknown>): Promise<{ coldMs: number; ms: number }> {
  let t = performance.now();
  await fn();
  const coldMs = performance.now() - t;
  const runs: number[] = [];
  for (let k = 0; k < 5; k++) {
    t = performance.now();
    await fn();
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  return { coldMs, ms: runs[2] };
}

async function bare(withRaw: boolean): Promise<void> {
  const archive = await openArchive(dir);
  const byStream = new Map<string, string[]>();
  for (const f of archive.files.filter((x) => x.role === 'data')) {
    const list = byStream.get(f.stream ?? 'unknown') ?? [];
    list.push(f.absPath);
    byStream.set(f.stream ?? 'unknown', list);
  }
  await archive.close();
  // DuckDB as it comes, with the case's thread count (the baseline of the earlier figures too).
  const inst = await DuckDBInstance.create(path.join(work, 'bare.duckdb'), { threads: String(threads) });
  const con = await inst.connect();
  const started = performance.now();
  let records = 0;
  let i = 0;
  for (const files of byStream.values()) {
    const table = `t${i++}`;
    // read_json as it comes; read_parquet needs union_by_name, since the daily files of a stream do
    // not all have the same columns (a member absent all day has no column).
    const source = files[0].endsWith('.parquet')
      ? `read_parquet(${sqlList(files)}, union_by_name = true)`
      : `read_json(${sqlList(files)})`;
    const select = withRaw ? `*, to_json(struct_pack(*COLUMNS(*)))::VARCHAR AS raw` : '*';
    await con.run(`CREATE TABLE ${table} AS SELECT ${select} FROM ${source}`);
    records += Number((await con.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRowsJS()[0][0]);
  }
  await con.run('CHECKPOINT');
  const seconds = (performance.now() - started) / 1000;
  con.closeSync();
  inst.closeSync();
  process.stdout.write(`${JSON.stringify({ records, seconds, peakRssMb: rssMb() })}\n`);
}

/** The lookups users get: `search` by decisionId and by traceId, on the case open read-only. */
async function measureLookups(caseDir: string): Promise<Record<string, number>> {
  const h = await CaseHandle.open(caseDir, { mode: 'read' });
  try {
    const [[decisionId, traceId]] = (
      await h.duck.runAndReadAll(
        `SELECT decision_id, trace_id FROM decisions WHERE decision_id IS NOT NULL AND trace_id IS NOT NULL
         LIMIT 1 OFFSET (SELECT count(*) * 77 // 100 FROM decisions WHERE decision_id IS NOT NULL AND trace_id IS NOT NULL)`,
      )
    ).getRowsJS();
    const byDecision = await timed(async () => {
      const r = await search(await queryContext(h), { decisionId: String(decisionId), facets: [] });
      if (r.total < 1) throw new Error(`search found no decision ${String(decisionId)}`);
    });
    const byTrace = await timed(async () => {
      const r = await search(await queryContext(h), { traceId: String(traceId), facets: [] });
      if (r.total < 1) throw new Error(`search found no trace ${String(traceId)}`);
    });
    return {
      lookupMs: Math.max(byDecision.ms, byTrace.ms),
      lookupDecisionMs: byDecision.ms,
      lookupTraceMs: byTrace.ms,
      lookupColdMs: Math.max(byDecision.coldMs, byTrace.coldMs),
    };
  } finally {
    await h.close();
  }
}

async function ours(): Promise<void> {
  const ws = new Workspace(work);
  const handle = await ws.create('bench', { actor: 'bench' });
  const caseDir = handle.dir;
  const started = performance.now();
  const result = await importArchives(handle, [dir]);
  const checkpointStarted = performance.now();
  await handle.duck.run('CHECKPOINT');
  if (process.env.AUDIT_WS_DEBUG)
    process.stderr.write(
      `[bench] import ${Math.round(checkpointStarted - started)} ms, CHECKPOINT ${Math.round(performance.now() - checkpointStarted)} ms\n`,
    );
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 'done') throw new Error(`import ${result.status}: ${result.error}`);
  const peakRssMb = rssMb();
  const lookupsStarted = performance.now();
  await buildLookups(handle.duck);
  const lookupsSeconds = (performance.now() - lookupsStarted) / 1000;
  const lookupsPeakRssMb = rssMb();
  await handle.close();
  const lookups = await measureLookups(caseDir);
  process.stdout.write(
    `${JSON.stringify({ records: result.counts.records, seconds, peakRssMb, lookupsSeconds, lookupsPeakRssMb, ...lookups })}\n`,
  );
}

try {
  if (mode === 'bare' || mode === 'bare-raw') await bare(mode === 'bare-raw');
  else if (mode === 'ours') await ours();
  else if (mode === 'lookup') {
    // `dir` is a case folder (opened read-only, never changed): its lookups only.
    const h = await CaseHandle.open(dir, { mode: 'read' });
    let records: number;
    try {
      records = Number((await h.duck.runAndReadAll('SELECT count(*) FROM decisions')).getRowsJS()[0][0]);
    } finally {
      await h.close();
    }
    process.stdout.write(`${JSON.stringify({ records, seconds: 0, peakRssMb: 0, ...(await measureLookups(dir)) })}\n`);
  } else throw new Error(`mode must be ours, bare, bare-raw or lookup, not ${mode}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
