/**
 * A small real archive for the container fuzzers (a few KB: descriptor, data in JSONL and .jsonl.gz, a
 * checkpoint with its .sig and .tsr, a manifest, a key), the writers of its .zip / .tar / .tar.gz
 * forms, a zip writer that writes whatever it is told (unsafe names, lying sizes, links), and the walk
 * that reads everything an opened archive holds the way the verifier would.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import * as tarStream from 'tar-stream';
import yazl from 'yazl';
import { readCheckpoint, readManifest } from '../../src/archive/manifest.ts';
import type { OpenedArchive } from '../../src/archive/open.ts';
import { readRecords } from '../../src/archive/records.ts';
import { expectClearError } from './support.ts';

const EXAMPLE = fileURLToPath(new URL('../fixtures/spec/example', import.meta.url));

export interface SeedFile {
  path: string;
  data: Buffer;
}

function firstLines(path: string, n: number): Buffer {
  return Buffer.from(`${readFileSync(join(EXAMPLE, path), 'utf8').split('\n').slice(0, n).join('\n')}\n`);
}

/** The seed archive's files, under one top-level folder `example/`. */
export function seedFiles(): SeedFile[] {
  const whole = (p: string): SeedFile => ({ path: p, data: readFileSync(join(EXAMPLE, p)) });
  return [
    whole('archive.json'),
    { path: 'decisions/2026-03-01.jsonl', data: firstLines('decisions/2026-03-01.jsonl', 4) },
    whole('reviews/2026-03-01.jsonl.gz'),
    whole('checkpoints/decisions/2026-03-01.json'),
    whole('checkpoints/decisions/2026-03-01.json.sig'),
    whole('checkpoints/decisions/2026-03-01.json.tsr'),
    { path: 'manifest/objects.jsonl', data: firstLines('manifest/objects.jsonl', 4) },
    whole('keys/checkpoint-signing.pub.pem'),
  ].map((f) => ({ path: `example/${f.path}`, data: f.data }));
}

export async function yazlZip(files: readonly SeedFile[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  files.forEach((f, i) => zip.addBuffer(f.data, f.path, { compress: i % 2 === 0, mtime: new Date(0) }));
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export type TarEntry = Partial<tarStream.Header> & { name: string; data?: Buffer };

export async function tarOf(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const { data, ...header } of entries) {
    const withBody = header.type === undefined || header.type === 'file' || header.type === 'contiguous-file';
    await new Promise<void>((ok, fail) => {
      const cb = (err?: Error | null) => (err ? fail(err) : ok());
      if (withBody) pack.entry({ mtime: new Date(0), ...header } as tarStream.Header, data ?? Buffer.alloc(0), cb);
      else pack.entry({ mtime: new Date(0), ...header } as tarStream.Header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------------------
// A zip writer without scruples

export interface RawZipEntry {
  /** written as given (yazl refuses unsafe names; this does not) */
  name: Buffer;
  data: Buffer;
  method: 0 | 8;
  /** 3 = Unix (external attributes carry a file type), 0 = DOS */
  madeBy: 0 | 3;
  /** Unix mode in the high 16 bits of the external attributes (0o100644 file, 0o120777 link, ...) */
  mode: number;
  flags: number;
  crcOk: boolean;
  /** declared sizes, when they lie */
  compressedSize?: number;
  uncompressedSize?: number;
}

/**
 * Writes a zip of the entries. `overlap`: every central directory record points at the first local
 * header (the overlapping-entries bomb shape).
 */
export function rawZip(entries: readonly RawZipEntry[], overlap = false): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const body = e.method === 8 ? deflateRawSync(e.data) : e.data;
    const crc = e.crcOk ? crc32(e.data) : (crc32(e.data) ^ 0x5a5a5a5a) >>> 0;
    const csize = e.compressedSize ?? body.length;
    const usize = e.uncompressedSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.flags, 6);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(csize >>> 0, 18);
    local.writeUInt32LE(usize >>> 0, 22);
    local.writeUInt16LE(e.name.length, 26);
    const localOffset = overlap && centrals.length > 0 ? 0 : offset;
    if (!(overlap && centrals.length > 0)) {
      locals.push(local, e.name, body);
      offset += local.length + e.name.length + body.length;
    }
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((e.madeBy << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(e.flags, 8);
    central.writeUInt16LE(e.method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(csize >>> 0, 20);
    central.writeUInt32LE(usize >>> 0, 24);
    central.writeUInt16LE(e.name.length, 28);
    central.writeUInt32LE(((e.mode & 0xffff) << 16) >>> 0, 38);
    central.writeUInt32LE(localOffset, 42);
    centrals.push(central, e.name);
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** Offsets of every field of the zip's local headers, central directory records and end record. */
export function zipHot(b: Buffer): number[] {
  const out: number[] = [];
  const fields: Record<number, number[]> = {
    0x04034b50: [4, 6, 8, 14, 18, 22, 26, 28, 30],
    0x02014b50: [4, 6, 8, 10, 16, 20, 24, 28, 30, 32, 38, 40, 42, 46],
    0x06054b50: [4, 8, 10, 12, 16, 20],
  };
  for (let i = 0; i + 4 <= b.length; i++) {
    const f = fields[b.readUInt32LE(i)];
    if (f) for (const d of f) out.push(i + d);
  }
  return out;
}

/** Offsets of the fields of every 512-byte tar header block (name, mode, size, checksum, type, link, magic, prefix). */
export function tarHot(b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + 512 <= b.length; i += 512) {
    if (b.subarray(i + 257, i + 262).toString('latin1') !== 'ustar') continue;
    for (const d of [0, 100, 124, 130, 136, 148, 156, 157, 257, 263, 345]) out.push(i + d);
  }
  return out;
}

/** Whether an entry name must be refused: NUL, absolute (/x, \x, C:x), or a `..` segment (either separator). */
export function isUnsafeName(name: string): boolean {
  if (name.includes('\0')) return true;
  const slashed = name.replace(/\\/g, '/');
  if (slashed.startsWith('/') || /^[A-Za-z]:/.test(slashed)) return true;
  return slashed.split('/').includes('..');
}

/**
 * Reads everything an opened archive holds, as the verifier would: every data file's records, the
 * manifest, every checkpoint. Any failure must be an AuditWsError naming the file it is about.
 */
export async function readEverything(archive: OpenedArchive): Promise<void> {
  for (const file of archive.files.filter((f) => f.role === 'data')) {
    try {
      for await (const r of readRecords(archive, file, { onError: 'yield' })) {
        if (r.file !== file.path) throw new Error(`record of ${file.path} names ${r.file}`);
        if (r.line === undefined && r.row === undefined && !('error' in r))
          throw new Error(`a record of ${file.path} has no line or row`);
      }
    } catch (err) {
      expectClearError(err, file.path, ['UNREADABLE_INPUT', 'MALFORMED_RECORD', 'LIMIT_EXCEEDED']);
    }
  }
  try {
    await readManifest(archive);
  } catch (err) {
    expectClearError(err, 'manifest/objects.jsonl', ['MALFORMED_RECORD', 'UNREADABLE_INPUT', 'LIMIT_EXCEEDED']);
  }
  for (const cp of archive.checkpoints) {
    try {
      await readCheckpoint(archive, cp);
    } catch (err) {
      expectClearError(err, cp.path, ['MALFORMED_RECORD', 'LIMIT_EXCEEDED', 'UNREADABLE_INPUT']);
    }
  }
}
