import { hash as oneShotHash } from 'node:crypto';
import { fastCanonicalText } from '../../archive/fast-canonical.ts';
import { readLines } from '../../archive/lines.ts';
import { parseRecordLine } from '../../archive/records.ts';
import { AuditWsError } from '../../errors.ts';

/** A byte range of one JSONL file (whole file for gzip), always starting and ending on a line boundary. */
export interface ChunkJob {
  absPath: string;
  displayPath: string;
  start: number;
  /** exclusive; undefined reads to the end */
  end?: number;
  gzip: boolean;
  maxLineBytes?: number;
}

/** Details of a record the main thread must judge in full (anything not plainly linked to its predecessor). */
export interface RecordDetail {
  i: number;
  seq?: number;
  hash?: string;
  prevHash?: string;
  computed?: string;
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
  /** RFC 6962 leaf hash of the claimed hash per record (32 each), so the main thread only combines nodes */
  leaves: Uint8Array;
  /** 1 = normal: chained, hash verified, seq and prevHash follow the previous record of this range */
  normal: Uint8Array;
  details: RecordDetail[];
  errors: { line: number; message: string; code?: string }[];
  /** the range could not be read to its end (truncated gzip, I/O error) */
  fatal?: { line: number; message: string };
}

const HEX64 = /^[0-9a-f]{64}$/;
const LEAF_PREFIX = Buffer.from([0]);

/** Hashes, parses and pre-links the records of one range; runs inside a worker thread. */
export async function scanChunk(job: ChunkJob): Promise<ChunkResult> {
  let cap = 1024;
  let lineNos = new Uint32Array(cap);
  let seqs = new Float64Array(cap);
  let hashes = new Uint8Array(cap * 32);
  let leaves = new Uint8Array(cap * 32);
  let normal = new Uint8Array(cap);
  const details: RecordDetail[] = [];
  const errors: ChunkResult['errors'] = [];
  let n = 0;
  let lines = 0;
  let prevOk = false; // the previous record was chained with a well-formed hash and a numeric seq
  let prevSeq = NaN;
  let prevHash = '';
  let fatal: ChunkResult['fatal'];

  const grow = () => {
    cap *= 2;
    const l = new Uint32Array(cap);
    l.set(lineNos);
    lineNos = l;
    const s = new Float64Array(cap);
    s.set(seqs);
    seqs = s;
    const h = new Uint8Array(cap * 32);
    h.set(hashes);
    hashes = h;
    const v = new Uint8Array(cap * 32);
    v.set(leaves);
    leaves = v;
    const m = new Uint8Array(cap);
    m.set(normal);
    normal = m;
  };

  try {
    for await (const ev of readLines(job.absPath, {
      gzip: job.gzip,
      displayName: job.displayPath,
      maxLineBytes: job.maxLineBytes,
      start: job.start,
      end: job.end,
    })) {
      lines = ev.line;
      if (ev.kind === 'too-long') {
        errors.push({
          line: ev.line,
          code: 'LIMIT_EXCEEDED',
          message: `line longer than the limit of ${job.maxLineBytes ?? 64 * 1024 * 1024} bytes (${ev.bytes} bytes), skipped`,
        });
        prevOk = false;
        continue;
      }
      if (ev.kind === 'not-utf8') {
        errors.push({ line: ev.line, message: 'line is not valid UTF-8' });
        prevOk = false;
        continue;
      }
      const parsed = parseRecordLine(ev.text);
      if (parsed === undefined) continue; // blank
      if (!parsed.ok) {
        errors.push({ line: ev.line, message: parsed.message });
        prevOk = false;
        continue;
      }
      const v = parsed.value;
      if (n === cap) grow();
      const i = n++;
      lineNos[i] = ev.line;
      const hasChain = v.hash !== undefined || v.prevHash !== undefined || v.seq !== undefined;
      const seq = typeof v.seq === 'number' ? v.seq : undefined;
      const claimed = typeof v.hash === 'string' ? v.hash : undefined;
      const prev = typeof v.prevHash === 'string' ? v.prevHash : undefined;
      seqs[i] = seq ?? NaN;
      let computed: string | undefined;
      let computeError: string | undefined;
      if (hasChain && claimed !== undefined) {
        try {
          computed = oneShotHash('sha256', fastCanonicalText(v), 'hex');
        } catch (err) {
          computeError = err instanceof Error ? err.message : String(err);
        }
      }
      const wellFormed = claimed !== undefined && HEX64.test(claimed);
      if (wellFormed) {
        const bytes = Buffer.from(claimed, 'hex');
        hashes.set(bytes, i * 32);
        leaves.set(oneShotHash('sha256', Buffer.concat([LEAF_PREFIX, bytes]), 'buffer') as Buffer, i * 32);
      }
      const isNormal =
        hasChain &&
        wellFormed &&
        computed === claimed &&
        prevOk &&
        seq !== undefined &&
        seq === prevSeq + 1 &&
        prev === prevHash;
      normal[i] = isNormal ? 1 : 0;
      if (!isNormal) {
        const d: RecordDetail = { i, hasChain, seq, hash: claimed, prevHash: prev, computed };
        if (computeError) d.computed = undefined;
        details.push(d);
      }
      prevOk = hasChain && wellFormed && seq !== undefined;
      prevSeq = seq ?? NaN;
      prevHash = claimed ?? '';
    }
  } catch (err) {
    if (!(err instanceof AuditWsError)) throw err;
    fatal = {
      line: lines + 1,
      message: err.message.startsWith(`${job.displayPath}: `)
        ? err.message.slice(job.displayPath.length + 2)
        : err.message,
    };
  }
  return {
    lines,
    records: n,
    lineNos: lineNos.slice(0, n),
    seqs: seqs.slice(0, n),
    hashes: hashes.slice(0, n * 32),
    leaves: leaves.slice(0, n * 32),
    normal: normal.slice(0, n),
    details,
    errors,
    fatal,
  };
}
