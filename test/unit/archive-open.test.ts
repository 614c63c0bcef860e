import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as tarStream from 'tar-stream';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditWsError } from '../../src/errors.ts';
import { assignRecord, openArchive, roleOfPath } from '../../src/archive/open.ts';
import type { OpenedArchive } from '../../src/archive/open.ts';
import { readCheckpoint, readManifest } from '../../src/archive/manifest.ts';
import { readRecords } from '../../src/archive/records.ts';

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));
const PYTHON_LOG = fileURLToPath(new URL('../fixtures/spec/example-python-logger.jsonl', import.meta.url));

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'audit-ws-open-test-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const RECORD = '{"decisionId":"d-1","modelId":"m","prediction":"approve","timestamp":"2026-01-01T00:00:00Z"}';

async function zipBuffer(
  entries: { name: string; data?: Buffer; mode?: number; compress?: boolean }[],
): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    const opts: Partial<yazl.Options> = { compress: e.compress ?? true };
    if (e.mode !== undefined) opts.mode = e.mode;
    zip.addBuffer(e.data ?? Buffer.from(`${RECORD}\n`), e.name, opts);
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** yazl refuses unsafe names, so a safe name of the same length is written and its bytes replaced. */
function renameInZip(zip: Buffer, from: string, to: string): Buffer {
  expect(from.length).toBe(to.length);
  const out = Buffer.from(zip);
  const needle = Buffer.from(from);
  let at = out.indexOf(needle);
  let n = 0;
  while (at !== -1) {
    out.write(to, at);
    n++;
    at = out.indexOf(needle, at + 1);
  }
  expect(n).toBe(2); // local header and central directory
  return out;
}

type TarEntry = Partial<tarStream.Header> & { name: string; data?: Buffer };

async function tarBuffer(entries: TarEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const { data, ...header } of entries) {
    const isFile = header.type === undefined || header.type === 'file';
    const body = data ?? Buffer.from(`${RECORD}\n`);
    await new Promise<void>((ok, fail) => {
      const cb = (err?: Error | null) => (err ? fail(err) : ok());
      if (isFile) pack.entry(header as tarStream.Header, body, cb);
      else pack.entry(header as tarStream.Header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

function write(name: string, data: Buffer | string): string {
  const p = join(tmp, name);
  writeFileSync(p, data);
  return p;
}

async function openError(path: string, options?: Parameters<typeof openArchive>[1]): Promise<AuditWsError> {
  try {
    const a = await openArchive(path, options);
    await a.close();
  } catch (err) {
    expect(err).toBeInstanceOf(AuditWsError);
    return err as AuditWsError;
  }
  throw new Error(`${path} opened although it should have been refused`);
}

describe('openArchive on the example folder', () => {
  let a: OpenedArchive;
  beforeAll(async () => {
    a = await openArchive(EXAMPLE);
  });
  afterAll(() => a.close());

  it('finds descriptor, data files, checkpoints, manifest and keys', () => {
    expect(a.container).toBe('folder');
    expect(a.descriptor?.format).toBe('ai-audit-archive');
    const data = a.files.filter((f) => f.role === 'data');
    expect(data).toHaveLength(9);
    expect(data.find((f) => f.path === 'reviews/2026-03-01.jsonl.gz')).toMatchObject({
      format: 'jsonl.gz',
      stream: 'reviews',
      kind: 'review',
    });
    expect(data.find((f) => f.path === 'decisions/2026-03-01.jsonl')).toMatchObject({
      format: 'jsonl',
      stream: 'decisions',
      kind: 'decision',
    });
    expect(a.checkpoints).toHaveLength(9);
    expect(a.checkpoints.every((c) => c.sigPath && c.tsrPath)).toBe(true);
    expect(a.checkpoints[0]).toEqual({
      stream: 'decisions',
      label: '2026-03-01',
      path: 'checkpoints/decisions/2026-03-01.json',
      sigPath: 'checkpoints/decisions/2026-03-01.json.sig',
      tsrPath: 'checkpoints/decisions/2026-03-01.json.tsr',
    });
    expect(a.files.filter((f) => f.role === 'key').map((f) => f.path)).toEqual([
      'keys/checkpoint-signing.pub.pem',
      'keys/tsa-root.pem',
      'keys/tsa.pem',
    ]);
    expect(a.files.find((f) => f.role === 'manifest')?.path).toBe('manifest/objects.jsonl');
    expect(a.warnings).toEqual([]);
  });

  it('reads the manifest with line numbers and checkpoints with their exact bytes', async () => {
    const m = await readManifest(a);
    expect(m).toHaveLength(36);
    expect(m?.[0].line).toBe(1);
    expect(m?.[35].line).toBe(36);
    expect(m?.[0].Key).toBe('exports/acme-credit/checkpoints/decisions/2026-03-01.json');
    const { bytes, value } = await readCheckpoint(a, a.checkpoints[0]);
    expect(bytes.equals(readFileSync(join(EXAMPLE, 'checkpoints/decisions/2026-03-01.json')))).toBe(true);
    expect(value).toMatchObject({
      stream: 'decisions',
      firstSeq: 0,
      lastSeq: 29,
      count: 30,
      prevCheckpointSha256: null,
    });
  });
});

describe('roles by path', () => {
  it('reserves checkpoints/, manifest/, keys/ and explanations/', () => {
    expect(roleOfPath('archive.json').role).toBe('descriptor');
    expect(roleOfPath('a/b/c.ndjson')).toEqual({ role: 'data', format: 'jsonl' });
    expect(roleOfPath('x.NDJSON.gz')).toEqual({ role: 'data', format: 'jsonl.gz' });
    expect(roleOfPath('x.parquet')).toEqual({ role: 'data', format: 'parquet' });
    expect(roleOfPath('manifest/objects.jsonl').role).toBe('manifest');
    expect(roleOfPath('manifest/other.jsonl').role).toBe('other');
    expect(roleOfPath('explanations/shap-0.json').role).toBe('explanation');
    expect(roleOfPath('keys/k.pem').role).toBe('key');
    expect(roleOfPath('checkpoints/s/l.json.tsr').role).toBe('checkpoint-timestamp');
    expect(roleOfPath('checkpoints/l.json').role).toBe('other');
  });
});

describe('streams without a descriptor', () => {
  it('uses checkpoints/<folder>/ names and content detection', async () => {
    const dir = join(tmp, 'no-descriptor');
    cpSync(EXAMPLE, dir, { recursive: true });
    rmSync(join(dir, 'archive.json'));
    // A data file in a folder with no checkpoints falls back to the default stream of its kind.
    mkdirSync(join(dir, 'misc'));
    cpSync(join(EXAMPLE, 'outcomes/2026-03-31.jsonl'), join(dir, 'misc/o.jsonl'));
    const a = await openArchive(dir);
    try {
      const byPath = Object.fromEntries(
        a.files.filter((f) => f.role === 'data').map((f) => [f.path, [f.stream, f.kind]]),
      );
      expect(byPath['decisions/2026-03-01.jsonl']).toEqual(['decisions', 'decision']);
      expect(byPath['lifecycle/2026-02-09.jsonl']).toEqual(['lifecycle', 'lifecycle']);
      expect(byPath['reviews/2026-03-02.jsonl.gz']).toEqual(['reviews', 'review']);
      expect(byPath['misc/o.jsonl']).toEqual(['outcomes', 'outcome']);
    } finally {
      await a.close();
    }
  });

  it('a record `stream` member beats everything, and the descriptor listing beats the folder', async () => {
    const dir = join(tmp, 'stream-rules');
    mkdirSync(join(dir, 'checkpoints/folderstream'), { recursive: true });
    mkdirSync(join(dir, 'folderstream'));
    writeFileSync(join(dir, 'checkpoints/folderstream/x.json'), '{}');
    writeFileSync(join(dir, 'folderstream/a.jsonl'), `${RECORD}\n`);
    writeFileSync(join(dir, 'folderstream/b.jsonl'), `${RECORD}\n`);
    writeFileSync(
      join(dir, 'folderstream/c.jsonl'),
      `${JSON.stringify({ ...JSON.parse(RECORD), stream: 'own' })}\n${RECORD}\n`,
    );
    writeFileSync(join(dir, 'other.jsonl'), `${RECORD}\n`);
    writeFileSync(
      join(dir, 'archive.json'),
      JSON.stringify({
        streams: [
          { name: 'listed', kind: 'decision', files: ['./folderstream/a.jsonl'] },
          { name: 'second', kind: 'decision' },
        ],
      }),
    );
    const a = await openArchive(dir);
    try {
      const f = (p: string) => a.files.find((x) => x.path === p)!;
      expect(f('folderstream/a.jsonl').stream).toBe('listed'); // rule 2
      expect(f('folderstream/b.jsonl').stream).toBe('folderstream'); // two decision streams: rule 3 skipped, rule 4
      expect(f('folderstream/c.jsonl').stream).toBe('own'); // rule 1
      expect(f('other.jsonl').stream).toBe('decisions'); // rule 5
      // Per record: the second line of c.jsonl has no stream member, so it belongs to the folder's stream.
      const recs = [];
      for await (const r of readRecords(a, f('folderstream/c.jsonl')))
        if (!('error' in r)) recs.push(assignRecord(a, f('folderstream/c.jsonl'), r.value));
      expect(recs).toEqual([
        { stream: 'own', kind: 'decision' },
        { stream: 'folderstream', kind: 'decision' },
      ]);
    } finally {
      await a.close();
    }
  });

  it('opens a single JSONL file of the Python logger dialect', async () => {
    const a = await openArchive(PYTHON_LOG);
    try {
      expect(a.container).toBe('file');
      expect(a.files).toHaveLength(1);
      expect(a.files[0]).toMatchObject({
        path: 'example-python-logger.jsonl',
        role: 'data',
        kind: 'decision',
        stream: 'decisions',
      });
    } finally {
      await a.close();
    }
  });
});

describe('containers', () => {
  it('extracts a zip with one top-level folder and removes the extraction on close', async () => {
    const p = write(
      'one.zip',
      await zipBuffer([
        { name: 'export-1/decisions/a.jsonl' },
        { name: 'export-1/archive.json', data: Buffer.from('{"streams":[]}') },
      ]),
    );
    const a = await openArchive(p);
    expect(a.container).toBe('zip');
    expect(a.files.map((f) => f.path)).toEqual(['archive.json', 'decisions/a.jsonl']);
    expect(existsSync(a.root)).toBe(true);
    await a.close();
    expect(existsSync(a.root)).toBe(false);
    await a.close();
  });

  it('refuses a zip entry with ../, naming the entry', async () => {
    const zip = renameInZip(await zipBuffer([{ name: 'xx/evil.jsonl' }]), 'xx/evil.jsonl', '../evil.jsonl');
    const err = await openError(write('slip.zip', zip));
    expect(err.code).toBe('UNSAFE_ARCHIVE');
    expect(err.message).toContain('slip.zip');
    expect(err.message).toContain('../evil.jsonl');
    expect(err.details.entry).toBe('../evil.jsonl');
    expect(existsSync(join(tmp, 'evil.jsonl'))).toBe(false);
  });

  it('refuses a zip entry with an absolute path', async () => {
    const zip = renameInZip(await zipBuffer([{ name: 'xtmp/abs.jsonl' }]), 'xtmp/abs.jsonl', '/tmp/abs.jsonl');
    const err = await openError(write('abs.zip', zip));
    expect(err.code).toBe('UNSAFE_ARCHIVE');
    expect(err.message).toMatch(/abs\.zip.*\/tmp\/abs\.jsonl.*absolute path/);
  });

  it('refuses a zip symlink entry', async () => {
    const zip = await zipBuffer([
      { name: 'a/link.jsonl', data: Buffer.from('/etc/passwd'), mode: 0o120777, compress: false },
    ]);
    const err = await openError(write('link.zip', zip));
    expect(err.code).toBe('UNSAFE_ARCHIVE');
    expect(err.message).toMatch(/a\/link\.jsonl.*symbolic link/);
  });

  it('refuses a zip bomb by its expansion ratio', async () => {
    const zip = await zipBuffer([{ name: 'b/zeros.jsonl', data: Buffer.alloc(16 * 1024 * 1024) }]);
    const err = await openError(write('bomb.zip', zip));
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(err.message).toMatch(/bomb\.zip: b\/zeros\.jsonl expands more than 200:1/);
  });

  it('refuses a truncated zip', async () => {
    const zip = await zipBuffer([{ name: 'a/x.jsonl' }]);
    const err = await openError(write('trunc.zip', zip.subarray(0, zip.length - 30)));
    expect(err.code).toBe('UNREADABLE_INPUT');
    expect(err.message).toContain('trunc.zip');
  });

  it('refuses symlink, hard link and device entries in a tar', async () => {
    for (const [type, extra, word] of [
      ['symlink', { linkname: '/etc/passwd' }, 'symbolic link'],
      ['link', { linkname: 'a/x.jsonl' }, 'hard link'],
      ['character-device', { devmajor: 1, devminor: 3 }, 'character-device'],
    ] as const) {
      const tar = await tarBuffer([{ name: 'a/x.jsonl' }, { name: `a/${type}.jsonl`, type, ...extra }]);
      const err = await openError(write(`${type}.tar`, tar));
      expect(err.code).toBe('UNSAFE_ARCHIVE');
      expect(err.message).toContain(`${type}.tar`);
      expect(err.message).toContain(`a/${type}.jsonl`);
      expect(err.message).toContain(word);
    }
  });

  it('refuses ../ and absolute names and duplicate entries in a tar', async () => {
    let err = await openError(write('slip.tar', await tarBuffer([{ name: 'a/../../evil.jsonl' }])));
    expect(err.code).toBe('UNSAFE_ARCHIVE');
    expect(err.message).toContain('a/../../evil.jsonl');
    err = await openError(write('abs.tar', await tarBuffer([{ name: '/etc/evil.jsonl' }])));
    expect(err.message).toMatch(/\/etc\/evil\.jsonl.*absolute path/);
    err = await openError(
      write(
        'dup.tar',
        await tarBuffer([{ name: 'a/x.jsonl' }, { name: 'a/x.jsonl', data: Buffer.from('{"other":1}\n') }]),
      ),
    );
    expect(err.message).toMatch(/a\/x\.jsonl.*duplicate entry/);
  });

  it('refuses a gzip bomb in a tar.gz beyond the ratio limit, and honours a raised limit', async () => {
    const tgz = gzipSync(await tarBuffer([{ name: 'b/zeros.jsonl', data: Buffer.alloc(32 * 1024 * 1024) }]));
    const p = write('bomb.tar.gz', tgz);
    const err = await openError(p);
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(err.message).toMatch(/bomb\.tar\.gz: b\/zeros\.jsonl expands more than 200:1/);
    // Raising the ratio lets it through to the next limit: the total size.
    const err2 = await openError(p, { maxExpansionRatio: 1e6, maxExtractBytes: 8 * 1024 * 1024 });
    expect(err2.code).toBe('LIMIT_EXCEEDED');
    expect(err2.message).toMatch(/exceed the limit of 8388608 bytes/);
  });

  it('refuses a truncated tar.gz naming the file', async () => {
    const tgz = gzipSync(await tarBuffer([{ name: 'a/x.jsonl', data: Buffer.from(`${RECORD}\n`.repeat(2000)) }]));
    const err = await openError(write('trunc.tar.gz', tgz.subarray(0, tgz.length >> 1)));
    expect(err.code).toBe('UNREADABLE_INPUT');
    expect(err.message).toMatch(/trunc\.tar\.gz: truncated or corrupt gzip data/);
  });

  it('leaves no temporary folder behind when extraction fails', async () => {
    const parent = mkdtempSync(join(tmp, 'extract-parent-'));
    const tar = await tarBuffer([{ name: 'a/x.jsonl' }, { name: '../evil.jsonl' }]);
    const err = await openError(write('slip2.tar', tar), { tempParent: parent });
    expect(err.code).toBe('UNSAFE_ARCHIVE');
    expect(readdirSync(parent)).toEqual([]);
    const ok = await openArchive(write('ok.tar', await tarBuffer([{ name: 'a/x.jsonl' }])), { tempParent: parent });
    expect(readdirSync(parent)).toHaveLength(1);
    await ok.close();
    expect(readdirSync(parent)).toEqual([]);
  });
});

describe('bad paths', () => {
  it('a path that does not exist is NOT_FOUND', async () => {
    const err = await openError(join(tmp, 'nope'));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toContain('nope');
  });

  it('an empty folder and a folder without data files are EMPTY_ARCHIVE', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    let err = await openError(empty);
    expect(err.code).toBe('EMPTY_ARCHIVE');
    expect(err.message).toBe(`${empty}: is empty`);
    const nodata = join(tmp, 'nodata');
    mkdirSync(join(nodata, 'keys'), { recursive: true });
    writeFileSync(join(nodata, 'keys/k.pem'), 'x');
    err = await openError(nodata);
    expect(err.code).toBe('EMPTY_ARCHIVE');
    expect(err.message).toContain('holds no data file');
  });

  it('a zip without data files is EMPTY_ARCHIVE', async () => {
    const err = await openError(write('nodata.zip', await zipBuffer([{ name: 'x/readme.txt' }])));
    expect(err.code).toBe('EMPTY_ARCHIVE');
    expect(err.message).toContain('nodata.zip');
  });

  it('a malformed descriptor names archive.json and the line', async () => {
    const dir = join(tmp, 'bad-descriptor');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.jsonl'), `${RECORD}\n`);
    writeFileSync(join(dir, 'archive.json'), '{\n  "format": "ai-audit-archive",\n  "streams": [,]\n}\n');
    let err = await openError(dir);
    expect(err.code).toBe('MALFORMED_RECORD');
    expect(err.message).toMatch(/^archive\.json:3: unexpected ","/);
    writeFileSync(join(dir, 'archive.json'), '{\n  "format": "ai-audit-archive",\n  "format": "other"\n}\n');
    err = await openError(dir);
    expect(err.message).toBe('archive.json:3: duplicate member name "format" (column 3)');
  });

  it('a malformed checkpoint names the file and line of the bad member', async () => {
    const dir = join(tmp, 'bad-checkpoint');
    cpSync(EXAMPLE, dir, { recursive: true });
    const cpPath = join(dir, 'checkpoints/decisions/2026-03-01.json');
    writeFileSync(cpPath, readFileSync(cpPath, 'utf8').replace('"firstSeq": 0', '"firstSeq": "0"'));
    const a = await openArchive(dir);
    try {
      await expect(readCheckpoint(a, a.checkpoints[0])).rejects.toThrow(
        'checkpoints/decisions/2026-03-01.json:4: "firstSeq" must be a non-negative integer',
      );
      writeFileSync(join(dir, 'manifest/objects.jsonl'), '{"Key":"a"}\n\n{"Key": 5}\n');
      await expect(readManifest(a)).rejects.toThrow('manifest/objects.jsonl:3: "Key" must be a non-empty string');
      writeFileSync(join(dir, 'manifest/objects.jsonl'), '{"Key":"a"}\n{"Key":"b"\n');
      await expect(readManifest(a)).rejects.toThrow(/^manifest\/objects\.jsonl:2: unexpected end of JSON text/);
    } finally {
      await a.close();
    }
  });
});
