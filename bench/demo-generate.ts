/**
 * demo-generate: how fast `audit-ws demo` writes an archive, and how much memory it needs. The archive
 * is written to a temporary folder and removed afterwards (1,000,000 decisions are about 1.3 GB).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemoArchive } from '../src/demo/generator.ts';
import type { BenchEntry } from './types.ts';

export async function benchDemoGenerate(decisions: number, log: (s: string) => void): Promise<BenchEntry[]> {
  const parent = mkdtempSync(join(tmpdir(), 'audit-ws-bench-demo-'));
  try {
    const started = performance.now();
    const summary = await generateDemoArchive({ out: join(parent, 'archive'), decisions, days: 14, seed: 1 });
    const seconds = (performance.now() - started) / 1000;
    const records = summary.streams.reduce((n, s) => n + s.records, 0);
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    log(
      `demo-generate: ${decisions} decisions, ${records} records, ${(summary.bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(1)} s ` +
        `(${Math.round(records / seconds)} records/s), peak RSS ${peakRssMb.toFixed(0)} MB`,
    );
    return [
      { name: 'demo-generate.seconds', value: Number(seconds.toFixed(2)), unit: 's' },
      { name: 'demo-generate.decisions_per_s', value: Math.round(decisions / seconds), unit: 'decisions/s' },
      { name: 'demo-generate.records_per_s', value: Math.round(records / seconds), unit: 'records/s' },
      { name: 'demo-generate.peak_rss_mb', value: Math.round(peakRssMb), unit: 'MB' },
    ];
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}
