import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoArchive, TAMPER_KINDS, type DemoSummary, type TamperKind } from '../../src/demo/generator.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const verifier = path.join(repo, 'test/independent/verify_archive.py');
const example = path.join(repo, 'test/fixtures/spec/example');

interface PyFinding {
  check: string;
  stream: string | null;
  seq: number | null;
  file: string | null;
  line: number | null;
  message: string;
}

function verify(dir: string): { ok: boolean; findings: PyFinding[]; status: number | null } {
  const r = spawnSync('python3', [verifier, dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status === 2 || r.error) throw new Error(`verify_archive.py failed: ${r.stderr || r.error?.message}`);
  const out = JSON.parse(r.stdout) as { ok: boolean; findings: PyFinding[] };
  return { ...out, status: r.status };
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

function digestTree(dir: string): Record<string, string> {
  return Object.fromEntries(
    listFiles(dir).map((f) => [
      f,
      createHash('sha256')
        .update(readFileSync(path.join(dir, f)))
        .digest('hex'),
    ]),
  );
}

function readLines(dir: string, stream: string): Record<string, unknown>[] {
  const files = listFiles(path.join(dir, stream));
  return files.flatMap((f) => {
    const raw = readFileSync(path.join(dir, stream, f));
    const text = (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    return text
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  });
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'audit-ws-demo-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('independent verifier (Python, stdlib only)', () => {
  it('agrees with the spec vectors: JCS canonical texts, hashes, Merkle roots, S3 checksums', () => {
    const r = spawnSync('python3', [verifier, '--self-test', path.join(repo, 'test/fixtures/spec/vectors.json')], {
      encoding: 'utf8',
    });
    expect(JSON.parse(r.stdout).findings).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('passes the example archive with zero findings', () => {
    const r = verify(example);
    expect(r.findings).toEqual([]);
    expect(r.status).toBe(0);
  });
});

describe('audit-ws demo', () => {
  it('exits 0 and writes byte-identical archives for the same seed', () => {
    const run = (out: string) =>
      spawnSync(
        process.execPath,
        [path.join(repo, 'bin/audit-ws.mjs'), 'demo', '--out', out, '--decisions', '300', '--days', '2', '--json'],
        {
          encoding: 'utf8',
        },
      );
    const a = run(path.join(tmp, 'cli-a'));
    const b = run(path.join(tmp, 'cli-b'));
    expect(a.stderr).toBe('');
    expect(a.status).toBe(0);
    expect(b.status).toBe(0);
    const summary = JSON.parse(a.stdout) as DemoSummary;
    expect(summary.decisions).toBe(300);
    const tree = digestTree(path.join(tmp, 'cli-a'));
    expect(tree).toEqual(digestTree(path.join(tmp, 'cli-b')));
    // every checkpoint has its signature and its RFC 3161 token, and the TSA root is offered beside the key
    const checkpoints = Object.keys(tree).filter((f) => /^checkpoints\/.*\.json$/.test(f));
    expect(checkpoints.length).toBe(summary.streams.reduce((n, st) => n + st.checkpoints, 0));
    for (const c of checkpoints) expect(Object.keys(tree)).toEqual(expect.arrayContaining([`${c}.sig`, `${c}.tsr`]));
    expect(Object.keys(tree).filter((f) => f.startsWith('keys/'))).toEqual([
      'keys/checkpoint-signing.pub.pem',
      'keys/tsa-root.pem',
    ]);
    expect(summary.tsaRoot.file).toBe('keys/tsa-root.pem');
    expect(verify(path.join(tmp, 'cli-a')).findings).toEqual([]);
  });

  it('two threads write the same bytes and summary as one (the CLI uses two from 20,000 decisions)', async () => {
    const one = await generateDemoArchive({
      out: path.join(tmp, 'threads-1'),
      decisions: 800,
      days: 2,
      seed: 5,
      tamper: 'governance-lock',
      threads: 1,
    });
    const two = await generateDemoArchive({
      out: path.join(tmp, 'threads-2'),
      decisions: 800,
      days: 2,
      seed: 5,
      tamper: 'governance-lock',
      threads: 2,
    });
    expect(digestTree(path.join(tmp, 'threads-2'))).toEqual(digestTree(path.join(tmp, 'threads-1')));
    expect({ ...two, out: '' }).toEqual({ ...one, out: '' });
    // every checkpoint with its .sig and .tsr
    expect(two.tamper!.files!.length).toBe(two.streams.reduce((n, st) => n + st.checkpoints, 0) * 3);
  });

  it('a different seed gives different records', async () => {
    await generateDemoArchive({ out: path.join(tmp, 'seed-2'), decisions: 300, days: 2, seed: 2 });
    const a = readFileSync(path.join(tmp, 'cli-a', 'decisions', '2026-03-01.jsonl'));
    const b = readFileSync(path.join(tmp, 'seed-2', 'decisions', '2026-03-01.jsonl'));
    expect(a.equals(b)).toBe(false);
  });

  it('refuses bad options with a sentence and exit code 2', () => {
    const r = spawnSync(
      process.execPath,
      [path.join(repo, 'bin/audit-ws.mjs'), 'demo', '--out', path.join(tmp, 'bad'), '--tamper', 'shredded'],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown tamper kind "shredded"/);
    const n = spawnSync(
      process.execPath,
      [path.join(repo, 'bin/audit-ws.mjs'), 'demo', '--out', path.join(tmp, 'bad2'), '--decisions', 'many'],
      {
        encoding: 'utf8',
      },
    );
    expect(n.status).toBe(2);
    expect(n.stderr).toMatch(/--decisions must be a whole number/);
    expect(n.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('--gzip writes every data file as .jsonl.gz holding the same records, and the archive is intact', () => {
    const out = path.join(tmp, 'cli-gzip');
    const r = spawnSync(
      process.execPath,
      [path.join(repo, 'bin/audit-ws.mjs'), 'demo', '--out', out, '--decisions', '300', '--days', '2', '--gzip'],
      { encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const data = listFiles(out).filter((f) => /^(decisions|lifecycle|reviews|outcomes)\//.test(f));
    expect(data.length).toBeGreaterThan(4);
    for (const f of data) expect(f).toMatch(/\.jsonl\.gz$/);
    for (const stream of ['decisions', 'lifecycle', 'reviews', 'outcomes'])
      expect(readLines(out, stream)).toEqual(readLines(path.join(tmp, 'cli-a'), stream));
    expect(verify(out).findings).toEqual([]);
    const t = spawnSync(
      process.execPath,
      [path.join(repo, 'bin/audit-ws.mjs'), 'demo', '--out', path.join(tmp, 'gz-t'), '--gzip', '--tamper', 'modified'],
      { encoding: 'utf8' },
    );
    expect(t.status).toBe(2);
    expect(t.stderr).toMatch(/--gzip cannot be combined with --tamper/);
  });

  it('refuses to write into a folder that is not empty', async () => {
    await expect(generateDemoArchive({ out: path.join(tmp, 'cli-a') })).rejects.toThrow(/not empty/);
  });
});

describe('planted findings: present where the summary says, and nowhere else', () => {
  let dir: string;
  let s: DemoSummary;
  let decisions: Record<string, unknown>[];
  let reviews: Record<string, unknown>[];
  beforeAll(async () => {
    dir = path.join(tmp, 'planted');
    s = await generateDemoArchive({ out: dir, decisions: 5000, days: 14, seed: 1 });
    decisions = readLines(dir, 'decisions');
    reviews = readLines(dir, 'reviews');
  });
  const finding = (id: string) => s.plantedFindings.find((f) => f.id === id)! as Record<string, unknown>;
  const within = (t: unknown, f: Record<string, unknown>) => String(t) >= String(f.from) && String(t) < String(f.to);

  it('the archive itself is intact', () => {
    expect(verify(dir).findings).toEqual([]);
  });

  it('inputHash is SHA-256 of the RFC 8785 text of inputFeatures', () => {
    for (const d of decisions.slice(0, 500)) {
      expect(d.inputHash).toBe(createHash('sha256').update(canonicalize(d.inputFeatures)!).digest('hex'));
    }
  });

  it('selection-rate disparity only in credit-limit-scorer 2.1.0 for group C', () => {
    const rates = new Map<string, { n: number; k: number }>();
    for (const d of decisions) {
      if (d.modelId !== 'credit-limit-scorer') continue;
      const key = `${String(d.modelVersion)}|${String((d.inputFeatures as { group: string }).group)}`;
      const r = rates.get(key) ?? { n: 0, k: 0 };
      r.n++;
      if (d.prediction === 'approve') r.k++;
      rates.set(key, r);
    }
    for (const version of ['2.0.0', '2.1.0']) {
      const byGroup = Object.fromEntries(
        ['A', 'B', 'C', 'D'].map((g) => [g, rates.get(`${version}|${g}`)!.k / rates.get(`${version}|${g}`)!.n]),
      );
      const best = Math.max(...Object.values(byGroup));
      for (const [g, rate] of Object.entries(byGroup)) {
        const ratio = rate / best;
        if (version === '2.1.0' && g === 'C') expect(ratio).toBeLessThan(0.6);
        else expect(ratio).toBeGreaterThan(0.85);
      }
    }
    const planted = finding('selection-rate-disparity');
    expect(planted.impactRatio).toBeLessThan(0.6);
  });

  it('latency incident: every fraud-detector latency above 100 ms lies in the window, and only there', () => {
    const f = finding('latency-incident');
    const slow = decisions.filter((d) => (d.latencyMs as number) > 2500);
    expect(slow.length).toBe(f.decisions);
    expect(slow.length).toBeGreaterThan(5);
    for (const d of slow) {
      expect(d.modelId).toBe('fraud-detector');
      expect(within(d.timestamp, f)).toBe(true);
    }
    for (const d of decisions.filter((x) => x.modelId === 'fraud-detector' && !within(x.timestamp, f)))
      expect(d.latencyMs).toBeLessThan(100);
  });

  it('skipped human review: required but not reviewed only inside the window', () => {
    const f = finding('skipped-human-review');
    const skipped = decisions.filter((d) => d.humanReviewRequired === true && d.humanReviewed !== true);
    expect(skipped.map((d) => d.decisionId)).toEqual(f.decisionIds);
    expect(skipped.length).toBeGreaterThan(0);
    for (const d of skipped) expect(within(d.timestamp, f)).toBe(true);
    const tasks = new Set(reviews.map((r) => r.decisionId));
    for (const d of skipped) expect(tasks.has(d.decisionId)).toBe(false);
    for (const d of decisions.filter((x) => x.humanReviewed === true)) expect(tasks.has(d.decisionId)).toBe(true);
  });

  it('rubber-stamp reviews: the only reviews under 10 seconds, all by one reviewer', () => {
    const f = finding('rubber-stamp-reviews');
    const quick = reviews.filter((r) => r.eventType === 'reviewed' && (r.durationMs as number) < 10_000);
    expect(quick.length).toBe(12);
    expect(new Set(quick.map((r) => r.reviewerId))).toEqual(new Set(['rev-05']));
    expect(quick.map((r) => r.eventId)).toEqual((f.reviews as { eventId: string }[]).map((r) => r.eventId));
    for (const r of quick) expect(r.action).toBe('approve');
  });

  it('decisions after retirement: 2.1.0 serves only between deployment and rollback, and in the stale window', () => {
    const f = finding('decisions-after-retirement');
    const events = readLines(dir, 'lifecycle');
    const at = (type: string) =>
      events.find((e) => e.modelVersion === '2.1.0' && e.eventType === type)!.timestamp as string;
    const late = decisions.filter((d) => d.modelVersion === '2.1.0' && String(d.timestamp) >= at('retired'));
    expect(late.map((d) => d.decisionId)).toEqual(f.decisionIds);
    expect(late.length).toBeGreaterThan(0);
    for (const d of late) expect(within(d.timestamp, f)).toBe(true);
    for (const d of decisions.filter((x) => x.modelVersion === '2.1.0' && String(x.timestamp) < at('retired'))) {
      expect(String(d.timestamp) >= at('deployed') && String(d.timestamp) < at('rollback')).toBe(true);
    }
  });

  it('every review stream is in time order and every escalation names from and to reviewers', () => {
    for (let i = 1; i < reviews.length; i++)
      expect(String(reviews[i].timestamp) >= String(reviews[i - 1].timestamp)).toBe(true);
    for (const r of reviews.filter((x) => x.eventType === 'escalated')) {
      expect(r.fromReviewerId).toMatch(/^rev-0\d$/);
      expect(r.toReviewerId).toMatch(/^rev-lead-\d$/);
    }
  });
});

describe('tamper variants fail the independent verifier exactly where the summary says', () => {
  const results = new Map<TamperKind, { s: DemoSummary; findings: PyFinding[] }>();
  beforeAll(async () => {
    for (const kind of TAMPER_KINDS) {
      const out = path.join(tmp, `tamper-${kind}`);
      const s = await generateDemoArchive({ out, decisions: 400, days: 2, seed: 7, tamper: kind });
      results.set(kind, { s, findings: verify(out).findings });
    }
  });
  const get = (kind: TamperKind) => results.get(kind)!;
  const checkpointOf = (s: DemoSummary) => `checkpoints/${s.tamper!.stream}/${s.tamper!.label}.json`;

  it('modified: only the record hash, at that record', () => {
    const { s, findings } = get('modified');
    const t = s.tamper!;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      check: 'record-hash',
      stream: t.stream,
      seq: t.seq,
      file: t.file,
      line: t.line,
    });
  });

  it('modified-rehashed: the next record no longer links; the checkpoint of its day disagrees', () => {
    const { s, findings } = get('modified-rehashed');
    const t = s.tamper!;
    expect(findings).toContainEqual(
      expect.objectContaining({
        check: 'record-link',
        stream: t.stream,
        seq: t.seq! + 1,
        file: t.file,
        line: t.line! + 1,
      }),
    );
    for (const f of findings) {
      if (f.check === 'record-link') expect(f.seq).toBe(t.seq! + 1);
      else {
        expect(['checkpoint-merkle', 'checkpoint-head']).toContain(f.check);
        expect(f.file).toBe(checkpointOf(s));
      }
    }
  });

  it('deleted: a seq gap and a broken link at the next record, and the checkpoint count', () => {
    const { s, findings } = get('deleted');
    const t = s.tamper!;
    const at = { stream: t.stream, seq: t.seq! + 1, file: t.file, line: t.line };
    expect(findings).toContainEqual(expect.objectContaining({ check: 'record-seq', ...at }));
    expect(findings).toContainEqual(expect.objectContaining({ check: 'record-link', ...at }));
    expect(findings).toContainEqual(expect.objectContaining({ check: 'checkpoint-count', file: checkpointOf(s) }));
    for (const f of findings) {
      if (f.check.startsWith('record-')) expect(f).toMatchObject(at);
      else expect(f.file).toBe(checkpointOf(s));
    }
  });

  it('inserted: the record after the inserted one repeats its seq and does not link; the checkpoint count', () => {
    const { s, findings } = get('inserted');
    const t = s.tamper!;
    const after = { stream: t.stream, seq: t.seq, file: t.file, line: t.line! + 1 };
    expect(findings).toContainEqual(expect.objectContaining({ check: 'record-seq', ...after }));
    expect(findings).toContainEqual(expect.objectContaining({ check: 'record-link', ...after }));
    expect(findings).toContainEqual(expect.objectContaining({ check: 'checkpoint-count', file: checkpointOf(s) }));
    for (const f of findings) {
      if (f.check.startsWith('record-')) expect(f).toMatchObject(after);
      else expect(f.file).toBe(checkpointOf(s));
    }
  });

  it('suffix-rewritten: only checkpoints reveal it, from the changed record on', () => {
    const { s, findings } = get('suffix-rewritten');
    const t = s.tamper!;
    expect(findings.length).toBeGreaterThan(0);
    expect(findings).toContainEqual(expect.objectContaining({ check: 'checkpoint-merkle', file: checkpointOf(s) }));
    for (const f of findings) {
      expect(['checkpoint-merkle', 'checkpoint-head']).toContain(f.check);
      expect(f.stream).toBe(t.stream);
      expect(f.file! >= checkpointOf(s)).toBe(true);
    }
  });

  it('file-altered: only the manifest checksums of that file (size and records unchanged)', () => {
    const { s, findings } = get('file-altered');
    const t = s.tamper!;
    expect(findings.map((f) => f.check)).toContain('manifest-checksum');
    for (const f of findings) {
      expect(['manifest-checksum', 'manifest-etag', 'manifest-part-checksum']).toContain(f.check);
      expect(f.file).toBe(t.file);
    }
  });

  it("forged-checkpoint: its stored checksums, its time-stamp's imprint and the next checkpoint's prevCheckpointSha256", () => {
    const { s, findings } = get('forged-checkpoint');
    const t = s.tamper!;
    expect(t.nextCheckpoint).toBeDefined();
    expect(findings).toContainEqual(expect.objectContaining({ check: 'checkpoint-prev', file: t.nextCheckpoint }));
    expect(findings).toContainEqual(expect.objectContaining({ check: 'manifest-checksum', file: t.file }));
    expect(findings).toContainEqual(
      expect.objectContaining({ check: 'checkpoint-timestamp-imprint', file: `${t.file}.tsr` }),
    );
    for (const f of findings) {
      if (f.check === 'checkpoint-prev') expect(f.file).toBe(t.nextCheckpoint);
      else if (f.check === 'checkpoint-timestamp-imprint') expect(f.file).toBe(`${t.file}.tsr`);
      else {
        expect(['manifest-checksum', 'manifest-etag']).toContain(f.check);
        expect(f.file).toBe(t.file);
      }
    }
  });

  it('governance-lock: only the lock-mode check, on every checkpoint object', () => {
    const { s, findings } = get('governance-lock');
    expect(new Set(findings.map((f) => f.check))).toEqual(new Set(['manifest-lock']));
    expect(findings.map((f) => f.file).sort()).toEqual([...s.tamper!.files!].sort());
  });

  it('unlisted-file: one present-but-unlisted finding on that data file', () => {
    const { s, findings } = get('unlisted-file');
    expect(findings).toEqual([expect.objectContaining({ check: 'manifest-unlisted', file: s.tamper!.file })]);
    expect(statSync(path.join(s.out, s.tamper!.file!)).size).toBeGreaterThan(0);
  });
});
