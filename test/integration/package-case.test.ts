import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/archive/canonical.ts';
import { appendCustody } from '../../src/case/custody.ts';
import { Workspace } from '../../src/case/workspace.ts';
import { importArchives } from '../../src/import/importer.ts';
import { writeEvidencePackage } from '../../src/package/write.ts';
import { verifyEvidencePackage, type PackageVerifyReport } from '../../src/package/verify.ts';

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));
const PRODUCER_KEY = join(EXAMPLE, 'keys/checkpoint-signing.pub.pem');
const TSA_ROOT = join(EXAMPLE, 'keys/tsa-root.pem');

let tmp: string;
let zip: string;
let investigatorPub: string;
let investigatorKey: string;
let allDecisionIds: string[];
let chosen: string[];
let pkgResult: Awaited<ReturnType<typeof writeEvidencePackage>>;

/** Every file of a folder, as posix paths. */
function walk(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel)).flatMap((n) => {
    const p = rel ? `${rel}/${n}` : n;
    return statSync(join(dir, p)).isDirectory() ? walk(dir, p) : [p];
  });
}

function unzipTo(file: string): string {
  const dir = mkdtempSync(join(tmp, 'x-'));
  execFileSync('unzip', ['-q', file, '-d', dir]);
  return dir;
}

function flipByte(file: string, at?: number): void {
  const b = readFileSync(file);
  const i = at ?? Math.floor(b.length / 2);
  b[i] = b[i] === 0x41 ? 0x42 : 0x41;
  writeFileSync(file, b);
}

const trust = { trustKeys: [PRODUCER_KEY], trustTsa: [TSA_ROOT] };
const fails = (r: PackageVerifyReport) => r.findings.filter((f) => f.status === 'fail');

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'pkg-case-'));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  investigatorKey = join(tmp, 'investigator.pem');
  investigatorPub = join(tmp, 'investigator.pub.pem');
  writeFileSync(investigatorKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(investigatorPub, publicKey.export({ type: 'spki', format: 'pem' }));

  const ws = new Workspace(join(tmp, 'ws'));
  const handle = await ws.create('Example case', { actor: 'Ada Investigator' });
  try {
    const r = await importArchives(handle, [EXAMPLE]);
    expect(r.status).toBe('done');
    allDecisionIds = (await handle.duck.runAndReadAll('SELECT decision_id FROM decisions ORDER BY seq'))
      .getRowsJS()
      .map((x) => String(x[0]));
    // 20 decisions over both checkpoints of the stream
    chosen = allDecisionIds.filter((_, i) => i % 3 === 0);
    expect(chosen.length).toBe(20);
    // an annotation that names a decision outside the package: its details must not travel
    appendCustody(handle.sqlite, 'Ada Investigator', 'annotation.added', {
      target: `decision ${allDecisionIds[1]}`,
      text: 'looks odd',
    });
    zip = join(tmp, 'evidence.zip');
    pkgResult = await writeEvidencePackage(handle, {
      out: zip,
      selection: { decisionIds: chosen },
      signingKeyFile: investigatorKey,
      makeReport: async (ids) => [
        { path: 'report.html', bytes: Buffer.from(`<html><body>${ids.length} decisions</body></html>`) },
        { path: 'findings.json', bytes: Buffer.from(JSON.stringify({ decisions: ids })) },
      ],
    });
  } finally {
    await handle.close();
  }
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('evidence package of 20 decisions from a case', () => {
  it('verifies as intact with the producer key, the TSA root and the investigator key pinned, with no finding at all', async () => {
    const r = await verifyEvidencePackage(zip, { trustKeys: [PRODUCER_KEY, investigatorPub], trustTsa: [TSA_ROOT] });
    expect(r.findings).toEqual([]);
    expect(r.verdict).toBe('intact');
    const decisions = pkgResult.manifest.records.decisions;
    expect(decisions.records).toBe(20);
    expect(r.records).toBe(r.provenRecords);
    expect(r.records).toBeGreaterThan(20); // reviews and outcomes of those decisions came along
    expect(r.signature).toMatchObject({ status: 'pass', trusted: true });
    expect(r.checkpoints.map((c) => c.file)).toEqual(
      expect.arrayContaining(['checkpoints/decisions/2026-03-01.json', 'checkpoints/decisions/2026-03-02.json']),
    );
    expect(
      r.checkpoints.every((c) => c.signature.status === 'pass' && c.timestamp.status === 'pass' && c.timestamp.genTime),
    ).toBe(true);
  });

  it('without pinned keys still proves integrity but says that origin is not established', async () => {
    const r = await verifyEvidencePackage(zip);
    expect(fails(r)).toEqual([]);
    expect(r.verdict).toBe('intact');
    expect(r.reason).toMatch(/Trust: .*self-asserted/);
    expect(r.signature.status).toBe('warn');
  });

  it('is checkable with sha256sum -c and holds the records exactly as the source did', () => {
    const dir = unzipTo(zip);
    const out = execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' });
    expect(
      out
        .trim()
        .split('\n')
        .every((l) => l.endsWith(': OK')),
    ).toBe(true);
    expect(out.trim().split('\n').length).toBe(walk(dir).length - 2); // all but SHA256SUMS and its .sig
    const sourceLines = new Set(
      ['decisions/2026-03-01.jsonl', 'decisions/2026-03-02.jsonl'].flatMap((f) =>
        readFileSync(join(EXAMPLE, f), 'utf8').split('\n'),
      ),
    );
    const packaged = readFileSync(join(dir, 'records/decisions.jsonl'), 'utf8').trim().split('\n');
    expect(packaged).toHaveLength(20);
    for (const line of packaged) expect(sourceLines.has(line)).toBe(true);
  });

  it('discloses no other decision: no file names an unselected decision id', () => {
    const dir = unzipTo(zip);
    const others = allDecisionIds.filter((id) => !chosen.includes(id));
    for (const f of walk(dir)) {
      const text = readFileSync(join(dir, f), 'latin1');
      for (const id of others) expect(text.includes(id), `${f} names ${id}`).toBe(false);
    }
    const custody = readFileSync(join(dir, 'custody.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const annotation = custody.find((e) => e.action === 'annotation.added');
    expect(annotation.details).toBeUndefined();
    expect(annotation.detailsWithheld).toMatch(/outside this package/);
  });

  it('records the export in the custody log with the zip SHA-256', async () => {
    const ws = new Workspace(join(tmp, 'ws'));
    const handle = await ws.open('Example case', { mode: 'read' });
    try {
      const last = handle.sqlite.prepare('SELECT action, details FROM custody_log ORDER BY seq DESC LIMIT 1').get() as {
        action: string;
        details: string;
      };
      expect(last.action).toBe('package.exported');
      expect(JSON.parse(last.details)).toMatchObject({
        sha256: sha256Hex(readFileSync(zip)),
        sha256sums: pkgResult.sumsSha256,
        decisions: chosen,
      });
    } finally {
      await handle.close();
    }
  });

  describe('changing one byte makes verification fail, naming the file', () => {
    const targets = [
      'records/decisions.jsonl',
      'records/reviews.jsonl',
      'proofs/decisions.jsonl',
      'checkpoints/decisions/2026-03-01.json',
      'checkpoints/decisions/2026-03-01.json.sig',
      'checkpoints/decisions/2026-03-01.json.tsr',
      'report.html',
      'findings.json',
      'custody.jsonl',
      'package.json',
      'keys/investigator.pub.pem',
    ];
    it.each(targets)('%s', async (target) => {
      const dir = unzipTo(zip);
      flipByte(join(dir, target));
      const r = await verifyEvidencePackage(dir, trust);
      expect(r.verdict).toBe('tampered');
      expect(
        fails(r).some((f) => f.file === target),
        JSON.stringify(fails(r)),
      ).toBe(true);
    });

    it('SHA256SUMS itself: the investigator signature no longer verifies', async () => {
      const dir = unzipTo(zip);
      const sums = readFileSync(join(dir, 'SHA256SUMS'), 'utf8');
      writeFileSync(
        join(dir, 'SHA256SUMS'),
        sums.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')),
      );
      const r = await verifyEvidencePackage(dir, { ...trust, trustKeys: [PRODUCER_KEY, investigatorPub] });
      expect(r.verdict).toBe('tampered');
      expect(fails(r).map((f) => f.file)).toEqual(expect.arrayContaining(['SHA256SUMS.sig']));
    });
  });

  describe('a forger who also rewrites SHA256SUMS (and drops the signature) is still caught by the content checks', () => {
    function resum(dir: string): void {
      rmSync(join(dir, 'SHA256SUMS.sig'));
      const files = walk(dir)
        .filter((f) => f !== 'SHA256SUMS')
        .sort();
      writeFileSync(
        join(dir, 'SHA256SUMS'),
        files.map((f) => `${sha256Hex(readFileSync(join(dir, f)))}  ${f}\n`).join(''),
      );
    }
    it('a changed record fails its hash at its line', async () => {
      const dir = unzipTo(zip);
      const file = join(dir, 'records/decisions.jsonl');
      writeFileSync(file, readFileSync(file, 'utf8').replace('"confidence":0.', '"confidence":0.0'));
      resum(dir);
      const r = await verifyEvidencePackage(dir, trust);
      expect(r.verdict).toBe('tampered');
      expect(fails(r).find((f) => f.check === 'record-hash')).toMatchObject({
        file: 'records/decisions.jsonl',
        line: 1,
      });
    });

    it('a record re-hashed after the change fails its inclusion proof', async () => {
      const dir = unzipTo(zip);
      const file = join(dir, 'records/decisions.jsonl');
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      const v = JSON.parse(lines[0]);
      v.prediction = v.prediction === 'approve' ? 'decline' : 'approve';
      const { recordHash } = await import('../../src/archive/canonical.ts');
      const oldHash = v.hash;
      v.hash = recordHash(v);
      lines[0] = JSON.stringify(v);
      writeFileSync(file, `${lines.join('\n')}\n`);
      const proofs = join(dir, 'proofs/decisions.jsonl');
      writeFileSync(proofs, readFileSync(proofs, 'utf8').replace(oldHash, v.hash));
      resum(dir);
      const r = await verifyEvidencePackage(dir, trust);
      expect(r.verdict).toBe('tampered');
      expect(fails(r).map((f) => [f.check, f.file])).toEqual([['record-proof', 'proofs/decisions.jsonl']]);
    });

    it('a checkpoint whose merkleRoot was changed fails its signature and every proof resting on it', async () => {
      const dir = unzipTo(zip);
      const file = join(dir, 'checkpoints/decisions/2026-03-01.json');
      const cp = JSON.parse(readFileSync(file, 'utf8'));
      cp.merkleRoot = 'f'.repeat(64);
      writeFileSync(file, JSON.stringify(cp));
      resum(dir);
      const r = await verifyEvidencePackage(dir, trust);
      const checks = new Set(fails(r).map((f) => `${f.check} ${f.file}`));
      expect(checks).toEqual(
        new Set([
          'checkpoint-signature checkpoints/decisions/2026-03-01.json.sig',
          'checkpoint-timestamp checkpoints/decisions/2026-03-01.json.tsr',
          'record-proof proofs/decisions.jsonl',
          'checkpoint-continuity checkpoints/decisions/2026-03-02.json',
        ]),
      );
    });

    it('a custody entry edited in place fails the chain at its line', async () => {
      const dir = unzipTo(zip);
      const file = join(dir, 'custody.jsonl');
      writeFileSync(file, readFileSync(file, 'utf8').replace('"Ada Investigator"', '"Mallory"'));
      resum(dir);
      const r = await verifyEvidencePackage(dir, trust);
      expect(fails(r)[0]).toMatchObject({ check: 'custody-chain', file: 'custody.jsonl', line: 1 });
    });
  });

  it('an added file and a removed file are both named', async () => {
    const dir = unzipTo(zip);
    writeFileSync(join(dir, 'extra.txt'), 'not listed');
    rmSync(join(dir, 'report.html'));
    const r = await verifyEvidencePackage(dir, trust);
    expect(fails(r).map((f) => f.file)).toEqual(expect.arrayContaining(['extra.txt', 'report.html']));
  });

  it('refuses a selection naming a decision the case does not hold', async () => {
    const ws = new Workspace(join(tmp, 'ws'));
    const handle = await ws.open('Example case', { mode: 'write', actor: 'Ada' });
    try {
      await expect(
        writeEvidencePackage(handle, { out: join(tmp, 'x.zip'), selection: { decisionIds: ['d-nope'] } }),
      ).rejects.toThrow(/no decision d-nope/);
      await expect(
        writeEvidencePackage(handle, { out: join(tmp, 'x.zip'), selection: { select: 'no_such_column = 1' } }),
      ).rejects.toThrow(/does not run/);
    } finally {
      await handle.close();
    }
  });

  it('packages a selection query and copes with a zip copied elsewhere', async () => {
    const ws = new Workspace(join(tmp, 'ws'));
    const handle = await ws.open('Example case', { mode: 'write', actor: 'Ada' });
    const out = join(tmp, 'q.zip');
    try {
      const res = await writeEvidencePackage(handle, {
        out,
        selection: { select: "model_id = 'fraud-detector'", related: false },
      });
      expect(res.manifest.selection).toMatchObject({ by: 'query', query: "model_id = 'fraud-detector'" });
      expect(Object.keys(res.manifest.records)).toEqual(['decisions']);
    } finally {
      await handle.close();
    }
    const copy = join(tmp, 'copy.zip');
    cpSync(out, copy);
    const r = await verifyEvidencePackage(copy, trust);
    expect(fails(r)).toEqual([]);
  });
});
