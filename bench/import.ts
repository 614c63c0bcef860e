/**
 * import: the demo archive (1,000,000 decisions by default, with their reviews, outcomes and lifecycle
 * events) imported as JSONL and as Parquet (ZSTD), each against DuckDB's bare CREATE TABLE AS SELECT *
 * FROM read_json / read_parquet over the same files in the same run. Each run is a process of its own
 * (bench/import-child.ts). Targets (docs/import.md): ours within 1.3x of bare for both formats.
 *
 * `--archive DIR` measures an existing archive (JSONL or Parquet) as it is instead, e.g. the 10M demo
 * archive, so nothing is generated: our import (with its lookup tables and point lookups) and, unless
 * AUDIT_WS_BENCH_IMPORT_BARE=0, the bare baseline beside it. `--tmp DIR` is where the temporary
 * workspaces go (a 10M import needs about as much room as the archive; they are removed afterwards).
 * `--workspace DIR --case NAME` times only the point lookups, on an existing case opened read-only (e.g.
 * one a 10M import made), never changing it. Every figure is logged with the machine's load average,
 * since other work shares the cores; AUDIT_WS_BENCH_IMPORT_RUNS=N runs each side N times, interleaved,
 * and keeps the fastest of each.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Workspace } from '../src/case/workspace.ts';
import { generateDemoArchive } from '../src/demo/generator.ts';
import { parquetCopyOf, walk } from './parquet-copy.ts';
import type { BenchEntry, BenchOptions } from './types.ts';

interface ChildResult {
  records: number;
  seconds: number;
  peakRssMb: number;
  lookupsSeconds?: number;
  lookupsPeakRssMb?: number;
  lookupMs?: number;
  lookupDecisionMs?: number;
  lookupTraceMs?: number;
  lookupColdMs?: number;
}

const load = (): string =>
  `load ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`;

function runChild(mode: 'ours' | 'bare' | 'bare-raw' | 'lookup', dir: string, tmp: string | undefined): ChildResult {
  // Each run starts with no dirty pages of the one before: otherwise their writeback (a run writes 1 to 3 GB)
  // slows whichever run comes next.
  execFileSync('sync');
  const out = execFileSync(
    process.execPath,
    ['bin/run-ts.mjs', 'bench/import-child.ts', mode, dir, ...(tmp ? [tmp] : [])],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

/** The archive with every JSONL data file rewritten as Parquet with ZSTD (made once, kept for later runs). */
async function parquetCopy(src: string, dst: string, log: (s: string) => void): Promise<void> {
  if (existsSync(join(dst, 'archive.json'))) return;
  log(`writing a Parquet (ZSTD) copy into ${dst} ...`);
  rmSync(dst, { recursive: true, force: true });
  await parquetCopyOf(src, dst, { keepManifest: true });
}

function bytesOf(dir: string, pattern: RegExp): number {
  return walk(dir)
    .filter((f) => pattern.test(f))
    .reduce((a, f) => a + statSync(f).size, 0);
}

function logOurs(log: (s: string) => void, what: string, r: ChildResult): void {
  log(
    `ours ${what}: ${r.records} records in ${r.seconds.toFixed(2)} s (${Math.round(r.records / r.seconds)} records/s), peak RSS ${r.peakRssMb.toFixed(0)} MB; ` +
      `lookup tables ${r.lookupsSeconds?.toFixed(1)} s (peak RSS then ${r.lookupsPeakRssMb?.toFixed(0)} MB); ` +
      `search by decisionId ${r.lookupDecisionMs?.toFixed(1)} ms, by traceId ${r.lookupTraceMs?.toFixed(1)} ms (cold ${r.lookupColdMs?.toFixed(1)} ms); ${load()}`,
  );
}

function lookupEntries(r: ChildResult): BenchEntry[] {
  return [
    { name: 'import.lookup_ms', value: r.lookupMs ?? 0, unit: 'ms' },
    { name: 'import.lookups_build_s', value: r.lookupsSeconds ?? 0, unit: 's' },
  ];
}

/** `--archive DIR`: that archive as it is (JSONL or Parquet), ours and (unless switched off) bare. */
async function benchArchive(dir: string, tmp: string | undefined, log: (s: string) => void): Promise<BenchEntry[]> {
  const parquet = bytesOf(dir, /\.parquet$/) > 0;
  const fmt = parquet ? 'parquet' : 'jsonl';
  log(
    `archive ${dir}: ${(bytesOf(dir, parquet ? /\.parquet$/ : /\.(jsonl|ndjson)(\.gz)?$/) / 1e6).toFixed(0)} MB of ${fmt} data; ${load()}`,
  );
  const r = runChild('ours', dir, tmp);
  logOurs(log, fmt, r);
  const entries: BenchEntry[] = [
    { name: `import.${fmt}_records_per_s`, value: Math.round(r.records / r.seconds), unit: 'records/s' },
    { name: `import.${fmt}_seconds`, value: r.seconds, unit: 's' },
    { name: 'import.records', value: r.records, unit: 'records' },
    { name: 'import.peak_rss_mb', value: Math.round(r.peakRssMb), unit: 'MB' },
    { name: 'import.lookups_peak_rss_mb', value: Math.round(r.lookupsPeakRssMb ?? 0), unit: 'MB' },
    ...lookupEntries(r),
  ];
  if (process.env.AUDIT_WS_BENCH_IMPORT_BARE !== '0') {
    const b = runChild('bare', dir, tmp);
    const ratio = r.seconds / b.seconds;
    log(
      `bare read_${parquet ? 'parquet' : 'json'}: ${b.records} records in ${b.seconds.toFixed(2)} s; ratio ${ratio.toFixed(2)}; ${load()}`,
    );
    entries.push({ name: `import.${fmt}_ratio`, value: ratio, unit: 'x', baseline: b.seconds, ratio });
  }
  return entries;
}

export async function benchImport(
  records: number,
  log: (s: string) => void,
  options: BenchOptions = {},
): Promise<BenchEntry[]> {
  const tmp = options.tmp ? resolve(options.tmp) : undefined;
  if (tmp) mkdirSync(tmp, { recursive: true });
  if (options.workspace && options.case) {
    // An existing case (e.g. a 10M import made with `audit-ws import`): its point lookups only.
    const caseDir = new Workspace(resolve(options.workspace)).locate(options.case);
    const r = runChild('lookup', caseDir, tmp);
    log(
      `case ${caseDir} (${r.records} decisions, opened read-only): search by decisionId ${r.lookupDecisionMs?.toFixed(1)} ms, by traceId ${r.lookupTraceMs?.toFixed(1)} ms (cold ${r.lookupColdMs?.toFixed(1)} ms); ${load()}`,
    );
    return [{ name: 'import.lookup_ms', value: r.lookupMs ?? 0, unit: 'ms' }];
  }
  if (options.archive) {
    log(`measuring ${options.archive} as it is (--records does not apply)`);
    return benchArchive(resolve(options.archive), tmp, log);
  }
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
    `JSONL data: ${(bytesOf(dir, /\.jsonl(\.gz)?$/) / 1e6).toFixed(0)} MB; Parquet data: ${(bytesOf(parquetDir, /\.parquet$/) / 1e6).toFixed(0)} MB; ${load()}`,
  );

  // AUDIT_WS_BENCH_IMPORT_RUNS=N: N rounds, bare and ours side by side in each, the fastest of each
  // kept (on a shared machine a burst of other work can double a single run).
  const runs = Math.max(1, Number(process.env.AUDIT_WS_BENCH_IMPORT_RUNS) || 1);
  const best = (a: ChildResult | undefined, b: ChildResult): ChildResult =>
    a === undefined ? b : { ...(b.seconds < a.seconds ? b : a), peakRssMb: Math.max(a.peakRssMb, b.peakRssMb) };
  let bareJsonl: ChildResult | undefined;
  let jsonl: ChildResult | undefined;
  let bareParquet: ChildResult | undefined;
  let bareRaw: ChildResult | undefined;
  let parquet: ChildResult | undefined;
  for (let round = 1; round <= runs; round++) {
    if (runs > 1) log(`round ${round} of ${runs}`);
    const bj = runChild('bare', dir, tmp);
    log(`bare read_json: ${bj.records} records in ${bj.seconds.toFixed(2)} s; ${load()}`);
    const oj = runChild('ours', dir, tmp);
    logOurs(log, 'JSONL', oj);
    const bp = runChild('bare', parquetDir, tmp);
    log(`bare read_parquet: ${bp.records} records in ${bp.seconds.toFixed(2)} s; ${load()}`);
    // AUDIT_WS_BENCH_IMPORT_RAW=1: also bare read_parquet plus the JSON text of each row, what storing the
    // record text in DuckDB cost before the case kept it in copies of the source files (docs/import.md).
    const br = process.env.AUDIT_WS_BENCH_IMPORT_RAW === '1' ? runChild('bare-raw', parquetDir, tmp) : undefined;
    if (br)
      log(
        `bare read_parquet + the JSON text of each row: ${br.records} records in ${br.seconds.toFixed(2)} s; ${load()}`,
      );
    const op = runChild('ours', parquetDir, tmp);
    logOurs(log, 'Parquet', op);
    bareJsonl = best(bareJsonl, bj);
    jsonl = best(jsonl, oj);
    bareParquet = best(bareParquet, bp);
    if (br) bareRaw = best(bareRaw, br);
    parquet = best(parquet, op);
  }
  if (!bareJsonl || !jsonl || !bareParquet || !parquet) throw new Error('no runs');
  const jsonlRate = jsonl.records / jsonl.seconds;
  const jsonlRatio = jsonl.seconds / bareJsonl.seconds;
  const parquetRatio = parquet.seconds / bareParquet.seconds;
  log(
    `ratios${runs > 1 ? ` (fastest of ${runs} runs each)` : ''}: JSONL ${jsonlRatio.toFixed(2)} (target <= 1.3), Parquet ${parquetRatio.toFixed(2)} (target <= 1.3${bareRaw ? `; bare + raw ${(bareRaw.seconds / bareParquet.seconds).toFixed(2)}x bare` : ''}); ${load()}`,
  );
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
    ...(bareRaw
      ? [
          {
            name: 'import.parquet_raw_floor_ratio',
            value: bareRaw.seconds / bareParquet.seconds,
            unit: 'x',
            baseline: bareParquet.seconds,
            ratio: bareRaw.seconds / bareParquet.seconds,
          },
        ]
      : []),
    { name: 'import.peak_rss_mb', value: Math.round(Math.max(jsonl.peakRssMb, parquet.peakRssMb)), unit: 'MB' },
    ...lookupEntries(jsonl),
  ];
}
