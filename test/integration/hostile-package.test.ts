// Forged evidence packages: a forger who cannot sign rewrites files, recomputes SHA256SUMS and drops
// SHA256SUMS.sig. What only the record hashes and the proofs guard must still be caught: a member name
// given twice (JSON.parse keeps the last value, other readers the first, so the forger shows each reader
// a different record under one hash; found by fuzzing) and bytes that are not UTF-8.
import { generateKeyPairSync } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/archive/canonical.ts';
import { DEFAULT_EXTRACT_LIMITS, extractZip } from '../../src/archive/containers.ts';
import { AuditWsError } from '../../src/errors.ts';
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

/** `f` as a forger who cannot sign leaves it: SHA256SUMS recomputed (plus `extra` lines), the signature dropped. */
function resummed(f: Map<string, Buffer>, extra: string[] = []): Map<string, Buffer> {
  const out = new Map(f);
  out.delete('SHA256SUMS.sig');
  out.delete('SHA256SUMS');
  const sums = [...out.keys()].sort().map((p) => `${sha256Hex(out.get(p) as Buffer)}  ${p}`);
  out.set('SHA256SUMS', Buffer.from(`${[...sums, ...extra].join('\n')}\n`));
  return out;
}

/** The files zipped, each name given as many times as it appears in `entries`. */
async function zipFile(entries: [string, Buffer][]): Promise<string> {
  const zip = new yazl.ZipFile();
  for (const [p, b] of entries) zip.addBuffer(b, p);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  const out = join(tmp, `forged-${++n}.zip`);
  writeFileSync(out, Buffer.concat(chunks));
  return out;
}

/** The files written as a package folder; returns the folder. */
function folderOf(f: Map<string, Buffer>): string {
  const dir = mkdtempSync(join(tmp, 'folder-'));
  for (const [p, b] of f) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), b);
  }
  return dir;
}

/** The package with `edit` applied to one file, SHA256SUMS recomputed and the signature dropped. */
async function forged(path: string, edit: (b: Buffer) => Buffer, drop: string[] = []): Promise<string> {
  const f = new Map(files);
  f.set(path, edit(f.get(path) as Buffer));
  for (const d of drop) f.delete(d);
  return zipFile([...resummed(f)]);
}

/** The first file of the package whose path matches. */
const fileLike = (re: RegExp): string => [...files.keys()].find((p) => re.test(p)) as string;

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
    [
      'a number beyond the range of a double',
      (l: string) => l.replace(/"seq":0/, '"seq":1e400'),
      /^custody\.jsonl:1: not valid JSON \(the number 1e400 .* is beyond the range/,
    ],
    ['null instead of an entry', () => 'null', /^custody\.jsonl:1: not valid JSON \(not a JSON object\)$/],
    [
      // JSON.parse keeps the original actor (the last), so the chain would still hold
      'a member name given twice',
      (l: string) => `{"actor":"Someone else",${l.slice(1)}`,
      /^custody\.jsonl:1: not valid JSON \(duplicate member name "actor" \(column \d+\)\)$/,
    ],
  ])('a custody line holding %s is a failed custody chain, not an exception', async (_, change, message) => {
    const pkg = await forged('custody.jsonl', onLine(0, change));
    const r = await verifyEvidencePackage(pkg, trust);
    expect(r.verdict).toBe('tampered');
    const f = r.findings.find((x) => x.check === 'custody-chain' && x.status === 'fail');
    expect(f).toMatchObject({ file: 'custody.jsonl', line: 1 });
    expect(f?.message).toMatch(message);
  });

  it('a checkpoint with a member name given twice is tampered, even with its .sig and .tsr dropped', async () => {
    // JSON.parse keeps the real merkleRoot (the last), so the proofs would still lead to it while
    // another reader sees the forged one; with the signature and token gone only strict parsing catches it.
    const cp = fileLike(/^checkpoints\/decisions\/[^/]+\.json$/);
    const pkg = await forged(
      cp,
      (b) => Buffer.from(b.toString('utf8').replace('{', `{"merkleRoot":"${'0'.repeat(64)}",`)),
      [`${cp}.sig`, `${cp}.tsr`],
    );
    const r = await verifyEvidencePackage(pkg, trust);
    expect(r.verdict).toBe('tampered');
    const f = r.findings.find((x) => x.check === 'checkpoint-form' && x.status === 'fail');
    expect(f?.file).toBe(cp);
    expect(f?.message).toMatch(/: not valid JSON \(duplicate member name "merkleRoot" \(column \d+\)\)$/);
  });

  it('package.json with a member name given twice is tampered', async () => {
    const pkg = await forged('package.json', (b) =>
      Buffer.from(b.toString('utf8').replace('{', '{"case":{"name":"Another case"},')),
    );
    const r = await verifyEvidencePackage(pkg, trust);
    expect(r.verdict).toBe('tampered');
    expect(r.manifest).toBeUndefined();
    const f = r.findings.find((x) => x.check === 'package-form' && x.status === 'fail');
    expect(f).toMatchObject({ file: 'package.json' });
    expect(f?.message).toMatch(/^package\.json: not valid JSON \(duplicate member name "case" \(column \d+\)\)$/);
  });

  it('a record holding an integer beyond 2^53 is unverifiable, never tampered or intact', async () => {
    // Read as a double it rounds to ...992, so a recomputed hash would call the record changed even if
    // a producer that keeps integers exact had hashed exactly these bytes.
    const pkg = await forged(
      'records/decisions.jsonl',
      onLine(0, (l) => l.replace(/"income":\d+/, '"income":9007199254740993')),
    );
    const r = await verifyEvidencePackage(pkg, trust);
    expect(r.verdict).toBe('unverifiable');
    const f = r.findings.find((x) => x.check === 'record-hash' && x.status === 'unverifiable');
    expect(f).toMatchObject({ file: 'records/decisions.jsonl', line: 1 });
    expect(f?.message).toMatch(
      /^records\/decisions\.jsonl:1: the hash of the record cannot be recomputed: the integer 9007199254740993 \(column \d+\) is beyond 2\^53-1/,
    );
    expect(r.findings.filter((x) => x.status === 'fail')).toEqual([]);
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

/** The error a rejected promise ends with. */
async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal');
}

/** A zip whose entry `placeholder` is renamed to `name` (same length) in its headers: yazl refuses such names. */
async function zipWithEntryNamed(placeholder: string, name: string): Promise<string> {
  expect(name.length).toBe(placeholder.length);
  const file = await zipFile([...files, [placeholder, Buffer.from('{}\n')]]);
  const bytes = readFileSync(file);
  let at = bytes.indexOf(placeholder);
  let renamed = 0;
  while (at >= 0) {
    bytes.write(name, at, 'latin1');
    renamed++;
    at = bytes.indexOf(placeholder, at + 1);
  }
  expect(renamed).toBe(2); // the local header and the central directory
  writeFileSync(file, bytes);
  return file;
}

describe('hostile package shapes: refused, or reported naming the member, never a crash', () => {
  it.each([
    ['a path outside the package', (outside: string) => `../${outside.split('/').pop()}`],
    ['an absolute path', (outside: string) => outside],
  ])('SHA256SUMS naming %s (a real file there, with that digest) fails naming it', async (_, nameOf) => {
    const parent = mkdtempSync(join(tmp, 'outside-'));
    const outside = join(parent, 'x.jsonl');
    writeFileSync(outside, 'not in the package\n');
    const name = nameOf(outside);
    const f = resummed(files, [`${sha256Hex(readFileSync(outside))}  ${name}`]);
    const folder = folderOf(f);
    renameSync(folder, join(parent, 'pkg')); // so that ../x.jsonl exists beside the package
    for (const pkg of [join(parent, 'pkg'), await zipFile([...f])]) {
      const r = await verifyEvidencePackage(pkg, trust);
      // never read, and a list naming a file outside the package was altered: tampered, never intact
      expect(r.verdict).toBe('tampered');
      const found = r.findings.find((x) => x.check === 'sha256sums' && x.status === 'fail');
      expect(found).toMatchObject({ file: 'SHA256SUMS', line: f.size, category: 'integrity' });
      expect(found?.message).toBe(
        `SHA256SUMS:${f.size}: names ${name}, a path outside the package (never read): the list was altered`,
      );
      // the files of the package themselves still match
      expect(r.checks.find((c) => c.id === 'sha256sums')).toMatchObject({ pass: f.size - 1, fail: 1 });
    }
  });

  it.each([
    ['zz/x.jsonl', '../x.jsonl', /entry "\.\.\/x\.jsonl" refused: path with "\.\." would escape/],
    ['ztmp/x.jsonl', '/tmp/x.jsonl', /entry "\/tmp\/x\.jsonl" refused: absolute path/],
  ])('a zip package with a member named %s -> %s is refused naming the entry', async (placeholder, name, why) => {
    const file = await zipWithEntryNamed(placeholder, name);
    const err = await errorOf(verifyEvidencePackage(file, trust));
    expect(err).toBeInstanceOf(AuditWsError);
    expect((err as AuditWsError).code).toBe('UNSAFE_ARCHIVE');
    expect((err as AuditWsError).details).toMatchObject({ file, entry: name });
    expect((err as AuditWsError).message).toMatch(why);
    expect((err as AuditWsError).message.startsWith(`${file}: `)).toBe(true);
  });

  it('a zip package holding a member twice is refused naming the member', async () => {
    // a forged records file first, then the one SHA256SUMS and the signature vouch for: readers that
    // keep the first and readers that keep the last would see different packages
    const recs = files.get('records/decisions.jsonl') as Buffer;
    const file = await zipFile([['records/decisions.jsonl', Buffer.from('{"forged":true}\n')], ...files]);
    const err = await errorOf(verifyEvidencePackage(file, trust));
    expect(err).toBeInstanceOf(AuditWsError);
    expect((err as AuditWsError).code).toBe('UNSAFE_ARCHIVE');
    expect((err as AuditWsError).details).toMatchObject({ file, entry: 'records/decisions.jsonl' });
    expect((err as AuditWsError).message).toBe(`${file}: entry "records/decisions.jsonl" refused: duplicate entry`);
    // the same with a spelling that names the same path
    const again = await zipFile([...files, ['./records//decisions.jsonl', recs]]);
    const err2 = await errorOf(verifyEvidencePackage(again, trust));
    expect((err2 as AuditWsError).code).toBe('UNSAFE_ARCHIVE');
    expect((err2 as AuditWsError).message).toBe(
      `${again}: entry "./records//decisions.jsonl" refused: duplicate entry`,
    );
  });

  it.each([
    ['a records file', 'records/decisions.jsonl'],
    ['the records folder', 'records'],
  ])(
    'a package folder where %s is a symbolic link (to an identical copy outside) is tampered, naming it',
    async (_, member) => {
      // the copy outside is byte for byte the package's, so following the link would verify intact
      const folder = folderOf(files);
      const outside = mkdtempSync(join(tmp, 'link-target-'));
      renameSync(join(folder, member), join(outside, 'target'));
      symlinkSync(join(outside, 'target'), join(folder, member));
      const r = await verifyEvidencePackage(folder, trust);
      expect(r.verdict).toBe('tampered');
      const f = r.findings.find((x) => x.check === 'package-form' && x.status === 'fail');
      expect(f).toMatchObject({ file: member });
      expect(f?.message).toBe(`${member}: not a regular file (a link or special file has no place in a package)`);
      // nothing was read through the link
      expect(r.streams.find((s) => s.stream === 'decisions')).toBeUndefined();
    },
  );
});
