import { createHash, hash as oneShotHash } from 'node:crypto';

/** RFC 6962 Merkle tree hashes over 32-byte leaves (the raw bytes of record hashes). */

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

// one-shot hashing: about twice as fast as createHash for inputs this small
export function leafHash(data: Uint8Array): Buffer {
  return oneShotHash('sha256', Buffer.concat([LEAF_PREFIX, data]), 'buffer') as Buffer;
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return oneShotHash('sha256', Buffer.concat([NODE_PREFIX, left, right]), 'buffer') as Buffer;
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function toBytes(leaf: Uint8Array | string): Uint8Array {
  return typeof leaf === 'string' ? Buffer.from(leaf, 'hex') : leaf;
}

/** MTH(D[n]) of RFC 6962 section 2.1. The empty tree hashes to SHA-256 of nothing. */
export function merkleRoot(leaves: ReadonlyArray<Uint8Array | string>): Buffer {
  const builder = new MerkleBuilder();
  for (const leaf of leaves) builder.add(toBytes(leaf));
  return builder.root();
}

/**
 * Streams leaves in and keeps only O(log n) subtree roots, so a checkpoint over millions of records
 * needs no array of hashes. RFC 6962's split at the largest power of two below n means the root is
 * the right-to-left fold of the perfect subtrees in the binary decomposition of n.
 */
export class MerkleBuilder {
  private readonly stack: { size: number; hash: Buffer }[] = [];
  private count = 0;

  add(leaf: Uint8Array | string): void {
    this.addLeafHash(leafHash(toBytes(leaf)));
  }

  /** Adds a leaf whose RFC 6962 leaf hash was already computed (e.g. in a worker thread). */
  addLeafHash(leafHashBytes: Uint8Array): void {
    let node = { size: 1, hash: Buffer.from(leafHashBytes.buffer, leafHashBytes.byteOffset, leafHashBytes.byteLength) };
    while (this.stack.length > 0 && this.stack[this.stack.length - 1].size === node.size) {
      const left = this.stack.pop()!;
      node = { size: left.size * 2, hash: nodeHash(left.hash, node.hash) };
    }
    this.stack.push(node);
    this.count++;
  }

  get size(): number {
    return this.count;
  }

  root(): Buffer {
    if (this.stack.length === 0) return createHash('sha256').digest();
    let acc = this.stack[this.stack.length - 1].hash;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.stack[i].hash, acc);
    return acc;
  }
}

/** PATH(m, D[n]) of RFC 6962 section 2.1.1: the audit path for leaf m, bottom-up. */
export function inclusionPath(leaves: ReadonlyArray<Uint8Array | string>, index: number): Buffer[] {
  if (index < 0 || index >= leaves.length) throw new RangeError(`leaf index ${index} outside tree of ${leaves.length}`);
  const bytes = leaves.map(toBytes);
  const path = (m: number, lo: number, hi: number): Buffer[] => {
    const n = hi - lo;
    if (n <= 1) return [];
    const k = largestPowerOfTwoBelow(n);
    if (m < k) return [...path(m, lo, lo + k), merkleRoot(bytes.slice(lo + k, hi))];
    return [...path(m - k, lo + k, hi), merkleRoot(bytes.slice(lo, lo + k))];
  };
  return path(index, 0, bytes.length);
}

/**
 * Recomputes the root from a leaf and its audit path (RFC 9162 section 2.1.3.2 algorithm), so a
 * regulator can check one record against a checkpoint without seeing the other records.
 */
export function rootFromInclusionPath(
  leaf: Uint8Array | string,
  index: number,
  treeSize: number,
  path: ReadonlyArray<Uint8Array | string>,
): Buffer | undefined {
  if (index < 0 || index >= treeSize) return undefined;
  let fn = index;
  let sn = treeSize - 1;
  let r = leafHash(toBytes(leaf));
  for (const p of path) {
    const sibling = toBytes(p);
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(sibling, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

export function verifyInclusion(
  leaf: Uint8Array | string,
  index: number,
  treeSize: number,
  path: ReadonlyArray<Uint8Array | string>,
  expectedRoot: Uint8Array | string,
): boolean {
  const root = rootFromInclusionPath(leaf, index, treeSize, path);
  return root !== undefined && root.equals(Buffer.from(toBytes(expectedRoot)));
}
