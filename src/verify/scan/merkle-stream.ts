import { hash as oneShotHash } from 'node:crypto';

/**
 * RFC 6962 Merkle tree hash built from leaf hashes streamed in order, keeping only the O(log n) roots of
 * the perfect subtrees (the binary decomposition of n), like `MerkleBuilder` in src/archive/merkle.ts
 * but without an object or a Buffer.concat per leaf: the stack is one byte array, and a left and right
 * sibling sit next to each other in it, so a node hash reads them in one piece.
 * test/unit/merkle-stream.test.ts checks it against `merkleRoot`.
 */
export class MerkleStream {
  private readonly stack = new Uint8Array(64 * 32);
  private readonly stackView = new DataView(this.stack.buffer);
  private readonly sizes = new Float64Array(64);
  private depth = 0;
  private count = 0;
  /** 0x01 || left || right */
  private readonly node = Buffer.alloc(65, 1);
  private readonly nodeView = new DataView(this.node.buffer, this.node.byteOffset, 65);

  get size(): number {
    return this.count;
  }

  /** Adds the leaf hash (32 bytes) at bytes[offset]. */
  addLeafHash(bytes: Uint8Array, offset = 0): void {
    this.push(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset);
  }

  /** Adds the leaf hashes number first..end-1 of a packed array of them (32 bytes each). */
  addLeafHashes(bytes: Uint8Array, first: number, end: number): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let x = first; x < end; x++) this.push(view, x * 32);
  }

  private push(from: DataView, offset: number): void {
    const stack = this.stack;
    const sv = this.stackView;
    let d = this.depth;
    const at = d * 32;
    for (let k = 0; k < 32; k += 4) sv.setInt32(at + k, from.getInt32(offset + k));
    this.sizes[d] = 1;
    d++;
    const nv = this.nodeView;
    while (d >= 2 && this.sizes[d - 1] === this.sizes[d - 2]) {
      const left = (d - 2) * 32;
      for (let k = 0; k < 64; k += 4) nv.setInt32(1 + k, sv.getInt32(left + k));
      // a 'binary' (latin1) digest is a 32-character string of the digest bytes: about three times
      // cheaper to get than a Buffer, which costs an allocation per hash
      const h = oneShotHash('sha256', this.node, 'binary');
      for (let k = 0; k < 32; k++) stack[left + k] = h.charCodeAt(k);
      this.sizes[d - 2] *= 2;
      d--;
    }
    this.depth = d;
    this.count++;
  }

  root(): Buffer {
    if (this.depth === 0) return oneShotHash('sha256', Buffer.alloc(0), 'buffer') as Buffer;
    let acc: Buffer = Buffer.from(this.stack.subarray((this.depth - 1) * 32, this.depth * 32));
    for (let d = this.depth - 2; d >= 0; d--) {
      this.node.set(this.stack.subarray(d * 32, d * 32 + 32), 1);
      this.node.set(acc, 33);
      acc = oneShotHash('sha256', this.node, 'buffer') as Buffer;
    }
    return acc;
  }
}
