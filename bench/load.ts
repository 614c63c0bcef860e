/**
 * Load, end to end (issue 8 item 5): `npm run bench -- --only load [--records N | --archive DIR] [--tmp DIR]`.
 *
 * On a given archive, or a demo archive of N decisions generated for the run, in a temporary workspace
 * made under --tmp (default the OS temp folder) and removed afterwards: import (with the lookup tables
 * the CLI import builds), verification of the case (`verifyCase`), a search page with facets
 * (unfiltered, then one model over 30 days), a decision timeline, fairness by one attribute, every
 * anomaly filter, and the PDF report. Each stage runs in a child process of its own
 * (bench/load-child.ts), so the peak RSS printed per stage is that stage's; the report's Chromium is
 * sampled separately. Prints seconds, records/s and peak RSS per stage with the 1-minute load average
 * at its start and end, and returns them as `load.*` figures.
 *
 * `--workspace DIR --case NAME` runs the stages after import (verification, queries, report) on an existing
 * case instead, e.g. a 10M import made earlier: the case is used in place (verification records its run in
 * the case, as `audit-ws verify --case` does), and nothing is generated or imported.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchEntry, BenchOptions } from './types.ts';

export const STAGE_MARK = 'LOAD-STAGE ';
/** The case the stages make and use in the temporary workspace. */
export const CASE_NAME = 'load';

export interface StageArgs {
  archive: string;
  workspace: string;
  /** generate: decisions to generate. */
  decisions?: number;
  /** report: the folder the report is written to. */
  out?: string;
  /** The case the stages use (CASE_NAME unless an existing case is measured). */
  caseName?: string;
}

export interface StageResult {
  stage: string;
  /** The stage's work, without process start-up. */
  seconds: number;
  peakRssMb: number;
  /** 1-minute load average at the start and the end of the stage. */
  loadAvg: [number, number];
  figures: Record<string, number>;
  notes: string[];
  /** Why the stage failed, when it did (its figures so far are kept). */
  error?: string;
}

const QUERY_STAGES = ['search', 'timeline', 'fairness', 'anomalies'] as const;

function duSizeMb(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size / (1 << 20);
  const r = spawnSync('du', ['-sk', p], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.split(/\s/)[0]) / 1024 : NaN;
}

function runStage(name: string, args: StageArgs, log: (line: string) => void): StageResult {
  log(`  ${name}: running (load average ${os.loadavg()[0].toFixed(1)})`);
  const wall = performance.now();
  const r = spawnSync(process.execPath, ['bin/run-ts.mjs', 'bench/load-child.ts', name, JSON.stringify(args)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 << 20,
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith(STAGE_MARK));
  const result: StageResult = line
    ? (JSON.parse(line.slice(STAGE_MARK.length)) as StageResult)
    : {
        stage: name,
        seconds: NaN,
        peakRssMb: NaN,
        loadAvg: [NaN, os.loadavg()[0]],
        figures: {},
        notes: [],
        // the last lines of its error output say why
        error: `exit ${r.status ?? r.signal}: ${(r.stderr ?? '')
          .trim()
          .split('\n')
          .filter((l) => !/^\s+at /.test(l))
          .slice(-4)
          .join(' | ')}`,
      };
  result.figures.process_s = (performance.now() - wall) / 1000;
  return result;
}

export async function benchLoad(
  records: number,
  log: (line: string) => void,
  options: BenchOptions = {},
): Promise<BenchEntry[]> {
  const tmpRoot = path.resolve(options.tmp ?? os.tmpdir());
  mkdirSync(tmpRoot, { recursive: true });
  const work = mkdtempSync(path.join(tmpRoot, 'tmp-load-'));
  const entries: BenchEntry[] = [];
  const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
  const add = (name: string, value: number, unit: string) => {
    if (Number.isFinite(value))
      entries.push({ name: `load.${name}`, value: round(value, unit === 'ms' ? 1 : 2), unit });
  };
  const results: StageResult[] = [];
  try {
    const existing = options.workspace && options.case ? path.resolve(options.workspace) : undefined;
    if (existing && !existsSync(path.join(existing, 'cases', options.case!)))
      throw new Error(`--workspace ${existing} --case ${options.case}: no such case`);
    const archive = options.archive ? path.resolve(options.archive) : path.join(work, 'archive');
    if (options.archive && !existsSync(archive)) throw new Error(`--archive ${archive}: no such folder or file`);
    const args: StageArgs = {
      archive,
      workspace: existing ?? path.join(work, 'workspace'),
      decisions: records,
      out: path.join(work, 'report'),
      caseName: existing ? options.case : undefined,
    };
    log(
      existing
        ? `  existing case ${options.case} in ${existing} (no generation, no import)`
        : `  temporary workspace ${args.workspace}; archive ${archive}${options.archive ? '' : ' (generated)'}`,
    );
    if (!options.archive && !existing) {
      const g = runStage('generate', args, log);
      results.push(g);
      log(
        `  generate  ${g.seconds.toFixed(1).padStart(8)} s ${Math.round(g.figures.records / g.seconds)
          .toLocaleString('en-US')
          .padStart(9)} records/s  peak RSS ${Math.round(g.peakRssMb)} MB`,
      );
    }
    if (!existing) add('archive_mb', duSizeMb(archive), 'MB');
    for (const name of [...(existing ? [] : ['import']), 'verify', ...QUERY_STAGES, 'report']) {
      const r = runStage(name, args, log);
      results.push(r);
      if (r.error) {
        log(`  ${name.padEnd(9)} FAILED: ${r.error}`);
        // without a case there is nothing to measure; any other stage failing leaves the rest to run
        if (name === 'import') break;
        continue;
      }
      const f = r.figures;
      const rate =
        f.records && r.seconds > 0 && ['import', 'verify'].includes(name) ? f.records / r.seconds : undefined;
      log(
        `  ${name.padEnd(9)} ${r.seconds.toFixed(1).padStart(8)} s${rate ? ` ${Math.round(rate).toLocaleString('en-US').padStart(9)} records/s` : ''}  peak RSS ${Math.round(r.peakRssMb)} MB  [load ${r.loadAvg.map((x) => x.toFixed(1)).join(' -> ')}]${r.notes.length ? `  ${r.notes.join('; ')}` : ''}`,
      );
      const extra = Object.entries(f)
        .filter(([k]) => !['seconds', 'records', 'process_s'].includes(k))
        .map(([k, v]) => `${k} ${round(v)}`);
      if (extra.length) log(`            ${extra.join(', ')}`);
    }
    add('workspace_mb', duSizeMb(existing ? path.join(existing, 'cases', options.case!) : args.workspace), 'MB');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  for (const r of results) {
    const s = r.stage;
    if (r.error) add(`${s}_failed`, 1, 'count');
    add(`${s}_s`, r.seconds, 's');
    if (r.figures.records && r.seconds > 0 && ['generate', 'import', 'verify'].includes(s))
      add(`${s}_records_per_s`, r.figures.records / r.seconds, 'records/s');
    add(`${s}_peak_rss_mb`, r.peakRssMb, 'MB');
    add(`${s}_load_avg`, Math.max(...r.loadAvg), 'load');
    for (const [k, v] of Object.entries(r.figures)) {
      if (k === 'seconds') continue;
      const unit = k.endsWith('_ms')
        ? 'ms'
        : k.endsWith('_s')
          ? 's'
          : k.endsWith('_mb')
            ? 'MB'
            : k.endsWith('_kb')
              ? 'KB'
              : k === 'records'
                ? 'records'
                : 'count';
      add(`${s}_${k}`, v, unit);
    }
  }
  const imported = results.find((r) => r.stage === 'import');
  if (imported) add('records', imported.figures.records, 'records');
  const failed = results.filter((r) => r.error);
  add('failed_stages', failed.length, 'count');
  for (const r of failed) log(`  FAILED stage ${r.stage}: ${r.error}`);
  return entries;
}
