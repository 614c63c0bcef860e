import { at, where } from '../chain-state.ts';
import type { RecordCheck } from './record-check.ts';

/** seq rises by exactly one: a jump is a gap (records missing), a repeat or step back is a duplicate. */
export const sequenceCheck: RecordCheck = {
  id: 'sequence',
  title: 'Sequence (gaps, duplicates, order)',
  category: 'integrity',
  onRecord(rec, state, sink) {
    if (!rec.hasChain) return;
    if (rec.seq === undefined || !Number.isSafeInteger(rec.seq) || rec.seq < 0) {
      sink.add({
        check: this.id,
        status: 'fail',
        category: this.category,
        stream: rec.stream,
        ...where(rec),
        actual: rec.seq ?? null,
        message: `The record at ${at(rec)} has no valid seq (a non-negative integer).`,
      });
      return;
    }
    const prevSeq = state.prev?.seq;
    if (prevSeq === undefined) {
      sink.pass(this.id);
      return;
    }
    if (rec.seq === prevSeq + 1) {
      sink.pass(this.id);
    } else if (rec.seq > prevSeq + 1) {
      const missing = rec.seq - prevSeq - 1;
      sink.add({
        check: this.id,
        status: 'fail',
        category: this.category,
        stream: rec.stream,
        seq: prevSeq + 1,
        seqEnd: rec.seq - 1,
        ...where(rec),
        expected: prevSeq + 1,
        actual: rec.seq,
        message:
          missing === 1
            ? `Record seq ${prevSeq + 1} is missing: the chain jumps from ${prevSeq} to ${rec.seq} at ${at(rec)}.`
            : `Records seq ${prevSeq + 1} to ${rec.seq - 1} (${missing} records) are missing: the chain jumps from ${prevSeq} to ${rec.seq} at ${at(rec)}.`,
      });
    } else {
      sink.add({
        check: this.id,
        status: 'fail',
        category: this.category,
        stream: rec.stream,
        seq: rec.seq,
        ...where(rec),
        expected: prevSeq + 1,
        actual: rec.seq,
        message:
          rec.seq === prevSeq
            ? `Record seq ${rec.seq} appears twice: again at ${at(rec)}.`
            : `Record seq ${rec.seq} at ${at(rec)} comes after seq ${prevSeq}: out of order or duplicated.`,
      });
    }
  },
};
