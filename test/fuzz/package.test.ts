// Fuzzing evidence package verification (src/package/verify.ts): a real small package (6 decisions of
// the example archive, with their reviews and outcomes, checkpoints, .sig/.tsr, custody excerpt, signed
// SHA256SUMS) mutated as zip bytes, and file by file (bytes, or members of one JSON line) and zipped
// again, sometimes with SHA256SUMS recomputed as a forger would; or a SHA256SUMS line naming a path
// outside the package, or one member zipped twice. The verifier returns a report or a clear error
// naming the package, and "intact" only when what the package proves is what it held: every file the
// same bytes, or (for a forger who recomputed SHA256SUMS) every record and proof line the same JSON
// value, read strictly, and every checkpoint the same bytes; never for a hostile name or a twice-zipped
// member.
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { sha256Hex } from '../../src/archive/canonical.ts';
import { DEFAULT_EXTRACT_LIMITS, extractZip } from '../../src/archive/containers.ts';
import { parseStrictJson } from '../../src/archive/jsontext.ts';
import { Workspace } from '../../src/case/workspace.ts';
import { importArchives } from '../../src/import/importer.ts';
import { verifyEvidencePackage } from '../../src/package/verify.ts';
import { writeEvidencePackage } from '../../src/package/write.ts';
import { zipHot } from './archive-seed.ts';
import {
  caseDir,
  expectClearError,
  fuzz,
  mutate,
  mutationsArb,
  removeTempDirs,
  runs,
  tempDir,
  timeoutFor,
} from './support.ts';
import type { Outcome } from './support.ts';

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));

let tmp: string;
let zipBytes: Buffer;
let original: Map<string, Buffer>;
let trust: { trustKeys: string[]; trustTsa: string[] };

function walk(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel)).flatMap((n) => {
    const p = rel ? `${rel}/${n}` : n;
    return statSync(join(dir, p)).isDirectory() ? walk(dir, p) : [p];
  });
}

/** The files of a package zip, extracted the way the verifier extracts it; undefined if it cannot be. */
async function contentsOf(zip: string): Promise<Map<string, Buffer> | undefined> {
  const dir = caseDir(tmp);
  try {
    await extractZip(zip, zip, dir, DEFAULT_EXTRACT_LIMITS);
    return new Map(walk(dir).map((p) => [p, readFileSync(join(dir, p))]));
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The files zipped in path order; `twice` is zipped too, just before (or after) the entry of the same name. */
async function zipOf(files: Map<string, Buffer>, twice?: [string, Buffer, boolean]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [p, b] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (twice && twice[0] === p && twice[2]) zip.addBuffer(twice[1], p, { mtime: new Date(0) });
    zip.addBuffer(b, p, { mtime: new Date(0) });
    if (twice && twice[0] === p && !twice[2]) zip.addBuffer(twice[1], p, { mtime: new Date(0) });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  tmp = tempDir('package');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const investigatorKey = join(tmp, 'investigator.pem');
  const investigatorPub = join(tmp, 'investigator.pub.pem');
  writeFileSync(investigatorKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(investigatorPub, publicKey.export({ type: 'spki', format: 'pem' }));
  trust = {
    trustKeys: [join(EXAMPLE, 'keys/checkpoint-signing.pub.pem'), investigatorPub],
    trustTsa: [join(EXAMPLE, 'keys/tsa-root.pem')],
  };
  const ws = new Workspace(join(tmp, 'ws'));
  const handle = await ws.create('Fuzz case', { actor: 'Fuzzer' });
  try {
    const r = await importArchives(handle, [EXAMPLE]);
    if (r.status !== 'done') throw new Error(`import ${r.status}`);
    const ids = (await handle.duck.runAndReadAll('SELECT decision_id FROM decisions ORDER BY seq'))
      .getRowsJS()
      .map((x) => String(x[0]))
      .filter((_, i) => i % 10 === 0);
    const out = join(tmp, 'evidence.zip');
    await writeEvidencePackage(handle, {
      out,
      selection: { decisionIds: ids },
      signingKeyFile: investigatorKey,
      makeReport: async (d) => [{ path: 'report.html', bytes: Buffer.from(`<html><body>${d.length}</body></html>`) }],
    });
    zipBytes = readFileSync(out);
  } finally {
    await handle.close();
  }
  const c = await contentsOf(join(tmp, 'evidence.zip'));
  if (!c) throw new Error('the seed package cannot be extracted');
  original = c;
  const base = await verifyEvidencePackage(join(tmp, 'evidence.zip'), trust);
  if (base.verdict !== 'intact') throw new Error(`the seed package is ${base.verdict}: ${base.reason}`);
}, 120_000);
afterAll(removeTempDirs);

/** Strictly parsed values of the non-empty lines of a JSONL file (undefined when a line does not parse). */
function jsonLines(b: Buffer): unknown[] | undefined {
  const out: unknown[] = [];
  for (const line of b.toString('utf8').split('\n')) {
    if (line === '') continue;
    const p = parseStrictJson(line);
    if (!p.ok) return undefined;
    out.push(p.value);
  }
  return out;
}

function sameFile(path: string, a: Buffer | undefined, b: Buffer | undefined, semantic: boolean): boolean {
  if (!a || !b) return a === b;
  if (a.equals(b)) return true;
  if (!semantic || !/^(records|proofs)\/[^/]+\.jsonl$/.test(path)) return false;
  // Of a proof, only what the verifier proves with it; `source` (where the case read the record) is
  // information that only the package signature vouches for.
  const proven = (v: unknown): unknown => {
    if (!path.startsWith('proofs/') || v === null || typeof v !== 'object') return v;
    const { seq, hash, checkpoint, leafIndex, treeSize, path: auditPath, line } = v as Record<string, unknown>;
    return { seq, hash, checkpoint, leafIndex, treeSize, auditPath, line };
  };
  const x = jsonLines(a)?.map(proven);
  const y = jsonLines(b)?.map(proven);
  return x !== undefined && y !== undefined && JSON.stringify(x) === JSON.stringify(y);
}

/** `neverIntact`: why this package must not verify intact whatever its files hold. */
async function verifyAndJudge(bytes: Buffer, forgedSums: boolean, neverIntact?: string): Promise<Outcome> {
  const dir = caseDir(tmp);
  const file = join(dir, 'evidence.zip');
  try {
    writeFileSync(file, bytes);
    let report;
    try {
      report = await verifyEvidencePackage(file, trust);
    } catch (err) {
      expectClearError(err, file, ['UNSAFE_ARCHIVE', 'LIMIT_EXCEEDED', 'UNREADABLE_INPUT']);
      return 'rejected';
    }
    if (!Array.isArray(report.findings) || typeof report.reason !== 'string') throw new Error('no report');
    for (const f of report.findings) if (!f.message) throw new Error(`finding ${f.check} without a message`);
    if (report.verdict !== 'intact') return 'rejected';
    if (neverIntact) throw new Error(`intact although ${neverIntact}`);
    const now = await contentsOf(file);
    if (!now) throw new Error('intact, yet the zip cannot be extracted');
    // What an intact verdict vouches for must be what the package held.
    const paths = new Set([...original.keys(), ...now.keys()]);
    for (const p of paths) {
      const token = /^checkpoints\/.+\.json\.(sig|tsr)$/.exec(p);
      if (forgedSums && token && !sameFile(p, original.get(p), now.get(p), false)) {
        // A changed .sig or .tsr may leave the records intact, but then it passes (same signature
        // bytes, same signed token) or the report names it as a gap in what is proven.
        const cp = report.checkpoints.find((c) => p === `${c.file}.${token[1]}`);
        const passed = token[1] === 'sig' ? cp?.signature.status === 'pass' : cp?.timestamp.status === 'pass';
        const named = report.findings.some((f) => f.file === p && f.status !== 'pass');
        if (!passed && !named) throw new Error(`intact although ${p} changed, and no finding names it`);
        continue;
      }
      const vouched = forgedSums ? /^(records|proofs|checkpoints)\//.test(p) : p !== 'SHA256SUMS.sig';
      if (vouched && !sameFile(p, original.get(p), now.get(p), forgedSums))
        throw new Error(`intact although ${p} differs from the package as written`);
    }
    return 'valid';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const VALUES = [
  'null',
  '"x"',
  '1',
  '9007199254740993',
  '1e400',
  '[]',
  '{}',
  'true',
  `${'['.repeat(300)}${']'.repeat(300)}`,
];

/** Names a SHA256SUMS line may give that are no file of the package (outside it, or not its spelling). */
const HOSTILE_NAMES = [
  '../x',
  '../../../../etc/passwd',
  '/etc/passwd',
  'C:\\x',
  '\\\\server\\share\\x',
  'records\\..\\..\\x',
  'records/../package.json',
  './package.json',
  'records//decisions.jsonl',
  'records',
  'records/',
  'x\u0000y',
];

/**
 * One file of the package changed: its bytes, or one member of one JSON line (value, duplicate,
 * removal); or SHA256SUMS given one more line naming a hostile path (with the digest of the file it
 * would reach if resolved, else of the file picked); or the file picked zipped twice, once changed
 * (first or last: an extractor that keeps the last copy, or the first, would see the original).
 */
const fileEditArb = fc.record({
  pick: fc.nat(),
  how: fc.constantFrom('bytes', 'member', 'member', 'duplicate', 'sums-name', 'zip-twice'),
  hostileName: fc.constantFrom(...HOSTILE_NAMES),
  line: fc.nat(),
  member: fc.nat(),
  value: fc.constantFrom(...VALUES),
  mutations: mutationsArb,
  forgeSums: fc.boolean(),
  changedFirst: fc.boolean(),
});

function editFile(
  path: string,
  bytes: Buffer,
  e: typeof fileEditArb extends fc.Arbitrary<infer T> ? T : never,
): Buffer {
  if (e.how !== 'member' && e.how !== 'duplicate') return mutate(bytes, e.mutations);
  if (!/\.(jsonl|json)$/.test(path)) return mutate(bytes, e.mutations);
  const lines = bytes.toString('utf8').split('\n');
  const idx = e.line % Math.max(1, lines.filter((l) => l !== '').length);
  const parsed = parseStrictJson(lines[idx]);
  if (!parsed.ok || parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value))
    return mutate(bytes, e.mutations);
  const obj = parsed.value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 0) return mutate(bytes, e.mutations);
  const key = keys[e.member % keys.length];
  let text: string;
  if (e.how === 'duplicate') {
    // the same name twice: the first with a new value, the last with the original one
    text = `{${JSON.stringify(key)}:${e.value},${JSON.stringify(obj).slice(1)}`;
  } else {
    obj[key] = '\u0000raw\u0000';
    text = JSON.stringify(obj).replace('"\\u0000raw\\u0000"', e.value);
  }
  lines[idx] = text;
  return Buffer.from(lines.join('\n'));
}

describe('fuzz: evidence packages', () => {
  const n = runs(20);
  it(
    `mutated package zip bytes: a report or a clear error; intact only when every file is unchanged (${n} cases)`,
    async () => {
      const hot = zipHot(zipBytes);
      await fuzz(
        'package',
        'package-zip-bytes',
        fc.tuple(mutationsArb, fc.boolean()),
        ([mutations, aim]) => verifyAndJudge(mutate(zipBytes, mutations, aim ? hot : []), false),
        n,
      );
    },
    timeoutFor(n, 800),
  );

  const m = runs(20);
  it(
    `one file of the package changed, SHA256SUMS forged or not: never intact with altered evidence (${m} cases)`,
    async () => {
      const names = [...original.keys()].sort();
      await fuzz(
        'package',
        'package-files',
        fileEditArb,
        async (e) => {
          const files = new Map(original);
          const target = names[e.pick % names.length];
          const edited = editFile(target, original.get(target) as Buffer, e);
          if (e.how !== 'sums-name' && e.how !== 'zip-twice') files.set(target, edited);
          if (e.forgeSums && files.has('SHA256SUMS')) {
            // a forger cannot sign: the signature goes, and the package reads as an unsigned one
            files.delete('SHA256SUMS.sig');
            const sums = [...files.keys()]
              .filter((p) => p !== 'SHA256SUMS' && p !== 'SHA256SUMS.sig')
              .sort()
              .map((p) => `${sha256Hex(files.get(p) as Buffer)}  ${p}`)
              .join('\n');
            files.set('SHA256SUMS', Buffer.from(`${sums}\n`));
          }
          if (e.how === 'sums-name') {
            const sums = files.get('SHA256SUMS') ?? Buffer.alloc(0);
            // the digest of the file the name would reach if it were resolved, so that resolving it passes
            const reached = original.get(posix.normalize(e.hostileName.replace(/\\/g, '/')));
            const line = `${sha256Hex(reached ?? (original.get(target) as Buffer))}  ${e.hostileName}\n`;
            files.set('SHA256SUMS', Buffer.concat([sums, Buffer.from(line)]));
            return verifyAndJudge(await zipOf(files), e.forgeSums, `SHA256SUMS names ${JSON.stringify(e.hostileName)}`);
          }
          if (e.how === 'zip-twice') {
            // the forger dropped SHA256SUMS.sig: then SHA256SUMS goes in twice
            const twice = files.has(target) ? target : 'SHA256SUMS';
            const changed = twice === target ? edited : mutate(files.get(twice) as Buffer, e.mutations);
            return verifyAndJudge(
              await zipOf(files, [twice, changed, e.changedFirst]),
              e.forgeSums,
              `${twice} is in the zip twice`,
            );
          }
          return verifyAndJudge(await zipOf(files), e.forgeSums);
        },
        m,
      );
    },
    timeoutFor(m, 800),
  );
});
