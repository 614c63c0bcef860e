// Forged evidence packages: a forger who cannot sign rewrites files, recomputes SHA256SUMS and drops
// SHA256SUMS.sig. What only the record hashes and the proofs guard must still be caught: a member name
// given twice (JSON.parse keeps the last value, other readers the first, so the forger shows each reader
// a different record under one hash; found by fuzzing) and bytes that are not UTF-8.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/archive/canonical.ts';
import { DEFAULT_EXTRACT_LIMITS, extractZip } from '../../src/archive/containers.ts';
import { Workspace } from '../../src/case/workspace.ts';
import { importArchives } from '../../src/import/importer.ts';
import { verifyEvidencePackage } from '../../src/package/verify.ts';
import { writeEvidencePackage } from '../../src/package/write.ts';

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));
const trust = {
  trustKeys: [join(EXAMPLE, 'keys/checkpoint-signing.pub.pem')],
  trustTsa: [join(EXAMPLE, 'keys/tsa-root.pem')],
};

let tmp: string;
let files: Map<string, Buffer>;
let n = 0;

function walk(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel)).flatMap((name) => {
    const p = rel ? `${rel}/${name}` : name;
    return statSync(join(dir, p)).isDirectory() ? walk(dir, p) : [p];
  });
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'audit-ws-hostile-package-'));
  const { privateKey } = generateKeyPairSync('ed25519');
  const key = join(tmp, 'investigator.pem');
  writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const handle = await new Workspace(join(tmp, 'ws')).create('Forgery case', { actor: 'Tester' });
  const zip = join(tmp, 'evidence.zip');
  try {
    expect((await importArchives(handle, [EXAMPLE])).status).toBe('done');
    const ids = (await handle.duck.runAndReadAll('SELECT decision_id FROM decisions ORDER BY seq LIMIT 4'))
      .getRowsJS()
      .map((r) => String(r[0]));
    await writeEvidencePackage(handle, { out: zip, selection: { decisionIds: ids }, signingKeyFile: key });
  } finally {
    await handle.close();
  }
  const root = mkdtempSync(join(tmp, 'x-'));
  await extractZip(zip, zip, root, DEFAULT_EXTRACT_LIMITS);
  files = new Map(walk(root).map((p) => [p, readFileSync(join(root, p))]));
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The package with `edit` applied to one file, SHA256SUMS recomputed and the signature dropped. */
async function forged(path: string, edit: (b: Buffer) => Buffer): Promise<string> {
  const f = new Map(files);
  f.set(path, edit(f.get(path) as Buffer));
  f.delete('SHA256SUMS.sig');
  const sums = [...f.keys()]
    .filter((p) => p !== 'SHA256SUMS')
    .sort()
    .map((p) => `${sha256Hex(f.get(p) as Buffer)}  ${p}`)
    .join('\n');
  f.set('SHA256SUMS', Buffer.from(`${sums}\n`));
  const zip = new yazl.ZipFile();
  for (const [p, b] of f) zip.addBuffer(b, p);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  const out = join(tmp, `forged-${++n}.zip`);
  writeFileSync(out, Buffer.concat(chunks));
  return out;
}

/** Rewrites line `index` (0-based) of a JSONL file. */
const onLine = (index: number, change: (line: string) => string) => (b: Buffer) => {
  const lines = b.toString('utf8').split('\n');
  lines[index] = change(lines[index]);
  return Buffer.from(lines.join('\n'));
};

describe('forged evidence packages', () => {
  it("the forger's own harness leaves an unchanged package intact (only the missing signature is a trust gap)", async () => {
    const r = await verifyEvidencePackage(await forged('records/decisions.jsonl', (b) => b), trust);
    expect(r.verdict).toBe('intact');
    expect(r.signature.status).toBe('warn');
  });

  it('a record with a member name given twice is tampered, named at its line', async () => {
    // First a forged value, then the original one: JSON.parse keeps the original, so the hash still fits.
    const pkg = await forged(
      'records/decisions.jsonl',
      onLine(0, (l) => `{"decisionId":"FORGED",${l.slice(1)}`),
    );
    const r = await verifyEvidencePackage(pkg, trust);
    expect(r.verdict).toBe('tampered');
    const f = r.findings.find((x) => x.check === 'record-hash' && x.status === 'fail');
    expect(f).toMatchObject({ file: 'records/decisions.jsonl', line: 1 });
    expect(f?.message).toMatch(
      /^records\/decisions\.jsonl:1: not a JSON record \(duplicate member name "decisionId" \(column \d+\)\)$/,
    );
  });

  it('a proof with a member name given twice is tampered, named at its line', async () => {
    const pkg = await forged(
      'proofs/decisions.jsonl',
      onLine(0, (l) => `{"checkpoint":"1999-01-01",${l.slice(1)}`),
    );
    const r = await verifyEvidencePackage(pkg, trust);
    expect(r.verdict).toBe('tampered');
    const f = r.findings.find((x) => x.check === 'record-proof' && x.status === 'fail' && x.line === 1);
    expect(f?.message).toMatch(/^proofs\/decisions\.jsonl:1: not a proof entry \(duplicate member name "checkpoint"/);
  });

  it.each([
    ['a number beyond the range of a double', (l: string) => l.replace(/"seq":0/, '"seq":1e400')],
    ['null instead of an entry', () => 'null'],
  ])('a custody line holding %s is a failed custody chain, not an exception (found by fuzzing)', async (_, change) => {
    const pkg = await forged('custody.jsonl', onLine(0, change));
    const r = await verifyEvidencePackage(pkg, trust);
    expect(r.verdict).toBe('tampered');
    const f = r.findings.find((x) => x.check === 'custody-chain' && x.status === 'fail');
    expect(f).toMatchObject({ file: 'custody.jsonl', line: 1 });
    expect(f?.message).toMatch(
      /^custody\.jsonl:1: not valid JSON \((the number 1e400 .* is beyond the range|not a JSON object)/,
    );
  });

  it('a record whose bytes are not UTF-8 is tampered, named at its line', async () => {
    const pkg = await forged('records/decisions.jsonl', (b) => {
      const at = b.indexOf('"modelId"');
      return Buffer.concat([b.subarray(0, at + 1), Buffer.from([0xff]), b.subarray(at + 2)]);
    });
    const r = await verifyEvidencePackage(pkg, trust);
    expect(r.verdict).toBe('tampered');
    expect(r.findings.map((f) => f.message)).toContain(
      'records/decisions.jsonl:1: not valid UTF-8: the bytes are not the record that was hashed',
    );
  });
});
