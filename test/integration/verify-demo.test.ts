import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArchive } from '../../src/archive/open.ts';
import { DEMO_TSA_ROOT_PEM } from '../../src/demo/demo-tsa.ts';
import { generateDemoArchive, type DemoSummary } from '../../src/demo/generator.ts';
import { TAMPER_KINDS, type TamperKind } from '../../src/demo/tamper.ts';
import { verifyArchives, type VerifyReport } from '../../src/verify/engine.ts';

const root = mkdtempSync(join(tmpdir(), 'verify-demo-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The demo anchors an investigator passes: the signing key and the TSA root, both from the committed copies. */
const DEMO_ANCHORS = (out: string) => ({
  trustKeys: [join(out, 'keys/checkpoint-signing.pub.pem')],
  trustTsa: [fileURLToPath(new URL('../../src/demo/demo-tsa-root.pem', import.meta.url))],
});

async function demo(
  tamper?: TamperKind,
  trust: 'anchors' | 'none' = 'anchors',
): Promise<{ summary: DemoSummary; report: VerifyReport }> {
  const out = join(root, `${tamper ?? 'intact'}-${trust}`);
  const summary = await generateDemoArchive({ out, decisions: 800, days: 3, seed: 11, tamper });
  const archive = await openArchive(out);
  try {
    const report = await verifyArchives([archive], { ...(trust === 'anchors' ? DEMO_ANCHORS(out) : {}), workers: 0 });
    return { summary, report };
  } finally {
    await archive.close();
  }
}

const failed = (r: VerifyReport) => r.findings.filter((f) => f.status === 'fail');
const checksFailed = (r: VerifyReport) => new Set(failed(r).map((f) => f.check));
const count = (r: VerifyReport, id: string) => r.checks.find((c) => c.id === id)!;

describe('verify: every demo --tamper variant departs exactly where its name says', () => {
  let intact: VerifyReport;
  let checkpoints: number;
  beforeAll(async () => {
    const d = await demo();
    intact = d.report;
    checkpoints = d.summary.streams.reduce((n, s) => n + s.checkpoints, 0);
  });

  it('the intact demo archive with the demo anchors: no fail and no warn, every time-stamp verified', () => {
    expect(intact.verdict).toBe('intact');
    expect(intact.findings).toEqual([]);
    expect(count(intact, 'checkpoint-timestamp')).toMatchObject({
      pass: checkpoints,
      fail: 0,
      warn: 0,
      unverifiable: 0,
    });
    expect(count(intact, 'checkpoint-signature')).toMatchObject({ pass: checkpoints, fail: 0, warn: 0 });
  });

  it('the archive offers the committed demo TSA root, byte for byte', () => {
    const out = join(root, 'intact-anchors');
    expect(readFileSync(join(out, 'keys/tsa-root.pem'), 'utf8')).toBe(DEMO_TSA_ROOT_PEM);
    expect(readFileSync(DEMO_ANCHORS(out).trustTsa[0], 'utf8')).toBe(DEMO_TSA_ROOT_PEM);
    const files = readdirSync(join(out, 'checkpoints/decisions'));
    expect(files.filter((f) => f.endsWith('.json.tsr')).length).toBe(files.filter((f) => f.endsWith('.json')).length);
  });

  it('without anchors: intact, time-stamps unverifiable for want of a trusted TSA, naming the root on offer', async () => {
    const { report, summary } = await demo(undefined, 'none');
    expect(report.verdict).toBe('intact');
    expect(failed(report)).toEqual([]);
    const stamps = report.findings.filter((f) => f.check === 'checkpoint-timestamp');
    expect(stamps.length).toBe(summary.streams.reduce((n, s) => n + s.checkpoints, 0));
    for (const f of stamps) {
      expect(f).toMatchObject({ status: 'unverifiable', category: 'trust' });
      expect(f.message).toMatch(/^No TSA trust anchor supplied/);
      expect(f.message).toContain(`keys/tsa-root.pem (SHA-256 ${summary.tsaRoot.sha256})`);
      expect(f.message).toMatch(/\(genTime 2026-\d\d-\d\dT00:05:00\.000Z\)$/);
    }
    const sigs = report.findings.filter((f) => f.check === 'checkpoint-signature');
    expect(sigs.every((f) => f.status === 'warn' && f.category === 'trust')).toBe(true);
    expect(report.reason).toMatch(/^All 4 streams are intact/);
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
      // the token still covers the original bytes: its imprint no longer matches, and its genTime is the true day
      const stamp = failed(r).filter((f) => f.check === 'checkpoint-timestamp');
      expect(stamp).toEqual([
        expect.objectContaining({ category: 'integrity', file: `${s.tamper!.file}.tsr`, actual: expect.any(String) }),
      ]);
      expect(stamp[0].message).toMatch(/imprint is not the SHA256 of the checkpoint file.*\(genTime /);
      expect(stamp[0].message).toContain(`genTime ${new Date(String(s.tamper!.from)).toISOString()}`);
      expect(stamp[0].expected).not.toBe(stamp[0].actual);
      if (s.tamper!.nextCheckpoint)
        expect(failed(r).find((f) => f.check === 'checkpoint-continuity')?.file).toBe(s.tamper!.nextCheckpoint);
      for (const c of checks)
        expect([
          'checkpoint-signature',
          'checkpoint-timestamp',
          'checkpoint-continuity',
          'manifest-object',
          'manifest-etag',
        ]).toContain(c);
    },
    'governance-lock': (r, s) => {
      expect(r.verdict).toBe('intact');
      expect(failed(r)).toEqual([]);
      const locks = r.findings.filter((f) => f.check === 'object-lock');
      expect(locks.length).toBeGreaterThan(0);
      expect(locks.every((f) => f.status === 'warn')).toBe(true);
      expect(s.tamper!.files!.filter((f) => f.endsWith('.tsr')).length).toBeGreaterThan(0);
      expect(new Set(locks.map((f) => f.file))).toEqual(new Set(s.tamper!.files));
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
      // only a changed checkpoint breaks its token; record and manifest tampers leave every token valid
      if (kind !== 'forged-checkpoint')
        expect(report.findings.filter((f) => f.check.startsWith('checkpoint-timestamp'))).toEqual([]);
    });
  }
});
