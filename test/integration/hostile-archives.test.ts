// Hostile containers and data files, each a fixture generated here. What test/unit/archive-open.test.ts
// already covers (zip and tar `../` and absolute names, zip and tar links and devices, the declared-ratio
// zip bomb, the tar.gz gzip bomb and its total-size limit, truncated zips) is not repeated; this adds
// Windows-style names, links inside a folder given directly, the overlapping-entries zip bomb, the zip
// total-size limit, a gzip bomb as a .jsonl.gz data file, and the regressions the fuzzers found.
import {
  existsSync,
  mkdirSync,
  renameSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { openArchive } from '../../src/archive/open.ts';
import { readParquetRows } from '../../src/archive/parquet.ts';
import type { OpenOptions } from '../../src/archive/open.ts';
import { isRecordError, readRecords } from '../../src/archive/records.ts';
import { AuditWsError } from '../../src/errors.ts';
import { verifyArchives } from '../../src/verify/engine.ts';
import { importArchives } from '../../src/import/importer.ts';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { exporterNamed } from '../../src/export/exporters/index.ts';
import { exportCsv } from '../../src/export/run.ts';
import { writePackageZip } from '../../src/package/build.ts';
import { newCase, removeTempDirs, tableCounts } from './import-helpers.ts';
import { rawZip, seedFiles, tarOf } from '../fuzz/archive-seed.ts';
import type { RawZipEntry } from '../fuzz/archive-seed.ts';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'audit-ws-hostile-archives-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  removeTempDirs();
});

const RECORD = '{"decisionId":"d-1","modelId":"m","prediction":"approve","timestamp":"2026-03-01T00:00:00Z"}\n';
let n = 0;

/** A fresh folder holding the input; openArchive extracts under its `scratch/` so escapes would show. */
function place(name: string, bytes: Buffer): { input: string; dir: string; scratch: string } {
  const dir = join(tmp, `case-${++n}`);
  mkdirSync(join(dir, 'scratch'), { recursive: true });
  const input = join(dir, name);
  writeFileSync(input, bytes);
  return { input, dir, scratch: join(dir, 'scratch') };
}

async function refusal(input: string, options: OpenOptions = {}): Promise<AuditWsError> {
  try {
    const a = await openArchive(input, options);
    await a.close();
  } catch (err) {
    expect(err).toBeInstanceOf(AuditWsError);
    return err as AuditWsError;
  }
  throw new Error(`${input} opened although it should have been refused`);
}

const file = (name: string, data = Buffer.from(RECORD)): RawZipEntry => ({
  name: Buffer.from(name),
  data,
  method: 8,
  madeBy: 3,
  mode: 0o100644,
  flags: 0,
  crcOk: true,
});

describe('hostile containers', () => {
  it.each([
    ['..\\..\\evil.jsonl', /path with "\.\." would escape/],
    ['a\\..\\..\\evil.jsonl', /path with "\.\." would escape/],
    ['C:\\Windows\\evil.jsonl', /absolute path/],
    ['c:evil.jsonl', /absolute path/],
    ['\\evil.jsonl', /absolute path/],
    ['//server/share/evil.jsonl', /absolute path/],
  ])('refuses the zip entry %s, naming it, and writes nothing anywhere', async (name, why) => {
    const { input, dir, scratch } = place('slip.zip', rawZip([file('a/ok.jsonl'), file(name)]));
    const err = await refusal(input, { tempParent: scratch });
    expect(err.code).toBe('UNSAFE_ARCHIVE');
    // the zip reader gives names with `/` for `\`, as the zip format prescribes
    const shown = name.replace(/\\/g, '/');
    expect(err.message).toContain(`entry ${JSON.stringify(shown)} refused`);
    expect(err.message).toMatch(why);
    expect(err.details.entry).toBe(shown);
    expect(readdirSync(scratch)).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['scratch', 'slip.zip']);
  });

  it('in a folder given directly, links to files and folders outside are skipped with a warning, never followed', async () => {
    const outside = join(tmp, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'secret.jsonl'), RECORD.replace('d-1', 'secret'));
    const root = join(tmp, 'linked-archive');
    mkdirSync(join(root, 'decisions'), { recursive: true });
    writeFileSync(join(root, 'decisions/a.jsonl'), RECORD);
    symlinkSync(join(outside, 'secret.jsonl'), join(root, 'decisions/b.jsonl'));
    symlinkSync(outside, join(root, 'more'));
    symlinkSync('/etc/passwd', join(root, 'decisions/passwd.jsonl'));
    const archive = await openArchive(root);
    try {
      expect(archive.files.map((f) => f.path)).toEqual(['decisions/a.jsonl']);
      expect(archive.warnings).toEqual(
        expect.arrayContaining([
          "decisions/b.jsonl: symbolic link skipped (an archive's files must be regular files)",
          "decisions/passwd.jsonl: symbolic link skipped (an archive's files must be regular files)",
          "more: symbolic link skipped (an archive's files must be regular files)",
        ]),
      );
      const ids: unknown[] = [];
      for (const f of archive.files)
        for await (const r of readRecords(archive, f)) if (!isRecordError(r)) ids.push(r.value.decisionId);
      expect(ids).toEqual(['d-1']);
    } finally {
      await archive.close();
    }
  });

  it('refuses an overlapping-entries zip bomb (every entry points at one compressed block) by its expansion ratio', async () => {
    // Each entry alone is ordinary data (records compress about 6:1), but 400 names share one block.
    const records = Array.from({ length: 2500 }, (_, i) =>
      RECORD.replace('d-1', `d-${i}-${randomBytes(6).toString('hex')}`),
    );
    const block = Buffer.from(records.join(''));
    const entries = Array.from({ length: 400 }, (_, i) => file(`bomb/part-${i}.jsonl`, block));
    const zip = rawZip(entries, true);
    expect(zip.length).toBeLessThan(block.length / 2 + 64 * 1024);
    const { input, scratch } = place('overlap.zip', zip);
    const err = await refusal(input, { tempParent: scratch });
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(err.message).toMatch(
      /overlap\.zip: bomb\/part-\d+\.jsonl expands more than 200:1 \(\d+:1\), refused as a decompression bomb/,
    );
    expect(err.details).toMatchObject({ file: input, limit: 200 });
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('refuses a zip that would extract more than the total size limit, naming the entry and the limit', async () => {
    const big = Buffer.from(randomBytes(1536 * 1024).toString('base64')); // 2 MiB, compresses about 4:3
    const { input, scratch } = place(
      'big.zip',
      rawZip([file('x/a.jsonl', big), file('x/b.jsonl', big), file('x/c.jsonl', big)]),
    );
    const err = await refusal(input, { tempParent: scratch, maxExtractBytes: 5 * 1024 * 1024 });
    expect(err.code).toBe('LIMIT_EXCEEDED');
    expect(err.message).toBe(`${input}: extracting x/c.jsonl would exceed the limit of 5242880 bytes`);
    expect(err.details).toMatchObject({ entry: 'x/c.jsonl', limit: 5 * 1024 * 1024 });
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('stops reading a .jsonl.gz data file that is a gzip bomb at its expansion ratio, naming the file and line', async () => {
    // 64 MiB of blank lines (64 KiB of spaces each) after one record: about 64 KB of gzip, 1000:1.
    const blank = Buffer.concat([Buffer.alloc(64 * 1024 - 1, 0x20), Buffer.from('\n')]);
    const bomb = gzipSync(Buffer.concat([Buffer.from(RECORD), ...Array(1024).fill(blank)]), { level: 9 });
    expect(bomb.length).toBeLessThan(128 * 1024);
    const dir = join(tmp, 'gz-bomb');
    mkdirSync(join(dir, 'decisions'), { recursive: true });
    writeFileSync(join(dir, 'decisions/day.jsonl.gz'), bomb);
    const archive = await openArchive(dir);
    try {
      const data = archive.files.find((f) => f.path === 'decisions/day.jsonl.gz');
      expect(data).toBeDefined();
      const items = [];
      for await (const r of readRecords(archive, data!, { onError: 'yield' })) items.push(r);
      expect(items).toHaveLength(2);
      expect(items[0]).toMatchObject({ line: 1, value: { decisionId: 'd-1' } });
      expect(items[1]).toMatchObject({ error: true, file: 'decisions/day.jsonl.gz' });
      expect((items[1] as { message: string }).message).toMatch(
        /^expands more than 200:1 \(\d+:1\) after line \d+, refused as a decompression bomb$/,
      );
      // 'throw' mode: one AuditWsError naming file and line; the verifier reports it and finishes.
      const thrown = await (async () => {
        for await (const r of readRecords(archive, data!)) void r;
      })().catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(AuditWsError);
      expect((thrown as AuditWsError).code).toBe('LIMIT_EXCEEDED');
      expect((thrown as AuditWsError).message).toMatch(
        /^decisions\/day\.jsonl\.gz: expands more than 200:1 .* after line \d+/,
      );
      const report = await verifyArchives([archive], { workers: 0 });
      const finding = report.findings.find((f) => f.check === 'record-format');
      expect(finding).toMatchObject({ status: 'fail', file: 'decisions/day.jsonl.gz' });
      expect(finding?.message).toMatch(/decompression bomb/);
    } finally {
      await archive.close();
    }
  });

  it('the import refuses a .jsonl.gz gzip bomb with LIMIT_EXCEEDED naming the file, leaving the case exactly as before', async () => {
    const blank = Buffer.concat([Buffer.alloc(64 * 1024 - 1, 0x20), Buffer.from('\n')]);
    const bomb = gzipSync(Buffer.concat([Buffer.from(RECORD), ...Array(1024).fill(blank)]), { level: 9 });
    const dir = join(tmp, 'gz-bomb-import');
    mkdirSync(join(dir, 'decisions'), { recursive: true });
    writeFileSync(join(dir, 'decisions/a.jsonl'), RECORD.replace('d-1', 'before'));
    const { handle } = await newCase();
    try {
      expect((await importArchives(handle, [join(dir, 'decisions/a.jsonl')])).status).toBe('done');
      const snapshot = () => ({
        imports: handle.sqlite.prepare('SELECT * FROM imports ORDER BY id').all(),
        custody: handle.sqlite.prepare('SELECT seq, hash FROM custody_log ORDER BY seq').all(),
        sourceFiles: handle.sqlite.prepare('SELECT count(*) AS n FROM source_files').get(),
        rejects: handle.sqlite.prepare('SELECT count(*) AS n FROM rejects').get(),
      });
      const before = { ...snapshot(), evidence: await tableCounts(handle) };
      writeFileSync(join(dir, 'decisions/day.jsonl.gz'), bomb);
      const err = await importArchives(handle, [dir]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AuditWsError);
      expect((err as AuditWsError).code).toBe('LIMIT_EXCEEDED');
      expect((err as AuditWsError).message).toMatch(
        /^decisions\/day\.jsonl\.gz: expands more than 200:1 \(\d+:1\) after line \d+, refused as a decompression bomb$/,
      );
      expect((err as AuditWsError).details).toMatchObject({ file: 'decisions/day.jsonl.gz', limit: 200 });
      expect({ ...snapshot(), evidence: await tableCounts(handle) }).toEqual(before);
      // The case still takes imports afterwards.
      rmSync(join(dir, 'decisions/day.jsonl.gz'));
      writeFileSync(join(dir, 'decisions/b.jsonl'), RECORD.replace('d-1', 'after'));
      expect((await importArchives(handle, [join(dir, 'decisions/b.jsonl')])).status).toBe('done');
      expect((await tableCounts(handle)).decisions).toBe(2);
    } finally {
      await handle.close();
    }
  });

  it('an ordinary .jsonl.gz far below the ratio reads whole (the limit does not touch real data)', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) =>
      RECORD.replace('d-1', `d-${i}-${randomBytes(8).toString('hex')}`),
    );
    const dir = join(tmp, 'gz-ok');
    mkdirSync(join(dir, 'decisions'), { recursive: true });
    writeFileSync(join(dir, 'decisions/day.jsonl.gz'), gzipSync(lines.join(''), { level: 9 }));
    const archive = await openArchive(dir);
    try {
      let records = 0;
      for await (const r of readRecords(archive, archive.files[0])) if (!isRecordError(r)) records++;
      expect(records).toBe(20_000);
    } finally {
      await archive.close();
    }
  });
});

describe('regressions found by the fuzzers', () => {
  it('reading many distinct Parquet files does not grow memory (DuckDB kept each file in its cache)', async () => {
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const seed = join(tmp, 'seed.parquet');
    const decisions = fileURLToPath(new URL('../fixtures/spec/example/decisions/2026-03-01.jsonl', import.meta.url));
    await con.run(
      `COPY (SELECT * FROM read_json('${decisions}', timestampformat='x', dateformat='x') LIMIT 12) TO '${seed}' (FORMAT parquet)`,
    );
    con.closeSync();
    inst.closeSync();
    const bytes = readFileSync(seed);
    const dir = join(tmp, 'many-parquet');
    mkdirSync(dir);
    const readAll = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i++) {
        const p = join(dir, `f${i}.parquet`);
        writeFileSync(p, bytes);
        for await (const r of readParquetRows(p, `f${i}.parquet`)) void r;
      }
    };
    await readAll(0, 200); // warm up DuckDB and the allocator
    const before = process.memoryUsage().rss;
    await readAll(200, 1000);
    const grown = (process.memoryUsage().rss - before) / 2 ** 20;
    // with the cache on, this grew by about 160 MB (200 KB a file); off, it stays within noise
    expect(grown).toBeLessThan(80);
  });

  it.each([
    ['evidence.tar', false],
    ['evidence.tar.gz', true],
  ])('a %s cut off inside an entry is refused naming the entry, not waited on forever', async (name, gz) => {
    const files = seedFiles();
    const tar = await tarOf([
      { name: 'example/', type: 'directory' },
      ...files.map((f) => ({ name: f.path, data: f.data })),
    ]);
    // cut in the middle of the decisions file's data (the third entry)
    const cut = tar.subarray(0, 512 * 5 + 700);
    const { input, scratch } = place(name, gz ? gzipSync(cut) : cut);
    const started = Date.now();
    const err = await refusal(input, { tempParent: scratch });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err.code).toBe('UNREADABLE_INPUT');
    expect(err.message).toMatch(
      /truncated or corrupt tar(\.gz)? at entry "example\/decisions\/2026-03-01\.jsonl" \(Unexpected end of data\)/,
    );
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('a zip entry whose stream fails after the entry was refused raises no uncaught error', async () => {
    // "x/a" is a file, so "x/a/b.jsonl" is refused before its data is copied; its data also lies about
    // its size, which the unconsumed stream used to throw as an uncaught exception (a crash of the app).
    const lying = { ...file('x/a/b.jsonl', Buffer.alloc(100_000, 0x61)), uncompressedSize: 10 };
    const { input, scratch } = place('conflict.zip', rawZip([file('x/a'), lying]));
    const stray: unknown[] = [];
    const onStray = (e: unknown) => stray.push(e);
    process.on('uncaughtException', onStray);
    try {
      const err = await refusal(input, { tempParent: scratch });
      expect(err.code).toBe('UNSAFE_ARCHIVE');
      expect(err.message).toMatch(/entry "x\/a\/b\.jsonl" refused: a file and a folder share this path/);
      await new Promise((r) => setTimeout(r, 300));
      expect(stray).toEqual([]);
    } finally {
      process.off('uncaughtException', onStray);
    }
    expect(existsSync(scratch) && readdirSync(scratch).length).toBe(0);
  });
});

/** A process that writes `.<name>.<its pid>.part` (and `.copy`) in `dir` as a writer does, then waits to be killed. */
async function writerChild(dir: string, name: string): Promise<{ child: ChildProcess; files: string[] }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('fs');
       for (const f of [process.argv[2], process.argv[2] + '.copy']) fs.writeFileSync(require('path').join(process.argv[1], f), 'half written');
       process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`,
      dir,
      `.${name}.PID.part`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  // The child names its file with its own pid: rename what it wrote once it says it is ready.
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', () => reject(new Error('writer child exited early')));
  });
  const files = [`.${name}.${child.pid}.part`, `.${name}.${child.pid}.part.copy`];
  for (const [i, f] of files.entries())
    renameSync(join(dir, `.${name}.PID.part${i === 1 ? '.copy' : ''}`), join(dir, f));
  return { child, files };
}

async function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  await exited;
}

describe('leftovers of killed writers', () => {
  it('the next CSV export or package into the folder removes the .part files of killed writers, and only those', async () => {
    const { handle } = await newCase();
    const out = join(tmp, 'exports');
    mkdirSync(out, { recursive: true });
    const live = await writerChild(out, 'other.csv'); // another export still writing: left alone
    try {
      const src = join(tmp, 'one.jsonl');
      writeFileSync(src, RECORD);
      expect((await importArchives(handle, [src])).status).toBe('done');
      const dead = [
        await writerChild(out, 'records.csv'),
        await writerChild(out, 'day.csv.json'),
        await writerChild(out, 'evidence.zip'),
      ];
      for (const w of dead) await kill9(w.child);
      writeFileSync(join(out, 'notes.123.part'), "not a writer's name");
      writeFileSync(join(out, '.hidden.part'), "not a writer's name");
      const kept = ['.hidden.part', 'notes.123.part', ...live.files];
      expect(readdirSync(out).sort()).toEqual([...kept, ...dead.flatMap((w) => w.files)].sort());

      await exportCsv(exporterNamed('records'), handle, {}, join(out, 'records.csv'));
      expect(readdirSync(out).sort()).toEqual([...kept, 'records.csv', 'records.csv.json'].sort());

      const again = await writerChild(out, 'evidence.zip');
      await kill9(again.child);
      expect(readdirSync(out)).toContain(again.files[0]);
      await writePackageZip([{ path: 'a.txt', bytes: Buffer.from('a') }], join(out, 'evidence.zip'), new Date());
      expect(readdirSync(out).sort()).toEqual([...kept, 'evidence.zip', 'records.csv', 'records.csv.json'].sort());
    } finally {
      await handle.close();
      await kill9(live.child);
    }
  });
});
