/**
 * One measured import run in a process of its own (so its peak RSS is its own):
 *   node bin/run-ts.mjs bench/import-child.ts ours|bare ARCHIVE_DIR
 * `ours` imports the archive into a new case; `bare` is DuckDB's own CREATE TABLE AS SELECT * FROM
 * read_json / read_parquet over the same data files (one table per stream), the baseline. Prints one
 * JSON line: {records, seconds, peakRssMb, lookupMs?}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { openArchive } from '../src/archive/open.ts';
import { Workspace } from '../src/case/workspace.ts';
import { importArchives } from '../src/import/importer.ts';

const [mode, dir] = process.argv.slice(2);
const work = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-bench-import-'));
const threads = Number(process.env.AUDIT_WS_DUCKDB_THREADS) || Math.min(4, os.cpus().length || 1);

function sqlList(paths: string[]): string {
  return `[${paths.map((p) => `'${p.replace(/'/g, "''")}'`).join(', ')}]`;
}

try {
  if (mode === 'bare') {
    const archive = await openArchive(dir);
    const byStream = new Map<string, string[]>();
    for (const f of archive.files.filter((x) => x.role === 'data')) {
      const list = byStream.get(f.stream ?? 'unknown') ?? [];
      list.push(f.absPath);
      byStream.set(f.stream ?? 'unknown', list);
    }
    await archive.close();
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
      await con.run(`CREATE TABLE ${table} AS SELECT * FROM ${source}`);
      records += Number((await con.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRowsJS()[0][0]);
    }
    await con.run('CHECKPOINT');
    const seconds = (performance.now() - started) / 1000;
    con.closeSync();
    inst.closeSync();
    process.stdout.write(`${JSON.stringify({ records, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
  } else {
    const ws = new Workspace(work);
    const handle = await ws.create('bench', { actor: 'bench' });
    const started = performance.now();
    const result = await importArchives(handle, [dir]);
    await handle.duck.run('CHECKPOINT');
    const seconds = (performance.now() - started) / 1000;
    if (result.status !== 'done') throw new Error(`import ${result.status}: ${result.error}`);
    // A point lookup by decisionId on the evidence table as imported (no lookup tables built).
    const id = (
      await handle.duck.runAndReadAll('SELECT decision_id FROM decisions USING SAMPLE 1 ROWS')
    ).getRowsJS()[0][0];
    const times: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t = performance.now();
      await handle.duck.runAndReadAll(`SELECT * FROM decisions WHERE decision_id = '${String(id)}'`);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    await handle.close();
    process.stdout.write(
      `${JSON.stringify({ records: result.counts.records, seconds, peakRssMb: process.resourceUsage().maxRSS / 1024, lookupMs: times[2] })}\n`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
