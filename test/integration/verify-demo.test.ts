import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArchive } from '../../src/archive/open.ts';
import { generateDemoArchive, type DemoSummary } from '../../src/demo/generator.ts';
import { TAMPER_KINDS, type TamperKind } from '../../src/demo/tamper.ts';
import { verifyArchives, type VerifyReport } from '../../src/verify/engine.ts';

const root = mkdtempSync(join(tmpdir(), 'verify-demo-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function demo(tamper?: TamperKind): Promise<{ summary: DemoSummary; report: VerifyReport }> {
  const out = join(root, tamper ?? 'intact');
  const summary = await generateDemoArchive({ out, decisions: 800, days: 3, seed: 11, tamper });
  const keys = readdirSync(join(out, 'keys')).filter((k) => k.endsWith('.pem'));
  const archive = await openArchive(out);
  try {
    const report = await verifyArchives([archive], {
      trustKeys: keys.filter((k) => !k.includes('tsa')).map((k) => join(out, 'keys', k)),
      trustTsa: keys.filter((k) => k.includes('tsa-root')).map((k) => join(out, 'keys', k)),
      workers: 0,
    });
    return { summary, report };
  } finally {
    await archive.close();
  }
}

const failed = (r: VerifyReport) => r.findings.filter((f) => f.status === 'fail');
const checksFailed = (r: VerifyReport) => new Set(failed(r).map((f) => f.check));
/** findings other than the known gap of demo archives without time-stamps */
const notable = (r: VerifyReport) =>
  r.findings.filter((f) => !(f.check === 'checkpoint-timestamp' && f.status !== 'fail'));

describe('verify: every demo --tamper variant departs exactly where its name says', () => {
  let intact: VerifyReport;
  beforeAll(async () => {
    intact = (await demo()).report;
  });

  it('the intact demo archive: no fail and no warn', () => {
    expect(intact.verdict).toBe('intact');
    expect(notable(intact)).toEqual([]);
  });

  const expectations: Record<TamperKind, (r: VerifyReport, s: DemoSummary) => void> = {
    modified: (r, s) => {
      expect(r.verdict).toBe('tampered');
      expect(failed(r).find((f) => f.check === 'record-hash')).toMatchObject({
        stream: s.tamper!.stream,
        seq: s.tamper!.seq,
        file: s.tamper!.file,
        line: s.tamper!.line,
      });
      expect([...checksFailed(r)].every((c) => ['record-hash', 'manifest-object', 'manifest-etag'].includes(c))).toBe(
        true,
      );
    },
    'modified-rehashed': (r, s) => {
      expect(r.verdict).toBe('tampered');
      expect(checksFailed(r)).not.toContain('record-hash');
      expect(failed(r).find((f) => f.check === 'link')).toMatchObject({
        stream: s.tamper!.stream,
        seq: s.tamper!.seq! + 1,
      });
      expect(checksFailed(r)).toContain('checkpoint-merkle');
    },
    deleted: (r, s) => {
      expect(r.verdict).toBe('tampered');
      expect(failed(r).find((f) => f.check === 'sequence')).toMatchObject({
        stream: s.tamper!.stream,
        seq: s.tamper!.seq,
        seqEnd: s.tamper!.seq,
      });
      expect(checksFailed(r)).toContain('checkpoint-count');
    },
    inserted: (r, s) => {
      expect(r.verdict).toBe('tampered');
      const f = failed(r).filter(
        (x) => x.stream === s.tamper!.stream && ['sequence', 'link', 'record-hash'].includes(x.check),
      );
      expect(f.length).toBeGreaterThan(0);
      expect(Math.min(...f.map((x) => x.seq ?? Infinity))).toBeGreaterThanOrEqual(s.tamper!.seq!);
      expect(Math.min(...f.map((x) => x.seq ?? Infinity))).toBeLessThanOrEqual(s.tamper!.seq! + 1);
    },
    'suffix-rewritten': (r, s) => {
      expect(r.verdict).toBe('tampered');
      expect(r.streams[s.tamper!.stream!].verdict).toBe('tampered');
      const checks = checksFailed(r);
      for (const c of checks)
        expect(['checkpoint-head', 'checkpoint-merkle', 'manifest-object', 'manifest-etag']).toContain(c);
      expect(checks.has('checkpoint-merkle') || checks.has('checkpoint-head')).toBe(true);
    },
    'file-altered': (r, s) => {
      expect(r.verdict).toBe('tampered');
      const checks = checksFailed(r);
      for (const c of checks) expect(['manifest-object', 'manifest-etag']).toContain(c);
      expect(failed(r).every((f) => f.file === s.tamper!.file)).toBe(true);
    },
    'forged-checkpoint': (r, s) => {
      expect(r.verdict).toBe('tampered');
      const checks = checksFailed(r);
      expect(checks).toContain('checkpoint-signature');
      expect(failed(r).find((f) => f.check === 'checkpoint-signature')?.file).toBe(`${s.tamper!.file}.sig`);
      if (s.tamper!.nextCheckpoint)
        expect(failed(r).find((f) => f.check === 'checkpoint-continuity')?.file).toBe(s.tamper!.nextCheckpoint);
    },
    'governance-lock': (r, s) => {
      expect(r.verdict).toBe('intact');
      expect(failed(r)).toEqual([]);
      const locks = r.findings.filter((f) => f.check === 'object-lock');
      expect(locks.length).toBeGreaterThan(0);
      expect(locks.every((f) => f.status === 'warn')).toBe(true);
      if (s.tamper!.files) expect(new Set(locks.map((f) => f.file))).toEqual(new Set(s.tamper!.files));
    },
    'unlisted-file': (r, s) => {
      expect(r.verdict).toBe('tampered');
      expect(failed(r).map((f) => [f.check, f.file])).toEqual([['manifest-unlisted', s.tamper!.file]]);
    },
  };

  for (const kind of TAMPER_KINDS) {
    it(kind, async () => {
      const { summary, report } = await demo(kind);
      expect(summary.tamper?.kind).toBe(kind);
      expectations[kind](report, summary);
    });
  }
});
