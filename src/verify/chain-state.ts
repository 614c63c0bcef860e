import { leafHash } from '../archive/merkle.ts';
import { MerkleStream } from './scan/merkle-stream.ts';
import type { LoadedCheckpoint, ScannedRecord, StreamInput } from './types.ts';

/** The per-record arrays of a scanned range that the fast path reads (see scan/scan-chunk.ts). */
export interface LinkedRecords {
  /** line numbers, or Parquet row numbers when `rows` */
  lineNos: Uint32Array;
  rows?: boolean;
  seqs: Float64Array;
  hashes: Uint8Array;
  leaves: Uint8Array;
}

/** Per-checkpoint tally built while the walk passes its range in seq order. */
export interface CheckpointTally {
  checkpoint: LoadedCheckpoint;
  builder: MerkleStream;
  count: number;
  /** the next seq expected inside this range; a jump means the leaves no longer match the range */
  nextSeq: number;
  contiguous: boolean;
  head?: ScannedRecord;
}

/**
 * State of one stream's walk, shared by the record checks. The walk owns the updates; checks only read,
 * so each check stays a small independent module.
 */
export class ChainState {
  private prevRecord?: ScannedRecord;
  /**
   * A fast-path predecessor kept as an index into its range's arrays; turned into a ScannedRecord only
   * if a check needs it. Plain fields rather than an object, so a linked record allocates nothing.
   */
  private lazyFrom?: LinkedRecords;
  private lazyIndex = 0;
  private lazyFile = '';
  private lazyLine = 0;
  records = 0;
  chained = 0;
  unchained = 0;
  firstSeq?: number;
  lastSeq?: number;
  anchored = 0;
  /** runs of seq no checkpoint covers: [first, last] */
  readonly unanchoredRuns: [number, number, ScannedRecord][] = [];
  readonly tallies: CheckpointTally[];
  private tallyIndex = 0;

  constructor(readonly stream: StreamInput) {
    const sorted = [...stream.checkpoints].sort((a, b) => a.value.firstSeq - b.value.firstSeq);
    this.tallies = sorted.map((checkpoint) => ({
      checkpoint,
      builder: new MerkleStream(),
      count: 0,
      nextSeq: checkpoint.value.firstSeq,
      contiguous: true,
    }));
  }

  /** The checkpoint whose declared range holds seq, if any. Records arrive in ascending seq. */
  tallyFor(seq: number): CheckpointTally | undefined {
    while (this.tallyIndex < this.tallies.length && this.tallies[this.tallyIndex].checkpoint.value.lastSeq < seq) {
      this.tallyIndex++;
    }
    const t = this.tallies[this.tallyIndex];
    if (t && t.checkpoint.value.firstSeq <= seq && seq <= t.checkpoint.value.lastSeq) return t;
    // ranges may overlap or come out of order in a forged set; fall back to a scan
    return this.tallies.find((x) => x.checkpoint.value.firstSeq <= seq && seq <= x.checkpoint.value.lastSeq);
  }

  get prev(): ScannedRecord | undefined {
    if (this.lazyFrom) {
      this.prevRecord = this.materialize(this.lazyFrom, this.lazyIndex, this.lazyFile, this.lazyLine);
      this.lazyFrom = undefined;
    }
    return this.prevRecord;
  }

  private materialize(from: LinkedRecords, i: number, file: string, line: number): ScannedRecord {
    const hex = Buffer.from(from.hashes.buffer, from.hashes.byteOffset + i * 32, 32).toString('hex');
    const seq = from.seqs[i];
    const at = from.rows ? { row: line } : { line };
    return {
      stream: this.stream.name,
      file,
      ...at,
      seq,
      hash: hex,
      prevHash: undefined,
      computed: hex,
      hasChain: true,
    };
  }

  /**
   * The fast path for records i..j-1 of a scanned range, which a scan worker already found plainly
   * linked one to the next (so their seqs are consecutive), the first to the accepted predecessor: no
   * object per record, leaf hashes come precomputed, and a block of records within one checkpoint's
   * range is tallied at once. Line numbers are lineBase + from.lineNos[k].
   */
  acceptLinkedRun(from: LinkedRecords, i: number, j: number, file: string, lineBase: number): void {
    const seqs = from.seqs;
    this.lazyFrom = from;
    this.lazyFile = file;
    this.prevRecord = undefined;
    let k = i;
    while (k < j) {
      const seq = seqs[k];
      const tally = this.tallyFor(seq);
      if (!tally || tally !== this.tallies[this.tallyIndex]) {
        // unanchored, or a forged set of overlapping ranges: one record at a time
        this.lazyIndex = k;
        this.lazyLine = lineBase + from.lineNos[k];
        this.place(seq, from.leaves, k * 32, this.lazyRecord);
        k++;
        continue;
      }
      const last = tally.checkpoint.value.lastSeq;
      const e = Math.min(j, k + (last - seq) + 1);
      const n = e - k;
      if (this.firstSeq === undefined) this.firstSeq = seq;
      this.lastSeq = seqs[e - 1];
      this.anchored += n;
      if (seq !== tally.nextSeq) tally.contiguous = false;
      tally.nextSeq = seqs[e - 1] + 1;
      tally.count += n;
      tally.builder.addLeafHashes(from.leaves, k, e);
      if (seqs[e - 1] === last) tally.head = this.materialize(from, e - 1, file, lineBase + from.lineNos[e - 1]);
      k = e;
    }
    this.lazyIndex = j - 1;
    this.lazyLine = lineBase + from.lineNos[j - 1];
  }

  /** The record acceptLinkedRun is placing, as a ScannedRecord (one function, so no closure per record). */
  private readonly lazyRecord = (): ScannedRecord =>
    this.materialize(this.lazyFrom!, this.lazyIndex, this.lazyFile, this.lazyLine);

  /** Called by the walk after the checks saw the record: it becomes the predecessor of the next one. */
  accept(rec: ScannedRecord): void {
    this.prevRecord = rec;
    this.lazyFrom = undefined;
    if (rec.seq === undefined) return;
    const leaf = rec.hash && /^[0-9a-f]{64}$/.test(rec.hash) ? leafHash(Buffer.from(rec.hash, 'hex')) : undefined;
    this.place(rec.seq, leaf, 0, () => rec);
  }

  /**
   * Puts an accepted record in its checkpoint's tally (or an unanchored run); its leaf hash is the 32
   * bytes at leaf[leafAt]. `record` is called only
   * when a ScannedRecord must be kept (a run's first record, a checkpoint's head); a record without a
   * well-formed hash has no leaf and spoils its tally's Merkle root.
   */
  private place(seq: number, leaf: Uint8Array | undefined, leafAt: number, record: () => ScannedRecord): void {
    if (this.firstSeq === undefined) this.firstSeq = seq;
    this.lastSeq = seq;
    const tally = this.tallyFor(seq);
    if (!tally) {
      const last = this.unanchoredRuns[this.unanchoredRuns.length - 1];
      if (last && last[1] === seq - 1) last[1] = seq;
      else this.unanchoredRuns.push([seq, seq, record()]);
      return;
    }
    this.anchored++;
    if (seq !== tally.nextSeq) tally.contiguous = false;
    tally.nextSeq = seq + 1;
    tally.count++;
    if (leaf) tally.builder.addLeafHash(leaf, leafAt);
    else tally.contiguous = false;
    if (seq === tally.checkpoint.value.lastSeq) tally.head = record();
  }
}
export function where(rec: ScannedRecord): { file: string; line?: number; row?: number } {
  return rec.row !== undefined ? { file: rec.file, row: rec.row } : { file: rec.file, line: rec.line };
}

export function at(rec: ScannedRecord): string {
  return rec.row !== undefined ? `${rec.file} row ${rec.row}` : `${rec.file}:${rec.line}`;
}
