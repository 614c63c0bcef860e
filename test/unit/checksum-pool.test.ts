// The checksum pool (workers) against the same sums computed on the calling thread, and the manifest
// check run through the pool against the same check run inline, on a real demo archive, intact and with
// a data file altered after it was stored.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChecksumPool } from '../../src/archive/checksum-pool.ts';
import { openArchive } from '../../src/archive/open.ts';
import { checksumsOfFile, type ChecksumAlgorithm } from '../../src/archive/s3checksums.ts';
import { generateDemoArchive } from '../../src/demo/generator.ts';
import { verifyArchives, type VerifyReport } from '../../src/verify/engine.ts';

const tmp = mkdtempSync(join(tmpdir(), 'audit-ws-checksum-pool-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ALL: (ChecksumAlgorithm | 'MD5')[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256', 'MD5'];

describe('ChecksumPool', () => {
  it('gives the sums the calling thread gives, whole and by part, and the same error for a missing file', async () => {
    const files = [0, 1, 4095, 70_000, 1_300_000].map((n, i) => {
      const f = join(tmp, `f${i}`);
      writeFileSync(f, randomBytes(n));
      return { f, parts: n > 100_000 ? [262_144, 262_144] : undefined };
    });
    const pool = new ChecksumPool(2);
    try {
      const got = await Promise.all(files.map(({ f, parts }) => pool.checksums(f, parts, ALL)));
      const expected = await Promise.all(files.map(({ f, parts }) => checksumsOfFile(f, parts, ALL)));
      expect(got).toEqual(expected);
      expect(got[4].parts).toHaveLength(3);
      const missing = join(tmp, 'no-such-file');
      const inline = await checksumsOfFile(missing, undefined, ALL).catch((e: NodeJS.ErrnoException) => e);
      const pooled = await pool.checksums(missing, undefined, ALL).catch((e: NodeJS.ErrnoException) => e);
      expect(pooled).toBeInstanceOf(Error);
      expect((pooled as NodeJS.ErrnoException).code).toBe('ENOENT');
      expect((pooled as Error).message).toBe((inline as Error).message);
    } finally {
      await pool.close();
    }
  }, 60_000);
});

describe('the manifest check through the pool', () => {
  async function verifyWith(dir: string, minBytes: string | undefined): Promise<VerifyReport> {
    const before = process.env.AUDIT_WS_CHECKSUM_POOL_MIN_BYTES;
    if (minBytes === undefined) delete process.env.AUDIT_WS_CHECKSUM_POOL_MIN_BYTES;
    else process.env.AUDIT_WS_CHECKSUM_POOL_MIN_BYTES = minBytes;
    const archive = await openArchive(dir);
    try {
      return await verifyArchives([archive], {});
    } finally {
      await archive.close();
      if (before === undefined) delete process.env.AUDIT_WS_CHECKSUM_POOL_MIN_BYTES;
      else process.env.AUDIT_WS_CHECKSUM_POOL_MIN_BYTES = before;
    }
  }
  const manifestFindings = (r: VerifyReport) =>
    r.findings.filter((f) => /^(manifest|object-lock|retention)/.test(f.check));

  it.each([undefined, 'file-altered'] as const)(
    'reports the same as inline (tamper: %s)',
    async (tamper) => {
      const out = join(tmp, `demo-${tamper ?? 'intact'}`);
      await generateDemoArchive({ out, decisions: 300, days: 2, seed: 5, ...(tamper ? { tamper } : {}) });
      const inline = await verifyWith(out, undefined);
      const pooled = await verifyWith(out, '0');
      expect(manifestFindings(pooled)).toEqual(manifestFindings(inline));
      expect(pooled.checks).toEqual(inline.checks);
      expect(pooled.verdict).toBe(inline.verdict);
      if (tamper)
        expect(manifestFindings(pooled).some((f) => f.status === 'fail' && f.check === 'manifest-object')).toBe(true);
    },
    120_000,
  );
});
