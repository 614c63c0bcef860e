/**
 * One streaming pass over a source file before it is loaded: its SHA-256 and size for the chain of
 * custody (and to recognise a re-import), and for JSONL the line facts that decide whether DuckDB's
 * line reader can be trusted with it (see source-sql.ts): line ends, bytes it would mangle, the longest
 * line, UTF-8 validity, and how many lines are blank. A .jsonl.gz is hashed as stored and its lines are
 * judged after decompression; a truncated or corrupt gzip stream is noted, not thrown, and one that
 * expands more than 200:1 (a decompression bomb) is refused, as the archive reader refuses it.
 *
 * Nesting: the reader refuses a record nested deeper than MAX_JSON_DEPTH (src/archive/jsontext.ts), and
 * so must the import, or the record would fail later wherever it is shown. DuckDB cannot measure depth
 * cheaply (a string function over every record cost more than the whole key census), so the scan, which
 * sees every byte anyway, counts the `{` and `[` bytes of each line (one native indexOf per bracket,
 * about four per record): only a line with more than MAX_JSON_DEPTH of them can nest that deep. Such
 * lines are rare (a wide array of objects is one), and only for them a second pass measures the depth
 * exactly; a line found too deep sends its file to the exact path, which rejects it at its line.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { gunzipStream } from '../archive/gunzip.ts';
import { MAX_JSON_DEPTH, closingQuote } from '../archive/jsontext.ts';
import { readLines } from '../archive/lines.ts';
import { AuditWsError } from '../errors.ts';
import type { CopySink } from '../case/source-copies.ts';
import { LENIENT_TOKENS } from './record-sql.ts';
import { FAST_PATH_MAX_LINE_BYTES } from './source-sql.ts';

// The reader's limits for gzip data (src/archive/lines.ts, as for containers): at most 200 bytes out for
// each byte in, judged once past 1 MiB out.
export const MAX_EXPANSION_RATIO = 200;
const RATIO_FLOOR_BYTES = 1024 * 1024;

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
  /**
   * Whether the file holds any of the texts DuckDB's lenient JSON parser reads where JSON has none
   * (record-sql.ts LENIENT_TOKENS: NaN, Infinity, a trailing comma), anywhere, strings included.
   */
  lenientTokens: boolean;
  /** Lines nested deeper than MAX_JSON_DEPTH, with why (the reader's words); set only when there are some. */
  deepLines?: { line: number; reason: string }[];
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
  if (f.deepLines) return { ok: false, why: `holds a record nested deeper than ${MAX_JSON_DEPTH} levels` };
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
    lenientTokens: false,
  };
  /** The last bytes of the previous chunk, for a lenient token that straddles two chunks. */
  private tokenTail: Buffer = Buffer.alloc(0);
  private first = true;
  private lineBytes = 0;
  /** Whether the current line so far holds only spaces / tabs (and possibly a trailing \r). */
  private blankSoFar = true;
  private prevWasCr = false;
  /** Bytes of an incomplete UTF-8 sequence at the end of the previous chunk. */
  private utf8Tail: Buffer = Buffer.alloc(0);
  /** `{` and `[` bytes of the current line so far. */
  private lineOpeners = 0;
  /** Positions in the current chunk of the next `{` and `[` not yet counted (NONE: no more). */
  private nextBrace = NONE;
  private nextBracket = NONE;
  private chunk: Buffer = Buffer.alloc(0);
  /** Offset in the (decompressed) file of the current chunk, and of the current line's first byte. */
  private chunkAt = 0;
  private lineAt = 0;
  /** Lines (1-based) with more than MAX_JSON_DEPTH opening brackets: the only ones that can nest too deep. */
  readonly bracketHeavy: number[] = [];
  /** More bracket-heavy lines than bracketHeavy keeps: then every line is measured. */
  bracketHeavyOverflow = false;

  /** `onLine(start, end)`: each line's text is bytes [start, end) of the file, as the archive reader cuts it. */
  constructor(private readonly onLine?: (start: number, end: number) => void) {}

  push(chunk: Buffer): void {
    const f = this.facts;
    if (this.first && chunk.length > 0) {
      this.first = false;
      f.bom = chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf;
    }
    if (f.utf8) this.checkUtf8(chunk);
    if (!f.lenientTokens) this.findLenientTokens(chunk);
    if (chunk.indexOf(0x00) !== -1 || chunk.indexOf(0x1f) !== -1)
      f.unsafeBytes += countBytes(chunk, 0x00) + countBytes(chunk, 0x1f);
    this.countCr(chunk);
    this.chunk = chunk;
    this.nextBrace = indexOrNone(chunk, 0x7b, 0);
    this.nextBracket = indexOrNone(chunk, 0x5b, 0);
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      this.addSegment(chunk, start, nl);
      this.endLineOpeners(f.lines + 1);
      const crBefore = nl > 0 ? chunk[nl - 1] === 0x0d : this.prevWasCr;
      if (crBefore) f.crlfEnds++;
      else f.lfEnds++;
      f.lines++;
      const bytes = this.lineBytes - (crBefore ? 1 : 0);
      if (bytes > f.longestLineBytes) f.longestLineBytes = bytes;
      if (this.onLine) this.lineEnds(this.chunkAt + nl - (crBefore ? 1 : 0));
      this.lineAt = this.chunkAt + nl + 1;
      if (this.blankSoFar) f.blankLines++;
      this.lineBytes = 0;
      this.blankSoFar = true;
      start = nl + 1;
    }
    this.addSegment(chunk, start, chunk.length);
    if (chunk.length > 0) this.prevWasCr = chunk[chunk.length - 1] === 0x0d;
    this.chunkAt += chunk.length;
  }

  /** Reports the line that started at lineAt (the reader drops a first line's byte order mark). */
  private lineEnds(end: number): void {
    const start = this.lineAt === 0 && this.facts.bom ? Math.min(3, end) : this.lineAt;
    this.onLine?.(start, Math.max(start, end));
  }

  finish(): LineFacts {
    const f = this.facts;
    if (this.lineBytes > 0) {
      this.endLineOpeners(f.lines + 1);
      f.lines++;
      if (this.lineBytes > f.longestLineBytes) f.longestLineBytes = this.lineBytes;
      if (this.blankSoFar) f.blankLines++;
      if (this.prevWasCr) f.strayCr++; // a file ending in \r: DuckDB would end the line there
      if (this.onLine) this.lineEnds(this.chunkAt - (this.prevWasCr ? 1 : 0));
    }
    if (this.utf8Tail.length > 0) f.utf8 = false;
    return f;
  }

  private addSegment(chunk: Buffer, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    this.lineBytes += n;
    // Opening brackets up to `to`: each is found once by a native search, never byte by byte.
    while (this.nextBrace < to) {
      this.lineOpeners++;
      this.nextBrace = indexOrNone(this.chunk, 0x7b, this.nextBrace + 1);
    }
    while (this.nextBracket < to) {
      this.lineOpeners++;
      this.nextBracket = indexOrNone(this.chunk, 0x5b, this.nextBracket + 1);
    }
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

  /** Ends the opener count of line `line`. */
  private endLineOpeners(line: number): void {
    if (this.lineOpeners > MAX_JSON_DEPTH) {
      if (this.bracketHeavy.length < MAX_BRACKET_HEAVY_LINES) this.bracketHeavy.push(line);
      else this.bracketHeavyOverflow = true;
    }
    this.lineOpeners = 0;
  }

  /**
   * Buffer.indexOf of the tokens themselves cost 1.6 s per GB (an 8-byte or 2-byte needle takes V8's slow
   * searches; "Infinity" alone 0.5 s), so each is found by a needle that takes the fast one: "NaN", "Infinit"
   * then its "y", and each `}` and `]` with a look back over spaces for a comma (a superset of the four
   * comma tokens, which is safe: the flag only sends the file to the census's careful look). A token cut by
   * the chunk's edge is looked for in the few bytes around the edge.
   */
  private findLenientTokens(chunk: Buffer): void {
    const edge = Buffer.concat([this.tokenTail, chunk.subarray(0, LONGEST_TOKEN - 1)]);
    if (
      LENIENT_TOKEN_BYTES.some((t) => edge.indexOf(t) !== -1) ||
      chunk.indexOf(NAN) !== -1 ||
      holdsInfinity(chunk) ||
      holdsTrailingComma(chunk, 0x7d) ||
      holdsTrailingComma(chunk, 0x5d)
    )
      this.facts.lenientTokens = true;
    this.tokenTail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - (LONGEST_TOKEN - 1))));
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

const LENIENT_TOKEN_BYTES = LENIENT_TOKENS.map((t) => Buffer.from(t));
const LONGEST_TOKEN = Math.max(...LENIENT_TOKEN_BYTES.map((t) => t.length));
const NAN = Buffer.from('NaN');
const INFINIT = Buffer.from('Infinit');

function holdsInfinity(chunk: Buffer): boolean {
  for (let i = chunk.indexOf(INFINIT); i !== -1; i = chunk.indexOf(INFINIT, i + 1)) {
    if (chunk[i + INFINIT.length] === 0x79) return true;
  }
  return false;
}

/** Whether a `close` byte (`}` or `]`) follows a comma and nothing but spaces, within the chunk. */
function holdsTrailingComma(chunk: Buffer, close: number): boolean {
  for (let i = chunk.indexOf(close); i !== -1; i = chunk.indexOf(close, i + 1)) {
    let j = i - 1;
    while (j >= 0 && chunk[j] === 0x20) j--;
    if (j >= 0 && chunk[j] === 0x2c) return true;
  }
  return false;
}

const NONE = Number.MAX_SAFE_INTEGER;
/** Bracket-heavy line numbers kept for the second pass (past this, every line is measured). */
const MAX_BRACKET_HEAVY_LINES = 100_000;

function indexOrNone(chunk: Buffer, byte: number, from: number): number {
  const i = chunk.indexOf(byte, from);
  return i === -1 ? NONE : i;
}

/**
 * UTF-16 offset of the first `{` or `[` that opens a level deeper than MAX_JSON_DEPTH (the place
 * jsontext.ts findJsonProblem reports), or -1. Counts brackets outside strings only; the text need not
 * be valid JSON (whatever else is wrong with it is found when it is loaded).
 */
export function tooDeepAt(text: string): number {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = closingQuote(text, i);
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) return i;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return -1;
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
  /** Longest line the import accepts (longer ones are rejected as such, not measured for depth). */
  maxLineBytes?: number;
  /** Receives the data file's copy for the case (source-copies.ts): its bytes (decompressed) and lines. */
  copy?: CopySink;
}

/**
 * Files up to this size are read whole and synchronously rather than streamed: archives hold thousands of
 * small ones, and fs/promises took 0.29 ms a file against 0.012 ms (10,504 explanations: 3.0 s against 0.13 s).
 */
const SMALL_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Hashes a file and, for JSONL, counts its line facts, in one read. A .jsonl.gz that expands more than
 * MAX_EXPANSION_RATIO:1 throws LIMIT_EXCEEDED naming the file (decompression stops there).
 */
export async function scanFile(absPath: string, options: ScanOptions): Promise<ScanResult> {
  if (options.format === undefined) {
    let size: number;
    try {
      size = statSync(absPath).size;
    } catch (err) {
      throw new AuditWsError('UNREADABLE_INPUT', `${options.displayName}: cannot be read (${(err as Error).message})`, {
        file: options.displayName,
      });
    }
    if (size <= SMALL_FILE_BYTES) {
      if (options.signal?.aborted) throw new AuditWsError('CANCELLED', 'import cancelled');
      let bytes: Buffer;
      try {
        bytes = readFileSync(absPath);
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
  const copy = options.copy;
  const counter =
    options.format === 'jsonl' || options.format === 'jsonl.gz'
      ? new LineFactCounter(copy ? (start, end) => copy.line(start, end) : undefined)
      : undefined;
  const gunzip = options.format === 'jsonl.gz' ? gunzipStream() : undefined;
  let gzipError: string | undefined;
  let bomb: AuditWsError | undefined;
  let copyFailed: unknown;
  let gunzipDone: Promise<void> | undefined;
  if (gunzip && counter) {
    let produced = 0;
    gunzip.on('data', (c: Buffer) => {
      if (bomb) return;
      produced += c.length;
      if (produced > RATIO_FLOOR_BYTES && produced > MAX_EXPANSION_RATIO * Math.max(size, 1)) {
        const ratio = Math.round(produced / Math.max(size, 1));
        const line = counter.facts.lines;
        bomb = new AuditWsError(
          'LIMIT_EXCEEDED',
          `${options.displayName}: expands more than ${MAX_EXPANSION_RATIO}:1 (${ratio}:1) after line ${line}, refused as a decompression bomb`,
          { file: options.displayName, line, ratio, limit: MAX_EXPANSION_RATIO },
        );
        gunzip.destroy();
        return;
      }
      try {
        counter.push(c);
        copy?.data(c);
      } catch (err) {
        copyFailed = err; // the case's disk (full?): stops like a bomb, thrown below
        gunzip.destroy();
      }
    });
    gunzipDone = new Promise<void>((resolve) => {
      gunzip.on('end', () => resolve());
      gunzip.on('close', () => resolve());
      gunzip.on('error', (err) => {
        gzipError = err.message;
        resolve();
      });
    });
  }
  /** Waits until gunzip takes more input, or has stopped (an error, or destroyed as a bomb). */
  const drained = (z: NonNullable<typeof gunzip>): Promise<void> =>
    new Promise<void>((resolve) => {
      if (gzipError || bomb || z.destroyed) return resolve();
      const done = (): void => {
        z.off('drain', done);
        z.off('close', done);
        resolve();
      };
      z.once('drain', done);
      z.once('close', done);
    });
  const stream = createReadStream(absPath, { highWaterMark: 1024 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (options.signal?.aborted) throw new AuditWsError('CANCELLED', 'import cancelled');
      if (bomb || copyFailed) break;
      hash.update(chunk);
      size += chunk.length;
      if (gunzip) {
        if (!gzipError && !gunzip.write(chunk)) await drained(gunzip);
      } else {
        counter?.push(chunk);
        copy?.data(chunk);
      }
      options.onBytes?.(chunk.length);
    }
  } catch (err) {
    stream.destroy();
    gunzip?.destroy();
    // A failed write of the case's copy is the case's disk, not the source: said as such by the caller.
    if (err instanceof AuditWsError || (err as NodeJS.ErrnoException).syscall === 'write') throw err;
    throw new AuditWsError('UNREADABLE_INPUT', `${options.displayName}: cannot be read (${(err as Error).message})`, {
      file: options.displayName,
    });
  }
  if (gunzip) {
    if (!gzipError && !bomb) gunzip.end();
    await gunzipDone;
  }
  if (bomb || copyFailed) {
    stream.destroy();
    throw bomb ?? copyFailed;
  }
  const result: ScanResult = { sha256: hash.digest('hex'), size };
  if (counter) {
    result.facts = counter.finish();
    if (gzipError) result.facts.gzipError = gzipError;
    if (counter.bracketHeavy.length > 0 || counter.bracketHeavyOverflow) {
      const deep = await measureDepth(absPath, counter, options);
      if (deep.length > 0) result.facts.deepLines = deep;
    }
  }
  return result;
}

/**
 * The second pass, for the few lines with more opening brackets than MAX_JSON_DEPTH: their exact depth
 * (outside strings). Returns the lines nested too deep, with the reader's words for it.
 */
async function measureDepth(
  absPath: string,
  counter: LineFactCounter,
  options: ScanOptions,
): Promise<{ line: number; reason: string }[]> {
  const heavy = new Set(counter.bracketHeavy);
  const all = counter.bracketHeavyOverflow;
  const out: { line: number; reason: string }[] = [];
  try {
    for await (const ev of readLines(absPath, {
      gzip: options.format === 'jsonl.gz',
      ...(options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {}),
      displayName: options.displayName,
    })) {
      if (options.signal?.aborted) throw new AuditWsError('CANCELLED', 'import cancelled');
      if (ev.kind !== 'line' || !(all || heavy.has(ev.line))) continue;
      const at = tooDeepAt(ev.text);
      if (at >= 0)
        out.push({ line: ev.line, reason: `nested deeper than ${MAX_JSON_DEPTH} levels (column ${at + 1})` });
    }
  } catch (err) {
    // A damaged gzip stream was noted by the first pass; the lines before the damage are measured.
    if (!(err instanceof AuditWsError) || err.code !== 'UNREADABLE_INPUT') throw err;
  }
  return out;
}
