import { leafHash, MerkleBuilder } from '../archive/merkle.ts';
import type { LoadedCheckpoint, ScannedRecord, StreamInput } from './types.ts';

/** Per-checkpoint tally built while the walk passes its range in seq order. */
export interface CheckpointTally {
  checkpoint: LoadedCheckpoint;
  builder: MerkleBuilder;
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
  /** a fast-path predecessor kept as raw bytes; turned into a ScannedRecord only if a check needs it */
  private lazyPrev?: { seq: number; hash: Uint8Array; file: string; line: number };
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
      builder: new MerkleBuilder(),
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
    if (this.lazyPrev) {
      const p = this.lazyPrev;
      this.prevRecord = this.materialize(p.seq, p.hash, p.file, p.line);
      this.lazyPrev = undefined;
    }
    return this.prevRecord;
  }

  private materialize(seq: number, hash: Uint8Array, file: string, line: number): ScannedRecord {
    const hex = Buffer.from(hash.buffer, hash.byteOffset, 32).toString('hex');
    return { stream: this.stream.name, file, line, seq, hash: hex, prevHash: undefined, computed: hex, hasChain: true };
  }

  /**
   * The fast path for a record a scan worker already found plainly linked to its accepted predecessor:
   * no object per record, the leaf hash comes precomputed.
   */
  acceptLinked(seq: number, hash: Uint8Array, leaf: Uint8Array, file: string, line: number): void {
    this.lazyPrev = { seq, hash, file, line };
    this.prevRecord = undefined;
    this.place(seq, leaf, () => this.materialize(seq, hash, file, line));
  }

  /** Called by the walk after the checks saw the record: it becomes the predecessor of the next one. */
  accept(rec: ScannedRecord): void {
    this.prevRecord = rec;
    this.lazyPrev = undefined;
    if (rec.seq === undefined) return;
    const leaf = rec.hash && /^[0-9a-f]{64}$/.test(rec.hash) ? leafHash(Buffer.from(rec.hash, 'hex')) : undefined;
    this.place(rec.seq, leaf, () => rec);
  }

  /**
   * Puts an accepted record in its checkpoint's tally (or an unanchored run). `record` is called only
   * when a ScannedRecord must be kept (a run's first record, a checkpoint's head); a record without a
   * well-formed hash has no leaf and spoils its tally's Merkle root.
   */
  private place(seq: number, leaf: Uint8Array | undefined, record: () => ScannedRecord): void {
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
    if (leaf) tally.builder.addLeafHash(leaf);
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
