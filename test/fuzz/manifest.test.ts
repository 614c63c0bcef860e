// Fuzzing the small structured files of an archive: the object-store manifest (readManifest), a
// checkpoint (readCheckpoint) and the descriptor (archive.json, read by openArchive). Each is mutated
// byte by byte and member by member (a member's value replaced by a value of another type, a number
// JSON cannot carry, a duplicate name, deep nesting; a member removed). The file is then either read,
// with every member the verifier relies on of the right type, or refused naming the file and line.
import { isUtf8 } from 'node:buffer';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { readCheckpoint, readManifest } from '../../src/archive/manifest.ts';
import { openArchive } from '../../src/archive/open.ts';
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
const MANIFEST = 'manifest/objects.jsonl';
const CHECKPOINT = 'checkpoints/decisions/2026-03-01.json';

let tmp: string;
let manifestSeed: Buffer;
let checkpointSeed: Buffer;
let descriptorSeed: Buffer;
let dataLines: Buffer;
beforeAll(() => {
  tmp = tempDir('manifest');
  const lines = readFileSync(join(EXAMPLE, MANIFEST), 'utf8').split('\n');
  // the first lines, and one of a multipart object (ObjectParts) if the example has one
  const parts = lines.find((l) => l.includes('"ObjectParts"'));
  manifestSeed = Buffer.from(`${[...lines.slice(0, 4), ...(parts ? [parts] : [])].join('\n')}\n`);
  checkpointSeed = readFileSync(join(EXAMPLE, CHECKPOINT));
  descriptorSeed = readFileSync(join(EXAMPLE, 'archive.json'));
  dataLines = Buffer.from(`${readFileSync(join(EXAMPLE, 'decisions/2026-03-01.jsonl'), 'utf8').split('\n')[0]}\n`);
});
afterAll(removeTempDirs);

/** Replacement values, as raw JSON text (some are not what JSON.parse would give back). */
const VALUES = [
  'null', '-1', '1.5', '0', '"x"', '""', '[]', '{}', 'true', '9007199254740993', '1e400', '-0', '"0"',
  '"COMPLIANCE"', '{"ChecksumSHA256":1}', '[{"PartNumber":"1","Size":2}]', `${'['.repeat(300)}${']'.repeat(300)}`,
  '"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"', '"FFFF"', '"\\u0000"',
]; // prettier-ignore

type MemberEdit =
  { kind: 'set'; pick: number; value: string } | { kind: 'drop'; pick: number } | { kind: 'dup'; pick: number };

const memberEditArb: fc.Arbitrary<MemberEdit> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: fc.constantFrom(...VALUES) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dup' as const), pick: fc.nat() }) },
);

/** Applies member edits to the JSON object in `text` (members at any depth of objects), writing raw values. */
function editMembers(text: string, edits: readonly MemberEdit[], indent?: number): string {
  const value = JSON.parse(text) as unknown;
  const raws: string[] = [];
  for (const e of edits) {
    const holders: Record<string, unknown>[] = [];
    const visit = (v: unknown): void => {
      if (v === null || typeof v !== 'object') return;
      if (!Array.isArray(v)) holders.push(v as Record<string, unknown>);
      for (const c of Object.values(v as object)) visit(c);
    };
    visit(value);
    const slots = holders.flatMap((h) => Object.keys(h).map((k) => [h, k] as const));
    if (slots.length === 0) continue;
    const [holder, key] = slots[e.pick % slots.length];
    if (e.kind === 'drop') delete holder[key];
    else if (e.kind === 'set') {
      holder[key] = `\u0000raw${raws.length}\u0000`;
      raws.push(e.value);
    } else {
      holder[`\u0000dup\u0000${key}`] = holder[key];
    }
  }
  let out = JSON.stringify(value, null, indent);
  out = out.replace(/"\\u0000raw(\d+)\\u0000"/g, (_, i: string) => raws[Number(i)]);
  out = out.replace(/"\\u0000dup\\u0000/g, '"');
  return out;
}

function archiveWith(path: string, bytes: Buffer): string {
  const dir = caseDir(tmp);
  mkdirSync(join(dir, 'decisions'), { recursive: true });
  writeFileSync(join(dir, 'decisions/2026-03-01.jsonl'), dataLines);
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), bytes);
  return dir;
}

const HEX64 = /^[0-9a-f]{64}$/;
const isSafeNat = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

async function checkManifest(bytes: Buffer): Promise<Outcome> {
  const dir = archiveWith(MANIFEST, bytes);
  try {
    const archive = await openArchive(dir);
    try {
      const entries = await readManifest(archive);
      if (!entries) throw new Error('manifest not found');
      const nonBlank = bytes
        .toString('utf8')
        .split('\n')
        .map((t, i) => ({ t: t.replace(/\r$/, ''), line: i + 1 }))
        .filter((l) => !/^[ \t]*$/.test(l.t));
      if (entries.length !== nonBlank.length) throw new Error(`${entries.length} entries for ${nonBlank.length} lines`);
      entries.forEach((e, i) => {
        if (e.line !== nonBlank[i].line) throw new Error(`entry ${i} has line ${e.line}, expected ${nonBlank[i].line}`);
        if (typeof e.Key !== 'string' || e.Key === '')
          throw new Error(`line ${e.line}: Key accepted as ${String(e.Key)}`);
        if (e.ObjectSize !== undefined && !isSafeNat(e.ObjectSize))
          throw new Error(`line ${e.line}: ObjectSize ${e.ObjectSize}`);
        if (e.Checksum != null && Object.values(e.Checksum).some((c) => typeof c !== 'string'))
          throw new Error(`line ${e.line}: a checksum that is not a string`);
        for (const p of e.ObjectParts?.Parts ?? [])
          if (!Number.isSafeInteger(p.PartNumber) || !Number.isSafeInteger(p.Size))
            throw new Error(`line ${e.line}: a part without integer PartNumber and Size`);
      });
      return 'valid';
    } catch (err) {
      expectClearError(err, `${MANIFEST}:`, ['MALFORMED_RECORD'], { needLine: true });
      return 'rejected';
    } finally {
      await archive.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function checkCheckpoint(bytes: Buffer): Promise<Outcome> {
  const dir = archiveWith(CHECKPOINT, bytes);
  try {
    const archive = await openArchive(dir);
    try {
      const cp = archive.checkpoints.find((c) => c.path === CHECKPOINT);
      if (!cp) throw new Error('checkpoint not found');
      const { bytes: read, value: v } = await readCheckpoint(archive, cp);
      if (!read.equals(bytes)) throw new Error('the bytes read differ from the file');
      if (!isUtf8(bytes)) throw new Error('bytes that are not UTF-8 read as a checkpoint');
      if (typeof v.stream !== 'string' || typeof v.label !== 'string') throw new Error('stream/label not strings');
      if (![v.firstSeq, v.lastSeq, v.count].every(isSafeNat)) throw new Error('a seq member is not a safe integer');
      if (!HEX64.test(v.headHash) || !HEX64.test(v.merkleRoot)) throw new Error('a hash member is not 64 hex');
      if (v.prevCheckpointSha256 !== null && !HEX64.test(String(v.prevCheckpointSha256)))
        throw new Error('prevCheckpointSha256 accepted');
      return 'valid';
    } catch (err) {
      expectClearError(err, CHECKPOINT, ['MALFORMED_RECORD', 'LIMIT_EXCEEDED']);
      return 'rejected';
    } finally {
      await archive.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function checkDescriptor(bytes: Buffer): Promise<Outcome> {
  const dir = archiveWith('archive.json', bytes);
  try {
    const archive = await openArchive(dir);
    await archive.close();
    if (!isUtf8(bytes)) throw new Error('bytes that are not UTF-8 read as the descriptor');
    return 'valid';
  } catch (err) {
    expectClearError(err, 'archive.json:', ['MALFORMED_RECORD', 'LIMIT_EXCEEDED'], { needLine: true });
    return 'rejected';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Byte mutations, or member edits of one line (manifest) / the whole object (checkpoint, descriptor). */
function damagedArb(seed: () => Buffer, lineWise: boolean, indent?: number): fc.Arbitrary<Buffer> {
  return fc.oneof(
    mutationsArb.map((m) => mutate(seed(), m)),
    fc.tuple(fc.nat(), fc.array(memberEditArb, { minLength: 1, maxLength: 3 })).map(([pick, edits]) => {
      const text = seed().toString('utf8');
      if (!lineWise) return Buffer.from(`${editMembers(text, edits, indent)}\n`);
      const lines = text.split('\n');
      const i = pick % (lines.length - 1);
      lines[i] = editMembers(lines[i], edits);
      return Buffer.from(lines.join('\n'));
    }),
  );
}

describe('fuzz: manifest, checkpoint, descriptor', () => {
  const n = runs(80);
  it(
    `manifest/objects.jsonl: entries of the right shape, or refused at file:line (${n} cases)`,
    async () => {
      await fuzz(
        'manifest',
        'manifest',
        damagedArb(() => manifestSeed, true),
        checkManifest,
        n,
      );
    },
    timeoutFor(n, 200),
  );

  const m = runs(80);
  it(
    `checkpoint: members of the right type and exact bytes, or refused naming the file (${m} cases)`,
    async () => {
      await fuzz(
        'checkpoint',
        'checkpoint',
        damagedArb(() => checkpointSeed, false, 2),
        checkCheckpoint,
        m,
      );
    },
    timeoutFor(m, 200),
  );

  const k = runs(60);
  it(
    `archive.json: opened, or refused at archive.json:line (${k} cases)`,
    async () => {
      await fuzz(
        'manifest',
        'descriptor',
        damagedArb(() => descriptorSeed, false, 2),
        checkDescriptor,
        k,
      );
    },
    timeoutFor(k, 200),
  );
});
