import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordHash } from '../../src/archive/canonical.ts';
import type { ArchiveFile } from '../../src/archive/open.ts';
import { planChunks } from '../../src/verify/scan/plan.ts';
import { ScanPool } from '../../src/verify/scan/pool.ts';
import { scanChunk } from '../../src/verify/scan/scan-chunk.ts';

const dir = mkdtempSync(join(tmpdir(), 'scan-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chainFile(n: number): ArchiveFile {
  const lines: string[] = [];
  let prev = '0'.repeat(64);
  for (let i = 0; i < n; i++) {
    const rec: Record<string, unknown> = { i, pad: 'x'.repeat(i % 50), seq: i, prevHash: prev };
    rec.hash = recordHash(rec);
    prev = rec.hash as string;
    lines.push(i === 7 ? '{broken' : JSON.stringify(rec));
  }
  const p = join(dir, `c${n}.jsonl`);
  writeFileSync(p, lines.join('\n') + '\n');
  return { path: `c${n}.jsonl`, absPath: p, size: statSync(p).size, format: 'jsonl' } as ArchiveFile;
}

describe('ScanPool', () => {
  it('workers return what the calling thread computes, typed arrays intact after transfer', async () => {
    const f = chainFile(400);
    const jobs = planChunks(f, 4000);
    expect(jobs.length).toBeGreaterThan(5);
    const pool = new ScanPool(2, false); // workers only, never the calling thread
    try {
      const viaWorkers = await Promise.all(jobs.map((j) => pool.run(j)));
      for (let k = 0; k < jobs.length; k++) expect(viaWorkers[k]).toEqual(await scanChunk(jobs[k]));
      expect(viaWorkers.reduce((n, r) => n + r.records, 0)).toBe(399);
    } finally {
      await pool.close();
    }
  });

  it('while the workers boot the calling thread scans, and every range is answered once, in any mix', async () => {
    const f = chainFile(300);
    const jobs = planChunks(f, 2000);
    const pool = new ScanPool(1);
    try {
      const results = await Promise.all(jobs.map((j) => pool.run(j)));
      for (let k = 0; k < jobs.length; k++) expect(results[k]).toEqual(await scanChunk(jobs[k]));
    } finally {
      await pool.close();
    }
    await expect(pool.run(jobs[0])).rejects.toThrow(/closed/);
  });
});
