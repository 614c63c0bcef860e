/**
 * The record text a case keeps ("raw": the JSONL line as written, or a Parquet row), held outside
 * evidence.duckdb: every data file an import loads is copied, read-only, into the case's `sources/`
 * folder under its SHA-256, and a JSONL copy gets a line index beside it. A record's text is the byte
 * range its line names in the copy (the line end, a CRLF's \r and a first line's BOM removed, as the
 * archive reader does), or, for a Parquet row, DuckDB's JSON rendering of that row of the copy.
 *
 * Why not a column: storing the text in DuckDB cost about as much as DuckDB's whole bare load of the
 * same files (1M decisions: 5 s of 17 s for JSONL; for Parquet, rendering each row as JSON cost more
 * than the load itself), and nothing filters or groups on it: it is read one record, or one package,
 * at a time. Cases imported before 2026-11-24 hold the text in `raw`; readers take the column when it
 * is set (rawTexts).
 *
 * Layout, for a source whose SHA-256 (as stored in the archive, so of the compressed bytes of a
 * .jsonl.gz) is H:
 *   sources/H.jsonl    the lines (a .jsonl.gz decompressed; a truncated one up to the damage)
 *   sources/H.lines    per line n (1-based), at byte 16(n-1): start and end offset in H.jsonl, two
 *                      little-endian float64 (exact to 2^53)
 *   sources/H.parquet  a Parquet file as stored
 * A copy depends only on the source's bytes, so a file imported twice (--force, or into two imports)
 * shares one copy. Copies are written as part files while the import hashes its sources and moved
 * into place before it commits; a failed import removes the ones it added, and the next writer
 * removes any that no finished import names (a crash between the two).
 */
import {
  constants as fsConstants,
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { copyFile, open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type Database from 'better-sqlite3';
import { AuditWsError } from '../errors.ts';
import { sqlString } from '../import/record-sql.ts';
import { parquetRowsSql } from '../import/source-sql.ts';
import { partFileOf, removeStalePartFiles } from './part-files.ts';

export const SOURCES_DIR = 'sources';

/** Removes a copy, read-only as it is (Windows refuses to delete a read-only file; POSIX needs no chmod). */
export function removeCopy(file: string): void {
  try {
    chmodSync(file, 0o644);
  } catch {
    // already gone
  }
  rmSync(file, { force: true });
}

/** Makes a case's copies deletable, before the case folder is removed (see removeCopy). */
export function makeCopiesDeletable(caseDir: string): void {
  const dir = path.join(caseDir, SOURCES_DIR);
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    try {
      chmodSync(path.join(dir, name), 0o644);
    } catch {
      // removed meanwhile
    }
  }
}

/** Bytes of one line index entry: start and end offset, two float64. */
const ENTRY_BYTES = 16;

if (os.endianness() !== 'LE') throw new Error('line indexes are written little-endian; this platform is big-endian');

export type CopyFormat = 'jsonl' | 'parquet';

/** How a data file of this format is copied (JSONL decompressed), or undefined when it is not a data file. */
export function copyFormatOf(format: string | null | undefined): CopyFormat | undefined {
  if (format === 'jsonl' || format === 'jsonl.gz' || format === 'ndjson') return 'jsonl';
  if (format === 'parquet') return 'parquet';
  return undefined;
}

export interface CopyPaths {
  data: string;
  /** JSONL only. */
  lines?: string;
}

export function copyPaths(caseDir: string, sha256: string, format: CopyFormat): CopyPaths {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
  const dir = path.join(caseDir, SOURCES_DIR);
  if (format === 'parquet') return { data: path.join(dir, `${sha256}.parquet`) };
  const data = path.join(dir, `${sha256}.jsonl`);
  return { data, lines: linesIndexOf(data) };
}

/** A JSONL copy's line index: beside it, `.lines` for `.jsonl`. */
function linesIndexOf(data: string): string {
  return `${data.slice(0, -'.jsonl'.length)}.lines`;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** A copy's part files: the data (a whole-file copy, or the bytes of `data()`) and, for JSONL, the line index. */
export interface CopyParts {
  data: string;
  lines?: string;
  /** 'stream': the data comes through `data()` (a decompressed .jsonl.gz); 'whole': a copy of the file as stored. */
  mode: 'stream' | 'whole';
}

/** What the scan writes a copy through: a streamed copy's bytes, and each line's byte range in the copy. */
export interface CopySink {
  data(chunk: Uint8Array): void;
  line(start: number, end: number): void;
}

/**
 * Writes a copy's part files, on whichever thread scans the file (the import's own, or a scan worker's:
 * scan-pool.ts). The parts are created (emptied) on construction.
 */
export class CopyPartWriter implements CopySink {
  private readonly dataFd?: number;
  private readonly linesFd?: number;
  private readonly entries = new Float64Array(2 * 8192);
  private entryCount = 0;
  private closed = false;
  /** SHA-256 of a streamed copy's bytes (a whole copy's is the scan's, which reads the copy). */
  private readonly streamHash?: Hash;

  constructor(parts: CopyParts) {
    if (parts.mode === 'stream') {
      this.dataFd = openSync(parts.data, 'w');
      this.streamHash = createHash('sha256');
    }
    if (parts.lines !== undefined) this.linesFd = openSync(parts.lines, 'w');
  }

  /** The next bytes of a streamed copy. */
  data(chunk: Uint8Array): void {
    if (this.dataFd === undefined) return;
    writeAll(this.dataFd, chunk);
    this.streamHash?.update(chunk);
  }

  /** The next line: its text is bytes [start, end) of the copy. */
  line(start: number, end: number): void {
    const i = this.entryCount * 2;
    this.entries[i] = start;
    this.entries[i + 1] = end;
    if (++this.entryCount * 2 === this.entries.length) this.flushLines();
  }

  private flushLines(): void {
    if (this.linesFd === undefined || this.entryCount === 0) return;
    writeAll(this.linesFd, new Uint8Array(this.entries.buffer, 0, this.entryCount * ENTRY_BYTES));
    this.entryCount = 0;
  }

  /** Writes what is pending and closes the parts; returns a streamed copy's SHA-256. Call once. */
  close(): string | undefined {
    if (this.closed) return undefined;
    this.closed = true;
    // The descriptors are closed even when the last write fails: an unlinked file keeps its space while open.
    try {
      this.flushLines();
    } finally {
      if (this.dataFd !== undefined) closeSync(this.dataFd);
      if (this.linesFd !== undefined) closeSync(this.linesFd);
    }
    return this.streamHash?.digest('hex');
  }
}

/**
 * Makes the copy of one data file and, for JSONL, its line index. A file as stored is copied whole by the
 * kernel (`copyFrom`, on libuv's threads, ahead of the scan, which then reads the copy: what is hashed,
 * loaded and kept are the same bytes); a .jsonl.gz is written decompressed by the scan (`data`). The scan
 * gives the lines (`line`). A scan worker can write the parts instead (`handOver`, then
 * `scannedElsewhere`). Nothing is in place until `commit`; `discard` (or a crash, then the next writer)
 * removes the parts.
 */
export class SourceCopyWriter implements CopySink {
  /** Where the copy is: its part file until `commit`, then its place under the SHA-256. */
  path: string;
  private readonly linesPart?: string;
  private writer?: CopyPartWriter;
  private copying?: Promise<unknown>;
  private streamed?: string;

  constructor(
    private readonly caseDir: string,
    readonly format: CopyFormat,
    tag: string,
    /** 'stream': the bytes come through `data` (a decompressed .jsonl.gz); 'whole': through `copyFrom`. */
    readonly mode: 'stream' | 'whole',
  ) {
    const dir = path.join(caseDir, SOURCES_DIR);
    mkdirSync(dir, { recursive: true });
    this.path = partFileOf(path.join(dir, `${tag}.${format}`));
    if (format === 'jsonl') this.linesPart = partFileOf(path.join(dir, `${tag}.lines`));
    this.writer = new CopyPartWriter(this.parts());
  }

  private parts(): CopyParts {
    return { data: this.path, mode: this.mode, ...(this.linesPart !== undefined ? { lines: this.linesPart } : {}) };
  }

  /** Starts the kernel's copy of the file as stored; `copied` says when it is done. */
  copyFrom(source: string): void {
    // A clone where the file system can (Btrfs, XFS, APFS): no bytes written; else the kernel copies.
    this.copying = copyFile(source, this.path, fsConstants.COPYFILE_FICLONE);
    this.copying.catch(() => undefined); // awaited (and reported) through copied()
  }

  copied(): Promise<unknown> {
    return this.copying ?? Promise.resolve();
  }

  /**
   * The parts, for others to write (the importer's kernel copy, a scan worker the rest): this writer stops
   * writing them. Call before any `data`, `line` or `copyFrom`.
   */
  handOver(): CopyParts {
    this.writer?.close();
    this.writer = undefined;
    return this.parts();
  }

  /** Records what the thread that wrote the parts found: a streamed copy's SHA-256. */
  scannedElsewhere(streamedSha256: string | undefined): void {
    this.streamed = streamedSha256;
  }

  /** The next bytes of a streamed copy. */
  data(chunk: Uint8Array): void {
    this.writer?.data(chunk);
  }

  /** The SHA-256 of the bytes a streamed copy received (call once, when the scan is done). */
  streamedSha256(): string | undefined {
    if (this.writer) this.streamed = this.close();
    return this.streamed;
  }

  /** The next line: its text is bytes [start, end) of the copy. */
  line(start: number, end: number): void {
    this.writer?.line(start, end);
  }

  private close(): string | undefined {
    const writer = this.writer;
    this.writer = undefined;
    return writer?.close();
  }

  /**
   * Moves the copy into place under the source's SHA-256, read-only. Returns the paths it created: none
   * when the case already held this copy (the parts are then removed).
   */
  async commit(sha256: string): Promise<string[]> {
    await this.copied();
    this.close();
    const final = copyPaths(this.caseDir, sha256, this.format);
    if (existsSync(final.data) && (!final.lines || existsSync(final.lines))) {
      await this.discard();
      this.path = final.data;
      return [];
    }
    const created: string[] = [];
    // The index first: a data copy in place always has its index.
    if (final.lines && this.linesPart) {
      chmodSync(this.linesPart, 0o444);
      renameSync(this.linesPart, final.lines);
      created.push(final.lines);
    }
    chmodSync(this.path, 0o444);
    renameSync(this.path, final.data);
    this.path = final.data;
    created.push(final.data);
    return created;
  }

  /** Removes the parts (after a copy still running has ended, so that it cannot leave one behind). */
  async discard(): Promise<void> {
    await this.copied().catch(() => undefined);
    try {
      this.close();
    } catch {
      // closing a descriptor of a part that is removed anyway
    }
    rmSync(this.path, { force: true });
    if (this.linesPart) rmSync(this.linesPart, { force: true });
  }
}

/**
 * Makes copies moved into place durable: their bytes, then the `sources/` folder's entries (the renames),
 * written to disk. The import runs it while DuckDB loads and waits for it before committing, so that a
 * committed import never names a copy that a power cut could still take away; by then the kernel has
 * usually written the bytes back already. Windows flushes only through a writable handle, and the copies are
 * read-only there: it is left to the file system.
 */
export async function syncCopies(caseDir: string, files: readonly string[]): Promise<void> {
  if (process.platform === 'win32' || files.length === 0) return;
  for (const file of files) {
    const fh = await open(file, 'r');
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }
  const dir = await open(path.join(caseDir, SOURCES_DIR), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/**
 * Removes part files of dead processes and copies no finished import names (left by a crash after the
 * copies were moved into place and before the import committed). Run by a writer holding the case lock.
 */
export function removeOrphanCopies(caseDir: string, sqlite: Database.Database): string[] {
  const dir = path.join(caseDir, SOURCES_DIR);
  if (!existsSync(dir)) return [];
  const removed = removeStalePartFiles(dir);
  const named = new Set(
    (
      sqlite
        .prepare(
          "SELECT DISTINCT s.sha256 FROM source_files s JOIN imports i ON i.id = s.import_id WHERE i.status = 'done' AND s.role = 'data'",
        )
        .all() as { sha256: string }[]
    ).map((r) => r.sha256),
  );
  for (const name of readdirSync(dir)) {
    const m = /^([0-9a-f]{64})\.(jsonl|lines|parquet)$/.exec(name);
    if (!m || named.has(m[1])) continue;
    removeCopy(path.join(dir, name));
    removed.push(name);
  }
  return removed;
}

/** Where a stored record came from: its source file (case.sqlite id) and line or row. */
export interface RawRef {
  source_file_id?: unknown;
  /** Line (JSONL) or row (Parquet), 1-based. */
  line?: unknown;
  row?: unknown;
  /** The `raw` column: set for cases imported before the copies, NULL since. */
  raw?: unknown;
}

interface SourceOf {
  path: string;
  sha256: string;
  format: CopyFormat | undefined;
}

function missingCopy(source: SourceOf, what: string): AuditWsError {
  return new AuditWsError(
    'UNREADABLE_INPUT',
    `the case's copy of ${source.path} (${SOURCES_DIR}/${source.sha256}.${source.format ?? '?'}) ${what}; the record text cannot be shown`,
    { file: source.path },
  );
}

/**
 * The record texts of stored rows, in the order given: the `raw` column when set, else read from the
 * case's copy of the row's source file (bytes of a JSONL line; DuckDB's rendering of a Parquet row).
 */
export async function rawTexts(
  caseDir: string,
  sqlite: Database.Database,
  duck: DuckDBConnection,
  refs: readonly RawRef[],
): Promise<string[]> {
  const out: string[] = new Array<string>(refs.length).fill('');
  const byFile = new Map<number, number[]>();
  refs.forEach((r, i) => {
    if (typeof r.raw === 'string') out[i] = r.raw;
    else if (r.source_file_id !== null && r.source_file_id !== undefined) {
      const id = Number(r.source_file_id);
      const list = byFile.get(id) ?? [];
      list.push(i);
      byFile.set(id, list);
    }
  });
  if (byFile.size === 0) return out;
  const sourceOf = sqlite.prepare('SELECT path, sha256, format FROM source_files WHERE id = ?');
  for (const [id, indexes] of byFile) {
    const row = sourceOf.get(id) as { path: string; sha256: string; format: string | null } | undefined;
    if (!row) continue;
    const source: SourceOf = { path: row.path, sha256: row.sha256, format: copyFormatOf(row.format) };
    if (source.format === 'jsonl') {
      const texts = jsonlLines(
        caseDir,
        source,
        indexes.map((i) => Number(refs[i].line)),
      );
      indexes.forEach((i, k) => (out[i] = texts[k]));
    } else if (source.format === 'parquet') {
      const texts = await parquetRows(
        caseDir,
        source,
        duck,
        indexes.map((i) => Number(refs[i].row)),
      );
      indexes.forEach((i, k) => (out[i] = texts[k]));
    }
  }
  return out;
}

function readExactly(fd: number, bytes: number, position: number): Buffer {
  const buf = Buffer.allocUnsafe(bytes);
  let done = 0;
  while (done < bytes) {
    const n = readSync(fd, buf, done, bytes - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done === bytes ? buf : buf.subarray(0, done);
}

function jsonlLines(caseDir: string, source: SourceOf, lines: readonly number[]): string[] {
  const paths = copyPaths(caseDir, source.sha256, 'jsonl');
  return readIndexedLines(paths.data, paths.lines as string, lines, (what) => missingCopy(source, what));
}

/**
 * Texts of some lines of a JSONL copy in the making or in place (`data`, a `.jsonl` copy with its line
 * index beside it, as the import's loader reads them), or undefined when `data` has no line index there.
 */
export function copyLineTexts(data: string, lines: readonly number[]): string[] | undefined {
  if (!data.endsWith('.jsonl')) return undefined;
  const index = linesIndexOf(data);
  if (!existsSync(index)) return undefined;
  return readIndexedLines(data, index, lines, (what) => new Error(`${data} ${what}`));
}

/** Lines (1-based) of a data file by its line index (ENTRY_BYTES a line: start and end offsets). */
function readIndexedLines(
  data: string,
  index: string,
  lines: readonly number[],
  fault: (what: string) => Error,
): string[] {
  const open = (file: string): number => {
    try {
      return openSync(file, 'r');
    } catch (err) {
      throw fault(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  const dataFd = open(data);
  let indexFd: number | undefined;
  try {
    indexFd = open(index);
    const indexBytes = fstatSync(indexFd).size;
    const dataBytes = fstatSync(dataFd).size;
    return lines.map((line) => {
      const at = (line - 1) * ENTRY_BYTES;
      if (!Number.isInteger(line) || line < 1 || at + ENTRY_BYTES > indexBytes) throw fault(`has no line ${line}`);
      const entry = readExactly(indexFd as number, ENTRY_BYTES, at);
      const start = entry.readDoubleLE(0);
      const end = entry.readDoubleLE(8);
      if (!(start >= 0 && end >= start && end <= dataBytes)) throw fault(`has a damaged index at line ${line}`);
      return readExactly(dataFd, end - start, start).toString('utf8');
    });
  } finally {
    closeSync(dataFd);
    if (indexFd !== undefined) closeSync(indexFd);
  }
}

async function parquetRows(
  caseDir: string,
  source: SourceOf,
  duck: DuckDBConnection,
  rows: readonly number[],
): Promise<string[]> {
  const file = copyPaths(caseDir, source.sha256, 'parquet').data;
  if (!existsSync(file)) throw missingCopy(source, 'is missing');
  const columns = (await duck.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(file)})`))
    .getRowsJS()
    .map((r) => String(r[0]));
  const wanted = [...new Set(rows.filter((r) => Number.isInteger(r) && r >= 1))];
  const found = new Map<number, string>();
  if (wanted.length > 0) {
    const rendered = await duck.runAndReadAll(
      `SELECT row, raw FROM (${parquetRowsSql([file], columns, 'NULL')}) WHERE row IN (${wanted.join(', ')})`,
    );
    for (const [row, raw] of rendered.getRowsJS()) found.set(Number(row), String(raw));
  }
  return rows.map((r) => {
    const text = found.get(r);
    if (text === undefined) throw missingCopy(source, `has no row ${r}`);
    return text;
  });
}
