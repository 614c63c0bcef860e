import { sha256Hex } from '../../archive/canonical.ts';
import type { CheckpointTally } from '../chain-state.ts';
import type { RecordCheck } from './record-check.ts';

function cpFile(t: CheckpointTally): string {
  return t.checkpoint.files.path;
}

function label(t: CheckpointTally): string {
  const v = t.checkpoint.value;
  return `checkpoint ${v.label ?? t.checkpoint.files.label} (seq ${v.firstSeq}-${v.lastSeq})`;
}

/** The checkpoint is internally consistent: count = lastSeq - firstSeq + 1. */
export const checkpointFormCheck: RecordCheck = {
  id: 'checkpoint-form',
  title: 'Checkpoint form',
  category: 'integrity',
  onEnd(state, sink) {
    for (const t of state.tallies) {
      const v = t.checkpoint.value;
      const problems: string[] = [];
      for (const k of ['firstSeq', 'lastSeq', 'count'] as const)
        if (!Number.isSafeInteger(v[k])) problems.push(`${k} is not an integer`);
      for (const k of ['headHash', 'merkleRoot'] as const)
        if (typeof v[k] !== 'string' || !/^[0-9a-f]{64}$/.test(v[k]))
          problems.push(`${k} is not 64 lowercase hex digits`);
      if (problems.length === 0 && v.count !== v.lastSeq - v.firstSeq + 1)
        problems.push(`count ${v.count} is not lastSeq - firstSeq + 1 = ${v.lastSeq - v.firstSeq + 1}`);
      if (problems.length === 0) sink.pass(this.id);
      else
        sink.add({
          check: this.id,
          status: 'fail',
          category: this.category,
          stream: state.stream.name,
          file: cpFile(t),
          message: `${label(t)} in ${cpFile(t)} is malformed: ${problems.join('; ')}.`,
        });
    }
  },
};

/** The records present in a checkpoint's range number exactly `count`. */
export const checkpointCountCheck: RecordCheck = {
  id: 'checkpoint-count',
  title: 'Checkpoint record count',
  category: 'completeness',
  onEnd(state, sink) {
    for (const t of state.tallies) {
      const v = t.checkpoint.value;
      if (t.count === v.count) {
        sink.pass(this.id);
        continue;
      }
      const fewer = t.count < v.count;
      sink.add({
        check: this.id,
        status: 'fail',
        category: fewer ? 'completeness' : 'integrity',
        stream: state.stream.name,
        seq: v.firstSeq,
        seqEnd: v.lastSeq,
        file: cpFile(t),
        expected: v.count,
        actual: t.count,
        message: fewer
          ? `${label(t)} anchors ${v.count} records but only ${t.count} are present.`
          : `${label(t)} anchors ${v.count} records but ${t.count} are present in its range.`,
      });
    }
  },
};

/** headHash names the hash of the range's last record. */
export const checkpointHeadCheck: RecordCheck = {
  id: 'checkpoint-head',
  title: 'Checkpoint head hash',
  category: 'integrity',
  onEnd(state, sink) {
    for (const t of state.tallies) {
      const v = t.checkpoint.value;
      if (!t.head) {
        sink.add({
          check: this.id,
          status: 'fail',
          category: 'completeness',
          stream: state.stream.name,
          seq: v.lastSeq,
          file: cpFile(t),
          expected: v.headHash,
          message: `${label(t)} names head record seq ${v.lastSeq}, which is not in the archive.`,
        });
      } else if (t.head.hash === v.headHash) {
        sink.pass(this.id);
      } else {
        sink.add({
          check: this.id,
          status: 'fail',
          category: this.category,
          stream: state.stream.name,
          seq: v.lastSeq,
          file: t.head.file,
          line: t.head.line,
          row: t.head.row,
          expected: v.headHash,
          actual: t.head.hash,
          message: `Record seq ${v.lastSeq} is not the head that ${label(t)} anchored: the chain was rewritten up to it.`,
        });
      }
    }
  },
};

/** The RFC 6962 root over the range's record hashes equals merkleRoot. */
export const checkpointMerkleCheck: RecordCheck = {
  id: 'checkpoint-merkle',
  title: 'Checkpoint Merkle root (RFC 6962)',
  category: 'integrity',
  onEnd(state, sink) {
    for (const t of state.tallies) {
      const v = t.checkpoint.value;
      if (!t.contiguous || t.count !== v.count) {
        sink.add({
          check: this.id,
          status: 'fail',
          category: t.count < v.count ? 'completeness' : 'integrity',
          stream: state.stream.name,
          seq: v.firstSeq,
          seqEnd: v.lastSeq,
          file: cpFile(t),
          expected: v.merkleRoot,
          message: `The Merkle root of ${label(t)} cannot be reproduced: records in its range are missing, extra or out of order.`,
        });
        continue;
      }
      const root = t.builder.root().toString('hex');
      if (root === v.merkleRoot) sink.pass(this.id);
      else
        sink.add({
          check: this.id,
          status: 'fail',
          category: this.category,
          stream: state.stream.name,
          seq: v.firstSeq,
          seqEnd: v.lastSeq,
          file: cpFile(t),
          expected: v.merkleRoot,
          actual: root,
          message: `The records in ${label(t)} are not the ones it anchored: their Merkle root differs.`,
        });
    }
  },
};

/** Checkpoints chain by prevCheckpointSha256 and cover consecutive ranges. */
export const checkpointContinuityCheck: RecordCheck = {
  id: 'checkpoint-continuity',
  title: 'Checkpoint continuity (prevCheckpointSha256)',
  category: 'integrity',
  onEnd(state, sink) {
    state.tallies.forEach((t, i) => {
      const v = t.checkpoint.value;
      if (i === 0) {
        if (v.prevCheckpointSha256 === null || v.prevCheckpointSha256 === undefined) sink.pass(this.id);
        else
          sink.add({
            check: this.id,
            status: 'warn',
            category: 'anchoring',
            stream: state.stream.name,
            file: cpFile(t),
            actual: v.prevCheckpointSha256,
            message: `The first checkpoint present, ${label(t)}, links to an earlier checkpoint that is not in the archive.`,
          });
        return;
      }
      const prev = state.tallies[i - 1];
      const expected = sha256Hex(prev.checkpoint.bytes);
      if (v.prevCheckpointSha256 === expected) sink.pass(this.id);
      else
        sink.add({
          check: this.id,
          status: 'fail',
          category: this.category,
          stream: state.stream.name,
          file: cpFile(t),
          expected,
          actual: v.prevCheckpointSha256 ?? null,
          message: `${label(t)} does not link to the bytes of the previous checkpoint ${prev.checkpoint.files.path}: one of them was altered, removed or replaced.`,
        });
      const pv = prev.checkpoint.value;
      if (v.firstSeq !== pv.lastSeq + 1)
        sink.add({
          check: this.id,
          status: v.firstSeq > pv.lastSeq + 1 ? 'warn' : 'fail',
          category: v.firstSeq > pv.lastSeq + 1 ? 'anchoring' : 'integrity',
          stream: state.stream.name,
          file: cpFile(t),
          expected: pv.lastSeq + 1,
          actual: v.firstSeq,
          message:
            v.firstSeq > pv.lastSeq + 1
              ? `No checkpoint covers seq ${pv.lastSeq + 1}-${v.firstSeq - 1} (between ${prev.checkpoint.files.path} and ${cpFile(t)}).`
              : `${label(t)} overlaps the range of the previous checkpoint ${prev.checkpoint.files.path}.`,
        });
    });
  },
};

/** Every record lies in some checkpoint's range; records outside any are unanchored. */
export const checkpointCoverageCheck: RecordCheck = {
  id: 'checkpoint-coverage',
  title: 'Checkpoint coverage (unanchored records)',
  category: 'anchoring',
  onEnd(state, sink) {
    if (state.chained === 0) return;
    if (state.tallies.length === 0) {
      sink.add({
        check: this.id,
        status: 'warn',
        category: this.category,
        stream: state.stream.name,
        seq: state.firstSeq,
        seqEnd: state.lastSeq,
        message: `Stream ${state.stream.name} has no checkpoints: its ${state.chained} records are chained but not anchored, so a rewrite of the whole chain could not be detected.`,
      });
      return;
    }
    const lastCovered = Math.max(...state.tallies.map((t) => t.checkpoint.value.lastSeq));
    for (const [first, last, rec] of state.unanchoredRuns) {
      const after = first > lastCovered;
      sink.add({
        check: this.id,
        status: 'warn',
        category: this.category,
        stream: state.stream.name,
        seq: first,
        seqEnd: last,
        file: rec.file,
        line: rec.line,
        row: rec.row,
        message: after
          ? `Records seq ${first}-${last} come after the last checkpoint (seq ${lastCovered}) and are not anchored yet.`
          : `Records seq ${first}-${last} are not covered by any checkpoint.`,
      });
    }
    if (state.unanchoredRuns.length === 0) sink.pass(this.id);
  },
};
