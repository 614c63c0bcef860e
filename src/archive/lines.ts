/**
 * Streams the lines of a (possibly gzipped) text file without ever holding the whole file: data files
 * can be many GB, and V8 refuses strings over 512 MiB. A line longer than the limit is skipped to its
 * end without being buffered and reported with its number.
 */
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { gunzipStream } from './gunzip.ts';
import { AuditWsError } from '../errors.ts';

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

// The container limits of containers.ts (maxExpansionRatio, RATIO_FLOOR_BYTES), repeated rather than
// imported so that threads reading lines do not load the zip and tar readers.
const DEFAULT_MAX_EXPANSION_RATIO = 200;
const RATIO_FLOOR_BYTES = 1024 * 1024;

export type LineEvent =
  /** One line, without its line ending; `crlf` when a \r before the \n was removed. */
  | { kind: 'line'; line: number; text: string; crlf: boolean; bom: boolean }
  | { kind: 'too-long'; line: number; bytes: number }
  | { kind: 'not-utf8'; line: number };

export interface LineReaderOptions {
  gzip?: boolean;
  maxLineBytes?: number;
  /** Name used in error messages (the archive-relative path). */
  displayName: string;
  /**
   * Byte range of a plain (not gzip) file, so parts of one file can be read in parallel: `start`
   * inclusive, `end` exclusive (default: to the end). The range must begin at a line start; line
   * numbers are then counted from 1 within the range.
   */
  start?: number;
  end?: number;
  /**
   * gzip only: largest decompressed:compressed ratio (default 200, as for containers), judged once
   * past 1 MiB. A gzip bomb of newlines would otherwise keep the reader busy for hours.
   */
  maxExpansionRatio?: number;
}

/**
 * Yields every line with its 1-based number, blank ones included (callers skip them but keep the count).
 * A read or decompression failure throws AuditWsError UNREADABLE_INPUT naming the file and the last
 * complete line, so a truncated .jsonl.gz says how far it could be read.
 */
export async function* readLines(absPath: string, options: LineReaderOptions): AsyncGenerator<LineEvent> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const start = options.start ?? 0;
  if (options.gzip && (start !== 0 || options.end !== undefined)) {
    throw new AuditWsError(
      'BAD_USAGE',
      `${options.displayName}: a gzip file can only be read from its start to its end`,
      {
        file: options.displayName,
      },
    );
  }
  if (options.end !== undefined && options.end <= start) return;
  const file = createReadStream(absPath, {
    highWaterMark: 1024 * 1024,
    start,
    ...(options.end !== undefined ? { end: options.end - 1 } : {}),
  });
  // pipeline() forwards a read error to the gunzip stream and tears both down when iteration stops early.
  const source: AsyncIterable<Buffer> = options.gzip ? pipeline(file, gunzipStream(), () => {}) : file;

  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overflowBytes = -1; // >= 0 while skipping the rest of an over-long line
  let lineNo = 0;
  const maxRatio = options.maxExpansionRatio ?? DEFAULT_MAX_EXPANSION_RATIO;
  let produced = 0;

  const finish = (segment: Buffer): LineEvent => {
    lineNo++;
    if (overflowBytes >= 0) {
      const bytes = overflowBytes + segment.length;
      overflowBytes = -1;
      return { kind: 'too-long', line: lineNo, bytes };
    }
    let buf = pendingBytes === 0 ? segment : Buffer.concat([...pending, segment], pendingBytes + segment.length);
    pending = [];
    pendingBytes = 0;
    let crlf = false;
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) {
      buf = buf.subarray(0, buf.length - 1);
      crlf = true;
    }
    let bom = false;
    if (lineNo === 1 && start === 0 && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
      buf = buf.subarray(3);
      bom = true;
    }
    if (!isUtf8(buf)) return { kind: 'not-utf8', line: lineNo };
    return { kind: 'line', line: lineNo, text: buf.toString('utf8'), crlf, bom };
  };

  const keep = (segment: Buffer): void => {
    if (segment.length === 0) return;
    if (overflowBytes >= 0) {
      overflowBytes += segment.length;
      return;
    }
    if (pendingBytes + segment.length > maxLineBytes) {
      overflowBytes = pendingBytes + segment.length;
      pending = [];
      pendingBytes = 0;
      return;
    }
    // Chunks are views into the stream's buffers; copy so a long pending line does not pin them all.
    pending.push(Buffer.from(segment));
    pendingBytes += segment.length;
  };

  try {
    for await (const chunk of source) {
      if (options.gzip) {
        produced += chunk.length;
        if (produced > RATIO_FLOOR_BYTES && produced > maxRatio * Math.max(file.bytesRead, 1)) {
          const ratio = Math.round(produced / Math.max(file.bytesRead, 1));
          throw new AuditWsError(
            'LIMIT_EXCEEDED',
            `${options.displayName}: expands more than ${maxRatio}:1 (${ratio}:1) after line ${lineNo}, refused as a decompression bomb`,
            { file: options.displayName, line: lineNo, ratio, limit: maxRatio },
          );
        }
      }
      let start = 0;
      for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        const segment = chunk.subarray(start, nl);
        if (overflowBytes < 0 && pendingBytes + segment.length > maxLineBytes) {
          overflowBytes = pendingBytes;
          pending = [];
          pendingBytes = 0;
        }
        yield finish(segment);
        start = nl + 1;
      }
      keep(chunk.subarray(start));
    }
  } catch (err) {
    if (err instanceof AuditWsError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    const what = options.gzip ? 'truncated or corrupt gzip data' : 'read failed';
    throw new AuditWsError(
      'UNREADABLE_INPUT',
      `${options.displayName}: ${what} after line ${lineNo} (${why})`,
      { file: options.displayName, line: lineNo, lastGoodLine: lineNo },
      { cause: err },
    );
  }
  if (pendingBytes > 0 || overflowBytes >= 0) yield finish(Buffer.alloc(0));
}

/**
 * The 1-based line of the first bytes that are not UTF-8, or undefined when all are. For files read
 * whole (descriptor, checkpoints), which must be UTF-8 like every line of a data file: decoding them
 * with replacement characters would hide what the bytes say.
 */
export function firstNonUtf8Line(bytes: Buffer): number | undefined {
  if (isUtf8(bytes)) return undefined;
  let line = 1;
  let start = 0;
  for (let nl = bytes.indexOf(0x0a); ; nl = bytes.indexOf(0x0a, start)) {
    const end = nl === -1 ? bytes.length : nl;
    if (!isUtf8(bytes.subarray(start, end))) return line;
    if (nl === -1) return line;
    line++;
    start = nl + 1;
  }
}
