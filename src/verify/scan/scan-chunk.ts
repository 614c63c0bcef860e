import { isUtf8 } from 'node:buffer';
import { hash as oneShotHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { pipeline } from 'node:stream';
import { gunzipStream } from '../../archive/gunzip.ts';
import { fastCanonicalText } from '../../archive/fast-canonical.ts';
import { DEFAULT_MAX_LINE_BYTES } from '../../archive/lines.ts';
import { isRecordError, parquetRecords, parseRecordLine } from '../../archive/records.ts';
import { CanonicalScanner, decodeHex64, matchesHex64 } from './canonical-bytes.ts';

/**
 * A byte range of one JSONL file (whole file for gzip), always starting and ending on a line boundary;
 * or, with `parquet`, a whole Parquet file (read through DuckDB; positions are then row numbers).
 */
export interface ChunkJob {
  absPath: string;
  displayPath: string;
  start: number;
  /** exclusive; undefined reads to the end */
  end?: number;
  gzip: boolean;
  parquet?: boolean;
  maxLineBytes?: number;
  /**
   * Sorted, disjoint [first, last] seq ranges (flattened) that some checkpoint covers: only records in
   * them need an RFC 6962 leaf hash. Undefined: every record gets one.
   */
  anchors?: number[];
}

/** Details of a record the main thread must judge in full (anything not plainly linked to its predecessor). */
export interface RecordDetail {
  i: number;
  seq?: number;
  hash?: string;
  prevHash?: string;
  computed?: string;
  /** why the hash cannot be recomputed (a number JSON cannot represent) */
  unverifiable?: string;
  hasChain: boolean;
}

export interface ChunkResult {
  /** line events in the range, blank ones included, so the caller can number the next range */
  lines: number;
  records: number;
  /** local 1-based line number of each record */
  lineNos: Uint32Array;
  /** seq per record, NaN when absent or not a number */
  seqs: Float64Array;
  /** claimed hash bytes per record (32 each) */
  hashes: Uint8Array;
  /** RFC 6962 leaf hash of the claimed hash per anchored record (32 each), so the main thread only combines nodes */
  leaves: Uint8Array;
  /** 1 = normal: chained, hash verified, seq and prevHash follow the previous record of this range */
  normal: Uint8Array;
  details: RecordDetail[];
  errors: { line: number; message: string; code?: string }[];
  /** the range could not be read to its end (truncated gzip, I/O error); line 0: not opened at all */
  fatal?: { line: number; message: string };
  /** the positions (lineNos, errors, fatal) are Parquet row numbers */
  rows?: boolean;
}

const HEX64 = /^[0-9a-f]{64}$/;
const READ_BYTES = 4 * 1024 * 1024;

/**
 * One canonicaliser per thread, so its shape caches stay warm from range to range. Shared safely: each
 * scan's output is used before anything else runs on the thread.
 */
const threadScanner = new CanonicalScanner();

/**
 * Scans the lines of one range synchronously: lines are cut from a reused byte buffer, and each record
 * goes through the byte canonicaliser (no JSON.parse, no object, no string), falling back to the strict
 * reference path (parseRecordLine + fastCanonicalText) for anything the canonicaliser declines. Line
 * semantics are those of src/archive/lines.ts readLines: a BOM is dropped from the file's first line, a
 * \r before \n is removed, a line over the limit is skipped unbuffered and reported, and so is one that is
 * not UTF-8.
 */
class RangeScanner {
  private readonly scanner = threadScanner;
  private readonly maxLineBytes: number;
  private readonly leafInput = Buffer.alloc(33);
  /** room for records; a range's size gives a first guess (one record per 512 bytes; it grows if needed) */
  private cap: number;
  private n = 0;
  lines = 0;
  lineNos: Uint32Array;
  seqs: Float64Array;
  hashes: Uint8Array;
  leaves: Uint8Array;
  normal: Uint8Array;
  readonly details: RecordDetail[] = [];
  readonly errors: ChunkResult['errors'] = [];
  /** the previous record was chained with a well-formed hash (at hashes[(n-1)*32]) and a numeric seq */
  private prevOk = false;
  private prevSeq = NaN;
  private anchorAt = 0;

  // the line buffer: bytes [lineStart, len) of `work` are not yet cut into lines
  work: Buffer;
  len = 0;
  private lineStart = 0;
  /** >= 0 while skipping the rest of an over-long line: its bytes so far */
  private overflow = -1;
  /** the complete lines being handled were found valid UTF-8 in one check (else each line is checked) */
  private utf8Checked = false;

  constructor(
    private readonly job: ChunkJob,
    work: Buffer,
  ) {
    this.maxLineBytes = job.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.work = work;
    const cap = job.end === undefined ? 4096 : Math.min(65536, Math.max(256, Math.ceil((job.end - job.start) / 512)));
    this.cap = cap;
    this.lineNos = new Uint32Array(cap);
    this.seqs = new Float64Array(cap);
    this.hashes = new Uint8Array(cap * 32);
    this.leaves = new Uint8Array(cap * 32);
    this.normal = new Uint8Array(cap);
  }

  /** Room for at least `want` more bytes at work[len], moving or growing the buffer as needed. */
  room(want: number): void {
    if (this.work.length - this.len >= want) return;
    if (this.lineStart > 0) {
      this.work.copyWithin(0, this.lineStart, this.len);
      this.len -= this.lineStart;
      this.lineStart = 0;
      if (this.work.length - this.len >= want) return;
    }
    let size = this.work.length * 2;
    while (size - this.len < want) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.work.copy(bigger, 0, 0, this.len);
    this.work = bigger;
  }

  /** Cuts and handles every complete line among the bytes added since the last call (now up to len). */
  consume(from: number): void {
    const work = this.work;
    const len = this.len;
    if (this.overflow >= 0) {
      const nl = work.indexOf(0x0a, from);
      if (nl < 0 || nl >= len) {
        this.overflow += len - from;
        this.len = this.lineStart = 0;
        return;
      }
      this.tooLong(this.overflow + (nl - from));
      this.overflow = -1;
      this.lineStart = nl + 1;
      from = nl + 1;
    }
    // the complete lines in this batch, checked for UTF-8 in one call
    const lastNl = work.lastIndexOf(0x0a, len - 1);
    if (lastNl >= this.lineStart && lastNl >= from) {
      this.utf8Checked = isUtf8(work.subarray(this.lineStart, lastNl));
      let s = this.lineStart;
      for (let nl = work.indexOf(0x0a, Math.max(s, from)); nl >= 0 && nl < len; nl = work.indexOf(0x0a, s)) {
        this.line(work, s, nl);
        s = nl + 1;
      }
      this.lineStart = s;
    }
    if (len - this.lineStart > this.maxLineBytes) {
      this.overflow = len - this.lineStart;
      this.len = this.lineStart = 0;
    }
  }

  /** End of input: the last line if it has no \n. */
  finish(): void {
    if (this.overflow >= 0) {
      this.tooLong(this.overflow);
      this.overflow = -1;
    } else if (this.len > this.lineStart) {
      this.utf8Checked = false;
      const s = this.lineStart;
      this.lineStart = this.len;
      this.line(this.work, s, this.len);
    }
  }

  private tooLong(bytes: number): void {
    this.lines++;
    this.errors.push({
      line: this.lines,
      code: 'LIMIT_EXCEEDED',
      message: `line longer than the limit of ${this.maxLineBytes} bytes (${bytes} bytes), skipped`,
    });
    this.prevOk = false;
  }

  private line(buf: Buffer, s: number, e: number): void {
    const lineNo = ++this.lines;
    if (e - s > this.maxLineBytes) {
      this.lines--;
      this.tooLong(e - s);
      return;
    }
    if (e > s && buf[e - 1] === 0x0d) e--;
    if (
      lineNo === 1 &&
      this.job.start === 0 &&
      e - s >= 3 &&
      buf[s] === 0xef &&
      buf[s + 1] === 0xbb &&
      buf[s + 2] === 0xbf
    )
      s += 3;
    if (!this.utf8Checked && !isUtf8(buf.subarray(s, e))) {
      this.errors.push({ line: lineNo, message: 'line is not valid UTF-8' });
      this.prevOk = false;
      return;
    }
    if (this.scanner.scan(buf, s, e)) this.fastRecord(buf, lineNo);
    else this.slowRecord(buf.toString('utf8', s, e), lineNo);
  }

  private next(lineNo: number, seq: number): number {
    if (this.n === this.cap) this.grow();
    const i = this.n++;
    this.lineNos[i] = lineNo;
    this.seqs[i] = seq;
    return i;
  }

  /** A record the canonicaliser understood: chain members are spans of `buf`, canonical bytes in scanner.out. */
  private fastRecord(buf: Buffer, lineNo: number): void {
    const sc = this.scanner;
    const seq = sc.seq;
    const i = this.next(lineNo, seq);
    // 'binary' (latin1): the digest bytes as a 32-character string, cheaper than a Buffer or hex
    const digest = oneShotHash('sha256', sc.canonical(), 'binary');
    const hs = sc.hashStart;
    const at = i * 32;
    const wellFormed = decodeHex64(buf, hs, sc.hashEnd, this.hashes, at);
    let hashOk = wellFormed;
    if (wellFormed) {
      const h = this.hashes;
      for (let k = 0; k < 32 && hashOk; k++) hashOk = digest.charCodeAt(k) === h[at + k];
    }
    let isNormal = hashOk && this.prevOk && seq === this.prevSeq + 1;
    // prevHash equals the previous record's hash text (both lowercase hex, so compare as bytes)
    if (isNormal) isNormal = matchesHex64(buf, sc.prevStart, sc.prevEnd, this.hashes, at - 32);
    this.normal[i] = isNormal ? 1 : 0;
    if (wellFormed) this.leaf(i, seq);
    if (!isNormal)
      this.details.push({
        i,
        hasChain: true,
        seq,
        hash: buf.toString('utf8', hs, sc.hashEnd),
        prevHash: buf.toString('utf8', sc.prevStart, sc.prevEnd),
        computed: Buffer.from(digest, 'latin1').toString('hex'),
      });
    this.prevOk = wellFormed;
    this.prevSeq = seq;
  }

  /** The reference path, for every line the canonicaliser declined. */
  private slowRecord(text: string, lineNo: number): void {
    const parsed = parseRecordLine(text);
    if (parsed === undefined) return; // blank
    if (!parsed.ok) {
      this.recordError(lineNo, parsed.message);
      return;
    }
    this.valueRecord(parsed.value, parsed.unverifiable, lineNo);
  }

  /** A line or row that is not a record: reported, and the next record has no predecessor here. */
  recordError(position: number, message: string): void {
    this.errors.push({ line: position, message });
    this.prevOk = false;
  }

  /** A record as a value (a parsed line, a Parquet row); `unverifiable` says why its hash cannot be recomputed. */
  valueRecord(v: Record<string, unknown>, unverifiableAlready: string | undefined, lineNo: number): void {
    const hasChain = v.hash !== undefined || v.prevHash !== undefined || v.seq !== undefined;
    const seq = typeof v.seq === 'number' ? v.seq : undefined;
    const claimed = typeof v.hash === 'string' ? v.hash : undefined;
    const prev = typeof v.prevHash === 'string' ? v.prevHash : undefined;
    const i = this.next(lineNo, seq ?? NaN);
    let computed: string | undefined;
    let unverifiable = unverifiableAlready;
    if (hasChain && claimed !== undefined && unverifiable === undefined) {
      try {
        computed = oneShotHash('sha256', fastCanonicalText(v), 'hex');
      } catch (err) {
        unverifiable = err instanceof Error ? err.message : String(err);
      }
    }
    const wellFormed = claimed !== undefined && HEX64.test(claimed);
    if (wellFormed) {
      this.hashes.set(Buffer.from(claimed, 'hex'), i * 32);
      if (seq !== undefined) this.leaf(i, seq);
    }
    const prevHash = this.prevOk ? Buffer.from(this.hashes.subarray((i - 1) * 32, i * 32)).toString('hex') : '';
    const isNormal =
      hasChain &&
      wellFormed &&
      computed === claimed &&
      this.prevOk &&
      seq !== undefined &&
      seq === this.prevSeq + 1 &&
      prev === prevHash;
    this.normal[i] = isNormal ? 1 : 0;
    if (!isNormal) {
      const d: RecordDetail = { i, hasChain, seq, hash: claimed, prevHash: prev, computed };
      if (unverifiable !== undefined) d.unverifiable = unverifiable;
      this.details.push(d);
    }
    this.prevOk = hasChain && wellFormed && seq !== undefined;
    this.prevSeq = seq ?? NaN;
  }

  /** The RFC 6962 leaf hash of record i's claimed hash, when a checkpoint covers its seq. */
  private leaf(i: number, seq: number): void {
    const anchors = this.job.anchors;
    if (anchors !== undefined) {
      // records come mostly in ascending seq: move a cursor over the sorted ranges
      let a = this.anchorAt;
      while (a > 0 && anchors[a] > seq) a -= 2;
      while (a < anchors.length && anchors[a + 1] < seq) a += 2;
      this.anchorAt = a;
      if (a >= anchors.length || anchors[a] > seq) return;
    }
    const input = this.leafInput;
    const h = this.hashes;
    const at = i * 32;
    for (let k = 0; k < 32; k++) input[1 + k] = h[at + k];
    const leaf = oneShotHash('sha256', input, 'binary');
    const leaves = this.leaves;
    for (let k = 0; k < 32; k++) leaves[at + k] = leaf.charCodeAt(k);
  }

  private grow(): void {
    const cap = this.cap * 2;
    const l = new Uint32Array(cap);
    l.set(this.lineNos);
    this.lineNos = l;
    const s = new Float64Array(cap);
    s.set(this.seqs);
    this.seqs = s;
    const h = new Uint8Array(cap * 32);
    h.set(this.hashes);
    this.hashes = h;
    const v = new Uint8Array(cap * 32);
    v.set(this.leaves);
    this.leaves = v;
    const m = new Uint8Array(cap);
    m.set(this.normal);
    this.normal = m;
    this.cap = cap;
  }

  result(fatal?: ChunkResult['fatal']): ChunkResult {
    const n = this.n;
    return {
      lines: this.lines,
      records: n,
      lineNos: this.lineNos.slice(0, n),
      seqs: this.seqs.slice(0, n),
      hashes: this.hashes.slice(0, n * 32),
      leaves: this.leaves.slice(0, n * 32),
      normal: this.normal.slice(0, n),
      details: this.details,
      errors: this.errors,
      fatal,
    };
  }
}

/** A line buffer kept for the next range of this thread (taken while in use: gzip ranges interleave). */
let sharedWork: Buffer | undefined;

/** A failure of the file or the gzip stream (not of the scan itself), reported as where reading stopped. */
class ReadError extends Error {}

/** Reading refused part-way (a decompression bomb); the message is the whole finding. */
class RefusedError extends Error {}

// readLines' gzip limits (src/archive/lines.ts), kept the same here so both paths refuse the same files:
// more than 200 decompressed bytes per compressed byte, judged once past 1 MiB
const MAX_EXPANSION_RATIO = 200;
const RATIO_FLOOR_BYTES = 1024 * 1024;

function readError(err: unknown): ReadError {
  return new ReadError(err instanceof Error ? err.message : String(err));
}

/** Hashes, parses and pre-links the records of one range; runs inside a worker thread. */
export async function scanChunk(job: ChunkJob): Promise<ChunkResult> {
  const r = new RangeScanner(job, sharedWork ?? Buffer.allocUnsafe(READ_BYTES + 64 * 1024));
  sharedWork = undefined;
  let fatal: ChunkResult['fatal'];
  if (job.parquet) {
    sharedWork = r.work;
    return { ...r.result(await scanParquet(job, r)), rows: true };
  }
  try {
    if (job.gzip) await scanGzip(job, r);
    else scanPlain(job, r);
    r.finish();
  } catch (err) {
    if (err instanceof RefusedError) fatal = { line: r.lines + 1, message: err.message };
    else if (err instanceof ReadError) {
      const what = job.gzip ? 'truncated or corrupt gzip data' : 'read failed';
      fatal = { line: r.lines + 1, message: `${what} after line ${r.lines} (${err.message})` };
    } else throw err;
  }
  if (r.work.length <= READ_BYTES * 2) sharedWork = r.work;
  return r.result(fatal);
}

/**
 * The rows of a Parquet file, as src/archive/records.ts reads them (parquetRecords): a row that cannot be
 * converted is a record-format error at its row; a file DuckDB cannot read (or stops reading) ends the scan
 * with a fatal error at the row after the last one read (0 when it could not be opened at all).
 */
async function scanParquet(job: ChunkJob, r: RangeScanner): Promise<ChunkResult['fatal']> {
  const rows = parquetRecords(job.absPath, job.displayPath);
  for (;;) {
    const step = await rows.next();
    if (step.done) return step.value && { line: step.value.error.row ?? 0, message: step.value.error.message };
    const item = step.value;
    const row = item.row ?? 0;
    r.lines = row;
    if (isRecordError(item)) r.recordError(row, item.message);
    else r.valueRecord(item.value, item.unverifiable, row);
  }
}

function scanPlain(job: ChunkJob, r: RangeScanner): void {
  if (job.end !== undefined && job.end <= job.start) return;
  let fd: number;
  try {
    fd = openSync(job.absPath, 'r');
  } catch (err) {
    throw readError(err);
  }
  try {
    let pos = job.start;
    for (;;) {
      const remaining = job.end === undefined ? READ_BYTES : Math.min(READ_BYTES, job.end - pos);
      if (remaining <= 0) break;
      r.room(remaining);
      const from = r.len;
      let got: number;
      try {
        got = readSync(fd, r.work, from, Math.min(remaining, r.work.length - from), pos);
      } catch (err) {
        throw readError(err);
      }
      if (got <= 0) break;
      pos += got;
      r.len += got;
      r.consume(from);
    }
  } finally {
    closeSync(fd);
  }
}

async function scanGzip(job: ChunkJob, r: RangeScanner): Promise<void> {
  const file = createReadStream(job.absPath, { highWaterMark: 1024 * 1024 });
  const source = pipeline(file, gunzipStream(), () => {})[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let produced = 0;
  try {
    for (;;) {
      let step: IteratorResult<Buffer>;
      try {
        step = await source.next();
      } catch (err) {
        throw readError(err);
      }
      if (step.done) return;
      const chunk = step.value;
      produced += chunk.length;
      if (produced > RATIO_FLOOR_BYTES && produced > MAX_EXPANSION_RATIO * Math.max(file.bytesRead, 1)) {
        const ratio = Math.round(produced / Math.max(file.bytesRead, 1));
        throw new RefusedError(
          `expands more than ${MAX_EXPANSION_RATIO}:1 (${ratio}:1) after line ${r.lines}, refused as a decompression bomb`,
        );
      }
      r.room(chunk.length);
      const from = r.len;
      chunk.copy(r.work, from);
      r.len += chunk.length;
      r.consume(from);
    }
  } finally {
    // tears the streams down if the loop stopped early; an error here was already reported above
    await source.return?.().catch(() => undefined);
  }
}
