import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { leafHash, merkleRoot } from '../../src/archive/merkle.ts';
import { MerkleStream } from '../../src/verify/scan/merkle-stream.ts';

const data = (i: number) => createHash('sha256').update(`record ${i}`).digest();

describe('MerkleStream against merkleRoot (RFC 6962)', () => {
  it('gives the same root for every tree size from 0 to 300, leaves read at offsets of one array', () => {
    const leaves = Array.from({ length: 300 }, (_, i) => data(i));
    const packed = new Uint8Array(300 * 32 + 7);
    leaves.forEach((d, i) => packed.set(leafHash(d), 7 + i * 32));
    for (let n = 0; n <= 300; n++) {
      const m = new MerkleStream();
      for (let i = 0; i < n; i++) m.addLeafHash(packed, 7 + i * 32);
      expect(m.size).toBe(n);
      expect(m.root().toString('hex'), `n=${n}`).toBe(merkleRoot(leaves.slice(0, n)).toString('hex'));
    }
    // in blocks, as the walk adds a run of linked records
    const aligned = packed.subarray(7);
    for (const cuts of [
      [0, 300],
      [0, 1, 2, 3, 100, 255, 256, 300],
      [0, 17, 64, 65, 299, 300],
    ]) {
      const m = new MerkleStream();
      for (let c = 1; c < cuts.length; c++) m.addLeafHashes(aligned, cuts[c - 1], cuts[c]);
      expect(m.root()).toEqual(merkleRoot(leaves));
    }
  });

  it('matches the RFC 6962 empty and one-leaf trees, and root() does not disturb later additions', () => {
    expect(new MerkleStream().root().toString('hex')).toBe(createHash('sha256').digest('hex'));
    const m = new MerkleStream();
    m.addLeafHash(leafHash(data(0)));
    expect(m.root()).toEqual(leafHash(data(0)));
    for (let i = 1; i < 5; i++) {
      m.root();
      m.addLeafHash(leafHash(data(i)));
    }
    expect(m.root()).toEqual(merkleRoot([0, 1, 2, 3, 4].map(data)));
  });
});
