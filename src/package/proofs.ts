/**
 * RFC 6962 inclusion proofs for a few leaves of a large tree in one pass: every leaf is hashed once
 * and a subtree that holds no selected leaf is folded with the streaming MerkleBuilder, so proving
 * twenty records of a million-record checkpoint costs one tree hash, not twenty. The root comes out
 * too, so the caller can refuse to package proofs against a checkpoint the leaves do not match.
 * (src/archive/merkle.ts inclusionPath computes one path and is the reference the tests compare with.)
 */
import { MerkleBuilder, leafHash, nodeHash } from '../archive/merkle.ts';

export interface TreeProofs {
  root: Buffer;
  /** leaf index -> audit path, bottom-up */
  paths: Map<number, Buffer[]>;
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function foldedRoot(leaves: readonly Buffer[], lo: number, hi: number): Buffer {
  const b = new MerkleBuilder();
  for (let i = lo; i < hi; i++) b.add(leaves[i]);
  return b.root();
}

export function proveLeaves(leaves: readonly Buffer[], indices: Iterable<number>): TreeProofs {
  const wanted = [...new Set(indices)].sort((a, b) => a - b);
  for (const i of wanted) {
    if (!Number.isInteger(i) || i < 0 || i >= leaves.length)
      throw new RangeError(`leaf index ${i} outside tree of ${leaves.length}`);
  }
  const paths = new Map<number, Buffer[]>();
  const walk = (lo: number, hi: number, targets: number[]): Buffer => {
    if (targets.length === 0) return foldedRoot(leaves, lo, hi);
    if (hi - lo === 1) {
      paths.set(lo, []);
      return leafHash(leaves[lo]);
    }
    const k = largestPowerOfTwoBelow(hi - lo);
    const leftTargets = targets.filter((t) => t < lo + k);
    const rightTargets = targets.filter((t) => t >= lo + k);
    const left = walk(lo, lo + k, leftTargets);
    const right = walk(lo + k, hi, rightTargets);
    for (const t of leftTargets) paths.get(t)!.push(right);
    for (const t of rightTargets) paths.get(t)!.push(left);
    return nodeHash(left, right);
  };
  const root = leaves.length === 0 ? foldedRoot(leaves, 0, 0) : walk(0, leaves.length, wanted);
  return { root, paths };
}
