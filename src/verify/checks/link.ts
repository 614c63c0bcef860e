import { GENESIS_PREV_HASH } from '../../archive/canonical.ts';
import { at, where } from '../chain-state.ts';
import type { RecordCheck } from './record-check.ts';

/** prevHash of record n equals the hash of record n-1, so no record can be removed or swapped silently. */
export const linkCheck: RecordCheck = {
  id: 'link',
  title: 'Link (prevHash)',
  category: 'integrity',
  onRecord(rec, state, sink) {
    if (!rec.hasChain || rec.seq === undefined) return;
    const prev = state.prev;
    if (!prev || prev.seq === undefined || rec.seq === 0) return; // genesis check owns the first link
    if (rec.seq !== prev.seq + 1) {
      if (rec.seq > prev.seq + 1) {
        sink.add({
          check: this.id,
          status: 'fail',
          category: this.category,
          stream: rec.stream,
          seq: rec.seq,
          ...where(rec),
          actual: rec.prevHash,
          message: `The link of record seq ${rec.seq} at ${at(rec)} cannot be checked: its predecessor seq ${rec.seq - 1} is missing.`,
        });
      }
      return;
    }
    if (rec.prevHash === prev.hash) {
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
      expected: prev.hash,
      actual: rec.prevHash ?? null,
      message: `Record seq ${rec.seq} at ${at(rec)} does not point to the hash of record seq ${prev.seq}: the chain is broken between them.`,
    });
  },
};

/** seq 0 links to 64 zeros; a chain that starts later is anchored only if a checkpoint names its start. */
export const genesisCheck: RecordCheck = {
  id: 'genesis',
  title: 'Genesis',
  category: 'integrity',
  onRecord(rec, state, sink) {
    if (!rec.hasChain || rec.seq === undefined || state.prev !== undefined) return;
    if (rec.seq === 0) {
      if (rec.prevHash === GENESIS_PREV_HASH) sink.pass(this.id);
      else
        sink.add({
          check: this.id,
          status: 'fail',
          category: this.category,
          stream: rec.stream,
          seq: 0,
          ...where(rec),
          expected: GENESIS_PREV_HASH,
          actual: rec.prevHash ?? null,
          message: `The first record (seq 0) at ${at(rec)} does not start the chain: its prevHash is not 64 zeros.`,
        });
      return;
    }
    const tally = state.tallyFor(rec.seq);
    if (tally && tally.checkpoint.value.firstSeq === rec.seq) {
      sink.pass(this.id);
      return;
    }
    sink.add({
      check: this.id,
      status: 'warn',
      category: 'anchoring',
      stream: rec.stream,
      seq: rec.seq,
      ...where(rec),
      expected: 0,
      actual: rec.seq,
      message: `The chain starts mid-way at seq ${rec.seq} (${at(rec)}) and no checkpoint starts there, so its first link is not anchored.`,
    });
  },
};
