/**
 * verify: 1,000,000 JSONL decisions (by default) verified by ours, by a straightforward single-thread
 * verifier (baseline) and by a parse-only pass on every core (ceiling), each in its own process.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemoArchive } from '../src/demo/generator.ts';
import type { BenchEntry } from './types.ts';

function runChild(
  mode: string,
  dir: string,
): { records: number; seconds: number; cpuSeconds: number; peakRssMb: number } {
  const out = execFileSync(process.execPath, ['bin/run-ts.mjs', 'bench/verify-child.ts', mode, dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

export async function benchVerify(records: number, log: (s: string) => void): Promise<BenchEntry[]> {
  const dir = join(tmpdir(), `audit-ws-bench-verify-${records}`);
  if (!existsSync(join(dir, 'archive.json'))) {
    mkdirSync(dir, { recursive: true });
    log(`generating ${records} decisions into ${dir} ...`);
    await generateDemoArchive({ out: dir, decisions: records, days: 14, seed: 7 });
  }
  // CPU seconds (all threads) are printed beside the wall time: on a shared machine other load inflates
  // wall times, and a single-thread run less than a multi-thread one
  const baseline = runChild('baseline', dir);
  log(
    `baseline (readline + JSON.parse + canonicalize + createHash, 1 thread): ${Math.round(baseline.records / baseline.seconds)} records/s, ${baseline.seconds.toFixed(2)} s, CPU ${baseline.cpuSeconds.toFixed(2)} s`,
  );
  const ceiling = runChild('ceiling', dir);
  log(
    `ceiling (JSON.parse only, all cores): ${Math.round(ceiling.records / ceiling.seconds)} records/s, ${ceiling.seconds.toFixed(2)} s, CPU ${ceiling.cpuSeconds.toFixed(2)} s`,
  );
  const ours = runChild('ours', dir);
  const rate = ours.records / ours.seconds;
  log(
    `ours: ${Math.round(rate)} records/s, ${ours.seconds.toFixed(2)} s, CPU ${ours.cpuSeconds.toFixed(2)} s, peak RSS ${ours.peakRssMb.toFixed(0)} MB`,
  );
  const baseRate = baseline.records / baseline.seconds;
  const ceilRate = ceiling.records / ceiling.seconds;
  log(
    `ratios: ours/baseline ${(rate / baseRate).toFixed(2)} (target >= 4), ours/ceiling ${(rate / ceilRate).toFixed(2)} (target >= 0.5)`,
  );
  return [
    { name: 'verify.records_per_s', value: Math.round(rate), unit: 'records/s' },
    {
      name: 'verify.baseline_ratio',
      value: rate / baseRate,
      unit: 'x',
      baseline: Math.round(baseRate),
      ratio: rate / baseRate,
    },
    {
      name: 'verify.ceiling_ratio',
      value: rate / ceilRate,
      unit: 'x',
      baseline: Math.round(ceilRate),
      ratio: rate / ceilRate,
    },
    { name: 'verify.peak_rss_mb', value: Math.round(ours.peakRssMb), unit: 'MB' },
  ];
}
