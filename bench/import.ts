/**
 * import: the demo archive (1,000,000 decisions by default, with their reviews, outcomes and lifecycle
 * events) imported as JSONL and as Parquet (ZSTD), each against DuckDB's bare CREATE TABLE AS SELECT *
 * FROM read_json / read_parquet over the same files in the same run. Each run is a process of its own
 * (bench/import-child.ts). Targets (docs/import.md): ours within 1.3x of bare for both formats.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateDemoArchive } from '../src/demo/generator.ts';
import type { BenchEntry } from './types.ts';

interface ChildResult {
  records: number;
  seconds: number;
  peakRssMb: number;
  lookupMs?: number;
}

function runChild(mode: 'ours' | 'bare', dir: string): ChildResult {
  const out = execFileSync(process.execPath, ['bin/run-ts.mjs', 'bench/import-child.ts', mode, dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** The archive with every JSONL data file rewritten as Parquet with ZSTD (timestamps kept as strings). */
async function parquetCopy(src: string, dst: string, log: (s: string) => void): Promise<void> {
  if (existsSync(join(dst, 'archive.json'))) return;
  log(`writing a Parquet (ZSTD) copy into ${dst} ...`);
  rmSync(dst, { recursive: true, force: true });
  const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
  const con = await inst.connect();
  for (const file of walk(src)) {
    const rel = relative(src, file);
    const out = join(dst, rel);
    mkdirSync(join(out, '..'), { recursive: true });
    if (/\.jsonl(\.gz)?$/.test(file) && !rel.startsWith('manifest')) {
      const pq = out.replace(/\.jsonl(\.gz)?$/, '.parquet');
      await con.run(
        `COPY (SELECT * FROM read_json('${file}', timestampformat='x', dateformat='x')) TO '${pq}' (FORMAT parquet, COMPRESSION zstd)`,
      );
    } else if (rel !== 'archive.json') cpSync(file, out);
  }
  // The descriptor last: its presence marks the copy complete. Its `files` lists name .jsonl paths, so
  // it is copied without them (streams are then found by folder).
  const descriptor = JSON.parse((await import('node:fs')).readFileSync(join(src, 'archive.json'), 'utf8'));
  for (const s of descriptor.streams ?? []) delete s.files;
  (await import('node:fs')).writeFileSync(join(dst, 'archive.json'), JSON.stringify(descriptor, null, 2));
  con.closeSync();
  inst.closeSync();
}

function bytesOf(dir: string, pattern: RegExp): number {
  return walk(dir)
    .filter((f) => pattern.test(f))
    .reduce((a, f) => a + statSync(f).size, 0);
}

export async function benchImport(records: number, log: (s: string) => void): Promise<BenchEntry[]> {
  // The same archive the verify benchmark generates, so one run of `npm run bench` makes it once.
  const dir = join(tmpdir(), `audit-ws-bench-verify-${records}`);
  if (!existsSync(join(dir, 'archive.json'))) {
    mkdirSync(dir, { recursive: true });
    log(`generating ${records} decisions into ${dir} ...`);
    await generateDemoArchive({ out: dir, decisions: records, days: 14, seed: 7 });
  }
  const parquetDir = join(tmpdir(), `audit-ws-bench-import-parquet-${records}`);
  await parquetCopy(dir, parquetDir, log);
  log(
    `JSONL data: ${(bytesOf(dir, /\.jsonl(\.gz)?$/) / 1e6).toFixed(0)} MB; Parquet data: ${(bytesOf(parquetDir, /\.parquet$/) / 1e6).toFixed(0)} MB`,
  );

  const bareJsonl = runChild('bare', dir);
  log(`bare read_json: ${bareJsonl.records} records in ${bareJsonl.seconds.toFixed(2)} s`);
  const jsonl = runChild('ours', dir);
  const jsonlRate = jsonl.records / jsonl.seconds;
  log(
    `ours JSONL: ${jsonl.records} records in ${jsonl.seconds.toFixed(2)} s (${Math.round(jsonlRate)} records/s), peak RSS ${jsonl.peakRssMb.toFixed(0)} MB, lookup ${jsonl.lookupMs?.toFixed(1)} ms`,
  );
  const bareParquet = runChild('bare', parquetDir);
  log(`bare read_parquet: ${bareParquet.records} records in ${bareParquet.seconds.toFixed(2)} s`);
  const parquet = runChild('ours', parquetDir);
  log(
    `ours Parquet: ${parquet.records} records in ${parquet.seconds.toFixed(2)} s, peak RSS ${parquet.peakRssMb.toFixed(0)} MB`,
  );
  const jsonlRatio = jsonl.seconds / bareJsonl.seconds;
  const parquetRatio = parquet.seconds / bareParquet.seconds;
  log(`ratios: JSONL ${jsonlRatio.toFixed(2)} (target <= 1.3), Parquet ${parquetRatio.toFixed(2)} (target <= 1.3)`);
  return [
    { name: 'import.jsonl_records_per_s', value: Math.round(jsonlRate), unit: 'records/s' },
    { name: 'import.jsonl_ratio', value: jsonlRatio, unit: 'x', baseline: bareJsonl.seconds, ratio: jsonlRatio },
    {
      name: 'import.parquet_ratio',
      value: parquetRatio,
      unit: 'x',
      baseline: bareParquet.seconds,
      ratio: parquetRatio,
    },
    { name: 'import.peak_rss_mb', value: Math.round(Math.max(jsonl.peakRssMb, parquet.peakRssMb)), unit: 'MB' },
    { name: 'import.lookup_ms', value: jsonl.lookupMs ?? 0, unit: 'ms' },
  ];
}
