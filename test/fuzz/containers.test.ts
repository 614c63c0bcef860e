// Fuzzing the container readers (zip, tar, tar.gz) through openArchive: a small real archive mutated
// byte by byte (aimed at header fields half the time), and archives built entry by entry with hostile
// names, links, special files, lying sizes and CRCs, overlapping entries. Whatever the input:
//   - openArchive returns, or throws an AuditWsError naming the archive (and the entry, when it has one);
//   - nothing is ever written outside the private extraction folder, and that folder is gone after
//     close() or after a refusal;
//   - an archive that opens holds only regular files inside its root, and none of the hostile entries;
//   - everything it holds can be read (records, manifest, checkpoints) or is refused naming its file.
import { lstatSync, mkdirSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import * as tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { openArchive } from '../../src/archive/open.ts';
import type { OpenedArchive } from '../../src/archive/open.ts';
import { AuditWsError } from '../../src/errors.ts';
import { isUnsafeName, rawZip, readEverything, seedFiles, tarHot, tarOf, yazlZip, zipHot } from './archive-seed.ts';
import type { RawZipEntry, SeedFile, TarEntry } from './archive-seed.ts';
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

let tmp: string;
let files: SeedFile[];
let zipSeed: Buffer;
let tarSeed: Buffer;
beforeAll(async () => {
  tmp = tempDir('containers');
  files = seedFiles();
  zipSeed = await yazlZip(files);
  tarSeed = await tarOf([
    { name: 'example/', type: 'directory' },
    ...files.map((f) => ({ name: f.path, data: f.data })),
  ]);
});
afterAll(removeTempDirs);

const CODES = ['UNSAFE_ARCHIVE', 'LIMIT_EXCEEDED', 'UNREADABLE_INPUT', 'EMPTY_ARCHIVE', 'MALFORMED_RECORD'] as const;

/** Every path under dir (lstat, never following links). */
function walkAll(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((p) => join(dir, p));
}

/**
 * Opens `bytes` as `name` with small limits, checks the invariants above, and says whether it opened.
 * `hostile`: the entries that must never come out of an archive that opens.
 */
async function openAndCheck(bytes: Buffer, name: string, hostile: readonly string[] = []): Promise<Outcome> {
  const dir = caseDir(tmp);
  const input = join(dir, name);
  const scratch = join(dir, 'scratch');
  writeFileSync(input, bytes);
  // the scratch folder is where openArchive makes its private extraction folder
  mkdirSync(scratch);
  let archive: OpenedArchive | undefined;
  try {
    try {
      archive = await openArchive(input, {
        tempParent: scratch,
        maxExtractBytes: 64 * 1024 * 1024,
        maxEntries: 10_000,
      });
    } catch (err) {
      expectClearError(err, [input, 'archive.json'], CODES);
      if (err instanceof AuditWsError && err.code === 'UNSAFE_ARCHIVE' && err.details.entry === undefined)
        throw new Error(`an unsafe-archive refusal without the entry: ${err.message}`, { cause: err });
    }
    // Nothing outside the scratch folder, whatever happened.
    const besides = readdirSync(dir).filter((n) => n !== name && n !== 'scratch');
    if (besides.length > 0) throw new Error(`written outside the extraction folder: ${besides.join(', ')}`);
    if (!archive) {
      if (readdirSync(scratch).length > 0) throw new Error('extraction folder left behind after a refusal');
      return 'rejected';
    }
    const root = realpathSync(archive.root);
    const scratchReal = realpathSync(scratch);
    if (!root.startsWith(scratchReal + sep)) throw new Error(`root ${root} is not inside the extraction folder`);
    for (const p of walkAll(scratch)) {
      const st = lstatSync(p);
      if (!st.isFile() && !st.isDirectory()) throw new Error(`extracted a non-file: ${p}`);
    }
    for (const f of archive.files) {
      if (!realpathSync(f.absPath).startsWith(root + sep)) throw new Error(`${f.path} lies outside the root`);
      if (!lstatSync(f.absPath).isFile()) throw new Error(`${f.path} is not a regular file`);
    }
    for (const h of hostile) {
      const slashed = h.replace(/\\/g, '/').replace(/^\/+/, '');
      if (archive.files.some((f) => `example/${f.path}` === slashed || f.path === slashed))
        throw new Error(`hostile entry ${JSON.stringify(h)} was extracted`);
    }
    await readEverything(archive);
    await archive.close();
    archive = undefined;
    if (readdirSync(scratch).length > 0) throw new Error('extraction folder left behind after close()');
    return 'valid';
  } finally {
    await archive?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// Generated entries

const SEGMENTS = [
  'example', 'decisions', 'x.jsonl', 'archive.json', 'a', 'b', '..', '.', '', 'C:', 'c:', '..\\x', '...', ' ',
  '__MACOSX', '.DS_Store', 'checkpoints', 'é', 'a'.repeat(120), '%2e%2e', 'nul\u0000x', '\\', 'x.jsonl.gz',
]; // prettier-ignore

const nameArb = fc
  .tuple(
    fc.constantFrom('', '', '', '/', '\\', 'C:\\', 'C:/', '//server/share/', './', '../', '../../'),
    fc.array(fc.constantFrom(...SEGMENTS), { minLength: 1, maxLength: 4 }),
    fc.constantFrom('/', '/', '\\'),
    fc.constantFrom('', '', '/'),
  )
  .map(([prefix, segs, joiner, suffix]) => prefix + segs.join(joiner) + suffix);

const S_IFREG = 0o100644;
const S_IFDIR = 0o040755;
const MODES = [S_IFREG, S_IFREG, S_IFREG, S_IFDIR, 0o120777, 0o010644, 0o020644, 0o060644, 0o140755, 0];

const rawEntryArb = fc.record({
  name: nameArb,
  mode: fc.constantFrom(...MODES),
  madeBy: fc.constantFrom(0 as const, 3 as const, 3 as const),
  method: fc.constantFrom(0 as const, 8 as const),
  flags: fc.constantFrom(0, 0, 0, 0x800, 0x1, 0x8),
  crcOk: fc.constantFrom(true, true, true, true, false),
  lie: fc.constantFrom<'none' | 'small' | 'huge' | 'zero'>('none', 'none', 'none', 'small', 'huge', 'zero'),
  data: fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
    fc.constant(Buffer.from('{"decisionId":"z","modelId":"m"}\n')),
  ),
});

type GenEntry = typeof rawEntryArb extends fc.Arbitrary<infer T> ? T : never;

function isHostileZipEntry(e: GenEntry): boolean {
  const type = e.madeBy === 3 ? e.mode & 0o170000 : 0;
  return isUnsafeName(e.name) || (type !== 0 && type !== 0o100000 && type !== 0o040000);
}

function toRaw(e: GenEntry): RawZipEntry {
  const raw: RawZipEntry = {
    name: Buffer.from(e.name, 'utf8'),
    data: e.data,
    method: e.method,
    madeBy: e.madeBy,
    mode: e.mode,
    flags: e.flags,
    crcOk: e.crcOk,
  };
  if (e.lie === 'small') raw.uncompressedSize = Math.max(0, e.data.length - 1);
  if (e.lie === 'huge') raw.uncompressedSize = 0xfffffff0;
  if (e.lie === 'zero') raw.compressedSize = 0;
  return raw;
}

const seedRaw = (f: SeedFile, i: number): RawZipEntry => ({
  name: Buffer.from(f.path),
  data: f.data,
  method: i % 2 === 0 ? 8 : 0,
  madeBy: 3,
  mode: S_IFREG,
  flags: 0,
  crcOk: true,
});

const structureArb = fc.record({
  extra: fc.array(fc.tuple(fc.nat(), rawEntryArb), { maxLength: 3 }),
  overlap: fc.constantFrom(false, false, false, false, true),
  dropSeed: fc.array(fc.nat({ max: 7 }), { maxLength: 2 }),
});

function buildStructuredZip(s: typeof structureArb extends fc.Arbitrary<infer T> ? T : never): {
  bytes: Buffer;
  hostile: string[];
} {
  const entries = files.filter((_, i) => !s.dropSeed.includes(i)).map(seedRaw);
  const hostile: string[] = [];
  for (const [at, e] of s.extra) {
    entries.splice(at % (entries.length + 1), 0, toRaw(e));
    if (isHostileZipEntry(e)) hostile.push(e.name);
  }
  return { bytes: rawZip(entries, s.overlap), hostile };
}

const TAR_TYPES = ['file', 'file', 'file', 'directory', 'symlink', 'link', 'character-device', 'block-device', 'fifo', 'contiguous-file'] as const; // prettier-ignore

const tarEntryArb = fc.record({
  name: nameArb.filter((n) => n.length > 0 && !n.includes('\0')),
  type: fc.constantFrom(...TAR_TYPES),
  linkname: fc.constantFrom('/etc/passwd', '../../outside', 'example/archive.json', 'x'),
  data: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
});

async function buildStructuredTar(
  extra: [number, typeof tarEntryArb extends fc.Arbitrary<infer T> ? T : never][],
): Promise<{
  bytes: Buffer;
  hostile: string[];
}> {
  const entries: TarEntry[] = [
    { name: 'example/', type: 'directory' },
    ...files.map((f) => ({ name: f.path, data: f.data })),
  ];
  for (const [at, e] of extra) {
    const entry: TarEntry = { name: e.name, type: e.type };
    if (e.type === 'file' || e.type === 'contiguous-file') entry.data = e.data;
    if (e.type === 'symlink' || e.type === 'link') entry.linkname = e.linkname;
    entries.splice(at % (entries.length + 1), 0, entry);
  }
  const bytes = await tarOf(entries);
  // The packer rewrites some names (a long name loses its leading slashes in the ustar prefix), so
  // what is hostile is judged on the headers as written.
  const hostile: string[] = [];
  const list = tarStream.extract();
  const listing = (async () => {
    for await (const e of list) {
      const type = e.header.type ?? 'file';
      if (isUnsafeName(e.header.name) || !['file', 'directory', 'contiguous-file'].includes(type))
        hostile.push(e.header.name);
      e.resume();
    }
  })();
  list.end(bytes);
  await listing;
  return { bytes, hostile };
}

// ---------------------------------------------------------------------------------------------------

describe('fuzz: zip', () => {
  const n = runs(50);
  it(
    `mutated zip bytes (${n} cases)`,
    async () => {
      await fuzz(
        'zip',
        'zip-bytes',
        fc.tuple(mutationsArb, fc.boolean()),
        ([mutations, aim]) => openAndCheck(mutate(zipSeed, mutations, aim ? zipHot(zipSeed) : []), 'evidence.zip'),
        n,
      );
    },
    timeoutFor(n, 300),
  );

  const m = runs(50);
  it(
    `zips built entry by entry: hostile names, links, special files, lying sizes, overlaps (${m} cases)`,
    async () => {
      await fuzz(
        'zip',
        'zip-structure',
        structureArb,
        (s) => {
          const { bytes, hostile } = buildStructuredZip(s);
          return openAndCheck(bytes, 'evidence.zip', hostile);
        },
        m,
      );
    },
    timeoutFor(m, 300),
  );
});

describe('fuzz: tar and tar.gz', () => {
  const n = runs(40);
  it(
    `mutated tar bytes (${n} cases)`,
    async () => {
      await fuzz(
        'tar',
        'tar-bytes',
        fc.tuple(mutationsArb, fc.boolean()),
        ([mutations, aim]) => openAndCheck(mutate(tarSeed, mutations, aim ? tarHot(tarSeed) : []), 'evidence.tar'),
        n,
      );
    },
    timeoutFor(n, 300),
  );

  const m = runs(40);
  it(
    `tars built entry by entry: hostile names, links, devices, FIFOs (${m} cases)`,
    async () => {
      await fuzz(
        'tar',
        'tar-structure',
        fc.array(fc.tuple(fc.nat(), tarEntryArb), { minLength: 1, maxLength: 3 }),
        async (extra) => {
          const { bytes, hostile } = await buildStructuredTar(extra);
          return openAndCheck(bytes, 'evidence.tar', hostile);
        },
        m,
      );
    },
    timeoutFor(m, 300),
  );

  const k = runs(40);
  it(
    `tar.gz: mutated tar inside, and mutated gzip outside (${k} cases)`,
    async () => {
      await fuzz(
        'tar.gz',
        'tgz-bytes',
        fc.tuple(mutationsArb, fc.boolean(), fc.option(mutationsArb, { freq: 3 })),
        ([inner, aim, outer]) => {
          const gz = gzipSync(mutate(tarSeed, inner, aim ? tarHot(tarSeed) : []));
          return openAndCheck(outer ? mutate(gz, outer) : gz, 'evidence.tar.gz');
        },
        k,
      );
    },
    timeoutFor(k, 300),
  );
});
