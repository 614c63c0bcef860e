/**
 * record-hash: recomputing jcs-sha256-v1 hashes over decision JSONL, single thread, two ways:
 * ours (1 MiB reads split on newlines, JSON.parse, the shape-compiled RFC 8785 serialiser, one-shot
 * SHA-256: the path the writer and the verifier's scan workers use) against the baseline an engineer
 * writes first (readline, JSON.parse, null stripping + the canonicalize library, createHash).
 */
import { createHash, hash as oneShotHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { canonicalText } from '../src/archive/canonical.ts';
import { fastCanonicalText } from '../src/archive/fast-canonical.ts';
import { generateDemoArchive } from '../src/demo/generator.ts';
import type { BenchEntry } from './types.ts';

async function baseline(files: string[]): Promise<{ records: number; mismatches: number }> {
  let records = 0;
  let mismatches = 0;
  for (const file of files) {
    const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of rl) {
      if (!line) continue;
      const rec = JSON.parse(line) as Record<string, unknown>;
      if (createHash('sha256').update(canonicalText(rec)).digest('hex') !== rec.hash) mismatches++;
      records++;
    }
  }
  return { records, mismatches };
}

async function ours(files: string[]): Promise<{ records: number; mismatches: number }> {
  let records = 0;
  let mismatches = 0;
  for (const file of files) {
    let rest = '';
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, encoding: 'utf8' })) {
      const text = rest + (chunk as string);
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        if (nl > start) {
          const rec = JSON.parse(text.slice(start, nl)) as Record<string, unknown>;
          if (oneShotHash('sha256', fastCanonicalText(rec), 'hex') !== rec.hash) mismatches++;
          records++;
        }
        start = nl + 1;
      }
      rest = text.slice(start);
    }
  }
  return { records, mismatches };
}

export async function benchRecordHash(decisions: number, log: (s: string) => void): Promise<BenchEntry[]> {
  const parent = mkdtempSync(join(tmpdir(), 'audit-ws-bench-hash-'));
  try {
    const dir = join(parent, 'archive');
    await generateDemoArchive({ out: dir, decisions, days: 14, seed: 3 });
    const files = readdirSync(join(dir, 'decisions'))
      .sort()
      .map((f) => join(dir, 'decisions', f));
    const time = async (fn: (f: string[]) => Promise<{ records: number; mismatches: number }>) => {
      const started = performance.now();
      const r = await fn(files);
      if (r.mismatches > 0) throw new Error(`${r.mismatches} records did not hash to their hash member`);
      return r.records / ((performance.now() - started) / 1000);
    };
    const base = await time(baseline);
    const mine = await time(ours);
    log(
      `record-hash: ours ${Math.round(mine)} records/s, baseline ${Math.round(base)} records/s, ratio ${(mine / base).toFixed(2)}`,
    );
    return [
      {
        name: 'record-hash.records_per_s',
        value: Math.round(mine),
        unit: 'records/s',
        baseline: Math.round(base),
        ratio: Number((mine / base).toFixed(3)),
      },
    ];
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}
