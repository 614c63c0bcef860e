import { at, where } from '../chain-state.ts';
import type { RecordCheck } from './record-check.ts';

/** jcs-sha256-v1: the record's `hash` member equals the hash recomputed from its content. */
export const recordHashCheck: RecordCheck = {
  id: 'record-hash',
  title: 'Record hash (jcs-sha256-v1)',
  category: 'integrity',
  onRecord(rec, _state, sink) {
    if (!rec.hasChain || rec.hash === undefined) return;
    if (rec.unverifiable) {
      sink.add({
        check: this.id,
        status: 'unverifiable',
        category: this.category,
        stream: rec.stream,
        seq: rec.seq,
        ...where(rec),
        expected: rec.hash,
        message: `The hash of record seq ${rec.seq} at ${at(rec)} cannot be recomputed: ${rec.unverifiable}.`,
      });
      return;
    }
    if (rec.computed === rec.hash) {
      sink.pass(this.id);
      return;
    }
    sink.add({
      check: this.id,
      status: 'fail',
      category: this.category,
      stream: rec.stream,
      seq: rec.seq,
      ...where(rec),
      expected: rec.hash,
      actual: rec.computed,
      message: `Record seq ${rec.seq} at ${at(rec)} does not match its own hash: its content was changed after it was hashed.`,
    });
  },
};
