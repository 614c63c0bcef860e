/**
 * One streaming pass over a source file before it is loaded: its SHA-256 and size for the chain of
 * custody (and to recognise a re-import), and for JSONL the line facts that decide whether DuckDB's
 * line reader can be trusted with it (see source-sql.ts): line ends, bytes it would mangle, the longest
 * line, UTF-8 validity, and how many lines are blank. A .jsonl.gz is hashed as stored and its lines are
 * judged after decompression; a truncated or corrupt gzip stream is noted, not thrown.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { AuditWsError } from '../errors.ts';
import { FAST_PATH_MAX_LINE_BYTES } from './source-sql.ts';

export interface LineFacts {
  /** Lines, counting a last line without a line end. */
  lines: number;
  /** Lines holding only spaces and tabs (and a \r before the \n). */
  blankLines: number;
  /** Line ends: \n alone, and \r\n. */
  lfEnds: number;
  crlfEnds: number;
  /** \r bytes that are not part of a \r\n. */
  strayCr: number;
  /** Bytes DuckDB's CSV reader would mangle: NUL and the 0x1F delimiter. */
  unsafeBytes: number;
  longestLineBytes: number;
  utf8: boolean;
  /** Starts with a UTF-8 byte order mark. */
  bom: boolean;
  /** Set when the gzip stream ended early or is corrupt: lines up to here were read. */
  gzipError?: string;
}

export interface ScanResult {
  sha256: string;
  size: number;
  facts?: LineFacts;
}

export type FastPathVerdict = { ok: true; newLine: '\\n' | '\\r\\n' } | { ok: false; why: string };

/** Whether DuckDB's line reader gives the exact lines (and line numbers) of a file with these facts. */
export function fastPathVerdict(f: LineFacts): FastPathVerdict {
  if (f.gzipError) return { ok: false, why: 'gzip stream is truncated or corrupt' };
  if (!f.utf8) return { ok: false, why: 'not valid UTF-8 throughout' };
  if (f.unsafeBytes > 0) return { ok: false, why: 'holds NUL or 0x1F bytes' };
  if (f.longestLineBytes > FAST_PATH_MAX_LINE_BYTES) return { ok: false, why: 'holds a very long line' };
  // DuckDB drops a byte order mark, which would make a first line that holds only one look blank.
  if (f.bom) return { ok: false, why: 'starts with a byte order mark' };
  if (f.strayCr > 0) return { ok: false, why: 'holds a \\r that does not end a line' };
  if (f.crlfEnds === 0) return { ok: true, newLine: '\\n' };
  if (f.lfEnds === 0) return { ok: true, newLine: '\\r\\n' };
  return { ok: false, why: 'mixes \\n and \\r\\n line ends' };
}

/** Counts line facts over a stream of byte chunks. */
class LineFactCounter {
  readonly facts: LineFacts = {
    lines: 0,
    blankLines: 0,
    lfEnds: 0,
    crlfEnds: 0,
    strayCr: 0,
    unsafeBytes: 0,
    longestLineBytes: 0,
    utf8: true,
    bom: false,
  };
  private first = true;
  private lineBytes = 0;
  /** Whether the current line so far holds only spaces / tabs (and possibly a trailing \r). */
  private blankSoFar = true;
  private prevWasCr = false;
  /** Bytes of an incomplete UTF-8 sequence at the end of the previous chunk. */
  private utf8Tail: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    const f = this.facts;
    if (this.first && chunk.length > 0) {
      this.first = false;
      f.bom = chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf;
    }
    if (f.utf8) this.checkUtf8(chunk);
    if (chunk.indexOf(0x00) !== -1 || chunk.indexOf(0x1f) !== -1)
      f.unsafeBytes += countBytes(chunk, 0x00) + countBytes(chunk, 0x1f);
    this.countCr(chunk);
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      this.addSegment(chunk, start, nl);
      const crBefore = nl > 0 ? chunk[nl - 1] === 0x0d : this.prevWasCr;
      if (crBefore) f.crlfEnds++;
      else f.lfEnds++;
      f.lines++;
      const bytes = this.lineBytes - (crBefore ? 1 : 0);
      if (bytes > f.longestLineBytes) f.longestLineBytes = bytes;
      if (this.blankSoFar) f.blankLines++;
      this.lineBytes = 0;
      this.blankSoFar = true;
      start = nl + 1;
    }
    this.addSegment(chunk, start, chunk.length);
    if (chunk.length > 0) this.prevWasCr = chunk[chunk.length - 1] === 0x0d;
  }

  finish(): LineFacts {
    const f = this.facts;
    if (this.lineBytes > 0) {
      f.lines++;
      if (this.lineBytes > f.longestLineBytes) f.longestLineBytes = this.lineBytes;
      if (this.blankSoFar) f.blankLines++;
      if (this.prevWasCr) f.strayCr++; // a file ending in \r: DuckDB would end the line there
    }
    if (this.utf8Tail.length > 0) f.utf8 = false;
    return f;
  }

  private addSegment(chunk: Buffer, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    this.lineBytes += n;
    // Only short lines can be blank; a long one is known not to be after its first non-blank byte.
    if (this.blankSoFar) {
      for (let i = from; i < to; i++) {
        const b = chunk[i];
        if (b !== 0x20 && b !== 0x09 && !(b === 0x0d && i === to - 1)) {
          this.blankSoFar = false;
          break;
        }
      }
    }
  }

  /** \r bytes not followed by \n (a chunk may end between the two). */
  private countCr(chunk: Buffer): void {
    if (this.prevWasCr && chunk.length > 0 && chunk[0] !== 0x0a) this.facts.strayCr++;
    for (let i = chunk.indexOf(0x0d); i !== -1; i = chunk.indexOf(0x0d, i + 1)) {
      if (i + 1 < chunk.length && chunk[i + 1] !== 0x0a) this.facts.strayCr++;
    }
  }

  private checkUtf8(chunk: Buffer): void {
    const data = this.utf8Tail.length > 0 ? Buffer.concat([this.utf8Tail, chunk]) : chunk;
    // A multi-byte character may straddle chunks: hold back an incomplete one for the next chunk.
    let end = data.length;
    for (let i = data.length - 1; i >= Math.max(0, data.length - 3); i--) {
      const b = data[i];
      if ((b & 0xc0) === 0x80) continue;
      if (b >= 0xc0 && data.length - i < (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2)) end = i;
      break;
    }
    if (!isUtf8(data.subarray(0, end))) this.facts.utf8 = false;
    this.utf8Tail = Buffer.from(data.subarray(end));
  }
}

function countBytes(chunk: Buffer, byte: number): number {
  let n = 0;
  for (let i = chunk.indexOf(byte); i !== -1; i = chunk.indexOf(byte, i + 1)) n++;
  return n;
}

export interface ScanOptions {
  /** 'jsonl' / 'jsonl.gz' also count line facts; anything else is only hashed. */
  format?: string;
  signal?: AbortSignal;
  /** Called with the number of source bytes read since the last call. */
  onBytes?: (bytes: number) => void;
  /** Name for messages (the archive-relative path). */
  displayName: string;
}

/** Files up to this size are read whole (one system call) rather than streamed: archives hold thousands of small ones. */
const SMALL_FILE_BYTES = 4 * 1024 * 1024;

/** Hashes a file and, for JSONL, counts its line facts, in one read. */
export async function scanFile(absPath: string, options: ScanOptions): Promise<ScanResult> {
  if (options.format === undefined) {
    let size: number;
    try {
      size = (await stat(absPath)).size;
    } catch (err) {
      throw new AuditWsError('UNREADABLE_INPUT', `${options.displayName}: cannot be read (${(err as Error).message})`, {
        file: options.displayName,
      });
    }
    if (size <= SMALL_FILE_BYTES) {
      if (options.signal?.aborted) throw new AuditWsError('CANCELLED', 'import cancelled');
      let bytes: Buffer;
      try {
        bytes = await readFile(absPath);
      } catch (err) {
        throw new AuditWsError(
          'UNREADABLE_INPUT',
          `${options.displayName}: cannot be read (${(err as Error).message})`,
          {
            file: options.displayName,
          },
        );
      }
      options.onBytes?.(bytes.length);
      return { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
    }
  }
  const hash = createHash('sha256');
  let size = 0;
  const counter = options.format === 'jsonl' || options.format === 'jsonl.gz' ? new LineFactCounter() : undefined;
  const gunzip = options.format === 'jsonl.gz' ? createGunzip() : undefined;
  let gzipError: string | undefined;
  let gunzipDone: Promise<void> | undefined;
  if (gunzip && counter) {
    gunzip.on('data', (c: Buffer) => counter.push(c));
    gunzipDone = new Promise<void>((resolve) => {
      gunzip.on('end', () => resolve());
      gunzip.on('error', (err) => {
        gzipError = err.message;
        resolve();
      });
    });
  }
  const stream = createReadStream(absPath, { highWaterMark: 1024 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (options.signal?.aborted) throw new AuditWsError('CANCELLED', 'import cancelled');
      hash.update(chunk);
      size += chunk.length;
      if (gunzip) {
        if (!gzipError && !gunzip.write(chunk))
          await new Promise<void>((r) => (gzipError ? r() : gunzip.once('drain', r)));
      } else counter?.push(chunk);
      options.onBytes?.(chunk.length);
    }
  } catch (err) {
    stream.destroy();
    gunzip?.destroy();
    if (err instanceof AuditWsError) throw err;
    throw new AuditWsError('UNREADABLE_INPUT', `${options.displayName}: cannot be read (${(err as Error).message})`, {
      file: options.displayName,
    });
  }
  if (gunzip) {
    if (!gzipError) gunzip.end();
    await gunzipDone;
  }
  const result: ScanResult = { sha256: hash.digest('hex'), size };
  if (counter) {
    result.facts = counter.finish();
    if (gzipError) result.facts.gzipError = gzipError;
  }
  return result;
}
